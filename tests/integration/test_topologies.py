"""The lab with other topologies and other clients, and the backend's snapshot of each.

Three to eight nodes, node ids above 9, non-ASCII and space-containing names, Node Majority
quorum, nodes paused and down, NTLM over HTTP and Basic over HTTPS; clients are pywinrm
(run_cmd, run_ps), pypsrp's WinRS and the backend session itself.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import winrm
from pypsrp.shell import Process, SignalCode, WinRS
from pypsrp.wsman import WSMan

from ccrgui.domain.model import ClusterSnapshot, CmsState, GroupState, NodeState
from ccrgui.lab.lab import Lab
from ccrgui.lab.topology import GroupSpec, ResourceSpec, Topology, default_topology, topology_from_json
from ccrgui.remote.audit import AuditLog
from ccrgui.remote.parsers import parse_groups, parse_nodes, parse_resources
from ccrgui.remote.parsers.ems import parse_cms_status
from ccrgui.remote.session import WinRMClusterSession, settings_from_lab_info

pytestmark = pytest.mark.integration

UNICODE = {
    "cluster_name": "CLÜSTER-É",
    "cms_name": "MAILÉ1",
    "nodes": [
        {"name": "NŒUD-Ä1"},
        {"name": "节点2"},
        {"name": "NODE-C3", "node_id": 12},
        {"name": "NODE-D4", "node_id": 10},
    ],
    "storage_groups": [
        {"name": "Storage Group Ü 1", "database": "Base de données é"},
        {"name": "SG 2", "database": "DB 2"},
    ],
    "quorum_model": "Node Majority",
}


def _with_extra_groups(topo: Topology) -> Topology:
    """Add groups whose names are state words, long with spaces, or not Latin."""
    names = [n.name for n in topo.nodes]
    extra = (
        GroupSpec("Online", names[1], (ResourceSpec("Offline", "Generic Service"),)),
        GroupSpec(
            "My Very Long Generic Group Name With Spaces",
            names[-1],
            (ResourceSpec("A Long Generic Resource Name That Pushes Columns", "Generic Service"),),
        ),
        GroupSpec("Gruppe Größe é 邮件", names[1], ()),
    )
    return dataclasses.replace(topo, groups=topo.groups + extra)


def _settle(lab: Lab, timeout: float = 10.0, quiet: float = 1.0) -> None:
    """Wait until no group or resource has been pending for `quiet` seconds (a node going down
    moves its groups, and a failed resource may be retried, after scheduled delays)."""
    pending = {GroupState.ONLINE_PENDING, GroupState.OFFLINE_PENDING, GroupState.PENDING}
    deadline = time.monotonic() + timeout
    calm_since = time.monotonic()
    while time.monotonic() - calm_since < quiet:
        assert time.monotonic() < deadline, "the lab did not settle"
        if any(g.state in pending for g in lab.engine.groups()) or any(
            r.state in pending for r in lab.engine.resources()
        ):
            calm_since = time.monotonic()
        time.sleep(0.05)


def _engine_state(lab: Lab) -> tuple[object, ...]:
    return (
        tuple((n.name, n.state) for n in lab.engine.nodes()),
        tuple((g.name, g.owner, g.state) for g in lab.engine.groups()),
        tuple((r.name, r.state) for r in lab.engine.resources()),
    )


def _snapshots(lab: Lab, tmp_path: Path) -> tuple[ClusterSnapshot, ClusterSnapshot]:
    """Two snapshots (the second one also reads preferred owners and static facts by name)."""

    async def run() -> tuple[ClusterSnapshot, ClusterSnapshot]:
        settings, password = settings_from_lab_info(lab.info())
        session = WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "audit.jsonl"))
        try:
            return await session.snapshot(), await session.snapshot()
        finally:
            await session.close()

    # The comparison is with the engine afterwards: take the pair again if the lab changed
    # state while it was being read (a scheduled transition landing mid-snapshot).
    for _ in range(3):
        before = _engine_state(lab)
        pair = asyncio.run(run())
        if _engine_state(lab) == before:
            return pair
        _settle(lab)
    return pair


def _assert_matches(snap: ClusterSnapshot, lab: Lab, down: frozenset[str] = frozenset()) -> None:
    topo = lab.topology
    assert {e.node for e in snap.node_errors} == set(down)
    assert [(n.name, n.node_id) for n in snap.nodes] == [(n.name, n.node_id) for n in topo.nodes]
    states = {n.name: n.state for n in lab.engine.nodes()}
    assert {n.name: n.state for n in snap.nodes} == states
    assert {g.name: (g.owner, g.state) for g in snap.groups} == {
        g.name: (g.owner, g.state) for g in lab.engine.groups()
    }
    assert {r.name: (r.group, r.state) for r in snap.resources} == {
        r.name: (r.group, r.state) for r in lab.engine.resources()
    }
    assert {n.name for n in snap.networks} == {n.name for n in topo.networks}
    up = [n for n in topo.nodes if n.name not in down]
    assert len(snap.interfaces) == sum(len(n.nics) for n in topo.nodes) or len(up) < len(topo.nodes)
    assert snap.quorum is not None and snap.quorum.model == topo.quorum_model
    assert snap.cluster_name == topo.cluster_name
    cms = snap.cms_group
    assert cms is not None and cms.name == topo.cms_name
    assert snap.cms is not None and snap.cms.state is CmsState.ONLINE
    assert snap.cms.active_node == next(g.owner for g in lab.engine.groups() if g.kind == "cms")
    assert {c.storage_group for c in snap.copies} == {sg.name for sg in topo.storage_groups}


def test_three_nodes_pywinrm_and_snapshot(tmp_path: Path) -> None:
    topo = topology_from_json({"nodes": 3})
    with Lab(topology=topo, speed=50.0, events=50) as lab:
        session = winrm.Session(lab.endpoints["EXNODE3"], auth=(lab.username, lab.password), transport="ntlm")
        result = session.run_cmd("cluster", ["node"])
        assert result.status_code == 0
        nodes = parse_nodes(result.std_out.decode("cp437"))
        assert [(n.name, n.node_id, n.state) for n in nodes] == [
            (f"EXNODE{i}", i, NodeState.UP) for i in (1, 2, 3)
        ]
        result = session.run_ps(
            "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.Admin; Get-ClusteredMailboxServerStatus"
        )
        assert result.status_code == 0
        status = parse_cms_status(result.std_out.decode("cp437"))
        assert (status.name.split(".")[0], status.state, status.active_node) == (
            "EXCH1",
            CmsState.ONLINE,
            "EXNODE1",
        )
        first, second = _snapshots(lab, tmp_path)
        _assert_matches(first, lab)
        _assert_matches(second, lab)


def test_eight_nodes_node_majority_basic_https_pypsrp(tmp_path: Path) -> None:
    topo = _with_extra_groups(topology_from_json({"nodes": 8, "quorum_model": "Node Majority"}))
    with Lab(topology=topo, auth="basic-https", speed=50.0, events=50) as lab:
        assert lab.info()["auth"] == "basic-https" and lab.ca_file
        url = urlparse(lab.endpoints["EXNODE8"])
        wsman = WSMan(
            str(url.hostname),
            port=url.port,
            ssl=True,
            auth="basic",
            username=lab.username,
            password=lab.password,
            cert_validation=lab.ca_file,  # type: ignore[arg-type]  # a CA bundle path, as documented
        )
        with wsman, WinRS(wsman) as shell:
            process = Process(shell, "cluster", ["group"])
            process.invoke()
            process.signal(SignalCode.CTRL_C)
            assert process.rc == 0
            groups = parse_groups(process.stdout.decode("cp437"))
            process = Process(shell, "cluster", ["res"])
            process.invoke()
            process.signal(SignalCode.CTRL_C)
            resources = parse_resources(process.stdout.decode("cp437"), groups)
        # cp437 has no CJK: the console prints '?' for them, as Windows does.
        printed = {g.name.encode("cp437", "replace").decode("cp437") for g in topo.groups}
        assert {g.name for g in groups} == printed
        assert (
            "A Long Generic Resource Name That Pushes Columns",
            "My Very Long Generic Group Name With Spaces",
        ) in {(r.name, r.group) for r in resources}
        assert ("Offline", "Online") in {(r.name, r.group) for r in resources}
        first, second = _snapshots(lab, tmp_path)
        assert len(first.nodes) == 8
        # Node Majority: no witness resource anywhere, and the quorum names none.
        assert all(r.resource_type != "File Share Witness" for r in second.resources)
        assert second.quorum is not None and (second.quorum.resource, second.quorum.path) == ("", "")
        _assert_matches(first, lab)
        _assert_matches(second, lab)


def test_unicode_names_paused_and_down_nodes(tmp_path: Path) -> None:
    topo = _with_extra_groups(topology_from_json(json.loads(json.dumps(UNICODE))))
    with Lab(topology=topo, speed=50.0, events=50) as lab:
        lab.engine.pause_node("NODE-C3")
        lab.engine.set_node_down("NODE-D4")
        lab.engine.fail_resource("Offline", persistent=True)
        _settle(lab)
        first, second = _snapshots(lab, tmp_path)
        for snap in (first, second):
            _assert_matches(snap, lab, down=frozenset({"NODE-D4"}))
            assert {n.name: n.state for n in snap.nodes}["NODE-C3"] is NodeState.PAUSED
            assert {n.name: n.state for n in snap.nodes}["NODE-D4"] is NodeState.DOWN
            online = snap.group("Online")
            assert online is not None and online.state is GroupState.FAILED
        assert second.group("Gruppe Größe é 邮件") is not None


def test_cms_on_another_node_of_four(tmp_path: Path) -> None:
    raw: dict[str, Any] = default_topology(4, "CL4", "MBX Ü").to_json()
    for group in raw["groups"]:
        if group["kind"] == "cms":
            group["owner"] = "EXNODE2"
    raw["groups"].append(
        {
            "name": "Group With Spaces É",
            "owner": "EXNODE4",
            "resources": [{"name": "Svc Ü", "type": "Generic Service"}],
        }
    )
    with Lab(topology=topology_from_json(json.loads(json.dumps(raw))), speed=50.0, events=50) as lab:
        first, second = _snapshots(lab, tmp_path)
        _assert_matches(first, lab)
        _assert_matches(second, lab)
        assert second.group("MBX Ü") is not None and second.group("MBX Ü").owner == "EXNODE2"  # type: ignore[union-attr]
