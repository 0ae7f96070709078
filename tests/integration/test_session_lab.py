"""The backend against the lab over real WinRM (NTLM with message encryption on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from ccrgui.domain.model import ClusterSnapshot, CopyStatus, GroupState, NodeState
from ccrgui.domain.plan import ActionKind, ActionRequest
from ccrgui.domain.session_api import LogQuery
from ccrgui.remote.audit import AuditLog
from ccrgui.remote.session import WinRMClusterSession, settings_from_lab_info
from tests.integration.fakes import shown_lines as shown

pytestmark = pytest.mark.integration


def _session(lab: Any, tmp_path: Path, **changes: Any) -> WinRMClusterSession:
    settings, password = settings_from_lab_info(lab.info())
    password = changes.pop("password", password)
    if changes:
        settings = dataclasses.replace(settings, **changes)
    return WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "audit.jsonl"))


@pytest_asyncio.fixture
async def session(lab: Any, tmp_path: Path) -> AsyncIterator[WinRMClusterSession]:
    s = _session(lab, tmp_path, operation_timeout_s=15.0)
    yield s
    await s.close()


async def _settle(session: WinRMClusterSession) -> None:
    """Wait for the background clean-up (Signal after each command) of earlier calls."""
    for link in session._links.values():
        await link.cmd._bg.drain()
        await link.ps._bg.drain()


async def _snapshot_counted(session: WinRMClusterSession) -> tuple[ClusterSnapshot, Counter[str]]:
    """A snapshot and the requests it sent, by kind, counted after the clean-up of earlier calls
    has finished (a background Signal of the previous command is not this snapshot's)."""
    await _settle(session)
    before = session.requests_by_kind()
    snap = await session.snapshot()
    return snap, session.requests_by_kind() - before


async def _until(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.05)


@pytest.mark.asyncio
async def test_snapshot_reads_the_whole_cluster(lab: Any, session: WinRMClusterSession) -> None:
    snap = await session.snapshot()
    topo = lab.topology
    assert snap.node_errors == ()
    assert [n.name for n in snap.nodes] == [n.name for n in topo.nodes]
    assert all(n.state is NodeState.UP and n.reachable for n in snap.nodes)
    for node, spec in zip(snap.nodes, topo.nodes, strict=True):
        assert node.node_id == spec.node_id
        assert node.details is not None
        assert node.details.os_version == spec.os_version
        assert node.details.service_pack == spec.service_pack
        assert node.details.memory_total_mb == spec.memory_total_mb
        assert node.details.exchange_version == "Version 8.1 (Build 240.6)"
        assert node.details.utc_offset_minutes == 0  # the lab's nodes run on UTC (CurrentTimeZone 0)
    assert {g.name for g in snap.groups} == {g.name for g in topo.groups}
    cms = snap.cms_group
    assert cms is not None and cms.name == topo.cms_name and cms.state is GroupState.ONLINE
    assert snap.group("Cluster Group").is_core  # type: ignore[union-attr]
    assert snap.group("Available Storage").is_storage  # type: ignore[union-attr]
    assert {r.name for r in snap.resources} == {r.name for g in topo.groups for r in g.resources}
    assert all(r.group for r in snap.resources)
    assert {n.name for n in snap.networks} == {n.name for n in topo.networks}
    assert len(snap.interfaces) == sum(len(n.nics) for n in topo.nodes)
    assert snap.quorum is not None and snap.quorum.model == topo.quorum_model
    assert snap.quorum.witness_state is GroupState.ONLINE
    assert snap.cms is not None and snap.cms.active_node == topo.groups[0].owner
    assert {c.storage_group for c in snap.copies} == {sg.name for sg in topo.storage_groups}
    assert all(c.status is CopyStatus.HEALTHY for c in snap.copies)
    assert snap.served_by in {n.name for n in topo.nodes}
    # Static facts from the /prop listings: the real cluster name (not the host connected to),
    # resource types, network roles and addresses, interface names, adapters and addresses.
    assert snap.cluster_name == topo.cluster_name == session.cluster_name
    types = {r.name: r.type for g in topo.groups for r in g.resources}
    assert {r.name: r.resource_type for r in snap.resources} == types
    nets = {n.name: (n.role, n.address, n.mask) for n in topo.networks}
    assert {n.name: (n.role, n.address, n.address_mask) for n in snap.networks} == nets
    nics = {(i.node, i.network): (i.name, i.adapter, i.address) for i in lab.engine.interfaces()}
    assert {(i.node, i.network): (i.name, i.adapter, i.address) for i in snap.interfaces} == nics
    assert all(i.name and i.adapter and i.address for i in snap.interfaces)

    again, sent = await _snapshot_counted(session)
    assert again.node_errors == ()
    # One Send and one Receive per node on the persistent PowerShell hosts, nothing else.
    assert sent == Counter({"Send": len(topo.nodes), "Receive": len(topo.nodes)})
    assert {g.name: g.owner for g in again.groups} == {g.name: g.owner for g in snap.groups}
    # Preferred owners come in every snapshot, the first one included (one WMI read for all groups).
    owners = {g.name: g.preferred_owners for g in lab.engine.groups()}
    assert {g.name: g.preferred_owners for g in snap.groups} == owners
    assert {g.name: g.preferred_owners for g in again.groups} == owners
    assert again.cluster_name == topo.cluster_name
    assert {r.name: r.resource_type for r in again.resources} == types
    # Later snapshots do not read the static facts again.
    third, sent = await _snapshot_counted(session)
    assert sent == Counter({"Send": len(topo.nodes), "Receive": len(topo.nodes)})
    assert {g.name: g.preferred_owners for g in third.groups} == owners
    assert {n.name: (n.role, n.address, n.address_mask) for n in third.networks} == nets


@pytest.mark.asyncio
async def test_cluster_exe_actions_and_previews(
    lab: Any, session: WinRMClusterSession, tmp_path: Path
) -> None:
    await session.snapshot()
    assert shown(session, ActionRequest(ActionKind.MOVE_GROUP, "Cluster Group", "EXNODE2")) == [
        'cluster.exe group "Cluster Group" /move:EXNODE2'
    ]
    pause = ActionRequest(ActionKind.PAUSE_NODE, "EXNODE2")
    resume = ActionRequest(ActionKind.RESUME_NODE, "EXNODE2")
    assert shown(session, pause) == ["cluster.exe node EXNODE2 /pause"]
    assert shown(session, resume) == ["cluster.exe node EXNODE2 /resume"]
    assert shown(session, ActionRequest(ActionKind.OFFLINE_GROUP, "Available Storage")) == [
        'cluster.exe group "Available Storage" /offline'
    ]
    assert shown(session, ActionRequest(ActionKind.ONLINE_GROUP, "Available Storage")) == [
        'cluster.exe group "Available Storage" /online'
    ]

    moved = await session.move_group("Cluster Group", "EXNODE2")
    assert moved.ok, moved.error
    assert moved.runs[0].command == 'cluster.exe group "Cluster Group" /move:EXNODE2'
    assert moved.runs[0].exit_code == 0
    snap = await session.snapshot()
    assert snap.group("Cluster Group").owner == "EXNODE2"  # type: ignore[union-attr]

    off = await session.take_offline("Available Storage")
    assert off.ok, off.error
    await _until(lambda: True)
    snap = await session.snapshot()
    assert snap.group("Available Storage").state is GroupState.OFFLINE  # type: ignore[union-attr]
    on = await session.bring_online("Available Storage")
    assert on.ok, on.error

    paused = await session.pause_node("EXNODE2")
    assert paused.ok, paused.error
    snap = await session.snapshot()
    assert snap.node("EXNODE2").state is NodeState.PAUSED  # type: ignore[union-attr]
    resumed = await session.resume_node("EXNODE2")
    assert resumed.ok
    snap = await session.snapshot()
    assert snap.node("EXNODE2").state is NodeState.UP  # type: ignore[union-attr]

    audit = AuditLog(tmp_path / "audit.jsonl").read()
    assert [r.command for r in audit][:1] == ['cluster.exe group "Cluster Group" /move:EXNODE2']
    assert all(r.exit_code == 0 and r.host for r in audit)
    assert lab.password not in (tmp_path / "audit.jsonl").read_text(encoding="utf-8")


@pytest.mark.asyncio
async def test_cms_actions_go_through_exchange(lab: Any, session: WinRMClusterSession) -> None:
    snap = await session.snapshot()
    cms = lab.topology.cms_name
    assert shown(session, ActionRequest(ActionKind.MOVE_GROUP, cms, "EXNODE2", "patching")) == [
        f"Move-ClusteredMailboxServer -Identity '{cms}' -TargetMachine 'EXNODE2' "
        "-MoveComment 'patching' -Confirm:$false"
    ]
    refused = await session.move_group(cms, "EXNODE2", "")
    assert not refused.ok and refused.runs == ()  # nothing sent without a comment

    valid = await session.validate_move_cms("EXNODE2", "patching")
    assert valid.ok, valid.error
    assert "-ValidateOnly" in valid.runs[0].command
    snap = await session.snapshot()
    assert snap.cms is not None and snap.cms.active_node == "EXNODE1"

    moved = await session.move_group(cms, None, "patching")  # None: the other node
    assert moved.ok, moved.error
    assert moved.runs[0].command.startswith("Move-ClusteredMailboxServer")
    await _until(lambda: True)
    snap = await session.snapshot()
    assert snap.cms is not None and snap.cms.active_node == "EXNODE2"
    assert snap.cms_group.owner == "EXNODE2"  # type: ignore[union-attr]

    stopped = await session.take_offline(cms, "maintenance window")
    assert stopped.ok, stopped.error
    assert "-StopReason 'maintenance window'" in stopped.runs[0].command
    snap = await session.snapshot()
    assert snap.cms_group.state is GroupState.OFFLINE  # type: ignore[union-attr]
    started = await session.bring_online(cms)
    assert started.ok, started.error
    assert started.runs[0].command == f"Start-ClusteredMailboxServer -Identity '{cms}' -Confirm:$false"


@pytest.mark.asyncio
async def test_move_to_paused_node_returns_windows_error(lab: Any, session: WinRMClusterSession) -> None:
    await session.snapshot()
    cms = lab.topology.cms_name
    assert (await session.pause_node("EXNODE2")).ok
    result = await session.move_group(cms, "EXNODE2", "should fail")
    assert not result.ok
    assert "paused" in result.error.lower()
    assert result.runs and result.runs[0].exit_code != 0
    snap = await session.snapshot()
    assert snap.node("EXNODE2").state is NodeState.PAUSED  # type: ignore[union-attr]
    assert snap.cms is not None and snap.cms.active_node == "EXNODE1"
    assert snap.cms_group.state is GroupState.ONLINE  # type: ignore[union-attr]

    plain = await session.move_group("Cluster Group", "EXNODE2")
    assert not plain.ok and plain.error  # cluster.exe refuses too: its System error text
    snap = await session.snapshot()
    assert snap.group("Cluster Group").owner == "EXNODE1"  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_copy_actions(lab: Any, session: WinRMClusterSession) -> None:
    snap = await session.snapshot()
    sg = snap.copies[0].storage_group
    suspended = await session.suspend_copy(sg, "backup window")
    assert suspended.ok, suspended.error
    snap = await session.snapshot()
    copy = next(c for c in snap.copies if c.storage_group == sg)
    assert copy.suspended and copy.suspend_comment == "backup window"
    assert copy.status is CopyStatus.SUSPENDED
    resumed = await session.resume_copy(sg)
    assert resumed.ok, resumed.error
    snap = await session.snapshot()
    assert not next(c for c in snap.copies if c.storage_group == sg).suspended
    again = await session.resume_copy(sg)  # Windows refuses: its text reaches the caller
    assert not again.ok and "not suspended" in again.error
    assert (await session.suspend_copy(sg, "reseed")).ok
    updated = await session.update_copy(sg)
    assert (
        updated.runs[0].command == f"Update-StorageGroupCopy -Identity 'EXCH1\\{sg}' -Force -Confirm:$false"
    )
    assert updated.ok, updated.error


@pytest.mark.asyncio
async def test_query_events_streams_per_node(lab: Any, session: WinRMClusterSession) -> None:
    queries = [LogQuery(n.name, "System", max_events=20) for n in lab.topology.nodes]
    queries.append(LogQuery("EXNODE1", "No-Such-Log/Operational", max_events=5))
    batches = [b async for b in session.query_events(queries)]
    assert len(batches) == len(queries)
    by_node = {(b.query.node, b.query.log): b for b in batches}
    for n in lab.topology.nodes:
        batch = by_node[(n.name, "System")]
        assert batch.error == "", batch.error
        assert 0 < len(batch.events) <= 20
        assert all(e.node == n.name for e in batch.events)
        times = [e.time_created for e in batch.events]
        assert times == sorted(times, reverse=True)  # /rd:true: newest first
    assert by_node[("EXNODE1", "No-Such-Log/Operational")].error


@pytest.mark.asyncio
async def test_query_events_node_down_gives_error_batch(lab: Any, session: WinRMClusterSession) -> None:
    lab.faults.down.add("EXNODE2")
    batches = [b async for b in session.query_events([LogQuery("EXNODE2", "System", max_events=5)])]
    assert len(batches) == 1 and batches[0].events == ()
    assert "refused" in batches[0].error or "dropped" in batches[0].error


@pytest.mark.asyncio
async def test_node_down_mid_snapshot_other_node_serves(lab: Any, session: WinRMClusterSession) -> None:
    await session.snapshot()
    lab.faults.down.add("EXNODE1")
    snap = await session.snapshot()
    assert {g.name for g in snap.groups} == {g.name for g in lab.topology.groups}
    assert len(snap.resources) > 0 and snap.cms is not None and snap.quorum is not None
    assert snap.served_by == "EXNODE2"
    down = snap.node("EXNODE1")
    assert down is not None and not down.reachable
    assert "refused" in down.error or "dropped" in down.error
    assert any(e.node == "EXNODE1" for e in snap.node_errors)
    lab.faults.down.discard("EXNODE1")
    assert lab.wait_listening("EXNODE1")
    snap = await session.snapshot()
    assert snap.node("EXNODE1").reachable  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_hanging_node_times_out_then_other_node(lab: Any, tmp_path: Path) -> None:
    s = _session(lab, tmp_path, operation_timeout_s=4.0)
    try:
        await s.snapshot()
        lab.faults.hang.add("EXNODE1")
        t0 = time.monotonic()
        snap = await s.snapshot()
        took = time.monotonic() - t0
        assert took < 4.0 * 2 + 2
        assert {g.name for g in snap.groups} == {g.name for g in lab.topology.groups}
        assert snap.served_by == "EXNODE2"
        assert not snap.node("EXNODE1").reachable  # type: ignore[union-attr]
        # The hung node is now suspect: the next snapshot does not wait the full timeout again.
        t0 = time.monotonic()
        snap = await s.snapshot()
        assert time.monotonic() - t0 < 4.0
        assert snap.groups
    finally:
        lab.faults.hang.discard("EXNODE1")
        await s.close()


@pytest.mark.asyncio
async def test_wrong_credentials_reported_not_raised(lab: Any, tmp_path: Path) -> None:
    s = _session(lab, tmp_path, password="wrong password")
    try:
        snap = await s.snapshot()
        assert snap.groups == ()
        assert snap.node_errors
        assert all("401" in e.message for e in snap.node_errors)
        result = await s.pause_node("EXNODE2")
        assert not result.ok and "401" in result.error
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_http_500_and_damaged_output_are_retried(lab: Any, session: WinRMClusterSession) -> None:
    first = await session.snapshot()
    await _settle(session)
    for node in ("EXNODE1", "EXNODE2"):
        lab.faults.arm(lab.faults.http500_next, node, 1)
    snap = await session.snapshot()
    assert all(lab.faults.http500_next.get(n.casefold(), 0) == 0 for n in ("EXNODE1", "EXNODE2"))
    assert {g.name for g in snap.groups} == {g.name for g in first.groups}
    assert snap.cms is not None

    lab.faults.arm(lab.faults.garble_next, "EXNODE1", 1)
    snap = await session.snapshot()
    assert {g.name for g in snap.groups} == {g.name for g in first.groups}

    lab.faults.arm(lab.faults.truncate_next, "EXNODE2", 1)
    snap = await session.snapshot()
    assert {g.name for g in snap.groups} == {g.name for g in first.groups}
    assert snap.cms is not None and len(snap.copies) == len(first.copies)


@pytest.mark.asyncio
async def test_cancel_a_long_command_terminates_it(tmp_path: Path) -> None:
    from ccrgui.lab.lab import Lab

    with Lab(speed=1.0, events=50) as slow:
        s = _session(slow, tmp_path, operation_timeout_s=15.0)
        try:
            await s.snapshot()
            cms = slow.topology.cms_name
            task = asyncio.ensure_future(s.move_group(cms, "EXNODE2", "long move"))
            await asyncio.sleep(1.0)
            assert not task.done()
            task.cancel()
            t0 = time.monotonic()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert time.monotonic() - t0 < 2.0
            audit = AuditLog(tmp_path / "audit.jsonl").read()
            assert audit[-1].error == "cancelled"
            snap = await s.snapshot()  # the PowerShell host is replaced transparently
            assert snap.groups and snap.cms is not None
        finally:
            await s.close()


HOSTILE = "Grp \"q\" & %PATH% 'x' $env:X `t ^! ‘y’ Ünïcødé"


@pytest.fixture
def hostile_lab() -> Iterator[Any]:
    from ccrgui.lab.lab import Lab
    from ccrgui.lab.topology import default_topology, topology_from_json

    raw = default_topology().to_json()
    raw["groups"].append(
        {
            "name": HOSTILE,
            "owner": "EXNODE1",
            "kind": "generic",
            "resources": [{"name": "Res of " + HOSTILE, "type": "Generic Service"}],
        }
    )
    with Lab(topology_from_json(raw), speed=50.0, events=50) as lab:
        yield lab


@pytest.mark.asyncio
async def test_hostile_group_name_end_to_end(hostile_lab: Any, tmp_path: Path) -> None:
    s = _session(hostile_lab, tmp_path)
    try:
        snap = await s.snapshot()
        group = snap.group(HOSTILE)
        assert group is not None and group.owner == "EXNODE1", [g.name for g in snap.groups]
        assert [r.name for r in snap.resources_of(HOSTILE)] == ["Res of " + HOSTILE]
        preview = shown(s, ActionRequest(ActionKind.MOVE_GROUP, HOSTILE, "EXNODE2"))
        result = await s.move_group(HOSTILE, "EXNODE2")
        assert result.ok, result.error
        assert result.runs[0].command == preview[0]
        snap = await s.snapshot()
        assert snap.group(HOSTILE).owner == "EXNODE2"  # type: ignore[union-attr]
        off = await s.take_offline(HOSTILE)
        assert off.ok, off.error
        snap = await s.snapshot()
        assert snap.group(HOSTILE).state is GroupState.OFFLINE  # type: ignore[union-attr]
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_damaged_output_on_first_snapshot_is_read_again(lab: Any, tmp_path: Path) -> None:
    s = _session(lab, tmp_path, operation_timeout_s=15.0)
    try:
        lab.faults.arm(lab.faults.garble_next, "EXNODE1", 2)  # cmd shell cluster.exe listings
        snap = await s.snapshot()
        assert {g.name for g in snap.groups} == {g.name for g in lab.topology.groups}
        assert {n.name for n in snap.nodes} == {n.name for n in lab.topology.nodes}
        assert snap.cms is not None and snap.quorum is not None
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_idle_shells_are_closed_and_reopened(lab: Any, tmp_path: Path) -> None:
    settings, password = settings_from_lab_info(lab.info())
    s = WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "a.jsonl"), idle_timeout_s=0.5)
    try:
        await s.snapshot()
        links = list(s._links.values())
        assert any(link.ps.shell_id for link in links)
        await _until(lambda: all(link.ps.shell_id is None and link.cmd.shell_id is None for link in links), 5)
        snap = await s.snapshot()  # reopened on demand
        assert snap.node_errors == () and snap.groups
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_basic_over_https_verifies_the_certificate(tmp_path: Path) -> None:
    from ccrgui.lab.lab import Lab

    with Lab(auth="basic-https", speed=50.0, events=20) as tls_lab:
        settings, password = settings_from_lab_info(tls_lab.info())
        assert settings.https and settings.ca_file
        s = WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "a.jsonl"))
        try:
            snap = await s.snapshot()
            assert snap.node_errors == () and snap.cms is not None
        finally:
            await s.close()
        # Without the lab's CA the self-signed certificate is refused, clearly.
        untrusted = dataclasses.replace(settings, ca_file="")
        s = WinRMClusterSession(untrusted, password, audit=AuditLog(tmp_path / "b.jsonl"))
        try:
            snap = await s.snapshot()
            assert snap.groups == ()
            assert snap.node_errors and all("certificate" in e.message.lower() for e in snap.node_errors)
        finally:
            await s.close()


@pytest.mark.asyncio
async def test_three_nodes_node_majority_and_hostile_storage_group(tmp_path: Path) -> None:
    from ccrgui.lab.lab import Lab
    from ccrgui.lab.topology import topology_from_json

    sg = "SG ‘01’ & Co $x"
    raw = {
        "nodes": [{"name": "MBX-NODE-A"}, {"name": "MBX-NODE-B"}, {"name": "FSW-NODE-C"}],
        "cluster_name": "PRODCLU02",
        "cms_name": "MAILBOX-PROD",
        "quorum_model": "Node Majority",
        "storage_groups": [{"name": sg, "database": "DB 'x'"}],
    }
    with Lab(topology_from_json(raw), speed=50.0, events=20) as lab:
        s = _session(lab, tmp_path)
        try:
            snap = await s.snapshot()
            assert snap.node_errors == ()
            assert [n.name for n in snap.nodes] == ["MBX-NODE-A", "MBX-NODE-B", "FSW-NODE-C"]
            assert snap.quorum is not None and snap.quorum.model == "Node Majority"
            assert snap.cms_group is not None and snap.cms_group.name == "MAILBOX-PROD"
            assert [c.storage_group for c in snap.copies] == [sg]
            result = await s.suspend_copy(sg, "it's ‘quoted’")
            assert result.ok, result.error
            snap = await s.snapshot()
            assert snap.copies[0].suspended and snap.copies[0].suspend_comment == "it's ‘quoted’"
            assert (await s.resume_copy(sg)).ok
        finally:
            await s.close()


@pytest.mark.asyncio
async def test_unsafe_names_are_refused_before_anything_is_sent(session: WinRMClusterSession) -> None:
    await session.snapshot()
    await _settle(session)
    before = session.requests_sent
    result = await session.move_group("evil\r\ncluster.exe node X /pause", "EXNODE2")
    assert not result.ok and result.runs == () and result.error.startswith("Not sent")
    result = await session.pause_node("-fake")
    assert not result.ok and result.runs == ()
    batches = [b async for b in session.query_events([LogQuery("EXNODE1", "System", xpath="a\nb")])]
    assert batches[0].error.startswith("Not sent")
    assert session.requests_sent == before


@pytest.mark.asyncio
async def test_action_hit_by_http_500_is_reported_not_retried(lab: Any, session: WinRMClusterSession) -> None:
    await session.snapshot()
    await _settle(session)  # no clean-up request of the first snapshot may eat the 500s
    for node in ("EXNODE1", "EXNODE2", lab.topology.cluster_name):
        lab.faults.arm(lab.faults.http500_next, node, 1)
    result = await session.pause_node("EXNODE2")
    assert not result.ok
    assert "WS-Management fault" in result.error or "HTTP 500" in result.error
    assert len(result.runs) == 1 and result.runs[0].exit_code is None
    snap = await session.snapshot()  # reads retry past the remaining injected 500s
    assert snap.node("EXNODE2").state is NodeState.UP  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_action_after_the_server_expired_the_shells(tmp_path: Path) -> None:
    from ccrgui.lab.lab import Lab

    with Lab(speed=50.0, events=20, idle_timeout_s=1.0) as short_lab:
        s = _session(short_lab, tmp_path)
        try:
            await s.snapshot()
            await s.snapshot()
            await asyncio.sleep(2.5)  # the lab drops shells idle for more than 1 s
            paused = await s.pause_node("EXNODE2")  # cmd shell expired: never ran, so re-sent
            assert paused.ok, paused.error
            moved = await s.validate_move_cms("EXNODE1", "x")  # PowerShell shell expired too
            assert moved.runs and "expired" not in moved.error and "no longer exists" not in moved.error
            snap = await s.snapshot()
            assert snap.node("EXNODE2").state is NodeState.PAUSED  # type: ignore[union-attr]
        finally:
            await s.close()


@pytest.mark.asyncio
async def test_only_the_cluster_endpoint_known(lab: Any, tmp_path: Path) -> None:
    """Node names that do not resolve from here: everything cluster-wide comes through the
    cluster name; each node is reported as unreachable, nothing raises."""
    info = lab.info()
    settings, password = settings_from_lab_info(info)
    only_cluster = dataclasses.replace(
        settings, node_endpoints={info["cluster"]: info["cluster_endpoint"]}, operation_timeout_s=10.0
    )
    s = WinRMClusterSession(only_cluster, password, audit=AuditLog(tmp_path / "a.jsonl"))
    try:
        snap = await s.snapshot()
        assert {g.name for g in snap.groups} == {g.name for g in lab.topology.groups}
        assert snap.cms is not None and snap.copies
        assert [n.name for n in snap.nodes] == [n.name for n in lab.topology.nodes]
        assert all(not n.reachable for n in snap.nodes)
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_snapshot_reads_preferred_owners_in_order(tmp_path: Path) -> None:
    from ccrgui.lab.lab import Lab
    from ccrgui.lab.topology import default_topology

    base = default_topology(3, cluster_name="EXCLUS9")
    order = ("EXNODE3", "EXNODE1")
    groups = tuple(
        dataclasses.replace(g, preferred_owners=order) if g.kind == "core" else g for g in base.groups
    )
    with Lab(dataclasses.replace(base, groups=groups), speed=50.0, events=0) as lab:
        session = _session(lab, tmp_path, operation_timeout_s=15.0)
        try:
            first = await session.snapshot()
            assert first.cluster_name == "EXCLUS9"
            assert first.group("Cluster Group").preferred_owners == order  # type: ignore[union-attr]
            lab.engine.set_group_owners("Cluster Group", ["EXNODE2", "EXNODE3", "EXNODE1"])
            second = await session.snapshot()  # a change shows in the next snapshot
            assert second.group("Cluster Group").preferred_owners == (  # type: ignore[union-attr]
                "EXNODE2",
                "EXNODE3",
                "EXNODE1",
            )
            assert all(g.preferred_owners == () for g in second.groups if g.name != "Cluster Group")
        finally:
            await session.close()


@pytest.mark.asyncio
async def test_rolling_upgrade_shows_each_nodes_build_and_the_cms_version(
    lab: Any, session: WinRMClusterSession
) -> None:
    first = await session.snapshot()
    assert first.cms_version == "Version 8.1 (Build 240.6)"
    cms = first.cms_group
    assert cms is not None
    passive = next(n.name for n in first.nodes if n.name != cms.owner)
    lab.engine.upgrade_node_exchange(
        passive, "8.1.375.2"
    )  # setup.com /mode:upgrade (SP2) on the passive node
    snap, sent = await _snapshot_counted(session)
    # Read inside the per-node script: one Send and one Receive per node.
    assert sent == Counter({"Send": len(snap.nodes), "Receive": len(snap.nodes)})
    versions = {n.name: n.details.exchange_version for n in snap.nodes if n.details}
    assert versions == {
        n.name: ("Version 8.1 (Build 375.2)" if n.name == passive else "Version 8.1 (Build 240.6)")
        for n in snap.nodes
    }
    assert snap.cms_version == "Version 8.1 (Build 240.6)"


@pytest.mark.asyncio
async def test_failed_static_read_keeps_the_host_name_and_waits_before_asking_again(
    lab: Any, session: WinRMClusterSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ccrgui.remote import parsers, scripts

    def broken(text: str) -> str:
        raise parsers.ParseError("damaged")

    monkeypatch.setattr(parsers, "parse_cluster_name", broken)
    snap = await session.snapshot()
    assert session._static.cluster_name == ""  # not learnt: the name connected to stays
    assert snap.cluster_name == session.settings.host
    assert {r.resource_type for r in snap.resources} != {""}  # the other static reads still count
    assert session._static_due() == []  # no re-read at once (later snapshots stay fast)
    monkeypatch.undo()
    session._static.retry_at = 0.0
    items = session._static_due()
    assert [i.name for i in items if i in scripts.STATIC_READS] == [i.name for i in scripts.STATIC_READS]
    again = await session.snapshot()
    assert again.cluster_name == session._static.cluster_name == lab.topology.cluster_name


@pytest.mark.asyncio
async def test_snapshot_answers_are_parsed_off_the_event_loop_thread(
    session: WinRMClusterSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty clusters' answers arriving together, or one large cluster's, must not be parsed on
    the GUI's thread; a damaged answer found there is still reported as before."""
    import threading

    from ccrgui.remote import parsers

    threads: list[str] = []
    for name in ("parse_wmi_cluster", "parse_cms_status", "parse_copy_status"):
        original = getattr(parsers, name)

        def recording(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            threads.append(threading.current_thread().name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(parsers, name, recording)
    first = await session.snapshot()
    second = await session.snapshot()
    assert first.groups and second.copies and second.cms is not None
    assert len(threads) >= 6 and threading.main_thread().name not in threads

    def damaged(*args: Any, **kwargs: Any) -> Any:
        raise parsers.ParseError("no Objects element")

    monkeypatch.setattr(parsers, "parse_copy_status", damaged)
    snap = await session.snapshot()
    assert any("no Objects element" in e.message for e in snap.node_errors)
    assert snap.groups  # the rest is shown
