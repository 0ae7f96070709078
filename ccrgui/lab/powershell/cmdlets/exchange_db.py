"""Exchange 2007 snap-in cmdlets for the CMS's databases and replication health.

Get-MailboxDatabase: default table view Name, Server, StorageGroup, Recovery (Exchange 2007);
`-Status` fills Mounted, BackupInProgress, OnlineMaintenanceInProgress and the backup times
(without it they are null: they come from the running store, not from the directory).  The
property order is INFERRED from Exchange 2007 Format-List copies seen in forums (no verbatim
sample in the reference folder).

Test-ReplicationHealth (SP1; no -Identity in Exchange 2007: it tests the local node): objects
with Server, Check, CheckDescription, Result, Error; Result prints "Passed" or "*FAILED*"
(the Exchange 2010+ console shows those words; the 2007 type name is INFERRED from 2010).  The
checks themselves are in `ccrgui/lab/replhealth.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ccrgui.lab.engine import LabError
from ccrgui.lab.replhealth import replication_health

from ..cmdlet import Cmdlet, CmdletContext, Param
from ..errors import PSRuntimeError
from ..values import PSEnum, PSObject, PSProperty, to_string
from .exchange import (
    NS,
    SNAPIN,
    _admin,
    _check_identity,
    _confirm,
    _engine,
    _local,
    _whatif,
    lab_error,
    not_found,
)

if TYPE_CHECKING:
    from ccrgui.lab.engine import DatabaseInfo
    from ccrgui.lab.replhealth import Check

_DT = "System.Nullable`1[[System.DateTime]]"
_BOOL = "System.Nullable`1[[System.Boolean]]"


def database_object(info: DatabaseInfo, *, status: bool) -> PSObject:
    sg_id = f"{info.server}\\{info.storage_group}"
    props = [
        PSProperty("Name", info.name, "System.String"),
        PSProperty("StorageGroup", sg_id, "Microsoft.Exchange.Data.Directory.ADObjectId"),
        PSProperty("StorageGroupName", info.storage_group, "System.String"),
        PSProperty("Server", info.server, "Microsoft.Exchange.Data.Directory.ADObjectId"),
        PSProperty("EdbFilePath", info.edb_file_path, "Microsoft.Exchange.Data.EdbFilePath"),
        PSProperty("HasLocalCopy", False, "System.Boolean"),
        PSProperty("CopyEdbFilePath", None, "Microsoft.Exchange.Data.EdbFilePath"),
        PSProperty("MountAtStartup", True, "System.Boolean"),
        PSProperty("Mounted", info.mounted if status else None, _BOOL),
        PSProperty("BackupInProgress", False if status else None, _BOOL),
        PSProperty("OnlineMaintenanceInProgress", False if status else None, _BOOL),
        PSProperty("LastFullBackup", _local(info.last_full_backup) if status else None, _DT),
        PSProperty("LastIncrementalBackup", _local(info.last_incremental_backup) if status else None, _DT),
        PSProperty("LastDifferentialBackup", None, _DT),
        PSProperty("LastCopyBackup", None, _DT),
        PSProperty("Recovery", False, "System.Boolean"),
        PSProperty("Identity", f"{sg_id}\\{info.name}", "Microsoft.Exchange.Data.ObjectId"),
        PSProperty("IsValid", True, "System.Boolean"),
    ]
    return PSObject(
        "Microsoft.Exchange.Data.Directory.SystemConfiguration.MailboxDatabase",
        props,
        to_string=info.name,
        default_view="table",
        table_columns=("Name", "Server", "StorageGroup", "Recovery"),
    )


def check_object(server: str, check: Check) -> PSObject:
    shown = "Passed" if check.result == "Passed" else "*FAILED*"
    result = PSEnum(NS + "ReplicationCheckResult", shown)
    props = [
        PSProperty("Server", server, "System.String"),
        PSProperty("Check", check.name, "System.String"),
        PSProperty("CheckDescription", check.description, "System.String"),
        PSProperty("Result", result, result.type_name),
        PSProperty("Error", check.error or None, "System.String"),
    ]
    return PSObject(
        NS + "ReplicationCheckOutputObject",
        props,
        default_view="table",
        table_columns=("Server", "Check", "Result", "Error"),
    )


def _databases(ctx: CmdletContext) -> list[DatabaseInfo] | None:
    """The databases the Identity names (all without one); not found -> non-terminating error."""
    ident = ctx.get("Identity")
    try:
        return _engine(ctx).databases(to_string(ident) if ident is not None else None)
    except LabError as exc:
        if exc.error_id == "DatabaseNotFound":
            ctx.write_error(not_found(ctx, to_string(ident), "DatabaseIdParameter"))
            return None
        raise PSRuntimeError(lab_error(ctx, exc, ident, "DatabaseIdParameter")) from None


def get_mailbox_database(ctx: CmdletContext) -> None:
    _admin(ctx, ctx.get("Identity"), "DatabaseIdParameter")
    if ctx.has("Server") and not _check_identity(ctx, "Server", "ServerIdParameter"):
        return
    status = ctx.switch("Status")
    group = to_string(ctx.get("StorageGroup")) if ctx.has("StorageGroup") else None
    for info in _databases(ctx) or []:
        sg_id = f"{info.server}\\{info.storage_group}"
        if group is not None and group.casefold() not in (info.storage_group.casefold(), sg_id.casefold()):
            continue
        ctx.emit(database_object(info, status=status))


def _database_action(ctx: CmdletContext, verb: str, confirm: bool, fn: Any) -> None:
    ident = to_string(ctx.get("Identity"))
    _admin(ctx, ident, "DatabaseIdParameter")
    if _databases(ctx) is None:
        return
    if _whatif(ctx, f'{verb} database "{ident}".'):
        return
    if confirm:
        _confirm(ctx, verb, ident)
    try:
        fn(_engine(ctx), ident)
    except LabError as exc:
        raise PSRuntimeError(lab_error(ctx, exc, ident, "DatabaseIdParameter")) from None


def mount_database(ctx: CmdletContext) -> None:
    _database_action(ctx, "Mounting", False, lambda eng, ident: eng.mount_database(ident))


def dismount_database(ctx: CmdletContext) -> None:
    _database_action(ctx, "Dismounting", True, lambda eng, ident: eng.dismount_database(ident))


def test_replication_health(ctx: CmdletContext) -> None:
    host = ctx.interp.host
    assert host is not None
    _admin(ctx, host.name, "ServerIdParameter")
    for check in replication_health(_engine(ctx), host.name):
        ctx.emit(check_object(host.name, check))


def cmdlets() -> list[Cmdlet]:
    P = Param
    dcp = P("DomainController")
    ident = P("Identity", position=0, pipeline=True)
    required = P("Identity", mandatory=True, position=0, pipeline=True)
    return [
        Cmdlet(
            "Get-MailboxDatabase",
            NS + "GetMailboxDatabase",
            [
                ident,
                P("Server"),
                P("StorageGroup"),
                P("Status", True),
                P("IncludePreExchange2007", True),
                dcp,
            ],
            get_mailbox_database,
            snapin=SNAPIN,
        ),
        Cmdlet(
            "Mount-Database",
            NS + "MountDatabase",
            [required, P("AcceptDataLoss", True), P("Force", True), dcp],
            mount_database,
            snapin=SNAPIN,
            should_process=True,
        ),
        Cmdlet(
            "Dismount-Database",
            NS + "DismountDatabase",
            [required, dcp],
            dismount_database,
            snapin=SNAPIN,
            should_process=True,
        ),
        Cmdlet(
            "Test-ReplicationHealth",
            NS + "TestReplicationHealth",
            [
                P("ActiveDirectoryTimeout"),
                P("MonitoringContext"),
                P("TransientEventSuppressionWindow"),
                dcp,
            ],
            test_replication_health,
            snapin=SNAPIN,
            should_process=True,
        ),
    ]
