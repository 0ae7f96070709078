"""Which center-pane view each tree item kind has (kinds not listed show the results pane)."""

from __future__ import annotations

from ccrgui.gui import actions as A
from ccrgui.gui.events.center import EventsCenterView
from ccrgui.gui.maintenance_views import (
    BackupCenterView,
    CopyCenterView,
    QuorumCenterView,
    ReplicationCenterView,
)
from ccrgui.gui.state import Kind
from ccrgui.gui.views import ViewFactory

VIEWS: dict[Kind, ViewFactory] = {
    Kind.EVENTS: EventsCenterView,
    Kind.BACKUP: BackupCenterView,
    Kind.REPLICATION: ReplicationCenterView,
    Kind.COPY: CopyCenterView,
    Kind.QUORUM: QuorumCenterView,
}
# Window commands that act on a view of the cluster (by the view's kind), from any item.
VIEW_COMMANDS: dict[str, Kind] = {A.EVENTS: Kind.EVENTS, A.EVENTS_FILTER: Kind.EVENTS}

__all__ = ["VIEWS", "VIEW_COMMANDS"]
