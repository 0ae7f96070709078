"""What the rolling upgrade and update-rollup procedure runs on a node, through cmd.exe and
powershell.exe: msiexec, cluster node /stop and /start, net/Get-Service on extra services,
setup media files (Test-Path, Get-Item VersionInfo, Get-ChildItem), Win32_LogicalDisk."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from test_powershell_rig import PSRig, unwrap

from ccrgui.domain.model import CmsState, NodeState
from ccrgui.lab import msiexec
from ccrgui.lab.cmdshell import run_line
from ccrgui.lab.topology import topology_from_json

UR9 = "D:\\Exchange2007-UR\\Exchange2007-KB970162-x64-EN.msp"
DEFAULT_UR9 = "D:\\Updates\\Exchange2007-KB970162-x64-EN.msp"
SP2_UR3 = "D:\\Updates\\Exchange2007-KB979784-x64-EN.msp"


@pytest.fixture
def rig() -> Iterator[PSRig]:
    r = PSRig()
    yield r
    r.close()


def _cmd(rig: PSRig, node: str, line: str, admin: bool = True) -> tuple[str, str, int]:
    account = next(a for a in rig.topology.accounts if a.admin == admin)
    return run_line(rig.hosts[node], account, line)


def _wait(pred: object, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():  # type: ignore[operator]
            return
        time.sleep(0.003)
    raise AssertionError("not reached")


# ---- msiexec -------------------------------------------------------------------------------------


def test_msiexec_installs_a_rollup_on_the_passive_node_silently(rig: PSRig) -> None:
    assert _cmd(rig, "EXNODE2", f"msiexec.exe /p {DEFAULT_UR9} /qn /norestart") == ("", "", 0)
    info = rig.engine.node("EXNODE2")
    assert (info.file_build, info.exchange_version) == ("8.1.393.1", "8.1.240.6")
    assert info.services["ClusSvc"] and info.services["MSExchangeRepl"]
    # The install stopped and restarted the cluster service (SCM 7036 for it, both ways).
    scm = [
        r.value("param2")
        for r in rig.journal.records("EXNODE2", "System")
        if r.event_id == 7036 and r.value("param1") == "Cluster Service"
    ]
    assert scm == ["stopped", "running"]
    # Installing it again changes nothing and succeeds.
    assert _cmd(rig, "EXNODE2", f"msiexec /p {DEFAULT_UR9} /qn")[2] == 0


def test_msiexec_exit_codes_for_refusals(rig: PSRig) -> None:
    assert _cmd(rig, "EXNODE1", f"msiexec /p {DEFAULT_UR9} /qn")[2] == msiexec.ERROR_INSTALL_FAILURE
    assert rig.engine.node("EXNODE1").file_build == "8.1.240.6"
    assert _cmd(rig, "EXNODE2", "msiexec /p D:\\Updates\\missing.msp /qn")[2] == 1619
    assert _cmd(rig, "EXNODE2", f"msiexec /p {SP2_UR3} /qn")[2] == 1642
    assert _cmd(rig, "EXNODE2", "msiexec /bogus")[2] == 1639
    assert _cmd(rig, "EXNODE2", f"msiexec /p {DEFAULT_UR9} /qn", admin=False)[2] == 1603


def test_msiexec_reports_3010_for_a_rollup_that_needs_a_restart_and_takes_scaled_time() -> None:
    topo = topology_from_json({"rollups": [{"path": UR9, "build": "8.1.393.1", "reboot_required": True}]})
    rig = PSRig(topo, speed=4000.0)
    try:
        t0 = time.monotonic()
        assert _cmd(rig, "EXNODE2", f'msiexec /p "{UR9}" /qn')[2] == 3010
        assert time.monotonic() - t0 >= msiexec.NOMINAL_S / 4000.0
        assert rig.engine.node("EXNODE2").file_build == "8.1.393.1"
    finally:
        rig.close()


def test_msiexec_from_powershell_sets_lastexitcode(rig: PSRig) -> None:
    r = rig.cmd(f"msiexec /p '{SP2_UR3}' /qn; $LASTEXITCODE", node="EXNODE2")
    assert r.out == "1642\r\n"


# ---- cluster service ------------------------------------------------------------------------------


def test_cluster_node_stop_and_start(rig: PSRig) -> None:
    out, err, code = _cmd(rig, "EXNODE1", "cluster node EXNODE2 /stop")
    assert (out, err, code) == (
        "\r\nAttempting to stop the cluster service on node 'EXNODE2'\r\n"
        "\r\nThe cluster service has been successfully stopped.\r\n",
        "",
        0,
    )
    assert rig.engine.node("EXNODE2").state is NodeState.DOWN
    assert _cmd(rig, "EXNODE1", "cluster node EXNODE2 /stop")[0].endswith(
        "\r\nThe cluster service has already been stopped.\r\n"
    )
    # On the stopped node itself cluster.exe cannot open the cluster.
    assert _cmd(rig, "EXNODE2", "cluster node EXNODE2 /start")[2] == 1722
    out, _, code = _cmd(rig, "EXNODE1", "cluster node EXNODE2 /start /wait")
    assert code == 0 and out == (
        "\r\nAttempting to start the cluster service on node 'EXNODE2'\r\n"
        "\r\nThe cluster service has been successfully started.\r\n"
    )
    assert rig.engine.node("EXNODE2").state is NodeState.UP
    assert _cmd(rig, "EXNODE1", "cluster node EXNODE2 /start")[0].endswith(
        "\r\nThe cluster service is already running.\r\n"
    )


def test_net_stop_clussvc_moves_the_groups_away(rig: PSRig) -> None:
    out, _, code = _cmd(rig, "EXNODE1", "net stop clussvc")
    assert code == 0 and "The Cluster Service service was stopped successfully." in out
    _wait(lambda: all(g.owner == "EXNODE2" for g in rig.engine.groups()))
    _wait(lambda: rig.engine.cms_status().state is CmsState.ONLINE)
    assert _cmd(rig, "EXNODE1", "net start clussvc")[2] == 0
    _wait(lambda: rig.engine.node("EXNODE1").state is NodeState.UP)


def test_shutdown_restart_brings_the_node_back_up(rig: PSRig) -> None:
    assert _cmd(rig, "EXNODE2", "shutdown /r /t 0") == ("", "", 0)
    _wait(lambda: rig.engine.node("EXNODE2").state is NodeState.DOWN)
    _wait(lambda: rig.engine.node("EXNODE2").state is NodeState.UP)
    assert rig.engine.node("EXNODE2").services["ClusSvc"]


# ---- services --------------------------------------------------------------------------------------


def test_extra_services_seen_stopped_and_started_by_net_and_powershell(rig: PSRig) -> None:
    r = rig.cmd("Get-Service HealthService", node="EXNODE2")
    assert r.out == (
        "\r\nStatus   Name               DisplayName                           \r\n"
        "------   ----               -----------                           \r\n"
        "Running  HealthService      OpsMgr Health Service                 \r\n\r\n\r\n"
    )
    assert "Cannot find any service with service name 'HealthService'." in unwrap(
        rig.cmd("Get-Service HealthService", node="EXNODE1").err
    )
    out, _, code = _cmd(rig, "EXNODE2", 'net stop "OpsMgr Health Service"')
    assert code == 0 and out.endswith("The OpsMgr Health Service service was stopped successfully.\r\n\r\n")
    r = rig.cmd(
        "(Get-Service HealthService).Status; Start-Service HealthService; (Get-Service HealthService).Status;"
        " Restart-Service RemoteRegistry -PassThru | ForEach-Object { $_.Status }",
        node="EXNODE2",
    )
    assert (r.out, r.err) == ("Stopped\r\nRunning\r\nRunning\r\n", "")
    restarts = [
        r.value("param2")
        for r in rig.journal.records("EXNODE2", "System")
        if r.event_id == 7036 and r.value("param1") == "Remote Registry"
    ]
    assert restarts == ["stopped", "running"]


def test_services_of_a_topology_node(rig: PSRig) -> None:
    topo = topology_from_json(
        {
            "nodes": [
                {"name": "MB1", "services": [{"name": "Argent", "display_name": "Argent Guardian Agent"}]},
                {
                    "name": "MB2",
                    "services": [
                        {"name": "TivoliAgent", "display_name": "IBM Tivoli Monitoring", "running": False}
                    ],
                },
            ]
        }
    )
    r2 = PSRig(topo)
    try:
        r = r2.cmd(
            "Get-Service TivoliAgent | ForEach-Object { $_.Status }; Start-Service TivoliAgent;"
            " (Get-Service TivoliAgent).Status",
            node="MB2",
        )
        assert r.out == "Stopped\r\nRunning\r\n"
        assert r2.cmd(
            "(Get-WmiObject Win32_Service -Filter \"Name='Argent'\").DisplayName", node="MB1"
        ).out == ("Argent Guardian Agent\r\n")
    finally:
        r2.close()


# ---- setup media and disks ------------------------------------------------------------------------


def test_setup_media_is_readable_as_an_admin_tool_reads_it(rig: PSRig) -> None:
    r = rig.cmd(
        "Test-Path 'D:\\Exchange2007SP2'; Test-Path 'D:\\Exchange2007SP2\\setup.com' -PathType Leaf;"
        " Test-Path 'D:\\Exchange2007SP2' -PathType Leaf; Test-Path 'D:\\Exchange2007SP1';"
        " (Get-Item 'D:\\Exchange2007SP2\\setup.com').VersionInfo.ProductVersion;"
        " (Get-Item 'D:\\Exchange2007SP2\\Setup\\ServerRoles\\Common\\ExSetup.exe').VersionInfo.FileVersion;"
        " (Get-Item 'D:\\Exchange2007SP2').PSIsContainer",
        node="EXNODE2",
    )
    assert r.out == "True\r\nTrue\r\nFalse\r\nFalse\r\n08.02.0176.002\r\n08.02.0176.002\r\nTrue\r\n"
    r = rig.cmd("Get-ChildItem 'D:\\Exchange2007SP2' | ForEach-Object { $_.Name }")
    assert r.out == "Setup\r\nexchangeserver.msi\r\nsetup.com\r\nsetup.exe\r\n"
    r = rig.cmd("Get-ChildItem D:\\Updates\\*.msp | ForEach-Object { $_.Name }")
    assert r.out == "Exchange2007-KB970162-x64-EN.msp\r\nExchange2007-KB979784-x64-EN.msp\r\n"
    r = rig.cmd("Get-Item 'D:\\Exchange2007SP3\\setup.com'")
    assert "Cannot find path 'D:\\Exchange2007SP3\\setup.com' because it does not exist." in unwrap(r.err)
    assert "PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand" in unwrap(r.err)


def test_installed_exchange_binaries_show_the_node_build(rig: PSRig) -> None:
    exsetup = (
        "(Get-Item 'C:\\Program Files\\Microsoft\\Exchange Server\\bin\\ExSetup.exe').VersionInfo.FileVersion"
    )
    assert rig.cmd(exsetup, node="EXNODE2").out == "08.01.0240.006\r\n"
    assert _cmd(rig, "EXNODE2", f"msiexec /p {DEFAULT_UR9} /qn")[2] == 0
    assert rig.cmd(exsetup, node="EXNODE2").out == "08.01.0393.001\r\n"
    assert rig.cmd(exsetup, node="EXNODE1").out == "08.01.0240.006\r\n"


def test_system_drive_free_space_from_win32_logicaldisk(rig: PSRig) -> None:
    r = rig.cmd(
        "$d = Get-WmiObject Win32_LogicalDisk -Filter \"DeviceID='C:'\"; $d.FreeSpace; $d.Size;"
        " $d.FreeSpace.GetType().FullName; [math]::Round($d.FreeSpace / 1GB, 1)"
    )
    spec = rig.topology.node("EXNODE1")
    assert r.out == (
        f"{spec.system_drive_free_mb * 1048576}\r\n{spec.system_drive_size_mb * 1048576}\r\n"
        "System.UInt64\r\n20.9\r\n"
    )


def test_setup_com_outside_the_media_folder_from_powershell(rig: PSRig) -> None:
    r = rig.cmd("setup.com /mode:upgrade", node="EXNODE2")
    assert unwrap(r.err).startswith(
        "The term 'setup.com' is not recognized as the name of a cmdlet, function, script file, or "
        "operable program."
    )
    assert "CommandNotFoundException" in unwrap(r.err)
    r = rig.cmd(
        "Stop-Service HealthService; & 'D:\\Exchange2007SP2\\setup.com' /mode:upgrade; $LASTEXITCODE",
        node="EXNODE2",
    )
    assert r.err == "" and r.out.endswith(
        "The Microsoft Exchange Server setup operation completed successfully.\r\n0\r\n"
    )
    assert rig.engine.node("EXNODE2").exchange_version == "8.2.176.2"


def test_sc_queries_stops_and_starts_services(rig: PSRig) -> None:
    out, _, code = _cmd(rig, "EXNODE2", "sc query HealthService")
    assert code == 0 and out == (
        "\r\nSERVICE_NAME: HealthService \r\n"
        "        TYPE               : 10  WIN32_OWN_PROCESS  \r\n"
        "        STATE              : 4  RUNNING \r\n"
        "                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\r\n"
        "        WIN32_EXIT_CODE    : 0  (0x0)\r\n"
        "        SERVICE_EXIT_CODE  : 0  (0x0)\r\n"
        "        CHECKPOINT         : 0x0\r\n"
        "        WAIT_HINT          : 0x0\r\n"
    )
    out, _, code = _cmd(rig, "EXNODE2", "sc stop HealthService")
    assert code == 0 and "        STATE              : 3  STOP_PENDING \r\n" in out
    assert not rig.engine.service_running("EXNODE2", "HealthService")
    assert "STATE              : 1  STOPPED \r\n" in _cmd(rig, "EXNODE2", "sc query HealthService")[0]
    out, _, code = _cmd(rig, "EXNODE2", "sc stop HealthService")
    assert (out, code) == (
        "[SC] ControlService FAILED 1062:\r\n\r\nThe service has not been started.\r\n\r\n",
        1062,
    )
    out, _, code = _cmd(rig, "EXNODE2", "sc start HealthService")
    assert code == 0 and "STATE              : 2  START_PENDING \r\n" in out
    assert rig.engine.service_running("EXNODE2", "HealthService")
    assert _cmd(rig, "EXNODE2", "sc start HealthService")[2] == 1056
    out, _, code = _cmd(rig, "EXNODE1", "sc query HealthService")
    assert code == 1060 and out.startswith("[SC] EnumQueryServicesStatus:OpenService FAILED 1060:")
    assert _cmd(rig, "EXNODE2", "sc stop RemoteRegistry", admin=False)[2] == 5


def test_setup_com_from_the_media_folder_as_current_location(rig: PSRig) -> None:
    r = rig.cmd(
        "Stop-Service HealthService; Set-Location 'D:\\Exchange2007SP2'; (Get-Location).Path;"
        " .\\setup.com /mode:upgrade | Select-Object -Last 1; $LASTEXITCODE",
        node="EXNODE2",
    )
    assert (r.out, r.err) == (
        "D:\\Exchange2007SP2\r\n"
        "The Microsoft Exchange Server setup operation completed successfully.\r\n0\r\n",
        "",
    )
    # PowerShell does not run programs from the current location by bare name.
    r = rig.cmd("cd D:\\Exchange2007SP2; setup.com /upgradecms", node="EXNODE2")
    assert "CommandNotFoundException" in unwrap(r.err)
    r = rig.cmd("Set-Location D:\\Nope")
    assert "Cannot find path 'D:\\Nope' because it does not exist." in unwrap(r.err)


def test_logical_disks_of_another_node() -> None:
    topo = topology_from_json({"nodes": [{"name": "MB1"}, {"name": "MB2", "system_drive_free_mb": 512}]})
    rig = PSRig(topo)
    try:
        r = rig.cmd(
            "(Get-WmiObject Win32_LogicalDisk -ComputerName MB2 -Filter \"DeviceID='C:'\").FreeSpace;"
            " (Get-WmiObject Win32_LogicalDisk -Filter \"DeviceID='C:'\").__SERVER",
            node="MB1",
        )
        assert r.out == f"{512 * 1048576}\r\nMB1\r\n"
    finally:
        rig.close()


def test_start_wait_returns_msiexec_exit_code_and_start_alone_does_not_wait(rig: PSRig) -> None:
    assert _cmd(rig, "EXNODE2", 'start /wait "" msiexec /p D:\\Updates\\missing.msp /qn')[2] == 1619
    assert _cmd(rig, "EXNODE2", f"start /wait msiexec /p {DEFAULT_UR9} /qn") == ("", "", 0)
    assert rig.engine.node("EXNODE2").file_build == "8.1.393.1"
    rig.engine.stop_cms("patch node 1")
    _wait(lambda: rig.engine.cms_status().state is CmsState.OFFLINE)
    rig.engine.move_cms("EXNODE2", "patch node 1")
    # Without /wait start returns at once with 0; the install finishes in the background.
    assert (
        _cmd(rig, "EXNODE1", f'start "UR9" msiexec /p {SP2_UR3} /qn && start msiexec /p {DEFAULT_UR9} /qn')[2]
        == 0
    )
    _wait(lambda: rig.engine.node("EXNODE1").file_build == "8.1.393.1")


def test_start_process_wait_passthru_gives_msiexec_exit_code(rig: PSRig) -> None:
    r = rig.cmd(
        "$p = Start-Process msiexec -ArgumentList '/p','D:\\Updates\\missing.msp','/qn' -Wait -PassThru;"
        f" $p.ExitCode; $p.HasExited; (Start-Process msiexec.exe -ArgumentList '/p {DEFAULT_UR9} /qn'"
        " -Wait -PassThru).ExitCode",
        node="EXNODE2",
    )
    assert (r.out, r.err) == ("1619\r\nTrue\r\n0\r\n", "")
    assert rig.engine.node("EXNODE2").file_build == "8.1.393.1"
    r = rig.cmd("Start-Process nosuch.exe", node="EXNODE2")
    assert "The system cannot find the file specified." in unwrap(r.err)
