"""From snapshots to history: queue lengths at every refresh, and marks where a copy was
suspended or resumed, or a group changed node (a move the console ran, else a failover).

Qt-free.  The marks come from comparing each snapshot with the previous one of the same cluster,
so changes made outside the console (another admin, a crash) are marked too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ccrgui.domain.model import ClusterSnapshot, GroupState
from ccrgui.history.store import EventMark, HistoryStore, MarkKind, QueueSample


def copy_key(identity: str, storage_group: str) -> str:
    """The name a copy's history is kept under: its Identity (CMS\\SG) as Exchange prints it."""
    return identity or storage_group


def samples_of(snap: ClusterSnapshot) -> list[QueueSample]:
    return [
        QueueSample(
            copy_key(c.identity, c.storage_group), snap.taken_at, c.copy_queue_length, c.replay_queue_length
        )
        for c in snap.copies
    ]


def _owners(snap: ClusterSnapshot) -> dict[str, tuple[str, str]]:
    """Group (casefolded) -> (name, node it runs on); the CMS's node from Exchange when known."""
    out = {
        g.name.casefold(): (g.name, g.owner)
        for g in snap.groups
        if g.owner and not g.state.is_pending and g.state is not GroupState.FAILED
    }
    cms = snap.cms_group
    if cms is not None and cms.name.casefold() in out and snap.cms is not None and snap.cms.active_node:
        out[cms.name.casefold()] = (cms.name, snap.cms.active_node)
    return out


def marks_between(
    prev: ClusterSnapshot | None, snap: ClusterSnapshot, console_moves: Iterable[str] = ()
) -> list[EventMark]:
    """What changed from `prev` to `snap` worth a mark on the charts' time axis."""
    if prev is None:
        return []
    at: datetime = snap.taken_at
    marks = []
    before = {copy_key(c.identity, c.storage_group).casefold(): c for c in prev.copies}
    for c in snap.copies:
        old = before.get(copy_key(c.identity, c.storage_group).casefold())
        if old is None or old.suspended == c.suspended:
            continue
        key = copy_key(c.identity, c.storage_group)
        if c.suspended:
            marks.append(EventMark(at, MarkKind.SUSPEND, key, c.suspend_comment))
        else:
            marks.append(EventMark(at, MarkKind.RESUME, key, ""))
    moved = {m.casefold() for m in console_moves}
    old_owners = _owners(prev)
    for key, (name, node) in _owners(snap).items():
        was = old_owners.get(key)
        if was is None or was[1].casefold() == node.casefold():
            continue
        kind = MarkKind.MOVE if key in moved else MarkKind.FAILOVER
        marks.append(EventMark(at, kind, name, f"{was[1]} to {node}"))
    return marks


class HistoryRecorder:
    """Feeds one `HistoryStore` from every cluster's snapshots (one recorder per console)."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store
        self._last: dict[str, ClusterSnapshot] = {}
        self._moves: dict[str, set[str]] = {}

    def note_move(self, cluster: str, group: str) -> None:
        """The console is about to move `group`: its next change of node is a move, not a failover."""
        self._moves.setdefault(cluster.casefold(), set()).add(group.casefold())

    def observe(self, snap: ClusterSnapshot) -> bool:
        """Record a new snapshot (the same one twice is ignored); True when something was written."""
        cluster = snap.cluster_name
        key = cluster.casefold()
        prev = self._last.get(key)
        if prev is not None and prev.taken_at >= snap.taken_at:
            return False
        self._last[key] = snap
        moves = self._moves.get(key, set())
        marks = marks_between(prev, snap, moves)
        for mark in marks:
            self.store.record_mark(cluster, mark)
            if mark.kind is MarkKind.MOVE:
                moves.discard(mark.target.casefold())
        samples = samples_of(snap)
        self.store.record_samples(cluster, samples)
        return bool(samples or marks)


__all__ = ["HistoryRecorder", "copy_key", "marks_between", "samples_of"]
