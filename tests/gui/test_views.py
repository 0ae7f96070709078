"""Center-pane views by kind: a view registered for a kind gets the whole lifecycle from the window
(create once per connection, feed every new state, show on selection, refresh, dispose)."""

from __future__ import annotations

from typing import ClassVar

import pytest
import pytest_asyncio
from PySide6.QtWidgets import QLabel, QWidget

from ccrgui.gui import view_registry
from ccrgui.gui.state import ClusterEntry, ItemRef, Kind
from ccrgui.gui.views import CenterView, ViewContext
from ccrgui.gui.window import MainWindow
from tests.gui.fakes import FakeSession
from tests.gui.guitools import wait_for


class RecordingView(CenterView):
    created: ClassVar[list[RecordingView]] = []

    def __init__(self, ctx: ViewContext) -> None:
        super().__init__(ctx)
        self.label = QLabel("quorum view", ctx.parent)
        self.calls: list[str] = []
        RecordingView.created.append(self)

    @property
    def widget(self) -> QWidget:
        return self.label

    def feed(self, entry: ClusterEntry) -> None:
        self.calls.append(f"feed:{entry.state.value}")

    def show(self, ref: ItemRef, first: bool) -> None:
        self.calls.append(f"show:{ref.kind.value}:{first}")

    def refresh(self) -> None:
        self.calls.append("refresh")

    def dispose(self) -> None:
        self.calls.append("dispose")
        super().dispose()


@pytest_asyncio.fixture
async def window(qtbot, monkeypatch):  # type: ignore[no-untyped-def]
    RecordingView.created = []
    monkeypatch.setitem(view_registry.VIEWS, Kind.QUORUM, RecordingView)
    w = MainWindow(refresh_interval_s=60.0)
    w.show()
    yield w
    await w.manager.close()
    w.close()
    w.deleteLater()


@pytest.mark.asyncio
async def test_a_registered_view_gets_the_whole_lifecycle(window: MainWindow) -> None:
    session = FakeSession()
    conn = window.add_session(session)
    quorum = ItemRef(conn, Kind.QUORUM)
    await wait_for(lambda: window.tree_model.find(quorum).isValid(), what="snapshot")
    window.select(quorum)
    [view] = RecordingView.created
    assert window.center.currentWidget() is view.label
    assert view.calls[:2] == ["feed:Connected", "show:quorum:True"]
    window.select(ItemRef(conn, Kind.GROUP, "EXCH1"))
    assert window.center.currentWidget() is window.results  # other kinds: the results pane
    window.select(quorum)
    assert view.calls[-1] == "show:quorum:False" and len(RecordingView.created) == 1
    window.refresh_action.trigger()
    await wait_for(lambda: "refresh" in view.calls, what="refresh")
    await wait_for(lambda: view.calls.count("feed:Connected") > 1, what="the refreshed state fed to the view")
    await window.manager.remove(conn)
    assert view.calls[-1] == "dispose"
