"""Parsers for the backup/placement outputs: ``Get-MailboxDatabase -Status``,
``Test-ReplicationHealth``, ``cluster group X /prop`` + ``/listowners`` (failover/failback
policy) and ``Test-Path`` on the witness share.

Each accepts what the backend asks for (ConvertTo-Xml) and what an admin pastes from a console
(Format-List, or the default table).  The Test-ReplicationHealth table wraps its Error column
onto continuation rows whose other columns are blank (real Exchange console layout:
``Server Check Result Error`` with ``*FAILED*`` in Result); they are joined back.
"""

from __future__ import annotations

from ccrgui.domain.maintenance import (
    NO_WINDOW,
    CheckResult,
    GroupFailoverPolicy,
    MailboxDatabaseStatus,
    ReplicationCheck,
    ReplicationHealth,
)
from ccrgui.remote.parsers.cluster import parse_owners, parse_properties, raise_for_system_error
from ccrgui.remote.parsers.ems import Record, _get, _records, _text, parse_ps_datetime
from ccrgui.remote.parsers.errors import ParseError

__all__ = [
    "parse_group_policy",
    "parse_mailbox_databases",
    "parse_replication_health",
    "parse_test_path",
]


def _nullable_bool(record: Record, name: str) -> bool | None:
    """``True``/``False``; empty or absent (a null: no -Status) -> None."""
    if _get(record, name) is None:
        return None
    text = _text(record, name).strip().casefold()
    if text in ("true", "$true"):
        return True
    if text in ("false", "$false"):
        return False
    if not text:
        return None
    raise ParseError(f"{name}: expected True or False, got {text!r}")


def parse_mailbox_databases(text: str) -> list[MailboxDatabaseStatus]:
    """Get-MailboxDatabase [-Status] -> one entry per database (ConvertTo-Xml, list or table)."""
    out = []
    for rec in _records(text):
        name = _text(rec, "Name").strip()
        identity = _text(rec, "Identity").strip()
        if not name and not identity:
            raise ParseError("a mailbox database object without Name or Identity")
        storage_group = _text(rec, "StorageGroup").strip()
        if not storage_group and identity.count("\\") >= 2:
            storage_group = identity.rsplit("\\", 1)[0]
        out.append(
            MailboxDatabaseStatus(
                name=name or identity.rsplit("\\", 1)[-1],
                storage_group=storage_group,
                server=_text(rec, "Server", "ServerName").strip(),
                identity=identity,
                edb_file_path=_text(rec, "EdbFilePath").strip(),
                mounted=_nullable_bool(rec, "Mounted"),
                backup_in_progress=_nullable_bool(rec, "BackupInProgress"),
                last_full_backup=parse_ps_datetime(_text(rec, "LastFullBackup")),
                last_incremental_backup=parse_ps_datetime(_text(rec, "LastIncrementalBackup")),
                last_differential_backup=parse_ps_datetime(_text(rec, "LastDifferentialBackup")),
                last_copy_backup=parse_ps_datetime(_text(rec, "LastCopyBackup")),
            )
        )
    return out


def parse_replication_health(text: str) -> ReplicationHealth:
    """Test-ReplicationHealth -> its checks in order; a wrapped Error is joined back."""
    checks: list[ReplicationCheck] = []
    for rec in _records(text):
        server = _text(rec, "Server").strip()
        check = _text(rec, "Check").strip()
        error = " ".join(_text(rec, "Error").split())
        if not server and not check:
            if not checks or not error:
                raise ParseError("a Test-ReplicationHealth row without Server and Check")
            last = checks[-1]
            checks[-1] = ReplicationCheck(
                last.server, last.check, last.result, f"{last.error} {error}".strip(), last.description
            )
            continue
        if not check:
            raise ParseError(f"a Test-ReplicationHealth object without Check (server {server!r})")
        checks.append(
            ReplicationCheck(
                server=server,
                check=check,
                result=CheckResult.from_text(_text(rec, "Result")),
                error=error,
                description=" ".join(_text(rec, "CheckDescription").split()),
            )
        )
    return ReplicationHealth(tuple(checks))


_POLICY_PROPS = {
    "failoverthreshold": "failover_threshold",
    "failoverperiod": "failover_period_hours",
    "failbackwindowstart": "failback_window_start",
    "failbackwindowend": "failback_window_end",
}


def parse_group_policy(properties_text: str, owners_text: str = "", group: str = "") -> GroupFailoverPolicy:
    """``cluster group X /prop`` (and optionally ``/listowners``) -> the group's policy.

    A System error in either output raises ClusterExeError; a listing without the failover
    properties raises ParseError.  Missing `group` is taken from the listing.
    """
    raise_for_system_error(properties_text)
    props = [p for p in parse_properties(properties_text) if not p.private]
    if group:
        props = [p for p in props if p.owner.casefold() == group.casefold()] or props
    values: dict[str, int] = {}
    auto_failback = False
    for p in props:
        key = p.name.casefold()
        number = p.int_value
        if key == "autofailbacktype" and number is not None:
            auto_failback = number == 1
        elif key in _POLICY_PROPS and number is not None:
            values[_POLICY_PROPS[key]] = number
    if "failover_threshold" not in values or "failover_period_hours" not in values:
        raise ParseError("no FailoverThreshold/FailoverPeriod in the group's property listing")
    owners: tuple[str, ...] = ()
    if owners_text.strip():
        raise_for_system_error(owners_text)
        owners = tuple(parse_owners(owners_text))
    return GroupFailoverPolicy(
        group=group or (props[0].owner if props else ""),
        preferred_owners=owners,
        failover_threshold=values["failover_threshold"],
        failover_period_hours=values["failover_period_hours"],
        auto_failback=auto_failback,
        failback_window_start=values.get("failback_window_start", NO_WINDOW),
        failback_window_end=values.get("failback_window_end", NO_WINDOW),
    )


def parse_test_path(text: str) -> bool:
    """``Test-Path '\\\\server\\share'`` prints True or False (one line)."""
    words = [w for w in text.replace("\ufeff", "").split() if w]
    if len(words) == 1 and words[0].casefold() in ("true", "false"):
        return words[0].casefold() == "true"
    raise ParseError(f"Test-Path: expected True or False, got {text.strip()[:80]!r}")
