"""The cluster events pane: filter, stream, search, read, export.

Embedding (helper 7's main window)::

    view = EventsView(lambda: current_session, settings=QSettings())
    view.set_nodes(["EXNODE1", "EXNODE2"])          # after each snapshot
    view.set_node_utc_offsets({"EXNODE1": timedelta(hours=1)})   # optional, for the details pane
    view.run_filter(flt)                             # start a query (needs the running qasync loop)
    view.show_critical_events(TargetKind.GROUP, "EXCH1", related=["EXCH1 Network Name"])
    await view.query(flt)                            # the same, awaited (tests, scripts)
    view.open_filter_dialog()                        # the Filter... button does this

Queries go through `session.query_events(to_log_queries(filter))`: one `wevtutil qe` per node and
log, in parallel; each node's batch is appended as it arrives, a node that fails gets an error
row saying why while the others display.  Results are newest first and bounded per node and log;
"Load more" fetches the next page below the oldest record shown.  The last filter per cluster is
remembered in QSettings as QueryList XML.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import operator
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ccrgui import collector
from ccrgui.domain import event_knowledge
from ccrgui.domain.eventquery import (
    EventFilter,
    FilterError,
    QueryListError,
    TargetKind,
    critical_events_filter,
    default_filter,
    from_querylist_xml,
    to_log_queries,
    to_querylist_xml,
    write_text_atomic,
    xpath_older_than,
)
from ccrgui.domain.model import Event
from ccrgui.domain.session_api import EventBatch, EventSource, LogQuery
from ccrgui.gui.columns import fit_widths
from ccrgui.gui.events.dialog import EventFilterDialog
from ccrgui.gui.events.merge import NewestFirstMerge
from ccrgui.gui.events.model import COLUMNS, EventProxyModel, EventRow, EventTableModel, local_time_text
from ccrgui.gui.events.preview import PREVIEW_CHARS, VALUE_CHARS, bounded
from ccrgui.gui.events.summary import describe_filter, nodes_answer
from ccrgui.gui.plaintext import plain_label
from ccrgui.gui.tasks import NamedTasks

log = logging.getLogger(__name__)

SessionProvider = Callable[[], EventSource | None]
_SETTINGS_KEY = "events/last_filter/"
# Rows go into the model in parts while a query streams.  Each insert makes the table repaint
# (~10 ms here, however few rows: the cost is per insert, not per row), so parts are few and
# large: as many rows as `FEED_CPU_S` of model work allows (~1.5-3 us a row), at most every
# `FEED_INTERVAL_MS` while answers still arrive, every `FEED_TAIL_MS` once they are all in (so
# that one part and its repaint, not several, fall between two turns of anything else; 10 ms
# instead of 25: the tail after the last answer 0.45-0.55 -> 0.34-0.36 s, stalls no longer, in
# 4 paired runs of the events bench).
FEED_CPU_S = 0.008
FEED_INTERVAL_MS = 100
FEED_TAIL_MS = 10
FEED_ROWS_MIN, FEED_ROWS_MAX = 250, 20_000


class EventsView(QWidget):
    """Cluster events: a filter, a sortable searchable table, a details pane."""

    queryStarted = Signal(object)  # EventFilter
    queryFinished = Signal()
    filterChanged = Signal(object)  # EventFilter

    def __init__(
        self,
        session_provider: SessionProvider,
        parent: QWidget | None = None,
        *,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self._session_provider = session_provider
        self._settings = settings
        self._nodes: tuple[str, ...] = ()
        self._offsets: dict[str, timedelta] = {}
        self._filter: EventFilter | None = None
        self._base_xpath = "*"
        self._more: dict[tuple[str, str], int] = {}  # (node, log) -> oldest record id, when truncated
        self._pending: set[tuple[str, str]] = set()
        self._oldest: dict[tuple[str, str], int] = {}  # (node, log) -> oldest record read so far
        self._status_at = 0.0
        self._merge: NewestFirstMerge | None = None  # while a query streams in
        self._ready: list[Event] = []  # released, not yet in the model
        self._feed_timer = QTimer(self)
        self._feed_timer.setSingleShot(True)
        self._feed_timer.timeout.connect(self._feed)
        self._row_cost = 5e-6  # model work per row inserted (CPU seconds), measured as rows go in
        self._generation = 0
        self._tasks = NamedTasks()
        self._dialog: EventFilterDialog | None = None
        self._export_dialog: QFileDialog | None = None

        self.model = EventTableModel(self)
        self.proxy = EventProxyModel(self)
        self.proxy.setSourceModel(self.model)

        self.filter_button = QPushButton("&Filter...")
        self.refresh_button = QPushButton("&Refresh")
        self.more_button = QPushButton("Load &more")
        self.stop_button = QPushButton("S&top")
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search the events shown")
        self.search_edit.setClearButtonEnabled(True)
        self.export_button = QPushButton("E&xport CSV...")
        self.copy_button = QPushButton("&Copy")
        self.status_label = plain_label("No query yet.")
        self.status_label.setWordWrap(True)
        self.filter_label = plain_label()  # the active filter in words (issue 14)
        self.filter_label.setObjectName("filterSummary")
        self.filter_label.setWordWrap(True)
        self.filter_label.setAccessibleName("Active filter")
        self.filterChanged.connect(lambda f: self.filter_label.setText(describe_filter(f, self._nodes)))
        self.queryFinished.connect(self.fit_columns)

        top = QHBoxLayout()
        for w in (self.filter_button, self.refresh_button, self.more_button, self.stop_button):
            top.addWidget(w)
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.export_button)
        top.addWidget(self.copy_button)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((90, 150, 90, 90, 190, 70, 110)):
            header.resizeSection(column, width)
        header.setSortIndicator(self.model.sort_column, self.model.sort_order)  # newest first
        self.table.setSortingEnabled(True)

        self.details_tabs = QTabWidget()
        self.general_text = QPlainTextEdit(readOnly=True)
        self.data_text = QPlainTextEdit(readOnly=True)
        self.xml_text = QPlainTextEdit(readOnly=True)
        self.xml_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details_tabs.addTab(self.general_text, "General")
        self.details_tabs.addTab(self.data_text, "Event data")
        self.details_tabs.addTab(self.xml_text, "XML")
        self.full_text_button = QPushButton("Show &full text")  # when a text was cut (preview.py)
        self.full_text_button.setVisible(False)
        self.full_text_button.clicked.connect(self.show_full_text)
        self.details_tabs.setCornerWidget(self.full_text_button)
        self._details_row: EventRow | None = None

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details_tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.filter_label)
        layout.addWidget(self.status_label)
        layout.addWidget(splitter, 1)

        self.filter_button.clicked.connect(self.open_filter_dialog)
        self.refresh_button.clicked.connect(self.refresh)
        self.more_button.clicked.connect(self.load_more)
        self.stop_button.clicked.connect(self.stop)
        self.search_edit.textChanged.connect(self.proxy.set_search)
        self.search_edit.textChanged.connect(lambda _t: self._update_status())
        self.export_button.clicked.connect(self._ask_export)
        self.copy_button.clicked.connect(self.copy_selection)
        QShortcut(QKeySequence.StandardKey.Copy, self.table, self.copy_selection)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.model.modelAboutToBeReset.connect(self._remember_current)
        self.model.modelReset.connect(self._restore_current)
        self._current_key: tuple[str, str, int] | None = None
        self._update_buttons()

    # --- context from the main window ---------------------------------------------------------------
    def set_nodes(self, nodes: Sequence[str]) -> None:
        """The cluster's nodes (from the latest snapshot): the dialog's node list and "all nodes"."""
        self._nodes = tuple(nodes)

    def set_node_utc_offsets(self, offsets: Mapping[str, timedelta]) -> None:
        """Each node's UTC offset, shown with the node's local time in the details pane."""
        self._offsets = {k.casefold(): v for k, v in offsets.items()}
        self._current_changed(self.table.currentIndex(), QModelIndex())

    def _session(self) -> EventSource | None:
        return self._session_provider()

    def _known_nodes(self, session: EventSource | None) -> tuple[str, ...]:
        if self._nodes:
            return self._nodes
        if session is not None:
            return tuple(session.settings.node_endpoints)
        return ()

    def _cluster_key(self) -> str:
        session = self._session()
        return session.cluster_name if session is not None else ""

    # --- filters ------------------------------------------------------------------------------------
    def current_filter(self) -> EventFilter:
        """The filter shown now, else the last one used for this cluster, else the defaults."""
        if self._filter is not None:
            return self._filter
        return self.remembered_filter() or default_filter()

    def remembered_filter(self) -> EventFilter | None:
        key = self._cluster_key()
        if self._settings is None or not key:
            return None
        text = self._settings.value(_SETTINGS_KEY + key, "")
        if not isinstance(text, str) or not text:
            return None
        try:
            return from_querylist_xml(text)
        except QueryListError:
            log.warning("ignoring a damaged remembered event filter for %s", key)
            return None

    def _remember(self, flt: EventFilter) -> None:
        key = self._cluster_key()
        if self._settings is None or not key or flt.mentions:
            return  # presets ("critical events of X") are not the admin's own filter
        try:
            self._settings.setValue(_SETTINGS_KEY + key, to_querylist_xml(flt))
        except FilterError:
            return

    def open_filter_dialog(self) -> EventFilterDialog:
        """Open the filter dialog (non-modal `open()`); accepting it runs the query."""
        dialog = EventFilterDialog(self._known_nodes(self._session()), self.current_filter(), self)
        dialog.filterAccepted.connect(self.run_filter)
        self._dialog = dialog
        dialog.open()
        return dialog

    def run_filter(self, flt: EventFilter) -> asyncio.Task[Any]:
        """Start querying with `flt` (cancels a query still running).  Needs the running loop."""
        return self._tasks.run("query", self.query(flt))

    def show_critical_events(
        self, kind: TargetKind | str, name: str, related: Sequence[str] = ()
    ) -> asyncio.Task[Any]:
        """The "Show critical events" preset for a cluster, node, group or resource."""
        target = kind if isinstance(kind, TargetKind) else TargetKind(kind)
        flt = critical_events_filter(target, name, related=related)
        return self.run_filter(flt)

    def refresh(self) -> asyncio.Task[Any]:
        return self.run_filter(self.current_filter())

    def stop(self) -> None:
        self._tasks.cancel("query")
        self._tasks.cancel("more")

    @property
    def busy(self) -> bool:
        return self._tasks.is_running("query") or self._tasks.is_running("more")

    # --- querying -------------------------------------------------------------------------------------
    async def query(self, flt: EventFilter) -> None:
        """Run `flt` on the cluster and stream the answers into the table."""
        self._tasks.cancel("more")
        self.model.clear()
        self._more.clear()
        self._filter = flt
        self.filterChanged.emit(flt)
        session = self._session()
        if session is None:
            self._set_status("Not connected to a cluster.")
            return
        try:
            queries = to_log_queries(flt, self._known_nodes(session))
        except FilterError as exc:
            self._set_status(f"The filter cannot run: {exc}")
            return
        self._base_xpath = queries[0].xpath
        self._remember(flt)
        self.queryStarted.emit(flt)
        await self._stream(session, queries, flt)

    def load_more(self) -> asyncio.Task[Any] | None:
        """Fetch the next page for every node and log whose answer was cut at the maximum."""
        if not self._more or self._filter is None:
            return None
        return self._tasks.run("more", self._load_more(self._filter))

    async def _load_more(self, flt: EventFilter) -> None:
        session = self._session()
        if session is None:
            self._set_status("Not connected to a cluster.")
            return
        queries = [
            LogQuery(
                node=node,
                log=log_name,
                xpath=xpath_older_than(self._base_xpath, oldest),
                max_events=flt.max_events,
                newest_first=True,
            )
            for (node, log_name), oldest in self._more.items()
        ]
        self._more.clear()
        await self._stream(session, queries, flt)

    async def _stream(self, session: EventSource, queries: list[LogQuery], flt: EventFilter) -> None:
        self._generation += 1
        generation = self._generation
        self._pending = {(q.node, q.log) for q in queries}
        self._oldest.clear()
        self._merge = NewestFirstMerge([(q.node, q.log) for q in queries if q.newest_first])
        self._ready.clear()
        self._update_buttons()
        self._update_status()
        cancelled = False
        # Rows are long-lived and cannot form cycles, but each full collection re-scans all of
        # them: at 100,000 rows one every 25 % of growth stalls the loop for 100-300 ms.  So no
        # collection while rows stream in, then they are frozen (`ccrgui.collector`).
        collector.hold()
        try:
            async for batch in session.query_events(queries):
                if generation != self._generation:
                    return
                self.add_batch(batch, flt)
            if self._merge is not None:
                self._show(self._merge.flush())
            while self._ready and generation == self._generation:  # the last rows, part by part
                self._feed_timer.stop()
                self._feed()
                await asyncio.sleep(FEED_TAIL_MS / 1000)  # the table repaints, other work runs
        except asyncio.CancelledError:
            cancelled = True
            raise
        except Exception as exc:  # the backend failed as a whole: keep what arrived, say why
            log.exception("event query failed")
            for node, log_name in sorted(self._pending):
                self.model.add_error(node, log_name, f"The query stopped: {exc}")
            self._pending.clear()
        finally:
            collector.release()
            if generation == self._generation:  # a newer query owns the view otherwise
                self._release_held()
                if not cancelled:
                    for node, log_name in sorted(self._pending):
                        self.model.add_error(node, log_name, "The node did not answer.")
                self._pending.clear()
                self._update_buttons()
                self._update_status()
                if cancelled:
                    self._set_status("Stopped. " + self._summary())
                self.queryFinished.emit()

    def add_batch(self, batch: EventBatch, flt: EventFilter | None = None) -> None:
        """Show (part of) one node's answer for one log (events, or an error row saying why).
        A large answer comes in parts (`batch.final` False but for the last): each part's rows
        are inserted as it arrives, the query counts as answered with the last."""
        query = batch.query
        stream = (query.node, query.log)
        if batch.final:
            self._pending.discard(stream)
        wanted = flt or self._filter
        events: Sequence[Event] = batch.events
        if wanted is not None and wanted.mentions:
            events = [e for e in events if wanted.mentions_match(e)]
        if self._merge is not None:
            self._show(self._merge.add(stream, events, batch.final))
        else:
            self.model.add_events(events)
        record_ids = [e.record_id for e in batch.events if e.record_id]
        if record_ids:  # the oldest record read so far: pages continue below it
            oldest = min(record_ids)
            self._oldest[stream] = min(oldest, self._oldest.get(stream, oldest))
        if batch.error:
            self.model.add_error(query.node, query.log, batch.error)
        if batch.final:
            if stream in self._oldest:
                oldest = self._oldest.pop(stream)
                if batch.truncated and query.newest_first:
                    self._more[stream] = oldest
        self._update_buttons()
        if batch.final or time.monotonic() - self._status_at > 0.25:
            self._update_status()

    def _show(self, rows: list[Event]) -> None:
        """Queue released rows (a release can be tens of thousands); the first rows of a query
        go into the model at once, later ones in parts (`_feed`)."""
        if not rows:
            return
        self._ready.extend(rows)
        if self.model.event_count == 0:
            self._feed()
        elif not self._feed_timer.isActive():
            self._feed_timer.start(FEED_INTERVAL_MS if self._pending else FEED_TAIL_MS)

    def _feed(self) -> None:
        """One part: one insert of as many rows as `FEED_CPU_S` of model work allows."""
        count = int(FEED_CPU_S / self._row_cost)
        count = max(FEED_ROWS_MIN, min(FEED_ROWS_MAX, count))
        part, self._ready[:count] = self._ready[:count], []
        if part:
            started = time.thread_time()
            self.model.add_events(part)
            cost = (time.thread_time() - started) / len(part)
            self._row_cost = 0.5 * self._row_cost + 0.5 * max(cost, 5e-7)
        if self._ready:
            self._feed_timer.start(FEED_INTERVAL_MS if self._pending else FEED_TAIL_MS)
        elif part and not self._pending:
            self._update_status()

    def _release_held(self) -> None:
        """The query ended: every row held for the in-order merge, and the rows queued."""
        merge, self._merge = self._merge, None
        if merge is not None:
            self._ready.extend(merge.flush())
        self._feed_timer.stop()
        rows, self._ready = self._ready, []
        self.model.add_events(rows)

    # --- status ---------------------------------------------------------------------------------------
    def _summary(self) -> str:
        shown = self.model.shown_count
        total = self.model.event_count
        nodes = self.model.node_count
        parts = [
            f"{total:,} event{'s' if total != 1 else ''}"
            + (f" ({shown:,} match the search)" if self.model.search_text else "")
        ]
        queried = (self._filter.nodes or self._nodes) if self._filter is not None else ()
        unread = [n for n, _, _ in self.model.errors]
        if queried:  # which nodes answered, which had none, which could not be read
            parts.append(nodes_answer(queried, self.model.nodes_seen, unread))
        elif nodes:
            parts.append(f"from {nodes} node{'s' if nodes != 1 else ''}")
        text = " ".join(parts) + "."
        if self.model.errors:
            failed = len(self.model.errors)
            text += f" {failed} {'logs' if failed != 1 else 'log'} could not be read (red rows)."
        if self._more:
            text += " More events are available: Load more."
        return text

    def fit_columns(self) -> None:
        """Size the columns to what all rows hold (not the first batch); Message takes the rest.

        Run when a query finishes: one row stands for each distinct value of a column (a handful
        of levels, nodes, logs, sources), kept by the model as rows arrive (scanning 100,000 rows
        here cost ~100 ms, a stall); with a quick search active, the shown rows are scanned.
        When the columns do not fit, the widest (Source, Task Category) are narrowed and elide
        (the cell's tooltip has the whole text)."""
        searched = bool(self.model.search_text)
        shown = self.model.visible_events() if searched else []
        first = shown[:50] if searched else [e for e in map(self.model.event_at, range(50)) if e is not None]
        errors = [EventRow(node, log_name, None, message) for node, log_name, message in self.model.errors]
        metrics = self.table.fontMetrics()
        header = self.table.horizontalHeader()
        header.setTextElideMode(Qt.TextElideMode.ElideRight)  # a narrowed title elides
        want = {}
        for column in range(self.model.columnCount() - 1):
            key = _WIDTH_KEYS.get(column)
            # The date has one fixed format: a few rows stand for all.
            if key is None:
                sample: Sequence[Event] = first
            elif searched:
                sample = list(dict(zip(map(key, shown), shown, strict=True)).values())
            else:  # all rows shown: the model keeps one per distinct value as rows arrive
                sample = self.model.distinct_events(column) or []
            rows = [EventRow(e.node, e.log, e, search="") for e in sample]
            texts = {EventTableModel.display_text(r, column) for r in [*rows, *errors]}
            width = max((metrics.horizontalAdvance(t) for t in texts), default=0) + 18  # cell margins
            if column == 0:
                width += max(16, self.table.iconSize().width()) + 8  # the level icon
            want[column] = max(width, header.sectionSizeHint(column))
        # Message (the last column) keeps a quarter of the table; Level and Date never elide.
        width = self.table.viewport().width()
        available = width - max(160, width // 4)
        for column, width in fit_widths(want, available, keep=(0, 1)).items():
            header.resizeSection(column, width)

    def _update_status(self) -> None:
        waiting = ""
        if self._pending:
            waiting = "Waiting for " + ", ".join(sorted({n for n, _ in self._pending})) + "... "
        self._set_status(waiting + self._summary())

    def _set_status(self, text: str) -> None:
        self._status_at = time.monotonic()
        self.status_label.setText(text)

    def _update_buttons(self) -> None:
        self.more_button.setEnabled(bool(self._more) and not self._pending)
        self.stop_button.setEnabled(bool(self._pending))

    # --- details pane ---------------------------------------------------------------------------------
    def _remember_current(self) -> None:
        current = self.table.currentIndex()
        row = self.proxy.row_at(current.row()) if current.isValid() else None
        self._current_key = row.key if row is not None else None

    def _restore_current(self) -> None:
        if self._current_key is None:
            return
        row = self.model.row_of_event(self._current_key)
        if row >= 0:
            self.select_proxy_row(self.proxy.mapFromSource(self.model.index(row, 0)).row())

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.proxy.row_at(current.row()) if current.isValid() else None
        self.show_details(row)

    def show_details(self, row: EventRow | None, *, full: bool = False) -> None:
        """The selected event in the details pane: bounded previews of long texts unless `full`."""
        self._details_row = row
        self.full_text_button.setVisible(False)
        if row is None:
            for w in (self.general_text, self.data_text, self.xml_text):
                w.setPlainText("")
            return
        if row.event is None:
            self.general_text.setPlainText(f"{row.node} — {row.log}: could not be read.\n\n{row.error}")
            self.data_text.setPlainText("")
            self.xml_text.setPlainText("")
            return
        event = row.event
        data = "\n".join(f"{k}: {v if full else bounded(v, VALUE_CHARS)[0]}" for k, v in event.data.items())
        xml = event.raw_xml
        cut = not full and (
            len(event.message.strip()) > PREVIEW_CHARS
            or any(len(v) > VALUE_CHARS for v in event.data.values())
            or len(data) > PREVIEW_CHARS
            or len(xml) > PREVIEW_CHARS
        )
        self.general_text.setPlainText(self.details_text(event, full=full))
        self.data_text.setPlainText(data if full else bounded(data)[0])
        self.xml_text.setPlainText(xml if full else bounded(xml)[0])
        self.full_text_button.setVisible(cut)

    def show_full_text(self) -> None:
        """Load the whole texts of the selected event (the admin asked: it may take a moment)."""
        self.show_details(self._details_row, full=True)

    def details_text(self, event: Event, *, full: bool = True) -> str:
        offset = self._offsets.get(event.node.casefold())
        utc = event.time_created
        if offset is not None:
            node_time = (utc + offset).strftime("%Y-%m-%d %H:%M:%S") + f" (UTC{_offset_text(offset)})"
        else:
            node_time = "unknown (the node's UTC offset is not known)"
        message = event.message.strip() if full else bounded(event.message.strip())[0]
        lines = [
            message or "(no message text)",
            "",
            f"Log name:      {event.log}",
            f"Source:        {event.provider}",
            f"Event ID:      {event.event_id}",
            f"Level:         {event.level.display}",
            f"Task Category: {event.task or 'None'}",
            f"Logged:        {local_time_text(utc)} (this computer)",
            f"Node time:     {node_time}",
            f"UTC:           {utc.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]}Z",
            f"Computer:      {event.computer or event.node}",
            f"Record ID:     {event.record_id}",
        ]
        explanation = event_knowledge.explain(event.provider, event.event_id)
        if explanation:
            lines += ["", "—" * 20, explanation]
        return "\n".join(lines)

    # --- export and copy ---------------------------------------------------------------------------
    def _rows_text(self, rows: Sequence[EventRow], dialect: str) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, dialect=dialect, lineterminator="\r\n")
        writer.writerow([*COLUMNS[:-1], "Message", "UTC"])
        for row in rows:
            cells = [EventTableModel.display_text(row, c) for c in range(len(COLUMNS) - 1)]
            if row.event is not None:
                message = row.event.message.strip() if dialect == "excel" else row.event.first_line
                cells += [message, row.event.time_created.isoformat()]
            else:
                cells += [row.error, ""]
            writer.writerow(cells)
        return buffer.getvalue()

    def export_csv(self, path: str | Path) -> int:
        """Write the shown rows (search and sort applied) to CSV atomically; returns the row count."""
        rows = self.proxy.rows()
        write_text_atomic(Path(path), self._rows_text(rows, "excel"), encoding="utf-8-sig")
        self._set_status(f"Exported {len(rows):,} rows to {path}. " + self._summary())
        return len(rows)

    def _ask_export(self) -> None:
        dlg = QFileDialog(self, "Export events", "", "CSV files (*.csv);;All files (*)")
        dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dlg.setDefaultSuffix("csv")
        dlg.fileSelected.connect(self.export_csv)
        self._export_dialog = dlg
        dlg.open()

    def copy_selection(self) -> str:
        """Copy the selected rows (tab-separated, with a header) to the clipboard."""
        proxy_rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        if not proxy_rows:
            return ""
        text = self._rows_text(self.proxy.rows(proxy_rows), "excel-tab")
        QGuiApplication.clipboard().setText(text)
        return text

    # --- lifetime -------------------------------------------------------------------------------------
    async def close_async(self) -> None:
        await self._tasks.cancel_all()

    def select_proxy_row(self, row: int) -> None:
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().setCurrentIndex(self.proxy.index(row, 0), flags)

    def with_filter(self, **changes: Any) -> EventFilter:
        """The current filter with some fields changed (e.g. `nodes=("EXNODE1",)`)."""
        return replace(self.current_filter(), **changes)


# What a column's text depends on (the distinct values are few); the date column has none.
_WIDTH_KEYS: dict[int, Callable[[Event | None], object]] = {
    0: operator.attrgetter("level"),
    2: operator.attrgetter("node"),
    3: operator.attrgetter("log"),
    4: operator.attrgetter("provider"),
    5: operator.attrgetter("event_id"),
    6: operator.attrgetter("task"),
}


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


__all__ = ["EventsView", "SessionProvider"]
