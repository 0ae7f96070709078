"""Issue 12 against the lab over WinRM: database mount state and backup times, Test-ReplicationHealth,
preferred owners and failback edits (what arrives is what was previewed), failback inside the
window only, the witness share tested from each node, and the backup plan after a failover."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ccrgui.domain.backupplan import build_backup_plan
from ccrgui.domain.maintenance import CheckResult, FailbackMode, QuorumHealth
from ccrgui.domain.model import ClusterSnapshot, GroupState
from ccrgui.domain.plan import ActionKind, ActionRequest, Plan, Refusal, Shell, Step
from ccrgui.domain.quorumhealth import assess
from ccrgui.lab.received import CMD
from ccrgui.remote.audit import AuditLog
from ccrgui.remote.session import WinRMClusterSession, settings_from_lab_info

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
SG2 = "Second Storage Group"


def _session(lab: Any, tmp_path: Path) -> WinRMClusterSession:
    settings, password = settings_from_lab_info(lab.info())
    settings = dataclasses.replace(settings, operation_timeout_s=30.0)
    return WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "audit.jsonl"))


async def _until(
    s: WinRMClusterSession, cond: Callable[[ClusterSnapshot], bool], timeout: float = 60.0
) -> ClusterSnapshot:
    deadline = time.monotonic() + timeout
    while True:
        snap = await s.snapshot()
        if cond(snap):
            return snap
        if time.monotonic() > deadline:
            raise AssertionError("condition never held")
        await asyncio.sleep(0.2)


def _cms_on(node: str) -> Callable[[ClusterSnapshot], bool]:
    def test(snap: ClusterSnapshot) -> bool:
        g = snap.cms_group
        return (
            g is not None
            and g.owner == node
            and g.state is GroupState.ONLINE
            and snap.cms is not None
            and (snap.cms.active_node.casefold() == node.casefold())
        )

    return test


async def _run(s: WinRMClusterSession, request: ActionRequest) -> Plan:
    plan = s.plan(request)
    assert isinstance(plan, Plan), plan
    result = await s.run_plan(plan)
    assert result.ok, result.error
    return plan


@pytest.mark.asyncio
async def test_the_first_snapshot_shows_the_databases_and_the_second_reads_no_store(
    lab: Any, tmp_path: Path
) -> None:
    """The slow store read follows the first snapshot (the CMS is named by then), so the second
    one, a minute before the read is due again, is as quick as any.  The complete view is handed
    out before that read, so a slow or hung store does not hold it back."""
    s = _session(lab, tmp_path)
    try:
        early: list[ClusterSnapshot] = []
        snap = await s.snapshot(on_partial=early.append)
        assert {d.name for d in snap.databases} == {"Mailbox Database", "Executives"}
        complete = [e for e in early if not e.reading_exchange]
        assert len(complete) == 1 and complete[0].cms is not None and not complete[0].databases
        lab.received.clear()
        snap = await s.snapshot()
        assert snap.databases and not snap.node_errors
        assert not [r for r in lab.received.items() if "Get-MailboxDatabase" in r.text]
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_mount_and_dismount_change_the_mount_state_the_snapshot_shows(lab: Any, tmp_path: Path) -> None:
    s = _session(lab, tmp_path)
    try:
        await s.snapshot()
        snap = await s.snapshot()
        assert {d.name: d.mounted for d in snap.databases} == {"Mailbox Database": True, "Executives": True}
        plan = await _run(s, ActionRequest(ActionKind.DISMOUNT_DATABASE, "Executives"))
        assert plan.command_lines == [
            "Dismount-Database -Identity 'EXCH1\\Second Storage Group\\Executives' -Confirm:$false"
        ]
        snap = await s.snapshot()  # re-read at once after the action, not a minute later
        assert {d.name: d.mounted for d in snap.databases}["Executives"] is False
        await _run(s, ActionRequest(ActionKind.MOUNT_DATABASE, "EXCH1\\Second Storage Group\\Executives"))
        snap = await s.snapshot()
        assert {d.name: d.mounted for d in snap.databases}["Executives"] is True
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_replication_health_after_a_suspend_reports_the_failing_check(lab: Any, tmp_path: Path) -> None:
    s = _session(lab, tmp_path)
    try:
        await s.snapshot()
        report = await s.replication_health()
        assert report.health.healthy and not report.errors
        assert {c.server for c in report.health.checks} == {"EXNODE1", "EXNODE2"}
        await _run(s, ActionRequest(ActionKind.SUSPEND_COPY, SG2, text="backup's test"))
        report = await s.replication_health()
        failed = {c.check for c in report.health.failed}
        assert failed == {"SGCopySuspended"}
        check = report.health.failed[0]
        assert check.result is CheckResult.FAILED and SG2 in check.error
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_replication_health_names_a_node_that_cannot_answer(lab: Any, tmp_path: Path) -> None:
    s = _session(lab, tmp_path)
    try:
        await s.snapshot()
        lab.faults.down.add("EXNODE2")
        report = await s.replication_health()
        assert set(report.errors) == {"EXNODE2"} and report.errors["EXNODE2"]
        assert {c.server for c in report.health.checks} == {"EXNODE1"}
    finally:
        lab.faults.down.discard("EXNODE2")
        await s.close()


@pytest.mark.asyncio
async def test_owner_and_failback_edits_arrive_exactly_as_previewed(lab: Any, tmp_path: Path) -> None:
    s = _session(lab, tmp_path)
    try:
        await s.snapshot()
        snap = await s.snapshot()
        old = snap.policy("EXCH1")
        assert old is not None and old.failback_mode is FailbackMode.PREVENT
        new = dataclasses.replace(
            old,
            preferred_owners=("EXNODE2", "EXNODE1"),
            failover_threshold=4,
            auto_failback=True,
            failback_window_start=22,
            failback_window_end=5,
        )
        plan = s.plan(ActionRequest(ActionKind.SET_GROUP_POLICY, "EXCH1", policy=new))
        assert isinstance(plan, Plan)
        shown = list(plan.command_lines)
        assert shown == [
            "cluster.exe group EXCH1 /setowners:EXNODE2,EXNODE1",
            "cluster.exe group EXCH1 /prop FailoverThreshold=4 AutoFailbackType=1 "
            "FailbackWindowStart=22 FailbackWindowEnd=5",
        ]
        lab.received.clear()
        result = await s.run_plan(plan)
        assert result.ok, result.error
        got = [r.text for r in lab.received.items() if r.shell == CMD]
        assert got == shown
        policy = lab.engine.group("EXCH1").policy
        assert (policy.failover_threshold, policy.auto_failback_type) == (4, 1)
        assert (policy.failback_window_start, policy.failback_window_end) == (22, 5)
        assert tuple(lab.engine.group("EXCH1").preferred_owners) == ("EXNODE2", "EXNODE1")
        snap = await s.snapshot()  # the edit is read back at once
        assert snap.policy("EXCH1") == new
        assert snap.group("EXCH1").preferred_owners == ("EXNODE2", "EXNODE1")  # type: ignore[union-attr]
        # Nothing changed: refused, nothing sent.
        same = s.plan(ActionRequest(ActionKind.SET_GROUP_POLICY, "EXCH1", policy=new))
        assert isinstance(same, Refusal) and "Nothing changed" in same.reason
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_cluster_exe_refusal_of_a_policy_write_is_reported(lab: Any, tmp_path: Path) -> None:
    """A value the console would refuse to plan, sent anyway, comes back as cluster.exe's error 87."""
    s = _session(lab, tmp_path)
    try:
        await s.snapshot()
        line = "cluster.exe group EXCH1 /prop FailbackWindowStart=24 FailbackWindowEnd=5"
        result = await s.run_plan(Plan("Bad window", (Step("Bad window", Shell.CMD, (line,)),)))
        assert not result.ok and "87" in result.error
        assert lab.engine.group("EXCH1").policy.failback_window_start != 24
    finally:
        await s.close()


def _window(offset_h: int) -> tuple[int, int]:
    hour = datetime.now(UTC).hour  # the lab's nodes keep UTC as their local time
    return (hour + offset_h) % 24, (hour + offset_h + 1) % 24


@pytest.mark.asyncio
async def test_failback_window_moves_the_group_back_only_inside_the_window(lab: Any, tmp_path: Path) -> None:
    s = _session(lab, tmp_path)
    try:
        await s.snapshot()
        snap = await s.snapshot()
        old = snap.policy("EXCH1")
        assert old is not None
        start, end = _window(3)  # a window that is not open now
        policy = dataclasses.replace(
            old,
            preferred_owners=("EXNODE1", "EXNODE2"),
            auto_failback=True,
            failback_window_start=start,
            failback_window_end=end,
        )
        await _run(s, ActionRequest(ActionKind.SET_GROUP_POLICY, "EXCH1", policy=policy))
        lab.engine.set_node_down("EXNODE1")
        await _until(s, _cms_on("EXNODE2"))
        lab.engine.set_node_up("EXNODE1")
        await _until(s, lambda sn: sn.node("EXNODE1") is not None and sn.node("EXNODE1").state.value == "Up")  # type: ignore[union-attr]
        lab.engine.wait_until(lambda: False, lab.engine.durations.copy_tick * 5)
        snap = await s.snapshot()
        assert snap.cms_group is not None and snap.cms_group.owner == "EXNODE2"  # outside: stays
        start, end = _window(0)  # now the window is open
        await _run(
            s,
            ActionRequest(
                ActionKind.SET_GROUP_POLICY,
                "EXCH1",
                policy=dataclasses.replace(policy, failback_window_start=start, failback_window_end=end),
            ),
        )
        await _until(s, _cms_on("EXNODE1"))
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_backup_plan_after_a_failover_names_the_other_node_as_passive(lab: Any, tmp_path: Path) -> None:
    s = _session(lab, tmp_path)
    try:
        await s.snapshot()
        snap = await _until(s, lambda sn: bool(sn.databases) and _cms_on("EXNODE1")(sn))

        def plan_of(sn: ClusterSnapshot) -> Any:
            assert sn.cms is not None
            return build_backup_plan(
                sn.cms,
                sn.cms_nodes,
                sn.copies,
                sn.databases,
                now=datetime.now(UTC),
                policy=sn.policy("EXCH1"),
            )

        before = plan_of(snap)
        assert (before.active_node, before.passive_node) == ("EXNODE1", "EXNODE2")
        assert {i.database for i in before.items} == {"Mailbox Database", "Executives"}
        lab.engine.set_node_down("EXNODE1")
        snap = await _until(s, _cms_on("EXNODE2"))
        after = plan_of(snap)
        assert (after.active_node, after.passive_node) == ("EXNODE2", "EXNODE1")
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_witness_check_reports_an_unreachable_share(lab: Any, tmp_path: Path) -> None:
    s = _session(lab, tmp_path)
    try:
        await s.snapshot()
        snap = await s.snapshot()  # the second snapshot tests the share the first one named
        assert snap.witness is not None and dict(snap.witness.reachable) == {"EXNODE1": True, "EXNODE2": True}
        assert assess(snap).health is QuorumHealth.OK  # type: ignore[union-attr]
        lab.engine.set_witness_reachable(False, node="EXNODE2")
        w = await s.check_witness()
        assert w is not None and w.share == "\\\\HUB1\\FSW_EXCH1"
        assert w.unreachable_from == ("EXNODE2",)
        lab.engine.set_witness_reachable(False)
        w = await s.check_witness()
        assert w is not None and set(w.unreachable_from) == {"EXNODE1", "EXNODE2"}
        snap = await s.snapshot()
        found = assess(snap)
        assert found is not None and found.health is QuorumHealth.AT_RISK
        assert "witness" in found.reason
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_a_node_down_puts_quorum_at_risk(lab: Any, tmp_path: Path) -> None:
    s = _session(lab, tmp_path)
    try:
        await s.snapshot()
        lab.engine.set_node_down("EXNODE2")
        snap = await _until(s, lambda sn: (n := sn.node("EXNODE2")) is not None and n.state.value == "Down")
        found = assess(snap)
        assert found is not None and found.health is QuorumHealth.AT_RISK and "EXNODE2" in found.reason
    finally:
        await s.close()
