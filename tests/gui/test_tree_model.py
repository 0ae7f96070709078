"""The console tree model: Qt's model checks, and incremental updates that keep the view's state."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QTreeView

from ccrgui.domain.model import GroupState, NodeError, NodeState
from ccrgui.gui.tree import ClusterEntry, ClusterTreeModel, ConnState, ItemRef, Kind, RefRole
from tests.gui.fakes import make_snapshot


def entry(**kw: object) -> ClusterEntry:
    return ClusterEntry("exclus1", "EXCLUS1", ConnState.CONNECTED, make_snapshot(**kw))  # type: ignore[arg-type]


def labels(model: ClusterTreeModel, index: object) -> list[str]:
    return [model.index(r, 0, index).data() for r in range(model.rowCount(index))]  # type: ignore[arg-type]


def test_qtmodeltester_with_changing_snapshots(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = ClusterTreeModel()
    qtmodeltester.check(model, force_py=True)
    model.update_cluster(entry())
    model.update_cluster(entry(extra_groups=("File Server", "Print")))
    model.update_cluster(entry(extra_groups=("Print",), owner="EXNODE2", networks=("Cluster Network 2",)))
    model.update_cluster(ClusterEntry("other", "NODE9", ConnState.CONNECTING))
    model.update_cluster(entry(node_states=(NodeState.UP, NodeState.DOWN), cms_state=GroupState.FAILED))
    model.remove_cluster("other")
    qtmodeltester.check(model, force_py=True)


def test_tree_layout_follows_failover_cluster_management() -> None:
    model = ClusterTreeModel()
    model.update_cluster(entry(extra_groups=("File Server",)))
    root = model.root_index()
    assert root.data() == "Failover Cluster Management"
    cluster = model.index(0, 0, root)
    assert cluster.data() == "EXCLUS1"
    assert labels(model, cluster) == [
        "Services and Applications",
        "Nodes",
        "Storage",
        "Networks",
        "Replication",
        "Backup (EXCH1)",
        "Quorum",
        "Cluster Events",
    ]
    services = model.find(ItemRef("exclus1", Kind.SERVICES))
    # Cluster Group and Available Storage are not services or applications.
    assert labels(model, services) == ["EXCH1", "File Server"]
    cms = model.find(ItemRef("exclus1", Kind.GROUP, "exch1"))
    assert "Exchange" in cms.data(0x0003)  # ToolTipRole
    assert labels(model, model.find(ItemRef("exclus1", Kind.NODES))) == ["EXNODE1", "EXNODE2"]
    assert labels(model, model.find(ItemRef("exclus1", Kind.REPLICATION))) == [
        "First Storage Group",
        "Second Storage Group",
    ]
    assert model.find(ItemRef("exclus1", Kind.NODE, "EXNODE2")).data(RefRole) == ItemRef(
        "exclus1", Kind.NODE, "EXNODE2"
    )


def test_only_changed_rows_emit_data_changed(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = ClusterTreeModel()
    model.update_cluster(entry())
    changed: list[str] = []
    model.dataChanged.connect(lambda a, b: changed.append(a.data()))
    inserted: list[int] = []
    model.rowsInserted.connect(lambda p, a, b: inserted.append(b - a + 1))
    removed: list[int] = []
    model.rowsRemoved.connect(lambda p, a, b: removed.append(b - a + 1))

    model.update_cluster(entry())  # same snapshot content, new object
    assert changed == [] and inserted == [] and removed == []

    model.update_cluster(entry(node_states=(NodeState.UP, NodeState.PAUSED)))
    # The node row and the cluster row (its warning badge) change, nothing else.
    assert sorted(changed) == ["EXCLUS1", "EXNODE2"]
    changed.clear()
    model.update_cluster(entry(node_states=(NodeState.UP, NodeState.PAUSED), extra_groups=("Print",)))
    assert changed == [] and inserted == [1] and removed == []
    model.update_cluster(entry(node_states=(NodeState.UP, NodeState.PAUSED)))
    assert removed == [1]


def test_selection_expansion_and_scroll_survive_refresh(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = ClusterTreeModel()
    view = QTreeView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(200, 120)
    view.show()
    model.update_cluster(entry(extra_groups=tuple(f"App {i:02}" for i in range(30))))
    view.expandAll()
    target = model.find(ItemRef("exclus1", Kind.NODE, "EXNODE2"))
    view.selectionModel().setCurrentIndex(target, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    view.scrollTo(target)
    scroll = view.verticalScrollBar().value()
    assert scroll > 0

    # A group disappears above the selection, one is added, the node's state changes.
    groups = (*tuple(f"App {i:02}" for i in range(30) if i != 3), "App 99")
    model.update_cluster(entry(extra_groups=groups, node_states=(NodeState.UP, NodeState.DOWN)))
    current = view.selectionModel().currentIndex()
    assert current.data(RefRole) == ItemRef("exclus1", Kind.NODE, "EXNODE2")
    assert view.selectionModel().isSelected(current)
    assert view.isExpanded(model.find(ItemRef("exclus1", Kind.SERVICES)))
    assert view.isExpanded(model.find(ItemRef("exclus1", Kind.NODES)))
    assert abs(view.verticalScrollBar().value() - scroll) <= 1


def test_unreachable_cluster_and_node_are_grey() -> None:
    model = ClusterTreeModel()
    snap = make_snapshot(node_errors=(NodeError("EXNODE2", "WinRM: connection refused"),))
    model.update_cluster(ClusterEntry("exclus1", "EXCLUS1", ConnState.CONNECTED, snap))
    node2 = model.find(ItemRef("exclus1", Kind.NODE, "EXNODE2"))
    node1 = model.find(ItemRef("exclus1", Kind.NODE, "EXNODE1"))
    assert node2.data(0x0009) is not None and node1.data(0x0009) is None  # ForegroundRole
    assert "connection refused" in node2.data(0x0003)
    model.update_cluster(ClusterEntry("exclus1", "EXCLUS1", ConnState.UNREACHABLE, snap, "timed out"))
    cluster = model.find(ItemRef("exclus1", Kind.CLUSTER))
    assert cluster.data(0x0009) is not None and "timed out" in cluster.data(0x0003)
    assert model.find(ItemRef("exclus1", Kind.NODE, "EXNODE1")).data(0x0009) is not None
    # The last known children stay visible while unreachable.
    assert model.rowCount(cluster) == 8  # with Backup (EXCH1)


def test_snapshot_replaced_keeps_identity_case_insensitively() -> None:
    model = ClusterTreeModel()
    model.update_cluster(entry())
    before = model.find(ItemRef("exclus1", Kind.GROUP, "EXCH1"))
    snap = make_snapshot()
    renamed = dataclasses.replace(
        snap,
        groups=tuple(dataclasses.replace(g, name=g.name.lower()) if g.is_cms else g for g in snap.groups),
    )
    model.update_cluster(ClusterEntry("exclus1", "EXCLUS1", ConnState.CONNECTED, renamed))
    after = model.find(ItemRef("exclus1", Kind.GROUP, "EXCH1"))
    assert after.internalPointer() is before.internalPointer()
    assert after.data() == "exch1"


def test_updating_one_cluster_leaves_the_others_rows_alone(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Twenty clusters refresh one by one: each refresh walks its own rows, not all twenty trees."""
    model = ClusterTreeModel()
    for i in range(20):
        model.update_cluster(dataclasses.replace(entry(), conn_id=f"c{i}"))
    synced: list[ItemRef] = []  # the rows whose children were compared
    original = ClusterTreeModel._sync_children

    def counting(self, parent, parent_index, wanted):  # type: ignore[no-untyped-def]
        if parent.spec.ref.kind is not Kind.ROOT:
            synced.append(parent.spec.ref)
        original(self, parent, parent_index, wanted)

    monkeypatch.setattr(ClusterTreeModel, "_sync_children", counting)
    paused_node = entry(node_states=(NodeState.UP, NodeState.PAUSED))
    model.update_cluster(dataclasses.replace(paused_node, conn_id="c7"))
    assert synced and {ref.conn_id for ref in synced} == {"c7"}
    paused = model.find(ItemRef("c7", Kind.NODE, "EXNODE2"))
    assert "Paused" in paused.data(0x0003)
    assert "Paused" not in model.find(ItemRef("c8", Kind.NODE, "EXNODE2")).data(0x0003)
