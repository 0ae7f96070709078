"""The Cluster Events item's center view: `EventsView` in the views-by-kind lifecycle."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtWidgets import QWidget

from ccrgui.domain.eventquery import EventFilter, TargetKind, critical_events_filter
from ccrgui.domain.model import ClusterSnapshot
from ccrgui.gui import actions as A
from ccrgui.gui.events.view import EventsView
from ccrgui.gui.state import ClusterEntry, ItemRef, Kind
from ccrgui.gui.tasks import spawn
from ccrgui.gui.views import CenterView, ViewContext


def critical_filter(ref: ItemRef, snap: ClusterSnapshot | None) -> EventFilter:
    """The "Show critical events" preset for the item: Critical and Error, last 24 h, naming it."""
    nodes = [n.name for n in snap.nodes] if snap else []
    if ref.kind is Kind.NODE:
        return critical_events_filter(TargetKind.NODE, ref.name, nodes=nodes)
    if ref.kind is Kind.GROUP and snap is not None:
        related = [r.name for r in snap.resources_of(ref.name)]
        return critical_events_filter(TargetKind.GROUP, ref.name, nodes=nodes, related=related)
    return critical_events_filter(TargetKind.CLUSTER, snap.cluster_name if snap else ref.conn_id, nodes=nodes)


class EventsCenterView(CenterView):
    def __init__(self, ctx: ViewContext) -> None:
        super().__init__(ctx)
        self.events = EventsView(ctx.session, ctx.parent, settings=ctx.settings)
        self.events.setAccessibleName("Cluster events")

    @property
    def widget(self) -> QWidget:
        return self.events

    def _snapshot(self) -> ClusterSnapshot | None:
        entry = self.ctx.entry()
        return entry.snapshot if entry else None

    def feed(self, entry: ClusterEntry) -> None:
        if entry.snapshot is None:
            return
        nodes = entry.snapshot.nodes
        self.events.set_nodes([n.name for n in nodes])
        # Each node's time zone (WMI CurrentTimeZone) for the details pane's local times.
        self.events.set_node_utc_offsets(
            {
                n.name: timedelta(minutes=n.details.utc_offset_minutes)
                for n in nodes
                if n.details is not None and n.details.utc_offset_minutes is not None
            }
        )

    def show(self, ref: ItemRef, first: bool) -> None:
        if first:
            self.events.run_filter(critical_filter(ref, self._snapshot()))

    def refresh(self) -> None:
        self.events.refresh()

    def command(self, action_id: str, ref: ItemRef) -> None:
        if action_id == A.EVENTS:
            self.events.run_filter(critical_filter(ref, self._snapshot()))
        elif action_id == A.EVENTS_FILTER:
            self.events.open_filter_dialog()

    def dispose(self) -> None:
        spawn(self.events.close_async())  # cancels its queries
        self.events.deleteLater()


__all__ = ["EventsCenterView", "critical_filter"]
