"""Where to run tonight's backup: the passive node now, each storage group's copy health there,
the last backup times, warnings, and the plan's export (JSON and CSV) for a backup product.

Plain data, no Qt, no WinRM: built from the parsed Get-ClusteredMailboxServerStatus,
Get-StorageGroupCopyStatus, Get-MailboxDatabase -Status and the CMS group's failback policy.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from ccrgui.domain.maintenance import FailbackMode, GroupFailoverPolicy, MailboxDatabaseStatus
from ccrgui.domain.model import CmsStatus, CopyStatus, StorageGroupCopy

PLAN_FORMAT = 1


@dataclass(frozen=True)
class BackupThresholds:
    """Settings: how old a full backup may get, and what counts as short queues."""

    full_backup_max_age: timedelta = timedelta(days=7)
    copy_queue_max: int = 10
    replay_queue_max: int = 100


@dataclass(frozen=True)
class BackupItem:
    storage_group: str
    database: str
    edb_file_path: str
    copy_status: CopyStatus
    copy_queue_length: int
    replay_queue_length: int
    last_full_backup: datetime | None  # aware
    last_incremental_backup: datetime | None
    fit: bool  # the passive copy can be backed up now
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class BackupPlan:
    cms: str
    active_node: str
    passive_node: str
    created: datetime
    items: tuple[BackupItem, ...] = ()
    warnings: tuple[str, ...] = field(default=())  # about the plan as a whole

    @property
    def all_warnings(self) -> tuple[str, ...]:
        return self.warnings + tuple(w for item in self.items for w in item.warnings)


def passive_node_of(cms: CmsStatus, redundant_machines: Sequence[str]) -> str:
    """The redundant machine that is not active ("" when the active node is unknown or alone)."""
    others = [n for n in redundant_machines if n.casefold() != cms.active_node.casefold()]
    return others[0] if cms.active_node and others else ""


def _aware(when: datetime | None, offset_minutes: int) -> datetime | None:
    if when is None or when.tzinfo is not None:
        return when
    return when.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))


def _item(
    sg: str,
    copy: StorageGroupCopy | None,
    db: MailboxDatabaseStatus | None,
    now: datetime,
    limits: BackupThresholds,
    offset_minutes: int,
) -> BackupItem:
    status = copy.status if copy else CopyStatus.UNKNOWN
    cq = copy.copy_queue_length if copy else 0
    rq = copy.replay_queue_length if copy else 0
    full = _aware(db.last_full_backup, offset_minutes) if db else None
    warnings = []
    if status is not CopyStatus.HEALTHY:
        warnings.append(f"{sg}: the passive copy is {status.value}, not Healthy.")
    elif cq > limits.copy_queue_max or rq > limits.replay_queue_max:
        warnings.append(f"{sg}: queues are long (copy {cq}, replay {rq}).")
    if db is not None and full is None:
        warnings.append(f"{sg}: {db.name} has never had a full backup.")
    elif full is not None and now - full > limits.full_backup_max_age:
        warnings.append(f"{sg}: the last full backup of {db.name if db else sg} is {_age(now - full)} old.")
    return BackupItem(
        storage_group=sg,
        database=db.name if db else "",
        edb_file_path=db.edb_file_path if db else "",
        copy_status=status,
        copy_queue_length=cq,
        replay_queue_length=rq,
        last_full_backup=full,
        last_incremental_backup=_aware(db.last_incremental_backup, offset_minutes) if db else None,
        fit=status is CopyStatus.HEALTHY and cq <= limits.copy_queue_max and rq <= limits.replay_queue_max,
        warnings=tuple(warnings),
    )


def _age(age: timedelta) -> str:
    hours = int(age.total_seconds() // 3600)
    return f"{hours} hours" if hours < 48 else f"{age.days} days"


def _swap_warning(cms: CmsStatus, policy: GroupFailoverPolicy | None) -> str | None:
    """Failback allowed while the CMS runs away from its preferred owner: roles may swap."""
    if policy is None or policy.failback_mode is FailbackMode.PREVENT or not policy.preferred_owners:
        return None
    preferred = policy.preferred_owners[0]
    if preferred.casefold() == cms.active_node.casefold():
        return None
    when = (
        "at any time"
        if policy.failback_mode is FailbackMode.IMMEDIATELY
        else f"between {policy.failback_window_start}:00 and {policy.failback_window_end}:59"
    )
    return (
        f"Failback to {preferred} is allowed {when}: the active and passive nodes may swap "
        "before the backup runs."
    )


def build_backup_plan(
    cms: CmsStatus,
    redundant_machines: Sequence[str],
    copies: Sequence[StorageGroupCopy],
    databases: Sequence[MailboxDatabaseStatus],
    *,
    now: datetime,
    thresholds: BackupThresholds | None = None,
    policy: GroupFailoverPolicy | None = None,
    server_utc_offset_minutes: int = 0,
) -> BackupPlan:
    """The plan for the CMS right now.  Naive backup times are the servers' local time
    (`server_utc_offset_minutes` east of UTC); `now` must be aware."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    limits = thresholds or BackupThresholds()
    by_sg_copy = {c.storage_group.casefold(): c for c in copies}
    by_sg_db = {d.storage_group_name.casefold(): d for d in databases}
    names = [c.storage_group for c in copies] + [
        d.storage_group_name for d in databases if d.storage_group_name.casefold() not in by_sg_copy
    ]
    items = tuple(
        _item(
            sg,
            by_sg_copy.get(sg.casefold()),
            by_sg_db.get(sg.casefold()),
            now,
            limits,
            server_utc_offset_minutes,
        )
        for sg in names
    )
    passive = passive_node_of(cms, redundant_machines)
    warnings = []
    if not passive:
        warnings.append("No passive node: back up from the active node or wait for the other node.")
    swap = _swap_warning(cms, policy)
    if swap:
        warnings.append(swap)
    return BackupPlan(cms.name, cms.active_node, passive, now, items, tuple(warnings))


# ---------------------------------------------------------------------------------- export

CSV_COLUMNS = (
    "cms",
    "active_node",
    "passive_node",
    "created",
    "storage_group",
    "database",
    "edb_file_path",
    "copy_status",
    "copy_queue_length",
    "replay_queue_length",
    "last_full_backup",
    "last_incremental_backup",
    "fit",
    "warnings",
    "plan_warnings",
)


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection); names come
# from remote hosts and are hostile.  Such cells, and cells starting with the apostrophe itself
# (so the escape is reversible), get a leading apostrophe, which spreadsheets show as text and
# `plan_from_csv` removes again: the round trip stays exact.
FORMULA_STARTS = frozenset("=+-@\t\r'")


def guard_cell(value: object) -> str:
    text = str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def unguard_cell(text: str) -> str:
    return text[1:] if text[:1] == "'" else text


def _cell(texts: Sequence[str]) -> str:
    """Warnings in one CSV cell: a JSON list (exact round trip, whatever the names contain)."""
    return json.dumps(list(texts), ensure_ascii=False) if texts else ""


def _uncell(text: str) -> list[str]:
    if not text:
        return []
    value = json.loads(text)
    if not isinstance(value, list):
        raise ValueError("warnings cell is not a list")
    return [str(v) for v in value]


def _iso(when: datetime | None) -> str:
    return when.isoformat() if when else ""


def _time(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def plan_to_json(plan: BackupPlan) -> str:
    raw = asdict(plan)
    raw["format"] = PLAN_FORMAT
    raw["created"] = _iso(plan.created)
    for item, out in zip(plan.items, raw["items"], strict=True):
        out["copy_status"] = item.copy_status.value
        out["last_full_backup"] = _iso(item.last_full_backup)
        out["last_incremental_backup"] = _iso(item.last_incremental_backup)
    return json.dumps(raw, indent=2, ensure_ascii=False)


def _item_from(raw: dict[str, object]) -> BackupItem:
    return BackupItem(
        storage_group=str(raw["storage_group"]),
        database=str(raw["database"]),
        edb_file_path=str(raw["edb_file_path"]),
        copy_status=CopyStatus.from_text(str(raw["copy_status"])),
        copy_queue_length=int(str(raw["copy_queue_length"])),
        replay_queue_length=int(str(raw["replay_queue_length"])),
        last_full_backup=_time(str(raw["last_full_backup"] or "")),
        last_incremental_backup=_time(str(raw["last_incremental_backup"] or "")),
        fit=raw["fit"] in (True, "True", "true", "1"),
        warnings=tuple(str(w) for w in raw["warnings"]) if isinstance(raw["warnings"], list) else (),
    )


def plan_from_json(text: str) -> BackupPlan:
    """Read an exported plan; ValueError (with what is wrong) for anything else."""
    try:
        raw = json.loads(text)
        if raw.get("format") != PLAN_FORMAT:
            raise ValueError(f"unknown plan format {raw.get('format')!r}")
        return BackupPlan(
            cms=str(raw["cms"]),
            active_node=str(raw["active_node"]),
            passive_node=str(raw["passive_node"]),
            created=datetime.fromisoformat(raw["created"]),
            items=tuple(_item_from(i) for i in raw["items"]),
            warnings=tuple(str(w) for w in raw["warnings"]),
        )
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a backup plan: {exc}") from None


def plan_to_csv(plan: BackupPlan) -> str:
    """One row per storage group, the plan's nodes repeated on every row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in plan.items or (None,):
        head = [plan.cms, plan.active_node, plan.passive_node, _iso(plan.created)]
        if item is None:
            writer.writerow([guard_cell(c) for c in [*head, *([""] * 10), _cell(plan.warnings)]])
            continue
        row = [
            *head,
            item.storage_group,
            item.database,
            item.edb_file_path,
            item.copy_status.value,
            item.copy_queue_length,
            item.replay_queue_length,
            _iso(item.last_full_backup),
            _iso(item.last_incremental_backup),
            item.fit,
            _cell(item.warnings),
            _cell(plan.warnings),
        ]
        writer.writerow([guard_cell(c) for c in row])
    return buf.getvalue()


def plan_from_csv(text: str) -> BackupPlan:
    """Read `plan_to_csv` output back; ValueError for other CSV."""
    rows = [
        {k: unguard_cell(v) if isinstance(v, str) else v for k, v in row.items()}
        for row in csv.DictReader(io.StringIO(text))
    ]
    if not rows or tuple(rows[0]) != CSV_COLUMNS:
        raise ValueError("not a backup plan CSV (wrong or missing header)")
    try:
        return _plan_from_rows(rows)
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a backup plan CSV: {exc}") from None


def _plan_from_rows(rows: list[dict[str, str]]) -> BackupPlan:
    first = rows[0]
    items = []
    for row in rows:
        if not row["storage_group"]:
            continue
        raw: dict[str, object] = dict(row)
        raw["warnings"] = _uncell(row["warnings"])
        items.append(_item_from(raw))
    return BackupPlan(
        cms=first["cms"],
        active_node=first["active_node"],
        passive_node=first["passive_node"],
        created=datetime.fromisoformat(first["created"]) if first["created"] else datetime.now(UTC),
        items=tuple(items),
        warnings=tuple(_uncell(first["plan_warnings"])),
    )
