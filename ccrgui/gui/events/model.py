"""The event table: a `QAbstractTableModel` of events and error rows, and its proxy.

Speed matters (100,000 events from two nodes): Qt calling a Python `filterAcceptsRow` or
`lessThan` once per row costs 150-550 ms for 100,000 rows here, over the 100 ms budget for a
quick-search keystroke.  So the source model sorts and searches its own Python lists (one
precomputed lower-case search text per row, a substring test per row in a list comprehension)
and publishes only the matching rows; `EventProxyModel` (the proxy the view talks to) forwards
sorting and the quick search to it and never calls back into Python per row.  It is an identity
proxy: a `QSortFilterProxyModel` kept a mapping of every row that each insert updated, and made
each repaint of the table ~35 % slower (measured with 100,000 rows: 8.0 -> 5.1 ms a repaint).
Memory: rows of events with the same text share one search string (the parser already shares
their data and message), and record numbers seen are kept as ints per node and log: ~200 bytes
a row.
Error rows (a node that could not answer) are always shown, first.
"""

from __future__ import annotations

import operator
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QIdentityProxyModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QIcon
from PySide6.QtWidgets import QApplication, QStyle

from ccrgui import collector
from ccrgui.domain.model import Event, EventLevel
from ccrgui.gui.plaintext import plain_tooltip

COLUMNS: tuple[str, ...] = (
    "Level",
    "Date and Time",
    "Node",
    "Log",
    "Source",
    "Event ID",
    "Task Category",
    "Message",
)
COL_LEVEL, COL_TIME, COL_NODE, COL_LOG, COL_SOURCE, COL_ID, COL_TASK, COL_MESSAGE = range(len(COLUMNS))

EVENT_ROLE = Qt.ItemDataRole.UserRole + 1  # the Event (None for an error row)
ERROR_ROLE = Qt.ItemDataRole.UserRole + 2  # the error text of an error row ("" otherwise)

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ROLES_ANSWERED = frozenset({_DISPLAY, _DECORATION, _TOOLTIP, _FOREGROUND, int(EVENT_ROLE), int(ERROR_ROLE)})

_SEVERITY = {  # sort order of the Level column: most severe first when ascending
    EventLevel.CRITICAL: 0,
    EventLevel.ERROR: 1,
    EventLevel.WARNING: 2,
    EventLevel.INFORMATION: 3,
    EventLevel.LOG_ALWAYS: 3,
    EventLevel.VERBOSE: 4,
}

_Index = QModelIndex | QPersistentModelIndex


class EventRow:
    """One row: an event, or an error saying why a node's log could not be read."""

    __slots__ = ("error", "event", "log", "node", "search", "time_key")

    def __init__(
        self, node: str, log: str, event: Event | None = None, error: str = "", search: str | None = None
    ) -> None:
        self.node = node
        self.log = log
        self.event = event
        self.error = error
        if event is not None:
            self.time_key = event.time_created.timestamp()
            self.search = _search_text(event) if search is None else search
        else:
            self.time_key = float("inf")
            self.search = ""

    @property
    def key(self) -> tuple[str, str, int] | None:
        """What identifies the event across queries (None: no record number, or an error row)."""
        event = self.event
        if event is None or not event.record_id:
            return None
        return (_folded(self.node), _folded(self.log), event.record_id)


_FOLDED: dict[str, str] = {}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LEVEL_TEXT = {level: level.display for level in EventLevel}


def _folded(name: str) -> str:
    """Case-folded node and log names, shared between rows (100,000 rows, a handful of names)."""
    found = _FOLDED.get(name)
    if found is None:
        found = _FOLDED.setdefault(name, sys.intern(name.casefold()))
    return found


def _search_text(event: Event) -> str:
    """What the quick search looks at, lower-cased once (not per keystroke): the columns and the
    event data (the names and values that make a message specific, without its boilerplate)."""
    return "\x1f".join(
        (
            _LEVEL_TEXT[event.level],
            event.node,
            event.log,
            event.provider,
            str(event.event_id),
            event.task,
            event.first_line,
            *event.data.values(),
        )
    ).casefold()


def local_time_text(when: datetime) -> str:
    """The viewer's local time, as the Date and Time column shows it."""
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _level_text(row: EventRow) -> str:
    return "Error" if row.event is None else _LEVEL_TEXT[row.event.level]


MAX_INSERT_RUNS = 32

# What a column's text depends on, for the columns with few distinct values.
_DISTINCT_KEYS: dict[int, Callable[[Event], object]] = {
    COL_LEVEL: operator.attrgetter("level"),
    COL_NODE: operator.attrgetter("node"),
    COL_LOG: operator.attrgetter("log"),
    COL_SOURCE: operator.attrgetter("provider"),
    COL_ID: operator.attrgetter("event_id"),
    COL_TASK: operator.attrgetter("task"),
}


def _merged(rows: list[EventRow], runs: list[tuple[int, list[EventRow]]]) -> list[EventRow]:
    out: list[EventRow] = []
    previous = 0
    for at, new in runs:
        out += rows[previous:at]
        out += new
        previous = at
    out += rows[previous:]
    return out


def _sort_key(column: int) -> Callable[[EventRow], Any]:
    if column == COL_LEVEL:
        return lambda r: _SEVERITY.get(r.event.level, 5) if r.event else -1
    if column == COL_NODE:
        return lambda r: r.node.casefold()
    if column == COL_LOG:
        return lambda r: r.log.casefold()
    if column == COL_SOURCE:
        return lambda r: r.event.provider.casefold() if r.event else ""
    if column == COL_ID:
        return lambda r: r.event.event_id if r.event else -1
    if column == COL_TASK:
        return lambda r: r.event.task.casefold() if r.event else ""
    if column == COL_MESSAGE:
        return lambda r: r.event.first_line.casefold() if r.event else ""
    return lambda r: r.time_key


class EventTableModel(QAbstractTableModel):
    """All events received for the current filter, sorted and searched in Python."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._events: list[EventRow] = []  # in the current sort order
        self._errors: list[EventRow] = []
        self._visible: list[EventRow] = []
        # Record numbers already shown, per (node, log) as given and case-folded (same set).
        self._keys: dict[tuple[str, str], set[int]] = {}
        self._nodes: set[str] = set()
        # Search strings by what they are made of, kept across batches (rows arrive in parts).
        self._searches: dict[tuple[object, ...], tuple[object, str]] = {}
        self._needle = ""
        self._sort_column = COL_TIME
        self._sort_order = Qt.SortOrder.DescendingOrder  # newest first
        self._icons: dict[str, QIcon] = {}
        # One event per distinct value of the columns with few values (column widths, see
        # `distinct_events`), kept as rows arrive: a part costs microseconds, 100,000 rows at
        # the end would cost a stall.
        self._distinct: dict[int, dict[object, Event]] = {c: {} for c in _DISTINCT_KEYS}

    # --- content -------------------------------------------------------------------------
    def clear(self) -> None:
        self.beginResetModel()
        self._events, self._errors, self._visible = [], [], []
        self._keys.clear()
        self._nodes.clear()
        self._searches.clear()
        for samples in self._distinct.values():
            samples.clear()
        self.endResetModel()

    def add_events(self, events: Iterable[Event]) -> int:
        """Append events (duplicates of rows already present are skipped); returns how many."""
        with collector.paused():  # 100,000 new rows would trigger a full collection every few thousand
            added = self._new_rows(events)
        if added:
            self._nodes.update(_folded(node) for node in {r.node for r in added})
            events_added = [r.event for r in added if r.event is not None]
            for column, key in _DISTINCT_KEYS.items():
                self._distinct[column].update(zip(map(key, events_added), events_added, strict=True))
            self._insert(added)
        return len(added)

    def _insert(self, added: list[EventRow]) -> None:
        """Merge new rows into the sorted lists.  Each contiguous run of new rows in the shown
        list is one beginInsertRows/endInsertRows, so views keep their selection, current row
        and scroll position; rows arriving newest first (as the queries read them) form one run
        at the end.  Rows scattered over more than `MAX_INSERT_RUNS` places are merged under a
        model reset instead (cheaper for views than thousands of inserts)."""
        self._order(added)
        runs = self._runs(self._events, 0, added)
        if len(runs) == 1 and runs[0][0] == len(self._events):
            self._events += added  # appended in place: no copy of every row per part
        else:
            self._events = _merged(self._events, runs)
        needle = self._needle
        shown = [r for r in added if needle in r.search] if needle else added
        if not shown:
            return
        base = len(self._errors)
        runs = self._runs(self._visible, base, shown)
        if len(runs) > MAX_INSERT_RUNS:
            self.beginResetModel()
            self._visible = _merged(self._visible, runs)
            self.endResetModel()
            return
        offset = 0
        for at, rows in runs:
            first = at + offset
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._visible[first:first] = rows
            self.endInsertRows()
            offset += len(rows)

    def _order(self, rows: list[EventRow]) -> None:
        """Sort `rows` in place in the current order (as `_sort_rows` sorts all rows)."""
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        if self._sort_column != COL_TIME:
            rows.sort(key=lambda r: r.time_key, reverse=not descending)
        rows.sort(key=_sort_key(self._sort_column), reverse=descending)

    def _goes_before(self) -> Callable[[EventRow, EventRow], bool]:
        """Whether a row is shown strictly before another in the current order (ties as the
        stable two-pass sort of `_sort_rows` leaves them: by time; then the row already there
        first)."""
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        if self._sort_column == COL_TIME:
            if descending:
                return lambda a, b: a.time_key > b.time_key
            return lambda a, b: a.time_key < b.time_key
        key = _sort_key(self._sort_column)

        def before(a: EventRow, b: EventRow) -> bool:
            ka, kb = key(a), key(b)
            if ka != kb:
                return bool(ka > kb) if descending else bool(ka < kb)
            return a.time_key < b.time_key if descending else a.time_key > b.time_key

        return before

    def _runs(self, rows: list[EventRow], lo: int, new: list[EventRow]) -> list[tuple[int, list[EventRow]]]:
        """Where the sorted `new` rows go in `rows[lo:]` (sorted): (index, rows) per run."""
        before = self._goes_before()
        end = len(rows)
        if end == lo or not before(new[0], rows[-1]):
            return [(end, new)]  # all after the last row: appended (the usual case)
        runs: list[tuple[int, list[EventRow]]] = []
        for row in new:
            hi = end
            while lo < hi:  # first index whose row `row` goes before
                mid = (lo + hi) // 2
                if before(row, rows[mid]):
                    hi = mid
                else:
                    lo = mid + 1
            if runs and runs[-1][0] == lo:
                runs[-1][1].append(row)
            else:
                runs.append((lo, [row]))
        return runs

    def _new_rows(self, events: Iterable[Event]) -> list[EventRow]:
        """Rows for the events not shown yet.  Events repeating the same text (the parser shares
        their data and message) share one search string: computed once, stored once."""
        added: list[EventRow] = []
        searches = self._searches
        keys = self._keys
        for event in events:
            node, log, record = event.node, event.log, event.record_id
            if record:
                seen = keys.get((node, log))
                if seen is None:
                    seen = keys.setdefault((_folded(node), _folded(log)), set())
                    keys[(node, log)] = seen
                if record in seen:
                    continue
                seen.add(record)
            same = (
                node,
                log,
                event.provider,
                event.event_id,
                event.level,
                event.task,
                event.message,
                id(event.data),
            )
            found = searches.get(same)
            if found is None or found[0] is not event.data:  # (an id may be reused once freed)
                found = searches[same] = (event.data, _search_text(event))
            added.append(EventRow(node, log, event, search=found[1]))
        return added

    def add_error(self, node: str, log: str, message: str) -> None:
        """An error row: `message` says why the node's log could not be read (control characters
        from damaged output are shown as U+FFFD so the row stays readable)."""
        clean = _CONTROL.sub("\ufffd", message)
        self.beginResetModel()
        self._errors.append(EventRow(node, log, error=clean))
        self._refilter()
        self.endResetModel()

    @property
    def event_count(self) -> int:
        return len(self._events)

    @property
    def node_count(self) -> int:
        """How many nodes the events came from."""
        return len(self._nodes)

    @property
    def nodes_seen(self) -> frozenset[str]:
        """Case-folded names of the nodes that returned at least one event."""
        return frozenset(self._nodes)

    @property
    def shown_count(self) -> int:
        """Events passing the quick search (error rows not counted)."""
        return len(self._visible) - len(self._errors)

    @property
    def errors(self) -> list[tuple[str, str, str]]:
        return [(r.node, r.log, r.error) for r in self._errors]

    def row_at(self, row: int) -> EventRow | None:
        return self._visible[row] if 0 <= row < len(self._visible) else None

    def event_at(self, row: int) -> Event | None:
        found = self.row_at(row)
        return found.event if found else None

    def distinct_events(self, column: int) -> list[Event] | None:
        """One event of all received per distinct value of `column` (Level, Node, Log, Source,
        Event ID, Task Category); None for the other columns."""
        found = self._distinct.get(column)
        return None if found is None else list(found.values())

    def visible_events(self) -> list[Event]:
        return [r.event for r in self._visible if r.event is not None]

    def row_of_event(self, key: tuple[str, str, int]) -> int:
        record = key[2]
        for i, r in enumerate(self._visible):
            event = r.event
            if event is not None and event.record_id == record and r.key == key:
                return i
        return -1

    # --- searching and sorting -------------------------------------------------------------
    @property
    def search_text(self) -> str:
        return self._needle

    def set_search(self, text: str) -> None:
        needle = text.strip().casefold()
        if needle == self._needle:
            return
        self.beginResetModel()
        previous, self._needle = self._needle, needle
        self._refilter(previous)
        self.endResetModel()

    def _refilter(self, previous: str | None = None) -> None:
        needle = self._needle
        if needle:
            # Typing narrows: rows containing "exch1" are among those containing "exch".
            narrowing = previous is not None and previous != "" and previous in needle
            pool = self._visible[len(self._errors) :] if narrowing else self._events
            shown = [r for r in pool if needle in r.search]
        else:
            shown = self._events[:]
        self._visible = self._errors + shown

    def _sort_rows(self) -> None:
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        if self._sort_column != COL_TIME:
            # Newest first within equal keys: sort by time first, then stably by the column.
            self._events.sort(key=lambda r: r.time_key, reverse=not descending)
        self._events.sort(key=_sort_key(self._sort_column), reverse=descending)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            column = COL_TIME
        self.layoutAboutToBeChanged.emit()
        # Keep selections on the same rows across the sort.
        old = self.persistentIndexList()
        held = [self._visible[i.row()] if 0 <= i.row() < len(self._visible) else None for i in old]
        self._sort_column, self._sort_order = column, order
        self._sort_rows()
        self._refilter()
        if old:
            where = {id(r): n for n, r in enumerate(self._visible)}
            new = [
                self.index(where[id(r)], i.column()) if r is not None and id(r) in where else QModelIndex()
                for i, r in zip(old, held, strict=True)
            ]
            self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    @property
    def sort_column(self) -> int:
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._sort_order

    # --- Qt model interface --------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called ~1,000 times per repaint of the table: roles this model does not answer (font,
        # alignment, size hint...) return before anything else, and roles compare as ints.
        if role not in _ROLES_ANSWERED:
            return None
        number = index.row()
        if not 0 <= number < len(self._visible) or not index.isValid():
            return None
        row = self._visible[number]
        column = index.column()
        if role == _DISPLAY:
            return self.display_text(row, column)
        if role == _DECORATION:
            return self._level_icon(row) if column == COL_LEVEL else None
        if role == _TOOLTIP and column == COL_MESSAGE:
            return plain_tooltip(row.error or (row.event.message[:2000] if row.event else ""))
        if role == _TOOLTIP:  # a capped column elides: the whole text here
            return plain_tooltip(self.display_text(row, column)) or None
        if role == _FOREGROUND:
            return QBrush(QColor("#b00020")) if row.event is None else None
        if role == EVENT_ROLE:
            return row.event
        return row.error  # ERROR_ROLE

    @staticmethod
    def display_text(row: EventRow, column: int) -> str:
        event = row.event
        if event is None:
            first = row.error.strip().split("\n", 1)[0]
            return {COL_LEVEL: "Error", COL_NODE: row.node, COL_LOG: row.log, COL_MESSAGE: first}.get(
                column, ""
            )
        if column == COL_LEVEL:
            return event.level.display
        if column == COL_TIME:
            return local_time_text(event.time_created)
        if column == COL_NODE:
            return event.node
        if column == COL_LOG:
            return event.log
        if column == COL_SOURCE:
            return event.provider
        if column == COL_ID:
            return str(event.event_id)
        if column == COL_TASK:
            return event.task
        return event.first_line

    def _level_icon(self, row: EventRow) -> QIcon | None:
        name = _level_text(row)
        found = self._icons.get(name)
        if found is None:
            if not isinstance(QApplication.instance(), QApplication):
                return None  # no widgets application (a model used headless): no icons
            style = QApplication.style()
            pixmap = {
                "Critical": QStyle.StandardPixmap.SP_MessageBoxCritical,
                "Error": QStyle.StandardPixmap.SP_MessageBoxCritical,
                "Warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
            }.get(name, QStyle.StandardPixmap.SP_MessageBoxInformation)
            found = style.standardIcon(pixmap)
            self._icons[name] = found
        return found


class EventProxyModel(QIdentityProxyModel):
    """What the table view shows.  Sorting and the quick search are delegated to the source
    model (see the module docstring: per-row Python callbacks are too slow for 100,000 rows)."""

    def source(self) -> EventTableModel:
        model = self.sourceModel()
        assert isinstance(model, EventTableModel)
        return model

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.source().sort(column, order)

    def set_search(self, text: str) -> None:
        self.source().set_search(text)

    def event_at(self, proxy_row: int) -> Event | None:
        return self.source().event_at(self.mapToSource(self.index(proxy_row, 0)).row())

    def row_at(self, proxy_row: int) -> EventRow | None:
        return self.source().row_at(self.mapToSource(self.index(proxy_row, 0)).row())

    def rows(self, proxy_rows: Sequence[int] | None = None) -> list[EventRow]:
        """Rows in display order (all shown rows, or the given proxy rows)."""
        wanted = range(self.rowCount()) if proxy_rows is None else proxy_rows
        out = []
        for r in wanted:
            found = self.row_at(r)
            if found is not None:
                out.append(found)
        return out


__all__ = [
    "COLUMNS",
    "ERROR_ROLE",
    "EVENT_ROLE",
    "EventProxyModel",
    "EventRow",
    "EventTableModel",
    "local_time_text",
]
