"""The main window driven through its menus and panes against an in-memory cluster session."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from ccrgui.domain.model import GroupState, NodeState
from ccrgui.gui.oplog import FAILED, SUCCEEDED
from ccrgui.gui.results import Results
from ccrgui.gui.tree import ItemRef, Kind
from ccrgui.gui.window import MainWindow
from tests.gui.fakes import FakeSession
from tests.gui.guitools import confirm, menu_action, wait_for

MOVE = "Move this service or application to another node"


def cms_owner(window: MainWindow) -> str:
    return window.results.results.section("Summary of EXCH1").value("Current Owner")


async def connected(window: MainWindow, session: FakeSession) -> str:
    conn = window.add_session(session)
    await wait_for(
        lambda: window.tree_model.find(ItemRef(conn, Kind.GROUP, "EXCH1")).isValid(), what="snapshot"
    )
    return conn


@pytest.mark.asyncio
async def test_move_cms_through_context_menu(window: MainWindow) -> None:
    session = FakeSession()
    conn = await connected(window, session)
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    assert window.results.heading.text() == "EXCH1"
    assert cms_owner(window) == "EXNODE1"
    menu = window.context_menu()
    best = menu_action(menu, MOVE, "Best possible node")
    assert not best.isEnabled() and "named passive node" in best.toolTip()
    menu_action(menu, MOVE, "EXNODE2").trigger()
    dialog = await confirm(window, "Patch Tuesday")
    assert "Users of EXCH1 lose mail access during the move from EXNODE1 to EXNODE2" in dialog.impact.text()
    assert "-MoveComment 'Patch Tuesday'" in dialog.commands()
    await wait_for(lambda: cms_owner(window) == "EXNODE2", what="owner change")
    assert session.calls[-1] == ("move", "EXCH1", "EXNODE2", "Patch Tuesday")
    log = window.oplog.model.entries()[-1]
    assert (
        log.status == SUCCEEDED
        and "Move-ClusteredMailboxServer" in log.command
        and log.target == "EXCLUS1\\EXCH1"
    )


@pytest.mark.asyncio
async def test_cancel_confirmation_runs_nothing(window: MainWindow) -> None:
    session = FakeSession()
    conn = await connected(window, session)
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    window.actions_pane.button("Take this service or application offline").click()
    await wait_for(lambda: window.confirm_dialog is not None and window.confirm_dialog.isVisible())
    assert window.confirm_dialog is not None
    window.confirm_dialog.reject()
    await wait_for(lambda: window.confirm_dialog is not None and not window.confirm_dialog.isVisible())
    assert session.calls == [] and window.oplog.model.entries() == []


@pytest.mark.asyncio
async def test_offline_online_and_pause_resume(window: MainWindow) -> None:
    session = FakeSession()
    conn = await connected(window, session)
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    online = window.actions_pane.button("Bring this service or application online")
    assert not online.isEnabled() and "already online" in online.toolTip()
    window.actions_pane.button("Take this service or application offline").click()
    dialog = await confirm(window, "maintenance")
    assert "-StopReason 'maintenance'" in dialog.commands()
    state = lambda: window.results.results.section("Summary of EXCH1").value("Status")  # noqa: E731
    await wait_for(lambda: state() == "Offline", what="offline")
    window.actions_pane.button("Bring this service or application online").click()
    await wait_for(lambda: state() == "Online", what="online")

    window.select(ItemRef(conn, Kind.NODE, "EXNODE2"))
    window.actions_pane.button("Pause").click()
    node = lambda: window.tree_model.find(ItemRef(conn, Kind.NODE, "EXNODE2"))  # noqa: E731
    await wait_for(lambda: node().data(Qt.ItemDataRole.ToolTipRole) == "Paused", what="paused")
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    target = menu_action(window.context_menu(), MOVE, "EXNODE2")
    assert not target.isEnabled() and "paused" in target.toolTip()
    window.select(ItemRef(conn, Kind.NODE, "EXNODE2"))
    window.actions_pane.button("Resume").click()
    await wait_for(lambda: node().data(Qt.ItemDataRole.ToolTipRole) == "Up", what="resumed")
    assert [c[0] for c in session.calls] == ["offline", "online", "pause", "resume"]


@pytest.mark.asyncio
async def test_failed_action_shows_windows_error_and_rereads(window: MainWindow) -> None:
    session = FakeSession()
    conn = await connected(window, session)
    window.select(ItemRef(conn, Kind.NODE, "EXNODE1"))
    before = session.snapshot_calls
    session.fail_next = "System error 5010 has occurred (0x00001392).\nThe cluster node is not valid."
    window.actions_pane.button("Pause").click()
    await wait_for(lambda: window.error_boxes, what="error dialog")
    box = window.error_boxes[-1]
    assert isinstance(box, QMessageBox) and box.isVisible() and not box.isModal()
    assert "The cluster node is not valid." in box.text()
    entry = window.oplog.model.entries()[-1]
    assert entry.status == FAILED and "System error 5010" in entry.output
    await wait_for(lambda: session.snapshot_calls > before, what="re-read after failure")
    assert session.snap.node("EXNODE1").state is NodeState.UP  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_unreachable_cluster_is_grey_and_recovers(window: MainWindow) -> None:
    session = FakeSession()
    conn = await connected(window, session)
    window.select(ItemRef(conn, Kind.CLUSTER))
    session.unreachable = "HTTPConnectionPool(host='exclus1', port=5985): connection refused"
    window.refresh_action.trigger()
    await wait_for(lambda: "Unreachable" in window.connection_status(conn), what="unreachable")
    cluster = window.tree_model.find(ItemRef(conn, Kind.CLUSTER))
    assert cluster.data(Qt.ItemDataRole.ForegroundRole) is not None
    assert "connection refused" in window.results.results.section("Summary of Cluster EXCLUS1").value(
        "Connection"
    )
    session.unreachable = ""
    window.refresh_action.trigger()
    await wait_for(lambda: "Connected" in window.connection_status(conn), what="recovery")
    assert window.tree_model.find(ItemRef(conn, Kind.CLUSTER)).data(Qt.ItemDataRole.ForegroundRole) is None


@pytest.mark.asyncio
async def test_node_going_down_updates_tree_and_actions(window: MainWindow) -> None:
    import dataclasses

    session = FakeSession()
    conn = await connected(window, session)
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    nodes = tuple(
        dataclasses.replace(n, state=NodeState.DOWN) if n.name == "EXNODE2" else n for n in session.snap.nodes
    )
    session.snap = dataclasses.replace(session.snap, nodes=nodes)
    window.refresh_action.trigger()
    node = window.tree_model.find(ItemRef(conn, Kind.NODE, "EXNODE2"))
    await wait_for(lambda: node.data(Qt.ItemDataRole.ToolTipRole) == "Down", what="down")
    target = menu_action(window.context_menu(), MOVE, "EXNODE2")
    assert not target.isEnabled() and target.toolTip() == "EXNODE2 is down"
    assert window.selected_ref() == ItemRef(conn, Kind.GROUP, "EXCH1")


@pytest.mark.asyncio
async def test_disconnect_and_properties(window: MainWindow) -> None:
    session = FakeSession()
    conn = await connected(window, session)
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    window.tree.setFocus()
    from PySide6.QtTest import QTest

    QTest.keyClick(window.tree, Qt.Key.Key_Return)
    from ccrgui.gui.dialogs import PropertiesDialog

    await wait_for(lambda: window.findChild(PropertiesDialog) is not None, what="properties")
    props = window.findChild(PropertiesDialog)
    assert props is not None and [m.section.title for m in props.models] == ["Summary of EXCH1", "Resources"]
    props.close()
    QTest.keyClick(window.tree, Qt.Key.Key_Delete)
    assert session.calls == []
    window.select(ItemRef(conn, Kind.CLUSTER))
    menu_action(window.context_menu(), "Disconnect from EXCLUS1").trigger()
    await wait_for(lambda: session.closed, what="close")
    assert window.tree_model.clusters() == []
    assert window.selected_ref() in (None, ItemRef("", Kind.ROOT))
    assert GroupState.ONLINE  # the CMS was not touched


@pytest.mark.asyncio
async def test_show_critical_events_opens_the_event_view(window: MainWindow) -> None:
    from ccrgui.gui.events import EventsView

    session = FakeSession()
    conn = await connected(window, session)
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    window.actions_pane.button("Show the critical events for this application").click()
    await wait_for(lambda: isinstance(window.center.currentWidget(), EventsView), what="event view")
    view = window.center.currentWidget()
    assert isinstance(view, EventsView)
    assert window.selected_ref() == ItemRef(conn, Kind.EVENTS)
    flt = view.current_filter()
    assert "EXCH1" in flt.mentions and "Exchange Information Store Instance (EXCH1)" in flt.mentions
    # Back to a node: the results pane returns; the Cluster Events node shows the same view again.
    window.select(ItemRef(conn, Kind.NODE, "EXNODE1"))
    assert window.center.currentWidget() is window.results
    window.select(ItemRef(conn, Kind.EVENTS))
    assert window.center.currentWidget() is view
    assert [a.text() for a in window.context_menu().actions() if a.text()] == [
        "Show Critical Events",
        "Filter Events…",
        "Refresh",
    ]


@pytest.mark.asyncio
async def test_manage_a_cluster_dialog_connects(qtbot, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings

    from ccrgui.domain.session_api import LogonAvailability
    from ccrgui.gui import connect as C
    from ccrgui.gui.connect import ConnectDialog

    # The current user can log on (a Kerberos ticket, or Windows): whether this machine has one
    # must not decide the test (without, the dialog rightly defaults to a password).
    monkeypatch.setattr(C, "current_user_logon", lambda: LogonAvailability(True))

    made: list[tuple[str, str]] = []

    def factory(settings, password):  # type: ignore[no-untyped-def]
        made.append((settings.host, password))
        return FakeSession(host=settings.host)

    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(session_factory=factory, settings=qs, refresh_interval_s=60.0)
    qtbot.addWidget(w)
    w.show()
    w.connect_action.trigger()
    await wait_for(lambda: (d := w.findChild(ConnectDialog)) is not None and d.isVisible())
    dialog = w.findChild(ConnectDialog)
    assert dialog is not None
    dialog.host.setCurrentText("exclus1.contoso.com")
    dialog.ok.click()
    await wait_for(lambda: w.tree_model.clusters() != [], what="cluster row")
    assert made == [("exclus1.contoso.com", "")]
    await wait_for(lambda: "Connected" in w.connection_status(w.tree_model.clusters()[0]))
    # Several clusters in one tree.
    w.connect_to(FakeSession(host="other").settings, "")
    await wait_for(lambda: len(w.tree_model.clusters()) == 2)
    await w.manager.close()


@pytest.mark.asyncio
async def test_context_menu_key_and_accessible_action_names(window: MainWindow) -> None:
    from PySide6.QtWidgets import QMenu

    session = FakeSession()
    conn = await connected(window, session)
    window.select(ItemRef(conn, Kind.NODE, "EXNODE1"))
    shown: list[list[str]] = []
    original = QMenu.popup

    def spy(menu: QMenu, *args: object) -> None:
        shown.append([a.text() for a in menu.actions() if a.text()])

    QMenu.popup = spy  # type: ignore[method-assign, assignment]
    try:
        window.tree.customContextMenuRequested.emit(
            window.tree.visualRect(window.tree.currentIndex()).center()
        )
    finally:
        QMenu.popup = original  # type: ignore[method-assign]
    node_actions = [
        "Pause",
        "Resume",
        "Stop Cluster Service",
        "Start Cluster Service",
        "Restart the node…",
        "Show Critical Events",
        "Refresh",
    ]
    assert shown == [node_actions]
    names = [b.accessibleName() for b in window.actions_pane.buttons]
    assert names == node_actions
    assert window.actions_pane.buttons[1].accessibleDescription() == "EXNODE1 is not paused (Up)"


@pytest.mark.asyncio
async def test_validate_only_moves_nothing(window: MainWindow) -> None:
    session = FakeSession()
    conn = await connected(window, session)
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    menu_action(window.context_menu(), MOVE, "EXNODE2").trigger()
    await wait_for(lambda: window.confirm_dialog is not None and window.confirm_dialog.isVisible())
    assert window.confirm_dialog is not None
    window.confirm_dialog.validate_only.setChecked(True)
    await confirm(window, "check first")
    await wait_for(lambda: session.calls == [("validate", "EXNODE2", "check first")], what="validation")
    await wait_for(
        lambda: window.oplog.model.entries() and window.oplog.model.entries()[-1].status == SUCCEEDED
    )
    assert cms_owner(window) == "EXNODE1"


def test_refresh_interval_setting_is_kept(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings

    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=qs)
    qtbot.addWidget(w)
    assert w.manager.refresh_interval_s == 10.0
    every30 = next(a for a in w.interval_menu.actions() if a.data() == 30)
    every30.trigger()
    assert w.manager.refresh_interval_s == 30.0 and every30.isChecked()
    again = MainWindow(settings=qs)
    qtbot.addWidget(again)
    assert again.manager.refresh_interval_s == 30.0


@pytest.mark.asyncio
async def test_no_node_answering_greys_the_cluster_but_keeps_its_last_state(window: MainWindow) -> None:
    import dataclasses

    from ccrgui.domain.model import NodeError

    session = FakeSession()
    conn = await connected(window, session)
    good = session.snap
    errors = tuple(NodeError(n, f"{n}: the connection was refused") for n in ("EXNODE1", "EXNODE2"))
    session.snap = dataclasses.replace(good, groups=(), resources=(), served_by="", node_errors=errors)
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    window.refresh_action.trigger()
    await wait_for(lambda: "Unreachable" in window.connection_status(conn), what="unreachable")
    assert "EXNODE1: the connection was refused" in window.connection_status(conn)
    cms = window.tree_model.find(ItemRef(conn, Kind.GROUP, "EXCH1"))
    assert cms.isValid() and cms.data(Qt.ItemDataRole.ForegroundRole) is not None
    assert cms_owner(window) == "EXNODE1" and window.results.results.grey
    assert not window.actions_pane.button("Take this service or application offline").isEnabled()
    session.snap = good
    window.refresh_action.trigger()
    await wait_for(lambda: "Connected" in window.connection_status(conn), what="recovery")


@pytest.mark.asyncio
async def test_refresh_without_changes_keeps_the_action_buttons(window: MainWindow) -> None:
    session = FakeSession()
    conn = await connected(window, session)
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    buttons = list(window.actions_pane.buttons)
    calls = session.snapshot_calls
    window.refresh_action.trigger()
    await wait_for(lambda: session.snapshot_calls > calls and not window.manager.is_refreshing(conn))
    assert all(a is b for a, b in zip(window.actions_pane.buttons, buttons, strict=True))
    import dataclasses

    session.snap = dataclasses.replace(
        session.snap,
        groups=tuple(
            dataclasses.replace(g, state=GroupState.OFFLINE) if g.is_cms else g for g in session.snap.groups
        ),
    )
    window.refresh_action.trigger()
    await wait_for(lambda: window.actions_pane.button("Bring this service or application online").isEnabled())


@pytest.mark.asyncio
async def test_event_view_gets_each_nodes_utc_offset_from_the_snapshot(window: MainWindow) -> None:
    import dataclasses
    from datetime import timedelta

    from ccrgui.gui.events import EventsView

    session = FakeSession()
    offsets = {"EXNODE1": -300, "EXNODE2": None}  # a node whose WMI gave no time zone is left out
    session.snap = dataclasses.replace(
        session.snap,
        nodes=tuple(
            dataclasses.replace(
                n,
                details=dataclasses.replace(n.details, utc_offset_minutes=offsets[n.name])
                if n.details
                else None,
            )
            for n in session.snap.nodes
        ),
    )
    conn = await connected(window, session)
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    window.actions_pane.button("Show the critical events for this application").click()
    await wait_for(lambda: isinstance(window.center.currentWidget(), EventsView), what="event view")
    view = window.center.currentWidget()
    assert isinstance(view, EventsView)
    assert view._offsets == {"exnode1": timedelta(hours=-5)}


@pytest.mark.asyncio
async def test_reseed_a_suspended_copy_from_the_console(window: MainWindow) -> None:
    import dataclasses

    session = FakeSession()
    session.snap = dataclasses.replace(
        session.snap, copies=tuple(dataclasses.replace(c, suspended=True) for c in session.snap.copies)
    )
    conn = await connected(window, session)
    window.select(ItemRef(conn, Kind.COPY, "First Storage Group"))
    reseed = "Update Storage Group Copy (Reseed)…"
    assert menu_action(window.context_menu(), reseed).isEnabled()
    window.actions_pane.button(reseed).click()
    dialog = await confirm(window)
    shown, plan = dialog.commands(), dialog.plan
    assert "seeded again from the active copy" in dialog.impact.text()
    assert shown == "Update-StorageGroupCopy -Identity 'First Storage Group' -Force -Confirm:$false"
    await wait_for(lambda: session.calls == [("update", "First Storage Group")], what="reseed")
    assert session.plans_run == [plan] and session.plans_run[0] is plan  # the object shown is what ran
    await wait_for(lambda: window.oplog.model.entries()[-1].status == SUCCEEDED, what="log")
    log = window.oplog.model.entries()[-1]
    assert log.command == shown and log.action == "Update (reseed) copy of First Storage Group"


@pytest.mark.asyncio
async def test_clusters_changing_together_rebuild_the_results_pane_once(window: MainWindow) -> None:
    """Twenty clusters reopened at start (or refreshes ending together) in one turn of the loop:
    the tree shows each at once, the results and actions panes are rebuilt once, after them."""
    shown: list[str] = []
    original = window.results.show_results

    def counted(results: Results) -> None:
        shown.append(results.title)
        original(results)

    window.results.show_results = counted  # type: ignore[method-assign]
    ids = [window.add_session(FakeSession(host=f"EXCLUS{i}", delay=3600.0)) for i in range(20)]
    assert all(window.tree_model.find(ItemRef(c, Kind.CLUSTER)).isValid() for c in ids)
    assert shown == []  # not once per cluster while they are added
    await wait_for(lambda: shown, what="the results pane")
    await asyncio.sleep(0.05)
    assert len(shown) == 1
    rows = window.results.results.sections[0].rows
    assert len(rows) == 20  # the overview lists every cluster
