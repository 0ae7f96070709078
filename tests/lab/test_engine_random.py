"""Random operation sequences against the engine: only LabErrors, and the cluster always settles
into a consistent state (nothing online on a node that is down, nothing left pending)."""

from __future__ import annotations

import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccrgui.domain.model import CmsState, GroupState, NodeState
from ccrgui.lab.clock import Clock
from ccrgui.lab.engine import ClusterEngine, LabError
from ccrgui.lab.eventlog import EventJournal
from ccrgui.lab.faults import Faults
from ccrgui.lab.topology import default_topology

NODES = ["EXNODE1", "EXNODE2", "EXNODE3"]
GROUPS = ["Cluster Group", "Available Storage", "EXCH1"]
RESOURCES = ["Cluster Name", "File Share Witness (\\\\HUB1\\FSW_EXCH1)", "Network Name (EXCH1)"]

node = st.sampled_from(NODES)
ops = st.one_of(
    st.tuples(st.just("move_group"), st.sampled_from(GROUPS), st.one_of(st.none(), node)),
    st.tuples(st.just("online_group"), st.sampled_from(GROUPS)),
    st.tuples(st.just("offline_group"), st.sampled_from(GROUPS)),
    st.tuples(st.just("pause_node"), node),
    st.tuples(st.just("resume_node"), node),
    st.tuples(st.just("set_node_down"), node),
    st.tuples(st.just("set_node_up"), node),
    st.tuples(st.just("reboot_node"), node),
    st.tuples(st.just("fail_resource"), st.sampled_from(RESOURCES)),
    st.tuples(st.just("clear_fault"), st.sampled_from(RESOURCES)),
    st.tuples(st.just("online_resource"), st.sampled_from(RESOURCES)),
    st.tuples(st.just("stop_cms"), st.just("maintenance")),
    st.tuples(st.just("start_cms")),
    st.tuples(st.just("move_cms"), node, st.just("random move")),
    st.tuples(st.just("stop_service"), node, st.sampled_from(["ClusSvc", "MSExchangeRepl"])),
    st.tuples(st.just("start_service"), node, st.sampled_from(["ClusSvc", "MSExchangeRepl"])),
    st.tuples(st.just("suspend_copy"), st.just("First Storage Group"), st.just("x")),
    st.tuples(st.just("resume_copy"), st.just("First Storage Group")),
    st.tuples(st.just("sleep"), st.floats(min_value=0.0, max_value=0.02)),
)


def settled(engine: ClusterEngine) -> bool:
    snap = engine.snapshot()
    return not any(g.state.is_pending for g in snap.groups) and not any(
        n.state is NodeState.JOINING or n.booting or n.shutting_down for n in snap.nodes
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ops, min_size=1, max_size=14))
def test_random_operations_keep_the_cluster_consistent(sequence: list[tuple[Any, ...]]) -> None:
    topo = default_topology(3)
    clock = Clock(5000)
    journal = EventJournal(topo, history=0, clock=clock)
    engine = ClusterEngine(topo, clock=clock, faults=Faults(), journal=journal)
    try:
        for op, *args in sequence:
            if op == "sleep":
                time.sleep(args[0])
                continue
            try:
                getattr(engine, op)(*args)
            except LabError:
                pass
        # Give every timed transition time to finish: settled for longer than the longest chain
        # of steps (power off -> boot -> join -> groups online is about 40 ms at speed 5000).
        end = time.monotonic() + 5
        calm = 0
        while time.monotonic() < end and calm < 12:
            calm = calm + 1 if settled(engine) else 0
            time.sleep(0.01)
        snap = engine.snapshot()
        assert not any(g.state.is_pending for g in snap.groups)
        assert not any(r.state.is_pending for r in snap.resources)
        up = {n.name for n in snap.nodes if n.state in (NodeState.UP, NodeState.PAUSED)}
        for g in snap.groups:
            if g.state in (GroupState.ONLINE, GroupState.PARTIALLY_ONLINE):
                assert g.owner in up, (g, snap.nodes)
        if snap.quorum.lost:
            assert all(g.state is GroupState.OFFLINE for g in snap.groups)
            assert snap.cms.state is CmsState.OFFLINE
        cms_group = next(g for g in snap.groups if g.kind == "cms")
        if not snap.quorum.lost:
            assert snap.cms.state.value == cms_group.state.value
        if snap.cms.stopped:
            assert snap.cms.state is CmsState.OFFLINE
        for r in snap.resources:
            assert r.owner == next(g.owner for g in snap.groups if g.name == r.group)
    finally:
        engine.stop()
        clock.stop()
