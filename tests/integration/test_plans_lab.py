"""For every action kind: the plan the confirmation shows is what the lab's nodes received and
what the audit log recorded, line for line (issue 8); and a group that may be the clustered
mailbox server is never sent to cluster.exe (issue 10 item 2)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest

from ccrgui.domain.maintenance import GroupFailoverPolicy
from ccrgui.domain.model import CopyStatus
from ccrgui.domain.plan import ActionKind, ActionRequest, Plan, PlanProgress, ProgressKind, Refusal, Shell
from ccrgui.lab.received import CMD, POWERSHELL
from ccrgui.remote.audit import AuditLog
from ccrgui.remote.session import WinRMClusterSession, settings_from_lab_info

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
COMMENT = "Patch \u2019Tuesday\u2019 \"KB950050\" 'now' & | %PATH%"


def _session(lab: Any, tmp_path: Path) -> WinRMClusterSession:
    settings, password = settings_from_lab_info(lab.info())
    settings = dataclasses.replace(settings, operation_timeout_s=30.0)
    return WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "audit.jsonl"))


async def _copy_settles(s: WinRMClusterSession, sg: str, timeout: float = 30.0) -> None:
    """Wait until the copy is neither seeding nor initializing (a reseed resumes it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snap = await s.snapshot()
        c = next(c for c in snap.copies if c.storage_group == sg)
        if c.status not in (CopyStatus.SEEDING, CopyStatus.INITIALIZING):
            return
        await asyncio.sleep(0.2)


@pytest.mark.asyncio
async def test_every_action_kind_runs_exactly_the_plan_shown(lab: Any, tmp_path: Path) -> None:
    s = _session(lab, tmp_path)
    cms = lab.topology.cms_name
    sg = "First Storage Group"
    requests = [
        ActionRequest(ActionKind.PAUSE_NODE, "EXNODE2"),
        ActionRequest(ActionKind.RESUME_NODE, "EXNODE2"),
        ActionRequest(ActionKind.MOVE_GROUP, "Cluster Group", "EXNODE2"),
        ActionRequest(ActionKind.OFFLINE_GROUP, "Available Storage"),
        ActionRequest(ActionKind.ONLINE_GROUP, "Available Storage"),
        ActionRequest(ActionKind.VALIDATE_MOVE_CMS, cms, "EXNODE2", COMMENT, validate_only=True),
        ActionRequest(ActionKind.MOVE_GROUP, cms, "EXNODE2", COMMENT, validate_only=True),
        ActionRequest(ActionKind.MOVE_GROUP, cms, "EXNODE2", COMMENT),
        ActionRequest(ActionKind.OFFLINE_GROUP, cms, text=COMMENT),
        ActionRequest(ActionKind.ONLINE_GROUP, cms),
        ActionRequest(ActionKind.SUSPEND_COPY, sg, text=COMMENT),
        ActionRequest(ActionKind.RESUME_COPY, sg),
        ActionRequest(ActionKind.SUSPEND_COPY, sg, text=COMMENT),
        ActionRequest(ActionKind.UPDATE_COPY, sg),
        ActionRequest(ActionKind.STOP_SERVICE, "HealthService", "EXNODE2"),
        ActionRequest(ActionKind.START_SERVICE, "HealthService", "EXNODE2"),
        ActionRequest(ActionKind.RESTART_SERVICE, "RemoteRegistry", "EXNODE1"),
        ActionRequest(ActionKind.STOP_CLUSTER_SERVICE, "EXNODE1"),
        ActionRequest(ActionKind.START_CLUSTER_SERVICE, "EXNODE1"),
        ActionRequest(ActionKind.DISMOUNT_DATABASE, "Executives"),
        ActionRequest(ActionKind.MOUNT_DATABASE, "Executives"),
        ActionRequest(
            ActionKind.SET_GROUP_POLICY,
            cms,
            policy=GroupFailoverPolicy(cms, ("EXNODE2", "EXNODE1"), 3, 2, True, 1, 5),
        ),
    ]
    # setup.com, msiexec and the restart take minutes of lab time: their plans are compared with
    # what the nodes received in tests/integration/test_upgrade_lab.py (a much faster lab).
    slow = {
        ActionKind.SETUP_UPGRADE,
        ActionKind.SETUP_UPGRADE_CMS,
        ActionKind.INSTALL_ROLLUP,
        ActionKind.RESTART_NODE,
    }
    assert {r.kind for r in requests} == set(ActionKind) - slow  # every other kind is covered
    shown: list[tuple[Plan, list[str]]] = []
    try:
        await s.snapshot()
        for request in requests:
            plan = s.plan(request)
            assert isinstance(plan, Plan), (request, plan)
            lines = list(plan.command_lines)  # what the confirmation dialog shows
            events: list[PlanProgress] = []
            lab.received.clear()
            result = await s.run_plan(plan, events.append)  # the same object runs
            assert result.ok, (request, result.error)
            assert [r.command for r in result.runs] == lines
            received = lab.received.items()
            for step in plan.steps:
                for line in step.lines:
                    if step.shell is Shell.CMD:
                        got = [r for r in received if r.shell == CMD and r.text == line]
                    else:  # inside the PowerShell host's script framing (decoded by the lab)
                        framed = f"$r = {line} | Out-String"
                        got = [r for r in received if r.shell == POWERSHELL and framed in r.text]
                    assert len(got) == 1, (line, [r.text[:200] for r in received])
                    assert got[0].node.casefold() in {n.name.casefold() for n in lab.topology.nodes}
            kinds = [e.kind for e in events]
            assert kinds[0] is ProgressKind.STEP_STARTED and kinds[-1] is ProgressKind.STEP_DONE
            assert ProgressKind.LINE_SENT in kinds
            shown.append((plan, lines))
            if request.kind is ActionKind.UPDATE_COPY:
                await _copy_settles(s, sg)
        audit = AuditLog(tmp_path / "audit.jsonl").read()
        acted = [r for r in audit if r.action != "Read"]
        assert [r.command for r in acted] == [line for _, lines in shown for line in lines]
        assert [r.action for r in acted] == [p.title for p, lines in shown for _ in lines]
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_a_group_that_may_be_the_cms_is_never_sent_to_cluster_exe(tmp_path: Path) -> None:
    """Exchange's snap-in loads slower than the operation timeout, so the first snapshot cannot
    name the CMS (here "EXCH 1", with a space): moving or stopping it is refused with the reason
    until Exchange answers, and then goes through the Exchange cmdlets (issue 10 item 2)."""
    from ccrgui.lab.faults import Costs
    from ccrgui.lab.lab import Lab
    from ccrgui.lab.topology import default_topology

    cms = "EXCH 1"
    with Lab(default_topology(cms_name=cms), speed=50.0, events=50, costs=Costs(snapin_load_s=4.0)) as lab:
        settings, password = settings_from_lab_info(lab.info())
        settings = dataclasses.replace(settings, operation_timeout_s=1.0)
        s = WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "audit.jsonl"))
        try:
            snap = await s.snapshot()
            assert snap.group(cms) is not None and snap.cms is None  # Exchange has not answered
            for request in (
                ActionRequest(ActionKind.MOVE_GROUP, cms, "EXNODE2"),
                ActionRequest(ActionKind.MOVE_GROUP, cms, None),
                ActionRequest(ActionKind.OFFLINE_GROUP, cms),
                ActionRequest(ActionKind.ONLINE_GROUP, cms),
            ):
                plan = s.plan(request)
                assert isinstance(plan, Refusal), plan
                assert "Exchange" in plan.reason and "cluster.exe" in plan.reason
            moved = await s.move_group(cms, "EXNODE2")
            stopped = await s.take_offline(cms)
            assert not moved.ok and not stopped.ok and moved.runs == () and stopped.runs == ()
            assert "Exchange has not answered" in moved.error
            core = s.plan(ActionRequest(ActionKind.MOVE_GROUP, "Cluster Group", "EXNODE2"))
            assert isinstance(core, Plan)  # the core group is never the CMS
            sent = [r.text for r in lab.received.items() if r.shell == CMD and "/move" in r.text]
            assert not any(cms in line or "/offline" in line for line in sent), sent
            assert lab.engine.group(cms).owner.casefold() == "exnode1"

        finally:
            await s.close()
        # Once Exchange answers (a session that waits for the snap-in), the CMS is recognised
        # by its name with the space and goes through the Exchange cmdlets.
        s = WinRMClusterSession(
            dataclasses.replace(settings, operation_timeout_s=30.0), password, audit=AuditLog(tmp_path / "a2")
        )
        try:
            snap = await s.snapshot()
            assert snap.cms is not None and snap.group(cms).is_cms  # type: ignore[union-attr]
            plan = s.plan(ActionRequest(ActionKind.MOVE_GROUP, cms, "EXNODE2", "patching"))
            assert isinstance(plan, Plan) and plan.steps[0].shell is Shell.EMS
            assert plan.command_lines[0].startswith(f"Move-ClusteredMailboxServer -Identity '{cms}' ")
            moved = await s.run_plan(plan)
            assert moved.ok, moved.error
            assert lab.engine.group(cms).owner.casefold() == "exnode2"
        finally:
            await s.close()


def test_a_group_holding_exchange_resources_is_refused_even_when_exchange_answered() -> None:
    """Exchange answered but did not name this group (e.g. a second, damaged CMS): its Exchange
    resource types are enough to refuse cluster.exe."""
    from ccrgui.remote.planner import PlanFacts, build_plan
    from tests.gui.fakes import make_snapshot

    snap = make_snapshot()
    groups = tuple(dataclasses.replace(g, is_cms=False) for g in snap.groups)
    snap = dataclasses.replace(snap, groups=groups)
    facts = PlanFacts(snap, None, None, exchange_read=True)
    for kind in (ActionKind.MOVE_GROUP, ActionKind.OFFLINE_GROUP, ActionKind.ONLINE_GROUP):
        plan = build_plan(ActionRequest(kind, "EXCH1", "EXNODE2"), facts)
        assert isinstance(plan, Refusal) and "Microsoft Exchange" in plan.reason, plan
    plan = build_plan(ActionRequest(ActionKind.MOVE_GROUP, "Available Storage", "EXNODE2"), facts)
    assert isinstance(plan, Plan) and plan.steps[0].shell is Shell.CMD


@pytest.mark.asyncio
async def test_a_plan_of_several_steps_runs_each_on_its_node_waits_and_checks(
    lab: Any, tmp_path: Path
) -> None:
    """The shape the rolling upgrade builds on: steps pinned to nodes, a wait on fresh snapshots,
    an outcome check, progress for each step; a failed step ends the plan."""
    from ccrgui.domain.model import NodeState
    from ccrgui.domain.plan import Step, WaitUntil
    from ccrgui.remote import scripts

    def state(snap: Any, node: str) -> NodeState:
        n = snap.node(node)
        return n.state if n is not None else NodeState.UNKNOWN

    pause, resume = scripts.node_pause_line("EXNODE2"), scripts.node_resume_line("EXNODE2")
    s = _session(lab, tmp_path)
    try:
        await s.snapshot()
        plan = Plan(
            "Pause and resume EXNODE2",
            (
                Step(
                    "Pause EXNODE2",
                    Shell.CMD,
                    (pause,),
                    node="EXNODE1",
                    wait=WaitUntil(
                        "EXNODE2 is paused", lambda x: state(x, "EXNODE2") is NodeState.PAUSED, 30, 0.2
                    ),
                ),
                Step(
                    "Resume EXNODE2",
                    Shell.CMD,
                    (resume,),
                    node="EXNODE2",
                    check=lambda x: "" if state(x, "EXNODE2") is NodeState.UP else "EXNODE2 is not Up",
                ),
            ),
        )
        events: list[PlanProgress] = []
        lab.received.clear()
        result = await s.run_plan(plan, events.append)
        assert result.ok, result.error
        assert [(r.host, r.command) for r in result.runs] == [("EXNODE1", pause), ("EXNODE2", resume)]
        got = [(r.node, r.text) for r in lab.received.items() if r.shell == CMD and r.text in (pause, resume)]
        assert got == [("EXNODE1", pause), ("EXNODE2", resume)]
        assert [(e.step_index, e.kind) for e in events if e.kind is not ProgressKind.OUTPUT] == [
            (0, ProgressKind.STEP_STARTED),
            (0, ProgressKind.LINE_SENT),
            (0, ProgressKind.WAITING),
            (0, ProgressKind.STEP_DONE),
            (1, ProgressKind.STEP_STARTED),
            (1, ProgressKind.LINE_SENT),
            (1, ProgressKind.STEP_DONE),
        ]

        # Windows refuses the first step: the second is never sent.
        bad = Plan(
            "Move to a node that does not exist, then pause",
            (
                Step("Move", Shell.CMD, (scripts.group_move_line("Cluster Group", "NOSUCHNODE"),)),
                Step("Pause", Shell.CMD, (pause,)),
            ),
        )
        events.clear()
        lab.received.clear()
        failed = await s.run_plan(bad, events.append)
        assert not failed.ok and failed.error and len(failed.runs) == 1
        assert not [r for r in lab.received.items() if r.text == pause]
        assert events[-1].kind is ProgressKind.STEP_FAILED and events[-1].step_index == 0

        # A condition that never holds ends in a timeout naming it.
        never = Plan(
            "Pause and wait for the impossible",
            (Step("Pause", Shell.CMD, (pause,), wait=WaitUntil("EXNODE9 is Up", lambda x: False, 0.5, 0.1)),),
        )
        timed_out = await s.run_plan(never)
        assert not timed_out.ok and "EXNODE9 is Up" in timed_out.error and "Timed out" in timed_out.error
    finally:
        await s.close()
