"""Replication history: queue lengths of every storage group copy over time, plus the moments
of suspends, resumes, moves and failovers, kept in SQLite in the user data folder."""

from ccrgui.history.store import (
    DEFAULT_RETENTION_DAYS,
    EventMark,
    HistoryStore,
    MarkKind,
    QueueSample,
    default_history_path,
)

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "EventMark",
    "HistoryStore",
    "MarkKind",
    "QueueSample",
    "default_history_path",
]
