"""The lab engine's rules: pending states, refusals, failover, quorum, CMS, copies, events."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from ccrgui.domain.model import CmsState, CopyStatus, GroupState, InterfaceState, NetworkState, NodeState
from ccrgui.lab import event_messages as em
from ccrgui.lab.clock import Clock
from ccrgui.lab.engine import ClusterEngine, LabError
from ccrgui.lab.eventlog import EventJournal
from ccrgui.lab.faults import Faults
from ccrgui.lab.topology import Topology, default_topology

SPEED = 1000.0
WITNESS = "File Share Witness (\\\\HUB1\\FSW_EXCH1)"


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    """Polls until `predicate` holds; the deadline is generous for a loaded 2-core machine."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.005)
    raise AssertionError("condition not reached in time")


def make(topology: Topology | None = None, speed: float = SPEED) -> tuple[ClusterEngine, EventJournal, Clock]:
    topo = topology or default_topology()
    clock = Clock(speed)
    journal = EventJournal(topo, history=0, clock=clock)
    return ClusterEngine(topo, clock=clock, faults=Faults(), journal=journal), journal, clock


@pytest.fixture
def lab() -> Iterator[tuple[ClusterEngine, EventJournal]]:
    engine, journal, clock = make()
    yield engine, journal
    engine.stop()
    clock.stop()


@pytest.fixture
def slow() -> Iterator[tuple[ClusterEngine, EventJournal]]:
    """Speed 50: pending states last long enough (40 ms and more) to be observed reliably."""
    engine, journal, clock = make(speed=50)
    yield engine, journal
    engine.stop()
    clock.stop()


def ids(journal: EventJournal, node: str, log: str = "System") -> list[int]:
    return [r.event_id for r in journal.records(node, log)]


def state(engine: ClusterEngine, group: str) -> GroupState:
    return engine.group(group).state


def settle(engine: ClusterEngine) -> None:
    wait_for(lambda: not any(g.state.is_pending for g in engine.groups()))


def test_initial_state_everything_up_and_online(lab: tuple[ClusterEngine, EventJournal]) -> None:
    engine, _ = lab
    assert [(n.name, n.state) for n in engine.nodes()] == [
        ("EXNODE1", NodeState.UP),
        ("EXNODE2", NodeState.UP),
    ]
    assert all(g.state is GroupState.ONLINE and g.owner == "EXNODE1" for g in engine.groups())
    cms = engine.cms_status()
    assert cms.state is CmsState.ONLINE
    assert cms.operational_machines == ("EXNODE1 <Active, Quorum Owner>", "EXNODE2")
    assert not engine.quorum().lost


def test_move_group_goes_through_pending_states_and_logs_on_each_node(
    slow: tuple[ClusterEngine, EventJournal],
) -> None:
    engine, journal = slow
    assert engine.move_group("cluster group", "exnode2") == "EXNODE2"
    assert state(engine, "Cluster Group") is GroupState.OFFLINE_PENDING
    seen: set[GroupState] = set()

    def online() -> bool:
        seen.add(state(engine, "Cluster Group"))
        return state(engine, "Cluster Group") is GroupState.ONLINE

    wait_for(online)
    assert GroupState.ONLINE_PENDING in seen
    assert engine.group("Cluster Group").owner == "EXNODE2"
    assert ids(journal, "EXNODE1") == [1203, 1204]
    assert ids(journal, "EXNODE2") == [1200, 1201]
    rec = journal.records("EXNODE2", "System")[-1]
    assert rec.value("ResourceGroup") == "Cluster Group"


def test_move_without_node_picks_best_possible(lab: tuple[ClusterEngine, EventJournal]) -> None:
    engine, _ = lab
    assert engine.move_group("Available Storage") == "EXNODE2"


def test_pending_group_refuses_a_second_move(slow: tuple[ClusterEngine, EventJournal]) -> None:
    engine, _ = slow
    engine.move_group("Cluster Group", "EXNODE2")
    with pytest.raises(LabError) as exc:
        engine.move_group("Cluster Group", "EXNODE1")
    assert exc.value.code == 5023


@pytest.mark.parametrize(
    ("group", "node", "code"),
    [("No Such Group", "EXNODE2", 5013), ("Cluster Group", "NOPE", 5042)],
)
def test_unknown_names_are_refused(
    lab: tuple[ClusterEngine, EventJournal], group: str, node: str, code: int
) -> None:
    engine, _ = lab
    with pytest.raises(LabError) as exc:
        engine.move_group(group, node)
    assert exc.value.code == code


def test_nothing_moves_to_a_paused_node_but_it_keeps_what_it_owns(
    lab: tuple[ClusterEngine, EventJournal],
) -> None:
    engine, _ = lab
    engine.pause_node("EXNODE2")
    with pytest.raises(LabError) as exc:
        engine.move_group("EXCH1", "EXNODE2")
    assert (exc.value.code, exc.value.message) == (5070, "The cluster node is paused.")
    engine.resume_node("EXNODE2")
    engine.move_group("Available Storage", "EXNODE2")
    settle(engine)
    engine.pause_node("EXNODE2")
    assert engine.node("EXNODE2").state is NodeState.PAUSED
    time.sleep(0.05)
    assert engine.group("Available Storage").owner == "EXNODE2"
    assert state(engine, "Available Storage") is GroupState.ONLINE
    with pytest.raises(LabError) as exc2:
        engine.resume_node("EXNODE1")
    assert exc2.value.code == 5058


def test_nothing_moves_to_a_down_node(lab: tuple[ClusterEngine, EventJournal]) -> None:
    engine, _ = lab
    engine.set_node_down("EXNODE2")
    with pytest.raises(LabError) as exc:
        engine.move_group("Cluster Group", "EXNODE2")
    assert exc.value.code == 5050
    with pytest.raises(LabError) as exc2:
        engine.move_group("Cluster Group")
    assert exc2.value.code == 5005


def test_node_crash_fails_groups_over_with_1135_on_the_survivor(
    lab: tuple[ClusterEngine, EventJournal],
) -> None:
    engine, journal = lab
    engine.set_node_down("EXNODE1")
    assert engine.node("EXNODE1").state is NodeState.DOWN
    wait_for(lambda: all(g.owner == "EXNODE2" and g.state is GroupState.ONLINE for g in engine.groups()))
    assert 1135 in ids(journal, "EXNODE2")
    assert (
        journal.records("EXNODE2", "System")[ids(journal, "EXNODE2").index(1135)].value("NodeName")
        == "EXNODE1"
    )
    assert 1153 in ids(journal, "EXNODE2")
    assert engine.cms_status().active_node == "EXNODE2"
    assert not engine.quorum().lost  # node + witness still a majority of three votes
    # The passive copy's node is gone: copies cannot replicate.
    assert {c.status for c in engine.copy_status()} == {CopyStatus.SERVICE_DOWN}


def test_pause_survives_a_reboot_and_the_node_comes_back_paused(
    lab: tuple[ClusterEngine, EventJournal],
) -> None:
    engine, journal = lab
    engine.pause_node("EXNODE2")
    engine.reboot_node("EXNODE2")
    wait_for(lambda: engine.node("EXNODE2").state is NodeState.DOWN)
    wait_for(lambda: not engine.node_is_powered("EXNODE2"))
    wait_for(lambda: engine.node("EXNODE2").state is NodeState.JOINING)
    assert engine.node_is_powered("EXNODE2")
    wait_for(lambda: engine.node("EXNODE2").state is NodeState.PAUSED)
    assert engine.node("EXNODE2").paused
    log = ids(journal, "EXNODE2")
    assert log.index(6006) < log.index(6005) < log.index(1062)
    assert 1074 in log


def test_reboot_of_the_active_node_moves_its_groups(lab: tuple[ClusterEngine, EventJournal]) -> None:
    engine, _ = lab
    engine.reboot_node("EXNODE1")
    wait_for(lambda: engine.node("EXNODE1").state is NodeState.DOWN)
    wait_for(lambda: all(g.owner == "EXNODE2" and g.state is GroupState.ONLINE for g in engine.groups()))
    wait_for(lambda: engine.node("EXNODE1").state is NodeState.UP)


def test_losing_a_node_and_the_witness_loses_quorum(lab: tuple[ClusterEngine, EventJournal]) -> None:
    engine, journal = lab
    engine.fail_resource(WITNESS, persistent=True)
    assert 1564 in ids(journal, "EXNODE1") and 1069 in ids(journal, "EXNODE1")
    assert state(engine, "Cluster Group") is GroupState.PARTIALLY_ONLINE
    assert not engine.quorum().lost
    engine.set_node_down("EXNODE2")
    q = engine.quorum()
    assert q.lost and (q.votes, q.needed) == (1, 2)
    assert 1177 in ids(journal, "EXNODE1")
    with pytest.raises(LabError) as exc:
        engine.require_cluster("EXNODE1")
    assert (exc.value.code, exc.value.message) == (1722, "The RPC server is unavailable.")
    assert engine.cms_status().state is CmsState.OFFLINE
    # The node returns: two votes out of three, the cluster forms again and groups come online.
    engine.set_node_up("EXNODE2")
    wait_for(lambda: not engine.quorum().lost)
    wait_for(lambda: engine.cms_status().state is CmsState.ONLINE)


def test_node_majority_without_witness(lab: tuple[ClusterEngine, EventJournal]) -> None:
    topo = default_topology(3)
    from dataclasses import replace

    engine, _journal, clock = make(replace(topo, quorum_model="Node Majority"))
    try:
        engine.set_node_down("EXNODE3")
        assert not engine.quorum().lost
        engine.set_node_down("EXNODE2")
        assert engine.quorum().lost
        assert engine.quorum().witness_resource == ""
    finally:
        engine.stop()
        clock.stop()


def test_failing_resource_makes_group_partially_online_or_failed(
    lab: tuple[ClusterEngine, EventJournal],
) -> None:
    engine, journal = lab
    engine.fail_resource("Exchange Information Store Instance (EXCH1)")
    info = engine.cms_status()
    assert info.state is CmsState.PARTIALLY_ONLINE
    assert info.failed_resources == ("Exchange Information Store Instance (EXCH1)",)
    # Dependents of the failed resource went offline.
    assert engine.resource("First Storage Group/Mailbox Database (EXCH1)").state is GroupState.OFFLINE
    rec = [r for r in journal.records("EXNODE1", "System") if r.event_id == 1069][-1]
    assert rec.value("ResourceName") == "Exchange Information Store Instance (EXCH1)"
    assert rec.value("ResourceGroup") == "EXCH1"
    assert 1205 in ids(journal, "EXNODE1")
    engine.fail_resource("Cluster IP Address")
    engine.fail_resource("Cluster Name")
    engine.fail_resource(WITNESS)
    assert state(engine, "Cluster Group") is GroupState.FAILED


def test_persistent_fault_fails_again_until_cleared(slow: tuple[ClusterEngine, EventJournal]) -> None:
    engine, journal = slow
    engine.fail_resource("Cluster Name", persistent=True)
    engine.online_resource("Cluster Name")
    assert engine.resource("Cluster Name").state is GroupState.ONLINE_PENDING
    wait_for(lambda: engine.resource("Cluster Name").state is GroupState.FAILED)
    assert ids(journal, "EXNODE1").count(1069) == 2
    engine.clear_fault("Cluster Name")
    engine.online_resource("Cluster Name")
    wait_for(lambda: engine.resource("Cluster Name").state is GroupState.ONLINE)
    assert state(engine, "Cluster Group") is GroupState.ONLINE


def test_offline_then_online_group(slow: tuple[ClusterEngine, EventJournal]) -> None:
    engine, journal = slow
    engine.offline_group("Available Storage")
    assert state(engine, "Available Storage") is GroupState.OFFLINE_PENDING
    wait_for(lambda: state(engine, "Available Storage") is GroupState.OFFLINE)
    engine.online_group("Available Storage")
    assert state(engine, "Available Storage") is GroupState.ONLINE_PENDING
    wait_for(lambda: state(engine, "Available Storage") is GroupState.ONLINE)
    assert ids(journal, "EXNODE1") == [1203, 1204, 1200, 1201]


def test_online_on_a_paused_owner_is_refused(lab: tuple[ClusterEngine, EventJournal]) -> None:
    engine, _ = lab
    engine.offline_group("Available Storage")
    wait_for(lambda: state(engine, "Available Storage") is GroupState.OFFLINE)
    engine.pause_node("EXNODE1")
    with pytest.raises(LabError) as exc:
        engine.online_group("Available Storage")
    assert exc.value.code == 5070


# ---- CMS ----------------------------------------------------------------------------------------


def test_cms_move_active_to_passive_with_events(slow: tuple[ClusterEngine, EventJournal]) -> None:
    engine, journal = slow
    engine.move_cms("EXNODE2", "monthly patching")
    assert engine.cms_status().state is CmsState.OFFLINE_PENDING
    wait_for(
        lambda: engine.cms_status().active_node == "EXNODE2" and engine.cms_status().state is CmsState.ONLINE
    )
    wait_for(lambda: 100 in ids(journal, "EXNODE2", "Application"))
    moved = journal.records("EXNODE1", "Application")[0]
    assert (moved.provider, moved.event_id) == (em.MSEXCHANGECLUSTER, 1000)
    assert moved.value("Comment") == "monthly patching"
    handoff = next(r for r in journal.records("EXNODE2", "Application") if r.event_id == 100)
    assert handoff.provider == em.MSEXCHANGEREPL and handoff.value("SourceNode") == "EXNODE1"
    assert engine.copy_status()[0].passive_node == "EXNODE1"


@pytest.mark.parametrize(
    ("target", "comment", "error_id"),
    [
        ("EXNODE1", "x", "TargetIsActive"),
        ("EXNODE2", "  ", "MoveCommentRequired"),
        ("ELSEWHERE", "x", "TargetNotRedundantMachine"),
    ],
)
def test_cms_move_refusals(
    lab: tuple[ClusterEngine, EventJournal], target: str, comment: str, error_id: str
) -> None:
    engine, _ = lab
    with pytest.raises(LabError) as exc:
        engine.move_cms(target, comment)
    assert exc.value.error_id == error_id and exc.value.code == 0
    assert engine.cms_status().active_node == "EXNODE1"


def test_cms_move_to_paused_or_down_target_is_refused(lab: tuple[ClusterEngine, EventJournal]) -> None:
    engine, _ = lab
    engine.pause_node("EXNODE2")
    with pytest.raises(LabError) as exc:
        engine.move_cms("EXNODE2", "x")
    assert exc.value.error_id == "TargetNotAvailable"
    engine.resume_node("EXNODE2")
    engine.stop_service("EXNODE2", "ClusSvc")
    with pytest.raises(LabError) as exc2:
        engine.move_cms("EXNODE2", "x")
    assert exc2.value.error_id == "TargetNotAvailable"


def test_cms_move_validate_only_and_replication_health(lab: tuple[ClusterEngine, EventJournal]) -> None:
    engine, journal = lab
    engine.move_cms("EXNODE2", "check", validate_only=True)
    time.sleep(0.05)
    assert engine.cms_status().active_node == "EXNODE1"
    assert journal.records("EXNODE1", "Application") == []
    engine.suspend_copy("First Storage Group", "backup")
    with pytest.raises(LabError) as exc:
        engine.move_cms("EXNODE2", "x")
    assert exc.value.error_id == "ReplicationNotHealthy"


def test_stop_requires_reason_and_stopped_cms_stays_offline_after_reboot(
    lab: tuple[ClusterEngine, EventJournal],
) -> None:
    engine, journal = lab
    with pytest.raises(LabError) as exc:
        engine.stop_cms("")
    assert exc.value.error_id == "StopReasonRequired"
    engine.stop_cms("disk maintenance")
    wait_for(lambda: engine.cms_status().state is CmsState.OFFLINE)
    assert engine.cms_status().stopped
    stop = journal.records("EXNODE1", "Application")[0]
    assert (stop.event_id, stop.value("Reason")) == (1001, "disk maintenance")
    engine.reboot_node("EXNODE1")
    wait_for(lambda: engine.node("EXNODE1").state is NodeState.DOWN)
    wait_for(lambda: engine.node("EXNODE1").state is NodeState.UP)
    settle(engine)
    assert engine.cms_status().state is CmsState.OFFLINE
    engine.start_cms()
    wait_for(lambda: engine.cms_status().state is CmsState.ONLINE)
    assert not engine.cms_status().stopped
    with pytest.raises(LabError) as exc3:
        engine.start_cms()
    assert exc3.value.error_id == "CmsAlreadyRunning"


def test_quorum_owner_tag_follows_cluster_group(lab: tuple[ClusterEngine, EventJournal]) -> None:
    engine, _ = lab
    engine.move_group("Cluster Group", "EXNODE2")
    settle(engine)
    assert engine.cms_status().operational_machines == ("EXNODE1 <Active>", "EXNODE2 <Quorum Owner>")


# ---- storage group copies -----------------------------------------------------------------------


def test_suspend_grows_copy_queue_resume_and_update_drain_it() -> None:
    engine, journal, clock = make(speed=200)
    try:
        engine.suspend_copy("EXCH1\\First Storage Group", "reseed")
        info = engine.copy_status("First Storage Group")[0]
        assert info.status is CopyStatus.SUSPENDED and info.suspended and info.suspend_comment == "reseed"
        start_q = info.copy_queue_length
        wait_for(lambda: engine.copy_status("First Storage Group")[0].copy_queue_length >= start_q + 5)
        frozen_replayed = engine.copy_status("First Storage Group")[0].last_log_replayed
        assert engine.copy_status("First Storage Group")[0].last_log_replayed == frozen_replayed
        # Suspending again is not an error.
        engine.suspend_copy("First Storage Group", "again")
        engine.update_copy("First Storage Group")
        assert engine.copy_status("First Storage Group")[0].status is CopyStatus.SEEDING
        wait_for(lambda: engine.copy_status("First Storage Group")[0].status is CopyStatus.HEALTHY)
        assert engine.copy_status("First Storage Group")[0].suspend_comment == ""
        assert engine.copy_status("First Storage Group")[0].replay_queue_length <= 3
        log = ids(journal, "EXNODE2", "Application")
        assert log[:3] == [2071, 2071, 2073] and 2074 in log
        # Resume after a suspend: Initializing, then Healthy; the backlog drains.
        engine.suspend_copy("Second Storage Group", "x")
        wait_for(lambda: engine.copy_status("Second Storage Group")[0].copy_queue_length >= 6)
        engine.resume_copy("Second Storage Group")
        assert engine.copy_status("Second Storage Group")[0].status is CopyStatus.INITIALIZING
        wait_for(lambda: engine.copy_status("Second Storage Group")[0].status is CopyStatus.HEALTHY)
        wait_for(lambda: engine.copy_status("Second Storage Group")[0].copy_queue_length <= 2)
    finally:
        engine.stop()
        clock.stop()


def test_copy_refusals(lab: tuple[ClusterEngine, EventJournal]) -> None:
    engine, _ = lab
    with pytest.raises(LabError) as exc:
        engine.update_copy("First Storage Group")
    assert exc.value.error_id == "CopyNotSuspended"
    with pytest.raises(LabError) as exc2:
        engine.resume_copy("First Storage Group")
    assert exc2.value.error_id == "CopyNotSuspended"
    with pytest.raises(LabError) as exc3:
        engine.copy_status("Nope")
    assert exc3.value.error_id == "StorageGroupNotFound"


def test_replication_service_down_on_passive_node(lab: tuple[ClusterEngine, EventJournal]) -> None:
    engine, journal = lab
    engine.stop_service("EXNODE2", "MSExchangeRepl")
    assert {c.status for c in engine.copy_status()} == {CopyStatus.SERVICE_DOWN}
    assert journal.records("EXNODE2", "System")[-1].event_id == 7036
    engine.start_service("EXNODE2", "msexchangerepl")
    wait_for(lambda: {c.status for c in engine.copy_status()} == {CopyStatus.HEALTHY})
    with pytest.raises(LabError) as exc:
        engine.start_service("EXNODE2", "MSExchangeRepl")
    assert exc.value.code == 1056


def test_cluster_service_stop_takes_node_down_and_groups_away(
    slow: tuple[ClusterEngine, EventJournal],
) -> None:
    engine, _ = slow
    engine.stop_service("EXNODE1", "ClusSvc")
    assert engine.node("EXNODE1").state is NodeState.DOWN
    assert engine.node("EXNODE1").powered
    wait_for(lambda: all(g.owner == "EXNODE2" and g.state is GroupState.ONLINE for g in engine.groups()))
    with pytest.raises(LabError) as exc:
        engine.require_cluster("EXNODE1")
    assert exc.value.code == 1722
    assert engine.resolve_cluster_target("EXCLUS1") == "EXNODE2"
    engine.start_service("EXNODE1", "ClusSvc")
    assert engine.node("EXNODE1").state is NodeState.JOINING
    wait_for(lambda: engine.node("EXNODE1").state is NodeState.UP)


def test_interface_failure_partitions_the_network(lab: tuple[ClusterEngine, EventJournal]) -> None:
    engine, journal = lab
    engine.set_interface_state("EXNODE2", "Cluster Network 2", InterfaceState.FAILED)
    assert engine.network("cluster network 2").state is NetworkState.PARTITIONED
    assert engine.interface("EXNODE2", "Cluster Network 2").state is InterfaceState.FAILED
    assert ids(journal, "EXNODE2") == [1127]
    engine.set_node_down("EXNODE2")
    assert engine.interface("EXNODE2", "Cluster Network 1").state is InterfaceState.UNAVAILABLE
    with pytest.raises(LabError) as exc:
        engine.network("Nope")
    assert exc.value.code == 5045


def test_access_denied_for_non_admin(lab: tuple[ClusterEngine, EventJournal]) -> None:
    engine, _ = lab
    helpdesk = next(a for a in engine.topology.accounts if not a.admin)
    with pytest.raises(LabError) as exc:
        engine.require_admin(helpdesk)
    assert (exc.value.code, exc.value.message) == (5, "Access is denied.")
    engine.require_admin(engine.topology.accounts[0])


def test_clock_scales_and_cancels() -> None:
    clock = Clock(100)
    try:
        assert clock.delay(10) == pytest.approx(0.1)
        hits: list[str] = []
        # "late" is due 1 s from now (real time): cancelling it cannot race its firing on a busy
        # machine, as it could when it was due after 10 ms.
        t = clock.call_later(100.0, hits.append, "late")
        clock.call_later(0.5, hits.append, "early")
        t.cancel()
        wait_for(lambda: hits == ["early"])
        time.sleep(0.03)
        assert hits == ["early"]
        assert clock.now().tzinfo is not None
    finally:
        clock.stop()


def test_cluster_name_stops_answering_while_its_resources_are_offline(
    lab: tuple[ClusterEngine, EventJournal],
) -> None:
    engine, _ = lab
    assert engine.resolve_cluster_target("exclus1") == "EXNODE1"
    engine.fail_resource("Cluster Name")
    with pytest.raises(LabError) as exc:
        engine.resolve_cluster_target("EXCLUS1")
    assert exc.value.code == 1722
    engine.require_cluster("EXNODE2")  # the nodes themselves still answer
    assert engine.resolve_cluster_target("EXNODE2") == "EXNODE2"


def test_snapshot_is_consistent(lab: tuple[ClusterEngine, EventJournal]) -> None:
    engine, _ = lab
    snap = engine.snapshot()
    assert [n.name for n in snap.nodes] == ["EXNODE1", "EXNODE2"]
    assert snap.cms.name == "EXCH1" and len(snap.copies) == 2 and len(snap.interfaces) == 4
    assert {r.group for r in snap.resources} == {"Cluster Group", "EXCH1"}
