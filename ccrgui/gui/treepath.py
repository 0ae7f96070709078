"""Tree paths as the admin reads them ("EXCLUS1/Nodes/EXNODE1", "Cluster Events") → tree items.

Used by `ccrgui --screenshot FILE --select PATH` so that every view can be pictured.  A path is
the labels shown in the console tree, separated by "/", matched case-insensitively; it may start
below the root ("Failover Cluster Management") and below the cluster ("Nodes/EXNODE2" means that
item of the first cluster that has it).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex

from ccrgui.gui.tree import ClusterTreeModel


def split_path(path: str) -> list[str]:
    return [part.strip() for part in path.strip().strip("/").split("/") if part.strip()]


def find_path(model: ClusterTreeModel, path: str) -> QModelIndex:
    """The first item (depth first) whose label path ends with `path`; invalid if none."""
    wanted = [p.casefold() for p in split_path(path)]
    if not wanted:
        return QModelIndex()
    stack: list[tuple[QModelIndex, list[str]]] = [(model.root_index(), [])]
    while stack:
        index, above = stack.pop(0)
        labels = [*above, str(index.data() or "").casefold()]
        if labels[-len(wanted) :] == wanted:
            return index
        children = [(model.index(r, 0, index), labels) for r in range(model.rowCount(index))]
        stack[0:0] = children
    return QModelIndex()


__all__ = ["find_path", "split_path"]
