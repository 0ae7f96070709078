"""The replication history store (SQLite, no Qt).

Why SQLite: samples arrive at every refresh for every storage group copy and must survive a
restart; charts ask for one cluster's last hours or days, which an index on (cluster, time)
answers without reading the rest.  Times are stored as UTC milliseconds.

A file that is not a readable history database (damaged, truncated, written by a newer version)
is set aside — renamed ``<name>.damaged-<UTC timestamp>`` — and a fresh one is started; `notice`
then says what happened so the GUI can show it.  Nothing raises out of the constructor for a bad
file; a failing write does the same set-aside once and retries.
"""

from __future__ import annotations

import enum
import logging
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import platformdirs

APP_NAME = "ccrgui"
SCHEMA_VERSION = 1
DEFAULT_RETENTION_DAYS = 14
MAX_RETENTION_DAYS = 3650
PRUNE_EVERY = timedelta(hours=1)
log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue_sample (
    cluster TEXT NOT NULL,
    copy TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    copy_queue INTEGER NOT NULL,
    replay_queue INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_sample_by_time ON queue_sample (cluster, at_ms);
CREATE TABLE IF NOT EXISTS event_mark (
    cluster TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS event_mark_by_time ON event_mark (cluster, at_ms);
"""


def default_history_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "replication-history.sqlite3"


class MarkKind(enum.Enum):
    SUSPEND = "suspend"
    RESUME = "resume"
    MOVE = "move"
    FAILOVER = "failover"


@dataclass(frozen=True)
class QueueSample:
    """Queue lengths of one storage group copy (its identity, e.g. ``CMS\\SG``) at one time."""

    copy: str
    at: datetime
    copy_queue: int
    replay_queue: int


@dataclass(frozen=True)
class EventMark:
    at: datetime
    kind: MarkKind
    target: str  # the storage group copy or the CMS/group it concerns
    detail: str = ""


def _ms(when: datetime) -> int:
    if when.tzinfo is None:
        raise ValueError("history times must be timezone-aware")
    return int(when.timestamp() * 1000)


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class HistoryStore:
    """One SQLite file of queue samples and event marks, for any number of clusters."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.path = path or default_history_path()
        self.retention_days = _valid_retention(retention_days)
        self._now = now or (lambda: datetime.now(UTC))
        self.notice: str | None = None
        self._last_prune: datetime | None = None
        self._db = self._open()

    # ---- opening, setting aside ------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"written by a newer version (schema {version})")
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("integrity check failed")
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.commit()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            self._set_aside(str(exc))
            return self._connect()

    def _set_aside(self, reason: str) -> None:
        stamp = self._now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        n = 1
        while aside.exists():
            aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}-{n}")
            n += 1
        self.path.replace(aside)
        for suffix in ("-wal", "-shm", "-journal"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.replace(aside.with_name(aside.name + suffix))
        self.notice = (
            f"The replication history database was damaged ({reason}); it was set aside as "
            f"{aside.name} and a new history was started."
        )
        log.warning("%s", self.notice)

    def _write(self, sql: str, rows: list[tuple[object, ...]]) -> None:
        """executemany + commit; a damaged file is set aside once and the write retried."""
        try:
            self._db.executemany(sql, rows)
            self._db.commit()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            self._set_aside(str(exc))
            self._db = self._connect()
            self._db.executemany(sql, rows)
            self._db.commit()

    def close(self) -> None:
        self._db.close()

    # ---- writing -----------------------------------------------------------------------------------

    def record_samples(self, cluster: str, samples: Iterable[QueueSample]) -> None:
        """Store one refresh's queue lengths; drops what is older than the retention hourly."""
        rows: list[tuple[object, ...]] = [
            (cluster, s.copy, _ms(s.at), max(0, int(s.copy_queue)), max(0, int(s.replay_queue)))
            for s in samples
        ]
        if rows:
            self._write("INSERT INTO queue_sample VALUES (?, ?, ?, ?, ?)", rows)
        now = self._now()
        if self._last_prune is None or now - self._last_prune >= PRUNE_EVERY:
            self.prune()

    def record_mark(self, cluster: str, mark: EventMark) -> None:
        self._write(
            "INSERT INTO event_mark VALUES (?, ?, ?, ?, ?)",
            [(cluster, _ms(mark.at), mark.kind.value, mark.target, mark.detail)],
        )

    def set_retention(self, days: int) -> None:
        self.retention_days = _valid_retention(days)
        self.prune()

    def prune(self) -> int:
        """Delete samples and marks older than the retention; returns how many rows went."""
        now = self._now()
        cutoff = _ms(now - timedelta(days=self.retention_days))
        self._last_prune = now
        try:
            removed = self._db.execute("DELETE FROM queue_sample WHERE at_ms < ?", (cutoff,)).rowcount
            removed += self._db.execute("DELETE FROM event_mark WHERE at_ms < ?", (cutoff,)).rowcount
            self._db.commit()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            self._set_aside(str(exc))
            self._db = self._connect()
            return 0
        return removed

    # ---- reading -----------------------------------------------------------------------------------

    def samples(
        self, cluster: str, since: datetime, until: datetime | None = None, copy: str | None = None
    ) -> list[QueueSample]:
        """Samples of `cluster` (one copy, or all) from `since` to `until`, oldest first."""
        sql = (
            "SELECT copy, at_ms, copy_queue, replay_queue FROM queue_sample WHERE cluster = ? AND at_ms >= ?"
        )
        args: list[object] = [cluster, _ms(since)]
        if until is not None:
            sql += " AND at_ms <= ?"
            args.append(_ms(until))
        if copy is not None:
            sql += " AND copy = ?"
            args.append(copy)
        rows = self._db.execute(sql + " ORDER BY at_ms, rowid", args).fetchall()
        return [QueueSample(c, _time(t), cq, rq) for c, t, cq, rq in rows]

    def series(
        self, cluster: str, since: datetime, until: datetime | None = None
    ) -> dict[str, list[QueueSample]]:
        """The samples grouped by copy (insertion order: first seen first)."""
        out: dict[str, list[QueueSample]] = {}
        for s in self.samples(cluster, since, until):
            out.setdefault(s.copy, []).append(s)
        return out

    def series_peaks(
        self, cluster: str, since: datetime, until: datetime, max_points: int = 600
    ) -> dict[str, list[QueueSample]]:
        """Like `series`, but at most about `max_points` per copy: the range is cut into equal
        slices and each slice keeps its highest queue lengths (a chart of days must still show
        the peaks an admin looks for), timed at the slice's first sample.  SQLite does the work,
        so a month of samples does not cross into Python."""
        start, end = _ms(since), _ms(until)
        width = max(1, (end - start) // max(1, max_points))
        rows = self._db.execute(
            "SELECT copy, MIN(at_ms), MAX(copy_queue), MAX(replay_queue) FROM queue_sample "
            "WHERE cluster = ? AND at_ms >= ? AND at_ms <= ? "
            "GROUP BY copy, (at_ms - ?) / ? ORDER BY MIN(rowid), 2",
            (cluster, start, end, start, width),
        ).fetchall()
        out: dict[str, list[QueueSample]] = {}
        for c, t, cq, rq in rows:
            out.setdefault(c, []).append(QueueSample(c, _time(t), cq, rq))
        for samples in out.values():
            samples.sort(key=lambda q: q.at)
        return out

    def marks(self, cluster: str, since: datetime, until: datetime | None = None) -> list[EventMark]:
        sql = "SELECT at_ms, kind, target, detail FROM event_mark WHERE cluster = ? AND at_ms >= ?"
        args: list[object] = [cluster, _ms(since)]
        if until is not None:
            sql += " AND at_ms <= ?"
            args.append(_ms(until))
        out = []
        for at, kind, target, detail in self._db.execute(sql + " ORDER BY at_ms, rowid", args):
            try:
                out.append(EventMark(_time(at), MarkKind(kind), target, detail))
            except ValueError:
                continue  # a kind this version does not know
        return out


def _valid_retention(days: int) -> int:
    if not 1 <= int(days) <= MAX_RETENTION_DAYS:
        raise ValueError(f"retention must be 1-{MAX_RETENTION_DAYS} days, not {days}")
    return int(days)
