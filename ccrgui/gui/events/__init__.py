"""Cluster events: the filter dialog and the event view (see `view` for how to embed it)."""

from ccrgui.gui.events.dialog import EventFilterDialog
from ccrgui.gui.events.model import EventProxyModel, EventTableModel
from ccrgui.gui.events.view import EventsView

__all__ = ["EventFilterDialog", "EventProxyModel", "EventTableModel", "EventsView"]
