"""The backup plan: passive node after a failover, fitness, warnings, JSON/CSV round trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccrgui.domain.backupplan import (
    BackupPlan,
    BackupThresholds,
    build_backup_plan,
    plan_from_csv,
    plan_from_json,
    plan_to_csv,
    plan_to_json,
)
from ccrgui.domain.maintenance import GroupFailoverPolicy, MailboxDatabaseStatus
from ccrgui.domain.model import CmsState, CmsStatus, CopyStatus, StorageGroupCopy

NOW = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
NODES = ("EXNODE1", "EXNODE2")
HOSTILE = "SG \"x\", =cmd|' /C calc'!A0\n<b>"


def _copies() -> list[StorageGroupCopy]:
    return [
        StorageGroupCopy("EXCH1\\First Storage Group", "First Storage Group", CopyStatus.HEALTHY, 1, 2),
        StorageGroupCopy(f"EXCH1\\{HOSTILE}", HOSTILE, CopyStatus.SUSPENDED, 40, 0, suspended=True),
    ]


def _dbs() -> list[MailboxDatabaseStatus]:
    return [
        MailboxDatabaseStatus(
            "Mailbox Database",
            "EXCH1\\First Storage Group",
            "EXCH1",
            edb_file_path="C:\\DB\\Mailbox Database.edb",
            mounted=True,
            last_full_backup=datetime(2026, 12, 3, 23, 5),  # server local time, UTC+1
            last_incremental_backup=datetime(2026, 12, 4, 5, 0),
        ),
        MailboxDatabaseStatus("Executives", f"EXCH1\\{HOSTILE}", "EXCH1", mounted=True),
    ]


def test_passive_node_follows_the_active_node() -> None:
    for active, passive in (("EXNODE1", "EXNODE2"), ("EXNODE2", "EXNODE1")):
        plan = build_backup_plan(
            CmsStatus("EXCH1", CmsState.ONLINE, active), NODES, _copies(), _dbs(), now=NOW
        )
        assert (plan.active_node, plan.passive_node) == (active, passive)
    alone = build_backup_plan(CmsStatus("EXCH1", CmsState.OFFLINE, ""), NODES, [], [], now=NOW)
    assert alone.passive_node == "" and "No passive node" in alone.warnings[0]


def test_fitness_and_warnings() -> None:
    plan = build_backup_plan(
        CmsStatus("EXCH1", CmsState.ONLINE, "EXNODE1"),
        NODES,
        _copies(),
        _dbs(),
        now=NOW,
        thresholds=BackupThresholds(full_backup_max_age=timedelta(days=1)),
        server_utc_offset_minutes=60,
    )
    first, second = plan.items
    assert first.fit and first.warnings == ()
    assert first.last_full_backup == datetime(2026, 12, 3, 22, 5, tzinfo=UTC)
    assert not second.fit
    assert any("Suspended, not Healthy" in w for w in second.warnings)
    assert any("never had a full backup" in w for w in second.warnings)
    old = build_backup_plan(
        CmsStatus("EXCH1", CmsState.ONLINE, "EXNODE1"),
        NODES,
        _copies()[:1],
        _dbs()[:1],
        now=NOW + timedelta(days=10),
    )
    assert "10 days old" in old.items[0].warnings[0]
    strict = build_backup_plan(
        CmsStatus("EXCH1", CmsState.ONLINE, "EXNODE1"),
        NODES,
        _copies()[:1],
        _dbs()[:1],
        now=NOW,
        thresholds=BackupThresholds(full_backup_max_age=timedelta(hours=12)),
    )
    assert strict.items[0].warnings == (
        "First Storage Group: the last full backup of Mailbox Database is 18 hours old.",
    )


def test_failback_allowed_away_from_preferred_owner_warns_of_swap() -> None:
    cms = CmsStatus("EXCH1", CmsState.ONLINE, "EXNODE2")
    window = GroupFailoverPolicy(
        "EXCH1", NODES, auto_failback=True, failback_window_start=1, failback_window_end=5
    )
    plan = build_backup_plan(cms, NODES, [], [], now=NOW, policy=window)
    assert any("Failback to EXNODE1 is allowed between 1:00 and 5:59" in w for w in plan.warnings)
    home = build_backup_plan(
        CmsStatus("EXCH1", CmsState.ONLINE, "EXNODE1"), NODES, [], [], now=NOW, policy=window
    )
    assert home.warnings == ()
    prevent = GroupFailoverPolicy("EXCH1", NODES)
    assert build_backup_plan(cms, NODES, [], [], now=NOW, policy=prevent).warnings == ()


def test_exports_round_trip_with_hostile_names() -> None:
    plan = build_backup_plan(
        CmsStatus("EXCH1", CmsState.ONLINE, "EXNODE2"),
        NODES,
        _copies(),
        _dbs(),
        now=NOW,
        policy=GroupFailoverPolicy("EXCH1", NODES, auto_failback=True),
    )
    assert plan_from_json(plan_to_json(plan)) == plan
    assert plan_from_csv(plan_to_csv(plan)) == plan
    empty = build_backup_plan(CmsStatus("EXCH1", CmsState.ONLINE, "EXNODE1"), NODES, [], [], now=NOW)
    assert plan_from_csv(plan_to_csv(empty)) == empty


@pytest.mark.parametrize("text", ["", "{}", '{"format": 1}', "[1]", "not json"])
def test_bad_json_import(text: str) -> None:
    with pytest.raises(ValueError):
        plan_from_json(text)


@pytest.mark.parametrize("text", ["", "a,b\r\n1,2\r\n"])
def test_bad_csv_import(text: str) -> None:
    with pytest.raises(ValueError):
        plan_from_csv(text)


FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "'=1", "''", "'"]


def _hostile_plan(name: str) -> BackupPlan:
    from dataclasses import replace

    plan = build_backup_plan(
        CmsStatus(name, CmsState.ONLINE, name), (name, "EXNODE2"), _copies(), _dbs(), now=NOW
    )
    items = tuple(replace(i, storage_group=name, database=name, edb_file_path=name) for i in plan.items)
    return replace(plan, items=items, warnings=(name,))


@pytest.mark.parametrize("name", FORMULAS)
def test_csv_cells_that_a_spreadsheet_would_run_are_guarded_and_the_import_undoes_it(name: str) -> None:
    import csv
    import io

    plan = _hostile_plan(name)
    text = plan_to_csv(plan)
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        for cell in row:
            assert cell[:1] not in set("=+-@\t\r"), row  # nothing a spreadsheet evaluates
    assert plan_from_csv(text) == plan


@given(st.text(min_size=1, max_size=20).filter(lambda t: "\x00" not in t))
def test_csv_round_trip_of_any_name(name: str) -> None:
    plan = _hostile_plan(name)
    assert plan_from_csv(plan_to_csv(plan)) == plan
