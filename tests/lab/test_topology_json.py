"""Topology JSON as people write it: bare node names, Node Majority without a witness."""

from __future__ import annotations

import pytest

from ccrgui.lab.topology import TopologyError, topology_from_json


def test_nodes_as_bare_names() -> None:
    topo = topology_from_json({"nodes": ["NŒUD-Ä1", "节点2", {"name": "N10", "node_id": 10}]})
    assert [(n.name, n.node_id) for n in topo.nodes] == [("NŒUD-Ä1", 1), ("节点2", 2), ("N10", 10)]
    assert all(g.owner == "NŒUD-Ä1" for g in topo.groups)
    assert all(nic.address for n in topo.nodes for nic in n.nics)


def test_a_node_that_is_neither_name_nor_object() -> None:
    with pytest.raises(TopologyError, match=r"nodes\[1\]"):
        topology_from_json({"nodes": ["A", 7]})


@pytest.mark.parametrize(
    ("model", "witness"), [("Node Majority", False), ("Node and File Share Majority", True)]
)
def test_witness_resource_follows_the_quorum_model(model: str, witness: bool) -> None:
    topo = topology_from_json({"nodes": 3, "quorum_model": model})
    types = [r.type for g in topo.groups for r in g.resources]
    assert ("File Share Witness" in types) is witness
    assert topo.quorum_model == model


def test_upgrade_material_defaults_and_json() -> None:
    base = topology_from_json({})
    assert [(m.path, m.build) for m in base.setup_media] == [("D:\\Exchange2007SP2", "8.2.176.2")]
    assert [r.build for r in base.rollups] == ["8.1.393.1", "8.2.247.2"]
    assert [s.name for s in base.node("EXNODE2").services] == ["HealthService"]
    assert base.node("EXNODE1").services == ()
    topo = topology_from_json(
        {
            "nodes": [
                {"name": "MB1", "services": [{"name": "Argent", "display_name": "Argent Agent"}]},
                "MB2",
            ],
            "setup_media": [{"path": "E:\\SP3", "build": "8.3.83.6"}],
            "rollups": [{"path": "E:\\UR\\x.msp", "build": "8.3.106.2", "reboot_required": True}],
        }
    )
    assert topo.node("MB1").services[0].perf_counters is False
    assert topo.setup_media[0].build == "8.3.83.6"
    assert topo.rollups[0].reboot_required and topo.rollups[0].applies_to == "8.3"
    assert topology_from_json(topo.to_json()) == topo


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"setup_media": {"path": "Exchange2007SP2", "build": "8.2.176.2"}}, "setup_media"),
        ({"setup_media": {"path": "D:\\SP2", "build": "SP2"}}, "setup_media"),
        ({"rollups": [{"path": "D:\\UR\\x.exe", "build": "8.1.393.1"}]}, "rollups"),
        ({"nodes": [{"name": "A", "services": [{"name": "X", "display_name": "1"}] * 2}]}, "service names"),
    ],
)
def test_bad_upgrade_material_is_refused(raw: dict[str, object], field: str) -> None:
    with pytest.raises(TopologyError, match=field):
        topology_from_json(raw)
