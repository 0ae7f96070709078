"""The real window against the lab over real WinRM: browse, move, offline/online, pause, faults.

Every test connects through `ccrgui.app.make_session` (the backend's WinRMClusterSession) to the
`lab` fixture, so what is checked is the whole chain: GUI → backend → WinRM → simulated Windows.
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from PySide6.QtCore import Qt

from ccrgui.gui.oplog import FAILED, RUNNING, SUCCEEDED
from ccrgui.gui.tree import ItemRef, Kind
from ccrgui.gui.window import MainWindow
from tests.gui.guitools import confirm, menu_action, wait_for

pytest.importorskip("ccrgui.remote.session")
pytestmark = [pytest.mark.integration, pytest.mark.gui, pytest.mark.timeout(240)]

MOVE = "Move this service or application to another node"
SLOW = 90.0


@pytest_asyncio.fixture
async def window(qtbot):  # type: ignore[no-untyped-def]
    from ccrgui.app import make_session

    w = MainWindow(session_factory=make_session, refresh_interval_s=2.0)
    w.show()
    yield w
    await w.manager.close()
    w.close()
    w.deleteLater()


async def connect(window: MainWindow, lab: Any) -> str:
    from ccrgui.app import demo_connection

    settings, password = demo_connection(lab.info())
    conn = window.connect_to(settings, password)
    assert conn is not None, [b.text() for b in window.error_boxes]
    cms = ItemRef(conn, Kind.GROUP, lab.topology.cms_name)
    await wait_for(lambda: window.tree_model.find(cms).isValid(), SLOW, "the lab's snapshot")

    # The tree shows the cluster before Exchange answers (issue 9); the replication folder, the
    # backup item and the CMS's actions only come with the complete snapshot, so wait for it.
    def complete() -> bool:
        c = window.manager.get(conn)
        snap = c.entry.snapshot if c is not None else None
        return snap is not None and not snap.reading_exchange

    await wait_for(complete, SLOW, "the Exchange part of the lab's snapshot")
    return conn


def summary(window: MainWindow, title: str, name: str) -> str:
    return window.results.results.section(title).value(name)


def tooltip(window: MainWindow, ref: ItemRef) -> str:
    return str(window.tree_model.find(ref).data(Qt.ItemDataRole.ToolTipRole))


async def finished(window: MainWindow, conn: str, count: int) -> str:
    """Wait until the log holds `count` operations and the last one has finished; its status."""
    log = window.oplog.model
    await wait_for(
        lambda: len(log.entries()) >= count and log.entries()[-1].status != RUNNING, SLOW, "the action"
    )
    return log.entries()[-1].status


@pytest.mark.asyncio
async def test_browse_every_kind_of_item(window: MainWindow, lab: Any) -> None:
    conn = await connect(window, lab)
    window.select(ItemRef(conn, Kind.CLUSTER))
    assert window.results.heading.text() == "EXCLUS1"
    assert (
        summary(window, "Summary of Cluster EXCLUS1", "Quorum configuration")
        == "Node and File Share Majority"
    )
    assert window.results.results.section("Nodes").column("Status") == ["Up", "Up"]
    assert "Cluster Name" in window.results.results.section("Cluster Core Resources").column("Name")
    c = window.manager.get(conn)
    await wait_for(lambda: c is not None and c.critical != "", SLOW, "critical event count")
    window.refresh_view()
    assert (
        summary(window, "Summary of Cluster EXCLUS1", "Critical events (last 24 hours)")
        .split()[0]
        .rstrip("+")
        .isdigit()
    )

    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    assert summary(window, "Summary of EXCH1", "Current Owner") == "EXNODE1"
    assert summary(window, "Summary of EXCH1", "Active node").casefold() == "exnode1"
    assert window.results.results.section("Exchange services").column("Status") == ["Online", "Online"]
    assert window.results.results.section("Databases").column("Database") == [
        "Mailbox Database",
        "Executives",
    ]
    assert set(window.results.results.section("CCR copy health").column("Storage Group")) == {
        "First Storage Group",
        "Second Storage Group",
    }

    window.select(ItemRef(conn, Kind.NODE, "EXNODE2"))
    assert summary(window, "Summary of EXNODE2", "Status") == "Up"
    assert "Windows Server" in summary(window, "Summary of EXNODE2", "Operating system")
    assert "Exchange Server 2007 SP1" in summary(window, "Summary of EXNODE2", "Exchange version")
    assert summary(window, "Summary of EXNODE2", "Memory total") == "16,383 MB"
    ifaces = window.results.results.section("Network Interfaces")
    assert sorted(ifaces.column("Network")) == ["Cluster Network 1", "Cluster Network 2"]
    assert ifaces.column("Status") == ["Up", "Up"]

    window.select(ItemRef(conn, Kind.NETWORK, "Cluster Network 2"))
    ifaces = window.results.results.section("Network Interfaces")
    assert sorted(ifaces.column("Node")) == ["EXNODE1", "EXNODE2"]
    window.select(ItemRef(conn, Kind.QUORUM))  # a registered view embedding the results pane
    quorum = window.views[(conn, Kind.QUORUM)].results.results  # type: ignore[attr-defined]
    assert "FSW_EXCH1" in quorum.section("Quorum").value("Witness share")
    for kind in (Kind.SERVICES, Kind.NODES, Kind.STORAGE, Kind.NETWORKS):
        window.select(ItemRef(conn, kind))
        assert window.results.results.sections, kind
    window.select(ItemRef(conn, Kind.REPLICATION))
    assert window.views[(conn, Kind.REPLICATION)].results.results.sections  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_move_cms_to_passive_node_and_back_offline_online(window: MainWindow, lab: Any) -> None:
    conn = await connect(window, lab)
    cms = ItemRef(conn, Kind.GROUP, "EXCH1")
    window.select(cms)
    menu_action(window.context_menu(), MOVE, "EXNODE2").trigger()
    dialog = await confirm(window, "ccrgui test move")
    assert "Move-ClusteredMailboxServer" in dialog.commands()
    assert await finished(window, conn, 1) == SUCCEEDED, window.oplog.model.entries()[-1].output
    await wait_for(
        lambda: summary(window, "Summary of EXCH1", "Current Owner") == "EXNODE2", SLOW, "new owner"
    )
    assert lab.engine.group("EXCH1").owner.casefold() == "exnode2"

    window.actions_pane.button("Take this service or application offline").click()
    await confirm(window, "ccrgui test stop")
    await finished(window, conn, 2)
    await wait_for(lambda: summary(window, "Summary of EXCH1", "Status") == "Offline", SLOW, "offline")
    window.actions_pane.button("Bring this service or application online").click()
    await finished(window, conn, 3)
    await wait_for(lambda: summary(window, "Summary of EXCH1", "Status") == "Online", SLOW, "online")
    assert [e.status for e in window.oplog.model.entries()] == [SUCCEEDED] * 3


@pytest.mark.asyncio
async def test_pause_resume_node(window: MainWindow, lab: Any) -> None:
    conn = await connect(window, lab)
    node = ItemRef(conn, Kind.NODE, "EXNODE2")
    window.select(node)
    window.actions_pane.button("Pause").click()
    await finished(window, conn, 1)
    await wait_for(lambda: tooltip(window, node) == "Paused", SLOW, "paused")
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    target = menu_action(window.context_menu(), MOVE, "EXNODE2")
    assert not target.isEnabled() and "paused" in target.toolTip()
    window.select(node)
    window.actions_pane.button("Resume").click()
    await finished(window, conn, 2)
    await wait_for(lambda: tooltip(window, node) == "Up", SLOW, "resumed")


@pytest.mark.asyncio
async def test_node_going_down_while_connected(window: MainWindow, lab: Any) -> None:
    conn = await connect(window, lab)
    node = ItemRef(conn, Kind.NODE, "EXNODE2")
    window.select(node)
    lab.engine.set_node_down("EXNODE2")
    await wait_for(lambda: tooltip(window, node).startswith("Down"), SLOW, "node down")
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    target = menu_action(window.context_menu(), MOVE, "EXNODE2")
    assert not target.isEnabled() and target.toolTip() == "EXNODE2 is down"
    # The rest keeps working: the cluster is still connected and the CMS still shown online.
    assert "Connected" in window.connection_status(conn)
    assert summary(window, "Summary of EXCH1", "Status") == "Online"
    lab.engine.set_node_up("EXNODE2")
    await wait_for(lambda: tooltip(window, node) == "Up", SLOW, "node back")


@pytest.mark.asyncio
async def test_action_refused_by_windows_shows_its_error(window: MainWindow, lab: Any) -> None:
    conn = await connect(window, lab)
    window.manager.refresh_interval_s = 3600.0  # keep the GUI's view stale on purpose
    await wait_for(lambda: not window.manager.is_refreshing(conn), SLOW)
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    lab.engine.pause_node("EXNODE2")  # behind the console's back
    menu_action(window.context_menu(), MOVE, "EXNODE2").trigger()
    await confirm(window, "should fail")
    await wait_for(lambda: window.error_boxes, SLOW, "error dialog")
    entry = window.oplog.model.entries()[-1]
    assert entry.status == FAILED and entry.output.strip()
    assert entry.output.strip().splitlines()[0] in window.error_boxes[-1].text()
    # Then the console re-reads the cluster and shows the paused node.
    node = ItemRef(conn, Kind.NODE, "EXNODE2")
    await wait_for(lambda: tooltip(window, node) == "Paused", SLOW, "re-read state")
    assert lab.engine.group("EXCH1").owner.casefold() == "exnode1"


@pytest.mark.asyncio
async def test_whole_cluster_unreachable_then_back(window: MainWindow, lab: Any) -> None:
    conn = await connect(window, lab)
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    lab.faults.down.update({"EXNODE1", "EXNODE2"})
    window.refresh_action.trigger()
    await wait_for(lambda: "Unreachable" in window.connection_status(conn), SLOW, "unreachable")
    # The last state stays visible, greyed, and nothing can be changed.
    assert summary(window, "Summary of EXCH1", "Current Owner") == "EXNODE1"
    assert window.results.results.grey
    assert not window.actions_pane.button("Take this service or application offline").isEnabled()
    lab.faults.down.clear()
    await wait_for(lambda: window.connection_status(conn).startswith("EXCLUS1: Connected"), SLOW, "back")
    await wait_for(lambda: "cannot read" not in window.connection_status(conn), SLOW, "every node read again")
    # Shown first without Exchange's part (its PowerShell starts again): wait for the whole read.
    await wait_for(lambda: not _reading_exchange(window, conn), SLOW, "Exchange read again")


def _reading_exchange(window: MainWindow, conn: str) -> bool:
    c = window.manager.get(conn)
    return c is None or c.entry.snapshot is None or c.entry.snapshot.reading_exchange


@pytest.mark.asyncio
async def test_show_critical_events_of_a_node_streams_from_the_lab(window: MainWindow, lab: Any) -> None:
    from ccrgui.gui.events import EventsView

    conn = await connect(window, lab)
    # Something critical happens on EXNODE2: it goes down, the cluster logs it (1135 and friends).
    lab.engine.set_node_down("EXNODE2")
    node = ItemRef(conn, Kind.NODE, "EXNODE2")
    await wait_for(lambda: tooltip(window, node).startswith("Down"), SLOW, "node down")
    lab.engine.set_node_up("EXNODE2")
    await wait_for(lambda: tooltip(window, node) == "Up", SLOW, "node back")
    window.select(node)
    window.actions_pane.button("Show Critical Events").click()
    await wait_for(lambda: isinstance(window.center.currentWidget(), EventsView), SLOW, "event view")
    view = window.center.currentWidget()
    assert isinstance(view, EventsView)
    assert view.current_filter().mentions == ("EXNODE2",)
    await wait_for(lambda: not view.busy and view.model.shown_count > 0, SLOW, "events")
    events = view.model.visible_events()
    assert all(int(e.level) in (1, 2) for e in events)
    assert any(e.event_id == 1135 for e in events), sorted({e.event_id for e in events})


@pytest.mark.asyncio
async def test_suspend_and_reseed_a_copy_run_what_the_confirmation_showed(
    window: MainWindow, lab: Any
) -> None:
    from ccrgui.lab.received import POWERSHELL

    conn = await connect(window, lab)
    copy = ItemRef(conn, Kind.COPY, "First Storage Group")
    await wait_for(lambda: window.tree_model.find(copy).isValid(), SLOW, "the copy")
    window.select(copy)
    reseed = "Update Storage Group Copy (Reseed)…"
    assert not window.actions_pane.button(reseed).isEnabled()  # a healthy copy is not reseeded
    lab.received.clear()
    window.actions_pane.button("Suspend Storage Group Copy…").click()
    suspend = (await confirm(window, "before reseed")).commands()
    assert await finished(window, conn, 1) == SUCCEEDED, window.oplog.model.entries()[-1].output
    await wait_for(lambda: window.actions_pane.button(reseed).isEnabled(), SLOW, "suspended copy")
    window.actions_pane.button(reseed).click()
    update = (await confirm(window)).commands()
    assert await finished(window, conn, 2) == SUCCEEDED, window.oplog.model.entries()[-1].output
    scripts = [r.text for r in lab.received.items() if r.shell == POWERSHELL]
    for line in (suspend, update):
        assert [e for e in window.oplog.model.entries() if e.command == line]
        assert sum(f"$r = {line} | Out-String" in s for s in scripts) == 1, line
    assert update.startswith("Update-StorageGroupCopy -Identity ")
    copies = {c.storage_group: c for c in lab.engine.copy_status()}
    assert not copies["First Storage Group"].suspended  # the reseed resumed it
