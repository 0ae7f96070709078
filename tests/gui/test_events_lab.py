"""The events view against the lab over real WinRM (the backend's WinRMClusterSession).

Checks the whole chain for events: filter → XPath → backend → WinRM → the lab's wevtutil →
parser → table, with a node down, a node answering garbage, and the critical-events preset.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from PySide6.QtCore import Qt

from ccrgui.domain.eventquery import FAILOVER_CLUSTERING, EventFilter, TargetKind, TimeRange
from ccrgui.domain.model import EventLevel
from ccrgui.gui.events.model import COL_NODE
from ccrgui.gui.events.view import EventsView

pytest.importorskip("ccrgui.remote.session")
pytestmark = [pytest.mark.integration, pytest.mark.gui, pytest.mark.timeout(240)]

SLOW = 120.0




async def wait_for(predicate: Callable[[], object], timeout: float = SLOW, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.05)


@pytest_asyncio.fixture
async def session(lab: Any) -> AsyncIterator[Any]:
    from ccrgui.app import demo_connection, make_session

    settings, password = demo_connection(lab.info())
    s = make_session(settings, password)
    yield s
    await s.close()


@pytest_asyncio.fixture
async def view(qtbot: Any, session: Any, lab: Any) -> AsyncIterator[EventsView]:
    v = EventsView(lambda: session)
    v.set_nodes([n.name for n in lab.topology.nodes])
    v.show()
    yield v
    await v.close_async()
    v.close()
    v.deleteLater()


def expected_ids(lab: Any, node: str, log: str, since: datetime, levels: set[int] | None = None) -> set[int]:
    return {
        r.record_id
        for r in lab.journal.records(node, log)
        if r.time_created >= since and (levels is None or r.level in levels)
    }


@pytest.mark.asyncio
async def test_query_both_nodes_matches_the_lab_journal(view: EventsView, lab: Any) -> None:
    since = datetime.now(UTC) - timedelta(days=7) + timedelta(minutes=5)  # clear of the boundary
    await view.query(
        EventFilter(logs=("System", "Application"), levels=frozenset(), time_range=TimeRange.LAST_7_DAYS)
    )
    assert view.model.errors == []
    got: dict[tuple[str, str], set[int]] = {}
    for e in view.model.visible_events():
        got.setdefault((e.node.upper(), e.log), set()).add(e.record_id)
    for node in lab.journal.nodes:
        for log in ("System", "Application"):
            want = expected_ids(lab, node, log, since)
            assert want <= got.get((node.upper(), log), set()), (node, log)
    assert view.model.node_count == len(lab.journal.nodes)
    view.search_edit.setText(lab.journal.nodes[1].lower())
    assert {view.proxy.index(r, COL_NODE).data().upper() for r in range(view.proxy.rowCount())} == {
        lab.journal.nodes[1].upper()
    }


@pytest.mark.asyncio
async def test_a_node_down_gets_an_error_row_the_other_displays(view: EventsView, lab: Any) -> None:
    down = lab.journal.nodes[1]
    lab.faults.down.add(down)
    await view.query(EventFilter(logs=("System",), levels=frozenset(), time_range=TimeRange.LAST_30_DAYS))
    errors = view.model.errors
    assert [(n.upper(), log) for n, log, _ in errors] == [(down.upper(), "System")]
    assert errors[0][2]  # says why
    nodes = {e.node.upper() for e in view.model.visible_events()}
    assert nodes == {lab.journal.nodes[0].upper()}
    assert "could not be read" in view.status_label.text()


@pytest.mark.asyncio
async def test_malformed_output_from_a_node_is_an_error_row(view: EventsView, lab: Any) -> None:
    bad = lab.journal.nodes[0]
    await view.query(EventFilter(logs=("System",), levels=frozenset(), time_range=TimeRange.LAST_HOUR))
    lab.faults.arm(lab.faults.garble_next, bad, 50)
    await view.query(EventFilter(logs=("System",), levels=frozenset(), time_range=TimeRange.LAST_30_DAYS))
    lab.faults.garble_next.pop(bad, None)
    assert [n.upper() for n, _, _ in view.model.errors] == [bad.upper()]
    reason = view.model.errors[0][2]
    assert "unreadable" in reason or "not well-formed" in reason, reason
    assert not any(ord(c) < 32 and c not in "\n\t\r" for c in reason)  # shown readable
    good = lab.journal.nodes[1]
    assert {e.node.upper() for e in view.model.visible_events()} == {good.upper()}
    assert len(view.model.visible_events()) >= len(
        expected_ids(lab, good, "System", datetime.now(UTC) - timedelta(days=29))
    )


@pytest.mark.asyncio
async def test_critical_events_of_the_cms_group(view: EventsView, lab: Any) -> None:
    cms = lab.topology.cms_name
    node = lab.journal.nodes[0]
    failed = lab.journal.write(
        node,
        "System",
        FAILOVER_CLUSTERING,
        1069,
        int(EventLevel.ERROR),
        data=[("ResourceName", f"{cms} Network Name"), ("ResourceGroup", cms)],
    )
    other = lab.journal.write(
        node,
        "System",
        FAILOVER_CLUSTERING,
        1069,
        int(EventLevel.ERROR),
        data=[("ResourceName", "Cluster IP Address"), ("ResourceGroup", "Cluster Group")],
    )
    await view.show_critical_events(TargetKind.GROUP, cms)
    ids = {(e.node.upper(), e.record_id) for e in view.model.visible_events()}
    assert (node.upper(), failed.record_id) in ids
    assert (node.upper(), other.record_id) not in ids
    assert all(e.level in (EventLevel.CRITICAL, EventLevel.ERROR) for e in view.model.visible_events())
    row = next(
        r
        for r in range(view.proxy.rowCount())
        if (ev := view.proxy.event_at(r)) is not None and ev.record_id == failed.record_id
    )
    view.select_proxy_row(row)
    assert "Cluster resource failed" in view.general_text.toPlainText()
    assert cms in view.data_text.toPlainText()


@pytest.mark.asyncio
async def test_a_node_going_down_mid_query(view: EventsView, lab: Any) -> None:
    await view.query(EventFilter(logs=("System",), levels=frozenset(), time_range=TimeRange.LAST_HOUR))
    lab.faults.costs.wevtutil_s = 1.0  # both nodes are still busy in wevtutil ...
    try:
        task = view.run_filter(
            EventFilter(logs=("System",), levels=frozenset(), time_range=TimeRange.LAST_30_DAYS)
        )
        await wait_for(lambda: view.busy and "Waiting for" in view.status_label.text(), 10, "the query")
        lost = lab.journal.nodes[1]
        lab.faults.down.add(lost)  # ... when one of them stops answering
        await task
    finally:
        lab.faults.costs.wevtutil_s = 0.0
    assert [n.upper() for n, _, _ in view.model.errors] == [lost.upper()]
    assert {e.node.upper() for e in view.model.visible_events()} == {lab.journal.nodes[0].upper()}


@pytest.mark.asyncio
async def test_filter_dialog_drives_a_lab_query(view: EventsView, lab: Any) -> None:
    node = lab.journal.nodes[0]
    removed = lab.journal.nodes[1]
    rec = lab.journal.write(
        node, "System", FAILOVER_CLUSTERING, 1135, int(EventLevel.CRITICAL), data=[("NodeName", removed)]
    )
    view.filter_button.click()
    dialog = view._dialog
    assert dialog is not None and dialog.isVisible()
    dialog.ids_edit.setText("1135,-1136")
    dialog.any_source_check.setChecked(False)
    dialog.sources_list.item(0).setCheckState(Qt.CheckState.Checked)  # FailoverClustering
    dialog.time_combo.setCurrentIndex(1)  # last hour
    assert dialog.ok_button.isEnabled()
    dialog.ok_button.click()
    await wait_for(lambda: not view.busy and view.model.event_count > 0, what="the dialog's query")
    events = view.model.visible_events()
    assert {(e.node.upper(), e.record_id) for e in events} >= {(node.upper(), rec.record_id)}
    assert {(e.provider, e.event_id) for e in events} == {(FAILOVER_CLUSTERING, 1135)}
    view.select_proxy_row(0)
    assert "check the network between the nodes" in view.general_text.toPlainText().lower()
