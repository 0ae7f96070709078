"""The event table model, the filter dialog and the events view against an in-memory session.

Sync tests drive widgets directly; async tests run on the qasync loop and poll with
`await asyncio.sleep` (never blocking qtbot waits; see shared/notes/qt-async-testing.md).
"""

from __future__ import annotations

import asyncio
import csv
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication

from ccrgui.domain.eventquery import (
    FAILOVER_CLUSTERING,
    LOG_FC_OPERATIONAL,
    MSEXCHANGE_REPL,
    EventFilter,
    TargetKind,
    TimeRange,
    from_querylist_xml,
    parse_id_spec,
)
from ccrgui.domain.model import Event, EventLevel
from ccrgui.domain.session_api import ConnectionSettings, EventBatch, LogQuery
from ccrgui.gui.events.dialog import EventFilterDialog
from ccrgui.gui.events.model import COL_ID, COL_LEVEL, COL_NODE, COL_TIME, EventProxyModel, EventTableModel
from ccrgui.gui.events.view import EventsView
from ccrgui.remote.parsers import parse_events

NOW = datetime.now(UTC).replace(microsecond=0)


def make_event(
    node: str,
    record: int,
    *,
    event_id: int = 1069,
    level: EventLevel = EventLevel.ERROR,
    log: str = "System",
    provider: str = FAILOVER_CLUSTERING,
    minutes_ago: float | None = None,
    message: str = "",
    data: dict[str, str] | None = None,
) -> Event:
    when = NOW - timedelta(minutes=record if minutes_ago is None else minutes_ago)
    return Event(
        node=node,
        log=log,
        provider=provider,
        event_id=event_id,
        level=level,
        time_created=when,
        record_id=record,
        task="Resource Control Manager",
        computer=f"{node}.contoso.com",
        message=message or f"Cluster resource 'Res {record}' in clustered service or application 'G' failed.",
        data=data or {"ResourceName": f"Res {record}", "ResourceGroup": "G"},
        raw_xml=f"<Event><System><EventRecordID>{record}</EventRecordID></System></Event>",
    )


@dataclass
class FakeEventSession:
    """Answers each LogQuery from an in-memory store, per node, with delays and failures."""

    store: dict[tuple[str, str], list[Event]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    raise_after: int | None = None  # raise after this many batches (the transport died)
    queries: list[list[LogQuery]] = field(default_factory=list)
    cluster_name: str = "EXCLUS1"
    settings: ConnectionSettings = field(
        default_factory=lambda: ConnectionSettings(
            host="EXCLUS1", node_endpoints={"EXNODE1": "http://a", "EXNODE2": "http://b"}
        )
    )

    async def query_events(self, queries: list[LogQuery]) -> AsyncIterator[EventBatch]:
        self.queries.append(list(queries))
        done: asyncio.Queue[EventBatch] = asyncio.Queue()

        async def one(q: LogQuery) -> None:
            await asyncio.sleep(self.delays.get(q.node, 0.0))
            if q.node in self.errors:
                await done.put(EventBatch(q, error=self.errors[q.node]))
                return
            events = sorted(self.store.get((q.node, q.log), []), key=lambda e: -e.record_id)
            levels = {int(x) for x in re.findall(r"Level=(\d)", q.xpath)}  # enough XPath for these tests
            if levels:
                events = [e for e in events if int(e.level) in levels]
            if "EventRecordID <" in q.xpath:
                below = int(q.xpath.rsplit("EventRecordID < ", 1)[1].split("]")[0])
                events = [e for e in events if e.record_id < below]
            await done.put(EventBatch(q, tuple(events[: q.max_events]), truncated=len(events) > q.max_events))

        tasks = [asyncio.ensure_future(one(q)) for q in queries]
        try:
            for n in range(len(queries)):
                if self.raise_after is not None and n >= self.raise_after:
                    raise ConnectionResetError("connection reset by EXNODE2")
                yield await done.get()
        finally:
            for t in tasks:
                t.cancel()


async def wait_for(predicate: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.01)


def texts(proxy: EventProxyModel, column: int) -> list[str]:
    return [proxy.index(r, column).data() for r in range(proxy.rowCount())]


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def session() -> FakeEventSession:
    s = FakeEventSession()
    for node in ("EXNODE1", "EXNODE2"):
        s.store[(node, "System")] = [make_event(node, r) for r in range(1, 8)]
        s.store[(node, "Application")] = [
            make_event(
                node,
                100 + r,
                log="Application",
                provider=MSEXCHANGE_REPL,
                event_id=100,
                level=EventLevel.INFORMATION,
                data={"Server": "EXCH1"},
            )
            for r in range(3)
        ]
    return s


# --- the model ---------------------------------------------------------------------------------


def test_event_model_passes_qtmodeltester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = EventTableModel()
    model.add_events([make_event("EXNODE1", r) for r in range(1, 20)])
    model.add_error("EXNODE2", "System", "Access is denied.")
    qtmodeltester.check(model, force_py=True)
    proxy = EventProxyModel()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy, force_py=True)


def test_model_newest_first_sorting_and_error_rows_first(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = EventTableModel()
    proxy = EventProxyModel()
    proxy.setSourceModel(model)
    model.add_events([make_event("EXNODE1", r, minutes_ago=r) for r in (5, 1, 3)])
    model.add_events(
        [
            make_event("EXNODE2", r, minutes_ago=r + 0.5, event_id=1135, level=EventLevel.CRITICAL)
            for r in (2, 4)
        ]
    )
    model.add_error("EXNODE3", "System", "The RPC server is unavailable.")
    assert [proxy.row_at(r).event.record_id for r in range(1, 6)] == [1, 2, 3, 4, 5]  # type: ignore[union-attr]
    assert proxy.index(0, COL_LEVEL).data() == "Error" and proxy.row_at(0).event is None  # type: ignore[union-attr]
    proxy.sort(COL_ID, Qt.SortOrder.AscendingOrder)
    assert texts(proxy, COL_ID)[1:] == ["1069", "1069", "1069", "1135", "1135"]
    proxy.sort(COL_LEVEL, Qt.SortOrder.AscendingOrder)
    assert texts(proxy, COL_LEVEL)[1:3] == ["Critical", "Critical"]
    proxy.sort(COL_TIME, Qt.SortOrder.AscendingOrder)
    assert [proxy.row_at(r).event.record_id for r in range(1, 6)] == [5, 4, 3, 2, 1]  # type: ignore[union-attr]
    assert model.add_events([make_event("EXNODE1", 3, minutes_ago=3)]) == 0  # duplicate record


def test_model_rows_from_parsed_events_share_search_text(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Parsed events repeating the same text share one search string; a record already shown
    is skipped even when the node name is spelled in another case; keys find rows again."""
    ns = "http://schemas.microsoft.com/win/2004/08/events/event"
    xml = "".join(
        f"<Event xmlns='{ns}'><System><Provider Name='Service Control Manager'/><EventID>7036</EventID>"
        f"<Level>4</Level><Task>0</Task><TimeCreated SystemTime='2026-11-25T21:4{r}:03.000000000Z'/>"
        f"<EventRecordID>{r}</EventRecordID><Channel>System</Channel><Computer>EXNODE1.contoso.com</Computer>"
        f"</System><EventData><Data Name='param1'>{'Cluster Service' if r % 2 else 'DNS Client'}</Data>"
        "</EventData></Event>"
        for r in range(1, 7)
    )
    model = EventTableModel()
    assert model.add_events(parse_events(xml, node="EXNODE1", log="System")) == 6
    assert model.add_events(parse_events(xml, node="exnode1", log="SYSTEM")) == 0
    rows = [model.row_at(i) for i in range(6)]
    searches = {id(r.search) for r in rows if r is not None}
    assert len(searches) == 2
    model.set_search("dns client")
    assert [model.event_at(i).record_id for i in range(model.rowCount())] == [6, 4, 2]  # type: ignore[union-attr]
    row = model.row_at(1)
    assert row is not None and row.key == ("exnode1", "system", 4)
    assert (
        model.row_of_event(("exnode1", "system", 4)) == 1
        and model.row_of_event(("exnode1", "system", 5)) == -1
    )


def test_quick_search_filters_instantly_and_keeps_errors(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = EventTableModel()
    proxy = EventProxyModel()
    proxy.setSourceModel(model)
    model.add_events([make_event("EXNODE1", r) for r in range(1, 11)])
    model.add_events(
        [
            make_event(
                "EXNODE2",
                50,
                event_id=1564,
                message="File share witness resource "
                "'File Share Witness (\\\\HUB1\\FSW_EXCH1)' failed to arbitrate.",
            )
        ]
    )
    model.add_error("EXNODE2", "Application", "Access is denied.")
    proxy.set_search("fsw_exch1")
    assert proxy.rowCount() == 2 and proxy.event_at(1).event_id == 1564  # type: ignore[union-attr]
    proxy.set_search("RES 7")
    assert [proxy.event_at(r).record_id for r in range(1, proxy.rowCount())] == [7]  # type: ignore[union-attr]
    proxy.set_search("exnode2")
    assert proxy.rowCount() == 2
    proxy.set_search("")
    assert proxy.rowCount() == 12


def test_details_pane_explains_known_events_and_node_time(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    view = EventsView(lambda: session)
    qtbot.addWidget(view)
    view.set_node_utc_offsets({"EXNODE2": timedelta(hours=-5)})
    event = make_event("EXNODE2", 9, event_id=1135, level=EventLevel.CRITICAL, data={"NodeName": "EXNODE1"})
    view.add_batch(EventBatch(LogQuery("EXNODE2", "System"), (event,)))
    view.select_proxy_row(0)
    general = view.general_text.toPlainText()
    assert "Node removed from cluster membership" in general
    assert "check the network between the nodes" in general.lower()
    node_time = (event.time_created - timedelta(hours=5)).strftime("%Y-%m-%d %H:%M:%S")
    assert f"Node time:     {node_time} (UTC-05:00)" in general
    assert view.data_text.toPlainText() == "NodeName: EXNODE1"
    assert "<EventRecordID>9</EventRecordID>" in view.xml_text.toPlainText()


def test_export_csv_and_copy_rows(qtbot, session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = EventsView(lambda: session)
    qtbot.addWidget(view)
    view.add_batch(
        EventBatch(
            LogQuery("EXNODE1", "System"),
            tuple(make_event("EXNODE1", r, message=f'line {r}\nsecond, "quoted"') for r in (1, 2, 3)),
        )
    )
    view.add_batch(EventBatch(LogQuery("EXNODE2", "System"), error="Access is denied."))
    view.search_edit.setText("line 2")
    target = tmp_path / "events.csv"
    assert view.export_csv(target) == 2
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["Level", "Date and Time", "Node"]
    assert rows[1][0] == "Error" and rows[1][-2] == "Access is denied."
    assert rows[2][2] == "EXNODE1" and rows[2][-2] == 'line 2\nsecond, "quoted"'
    assert [p.name for p in tmp_path.iterdir()] == ["events.csv"]
    view.search_edit.setText("")
    view.table.selectRow(1)
    copied = view.copy_selection()
    assert copied == QGuiApplication.clipboard().text()
    lines = copied.strip().split("\r\n")
    assert lines[0].startswith("Level\tDate and Time") and "line 1" in lines[1] and len(lines) == 2


# --- the dialog ----------------------------------------------------------------------------------


def test_dialog_shows_and_returns_the_filter(qtbot) -> None:  # type: ignore[no-untyped-def]
    flt = EventFilter(
        nodes=("EXNODE2",),
        logs=("System", LOG_FC_OPERATIONAL, "Custom/Admin"),
        levels=frozenset({EventLevel.CRITICAL, EventLevel.INFORMATION}),
        providers=(FAILOVER_CLUSTERING, "MyApp"),
        event_ids="1069,1200-1210,-1201",
        time_range=TimeRange.LAST_7_DAYS,
        max_events=1234,
    )
    dialog = EventFilterDialog(["EXNODE1", "EXNODE2"], flt)
    qtbot.addWidget(dialog)
    assert dialog.custom_logs_edit.text() == "Custom/Admin"
    assert dialog.custom_sources_edit.text() == "MyApp"
    assert not dialog.any_source_check.isChecked()
    assert dialog.level_checks[EventLevel.INFORMATION].isChecked()
    assert not dialog.level_checks[EventLevel.ERROR].isChecked()
    assert dialog.current_filter() == flt
    assert "&gt;= 1200" in dialog.xml_edit.toPlainText()
    assert from_querylist_xml(dialog.xml_edit.toPlainText()) == flt
    with qtbot.waitSignal(dialog.filterAccepted) as got:
        dialog.ok_button.click()
    assert got.args == [flt] and dialog.filter() == flt


def test_dialog_invalid_ids_show_inline_error_and_disable_ok(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = EventFilterDialog(["EXNODE1"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.ids_edit, "1069,12x")
    assert not dialog.ok_button.isEnabled() and not dialog.save_button.isEnabled()
    assert "unexpected character 'x'" in dialog.ids_error.text() and "character 8" in dialog.ids_error.text()
    assert dialog.ids_error.isVisible()
    assert dialog.xml_edit.toPlainText() == ""
    qtbot.keyClick(dialog.ids_edit, Qt.Key.Key_Backspace)
    assert dialog.ok_button.isEnabled() and not dialog.ids_error.isVisible()
    assert parse_id_spec(dialog.current_filter().event_ids).include[-1].low == 12


def test_dialog_requires_a_node_a_log_and_a_source(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = EventFilterDialog(["EXNODE1", "EXNODE2"])
    qtbot.addWidget(dialog)
    for i in range(dialog.nodes_list.count()):
        dialog.nodes_list.item(i).setCheckState(Qt.CheckState.Unchecked)
    assert not dialog.ok_button.isEnabled() and "Choose at least one node." in dialog.problems_label.text()
    dialog.nodes_list.item(1).setCheckState(Qt.CheckState.Checked)
    assert dialog.ok_button.isEnabled() and dialog.current_filter().nodes == ("EXNODE2",)
    dialog.any_source_check.setChecked(False)
    assert not dialog.ok_button.isEnabled() and dialog.sources_list.isEnabled()
    dialog.sources_list.item(1).setCheckState(Qt.CheckState.Checked)
    assert dialog.current_filter().providers == (MSEXCHANGE_REPL,)
    for i in range(dialog.logs_list.count()):
        dialog.logs_list.item(i).setCheckState(Qt.CheckState.Unchecked)
    assert not dialog.ok_button.isEnabled()
    dialog.reset_button.click()
    assert dialog.current_filter() == EventFilter()


def test_dialog_custom_time_range(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = EventFilterDialog(["EXNODE1"])
    qtbot.addWidget(dialog)
    assert not dialog.from_edit.isEnabled()
    since = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    until = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    dialog.set_filter(EventFilter(time_range=TimeRange.CUSTOM, since=since, until=until))
    assert dialog.from_edit.isEnabled()
    got = dialog.current_filter()
    assert (got.since, got.until) == (since, until)
    dialog.set_filter(EventFilter(time_range=TimeRange.CUSTOM, since=until, until=since))
    assert not dialog.ok_button.isEnabled() and "start is after the end" in dialog.problems_label.text()


def test_dialog_save_and_open_query_files(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    flt = EventFilter(
        logs=("Application",),
        providers=(MSEXCHANGE_REPL,),
        event_ids="100",
        time_range=TimeRange.LAST_30_DAYS,
        nodes=("EXNODE1",),
    )
    dialog = EventFilterDialog(["EXNODE1", "EXNODE2"], flt)
    qtbot.addWidget(dialog)
    path = tmp_path / "repl.xml"
    dialog.save_to(path)
    assert path.read_text(encoding="utf-8").startswith("<QueryList>")
    other = EventFilterDialog(["EXNODE1", "EXNODE2"])
    qtbot.addWidget(other)
    assert other.open_from(path) == ""
    assert other.current_filter() == flt
    bad = tmp_path / "bad.xml"
    bad.write_text("<QueryList><Query><Select Path='System'>*[UserData]</Select></Query></QueryList>")
    assert "unsupported XPath" in other.open_from(bad)
    assert other.current_filter() == flt  # unchanged
    other.copy_xml()
    assert QGuiApplication.clipboard().text() == other.xml_edit.toPlainText() != ""


# --- the view against a session ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_view_streams_each_node_as_it_answers(qtbot, session, settings) -> None:  # type: ignore[no-untyped-def]
    session.delays["EXNODE2"] = 0.4
    view = EventsView(lambda: session, settings=settings)
    qtbot.addWidget(view)
    view.set_nodes(["EXNODE1", "EXNODE2"])
    task = view.run_filter(EventFilter(logs=("System",), levels=frozenset()))
    await wait_for(lambda: view.model.event_count == 7, what="EXNODE1's batch")
    assert set(texts(view.proxy, COL_NODE)) == {"EXNODE1"}
    assert "Waiting for EXNODE2" in view.status_label.text()
    assert view.stop_button.isEnabled()
    await task
    assert view.model.event_count == 14
    assert set(texts(view.proxy, COL_NODE)) == {"EXNODE1", "EXNODE2"}
    assert "14 events from EXNODE1 and EXNODE2." in view.status_label.text()
    assert [q.node for q in session.queries[0]] == ["EXNODE1", "EXNODE2"]


@pytest.mark.asyncio
async def test_view_node_failure_gives_error_row_others_display(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    session.errors["EXNODE2"] = "wevtutil failed: The RPC server is unavailable."
    view = EventsView(lambda: session)
    qtbot.addWidget(view)
    await view.query(EventFilter(logs=("System",), levels=frozenset()))
    assert view.model.errors == [("EXNODE2", "System", "wevtutil failed: The RPC server is unavailable.")]
    assert view.proxy.index(0, COL_NODE).data() == "EXNODE2"
    assert view.model.event_count == 7
    assert "1 log could not be read" in view.status_label.text()
    view.select_proxy_row(0)
    assert "RPC server is unavailable" in view.general_text.toPlainText()


@pytest.mark.asyncio
async def test_view_session_failing_mid_query_keeps_what_arrived(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    session.raise_after = 1
    session.delays["EXNODE2"] = 0.2
    view = EventsView(lambda: session)
    qtbot.addWidget(view)
    await view.query(EventFilter(logs=("System",), levels=frozenset()))
    assert view.model.event_count == 7
    assert view.model.errors == [("EXNODE2", "System", "The query stopped: connection reset by EXNODE2")]
    assert not view.busy and not view.stop_button.isEnabled()


@pytest.mark.asyncio
async def test_view_load_more_continues_below_oldest_record(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    view = EventsView(lambda: session)
    qtbot.addWidget(view)
    view.set_nodes(["EXNODE1"])
    await view.query(EventFilter(logs=("System",), levels=frozenset(), max_events=3))
    assert sorted(e.record_id for e in view.model.visible_events()) == [5, 6, 7]
    assert view.more_button.isEnabled() and "Load more" in view.status_label.text()
    task = view.load_more()
    assert task is not None
    await task
    assert "EventRecordID < 5" in session.queries[-1][0].xpath
    assert sorted(e.record_id for e in view.model.visible_events()) == [2, 3, 4, 5, 6, 7]
    await view.load_more()  # type: ignore[misc]
    assert sorted(e.record_id for e in view.model.visible_events()) == list(range(1, 8))
    assert not view.more_button.isEnabled() and view.load_more() is None


@pytest.mark.asyncio
async def test_view_critical_events_preset_for_a_group(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    session.store[("EXNODE1", "System")].append(
        make_event("EXNODE1", 40, event_id=1205, data={"ResourceGroup": "EXCH1"})
    )
    session.store[("EXNODE2", "System")].append(
        make_event(
            "EXNODE2",
            41,
            event_id=1069,
            level=EventLevel.CRITICAL,
            data={"ResourceName": "EXCH1 Network Name", "ResourceGroup": "EXCH1"},
        )
    )
    session.store[("EXNODE2", "System")].append(
        make_event("EXNODE2", 42, event_id=1069, data={"ResourceGroup": "EXCH10"})
    )
    view = EventsView(lambda: session)
    qtbot.addWidget(view)
    await view.show_critical_events(TargetKind.GROUP, "EXCH1")
    assert sorted(e.record_id for e in view.model.visible_events()) == [40, 41]
    sent = session.queries[-1]
    assert {q.log for q in sent} == {"System", "Application"}
    assert all(
        "(Level=1 or Level=2)" in q.xpath and "timediff(@SystemTime) <= 86400000" in q.xpath for q in sent
    )


@pytest.mark.asyncio
async def test_view_remembers_last_filter_per_cluster(qtbot, session, settings) -> None:  # type: ignore[no-untyped-def]
    view = EventsView(lambda: session, settings=settings)
    qtbot.addWidget(view)
    flt = EventFilter(
        logs=("Application",), providers=(MSEXCHANGE_REPL,), event_ids="100", levels=frozenset()
    )
    await view.query(flt)
    assert view.model.event_count == 6
    again = EventsView(lambda: session, settings=settings)
    qtbot.addWidget(again)
    assert again.current_filter() == flt
    other = FakeEventSession(cluster_name="OTHERCLUS")
    third = EventsView(lambda: other, settings=settings)
    qtbot.addWidget(third)
    assert third.current_filter() == EventFilter()


@pytest.mark.asyncio
async def test_view_filter_dialog_runs_the_query(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    view = EventsView(lambda: session)
    qtbot.addWidget(view)
    view.set_nodes(["EXNODE1", "EXNODE2"])
    view.show()
    view.filter_button.click()
    dialog = view._dialog
    assert dialog is not None and dialog.isVisible()
    dialog.nodes_list.item(0).setCheckState(Qt.CheckState.Unchecked)
    dialog.ids_edit.setText("100")
    dialog.level_checks[EventLevel.INFORMATION].setChecked(True)
    dialog.ok_button.click()
    await wait_for(lambda: session.queries and not view.busy, what="the query")
    assert {q.node for q in session.queries[-1]} == {"EXNODE2"}
    sent = session.queries[-1][0].xpath
    assert "(EventID=100)" in sent and "Level=4 or Level=0" in sent  # the fake filters levels only
    assert view.model.event_count == 10 and set(texts(view.proxy, COL_NODE)) == {"EXNODE2"}


@pytest.mark.asyncio
async def test_view_new_query_supersedes_running_one(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    session.delays["EXNODE2"] = 5.0
    view = EventsView(lambda: session)
    qtbot.addWidget(view)
    first = view.run_filter(EventFilter(logs=("System",), levels=frozenset()))
    await wait_for(lambda: view.model.event_count == 7, what="first batch")
    session.delays["EXNODE2"] = 0.0
    second = view.run_filter(EventFilter(logs=("Application",), levels=frozenset()))
    await second
    assert first.cancelled()
    assert view.model.event_count == 6 and set(texts(view.proxy, 3)) == {"Application"}
    assert view.model.errors == []


def test_view_without_session_says_so(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = EventsView(lambda: None)
    qtbot.addWidget(view)
    asyncio.run(view.query(EventFilter()))
    assert view.status_label.text() == "Not connected to a cluster."
