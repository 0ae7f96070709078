"""The rolling upgrade engine (issue 11) against the lab over real WinRM: the service pack and an
update rollup end to end, a failing setup.com, a node that does not come back, a run resumed
from its journal, and every pre-check that refuses."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ccrgui.domain.model import CmsState, CopyStatus, NodeState
from ccrgui.domain.plan import Shell
from ccrgui.domain.upgrade.journal import Journal
from ccrgui.domain.upgrade.prechecks import PreCheckReport, UpgradeOptions
from ccrgui.domain.upgrade.procedure import EventKind, UpgradeEvent, UpgradeProcedure
from ccrgui.lab.lab import Lab
from ccrgui.lab.received import CMD, POWERSHELL
from ccrgui.lab.topology import SetupMedia, default_topology
from ccrgui.remote.audit import AuditLog
from ccrgui.remote.session import WinRMClusterSession, settings_from_lab_info

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

SP2 = "D:\\Exchange2007SP2"
UR9 = "D:\\Updates\\Exchange2007-KB970162-x64-EN.msp"
SPEED = 2000.0


@pytest.fixture
def fast_lab() -> Iterator[Lab]:
    with Lab(speed=SPEED, events=20) as running:
        yield running


def _session(lab: Lab, tmp_path: Path, min_wait_s: float = 30.0) -> WinRMClusterSession:
    settings, password = settings_from_lab_info(lab.info())
    return WinRMClusterSession(
        settings,
        password,
        audit=AuditLog(tmp_path / "audit.jsonl"),
        time_scale=lab.clock.speed,
        min_wait_s=min_wait_s,
    )


async def _prepared(
    s: WinRMClusterSession,
    tmp_path: Path,
    options: UpgradeOptions,
    services: dict[str, list[str]] | None = None,
) -> UpgradeProcedure:
    proc = UpgradeProcedure(s, tmp_path / "journal.json")
    report = await proc.prechecks(options, backup_confirmed=True)
    assert report.ok, report.refusals
    chosen = (
        services if services is not None else {n: [x.name for x in v] for n, v in report.monitoring.items()}
    )
    proc.begin(report, options, chosen)
    return proc


def _ran_on(lab: Lab, needle: str) -> list[str]:
    """The nodes that received a command containing `needle` (in the cmd shell or a script)."""
    return [r.node for r in lab.received.items() if r.shell in (CMD, POWERSHELL) and needle in r.text]


def _assert_shown_is_received(lab: Lab, events: list[UpgradeEvent]) -> None:
    """Every command line of every plan shown before it ran arrived, as shown, on its node
    (cmd lines: exactly as often as shown; Exchange shell lines: inside the host's framing)."""
    received = lab.received.items()
    plans = [e.plan for e in events if e.kind is EventKind.COMMANDS and e.plan is not None]
    assert plans
    shown_cmd: Counter[tuple[str, str]] = Counter()
    for plan in plans:
        for step in plan.steps:
            assert step.node or not step.lines or step.shell is Shell.CMD
            for line in step.lines:
                if step.shell is Shell.CMD:
                    shown_cmd[(step.node.casefold(), line)] += 1
                else:  # inside the PowerShell host's script framing (decoded by the lab)
                    framed = f"$r = {line} | Out-String"
                    nodes = {
                        r.node.casefold() for r in received if r.shell == POWERSHELL and framed in r.text
                    }
                    assert step.node.casefold() in nodes, (line, step.node)
    lines = {line for _, line in shown_cmd}
    got = Counter((r.node.casefold(), r.text) for r in received if r.shell == CMD and r.text in lines)
    # Steps for "any reachable node" (cluster.exe group moves) ran on some node of the cluster.
    for (node, line), count in shown_cmd.items():
        if not node:
            assert sum(c for (_, text), c in got.items() if text == line) >= count, line
    assert +Counter({k: v for k, v in got.items() if (k[0], k[1]) in shown_cmd}) == +Counter(
        {k: v for k, v in shown_cmd.items() if k[0]}
    )


async def _until(test: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


@pytest.mark.asyncio
async def test_service_pack_end_to_end(fast_lab: Lab, tmp_path: Path) -> None:
    lab = fast_lab
    s = _session(lab, tmp_path)
    proc = await _prepared(s, tmp_path, UpgradeOptions(setup_folder=SP2))
    events: list[UpgradeEvent] = []
    outcome = await proc.run(events.append)
    await s.close()
    assert outcome.ok and outcome.finished, outcome
    assert {n.exchange_version for n in lab.engine.nodes()} == {"8.2.176.2"}
    cms = lab.engine.cms_status()
    assert (cms.version, cms.state, cms.active_node) == ("8.2.176.2", CmsState.ONLINE, "EXNODE2")
    assert {c.status for c in lab.engine.copy_status()} == {CopyStatus.HEALTHY}
    # The practitioner order, each command on the node the procedure names.
    assert _ran_on(lab, "Move-ClusteredMailboxServer") == ["EXNODE2"]
    assert _ran_on(lab, "/upgradecms") == ["EXNODE2"]
    assert _ran_on(lab, "Stop-ClusteredMailboxServer") == ["EXNODE2"]
    assert _ran_on(lab, "setup.com /mode:upgrade") == ["EXNODE2", "EXNODE1"]
    assert _ran_on(lab, "Stop-Service -Name 'HealthService'") == ["EXNODE2"]
    r = lab.engine.node("EXNODE2")
    assert r.state is NodeState.UP
    # The monitoring service runs again and the journal says finished.
    assert lab.engine.service_running("EXNODE2", "HealthService")
    journal = Journal.load(tmp_path / "journal.json")
    assert journal is not None and journal.finished and journal.stopped == {"EXNODE2": ["HealthService"]}
    # Every command was shown (COMMANDS) before it was sent, and setup.com's progress was parsed.
    shown = "\n".join(e.text for e in events if e.kind is EventKind.COMMANDS)
    assert "D:\\Exchange2007SP2\\setup.com /upgradecms" in shown
    setup_reports = [e.setup for e in events if e.kind is EventKind.SETUP and e.setup is not None]
    assert any(r.succeeded is None and r.steps for r in setup_reports)  # partial, while running
    assert any(r.succeeded and any(st.name == "Mailbox Server Role" for st in r.steps) for r in setup_reports)
    _assert_shown_is_received(lab, events)
    audited = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert "setup.com /upgradecms" in audited and "Move-ClusteredMailboxServer" in audited


@pytest.mark.asyncio
async def test_update_rollup_end_to_end_with_move_back(fast_lab: Lab, tmp_path: Path) -> None:
    lab = fast_lab
    s = _session(lab, tmp_path)
    proc = await _prepared(s, tmp_path, UpgradeOptions(rollup=UR9, move_back=True))
    events: list[UpgradeEvent] = []
    outcome = await proc.run(events.append)
    await s.close()
    assert outcome.ok and outcome.finished, outcome
    _assert_shown_is_received(lab, events)
    assert _ran_on(lab, "msiexec.exe /p") == ["EXNODE2", "EXNODE1"]
    assert _ran_on(lab, "Move-ClusteredMailboxServer") == ["EXNODE2", "EXNODE1"]
    cms = lab.engine.cms_status()
    assert (cms.state, cms.active_node) == (CmsState.ONLINE, "EXNODE1")
    assert {lab.engine.node(n).file_build for n in ("EXNODE1", "EXNODE2")} == {"8.1.393.1"}


@pytest.mark.asyncio
async def test_failing_setup_stops_with_windows_error_then_resumes(fast_lab: Lab, tmp_path: Path) -> None:
    lab = fast_lab
    s = _session(lab, tmp_path)
    # The admin unticked the monitoring agent: setup.com fails at the Mailbox role.
    proc = await _prepared(s, tmp_path, UpgradeOptions(setup_folder=SP2), services={})
    events: list[UpgradeEvent] = []
    outcome = await proc.run(events.append)
    assert not outcome.ok and outcome.failed_step is not None
    assert outcome.failed_step.id == "EXNODE2:setup"
    assert outcome.error.startswith("Mailbox Server Role: Process execution failed with exit code 1.")
    assert "in use by HealthService" in outcome.error
    assert outcome.error.endswith(
        "The Exchange Server Setup operation did not complete. For more information, "
        "visit http://support.microsoft.com and enter the Error ID."
    )
    assert "setup" in outcome.advice.casefold()
    failed = [e for e in events if e.kind is EventKind.STEP_FAILED]
    assert len(failed) == 1 and failed[0].advice == outcome.advice
    journal = Journal.load(tmp_path / "journal.json")
    assert journal is not None and journal.failed == "EXNODE2:setup" and "EXNODE2:setup" not in journal.done
    assert lab.engine.cms_status().active_node == "EXNODE1"  # the CMS was not touched
    # The admin stops the agent by hand; a new run (a new session, as after closing the app)
    # continues at the failed step.
    lab.engine.stop_service("EXNODE2", "HealthService")
    await s.close()
    s2 = _session(lab, tmp_path)
    proc2 = UpgradeProcedure(s2, tmp_path / "journal.json")
    assert proc2.load() is not None
    started: list[str] = []
    outcome = await proc2.run(
        lambda e: started.append(e.step.id) if e.kind is EventKind.STEP_STARTED else None
    )
    await s2.close()
    assert outcome.ok and outcome.finished, outcome
    assert started[0] == "EXNODE2:setup"
    assert {n.exchange_version for n in lab.engine.nodes()} == {"8.2.176.2"}


@pytest.mark.asyncio
async def test_node_that_does_not_come_back(fast_lab: Lab, tmp_path: Path) -> None:
    lab = fast_lab
    s = _session(lab, tmp_path, min_wait_s=2.0)
    proc = await _prepared(s, tmp_path, UpgradeOptions(setup_folder=SP2))
    lab.engine.hold_boot("EXNODE2")
    outcome = await proc.run()
    assert not outcome.ok and outcome.failed_step is not None
    assert outcome.failed_step.id == "EXNODE2:reboot"
    assert "EXNODE2 is Up again" in outcome.error and "Timed out" in outcome.error
    assert "console" in outcome.advice
    # Once it is powered on, resuming sees the newer boot and goes on (no second restart).
    lab.engine.hold_boot("EXNODE2", held=False)
    lab.engine.set_node_up("EXNODE2")
    restarts = len(_ran_on(lab, "shutdown.exe /r"))
    outcome = await proc.run(stop_after="EXNODE2:start-monitoring")
    await s.close()
    assert outcome.ok, outcome
    assert len(_ran_on(lab, "shutdown.exe /r")) == restarts
    assert lab.engine.service_running("EXNODE2", "HealthService")


@pytest.mark.asyncio
async def test_lost_network_fails_the_step_and_the_run_resumes_there(fast_lab: Lab, tmp_path: Path) -> None:
    lab = fast_lab
    s = _session(lab, tmp_path)
    proc = await _prepared(s, tmp_path, UpgradeOptions(setup_folder=SP2))
    assert (await proc.run(stop_after="EXNODE2:setup")).ok
    lab.faults.down.add("EXNODE2")  # the network to Node 2 is lost
    assert lab.wait_listening("EXNODE2", False)
    outcome = await proc.run()
    assert not outcome.ok and outcome.failed_step is not None and outcome.failed_step.id == "EXNODE2:reboot"
    assert "WinRM" in outcome.error or "connect" in outcome.error.casefold(), outcome.error
    assert not _ran_on(lab, "shutdown.exe /r")  # nothing reached it
    lab.faults.down.clear()  # the network is back: the run resumes at the restart
    assert lab.wait_listening("EXNODE2", True)
    started: list[str] = []
    outcome = await proc.run(
        lambda e: started.append(e.step.id) if e.kind is EventKind.STEP_STARTED else None,
        stop_after="cms:stop",
    )
    await s.close()
    assert outcome.ok, outcome.error
    assert started == ["EXNODE2:reboot", "EXNODE2:start-monitoring", "cms:stop"]
    assert lab.engine.node("EXNODE2").exchange_version == "8.2.176.2"
    assert len(_ran_on(lab, "shutdown.exe /r")) == 1


# ---- pre-checks that refuse ------------------------------------------------------------------------


def _refused(report: PreCheckReport) -> list[str]:
    return [c.name for c in report.refusals]


@pytest.mark.asyncio
async def test_every_refusing_precheck(fast_lab: Lab, tmp_path: Path) -> None:
    lab = fast_lab
    s = _session(lab, tmp_path)
    proc = UpgradeProcedure(s, tmp_path / "journal.json")
    sp = UpgradeOptions(setup_folder=SP2)
    assert (await proc.prechecks(sp, backup_confirmed=True)).ok

    async def check(options: UpgradeOptions = sp, backup: bool = True) -> list[str]:
        return _refused(await proc.prechecks(options, backup_confirmed=backup))

    assert await check(backup=False) == ["Full backups of both nodes taken"]
    wrong = UpgradeOptions(setup_folder="D:\\Exchange2007SP3")
    assert await check(wrong) == ["Setup files folder on EXNODE1", "Setup files folder on EXNODE2"]
    no_setup = await proc.prechecks(UpgradeOptions(setup_folder="D:\\Updates"), backup_confirmed=True)
    assert _refused(no_setup) == [
        "setup.com in D:\\Updates on EXNODE1",
        "setup.com in D:\\Updates on EXNODE2",
    ]
    assert (
        no_setup.refusals[0].detail == "Cannot find path 'D:\\Updates\\setup.com' because it does not exist."
    )
    assert await check(UpgradeOptions(rollup="D:\\Updates\\missing.msp")) == [
        "D:\\Updates\\missing.msp on EXNODE1",
        "D:\\Updates\\missing.msp on EXNODE2",
    ]
    lab.engine.pause_node("EXNODE2")
    assert await check() == ["EXNODE2 is Up and not paused"]
    lab.engine.resume_node("EXNODE2")
    lab.engine.suspend_copy("First Storage Group", "backup")
    assert await check() == ["Every storage group copy is Healthy"]
    lab.engine.resume_copy("First Storage Group")
    lab.engine.stop_cms("maintenance")
    await _until(lambda: lab.engine.cms_status().state is CmsState.OFFLINE)
    assert "EXCH1 is Online" in await check()
    lab.engine.start_cms()
    await _until(lambda: lab.engine.cms_status().state is CmsState.ONLINE)
    lab.engine.set_node_down("EXNODE2")
    await _until(lambda: lab.engine.node("EXNODE2").state is NodeState.DOWN)
    refused = await check()
    assert "EXNODE2 is Up and not paused" in refused and "EXNODE2 answers the pre-check reads" in refused
    await s.close()


@pytest.mark.asyncio
async def test_prechecks_refuse_three_nodes_old_setup_files_and_a_full_disk(tmp_path: Path) -> None:
    topo = default_topology(nodes=3)
    topo = dataclasses.replace(
        topo,
        nodes=tuple(dataclasses.replace(n, system_drive_free_mb=1200) for n in topo.nodes),
        setup_media=(SetupMedia(SP2, "8.1.240.6"),),
    )
    with Lab(topo, speed=SPEED, events=20) as lab:
        s = _session(lab, tmp_path)
        report = await UpgradeProcedure(s, tmp_path / "j.json").prechecks(
            UpgradeOptions(setup_folder=SP2), backup_confirmed=True
        )
        await s.close()
    assert _refused(report) == [
        "Two nodes",
        "The setup files are newer than the clustered mailbox server",
        "Free space on EXNODE1's system drive",
        "Free space on EXNODE2's system drive",
        "Free space on EXNODE3's system drive",
    ]
    detail = {c.name: c.detail for c in report.checks}
    assert detail["Free space on EXNODE1's system drive"] == "1,200 MB free (at least 4,096 MB needed)"


# ---- node maintenance actions ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_node_maintenance_plans_run_what_they_show(fast_lab: Lab, tmp_path: Path) -> None:
    from ccrgui.domain.plan import ActionKind, ActionRequest, Plan, Refusal

    lab = fast_lab
    s = _session(lab, tmp_path)
    await s.snapshot()
    refused = s.plan(ActionRequest(ActionKind.RESTART_NODE, "EXNODE1"))
    assert isinstance(refused, Refusal) and "runs the clustered mailbox server" in refused.reason
    booted = lab.engine.node("EXNODE2").last_boot
    for kind, expect in (
        (ActionKind.STOP_CLUSTER_SERVICE, NodeState.DOWN),
        (ActionKind.START_CLUSTER_SERVICE, NodeState.UP),
        (ActionKind.RESTART_NODE, NodeState.UP),
    ):
        lab.received.clear()
        plan = s.plan(ActionRequest(kind, "EXNODE2"))
        assert isinstance(plan, Plan)
        result = await s.run_plan(plan)
        assert result.ok, result.error
        # The plan waited for the outcome: no polling needed here.
        assert lab.engine.node("EXNODE2").state is expect
        sent = [r.text for r in lab.received.items() if r.shell == CMD]
        assert [t for t in sent if t in plan.command_lines] == list(plan.command_lines), sent
    assert lab.engine.node("EXNODE2").last_boot > booted
    assert plan.command_lines == [
        'shutdown.exe /r /t 60 /d p:4:1 /c "Restarted by ccrgui for Exchange maintenance"'
    ]
    await s.close()
