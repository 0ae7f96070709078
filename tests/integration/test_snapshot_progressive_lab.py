"""The first snapshot shows the cluster before Exchange answers ("reading Exchange...", groups
that may be the CMS refused), and preferred owners of many groups come in one read, in order."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ccrgui.domain.model import READING_EXCHANGE, ClusterSnapshot
from ccrgui.domain.plan import ActionKind, ActionRequest, Refusal
from ccrgui.lab.faults import Costs
from ccrgui.lab.lab import Lab
from ccrgui.lab.topology import GroupSpec, ResourceSpec, default_topology
from ccrgui.remote.audit import AuditLog
from ccrgui.remote.session import WinRMClusterSession, settings_from_lab_info

pytestmark = pytest.mark.integration


def _session(lab: Lab, tmp_path: Path) -> WinRMClusterSession:
    settings, password = settings_from_lab_info(lab.info())
    settings = dataclasses.replace(settings, operation_timeout_s=20.0)
    return WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "audit.jsonl"))


async def _until(predicate: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)


@pytest.mark.asyncio
async def test_cluster_shown_before_exchange_answers_and_cms_refused_meanwhile(tmp_path: Path) -> None:
    # The snap-in takes ten minutes: Exchange cannot answer before the test has looked.
    with Lab(speed=50.0, events=0, costs=Costs(snapin_load_s=600.0)) as lab:
        session = _session(lab, tmp_path)
        partials: list[ClusterSnapshot] = []
        full = asyncio.ensure_future(session.snapshot(on_partial=partials.append))
        try:
            await _until(lambda: bool(partials))
            assert not full.done()
            part = partials[0]
            topo = lab.topology
            assert part.reading_exchange and session.last_snapshot is part
            assert part.cluster_name == topo.cluster_name  # the static /prop read came with it
            assert {g.name for g in part.groups} == {g.name for g in topo.groups}
            assert [n.name for n in part.nodes] == [n.name for n in topo.nodes]
            assert {r.name for r in part.resources} == {r.name for g in topo.groups for r in g.resources}
            assert part.quorum is not None and part.node_errors == ()
            assert part.cms is None and part.copies == () and part.cms_group is None
            cms = topo.cms_name
            # Every action on a group that may be the CMS is refused with that reason, nothing sent.
            for kind in (ActionKind.MOVE_GROUP, ActionKind.OFFLINE_GROUP, ActionKind.ONLINE_GROUP):
                plan = session.plan(ActionRequest(kind, cms, "EXNODE2", "patch"))
                assert isinstance(plan, Refusal) and READING_EXCHANGE in plan.reason, plan
            result = await session.move_group(cms, "EXNODE2", "patch")
            assert not result.ok and READING_EXCHANGE in result.error and result.runs == ()
            assert lab.engine.group(cms).owner == topo.groups[0].owner
            # The core group is never the CMS: it is planned as usual.
            core = session.plan(ActionRequest(ActionKind.MOVE_GROUP, "Cluster Group"))
            assert not isinstance(core, Refusal)
        finally:
            full.cancel()
            await asyncio.gather(full, return_exceptions=True)
        lab.faults.costs.snapin_load_s = 0.0
        try:
            snap = await session.snapshot()  # a new PowerShell loads the snap-in at once now
            assert not snap.reading_exchange and snap.cms_group is not None and snap.cms is not None
            plan = session.plan(ActionRequest(ActionKind.MOVE_GROUP, snap.cms_group.name, "EXNODE2", "patch"))
            assert not isinstance(plan, Refusal)
        finally:
            await session.close()


@pytest.mark.asyncio
async def test_no_partial_snapshot_once_warm(lab: Any, tmp_path: Path) -> None:
    session = _session(lab, tmp_path)
    try:
        await session.snapshot()
        partials: list[ClusterSnapshot] = []
        snap = await session.snapshot(on_partial=partials.append)
        assert partials == [] and not snap.reading_exchange
    finally:
        await session.close()


def _fifty_groups() -> Any:
    base = default_topology(3)
    nodes = [n.name for n in base.nodes]
    orders = list(itertools.permutations(nodes))
    groups = list(base.groups)
    for i in range(50 - len(groups)):
        name = f"App {i:02d}"
        resources = tuple(ResourceSpec(f"{name} res {j}", "Generic Service") for j in range(5))
        # Every order of the three nodes, some groups with two, one or none.
        preferred = orders[i % len(orders)][: (3, 3, 2, 1, 0)[i % 5]]
        owner = preferred[0] if preferred else nodes[0]
        groups.append(GroupSpec(name, owner, resources, preferred_owners=preferred))
    return dataclasses.replace(base, groups=tuple(groups))


@pytest.mark.asyncio
async def test_preferred_owners_of_fifty_groups_in_one_read_in_order(tmp_path: Path) -> None:
    with Lab(_fifty_groups(), speed=50.0, events=0) as lab:
        session = _session(lab, tmp_path)
        try:
            first = await session.snapshot()
            want = {g.name: g.preferred_owners for g in lab.engine.groups()}
            assert len(want) == 50 and len(first.resources) >= 47 * 5
            assert len({o for o in want.values() if len(o) == 3}) == 6  # every order of three nodes
            assert {g.name: g.preferred_owners for g in first.groups} == want
            await session.snapshot()  # the failover policies' static reads (per group) come here
            lab.engine.set_group_owners("App 07", ["EXNODE3", "EXNODE1"])
            for link in session._links.values():  # the clean-up of the last command is not counted
                await link.ps._bg.drain()
                await link.cmd._bg.drain()
            before = session.requests_by_kind()
            again = await session.snapshot()
            sent = session.requests_by_kind() - before
            # Still one Send and one Receive per node: the owners of all groups are one WMI read.
            assert sent == Counter({"Send": 3, "Receive": 3})
            assert again.group("App 07").preferred_owners == ("EXNODE3", "EXNODE1")  # type: ignore[union-attr]
            assert {g.name: g.preferred_owners for g in again.groups} == {
                g.name: g.preferred_owners for g in lab.engine.groups()
            }
        finally:
            await session.close()


def _per_group_reads(lab: Lab) -> list[str]:
    """Lines the nodes received that read one group's properties or owners with cluster.exe."""
    lines = [line for r in lab.received.items() for line in r.text.splitlines()]
    return [
        line
        for line in lines
        if "cluster" in line.casefold()
        and "group" in line.casefold()
        and ("/prop" in line or "/listowners" in line)
    ]


@pytest.mark.asyncio
async def test_failover_policies_of_fifty_groups_come_in_the_wmi_read(tmp_path: Path) -> None:
    with Lab(_fifty_groups(), speed=50.0, events=0) as lab:
        session = _session(lab, tmp_path)
        try:
            await session.snapshot()
            lab.received.clear()
            second = await session.snapshot()  # issue 12 read every group's policy here
            assert _per_group_reads(lab) == []
            want = {
                g.name: (g.preferred_owners, g.policy.failover_threshold, g.policy.failover_period)
                for g in lab.engine.groups()
            }
            got = {
                p.group: (p.preferred_owners, p.failover_threshold, p.failover_period_hours)
                for p in second.group_policies
            }
            assert len(got) == 50 and got == want
            # As if five minutes had passed: the static refresh is carried (the cluster's /prop and
            # the node IDs), with no per-group cluster.exe read.
            lab.received.clear()
            session._static.props_at -= 301.0
            refreshed = await session.snapshot()
            texts = [r.text for r in lab.received.items()]
            assert any("/prop" in t for t in texts), "the static refresh was not carried"
            assert _per_group_reads(lab) == []
            assert len(refreshed.group_policies) == 50
            # An edit shows in the very next snapshot, still one Send and one Receive per node.
            lab.engine.set_group_properties(
                "App 07",
                [
                    ("FailoverThreshold", "3"),
                    ("AutoFailbackType", "1"),
                    ("FailbackWindowStart", "22"),
                    ("FailbackWindowEnd", "4"),
                ],
            )
            for link in session._links.values():  # the clean-up of the last command is not counted
                await link.ps._bg.drain()
                await link.cmd._bg.drain()
            before = session.requests_by_kind()
            again = await session.snapshot()
            assert session.requests_by_kind() - before == Counter({"Send": 3, "Receive": 3})
            policy = again.policy("App 07")
            assert policy is not None
            assert (policy.failover_threshold, policy.auto_failback) == (3, True)
            assert (policy.failback_window_start, policy.failback_window_end) == (22, 4)
            assert policy.preferred_owners == lab.engine.group("App 07").preferred_owners
            assert _per_group_reads(lab) == []
        finally:
            await session.close()
