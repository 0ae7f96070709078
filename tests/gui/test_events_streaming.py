"""Events arriving in parts: rows inserted incrementally (beginInsertRows per run, selection
kept), the newest-first merge that makes parts append, and partial batches in the view."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QTableView

from ccrgui.domain.eventquery import EventFilter
from ccrgui.domain.model import Event, EventLevel
from ccrgui.gui.events.merge import NewestFirstMerge
from ccrgui.gui.events.model import COL_ID, COL_TIME, EventProxyModel, EventTableModel
from ccrgui.gui.events.view import EventsView
from ccrgui.remote.api import ConnectionSettings, EventBatch, LogQuery

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def ev(node: str, record: int, minutes_ago: float, log: str = "System", event_id: int = 1069) -> Event:
    return Event(
        node=node,
        log=log,
        provider="Microsoft-Windows-FailoverClustering",
        event_id=event_id,
        level=EventLevel.ERROR,
        time_created=NOW - timedelta(minutes=minutes_ago),
        record_id=record,
        task="",
        computer=node,
        message=f"event {record}",
        data={},
        raw_xml="",
    )


def times(model: EventTableModel) -> list[float]:
    return [model.row_at(r).time_key for r in range(model.rowCount())]  # type: ignore[union-attr]


def test_batches_insert_rows_in_order_and_pass_qtmodeltester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = EventTableModel()
    proxy = EventProxyModel()
    proxy.setSourceModel(model)
    qtmodeltester.check(model, force_py=True)  # keeps checking every change below
    inserted: list[tuple[int, int]] = []
    resets: list[int] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.modelReset.connect(lambda: resets.append(1))
    model.add_events([ev("N1", r, r) for r in range(1, 26)])  # newest first, minutes 1..25
    model.add_events([ev("N1", r, r) for r in range(26, 51)])  # older: appended
    assert inserted == [(0, 24), (25, 49)]
    model.add_events([ev("N2", 100, 4.5), ev("N2", 101, 14.5)])  # two places in the middle
    assert inserted[2:] == [(4, 4), (15, 15)]
    assert resets == []
    assert times(model) == sorted(times(model), reverse=True)
    model.add_events([ev("N3", 200 + i, i + 0.25) for i in range(40)])  # scattered: one reset
    assert resets == [1]
    assert times(model) == sorted(times(model), reverse=True)
    assert model.event_count == 92
    model.sort(COL_ID)
    model.add_events([ev("N4", 300, 0.1, event_id=5), ev("N4", 301, 0.2, event_id=9999)])
    ids = [model.row_at(r).event.event_id for r in range(model.rowCount())]  # type: ignore[union-attr]
    assert ids[0] == 5 and ids[-1] == 9999


def test_insert_keeps_selection_and_current_row(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = EventTableModel()
    proxy = EventProxyModel()
    proxy.setSourceModel(model)
    table = QTableView()
    qtbot.addWidget(table)
    table.setModel(proxy)
    model.add_events([ev("N1", r, r) for r in range(1, 11)])
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    table.selectionModel().setCurrentIndex(proxy.index(5, 0), flags)
    model.add_events([ev("N2", 50, 0.5), ev("N2", 51, 2.5), ev("N2", 52, 30)])  # before, between, after
    current = table.currentIndex()
    assert proxy.event_at(current.row()).record_id == 6  # type: ignore[union-attr]
    assert [proxy.event_at(i.row()).record_id for i in table.selectionModel().selectedRows()] == [6]  # type: ignore[union-attr]


def test_merge_holds_rows_until_every_running_answer_passed_them() -> None:
    a, b = ("N1", "System"), ("N2", "System")
    merge = NewestFirstMerge([a, b])
    first = merge.add(a, [ev("N1", 1, 1), ev("N1", 2, 5)], final=False)
    assert [e.record_id for e in first] == [1, 2]  # N2 has said nothing yet: holds nothing back
    got = merge.add(b, [ev("N2", 10, 2), ev("N2", 11, 9)], final=False)
    assert [e.record_id for e in got] == [10]  # N1 may still send rows down to minute 5
    got = merge.add(a, [ev("N1", 3, 8), ev("N1", 4, 12)], final=False)
    assert sorted(e.record_id for e in got) == [3, 11]  # both reached minute 9: down to 9 go
    assert merge.held == 1  # N1's minute 12: N2 may still send minutes 9 to 12
    got = merge.add(b, [], final=True)
    assert [e.record_id for e in got] == [4]
    assert merge.flush() == []


def test_merge_releases_several_answers_newest_first_as_one_run() -> None:
    a, b, c = ("N1", "System"), ("N2", "System"), ("N3", "System")
    merge = NewestFirstMerge([a, b, c])
    assert merge.add(c, [ev("N3", 20, 0.5)], final=False) != []
    assert merge.add(a, [ev("N1", 1, 1), ev("N1", 2, 3), ev("N1", 3, 5)], final=False) == []
    assert merge.add(b, [ev("N2", 10, 2), ev("N2", 11, 4), ev("N2", 12, 6)], final=False) == []
    got = merge.add(c, [], final=True)
    # Both answers' rows interleave by time (a model appends them as one run each time).
    assert [e.record_id for e in got] == [1, 10, 2, 11, 3]
    assert [e.record_id for e in merge.flush()] == [12]
    model = EventTableModel()
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.add_events(got[:2])
    model.add_events(got[2:])
    assert inserted == [(0, 1), (2, 4)]


@pytest.mark.asyncio
async def test_view_shows_partial_batches_and_pages_below_the_oldest_part(qtbot) -> None:  # type: ignore[no-untyped-def]
    release = asyncio.Event()

    class Parts:
        cluster_name = "EXCLUS1"
        settings = ConnectionSettings(host="EXCLUS1", node_endpoints={"N1": "http://a"})
        queries: ClassVar[list[list[LogQuery]]] = []

        async def query_events(self, queries: list[LogQuery]) -> AsyncIterator[EventBatch]:
            self.queries.append(queries)
            q = queries[0]
            yield EventBatch(q, tuple(ev("N1", 100 - r, r) for r in range(5)), final=False)
            await release.wait()
            yield EventBatch(q, tuple(ev("N1", 100 - r, r) for r in range(5, 10)), final=False)
            yield EventBatch(q, (), truncated=True)

    session = Parts()
    view = EventsView(lambda: session)
    qtbot.addWidget(view)
    view.set_nodes(["N1"])
    task = view.run_filter(EventFilter(logs=("System",), levels=frozenset(), max_events=10))
    for _ in range(200):
        if view.model.event_count == 5:
            break
        await asyncio.sleep(0.01)
    assert view.model.event_count == 5
    assert "Waiting for N1" in view.status_label.text()
    release.set()
    await task
    assert view.model.event_count == 10
    assert view.model.sort_column == COL_TIME
    assert view.more_button.isEnabled()
    more = view.load_more()
    assert more is not None
    await more
    assert "EventRecordID < 91" in session.queries[-1][0].xpath
