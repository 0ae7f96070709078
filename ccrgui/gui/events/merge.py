"""Merging newest-first answers so that the table grows at its end.

Several nodes and logs answer at once, each newest first, in parts.  Inserting every part where
it belongs would scatter its rows between the rows of the other answers (thousands of separate
inserts, or a model reset that loses the selection).  Instead a row is held back until no answer
still running can deliver a newer one: each running answer has reached its own oldest row, and
nothing older than the newest of those marks is released yet.  Released rows then all belong
below every row shown (newest first, the table's default order), so each release is one
insert at the end.  An answer that has not delivered anything yet does not hold the others back
(a slow or hung node must not hide the rows of the rest); its rows, when they come, are
inserted where they belong.  Qt-free.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ccrgui.domain.model import Event

Stream = tuple[str, str]  # (node, log)


class NewestFirstMerge:
    """Holds rows of newest-first answers until they can be appended in order."""

    def __init__(self, streams: Iterable[Stream]) -> None:
        self._marks: dict[Stream, float] = {}  # running answers that started: oldest time so far
        self._running = set(streams)
        # Held rows per answer, newest first, with their times: (times, events, next index).
        self._held: dict[Stream, tuple[list[float], list[Event]]] = {}
        self._next: dict[Stream, int] = {}
        self._count = 0

    @property
    def held(self) -> int:
        return self._count

    def add(self, stream: Stream, events: Sequence[Event], final: bool) -> list[Event]:
        """A part of one answer arrived; returns the rows that can be shown now."""
        pairs = [(e.time_created.timestamp(), e) for e in events]
        if any(pairs[i][0] < pairs[i + 1][0] for i in range(len(pairs) - 1)):
            pairs.sort(key=lambda p: -p[0])  # a clock step on the node: keep the order anyway
        if stream in self._running:
            if final:
                self._running.discard(stream)
                self._marks.pop(stream, None)
            elif pairs:
                oldest = pairs[-1][0]
                self._marks[stream] = min(oldest, self._marks.get(stream, oldest))
        if pairs:
            times, rows = self._held.setdefault(stream, ([], []))
            times.extend(p[0] for p in pairs)
            rows.extend(p[1] for p in pairs)
            self._count += len(pairs)
        return self.release()

    def release(self) -> list[Event]:
        """The held rows no running answer can come before (all of them once none runs).  An
        answer that has not delivered anything yet holds nothing back."""
        if not self._count:
            return []
        limit = max(self._marks.values()) if self._marks else float("-inf")
        parts: list[tuple[list[float], list[Event]]] = []
        for stream, (times, rows) in list(self._held.items()):
            start = self._next.get(stream, 0)
            stop = start
            while stop < len(times) and times[stop] >= limit:  # ties go after shown rows
                stop += 1
            if stop == start:
                continue
            parts.append((times[start:stop], rows[start:stop]))
            if stop == len(times):
                del self._held[stream]
                self._next.pop(stream, None)
            else:
                self._next[stream] = stop
        out = _newest_first(parts)
        self._count -= len(out)
        return out

    def flush(self) -> list[Event]:
        """Everything held (the query ended or was stopped)."""
        self._marks.clear()
        self._running.clear()
        return self.release()


def _newest_first(parts: list[tuple[list[float], list[Event]]]) -> list[Event]:
    """Several answers' released rows (each newest first) as one newest-first list, so that the
    model appends them as one run instead of inserting rows between rows.  Ties keep the order
    of `parts` (a stable sort: Timsort merges the already sorted runs in O(n log k))."""
    if len(parts) == 1:
        return parts[0][1]
    times = [t for part, _ in parts for t in part]
    rows = [r for _, part in parts for r in part]
    order = sorted(range(len(times)), key=times.__getitem__, reverse=True)
    return [rows[i] for i in order]


__all__ = ["NewestFirstMerge"]
