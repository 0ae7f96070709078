"""What a new admin tripped over (issue 14): error boxes, two clusters, reconnecting, summaries."""

from __future__ import annotations

import dataclasses
import os
import re
import socket
from pathlib import Path

import platformdirs
import pytest
import requests
from PySide6.QtCore import QSettings, Qt

from ccrgui.domain.session_api import ConnectionSettings
from ccrgui.gui.connections import critical_text
from ccrgui.gui.results import ResultContext, build_results
from ccrgui.gui.state import ClusterEntry, ConnState, ItemRef, Kind
from ccrgui.gui.window import MainWindow
from ccrgui.remote.audit import default_audit_path
from ccrgui.remote.transport import map_error
from tests.gui.fakes import FakeSession, make_snapshot
from tests.gui.guitools import menu_action, wait_for


async def connected(window: MainWindow, session: FakeSession) -> str:
    conn = window.add_session(session)
    await wait_for(lambda: window.tree_model.find(ItemRef(conn, Kind.GROUP, "EXCH1")).isValid(), what="snap")
    return conn


def test_tests_run_in_a_throw_away_home() -> None:
    home = Path(os.environ["HOME"])
    assert home.name.startswith("ccrgui-test-home-") and home != Path("/root")
    assert Path(QSettings().fileName()).is_relative_to(home)
    assert Path(platformdirs.user_data_dir("ccrgui")).is_relative_to(home)
    assert default_audit_path().is_relative_to(home)


@pytest.mark.asyncio
async def test_a_second_failing_action_after_closing_the_first_error_box(window: MainWindow) -> None:
    """Closing an error box deletes it; the next failure must not touch the deleted box."""
    session = FakeSession()
    conn = await connected(window, session)
    window.select(ItemRef(conn, Kind.NODE, "EXNODE1"))
    session.fail_next = "System error 5010 has occurred (0x00001392)."
    window.actions_pane.button("Pause").click()
    await wait_for(lambda: window.error_boxes, what="first error box")
    first = window.error_boxes[-1]
    first.close()  # WA_DeleteOnClose: Qt deletes the C++ object
    await wait_for(lambda: not window.error_boxes, what="the closed box forgotten")
    session.fail_next = "System error 5010 has occurred (0x00001392)."
    window.actions_pane.button("Pause").click()
    await wait_for(lambda: window.error_boxes, what="second error box")  # pytest-qt fails on a RuntimeError
    assert window.error_boxes[-1].isVisible()


@pytest.mark.asyncio
async def test_two_clusters_disconnect_one_then_the_other(window: MainWindow) -> None:
    a = await connected(window, FakeSession("EXCLUS1"))
    b = await connected(window, FakeSession("OTHER"))
    assert window.tree_model.clusters() == [a, b]
    window.select(ItemRef(a, Kind.CLUSTER))
    menu_action(window.context_menu(), "Disconnect from EXCLUS1").trigger()
    await wait_for(lambda: window.tree_model.clusters() == [b], what="first cluster gone from the tree")
    window.select(ItemRef(b, Kind.CLUSTER))
    menu_action(window.context_menu(), "Disconnect from EXCLUS1").trigger()  # both are named EXCLUS1
    await wait_for(lambda: window.tree_model.clusters() == [], what="second cluster gone")
    assert window.tree_model.rowCount(window.tree_model.root_index()) == 0


@pytest.mark.asyncio
async def test_a_disconnected_cluster_can_be_reconnected_from_the_file_menu(window: MainWindow) -> None:
    """The demo cluster (password known only to this run) comes back through File > Reconnect."""
    made: list[tuple[ConnectionSettings, str]] = []

    def factory(settings: ConnectionSettings, password: str) -> FakeSession:
        made.append((settings, password))
        return FakeSession(settings.host)

    window.session_factory = factory
    demo = ConnectionSettings(host="127.0.0.1", port=5985, https=False, username="CONTOSO\\Administrator")
    assert not window.reconnect_menu.isEnabled()
    conn = window.connect_to(demo, "P@ssw0rd!")
    assert conn is not None
    await wait_for(lambda: window.tree_model.find(ItemRef(conn, Kind.GROUP, "EXCH1")).isValid(), what="snap")
    window.select(ItemRef(conn, Kind.CLUSTER))
    menu_action(window.context_menu(), "Disconnect from EXCLUS1").trigger()
    await wait_for(lambda: window.tree_model.clusters() == [], what="disconnected")
    assert window.reconnect_menu.isEnabled()
    [again] = window.reconnect_menu.actions()
    assert again.text() == "EXCLUS1 (127.0.0.1)"
    again.trigger()
    await wait_for(lambda: window.tree_model.find(ItemRef(conn, Kind.GROUP, "EXCH1")).isValid(), what="back")
    assert made == [(demo, "P@ssw0rd!"), (demo, "P@ssw0rd!")]
    assert not window.reconnect_menu.actions() and not window.reconnect_menu.isEnabled()
    # Disconnected again, then opened another way (Manage a Cluster): the offer goes away.
    window.select(ItemRef(conn, Kind.CLUSTER))
    menu_action(window.context_menu(), "Disconnect from EXCLUS1").trigger()
    await wait_for(lambda: window.reconnect_menu.isEnabled(), what="offered again")
    assert window.connect_to(demo, "P@ssw0rd!") == conn
    assert not window.reconnect_menu.actions()
    await wait_for(lambda: "Connected" in window.connection_status(conn), what="read again")


def test_current_host_server_is_the_owner_of_the_core_cluster_group() -> None:
    snap = dataclasses.replace(make_snapshot(), served_by="EXNODE2")  # EXNODE2 answered WinRM
    entry = ClusterEntry("c", "EXCLUS1", ConnState.CONNECTED, snap)
    r = build_results(ItemRef("c", Kind.CLUSTER), {"c": entry}, ResultContext({"c": "0"}))
    assert r.section("Summary of Cluster EXCLUS1").value("Current host server") == "EXNODE1"


@pytest.mark.asyncio
async def test_critical_events_say_why_not_read_for_an_unreachable_cluster(window: MainWindow) -> None:
    session = FakeSession()
    session.unreachable = "the name EXCLUS1 could not be resolved (DNS)"
    conn = window.add_session(session)
    await wait_for(lambda: "Unreachable" in window.connection_status(conn), what="unreachable")
    c = window.manager.get(conn)
    assert c is not None and critical_text(c) == "Not read: the cluster cannot be reached"
    window.select(ItemRef(conn, Kind.CLUSTER))
    assert window.ctx.critical_events[conn] == "Not read: the cluster cannot be reached"


def test_resolver_errors_are_said_in_words() -> None:
    cause = socket.gaierror(-2, "Name or service not known")
    exc = requests.exceptions.ConnectionError(
        "HTTPConnectionPool(host='exclus9', port=5985): Max retries exceeded with url: /wsman "
        "(Caused by NameResolutionError(\"<urllib3.connection.HTTPConnection object>: Failed to "
        "resolve 'exclus9' ([Errno -2] Name or service not known)\"))"
    )
    exc.__cause__ = cause
    err = map_error(exc, "exclus9")
    assert "Errno" not in str(err)
    assert str(err).startswith("exclus9: the name exclus9 could not be resolved (DNS)")
    windows = requests.exceptions.ConnectionError("[Errno 11001] getaddrinfo failed")
    assert "could not be resolved (DNS)" in str(map_error(windows, "exclus9"))


MOVE = "Move this service or application to another node"


@pytest.mark.asyncio
async def test_move_confirmation_says_why_move_is_disabled_and_enter_does_not_accept(
    window: MainWindow,
) -> None:
    from PySide6.QtTest import QTest

    session = FakeSession()
    conn = await connected(window, session)
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    menu_action(window.context_menu(), MOVE, "EXNODE2").trigger()
    await wait_for(lambda: window.confirm_dialog is not None and window.confirm_dialog.isVisible())
    dialog = window.confirm_dialog
    assert dialog is not None
    assert not dialog.ok_button.isEnabled()
    assert dialog.hint.isVisible() and dialog.hint.text().startswith("Enter a move comment first")
    assert "Move stays disabled" in dialog.hint.text()
    dialog.input.setFocus()
    QTest.keyClicks(dialog.input, "Patch Tuesday")
    assert dialog.ok_button.isEnabled() and not dialog.hint.isVisible()
    assert dialog.ok_button.text() == "Move"
    dialog.validate_only.setChecked(True)
    assert dialog.ok_button.text() == "Validate" and dialog.ok_button.accessibleName() == "Validate"
    dialog.validate_only.setChecked(False)
    assert dialog.ok_button.text() == "Move"
    QTest.keyClick(dialog.input, Qt.Key.Key_Return)
    QTest.keyClick(dialog.input, Qt.Key.Key_Enter)
    assert dialog.isVisible() and dialog.result() == 0 and session.calls == []
    assert dialog.input.text() == "Patch Tuesday"
    dialog.reject()
    await wait_for(lambda: not dialog.isVisible(), what="closed")
    assert session.calls == []


@pytest.mark.asyncio
async def test_a_move_shows_pending_in_the_results_pane_and_its_duration_in_the_log(
    window: MainWindow,
) -> None:
    from tests.gui.guitools import confirm

    session = FakeSession(delay=0.6)
    conn = await connected(window, session)
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    menu_action(window.context_menu(), MOVE, "EXNODE2").trigger()
    await confirm(window, "Patch Tuesday")
    await wait_for(lambda: window.results.pending.isVisible(), what="pending state")
    assert window.results.pending.text().startswith("Move EXCH1 to EXNODE2: running")
    entry = window.oplog.model.entries()[-1]
    assert entry.finished is None and entry.duration == ""
    col = window.oplog.model.index(0, 5)
    assert window.oplog.model.headerData(5, Qt.Orientation.Horizontal) == "Duration"
    assert col.data() == "running…"
    await wait_for(lambda: window.oplog.model.entries()[-1].finished is not None, what="finished")
    await wait_for(lambda: not window.results.pending.isVisible(), what="pending cleared")
    entry = window.oplog.model.entries()[-1]
    assert entry.finished is not None and entry.finished >= entry.time
    assert re.fullmatch(r"\d+\.\d s", entry.duration)
    assert window.oplog.model.index(0, 5).data() == entry.duration
    assert f"finished {entry.finished.strftime('%H:%M:%S')}, {entry.duration})" in entry.as_text()
    assert "started" in window.oplog.model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)


def test_durations_read_naturally() -> None:
    from ccrgui.gui.oplog import fmt_duration

    assert [fmt_duration(s) for s in (0.42, 12.4, 185, 7300)] == ["0.4 s", "12 s", "3 min 05 s", "2 h 01 min"]
