"""Every command line and PowerShell script the backend runs, built only from quoted values.

Why one module: the confirmation dialog shows exactly these strings (in the plans built by
`ccrgui.remote.planner`), the audit log records them, and a reviewer can check in one place that
every name goes through `ccrgui.quoting`.  Script sections append to `$o` under headers
carrying the per-session marker `$m` (see `ccrgui.remote.shells.frame_script`).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

from ccrgui import quoting
from ccrgui.remote.parsers.mscluster import WMI_CLASSES, WMI_PROPS

CLUSTER_EXE = "cluster.exe"
SECTION_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")

# Properties read from Exchange and WMI (explicit lists: never console-width formatted text).
MAILBOX_SERVER_PROPS = ("Name", "ClusteredStorageType", "RedundantMachines", "AdminDisplayVersion")
COPY_STATUS_PROPS = (
    "Identity",
    "StorageGroupName",
    "SummaryCopyStatus",
    "Failed",
    "FailedMessage",
    "Seeding",
    "Suspend",
    "SuspendComment",
    "CopyQueueLength",
    "ReplayQueueLength",
    "LastInspectedLogTime",
    "LastCopiedLogTime",
    "LastReplayedLogTime",
)
OS_PROPS = (
    "Caption",
    "Version",
    "CSDVersion",
    "TotalVisibleMemorySize",
    "FreePhysicalMemory",
    "LastBootUpTime",
    "CurrentTimeZone",
)
CPU_PROPS = ("Name", "NumberOfLogicalProcessors")
# The installed Exchange build of each node (a CCR rolling upgrade leaves nodes at different builds
# than the CMS's AdminDisplayVersion).  Exchange 2007 keeps it under v8.0\Setup; older notes name
# the key without v8.0, so both are asked for and missing ones are ignored.
EXCHANGE_SETUP_KEYS = (
    "HKLM:\\SOFTWARE\\Microsoft\\Exchange\\v8.0\\Setup",
    "HKLM:\\SOFTWARE\\Microsoft\\Exchange\\Setup",
)
EXCHANGE_SETUP_PROPS = ("MsiProductMajor", "MsiProductMinor", "MsiBuildMajor", "MsiBuildMinor")


def _check_section(name: str) -> str:
    if not name or not set(name) <= SECTION_NAME_CHARS:
        raise ValueError(f"invalid section name {name!r}")
    return name


# ---- cluster.exe command lines (cmd shell, WINRS_SKIP_CMD_SHELL=TRUE: MSVCRT argv rules) --------


def cluster_line(*tokens: str) -> str:
    """Join cluster.exe tokens that are constants or came out of `quoting` (length-checked)."""
    return quoting.joined_line(CLUSTER_EXE, *tokens)


def cluster_read_line(keyword: str) -> str:
    """A listing such as `cluster.exe group`: the keyword is a constant of this module."""
    return cluster_line(keyword)


def group_move_line(group: str, node: str | None) -> str:
    option = quoting.cluster_option("move", node) if node else quoting.cluster_option("move")
    return cluster_line("group", quoting.cluster_name(group), option)


def group_online_line(group: str) -> str:
    return cluster_line("group", quoting.cluster_name(group), quoting.cluster_option("online"))


def group_offline_line(group: str) -> str:
    return cluster_line("group", quoting.cluster_name(group), quoting.cluster_option("offline"))


def node_pause_line(node: str) -> str:
    return cluster_line("node", quoting.cluster_name(node), quoting.cluster_option("pause"))


def node_resume_line(node: str) -> str:
    return cluster_line("node", quoting.cluster_name(node), quoting.cluster_option("resume"))


# ---- wevtutil (cmd shell, WINRS_SKIP_CMD_SHELL=TRUE) ---------------------------------------------


def wevtutil_query_args(log: str, xpath: str, count: int, newest_first: bool) -> list[str]:
    """The arguments of `wevtutil qe LOG /q:XPATH /f:RenderedXml /rd:true /c:N` (unquoted: each
    caller quotes them for its own command line)."""
    if count <= 0:
        raise ValueError("the event count must be positive")
    return [
        "qe",
        log,
        f"/q:{xpath}",
        "/f:RenderedXml",
        f"/rd:{'true' if newest_first else 'false'}",
        f"/c:{int(count)}",
    ]


def wevtutil_query_line(log: str, xpath: str, count: int, newest_first: bool) -> str:
    """`wevtutil qe LOG /q:XPATH /f:RenderedXml /rd:true /c:N`; the XPath is the caller's filter."""
    return quoting.cmd_line("wevtutil.exe", *wevtutil_query_args(log, xpath, count, newest_first))


def compressed_events_section(name: str, log: str, xpath: str, count: int, newest_first: bool) -> str:
    """The same wevtutil query run inside PowerShell, its output gzip-compressed on the node and
    sent as one base64 line (section exit code 0); wevtutil's own error text as it printed it
    when it fails (the section's exit code is wevtutil's).

    Why: the XML of 100,000 events is ~100 MB, and WinRM hands it over in Receives of at most
    ~112 KB (MaxEnvelopeSizekb 150): ~900 round trips.  Rendered event XML compresses 10-20
    times even with .NET 2.0's GZipStream (PowerShell 2.0: IO.Compression.GZipStream over an
    IO.MemoryStream).  Lines are joined with CRLF as wevtutil wrote them (never `Out-String`,
    which breaks lines at the host's 80 columns)."""
    name = _check_section(name)
    args = wevtutil_query_args(log, xpath, count, newest_first)
    call = " ".join(["&", "wevtutil.exe", *(quoting.ps_native_arg(a) for a in args)])
    return (
        "try {\n"
        "  $ErrorActionPreference = 'Continue'\n"  # native stderr must not become a terminating error
        f"  $r = {call} 2>&1\n"
        "  $c = $LASTEXITCODE\n"
        "  $ErrorActionPreference = 'Stop'\n"
        "  if ($c -ne 0) {\n"
        f"    $o = $o + $m + ':S:{name}:' + $c + \"`n\" + ($r | Out-String) + \"`n\"\n"
        "  } else {\n"
        "    $b = [Text.Encoding]::UTF8.GetBytes(($r -join \"`r`n\"))\n"
        "    $s = New-Object IO.MemoryStream\n"
        "    $z = New-Object IO.Compression.GZipStream($s, [IO.Compression.CompressionMode]::Compress)\n"
        "    $z.Write($b, 0, $b.Length)\n"
        "    $z.Close()\n"
        f"    $o = $o + $m + ':S:{name}:0' + \"`n\" + [Convert]::ToBase64String($s.ToArray()) + \"`n\"\n"
        "    $r = $null; $b = $null; $s = $null; $z = $null\n"
        "  }\n" + _catch(name)
    )


# ---- PowerShell sections ---------------------------------------------------------------------


def _catch(name: str) -> str:
    return (
        "} catch {\n"
        f"  $o = $o + $m + ':X:{name}:' + ($_.Exception.Message -replace \"`r?`n\", ' ') + \"`n\"\n"
        "}\n"
    )


def native_section(name: str, program: str, args: Sequence[str]) -> str:
    """Run a native program inside the script; its text and exit code become a section."""
    name = _check_section(name)
    if not program.replace(".", "").isalnum():
        raise ValueError(f"invalid program name {program!r}")
    call = " ".join(["&", program, *(quoting.ps_native_arg(a) for a in args)])
    return (
        "try {\n"
        "  $ErrorActionPreference = 'Continue'\n"  # native stderr must not become a terminating error
        f"  $r = {call} 2>&1 | Out-String\n"
        "  $c = $LASTEXITCODE\n"
        "  $ErrorActionPreference = 'Stop'\n"
        f'  $o = $o + $m + \':S:{name}:\' + $c + "`n" + $r + "`n"\n' + _catch(name)
    )


def xml_section(name: str, pipeline: str) -> str:
    """A cmdlet pipeline (already quoted) whose objects come back as ConvertTo-Xml text."""
    name = _check_section(name)
    return (
        "try {\n"
        f"  $r = {pipeline} | ConvertTo-Xml -As String\n"
        f'  $o = $o + $m + \':S:{name}:0\' + "`n" + $r + "`n"\n' + _catch(name)
    )


def action_section(name: str, command: str) -> str:
    """An action cmdlet (already quoted): its output text, or the error Windows gave."""
    name = _check_section(name)
    return (
        "try {\n"
        f"  $r = {command} | Out-String\n"
        f'  $o = $o + $m + \':S:{name}:0\' + "`n" + $r + "`n"\n' + _catch(name)
    )


def select(props: Sequence[str]) -> str:
    return "Select-Object " + ",".join(props)


def cluster_read_section(name: str, keyword: str) -> str:
    return native_section(name, CLUSTER_EXE, [keyword])


# The cluster WMI provider: names, states, owners and membership as XML values (no console table
# to guess from).  Read in PowerShell without the Exchange snap-in, so the first snapshot can run
# it in a plain powershell.exe while the snap-in loads (`cold_wmi_line`).  Not `wmic ... /format:
# rawxml`: no real capture of its layout for this provider was found, and wmic's output goes
# through a code-page conversion that may not carry every character of a name (unconfirmed),
# while ConvertTo-Xml text reaches us as UTF-8 through the same framing as the Exchange reads.
MSCLUSTER_NAMESPACE = "root\\MSCluster"
POWERSHELL_PLAIN = ("powershell", "-NoLogo", "-NoProfile", "-NonInteractive", "-EncodedCommand")


def wmi_pipeline(read: str) -> str:
    """`Get-WmiObject` of one root\\MSCluster class (constants of `parsers.mscluster`)."""
    # Packet privacy: the cluster provider refuses weaker authentication levels.
    return (
        f"Get-WmiObject -Namespace {MSCLUSTER_NAMESPACE} -Class {WMI_CLASSES[read]} "
        "-Authentication PacketPrivacy | " + select(WMI_PROPS[read])
    )


def cold_wmi_line(script: str) -> str:
    """A plain powershell.exe (no snap-in) running `script`, for the cmd shell: the script goes
    base64-encoded (UTF-16LE, -EncodedCommand), so no value in it is ever parsed by a shell."""
    encoded = base64.b64encode(script.encode("utf-16-le")).decode("ascii")
    return " ".join((*POWERSHELL_PLAIN, encoded))


def cms_status_pipeline(cms: str | None) -> str:
    ident = f" -Identity {quoting.ps_literal(cms)}" if cms else ""
    return "Get-ClusteredMailboxServerStatus" + ident


def mailbox_servers_pipeline() -> str:
    return "Get-MailboxServer | " + select(MAILBOX_SERVER_PROPS)


def copy_status_pipeline(cms: str) -> str:
    return f"Get-StorageGroupCopyStatus -Server {quoting.ps_literal(cms)} | " + select(COPY_STATUS_PROPS)


def os_pipeline() -> str:
    return "Get-WmiObject Win32_OperatingSystem | " + select(OS_PROPS)


def cpu_pipeline() -> str:
    return "Get-WmiObject Win32_Processor | " + select(CPU_PROPS)


def exchange_setup_pipeline() -> str:
    keys = ",".join(quoting.ps_literal(k) for k in EXCHANGE_SETUP_KEYS)
    return f"Get-ItemProperty {keys} -ErrorAction SilentlyContinue | " + select(EXCHANGE_SETUP_PROPS)


# ---- Exchange actions (one line each: what the confirmation dialog shows) ------------------------


def move_cms_command(cms: str, node: str, comment: str, *, validate_only: bool = False) -> str:
    parts = [
        "Move-ClusteredMailboxServer",
        "-Identity",
        quoting.ps_literal(cms),
        "-TargetMachine",
        quoting.ps_literal(node),
        "-MoveComment",
        quoting.ps_literal(comment),
    ]
    if validate_only:
        parts.append("-ValidateOnly")
    parts.append("-Confirm:$false")
    return " ".join(parts)


def start_cms_command(cms: str) -> str:
    return f"Start-ClusteredMailboxServer -Identity {quoting.ps_literal(cms)} -Confirm:$false"


def stop_cms_command(cms: str, reason: str) -> str:
    return (
        f"Stop-ClusteredMailboxServer -Identity {quoting.ps_literal(cms)} "
        f"-StopReason {quoting.ps_literal(reason)} -Confirm:$false"
    )


def suspend_copy_command(identity: str, comment: str) -> str:
    return (
        f"Suspend-StorageGroupCopy -Identity {quoting.ps_literal(identity)} "
        f"-SuspendComment {quoting.ps_literal(comment)} -Confirm:$false"
    )


def resume_copy_command(identity: str) -> str:
    return f"Resume-StorageGroupCopy -Identity {quoting.ps_literal(identity)} -Confirm:$false"


def update_copy_command(identity: str) -> str:
    return f"Update-StorageGroupCopy -Identity {quoting.ps_literal(identity)} -Force -Confirm:$false"


@dataclass(frozen=True)
class ReadItem:
    """One cluster-wide read of a snapshot, runnable on any node."""

    name: str
    cost_s: float  # rough server-side cost, used to spread reads over the nodes
    keyword: str = ""  # cluster.exe listing keyword, or "" for a WMI or an Exchange read

    @property
    def wmi(self) -> bool:
        return self.name in WMI_CLASSES

    def section(self, cms: str | None) -> str:
        if self.wmi:
            return xml_section(self.name, wmi_pipeline(self.name))
        if self.keyword:
            return native_section(self.name, CLUSTER_EXE, [self.keyword])
        if self.name == "cms":
            return cms_status_section(cms)
        if self.name == "mbx":
            return xml_section("mbx", mailbox_servers_pipeline())
        if self.name == "copies":
            return copy_status_section(cms)
        if self.name == "mbxdb" and cms:
            return databases_section(cms)
        raise ValueError(f"unknown read {self.name!r}")


def cms_status_section(cms: str | None) -> str:
    """The CMS status; also leaves the CMS name in `$cmsName` for `copy_status_section`."""
    known = f"$cmsName = {quoting.ps_literal(cms)}\n" if cms else ""
    return (
        known + "try {\n"
        f"  $s = @({cms_status_pipeline(cms)})\n"
        "  $r = $s | ConvertTo-Xml -As String\n"
        '  $o = $o + $m + \':S:cms:0\' + "`n" + $r + "`n"\n'
        "  if ($s.Count -gt 0) { $cmsName = [string]$s[0].Identity }\n" + _catch("cms")
    )


def copy_status_section(cms: str | None) -> str:
    """Copy status of the CMS named `cms`, or of the one the status section found."""
    known = f"$cmsName = {quoting.ps_literal(cms)}\n" if cms else ""
    return known + xml_section(
        "copies", "Get-StorageGroupCopyStatus -Server $cmsName | " + select(COPY_STATUS_PROPS)
    )


# Names, states, owners, membership, types, network roles and interface facts come from WMI.
# cluster.exe remains only where WMI on Windows Server 2008 has nothing: the quorum listing, and
# (static, below) the node IDs (MSCluster_Node.Id arrives with Windows Server 2012).
WMI_READS = tuple(ReadItem(name, 0.05) for name in WMI_CLASSES)
CLUSTER_READS = (*WMI_READS, ReadItem("quorum", 0.08, "/quorum"))
EXCHANGE_READS = (ReadItem("mbx", 0.05), ReadItem("cms", 0.05), ReadItem("copies", 0.05))
DATABASES_READ = ReadItem("mbxdb", 0.3)  # carried only when due (see the session)

# Facts that rarely change (the cluster's name, the node IDs): read on the first snapshot, again
# when the names change or every few minutes.  (Preferred owners and the groups' failover
# policies are WMI reads of every snapshot: MSCluster_ResourceGroupToPreferredNode and
# MSCluster_ResourceGroup's common properties, one read each for all groups.)
STATIC_READS = (ReadItem("clusterprops", 0.08, "/prop"), ReadItem("nodeids", 0.08, "node"))
def details_sections() -> str:
    """Per-node facts (each node answers for itself)."""
    return (
        xml_section("os", os_pipeline())
        + xml_section("cpu", cpu_pipeline())
        + xml_section("exsetup", exchange_setup_pipeline())
    )


# ---- node maintenance and the rolling upgrade (issue 11) -----------------------------------------

SETUP_PROGRAM = "setup.com"  # the console setup; setup.exe (GUI) is not supported on a CMS node
SHUTDOWN_DELAY_S = 60  # leaves the WinRS call time to come back before the node goes down
SHUTDOWN_COMMENT = "Restarted by ccrgui for Exchange maintenance"


def node_stop_clussvc_line(node: str) -> str:
    return cluster_line("node", quoting.cluster_name(node), "/stop")


def node_start_clussvc_line(node: str) -> str:
    return cluster_line("node", quoting.cluster_name(node), "/start", "/wait")


def restart_node_line() -> str:
    """shutdown.exe on the node itself (a planned restart with a comment)."""
    return quoting.cmd_line(
        "shutdown.exe", "/r", "/t", str(SHUTDOWN_DELAY_S), "/d", "p:4:1", "/c", SHUTDOWN_COMMENT
    )


def service_command(verb: str, service: str) -> str:
    """Stop-Service / Start-Service / Restart-Service NAME (they wait for the service's state)."""
    if verb not in ("Stop", "Start", "Restart"):
        raise ValueError(f"invalid service verb {verb!r}")
    return f"{verb}-Service -Name {quoting.ps_literal(service)}"


def setup_path(folder: str) -> str:
    """The full path of setup.com in the setup files folder (a relative path is refused)."""
    folder = folder.rstrip("\\")
    if len(folder) < 2 or not (folder[1] == ":" or folder.startswith("\\\\")):
        raise quoting.UnsafeValueError(folder, "the setup files folder must be a full path such as D:\\SP2")
    return folder + "\\" + SETUP_PROGRAM


def setup_upgrade_line(folder: str) -> str:
    return quoting.cmd_line(setup_path(folder), "/mode:upgrade")


def setup_upgrade_cms_line(folder: str) -> str:
    return quoting.cmd_line(setup_path(folder), "/upgradecms")


def rollup_line(msp: str) -> str:
    """msiexec /p FILE.msp /qn: quiet; exit 0, 3010 (reboot required) or an MSI error."""
    if not msp.casefold().endswith(".msp") or len(msp) < 3 or not (msp[1] == ":" or msp.startswith("\\\\")):
        raise quoting.UnsafeValueError(msp, "the update rollup must be a full path to a .msp file")
    return quoting.cmd_line("msiexec.exe", "/p", msp, "/qn")


def upgrade_facts_sections(folder: str, msp: str) -> str:
    """What the upgrade's pre-checks read on one node: the setup folder and setup.com's build,
    the rollup package, free space on the system drive and the services."""
    parts = [
        xml_section("services", "Get-Service | " + select(("Name", "DisplayName", "Status"))),
        xml_section(
            "disk",
            # The system drive (setup.com unpacks and copies there), whatever its letter.
            "Get-WmiObject Win32_LogicalDisk -Filter (\"DeviceID='\" + $env:SystemDrive + \"'\") | "
            + select(("DeviceID", "FreeSpace", "Size")),
        ),
    ]
    if folder:
        test = f"Test-Path -Path {quoting.ps_literal(folder)} -PathType Container"
        parts.append(xml_section("folder", test))
        item = f"(Get-Item -Path {quoting.ps_literal(setup_path(folder))}).VersionInfo | "
        parts.append(xml_section("setup", item + select(("ProductVersion", "FileVersion"))))
    if msp:
        parts.append(xml_section("msp", f"Test-Path -Path {quoting.ps_literal(msp)} -PathType Leaf"))
    # Update rollups change the files' versions, not the registry's build: ask ExSetup.exe.
    exsetup = '(Get-Item -Path "$env:ExchangeInstallPath\\bin\\ExSetup.exe").VersionInfo | '
    parts.append(xml_section("exsetup", exsetup + select(("FileVersion",))))
    return "".join(parts)
# ---- issue 12: databases, replication health, failover policy, witness ---------------------------

DATABASE_PROPS = (
    "Name",
    "Identity",
    "StorageGroup",
    "Server",
    "EdbFilePath",
    "Mounted",
    "BackupInProgress",
    "LastFullBackup",
    "LastIncrementalBackup",
    "LastDifferentialBackup",
    "LastCopyBackup",
)


def databases_section(cms: str) -> str:
    """Get-MailboxDatabase -Status of the CMS: mount state and backup times (the store answers,
    so it is slower than the directory reads: read on demand, not in every snapshot)."""
    pipeline = f"Get-MailboxDatabase -Server {quoting.ps_literal(cms)} -Status | " + select(DATABASE_PROPS)
    return xml_section("mbxdb", pipeline)


def replication_health_section() -> str:
    """Test-ReplicationHealth checks the node it runs on (Exchange 2007 has no -Identity)."""
    return xml_section("replhealth", "Test-ReplicationHealth")


def witness_section(share: str) -> str:
    """Whether the file share witness answers from this node: Test-Path prints True or False."""
    return action_section("witness", f"Test-Path -Path {quoting.ps_literal(share)}")


def mount_database_command(identity: str) -> str:
    return f"Mount-Database -Identity {quoting.ps_literal(identity)} -Confirm:$false"


def dismount_database_command(identity: str) -> str:
    return f"Dismount-Database -Identity {quoting.ps_literal(identity)} -Confirm:$false"


def group_setowners_line(group: str, owners: Sequence[str]) -> str:
    """`cluster.exe group "G" /setowners:N1,N2`: the order is the preference order.  cluster.exe
    splits the list at commas, so a node name holding one cannot be passed."""
    for node in owners:
        quoting.cluster_name(node)  # the same checks as any node name
        if "," in node:
            raise quoting.UnsafeValueError(node, "a node name with a comma cannot be listed for /setowners")
    if not owners:
        raise quoting.UnsafeValueError("", "the preferred owners list is empty")
    option = quoting.cluster_option("setowners", ",".join(owners))
    return cluster_line("group", quoting.cluster_name(group), option)


def group_prop_line(group: str, values: dict[str, int]) -> str:
    """`cluster.exe group "G" /prop Name=Value ...` for common DWORD properties."""
    if not values:
        raise ValueError("no property to write")
    tokens = []
    for name, value in values.items():
        if not name.isalnum():
            raise ValueError(f"invalid property name {name!r}")
        tokens.append(f"{name}={int(value)}")
    return cluster_line("group", quoting.cluster_name(group), quoting.cluster_option("prop"), *tokens)
