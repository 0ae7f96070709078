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
