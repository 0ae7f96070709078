"""Exchange 2007 CCR cmdlets, WMI and services in powershell.exe, against the real engine."""

from __future__ import annotations

from test_powershell_rig import SNAPIN, PSRig, rig, unwrap  # noqa: F401 - fixture

from ccrgui.domain.model import CmsState, CopyStatus


def test_snapin_cmdlets_unknown_until_loaded(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd("Get-StorageGroupCopyStatus")
    assert unwrap(r.err).startswith(
        "The term 'Get-StorageGroupCopyStatus' is not recognized as the name of a cmdlet, function, "
        "script file, or"
    )
    assert rig.ems("Get-StorageGroupCopyStatus").err == ""


def test_snapin_load_costs_time_and_cannot_be_added_twice(rig: PSRig) -> None:  # noqa: F811
    rig.faults.costs.snapin_load_s = 0.1
    r = rig.cmd(SNAPIN + "; " + SNAPIN)
    assert "because it is already added" in r.err
    assert (
        "    + FullyQualifiedErrorId : AddPSSnapInRead,Microsoft.PowerShell.Commands.AddPSSnapinCommand"
        in unwrap(r.err)
    )
    assert "is not installed on this machine" in unwrap(rig.cmd("Add-PSSnapin Nope.Snapin").err)


def test_cms_status_list(rig: PSRig) -> None:  # noqa: F811
    r = rig.ems("Get-ClusteredMailboxServerStatus")
    assert r.out == (
        "\r\n\r\n"
        "Identity                        : EXCH1\r\n"
        "ClusteredMailboxServerName      : EXCH1.contoso.com\r\n"
        "State                           : Online\r\n"
        "OperationalMachines             : {EXNODE1 <Active, Quorum Owner>, EXNODE2}\r\n"
        "FailedResources                 : {}\r\n"
        "OperationalReplicationHostNames : {}\r\n"
        "FailedReplicationHostNames      : {}\r\n"
        "InUseReplicationHostNames       : {}\r\n"
        "IsValid                         : True\r\n\r\n\r\n"
    )


def test_operational_machines_scripts_idiom(rig: PSRig) -> None:  # noqa: F811
    # the Splunk TA's way of finding the active node
    r = rig.ems(
        "(Get-ClusteredMailboxServerStatus -Identity EXCH1).OperationalMachines | ForEach-Object "
        "{If ($_.Contains('Active')) {$ActiveNode = $_.Substring(0,$_.IndexOf(' '))}}; $ActiveNode"
    )
    assert r.out == "EXNODE1\r\n"


def test_move_cms_to_passive_node(rig: PSRig) -> None:  # noqa: F811
    r = rig.ems(
        "Move-ClusteredMailboxServer -Identity EXCH1 -TargetMachine EXNODE2 -MoveComment 'patching'"
        " -Confirm:$false"
    )
    assert (r.out, r.err, r.code) == ("", "", 0)
    status = rig.engine.cms_status()
    assert status.active_node == "EXNODE2" and status.state is CmsState.ONLINE


def test_move_cms_validate_only_changes_nothing(rig: PSRig) -> None:  # noqa: F811
    r = rig.ems(
        "Move-ClusteredMailboxServer EXCH1 -TargetMachine EXNODE2 -MoveComment x -ValidateOnly"
        " -Confirm:$false"
    )
    assert r.err == ""
    assert rig.engine.cms_status().active_node == "EXNODE1"


def test_move_cms_to_active_node_is_refused(rig: PSRig) -> None:  # noqa: F811
    r = rig.ems(
        "$ErrorActionPreference = 'Stop'; try { Move-ClusteredMailboxServer -Identity EXCH1"
        " -TargetMachine EXNODE1"
        " -MoveComment x -Confirm:$false } catch {"
        " [Console]::Out.Write($_.FullyQualifiedErrorId + '|' + $_.Exception.Message) }"
    )
    fqid, message = r.out.split("|")
    assert fqid.endswith(",Microsoft.Exchange.Management.SystemConfigurationTasks.MoveClusteredMailboxServer")
    assert len(fqid.split(",")[0]) == 8
    assert "EXNODE1" in message


def test_missing_mandatory_parameter_in_noninteractive_host(rig: PSRig) -> None:  # noqa: F811
    r = rig.ems("Stop-ClusteredMailboxServer -Identity EXCH1 -Confirm:$false")
    err = unwrap(r.err)
    assert err.startswith(
        "Stop-ClusteredMailboxServer : Cannot process command because of one or more missing mandatory "
        "parameters:"
    )
    assert "StopReason." in err
    assert "ParameterBindingException" in err
    assert (
        "    + FullyQualifiedErrorId : MissingMandatoryParameter,"
        "Microsoft.Exchange.Management.SystemConfigurationTasks.StopClusteredMailboxServer"
    ) in err
    assert r.code == 1
    assert rig.engine.cms_status().state is CmsState.ONLINE


def test_confirmation_cannot_be_asked_when_noninteractive(rig: PSRig) -> None:  # noqa: F811
    r = rig.ems("Stop-ClusteredMailboxServer -Identity EXCH1 -StopReason test")
    assert "Windows PowerShell is in NonInteractive mode." in r.err
    assert rig.engine.cms_status().state is CmsState.ONLINE


def test_stop_and_start_cms(rig: PSRig) -> None:  # noqa: F811
    r = rig.ems("Stop-ClusteredMailboxServer EXCH1 -StopReason 'maintenance' -Confirm:$false")
    assert r.err == ""
    assert rig.engine.cms_status().state is CmsState.OFFLINE
    r = rig.ems("Start-ClusteredMailboxServer -Identity EXCH1 -Confirm:$false")
    assert r.err == ""
    assert rig.engine.cms_status().state in (CmsState.ONLINE, CmsState.PARTIALLY_ONLINE)


def test_unknown_cms_is_not_found(rig: PSRig) -> None:  # noqa: F811
    r = rig.ems("Get-ClusteredMailboxServerStatus -Identity NOPE; 'after'")
    assert r.out == "after\r\n"
    flat = r.err.replace("\r\n", "")
    assert "object 'NOPE' could not be found on domain controller 'DC1.contoso.com'." in flat
    assert "ManagementObjectNotFoundException" in flat


def test_non_admin_gets_access_denied(rig: PSRig) -> None:  # noqa: F811
    r = rig.ems("Get-ClusteredMailboxServerStatus", admin=False)
    assert r.out == ""
    assert r.err.startswith("Get-ClusteredMailboxServerStatus : Access is denied.")
    assert "PermissionDenied" in r.err


def test_copy_suspend_resume_update(rig: PSRig) -> None:  # noqa: F811
    sg = "'EXCH1\\First Storage Group'"
    assert (
        rig.ems(f"Suspend-StorageGroupCopy -Identity {sg} -SuspendComment 'backup' -Confirm:$false").err == ""
    )
    r = rig.ems(
        f"Get-StorageGroupCopyStatus -Identity {sg} | Select-Object SummaryCopyStatus, Suspend,"
        " SuspendComment"
        " | Format-List"
    )
    assert (
        r.out == "\r\n\r\nSummaryCopyStatus : Suspended\r\nSuspend           : True\r\n"
        "SuspendComment    : backup\r\n\r\n\r\n"
    )
    assert rig.ems(f"Update-StorageGroupCopy -Identity {sg} -Force -Confirm:$false").err == ""
    info = rig.engine.copy_status("First Storage Group")[0]
    assert info.status in (CopyStatus.HEALTHY, CopyStatus.INITIALIZING) and not info.seeding
    assert rig.ems(f"Suspend-StorageGroupCopy {sg} -Confirm:$false").err == ""
    assert rig.ems(f"Resume-StorageGroupCopy {sg}").err == ""
    assert rig.engine.copy_status("First Storage Group")[0].status is not CopyStatus.SUSPENDED


def test_copy_status_by_server_and_unknown_group(rig: PSRig) -> None:  # noqa: F811
    r = rig.ems("(Get-StorageGroupCopyStatus -Server EXCH1 | Measure-Object).Count")
    assert r.out == "2\r\n"
    r = rig.ems("Get-StorageGroupCopyStatus -Identity 'EXCH1\\Nope'")
    assert "could not be found" in r.err.replace("\r\n", "")


def test_mailbox_server_finds_the_cms_from_a_node(rig: PSRig) -> None:  # noqa: F811
    r = rig.ems(
        "Get-MailboxServer | Where-Object { ($_.Name -eq $env:ComputerName) -or ($_.RedundantMachines -eq "
        "$env:ComputerName) } | ForEach-Object { $_.Name + ' ' + $_.ClusteredStorageType }"
    )
    assert r.out == "EXCH1 NonShared\r\n"


def test_exchange_server_cluster_member(rig: PSRig) -> None:  # noqa: F811
    r = rig.ems("$s = Get-ExchangeServer EXCH1; $s.IsMemberOfCluster -eq 'Yes'; $s.AdminDisplayVersion")
    assert r.out == "True\r\nVersion 8.1 (Build 240.6)\r\n"


def test_wmi_classes(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd(
        "$os = Get-WmiObject Win32_OperatingSystem; $cs = Get-WmiObject -Class Win32_ComputerSystem;"
        " $p = @(Get-WmiObject Win32_Processor);"
        " $os.Caption; $os.CSDVersion; $os.TotalVisibleMemorySize; $cs.TotalPhysicalMemory;"
        " $cs.NumberOfProcessors;"
        " $p.Count; $os.LastBootUpTime -match '^\\d{14}\\.\\d{6}\\+000$'",
        codepage=65001,
    )
    spec = rig.topology.nodes[0]
    assert r.out.split("\r\n")[:7] == [
        spec.os_caption,
        "Service Pack 1",
        str(spec.memory_total_mb * 1024),
        str(spec.memory_total_mb * 1024 * 1024),
        "2",
        "2",
        "True",
    ]


def test_wmi_remote_node_down(rig: PSRig) -> None:  # noqa: F811
    rig.engine.reboot_node("EXNODE2")
    import time

    deadline = time.monotonic() + 10
    while rig.engine.node("EXNODE2").powered and time.monotonic() < deadline:
        time.sleep(0.01)
    r = rig.cmd("Get-WmiObject Win32_OperatingSystem -ComputerName EXNODE2")
    assert "The RPC server is unavailable. (Exception from HRESULT: 0x800706BA)" in r.err.replace("\r\n", "")


def test_services(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd("Get-Service MSExchangeRepl")
    assert r.out == (
        "\r\nStatus   Name               DisplayName" + " " * 27 + "\r\n"
        "------   ----               -----------" + " " * 27 + "\r\n"
        "Running  MSExchangeRepl     Microsoft Exchange Replication Service\r\n\r\n\r\n"
    )
    assert rig.cmd("Stop-Service MSExchangeRepl").err == ""
    assert not rig.engine.service_running("EXNODE1", "MSExchangeRepl")
    assert rig.cmd("Restart-Service MSExchangeRepl").err == ""
    assert rig.engine.service_running("EXNODE1", "MSExchangeRepl")
    assert "Cannot find any service with service name 'nope'." in rig.cmd("Get-Service nope").err


def test_wmi_query_and_filter(rig: PSRig) -> None:  # noqa: F811
    r = rig.cmd(
        "(Get-WmiObject -Query \"select * from Win32_Service where Name='ClusSvc'\").State;"
        " (Get-WmiObject Win32_Service -Filter \"Name='MSExchangeIS'\").State"
    )
    assert r.out == "Running\r\nRunning\r\n"


def test_restart_computer_reboots_the_node(rig: PSRig) -> None:  # noqa: F811
    assert rig.cmd("Restart-Computer -ComputerName EXNODE2 -Force").err == ""
    import time

    deadline = time.monotonic() + 10
    while rig.engine.node("EXNODE2").powered and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not rig.engine.node("EXNODE2").powered or rig.engine.node("EXNODE2").booting
    denied = rig.cmd("Restart-Computer -ComputerName EXNODE1", admin=False)
    assert "Access is denied." in unwrap(denied.err)
