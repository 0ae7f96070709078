"""Every view at 1280x800 with the default font, against the lab: no clipped text (issue 14).

Each visible label, button, combo box, header and cell either fits or is elided with its whole
text in the tooltip; no scroll bars inside the results pane's scroll area; dialogs are wide
enough for their titles.  See tests/gui/clipping.py for what counts as clipped.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import pytest_asyncio
from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QDialog, QWidget

from ccrgui.gui import actions as A
from ccrgui.gui.dialogs import PropertiesDialog, show_error
from ccrgui.gui.events import EventsView
from ccrgui.gui.group_properties import GroupPropertiesDialog
from ccrgui.gui.state import ItemRef, Kind
from ccrgui.gui.window import MainWindow
from tests.gui.clipping import clipping_problems, title_problems
from tests.gui.guitools import menu_action, wait_for

pytest.importorskip("ccrgui.remote.session")
pytestmark = [pytest.mark.integration, pytest.mark.gui, pytest.mark.timeout(240)]

SLOW = 90.0
MOVE = "Move this service or application to another node"


@pytest_asyncio.fixture
async def window(qtbot):  # type: ignore[no-untyped-def]
    from ccrgui.app import make_session

    w = MainWindow(session_factory=make_session, refresh_interval_s=600.0)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    await w.manager.close()
    w.close()
    w.deleteLater()


def all_items(window: MainWindow) -> list[QModelIndex]:
    model = window.tree_model
    found, pending = [], [model.root_index()]
    while pending:
        index = pending.pop(0)
        found.append(index)
        window.tree.expand(index)
        pending += [model.index(r, 0, index) for r in range(model.rowCount(index))]
    return found


async def settle() -> None:
    await asyncio.sleep(0.05)


def check(where: str, widget: QWidget, problems: list[str]) -> None:
    problems += [f"{where}: {p}" for p in clipping_problems(widget)]


@pytest.mark.asyncio
async def test_every_view_at_1280x800_fits_or_elides_with_tooltips(window: MainWindow, lab: Any) -> None:
    from ccrgui.app import demo_connection

    conn = window.connect_to(*demo_connection(lab.info()))
    assert conn is not None
    cms = ItemRef(conn, Kind.GROUP, lab.topology.cms_name)
    await wait_for(lambda: window.tree_model.find(cms).isValid(), SLOW, "the lab's snapshot")
    c = window.manager.get(conn)
    await wait_for(lambda: c is not None and c.critical, SLOW, "the critical-event count")
    problems: list[str] = []
    command = "Move-ClusteredMailboxServer -Identity 'EXCH1' -TargetMachine 'EXNODE2' -MoveComment 'x'"
    entry = window.oplog.model.start("EXCLUS1\\EXCH1", "Move EXCH1 to EXNODE2", command + " -Confirm:$false")
    output = "The clustered mailbox server EXCH1 was moved to EXNODE2. " * 3
    window.oplog.model.finish(entry, "Succeeded", output)
    for index in all_items(window):
        window.tree.setCurrentIndex(index)
        await settle()
        view = window.center.currentWidget()
        if isinstance(view, EventsView):
            await wait_for(lambda v=view: not v.busy, SLOW, "the event query")  # type: ignore[misc]
            await settle()
        check(str(index.data()), window, problems)
        if window.oplog.table.horizontalScrollBar().isVisible():
            problems.append(f"{index.data()}: the operations log scrolls sideways")
    # Dialogs: the events filter, the move confirmation, an error box, the properties.
    window.select(ItemRef(conn, Kind.EVENTS))
    events = window.center.currentWidget()
    assert isinstance(events, EventsView)
    dialog = events.open_filter_dialog()
    await wait_for(dialog.isVisible, 5, "filter dialog")
    check("Filter dialog", dialog, problems)
    problems += title_problems(dialog)
    dialog.reject()
    window.select(cms)
    menu_action(window.context_menu(), MOVE, "EXNODE2").trigger()
    await wait_for(lambda: window.confirm_dialog is not None and window.confirm_dialog.isVisible(), 5)
    confirm = window.confirm_dialog
    assert confirm is not None
    check("Confirmation", confirm, problems)
    problems += title_problems(confirm)
    confirm.reject()
    box = show_error(window, "Move this service or application to another node", "Move failed.\n\nshort")
    await settle()
    check("Error box", box, problems)
    problems += title_problems(box)
    box.close()
    window.trigger(A.ActionSpec(A.PROPERTIES, "Properties"), cms)

    def properties() -> QDialog | None:
        # A group whose failover policy was read opens the editable properties (issue 12).
        shown = window.findChild(GroupPropertiesDialog) or window.findChild(PropertiesDialog)
        return shown if shown is not None and shown.isVisible() else None

    await wait_for(properties, 5, "properties")
    props = properties()
    assert props is not None
    await settle()
    check("Properties", props, problems)
    problems += title_problems(props)
    props.reject()
    from ccrgui.gui.connect import ConnectDialog

    window.connect_action.trigger()
    await wait_for(lambda: window.findChild(ConnectDialog) is not None, 5, "connect dialog")
    connect = window.findChild(ConnectDialog)
    assert connect is not None
    await wait_for(connect.isVisible, 5, "connect dialog shown")
    check("Connect dialog", connect, problems)
    problems += title_problems(connect)
    connect.reject()
    assert not problems, "\n".join(problems)
