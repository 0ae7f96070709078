"""Exchange 2007 SP1 snap-in cmdlets for a CCR clustered mailbox server, acting on the engine.

Property names and order: Get-ExchangeServer follows the VERBATIM EMS console sample; the
Get-StorageGroupCopyStatus list starts with the documented fields (Identity, StorageGroupName,
SummaryCopyStatus, Failed, FailedMessage, Seeding, Suspend, SuspendComment, CopyQueueLength,
ReplayQueueLength) and continues with the SP1 log fields (INFERRED order).  The
ClusteredMailboxServerStatus fields are the documented/script-used ones (INFERRED order).
Error ids are "<8 hex>,<task class>" like real Exchange task errors; the hex part is derived from
the engine's error key (the real values were not found).
"""

from __future__ import annotations

import datetime as dt
import zlib
from typing import TYPE_CHECKING, Any

from ccrgui.lab.engine import LabError

from ..cmdlet import Cmdlet, CmdletContext, Param
from ..errors import ErrorRecord, PSRuntimeError
from ..operators import like
from ..values import Int64, PSEnum, PSObject, PSProperty, StrArray, TimeSpan, UInt32, to_bool, to_string

if TYPE_CHECKING:
    from ccrgui.lab.engine import ClusterEngine, CmsInfo, CopyInfo, LabError

SNAPIN = "Microsoft.Exchange.Management.PowerShell.Admin"
NS = "Microsoft.Exchange.Management.SystemConfigurationTasks."
DC = "DC1"


def _engine(ctx: CmdletContext) -> ClusterEngine:
    host = ctx.interp.host
    assert host is not None
    return host.engine


def _fqdn(ctx: CmdletContext, name: str) -> str:
    host = ctx.interp.host
    domain = host.topology.domain.lower() if host else "contoso"
    return f"{name}.{domain}.com"


def _local(when: dt.datetime | None) -> dt.datetime | None:
    """Engine times are aware UTC; the nodes run on UTC, shown as local (naive) times."""
    if when is None:
        return None
    return when.astimezone(dt.UTC).replace(tzinfo=None) if when.tzinfo else when


def error_id(key: str, cmdlet: Cmdlet) -> str:
    return f"{zlib.crc32(key.encode()):08X},{cmdlet.class_name}"


def lab_error(ctx: CmdletContext, exc: LabError, target: Any, target_type: str) -> ErrorRecord:
    key = exc.error_id or f"Win32Error{exc.code}"
    category = exc.category
    reason = {
        "InvalidArgument": "ArgumentException",
        "InvalidOperation": "InvalidOperationException",
        "ObjectNotFound": "ManagementObjectNotFoundException",
        "PermissionDenied": "UnauthorizedAccessException",
    }.get(category, "InvalidOperationException")
    if exc.code == 5:
        category, reason = "PermissionDenied", "UnauthorizedAccessException"
    elif exc.code == 1722:
        category, reason = "ResourceUnavailable", "ClusterException"
    elif key == "StorageGroupNotFound":
        category, reason = "InvalidArgument", "ManagementObjectNotFoundException"
    rec = ctx.error(
        message=exc.message,
        error_id=error_id(key, ctx.cmdlet),
        category=category,
        target=to_string(target) if target is not None else None,
        target_type=target_type,
        reason=reason,
        exception_type="Microsoft.Exchange.Data." + reason,
    )
    return rec


def not_found(ctx: CmdletContext, ident: str, type_name: str) -> ErrorRecord:
    return ctx.error(
        message=(
            f"The operation could not be performed because object '{ident}' could not be found on domain "
            f"controller '{_fqdn(ctx, DC)}'."
        ),
        error_id=error_id("ManagementObjectNotFound", ctx.cmdlet),
        category="InvalidArgument",
        target=ident,
        target_type=type_name,
        reason="ManagementObjectNotFoundException",
        exception_type="Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
    )


def _check_identity(ctx: CmdletContext, param: str, type_name: str) -> bool:
    """The CMS is the only mailbox server here; anything else is not found (non-terminating)."""
    host = ctx.interp.host
    assert host is not None
    ident = ctx.get(param)
    if ident is None:
        return True
    text = to_string(ident)
    cms = host.topology.cms_name
    if text.casefold() in (cms.casefold(), _fqdn(ctx, cms).casefold()):
        return True
    ctx.write_error(not_found(ctx, text, type_name))
    return False


def _run(ctx: CmdletContext, fn: Any, target: Any, target_type: str) -> bool:
    """Call an engine action; a refusal becomes a terminating error."""
    try:
        fn()
    except LabError as exc:
        raise PSRuntimeError(lab_error(ctx, exc, target, target_type)) from None
    return True


def _confirm(ctx: CmdletContext, action: str, target: str) -> None:
    """High-impact tasks ask for confirmation; a -NonInteractive host cannot ask."""
    if "Confirm" in ctx.args and not to_bool(ctx.args["Confirm"]):
        return
    if ctx.interp.noninteractive:
        raise PSRuntimeError(
            ctx.error(
                message=(
                    "Windows PowerShell is in NonInteractive mode. "
                    "Read and Prompt functionality is not available."
                ),
                error_id="InvalidOperation",
                category="ResourceUnavailable",
                reason="PSInvalidOperationException",
                exception_type="System.Management.Automation.PSInvalidOperationException",
            )
        )
    del action, target


def _whatif(ctx: CmdletContext, text: str) -> bool:
    if to_bool(ctx.args.get("WhatIf", False)):
        ctx.interp.io.write(f"What if: {text}\r\n")
        return True
    return False


def _admin(ctx: CmdletContext, target: Any, target_type: str) -> None:
    eng = _engine(ctx)
    _run(ctx, lambda: eng.require_admin(ctx.interp.account), target, target_type)


def _user(ctx: CmdletContext) -> str:
    acc = ctx.interp.account
    return acc.qualified if acc else "CONTOSO\\Administrator"


# ---- objects ----------------------------------------------------------------------------------


def cms_status_object(ctx: CmdletContext, info: CmsInfo) -> PSObject:
    state = PSEnum(NS + "ClusteredMailboxServerState", info.state.value)
    props = [
        PSProperty("Identity", info.name, "Microsoft.Exchange.Data.ObjectId"),
        PSProperty("ClusteredMailboxServerName", _fqdn(ctx, info.name), "System.String"),
        PSProperty("State", state, state.type_name),
        PSProperty("OperationalMachines", StrArray(info.operational_machines), "System.String[]"),
        PSProperty("FailedResources", StrArray(info.failed_resources), "System.String[]"),
        PSProperty("OperationalReplicationHostNames", StrArray(), "System.String[]"),
        PSProperty("FailedReplicationHostNames", StrArray(), "System.String[]"),
        PSProperty("InUseReplicationHostNames", StrArray(), "System.String[]"),
        PSProperty("IsValid", True, "System.Boolean"),
    ]
    return PSObject(NS + "ClusteredMailboxServerStatus", props, to_string=info.name, default_view="list")


def copy_status_object(info: CopyInfo) -> PSObject:
    status = PSEnum(NS + "CopyStatus", info.status.value)
    t = "System.Nullable`1[[System.DateTime]]"
    props = [
        PSProperty("Identity", info.identity, "Microsoft.Exchange.Data.ObjectId"),
        PSProperty("StorageGroupName", info.storage_group, "System.String"),
        PSProperty("SummaryCopyStatus", status, status.type_name),
        PSProperty("Failed", info.failed, "System.Boolean"),
        PSProperty("FailedMessage", info.failed_message or None, "System.String"),
        PSProperty("Seeding", info.seeding, "System.Boolean"),
        PSProperty("Suspend", info.suspended, "System.Boolean"),
        PSProperty("SuspendComment", info.suspend_comment or None, "System.String"),
        PSProperty("CopyQueueLength", Int64(info.copy_queue_length), "System.Int64"),
        PSProperty("ReplayQueueLength", Int64(info.replay_queue_length), "System.Int64"),
        PSProperty("LatestAvailableLogTime", _local(info.latest_available_log_time), t),
        PSProperty("LastCopyNotificationedLogTime", _local(info.last_copied_log_time), t),
        PSProperty("LastCopiedLogTime", _local(info.last_copied_log_time), t),
        PSProperty("LastInspectedLogTime", _local(info.last_inspected_log_time), t),
        PSProperty("LastReplayedLogTime", _local(info.last_replayed_log_time), t),
        PSProperty("LastLogGenerated", Int64(info.last_log_generated), "System.Int64"),
        PSProperty("LastLogCopyNotified", Int64(info.last_log_copied), "System.Int64"),
        PSProperty("LastLogCopied", Int64(info.last_log_copied), "System.Int64"),
        PSProperty("LastLogInspected", Int64(info.last_log_inspected), "System.Int64"),
        PSProperty("LastLogReplayed", Int64(info.last_log_replayed), "System.Int64"),
        PSProperty("LatestFullBackupTime", None, t),
        PSProperty("LatestIncrementalBackupTime", None, t),
        PSProperty("SnapshotBackup", None, "System.Nullable`1[[System.Boolean]]"),
        PSProperty(
            "OutstandingDumpsterRequests",
            [],
            "Microsoft.Exchange.Data.Directory.SystemConfiguration.DumpsterRequestEntry[]",
        ),
        PSProperty("DumpsterServersNotAvailable", [], "System.String[]"),
        PSProperty("DumpsterStatistics", None, "System.String[]"),
        PSProperty("IsValid", True, "System.Boolean"),
    ]
    return PSObject(
        NS + "StorageGroupCopyStatus",
        props,
        to_string=info.identity,
        default_view="table",
        table_columns=(
            "Name",
            "SummaryCopyStatus",
            "CopyQueueLength",
            "ReplayQueueLength",
            "LastInspectedLogTime",
        ),
        column_alias={"Name": "StorageGroupName"},
    )


def _admin_version(version: str) -> str:
    parts = version.split(".")
    major, minor = parts[0], parts[1] if len(parts) > 1 else "0"
    build = ".".join(parts[2:]) or "0"
    return f"Version {major}.{minor} (Build {build})"


def exchange_server_object(
    ctx: CmdletContext, name: str, *, mailbox: bool, clustered: bool, version: str, roles: str
) -> PSObject:
    host = ctx.interp.host
    assert host is not None
    domain = host.topology.domain.lower() + ".com"
    fqdn = f"{name}.{domain}"
    org = "First Organization"
    ag = "Exchange Administrative Group (FYDIBOHF23SPDLT)"
    dn = (
        f"CN={name},CN=Servers,CN={ag},CN=Administrative Groups,CN={org},CN=Microsoft Exchange,CN=Services,"
        f"CN=Configuration,DC={host.topology.domain.lower()},DC=com"
    )
    guid = f"{zlib.crc32(name.casefold().encode()):08x}-21e9-4eed-9ecd-644f070c1b69"
    created = dt.datetime(2008, 3, 14, 10, 22, 41)
    props: list[tuple[str, Any]] = [
        ("Name", name),
        ("DataPath", "C:\\Program Files\\Microsoft\\Exchange Server\\Mailbox"),
        ("Domain", domain),
        (
            "Edition",
            PSEnum("Microsoft.Exchange.Data.Directory.SystemConfiguration.ServerEditionType", "Enterprise"),
        ),
        ("ExchangeLegacyDN", f"/o={org}/ou={ag}/cn=Configuration/cn=Servers/cn={name}"),
        ("Fqdn", fqdn),
        ("IsHubTransportServer", "HubTransport" in roles),
        ("IsClientAccessServer", "ClientAccess" in roles),
        ("IsExchange2007OrLater", True),
        ("IsEdgeServer", False),
        ("IsMailboxServer", mailbox),
        ("IsMemberOfCluster", "Yes" if clustered else "No"),
        ("IsProvisionedServer", False),
        ("IsUnifiedMessagingServer", False),
        (
            "NetworkAddress",
            StrArray(
                [
                    f"ncacn_vns_spp:{name}",
                    f"netbios:{name}",
                    f"ncacn_np:{name}",
                    f"ncacn_spx:{name}",
                    f"ncacn_ip_tcp:{fqdn}",
                    f"ncalrpc:{name}",
                ]
            ),
        ),
        ("OrganizationalUnit", f"{domain}/{name}"),
        ("AdminDisplayVersion", _admin_version(version)),
        ("Site", f"{domain}/Configuration/Sites/Default-First-Site-Name"),
        ("ServerRole", PSEnum("Microsoft.Exchange.Data.Directory.SystemConfiguration.ServerRole", roles)),
        ("ErrorReportingEnabled", None),
        ("StaticDomainControllers", StrArray()),
        ("StaticGlobalCatalogs", StrArray()),
        ("StaticConfigDomainController", None),
        ("StaticExcludedDomainControllers", StrArray()),
        ("CurrentDomainControllers", StrArray()),
        ("CurrentGlobalCatalogs", StrArray()),
        ("CurrentConfigDomainController", None),
        ("ProductID", None),
        ("IsExchange2007TrialEdition", False),
        ("IsExpiredExchange2007TrialEdition", False),
        ("RemainingTrialPeriod", TimeSpan(0)),
        ("IsValid", True),
        ("OriginatingServer", f"{DC}.{domain}"),
        ("ExchangeVersion", "0.1 (8.0.535.0)"),
        ("DistinguishedName", dn),
        ("Identity", name),
        ("Guid", guid),
        ("ObjectCategory", f"{domain}/Configuration/Schema/ms-Exch-Exchange-Server"),
        ("ObjectClass", StrArray(["top", "server", "msExchExchangeServer"])),
        ("WhenChanged", dt.datetime(2009, 11, 23, 9, 6, 50)),
        ("WhenCreated", created),
    ]
    return PSObject(
        "Microsoft.Exchange.Data.Directory.Management.ExchangeServer",
        [PSProperty(k, v) for k, v in props],
        to_string=name,
        default_view="table",
        table_columns=("Name", "Site", "ServerRole", "Edition", "AdminDisplayVersion"),
    )


def _servers(ctx: CmdletContext) -> list[PSObject]:
    host = ctx.interp.host
    assert host is not None
    topo = host.topology
    eng = _engine(ctx)
    out = [
        exchange_server_object(
            ctx, topo.cms_name, mailbox=True, clustered=True, version=eng.cms_version(), roles="Mailbox"
        )
    ]
    share = topo.witness_share.strip("\\").split("\\")[0]
    if share:
        out.append(
            exchange_server_object(
                ctx,
                share.upper(),
                mailbox=False,
                clustered=False,
                version=topo.cms_version,
                roles="ClientAccess, HubTransport",
            )
        )
    return out


def mailbox_server_object(ctx: CmdletContext, info: CmsInfo) -> PSObject:
    name = info.name
    props: list[tuple[str, Any]] = [
        ("Name", name),
        ("LogonStatisticsEnabled", None),
        ("RedundantMachines", StrArray(info.redundant_machines)),
        (
            "ClusteredStorageType",
            PSEnum("Microsoft.Exchange.Data.Directory.SystemConfiguration.ClusteredStorageType", "NonShared"),
        ),
        ("DataPath", "C:\\Program Files\\Microsoft\\Exchange Server\\Mailbox"),
        ("Fqdn", _fqdn(ctx, name)),
        ("MessageTrackingLogEnabled", True),
        ("MessageTrackingLogMaxAge", TimeSpan(30 * 86400)),
        (
            "MessageTrackingLogPath",
            "C:\\Program Files\\Microsoft\\Exchange Server\\TransportRoles\\Logs\\MessageTracking",
        ),
        ("ExchangeVersion", "0.1 (8.0.535.0)"),
        ("AdminDisplayVersion", _admin_version(info.version)),
        ("Identity", name),
        ("IsValid", True),
    ]
    return PSObject(
        "Microsoft.Exchange.Data.Directory.Management.MailboxServer",
        [PSProperty(k, v) for k, v in props],
        to_string=name,
        default_view="table",
        table_columns=("Name", "RedundantMachines", "ClusteredStorageType"),
    )


# ---- cmdlet bodies ----------------------------------------------------------------------------


def get_cms_status(ctx: CmdletContext) -> None:
    if not _check_identity(ctx, "Identity", "ServerIdParameter"):
        return
    host = ctx.interp.host
    assert host is not None
    eng = _engine(ctx)
    _admin(ctx, ctx.get("Identity") or host.topology.cms_name, "ServerIdParameter")
    _run(
        ctx,
        lambda: eng.require_cluster(host.name),
        ctx.get("Identity") or host.topology.cms_name,
        "ServerIdParameter",
    )
    ctx.emit(cms_status_object(ctx, eng.cms_status()))


def _wait_cms(ctx: CmdletContext, predicate: Any, seconds: float) -> None:
    eng = _engine(ctx)
    eng.wait_until(predicate, seconds)


def move_cms(ctx: CmdletContext) -> None:
    if not _check_identity(ctx, "Identity", "ServerIdParameter"):
        return
    eng = _engine(ctx)
    ident = to_string(ctx.get("Identity"))
    target = to_string(ctx.get("TargetMachine"))
    _admin(ctx, ident, "ServerIdParameter")
    if _whatif(ctx, f'Moving clustered mailbox server "{ident}" to "{target}".'):
        return
    _confirm(ctx, "Move", ident)
    validate = ctx.switch("ValidateOnly")
    _run(
        ctx,
        lambda: eng.move_cms(
            target,
            to_string(ctx.get("MoveComment")),
            validate_only=validate,
            ignore_dismounted=ctx.switch("IgnoreDismounted"),
            user=_user(ctx),
        ),
        ident,
        "ServerIdParameter",
    )
    if validate:
        return
    d = eng.durations
    _wait_cms(
        ctx,
        lambda: (
            lambda s: (
                s.active_node.casefold() == target.casefold()
                and s.state.value in ("Online", "Partially Online", "Failed")
            )
        )(eng.cms_status()),
        d.cms_offline + d.cms_online + 30,
    )


def stop_cms(ctx: CmdletContext) -> None:
    if not _check_identity(ctx, "Identity", "MailboxServerIdParameter"):
        return
    eng = _engine(ctx)
    ident = to_string(ctx.get("Identity"))
    _admin(ctx, ident, "MailboxServerIdParameter")
    if _whatif(ctx, f'Stopping clustered mailbox server "{ident}".'):
        return
    _confirm(ctx, "Stop", ident)
    _run(
        ctx,
        lambda: eng.stop_cms(to_string(ctx.get("StopReason")), user=_user(ctx)),
        ident,
        "MailboxServerIdParameter",
    )
    _wait_cms(
        ctx, lambda: eng.cms_status().state.value in ("Offline", "Failed"), eng.durations.cms_offline + 30
    )


def start_cms(ctx: CmdletContext) -> None:
    if not _check_identity(ctx, "Identity", "MailboxServerIdParameter"):
        return
    eng = _engine(ctx)
    ident = to_string(ctx.get("Identity"))
    _admin(ctx, ident, "MailboxServerIdParameter")
    if _whatif(ctx, f'Starting clustered mailbox server "{ident}".'):
        return
    _confirm(ctx, "Start", ident)
    _run(ctx, lambda: eng.start_cms(user=_user(ctx)), ident, "MailboxServerIdParameter")
    _wait_cms(
        ctx,
        lambda: eng.cms_status().state.value in ("Online", "Partially Online", "Failed"),
        eng.durations.cms_online + 30,
    )


def _copies(ctx: CmdletContext) -> list[CopyInfo] | None:
    eng = _engine(ctx)
    ident = ctx.get("Identity")
    if ctx.has("Server") and not _check_identity(ctx, "Server", "ServerIdParameter"):
        return None
    try:
        return eng.copy_status(to_string(ident) if ident is not None else None)
    except LabError as exc:
        if exc.error_id == "StorageGroupNotFound":
            ctx.write_error(not_found(ctx, to_string(ident), "StorageGroupIdParameter"))
            return None
        raise PSRuntimeError(lab_error(ctx, exc, ident, "StorageGroupIdParameter")) from None


def get_copy_status(ctx: CmdletContext) -> None:
    _admin(ctx, ctx.get("Identity") or ctx.get("Server"), "StorageGroupIdParameter")
    copies = _copies(ctx)
    for info in copies or []:
        ctx.emit(copy_status_object(info))


def _copy_action(ctx: CmdletContext, verb: str, fn: Any, confirm: bool) -> None:
    eng = _engine(ctx)
    ident = to_string(ctx.get("Identity"))
    _admin(ctx, ident, "StorageGroupIdParameter")
    if _copies(ctx) is None:
        return
    if _whatif(ctx, f'{verb} storage group copy "{ident}".'):
        return
    if confirm:
        _confirm(ctx, verb, ident)
    _run(ctx, lambda: fn(eng, ident), ident, "StorageGroupIdParameter")


def suspend_copy(ctx: CmdletContext) -> None:
    comment = to_string(ctx.get("SuspendComment", ""))
    _copy_action(ctx, "Suspending", lambda eng, ident: eng.suspend_copy(ident, comment), True)


def resume_copy(ctx: CmdletContext) -> None:
    _copy_action(ctx, "Resuming", lambda eng, ident: eng.resume_copy(ident), False)


def update_copy(ctx: CmdletContext) -> None:
    manual = ctx.switch("ManualResume")
    delete = ctx.switch("DeleteExistingFiles")
    _copy_action(
        ctx,
        "Seeding",
        lambda eng, ident: eng.update_copy(ident, manual_resume=manual, delete_existing=delete),
        not ctx.switch("Force"),
    )
    eng = _engine(ctx)
    ident = to_string(ctx.get("Identity"))
    eng.wait_until(lambda: not any(c.seeding for c in eng.copy_status(ident)), eng.durations.seed + 30)


def get_exchange_server(ctx: CmdletContext) -> None:
    ident = ctx.get("Identity")
    servers = _servers(ctx)
    if ident is not None:
        hits = [
            s
            for s in servers
            if like(s["Name"], to_string(ident), False)
            or to_string(s["Fqdn"]).casefold() == to_string(ident).casefold()
        ]
        if not hits:
            ctx.write_error(not_found(ctx, to_string(ident), "ServerIdParameter"))
            return
        servers = hits
    for s in servers:
        ctx.emit(s)


def get_mailbox_server(ctx: CmdletContext) -> None:
    if not _check_identity(ctx, "Identity", "MailboxServerIdParameter"):
        return
    ctx.emit(mailbox_server_object(ctx, _engine(ctx).cms_status()))


def cmdlets() -> list[Cmdlet]:
    P = Param
    dcp = P("DomainController")
    return [
        Cmdlet(
            "Get-ClusteredMailboxServerStatus",
            NS + "GetClusteredMailboxServerStatus",
            [P("Identity", position=0, pipeline=True), dcp],
            get_cms_status,
            snapin=SNAPIN,
        ),
        Cmdlet(
            "Move-ClusteredMailboxServer",
            NS + "MoveClusteredMailboxServer",
            [
                P("Identity", mandatory=True, position=0, pipeline=True),
                P("MoveComment", mandatory=True),
                P("TargetMachine", mandatory=True),
                P("IgnoreDismounted", True),
                P("ValidateOnly", True),
                dcp,
            ],
            move_cms,
            snapin=SNAPIN,
            should_process=True,
        ),
        Cmdlet(
            "Stop-ClusteredMailboxServer",
            NS + "StopClusteredMailboxServer",
            [P("Identity", mandatory=True, position=0, pipeline=True), P("StopReason", mandatory=True), dcp],
            stop_cms,
            snapin=SNAPIN,
            should_process=True,
        ),
        Cmdlet(
            "Start-ClusteredMailboxServer",
            NS + "StartClusteredMailboxServer",
            [P("Identity", mandatory=True, position=0, pipeline=True), dcp],
            start_cms,
            snapin=SNAPIN,
            should_process=True,
        ),
        Cmdlet(
            "Get-StorageGroupCopyStatus",
            NS + "GetStorageGroupCopyStatus",
            [
                P("Identity", position=0, pipeline=True),
                P("Server"),
                P("DumpsterStatistics", True),
                P("StandbyMachine"),
                dcp,
            ],
            get_copy_status,
            snapin=SNAPIN,
        ),
        Cmdlet(
            "Suspend-StorageGroupCopy",
            NS + "SuspendStorageGroupCopy",
            [
                P("Identity", mandatory=True, position=0, pipeline=True),
                P("SuspendComment"),
                P("StandbyMachine"),
                dcp,
            ],
            suspend_copy,
            snapin=SNAPIN,
            should_process=True,
        ),
        Cmdlet(
            "Resume-StorageGroupCopy",
            NS + "ResumeStorageGroupCopy",
            [P("Identity", mandatory=True, position=0, pipeline=True), P("StandbyMachine"), dcp],
            resume_copy,
            snapin=SNAPIN,
            should_process=True,
        ),
        Cmdlet(
            "Update-StorageGroupCopy",
            NS + "UpdateStorageGroupCopy",
            [
                P("Identity", mandatory=True, position=0, pipeline=True),
                P("DataHostNames"),
                P("DeleteExistingFiles", True),
                P("Force", True),
                P("ManualResume", True),
                P("StandbyMachine"),
                P("TargetPath"),
                dcp,
            ],
            update_copy,
            snapin=SNAPIN,
            should_process=True,
        ),
        Cmdlet(
            "Get-ExchangeServer",
            "Microsoft.Exchange.Management.SystemConfigurationTasks.GetExchangeServer",
            [P("Identity", position=0, pipeline=True), P("Domain"), P("Status", True), dcp],
            get_exchange_server,
            snapin=SNAPIN,
        ),
        Cmdlet(
            "Get-MailboxServer",
            "Microsoft.Exchange.Management.SystemConfigurationTasks.GetMailboxServer",
            [P("Identity", position=0, pipeline=True), P("Status", True), dcp],
            get_mailbox_server,
            snapin=SNAPIN,
        ),
    ]


__all__ = ["UInt32", "cmdlets"]
