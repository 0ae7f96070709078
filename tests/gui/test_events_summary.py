"""The event view says which filter is active and which nodes answered; columns fit all rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from ccrgui.domain.eventquery import EventFilter, TargetKind, TimeRange, critical_events_filter
from ccrgui.domain.model import EventLevel
from ccrgui.gui.events.model import COL_LEVEL, COL_SOURCE
from ccrgui.gui.events.summary import describe_filter, nodes_answer
from ccrgui.gui.events.view import EventsView
from tests.gui.test_events_view import FakeEventSession, make_event


def test_the_critical_preset_in_words_names_the_object() -> None:
    nodes = ["EXNODE1", "EXNODE2"]
    flt = critical_events_filter(TargetKind.GROUP, "EXCH1", nodes=nodes, related=["EXCH1 IP"])
    text = describe_filter(flt, ["EXNODE1", "EXNODE2"])
    assert text.startswith("Filter: Critical and Error events of the last 24 hours in System and Application")
    assert "all nodes" in text and "naming “EXCH1” or “EXCH1 IP”" in text
    cluster = describe_filter(critical_events_filter(TargetKind.CLUSTER, "EXCLUS1"), [])
    assert "cluster and Exchange replication sources" in cluster and "naming" not in cluster
    node = describe_filter(critical_events_filter(TargetKind.NODE, "EXNODE2"), [])
    assert "naming “EXNODE2” (or logged on it)" in node


def test_other_filters_in_words() -> None:
    flt = EventFilter(
        nodes=("EXNODE2",),
        logs=("System",),
        levels=frozenset(),
        event_ids="1069, 1135",
        time_range=TimeRange.LAST_7_DAYS,
        max_events=500,
        providers=("Microsoft-Windows-FailoverClustering",),
    )
    assert describe_filter(flt, ["EXNODE1", "EXNODE2"]) == (
        "Filter: All events of the last 7 days in System, on EXNODE2, from "
        "Microsoft-Windows-FailoverClustering, event IDs 1069, 1135, at most 500 per node and log."
    )


def test_which_nodes_answered() -> None:
    assert nodes_answer(["EXNODE1", "EXNODE2"], {"exnode2"}, []) == "from EXNODE2; none from EXNODE1"
    assert nodes_answer(["A", "B", "C"], {"a"}, ["C"]) == "from A; none from B; C could not be read"
    assert nodes_answer(["A", "B"], set(), []) == "— none from A and B"


@pytest.mark.asyncio
async def test_the_view_shows_filter_and_answering_nodes_and_fits_columns(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    session = FakeEventSession()
    long_source = "Microsoft-Windows-A-Very-Long-Provider-Name-That-Must-Be-Elided-Somewhere"
    session.store[("EXNODE2", "System")] = [
        make_event("EXNODE2", 1, level=EventLevel.ERROR),
        make_event("EXNODE2", 2, level=EventLevel.INFORMATION, provider=long_source),
    ]
    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    view = EventsView(lambda: session, settings=qs)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    view.set_nodes(["EXNODE1", "EXNODE2"])
    await view.run_filter(critical_events_filter(TargetKind.GROUP, "EXCH1", nodes=["EXNODE1", "EXNODE2"]))
    assert "naming “EXCH1”" in view.filter_label.text() and view.filter_label.isVisible()
    await view.run_filter(EventFilter(logs=("System",), levels=frozenset()))
    assert "2 events from EXNODE2; none from EXNODE1." in view.status_label.text()
    metrics = view.table.fontMetrics()
    level = view.table.columnWidth(COL_LEVEL)
    assert level >= metrics.horizontalAdvance("Information") + 16 + 8  # text and icon, from the 2nd row
    source = view.table.columnWidth(COL_SOURCE)
    assert source < metrics.horizontalAdvance(long_source)  # capped: elided, whole text in the tooltip
    rows = range(view.proxy.rowCount())
    row = next(r for r in rows if view.proxy.index(r, COL_SOURCE).data() == long_source)
    assert view.proxy.index(row, COL_SOURCE).data(Qt.ItemDataRole.ToolTipRole) == long_source
    assert not view.table.horizontalScrollBar().isVisible()  # Message keeps its share of the width


def test_fit_widths_narrows_the_widest_columns_to_a_common_cap() -> None:
    from ccrgui.gui.columns import fit_widths

    assert fit_widths({0: 50, 1: 80}, 200) == {0: 50, 1: 80}
    assert fit_widths({0: 50, 1: 300, 2: 200}, 350) == {0: 50, 1: 150, 2: 150}
    assert fit_widths({0: 100, 1: 300, 2: 60}, 300, keep=(0,)) == {0: 100, 1: 140, 2: 60}
