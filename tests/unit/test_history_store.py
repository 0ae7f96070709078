"""The replication history store: persistence across reopen, retention, damaged files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ccrgui.history import EventMark, HistoryStore, MarkKind, QueueSample

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
SG1 = "EXCH1\\First Storage Group"
SG2 = "EXCH1\\Second 'Storage' Group\"; DROP TABLE x; --"


class FakeNow:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _fill(store: HistoryStore, start: datetime, n: int) -> None:
    for i in range(n):
        at = start + timedelta(minutes=i)
        store.record_samples("EXCLUS1", [QueueSample(SG1, at, i, 2 * i), QueueSample(SG2, at, 1, 0)])


def test_samples_and_marks_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    now = FakeNow(T0 + timedelta(hours=1))
    store = HistoryStore(path, now=now)
    _fill(store, T0, 10)
    store.record_mark(
        "EXCLUS1", EventMark(T0 + timedelta(minutes=3), MarkKind.SUSPEND, SG2, "nightly <b>x</b>")
    )
    store.record_mark("OTHER", EventMark(T0, MarkKind.MOVE, "EXCH2"))
    store.close()
    again = HistoryStore(path, now=now)
    assert again.notice is None
    series = again.series("EXCLUS1", T0)
    assert list(series) == [SG1, SG2]
    assert [s.copy_queue for s in series[SG1]] == list(range(10))
    assert series[SG1][4] == QueueSample(SG1, T0 + timedelta(minutes=4), 4, 8)
    assert again.marks("EXCLUS1", T0) == [
        EventMark(T0 + timedelta(minutes=3), MarkKind.SUSPEND, SG2, "nightly <b>x</b>")
    ]
    window = again.samples("EXCLUS1", T0 + timedelta(minutes=2), T0 + timedelta(minutes=3), copy=SG1)
    assert [s.copy_queue for s in window] == [2, 3]
    assert again.series("NOPE", T0) == {}
    again.close()


def test_retention_drops_old_rows_and_is_validated(tmp_path: Path) -> None:
    now = FakeNow(T0)
    store = HistoryStore(tmp_path / "h.sqlite3", retention_days=2, now=now)
    _fill(store, T0 - timedelta(days=3), 3)
    store.record_mark("EXCLUS1", EventMark(T0 - timedelta(days=3), MarkKind.FAILOVER, "EXCH1"))
    _fill(store, T0 - timedelta(hours=1), 2)
    now.now = T0 + timedelta(hours=2)  # the next write prunes (hourly)
    store.record_samples("EXCLUS1", [])
    assert len(store.samples("EXCLUS1", T0 - timedelta(days=10))) == 4
    assert store.marks("EXCLUS1", T0 - timedelta(days=10)) == []
    store.set_retention(1)
    assert store.retention_days == 1
    for bad in (0, -1, 100000):
        with pytest.raises(ValueError):
            store.set_retention(bad)
    with pytest.raises(ValueError):
        store.record_samples("EXCLUS1", [QueueSample(SG1, datetime(2026, 1, 1), 1, 1)])  # naive time
    store.close()


def test_damaged_file_is_set_aside_with_a_notice(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    store = HistoryStore(path, now=FakeNow(T0))
    assert store.notice is not None and "set aside" in store.notice
    aside = list(tmp_path.glob("h.sqlite3.damaged-*"))
    assert [p.name for p in aside] == ["h.sqlite3.damaged-20261204T120000Z"]
    assert aside[0].read_bytes().startswith(b"this is not a database")
    _fill(store, T0, 2)
    assert len(store.samples("EXCLUS1", T0)) == 4
    store.close()
    # a second damage the same second gets its own name
    path.write_bytes(b"garbage")
    HistoryStore(path, now=FakeNow(T0)).close()
    assert len(list(tmp_path.glob("h.sqlite3.damaged-*"))) == 2


def test_newer_schema_is_set_aside(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "h.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    store = HistoryStore(path, now=FakeNow(T0))
    assert store.notice is not None and "newer version" in store.notice
    store.close()


def test_damage_while_running_is_set_aside_on_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = HistoryStore(path, now=FakeNow(T0))
    _fill(store, T0, 1)
    store._db.close()
    path.write_bytes(b"\0garbage" * 512)
    store._db = __import__("sqlite3").connect(path)
    store.record_samples("EXCLUS1", [QueueSample(SG1, T0, 5, 6)])
    assert store.notice is not None
    assert [s.copy_queue for s in store.samples("EXCLUS1", T0)] == [5]
    store.close()


def test_default_path_is_in_the_user_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from ccrgui.history import default_history_path

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_history_path() == tmp_path / "ccrgui" / "replication-history.sqlite3"


def test_series_peaks_keeps_the_highest_queue_of_each_slice(tmp_path: Path) -> None:
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    store = HistoryStore(tmp_path / "h.sqlite3", now=lambda: t0 + timedelta(days=1))
    samples = [
        QueueSample(
            "CMS\\SG1", t0 + timedelta(seconds=10 * i), 50 if i == 1234 else i % 3, 7 if i == 99 else 1
        )
        for i in range(8640)  # a day at 10 s
    ] + [QueueSample("CMS\\SG2", t0 + timedelta(minutes=i), 1, 1) for i in range(3)]
    store.record_samples("C", samples)
    got = store.series_peaks("C", t0, t0 + timedelta(days=1), max_points=100)
    assert list(got) == ["CMS\\SG1", "CMS\\SG2"]
    sg1 = got["CMS\\SG1"]
    assert 90 <= len(sg1) <= 101
    assert [q.at for q in sg1] == sorted(q.at for q in sg1)
    assert max(q.copy_queue for q in sg1) == 50 and max(q.replay_queue for q in sg1) == 7
    assert len(got["CMS\\SG2"]) == 1  # three samples in one slice: one point
    assert store.series_peaks("Other", t0, t0 + timedelta(days=1)) == {}
    store.close()
