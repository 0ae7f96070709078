"""The console tree: a QAbstractItemModel over the clusters' snapshots, updated incrementally.

Each refresh builds the wanted tree as plain `ItemSpec`s (pure, testable) and the model diffs it
against what it shows: rows that disappeared are removed, new ones inserted, moved ones moved and
only rows whose look changed emit dataChanged.  Selection, expansion and scroll position therefore
survive every refresh, as in the MMC console the admin knows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ccrgui.domain.model import READING_EXCHANGE, ClusterSnapshot, Group, Node, NodeState
from ccrgui.gui import icons
from ccrgui.gui.plaintext import plain_tooltip
from ccrgui.gui.state import FOLDER_LABELS, ClusterEntry, ConnState, ItemRef, Kind

ROOT_LABEL = "Failover Cluster Management"
RefRole = Qt.ItemDataRole.UserRole + 1
GREY = QColor(128, 128, 128)


@dataclass(frozen=True)
class ItemSpec:
    """The wanted look of one row (and its children) for one snapshot."""

    ref: ItemRef
    label: str
    base_icon: str
    badge: str = ""
    grey: bool = False
    tooltip: str = ""
    children: tuple[ItemSpec, ...] = ()

    @property
    def key(self) -> tuple[Kind, str, str]:
        # The connection is part of the key: every cluster row has the empty name.
        return (self.ref.kind, self.ref.conn_id, self.ref.name.casefold())

    def look(self) -> tuple[str, str, str, bool, str]:
        return (self.label, self.base_icon, self.badge, self.grey, self.tooltip)


def service_groups(snapshot: ClusterSnapshot) -> tuple[Group, ...]:
    """Groups shown under Services and Applications: all but Cluster Group and Available Storage."""
    return tuple(g for g in snapshot.groups if not g.is_core and not g.is_storage)


def node_error(snapshot: ClusterSnapshot, node: str) -> str:
    for err in snapshot.node_errors:
        if err.node.casefold() == node.casefold():
            return err.message
    found = snapshot.node(node)
    return found.error if found and found.error else ""


def node_unreachable(snapshot: ClusterSnapshot, node: Node) -> bool:
    return not node.reachable or bool(node_error(snapshot, node.name))


def build_cluster_spec(entry: ClusterEntry) -> ItemSpec:
    """The wanted subtree for one connection (pure: no Qt objects, easy to test)."""
    conn = entry.conn_id
    snap = entry.snapshot
    grey = entry.state is not ConnState.CONNECTED
    badge = {
        ConnState.CONNECTED: "",
        ConnState.CONNECTING: "pending",
        ConnState.UNREACHABLE: "failed",
        ConnState.DISCONNECTED: "offline",
    }[entry.state]
    tooltip = entry.state.value + (f": {entry.error}" if entry.error else "")
    if snap is None:
        return ItemSpec(ItemRef(conn, Kind.CLUSTER), entry.label, "cluster", badge, grey, tooltip)

    if snap.reading_exchange:  # the cluster's facts are shown; Exchange's are still coming
        tooltip += f" ({READING_EXCHANGE})"

    def folder(kind: Kind, base: str, children: tuple[ItemSpec, ...] = ()) -> ItemSpec:
        return ItemSpec(ItemRef(conn, kind), FOLDER_LABELS[kind], base, "", grey, "", children)

    groups = tuple(
        ItemSpec(
            ItemRef(conn, Kind.GROUP, g.name),
            g.name,
            "exchange" if g.is_cms else "group",
            icons.badge_for(g.state),
            grey,
            f"{g.state.value}"
            + (f" on {g.owner}" if g.owner else "")
            + (" (Exchange clustered mailbox server)" if g.is_cms else "")
            + (f" ({READING_EXCHANGE})" if snap.reading_exchange and not g.is_cms else ""),
        )
        for g in service_groups(snap)
    )
    nodes = []
    for n in snap.nodes:
        err = node_error(snap, n.name)
        nodes.append(
            ItemSpec(
                ItemRef(conn, Kind.NODE, n.name),
                n.name,
                "node",
                icons.badge_for(n.state),
                grey or node_unreachable(snap, n),
                n.state.value + (f": {err}" if err else ""),
            )
        )
    networks = tuple(
        ItemSpec(
            ItemRef(conn, Kind.NETWORK, net.name),
            net.name,
            "network",
            icons.badge_for(net.state),
            grey,
            net.state.value,
        )
        for net in snap.networks
    )
    children = [
        folder(Kind.SERVICES, "folder", groups),
        folder(Kind.NODES, "folder", tuple(nodes)),
        folder(Kind.STORAGE, "storage"),
        folder(Kind.NETWORKS, "folder", networks),
    ]
    if snap.copies:
        copies = tuple(
            ItemSpec(
                ItemRef(conn, Kind.COPY, c.storage_group),
                c.storage_group,
                "replication",
                icons.badge_for(c.status),
                grey,
                c.status.value,
            )
            for c in snap.copies
        )
        children.append(folder(Kind.REPLICATION, "replication", copies))
    cms = snap.cms_group
    if cms is not None:
        children.append(
            ItemSpec(
                ItemRef(conn, Kind.BACKUP),
                f"{FOLDER_LABELS[Kind.BACKUP]} ({cms.name})",
                "storage",
                "",
                grey,
                f"Where to back up {cms.name} from now: its passive node",
            )
        )
    if snap.quorum is not None:
        q = snap.quorum
        children.append(
            ItemSpec(
                ItemRef(conn, Kind.QUORUM),
                FOLDER_LABELS[Kind.QUORUM],
                "quorum",
                icons.badge_for(q.witness_state) if q.witness_state else "",
                grey,
                q.model,
            )
        )
    children.append(folder(Kind.EVENTS, "events"))
    worst = _cluster_badge(snap) if not badge else badge
    label = f"{entry.label} ({READING_EXCHANGE})" if snap.reading_exchange else entry.label
    return ItemSpec(ItemRef(conn, Kind.CLUSTER), label, "cluster", worst, grey, tooltip, tuple(children))


def _cluster_badge(snap: ClusterSnapshot) -> str:
    """A cluster with a down node or a failed group carries a warning badge, as FCM does."""
    if any(g.state.name == "FAILED" for g in snap.groups) or any(
        n.state is NodeState.DOWN for n in snap.nodes
    ):
        return "failed"
    if snap.node_errors or any(n.state is NodeState.PAUSED for n in snap.nodes):
        return "partially-online"
    return ""


@dataclass(eq=False)
class _Item:
    spec: ItemSpec
    parent: _Item | None
    children: list[_Item] = field(default_factory=list)

    @property
    def key(self) -> tuple[Kind, str, str]:
        return self.spec.key

    def row(self) -> int:
        if self.parent is None:
            return 0
        return next(i for i, c in enumerate(self.parent.children) if c is self)


def _make_item(spec: ItemSpec, parent: _Item | None) -> _Item:
    item = _Item(spec, parent)
    item.children = [_make_item(c, item) for c in spec.children]
    return item


AnyIndex = QModelIndex | QPersistentModelIndex


class ClusterTreeModel(QAbstractItemModel):
    """One column: the console tree.  Feed it with `update_cluster` / `remove_cluster`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        root_spec = ItemSpec(ItemRef("", Kind.ROOT), ROOT_LABEL, "root")
        self._invisible = _Item(ItemSpec(ItemRef("", Kind.ROOT, "<invisible>"), "", "root"), None)
        self._root = _Item(root_spec, self._invisible)
        self._invisible.children = [self._root]

    # --- Qt model interface -------------------------------------------------------------
    def _item(self, index: AnyIndex) -> _Item:
        if not index.isValid():
            return self._invisible
        item = index.internalPointer()
        assert isinstance(item, _Item)
        return item

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column != 0 or row < 0:
            return QModelIndex()
        p = self._item(parent)
        if row >= len(p.children):
            return QModelIndex()
        return self.createIndex(row, 0, p.children[row])

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        p = self._item(index).parent
        if p is None or p is self._invisible:
            return QModelIndex()
        return self.createIndex(p.row(), 0, p)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._item(parent).children)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 1

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        spec = self._item(index).spec
        if role == Qt.ItemDataRole.DisplayRole:
            return spec.label
        if role == Qt.ItemDataRole.DecorationRole:
            return icons.icon(spec.base_icon, spec.badge, spec.grey)
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(spec.tooltip)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(GREY) if spec.grey else None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{spec.label}, {spec.tooltip}" if spec.tooltip else spec.label
        if role == RefRole:
            return spec.ref
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and section == 0:
            return ROOT_LABEL
        return None

    # --- lookups ------------------------------------------------------------------------
    def root_index(self) -> QModelIndex:
        return self.createIndex(0, 0, self._root)

    def ref(self, index: AnyIndex) -> ItemRef | None:
        return self._item(index).spec.ref if index.isValid() else None

    def find(self, ref: ItemRef) -> QModelIndex:
        """The index showing `ref` (matching names case-insensitively), or invalid."""
        if ref.kind is Kind.ROOT:
            return self.root_index()
        stack = [self._root]
        while stack:
            item = stack.pop()
            s = item.spec.ref
            if s.conn_id == ref.conn_id and s.kind is ref.kind and s.name.casefold() == ref.name.casefold():
                return self.createIndex(item.row(), 0, item)
            stack.extend(item.children)
        return QModelIndex()

    def clusters(self) -> list[str]:
        return [c.spec.ref.conn_id for c in self._root.children]

    # --- incremental updates ------------------------------------------------------------
    def update_cluster(self, entry: ClusterEntry) -> None:
        """Show `entry`, inserting its cluster row or diffing it against what is shown."""
        spec = build_cluster_spec(entry)
        wanted = [c.spec for c in self._root.children]
        for i, existing in enumerate(wanted):
            if existing.ref.conn_id == entry.conn_id:
                wanted[i] = spec
                break
        else:
            wanted.append(spec)
        self._sync_children(self._root, self.root_index(), wanted)

    def remove_cluster(self, conn_id: str) -> None:
        wanted = [c.spec for c in self._root.children if c.spec.ref.conn_id != conn_id]
        self._sync_children(self._root, self.root_index(), wanted)

    def _sync(self, item: _Item, index: QModelIndex, spec: ItemSpec) -> None:
        if item.spec is spec:  # another cluster's subtree, as it is shown (twenty clusters: the
            return  # refresh of one would otherwise walk all of them)
        changed = item.spec.look() != spec.look()
        item.spec = spec
        if changed:
            self.dataChanged.emit(index, index)
        self._sync_children(item, index, list(spec.children))

    def _sync_children(self, parent: _Item, parent_index: QModelIndex, wanted: list[ItemSpec]) -> None:
        wanted_keys = {s.key for s in wanted}
        for row in range(len(parent.children) - 1, -1, -1):
            if parent.children[row].key not in wanted_keys:
                self.beginRemoveRows(parent_index, row, row)
                del parent.children[row]
                self.endRemoveRows()
        for row, spec in enumerate(wanted):
            current = parent.children[row] if row < len(parent.children) else None
            if current is None or current.key != spec.key:
                found = next(
                    (j for j in range(row + 1, len(parent.children)) if parent.children[j].key == spec.key),
                    None,
                )
                if found is not None:
                    self.beginMoveRows(parent_index, found, found, parent_index, row)
                    parent.children.insert(row, parent.children.pop(found))
                    self.endMoveRows()
                else:
                    self.beginInsertRows(parent_index, row, row)
                    parent.children.insert(row, _make_item(spec, parent))
                    self.endInsertRows()
                    continue
            child = parent.children[row]
            self._sync(child, self.index(row, 0, parent_index), spec)
