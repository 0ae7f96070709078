"""`--select PATH`: tree paths as the admin reads them, for screenshots of every view."""

from __future__ import annotations

import pytest

from ccrgui.app import parse_args
from ccrgui.gui.state import ClusterEntry, ConnState
from ccrgui.gui.tree import ClusterTreeModel
from ccrgui.gui.treepath import find_path
from tests.gui.fakes import make_snapshot


@pytest.fixture
def model(qtbot) -> ClusterTreeModel:  # type: ignore[no-untyped-def]
    m = ClusterTreeModel()
    m.update_cluster(ClusterEntry("c1", "EXCLUS1", ConnState.CONNECTED, make_snapshot()))
    return m


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("EXCLUS1/Nodes/EXNODE1", "EXNODE1"),
        ("exclus1/nodes/exnode2/", "EXNODE2"),
        ("Cluster Events", "Cluster Events"),
        ("Failover Cluster Management/EXCLUS1", "EXCLUS1"),
        ("Services and Applications/EXCH1", "EXCH1"),
    ],
)
def test_paths_find_their_item(model: ClusterTreeModel, path: str, label: str) -> None:
    index = find_path(model, path)
    assert index.isValid() and index.data() == label


def test_a_path_that_is_not_there(model: ClusterTreeModel) -> None:
    assert not find_path(model, "EXCLUS1/Nodes/EXNODE9").isValid()
    assert not find_path(model, "Nodes/EXCLUS1").isValid()
    assert not find_path(model, "/").isValid()


def test_select_needs_screenshot_and_a_path() -> None:
    args = parse_args(["--demo", "--screenshot", "x.png", "--select", "EXCLUS1/Nodes/EXNODE1"])
    assert args.select == "EXCLUS1/Nodes/EXNODE1"
    with pytest.raises(SystemExit):
        parse_args(["--demo", "--select", "Cluster Events"])
    with pytest.raises(SystemExit):
        parse_args(["--demo", "--screenshot", "x.png", "--select", "/"])
