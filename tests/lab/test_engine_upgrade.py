"""Engine rules the rolling upgrade relies on: a stopped CMS moves (and arrives stopped),
/upgradecms brings it online, update rollups, per-node extra services, cluster service stop/start."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from ccrgui.domain.model import CmsState, CopyStatus, NodeState
from ccrgui.lab.clock import Clock
from ccrgui.lab.engine import ClusterEngine, LabError
from ccrgui.lab.eventlog import EventJournal
from ccrgui.lab.faults import Faults
from ccrgui.lab.topology import default_topology

SPEED = 1000.0
SP2 = "8.2.176.2"


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.005)
    raise AssertionError("condition not reached in time")


def settle(engine: ClusterEngine) -> None:
    wait_for(lambda: not any(g.state.is_pending for g in engine.groups()))


@pytest.fixture
def engine() -> Iterator[ClusterEngine]:
    topo = default_topology()
    clock = Clock(SPEED)
    journal = EventJournal(topo, history=0, clock=clock)
    eng = ClusterEngine(topo, clock=clock, faults=Faults(), journal=journal)
    yield eng
    eng.stop()
    clock.stop()


def _stop(engine: ClusterEngine) -> None:
    engine.stop_cms("service pack")
    wait_for(lambda: engine.cms_status().state is CmsState.OFFLINE)


def test_a_stopped_cms_moves_and_arrives_stopped(engine: ClusterEngine) -> None:
    _stop(engine)
    engine.move_cms("EXNODE2", "to the upgraded node", validate_only=True)
    assert engine.cms_status().active_node == "EXNODE1"
    engine.move_cms("EXNODE2", "to the upgraded node")
    cms = engine.cms_status()
    assert (cms.active_node, cms.state, cms.stopped) == ("EXNODE2", CmsState.OFFLINE, True)
    settle(engine)
    assert engine.cms_status().state is CmsState.OFFLINE
    # Start brings it online where it is now.
    engine.start_cms()
    wait_for(lambda: engine.cms_status().state is CmsState.ONLINE)
    assert engine.cms_status().active_node == "EXNODE2"


def test_a_stopped_cms_move_ignores_copy_health_but_not_the_target(engine: ClusterEngine) -> None:
    _stop(engine)
    engine.fail_copy("First Storage Group", "disk full")
    engine.pause_node("EXNODE2")
    with pytest.raises(LabError) as exc:
        engine.move_cms("EXNODE2", "x")
    assert exc.value.error_id == "TargetNotAvailable"
    engine.resume_node("EXNODE2")
    engine.move_cms("EXNODE2", "x")
    assert engine.cms_status().active_node == "EXNODE2"
    with pytest.raises(LabError) as exc:
        engine.move_cms("EXNODE2", "x")
    assert exc.value.error_id == "TargetIsActive"


def test_a_running_cms_that_is_not_online_still_refuses_the_move(engine: ClusterEngine) -> None:
    engine.fail_resource("Exchange Information Store Instance (EXCH1)")
    with pytest.raises(LabError) as exc:
        engine.move_cms("EXNODE2", "x")
    assert exc.value.error_id == "CmsNotOnline"


def test_upgrade_cms_brings_it_online_at_the_new_version(engine: ClusterEngine) -> None:
    engine.upgrade_node_exchange("EXNODE2", SP2)
    _stop(engine)
    engine.move_cms("EXNODE2", "flip")
    engine.upgrade_cms("EXNODE2", SP2)
    cms = engine.cms_status()
    assert cms.version == SP2 and not cms.stopped
    wait_for(lambda: engine.cms_status().state is CmsState.ONLINE)
    wait_for(lambda: {c.status for c in engine.copy_status()} == {CopyStatus.HEALTHY})
    with pytest.raises(LabError) as exc:
        engine.check_node_upgrade("EXNODE2")
    assert exc.value.error_id == "CmsActiveOnNode"
    engine.check_node_upgrade("EXNODE1")


def test_rollup_refused_where_the_cms_runs_or_for_another_service_pack(engine: ClusterEngine) -> None:
    with pytest.raises(LabError) as exc:
        engine.check_rollup("EXNODE1", "8.1.393.1")
    assert (exc.value.code, exc.value.error_id) == (1603, "CmsActiveOnNode")
    with pytest.raises(LabError) as exc:
        engine.check_rollup("EXNODE2", "8.2.247.2")  # an SP2 rollup on an SP1 node
    assert exc.value.code == 1642
    engine.install_rollup("EXNODE2", "8.1.393.1")
    info = engine.node("EXNODE2")
    # The binaries change; the service pack build (and the CMS check) do not.
    assert (info.exchange_version, info.rollup_build) == ("8.1.240.6", "8.1.393.1")
    assert info.file_build == "8.1.393.1"
    # A later service pack replaces the patched binaries.
    engine.upgrade_node_exchange("EXNODE2", SP2)
    assert engine.node("EXNODE2").file_build == SP2


def test_rollup_on_both_nodes_does_not_mismatch_the_cms(engine: ClusterEngine) -> None:
    engine.install_rollup("EXNODE2", "8.1.393.1")
    _stop(engine)
    engine.move_cms("EXNODE2", "patch node 1")
    engine.install_rollup("EXNODE1", "8.1.393.1")
    engine.start_cms()
    wait_for(lambda: engine.cms_status().state is CmsState.ONLINE)


def test_extra_services_are_per_node_and_stop_and_start() -> None:
    topo = default_topology()
    clock = Clock(SPEED)
    journal = EventJournal(topo, history=0, clock=clock)
    engine = ClusterEngine(topo, clock=clock, faults=Faults(), journal=journal)
    try:
        n2 = engine.node("EXNODE2")
        assert n2.services["HealthService"] is True
        assert n2.service_display["HealthService"] == "OpsMgr Health Service"
        assert "HealthService" not in engine.node("EXNODE1").services
        assert [s.name for s in n2.spec.services if s.perf_counters] == ["HealthService"]
        assert engine.stop_services("EXNODE2", ["healthservice", "RemoteRegistry"]) == [
            "healthservice",
            "RemoteRegistry",
        ]
        assert not engine.node("EXNODE2").services["HealthService"]
        scm = [r for r in journal.records("EXNODE2", "System") if r.event_id == 7036]
        assert scm[0].value("param1") == "OpsMgr Health Service"
        with pytest.raises(LabError) as exc:
            engine.stop_service("EXNODE1", "HealthService")
        assert exc.value.code == 1060
        engine.start_services("EXNODE2", ["HealthService", "RemoteRegistry"])
        assert all(engine.node("EXNODE2").services.values())
    finally:
        engine.stop()
        clock.stop()


def test_cluster_service_stop_moves_groups_and_start_rejoins(engine: ClusterEngine) -> None:
    engine.stop_service("EXNODE1", "ClusSvc")
    assert engine.node("EXNODE1").state is NodeState.DOWN
    wait_for(lambda: all(g.owner == "EXNODE2" for g in engine.groups()))
    settle(engine)
    engine.start_service("EXNODE1", "ClusSvc")
    wait_for(lambda: engine.node("EXNODE1").state is NodeState.UP)


def test_reboot_brings_the_node_back_up_with_its_services(engine: ClusterEngine) -> None:
    engine.stop_service("EXNODE2", "HealthService")
    engine.reboot_node("EXNODE2")
    wait_for(lambda: engine.node("EXNODE2").state is NodeState.DOWN)
    wait_for(lambda: engine.node("EXNODE2").state is NodeState.UP)
    info = engine.node("EXNODE2")
    assert info.services["ClusSvc"] and info.services["HealthService"]
