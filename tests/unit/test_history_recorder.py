"""Snapshots to history: samples at every new snapshot, marks for suspend/resume/move/failover."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ccrgui.domain.model import ClusterSnapshot, CmsState, CmsStatus, CopyStatus, Group, GroupState
from ccrgui.domain.model import StorageGroupCopy as Copy
from ccrgui.history import HistoryStore, MarkKind
from ccrgui.history.recorder import HistoryRecorder, marks_between

T0 = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def snap(at: int, owner: str = "EXNODE1", suspended: bool = False, queue: int = 0) -> ClusterSnapshot:
    return ClusterSnapshot(
        "EXCLUS1",
        T0 + timedelta(seconds=at),
        groups=(Group("EXCH1", GroupState.ONLINE, owner, is_cms=True), Group("FS", GroupState.ONLINE, owner)),
        cms=CmsStatus("EXCH1", CmsState.ONLINE, owner),
        copies=(
            Copy(
                "EXCH1\\SG1",
                "SG1",
                CopyStatus.SUSPENDED if suspended else CopyStatus.HEALTHY,
                queue,
                2 * queue,
                suspended=suspended,
                suspend_comment="nightly" if suspended else "",
            ),
        ),
    )


def test_marks_for_suspend_resume_move_and_failover() -> None:
    assert marks_between(None, snap(0)) == []
    m = marks_between(snap(0), snap(10, suspended=True))
    assert [(x.kind, x.target, x.detail) for x in m] == [(MarkKind.SUSPEND, "EXCH1\\SG1", "nightly")]
    m = marks_between(snap(10, suspended=True), snap(20))
    assert [x.kind for x in m] == [MarkKind.RESUME]
    m = marks_between(snap(20), snap(30, owner="EXNODE2"), console_moves=["exch1"])
    assert [(x.kind, x.target, x.detail) for x in m] == [
        (MarkKind.MOVE, "EXCH1", "EXNODE1 to EXNODE2"),
        (MarkKind.FAILOVER, "FS", "EXNODE1 to EXNODE2"),
    ]
    pending = dataclasses.replace(
        snap(40), groups=(Group("EXCH1", GroupState.PENDING, "EXNODE2", is_cms=True),)
    )
    assert marks_between(snap(30, owner="EXNODE2"), pending) == []


def test_recorder_writes_each_new_snapshot_once_and_survives_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path, now=lambda: T0 + timedelta(minutes=5))
    rec = HistoryRecorder(store)
    first = snap(0, queue=3)
    assert rec.observe(first)
    assert not rec.observe(first)  # the same snapshot again: nothing written
    rec.note_move("EXCLUS1", "EXCH1")
    rec.observe(snap(10, owner="EXNODE2", queue=5))
    rec.observe(snap(20, owner="EXNODE1", queue=1))  # back, not by the console: a failover
    store.close()
    again = HistoryStore(path, now=lambda: T0 + timedelta(minutes=5))
    series = again.series("EXCLUS1", T0 - timedelta(hours=1))
    assert [(s.copy_queue, s.replay_queue) for s in series["EXCH1\\SG1"]] == [(3, 6), (5, 10), (1, 2)]
    kinds = [(m.kind, m.target) for m in again.marks("EXCLUS1", T0 - timedelta(hours=1))]
    assert kinds == [
        (MarkKind.MOVE, "EXCH1"),
        (MarkKind.FAILOVER, "FS"),
        (MarkKind.FAILOVER, "EXCH1"),
        (MarkKind.FAILOVER, "FS"),
    ]
    again.close()
