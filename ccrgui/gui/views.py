"""Center-pane views registered per tree item kind, with one lifecycle.

The results pane shows every kind without a registered view.  A registered view is created per
connection the first time its item is shown (`create`), hears every new state of its cluster
(`feed`), is told when its item is selected (`show`) or refreshed (`refresh`), may take window
commands aimed at it (`command`, e.g. "Show critical events" from a node), and is disposed when
the connection goes (`dispose`).  Adding a view: one new module with a `CenterView` subclass and
one line in `ccrgui.gui.view_registry.VIEWS` (and, for window commands that open it, one line in
its `VIEW_COMMANDS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from ccrgui.domain.session_api import ClusterSession
from ccrgui.gui.state import ClusterEntry, ItemRef
from ccrgui.history import HistoryStore


@dataclass(frozen=True)
class ViewContext:
    """What a view may use: its parent, its cluster's session, the settings."""

    parent: QWidget
    conn_id: str
    session: Callable[[], ClusterSession | None]  # None once the connection is gone
    entry: Callable[[], ClusterEntry | None]
    settings: QSettings | None = None
    history: HistoryStore | None = None  # replication history (None: not kept in this session)


class CenterView:
    """Base of a registered center-pane view (see the module docstring for the lifecycle)."""

    def __init__(self, ctx: ViewContext) -> None:
        self.ctx = ctx

    @property
    def widget(self) -> QWidget:
        raise NotImplementedError

    def feed(self, entry: ClusterEntry) -> None:
        """A new state of the cluster (snapshot, connection state)."""

    def show(self, ref: ItemRef, first: bool) -> None:
        """Its tree item was selected; `first` the first time since it was created."""

    def refresh(self) -> None:
        """F5 on its item."""

    def command(self, action_id: str, ref: ItemRef) -> None:
        """A window command aimed at this view (from any item of the cluster)."""

    def dispose(self) -> None:
        """The connection is gone: stop work (spawn any async clean-up) and free the widget now
        (the window may be closing: nothing may touch the widget later)."""
        self.widget.deleteLater()


ViewFactory = Callable[[ViewContext], CenterView]

__all__ = ["CenterView", "ViewContext", "ViewFactory"]
