"""The rolling upgrade as a list of steps run through the session's command plans.

Service pack (the practitioner order, shared/reference/setup/NOTES.md 1b), with Node 2 the passive
node at the start and Node 1 the active one:
  Node 2: stop monitoring services, restart Remote Registry, move other groups off,
          setup.com /mode:upgrade, restart, start the monitoring services again;
  CMS:    Stop-ClusteredMailboxServer, Move-ClusteredMailboxServer to Node 2 (run on Node 2),
          setup.com /upgradecms on Node 2 (brings it online), verify;
  Node 1: as Node 2;  optionally move the CMS back;  final verification.
Update rollup: per node move the other groups off, msiexec /p on the passive node (restart when
it answers 3010), the CMS moved to the patched node between the two.

Every step reads the real state first and does nothing when its work is already done (so a run
cut short is resumed by simply running the remaining steps), shows its plan before running it,
checks its outcome, and writes the journal after it.  Qt-free: the wizard and `ccrgui upgrade`
are thin front ends over `UpgradeProcedure`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from ccrgui.domain.model import ClusterSnapshot, CmsState, NodeState, SetupReport
from ccrgui.domain.plan import (
    ActionKind,
    ActionRequest,
    Plan,
    PlanProgress,
    ProgressKind,
    Refusal,
    Shell,
    Step,
    WaitUntil,
)
from ccrgui.domain.session_api import ClusterSession
from ccrgui.domain.upgrade.facts import NodeUpgradeFacts, build_text, parse_build
from ccrgui.domain.upgrade.journal import ROLLUP, SERVICE_PACK, Journal
from ccrgui.domain.upgrade.prechecks import (
    PreCheckReport,
    UpgradeOptions,
    copies_healthy,
    evaluate,
    node_build,
)

HEALTHY_TIMEOUT_S = 1800.0  # copies resynchronise after a node restart


class EventKind(enum.Enum):
    STEP_STARTED = "started"
    COMMANDS = "commands"  # the plan about to run (shown before anything is sent)
    PROGRESS = "progress"  # a PlanProgress of the running plan
    SETUP = "setup"  # setup.com's output parsed so far (`setup`)
    STEP_SKIPPED = "skipped"  # the state shows the step's work is already done
    STEP_DONE = "done"
    STEP_FAILED = "failed"


@dataclass(frozen=True)
class ProcStep:
    id: str  # stable across runs: "EXNODE2:setup", "cms:move"
    kind: str
    title: str
    node: str = ""


@dataclass(frozen=True)
class UpgradeEvent:
    kind: EventKind
    index: int
    step: ProcStep
    text: str = ""
    plan: Plan | None = None
    progress: PlanProgress | None = None
    setup: SetupReport | None = None
    advice: str = ""


EventCallback = Callable[[UpgradeEvent], None]


@dataclass(frozen=True)
class RunOutcome:
    ok: bool
    finished: bool
    failed_step: ProcStep | None = None
    error: str = ""
    advice: str = ""


class StepFailed(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


ADVICE = {
    "stop-monitoring": "Stop the service by hand (services.msc) or untick it, then run the step again.",
    "remote-registry": "Start the Remote Registry service on the node (services.msc), then retry.",
    "move-groups": "Move the groups with Failover Cluster Management or cluster.exe, then retry.",
    "setup": (
        "Read setup's error above and the log C:\\ExchangeSetupLogs\\ExchangeSetup.log on the node; fix the "
        "cause (for example a service that still reads performance counters) and run the step again. Setup "
        "can be run again on a node that did not finish; the clustered mailbox server was not touched."
    ),
    "reboot": (
        "Check the node's console (it may be waiting at boot or applying updates); once it is Up in the "
        "cluster with its cluster service running, resume: the step sees the newer boot and goes on."
    ),
    "start-monitoring": "Start the services by hand on the node (services.msc); nothing depends on them.",
    "cms-stop": "Check Get-ClusteredMailboxServerStatus and the application log of the active node; retry.",
    "cms-move": (
        "Move-ClusteredMailboxServer did not complete: check that the target node is Up and its copies "
        "are Healthy, then run the step again."
    ),
    "cms-upgrade": (
        "setup.com /upgradecms must finish before Node 1 is upgraded (otherwise the versions mismatch and "
        "the clustered mailbox server will not start). Read setup's error, fix the cause and retry."
    ),
    "verify-cms": "Check Get-ClusteredMailboxServerStatus and Get-StorageGroupCopyStatus, then retry.",
    "rollup": (
        "msiexec's error is above; the node keeps its old build. See the rollup's log in %temp% on the node, "
        "fix the cause and run the step again."
    ),
    "cms-move-rollup": "Move-ClusteredMailboxServer did not complete; check the target node, then retry.",
    "move-back": "The upgrade itself is complete; move the clustered mailbox server back by hand if needed.",
    "verify": "The steps ran; check the builds and the copies in the console, then run the step again.",
}


def build_steps(journal: Journal) -> list[ProcStep]:
    """The ordered steps for the journal's choices (the same list every run)."""
    a, b = journal.second, journal.first
    steps: list[ProcStep] = []

    def node_part(node: str) -> None:
        if journal.kind == SERVICE_PACK:
            steps.extend(
                [
                    ProcStep(
                        f"{node}:stop-monitoring",
                        "stop-monitoring",
                        f"Stop monitoring services on {node}",
                        node,
                    ),
                    ProcStep(
                        f"{node}:remote-registry",
                        "remote-registry",
                        f"Restart Remote Registry on {node}",
                        node,
                    ),
                    ProcStep(f"{node}:move-groups", "move-groups", f"Move other groups off {node}", node),
                    ProcStep(f"{node}:setup", "setup", f"setup.com /mode:upgrade on {node}", node),
                    ProcStep(f"{node}:reboot", "reboot", f"Restart {node} and wait until it is Up", node),
                    ProcStep(
                        f"{node}:start-monitoring",
                        "start-monitoring",
                        f"Start monitoring services on {node}",
                        node,
                    ),
                ]
            )
        else:
            steps.extend(
                [
                    ProcStep(f"{node}:move-groups", "move-groups", f"Move other groups off {node}", node),
                    ProcStep(f"{node}:rollup", "rollup", f"Install the update rollup on {node}", node),
                    ProcStep(f"{node}:reboot", "reboot", f"Restart {node} if the rollup asks for it", node),
                ]
            )

    node_part(b)
    if journal.kind == SERVICE_PACK:
        steps += [
            ProcStep("cms:stop", "cms-stop", f"Stop {journal.cms}", b),
            ProcStep("cms:move", "cms-move", f"Move {journal.cms} to {b} (run on {b})", b),
            ProcStep("cms:upgrade", "cms-upgrade", f"setup.com /upgradecms on {b}", b),
            ProcStep("cms:verify", "verify-cms", f"{journal.cms} Online at the new build, copies Healthy", b),
        ]
    else:
        steps.append(ProcStep("cms:move", "cms-move-rollup", f"Move {journal.cms} to {b} (run on {b})", b))
    node_part(a)
    if journal.move_back:
        steps.append(ProcStep("cms:move-back", "move-back", f"Move {journal.cms} back to {a}", a))
    steps.append(ProcStep("verify", "verify", "Verify both nodes and the clustered mailbox server", ""))
    return steps


def _setup_error(report: SetupReport) -> str:
    """setup.com's own words: the failed step with its message, then the verdict."""
    parts = [
        f"{st.name}: {' '.join(st.messages)}" if st.messages else f"{st.name}: FAILED"
        for st in report.steps
        if st.status == "FAILED"
    ] or list(report.errors)
    return " ".join([*parts, report.verdict]).strip()


def _back_up(node: str, before: datetime) -> Callable[[ClusterSnapshot], bool]:
    def test(snap: ClusterSnapshot) -> bool:
        n = snap.node(node)
        boot = n.details.last_boot if n is not None and n.details is not None else None
        return (
            n is not None and n.state is NodeState.UP and n.reachable and boot is not None and boot > before
        )

    return test


def _installed(
    report: PreCheckReport, node: str, options: UpgradeOptions
) -> tuple[int, int, int, int] | None:
    """The build a node starts at: the registry's for a service pack, ExSetup.exe's for a rollup."""
    facts = report.facts.get(node)
    if options.is_rollup and facts is not None and facts.installed_build is not None:
        return facts.installed_build
    return node_build(report.snapshot, node)


class UpgradeProcedure:
    """Pre-checks, then the steps of one journal, through a `ClusterSession`."""

    def __init__(self, session: ClusterSession, journal_path: Path) -> None:
        self.session = session
        self.journal_path = journal_path
        self.journal: Journal | None = None
        self._events: EventCallback | None = None
        self._step: ProcStep | None = None
        self._index = 0

    # ---- pre-checks and start ------------------------------------------------------------------

    async def prechecks(self, options: UpgradeOptions, *, backup_confirmed: bool) -> PreCheckReport:
        snap = await self.session.snapshot()
        facts: dict[str, NodeUpgradeFacts] = {}
        for n in snap.nodes:
            facts[n.name] = await self.session.read_upgrade_facts(
                n.name, options.setup_folder, options.rollup
            )
        return evaluate(snap, facts, options, backup_confirmed=backup_confirmed)

    def begin(
        self, report: PreCheckReport, options: UpgradeOptions, services: dict[str, list[str]]
    ) -> Journal:
        """Write a new journal for a run whose pre-checks passed (`services`: confirmed per node)."""
        if not report.ok:
            raise ValueError("the pre-checks refused: " + "; ".join(c.name for c in report.refusals))
        snap = report.snapshot
        journal = Journal(
            cluster=self.session.cluster_name,
            kind=ROLLUP if options.is_rollup else SERVICE_PACK,
            first=report.passive,
            second=report.active,
            cms=report.cms,
            cms_group=report.cms_group,
            setup_folder=options.setup_folder,
            rollup=options.rollup,
            target_build=build_text(report.target_build) if report.target_build else "",
            builds_before={n.name: build_text(_installed(report, n.name, options)) for n in snap.nodes},
            services={k: list(v) for k, v in services.items()},
            move_back=options.move_back,
            stop_reason=options.stop_reason,
        )
        journal.save(self.journal_path)
        self.journal = journal
        return journal

    def load(self) -> Journal | None:
        self.journal = Journal.load(self.journal_path)
        return self.journal

    def steps(self) -> list[ProcStep]:
        return build_steps(self._j)

    def discard(self) -> None:
        self.journal_path.unlink(missing_ok=True)
        self.journal = None

    @property
    def _j(self) -> Journal:
        if self.journal is None:
            raise RuntimeError("no upgrade in progress")
        return self.journal

    # ---- running ---------------------------------------------------------------------------------

    async def run(self, on_event: EventCallback | None = None, *, stop_after: str = "") -> RunOutcome:
        """Run every step not done yet, in order; stop at the first failure (or after `stop_after`)."""
        journal = self._j
        self._events = on_event
        steps = self.steps()
        for index, step in enumerate(steps):
            if step.id in journal.done:
                continue
            self._step, self._index = step, index
            self._emit(EventKind.STEP_STARTED, step.title)
            try:
                note = await self._execute(step)
            except StepFailed as exc:
                advice = ADVICE.get(step.kind, "")
                journal.failed, journal.error = step.id, exc.error
                journal.save(self.journal_path)
                self._emit(EventKind.STEP_FAILED, exc.error, advice=advice)
                return RunOutcome(False, False, step, exc.error, advice)
            journal.done.append(step.id)
            journal.failed, journal.error = "", ""
            journal.finished = index == len(steps) - 1
            journal.save(self.journal_path)
            if note.startswith("skip:"):
                self._emit(EventKind.STEP_SKIPPED, note[5:])
            else:
                self._emit(EventKind.STEP_DONE, note)
            if step.id == stop_after:
                return RunOutcome(True, journal.finished)
        journal.finished = True
        journal.save(self.journal_path)
        return RunOutcome(True, True)

    def _emit(self, kind: EventKind, text: str = "", **extra: object) -> None:
        if self._events is not None and self._step is not None:
            self._events(UpgradeEvent(kind, self._index, self._step, text, **extra))  # type: ignore[arg-type]

    async def _snap(self) -> ClusterSnapshot:
        return await self.session.snapshot()

    async def _run(self, plan: Plan | Refusal, *, node: str = "", setup: bool = False) -> str:
        """Show and run one plan (on `node` when given); the Windows error raises StepFailed."""
        if isinstance(plan, Refusal):
            raise StepFailed(plan.reason)
        if node:
            plan = replace(plan, steps=tuple(replace(s, node=node) for s in plan.steps))
        self._emit(EventKind.COMMANDS, plan.describe(), plan=plan)
        output: list[str] = []

        def progress(p: PlanProgress) -> None:
            self._emit(EventKind.PROGRESS, p.text, progress=p)
            if setup and p.kind is ProgressKind.CHUNK:
                output.append(p.text)
                self._emit(EventKind.SETUP, "", setup=self.session.parse_setup_output("".join(output)))

        result = await self.session.run_plan(plan, progress)
        text = "".join(r.stdout for r in result.runs)
        if setup:
            report = self.session.parse_setup_output(text)
            self._emit(EventKind.SETUP, "", setup=report)
            if report.succeeded is False:
                raise StepFailed(_setup_error(report))
        if not result.ok:
            raise StepFailed(result.error)
        return text

    async def _wait(
        self, title: str, node: str, description: str, test: Callable[[ClusterSnapshot], bool]
    ) -> None:
        """A plan without commands: only the wait (shown like any other)."""
        step = Step(
            title, Shell.CMD, (), node=node, wait=WaitUntil(description, test, HEALTHY_TIMEOUT_S, 5.0)
        )
        await self._run(Plan(title, (step,)))

    def _plan(self, kind: ActionKind, target: str, node: str | None = None, text: str = "") -> Plan | Refusal:
        return self.session.plan(ActionRequest(kind, target, node, text))

    async def _execute(self, step: ProcStep) -> str:
        handler = getattr(self, "_do_" + step.kind.replace("-", "_"))
        note: str = await handler(step)
        return note

    # ---- node steps ----------------------------------------------------------------------------

    async def _facts(self, node: str) -> NodeUpgradeFacts:
        facts = await self.session.read_upgrade_facts(node)
        if facts.error:
            raise StepFailed(f"{node} did not answer: {facts.error}")
        return facts

    async def _do_stop_monitoring(self, step: ProcStep) -> str:
        j = self._j
        wanted = j.services.get(step.node, [])
        facts = await self._facts(step.node)
        running = [s for s in wanted if (info := facts.service(s)) is not None and info.running]
        if not running:
            return "skip:" + ("no monitoring service runs" if wanted else "no monitoring services chosen")
        for name in running:
            await self._run(self._plan(ActionKind.STOP_SERVICE, name, step.node))
            stopped = j.stopped.setdefault(step.node, [])
            if name not in stopped:
                stopped.append(name)
            j.save(self.journal_path)
        facts = await self._facts(step.node)
        still = [s for s in running if (info := facts.service(s)) is not None and info.running]
        if still:
            raise StepFailed(f"still running on {step.node}: {', '.join(still)}")
        return "stopped " + ", ".join(running)

    async def _do_remote_registry(self, step: ProcStep) -> str:
        await self._run(self._plan(ActionKind.RESTART_SERVICE, "RemoteRegistry", step.node))
        return "restarted"

    async def _do_move_groups(self, step: ProcStep) -> str:
        j = self._j
        other = j.second if step.node.casefold() == j.first.casefold() else j.first
        snap = await self._snap()
        groups = [g.name for g in snap.groups_owned_by(step.node) if not g.is_cms]
        if not groups:
            return "skip:no other group on " + step.node
        for g in groups:
            await self._run(self._plan(ActionKind.MOVE_GROUP, g, other))
        snap = await self._snap()
        left = [g.name for g in snap.groups_owned_by(step.node) if g.name in groups]
        if left:
            raise StepFailed(f"still owned by {step.node}: {', '.join(left)}")
        return f"moved {', '.join(groups)} to {other}"

    def _target(self) -> tuple[int, int, int, int] | None:
        return parse_build(self._j.target_build)

    async def _do_setup(self, step: ProcStep) -> str:
        target = self._target()
        snap = await self._snap()
        build = node_build(snap, step.node)
        if target is not None and build is not None and build >= target:
            return f"skip:{step.node} is already at build {build_text(build)}"
        plan = self._plan(ActionKind.SETUP_UPGRADE, step.node, text=self._j.setup_folder)
        await self._run(plan, setup=True)
        return "setup completed"

    async def _do_reboot(self, step: ProcStep) -> str:
        j = self._j
        if j.kind == ROLLUP and not j.reboot_needed.get(step.node):
            return "skip:msiexec did not ask for a restart"
        snap = await self._snap()
        node = snap.node(step.node)
        boot = node.details.last_boot if node is not None and node.details is not None else None
        up = node is not None and node.state is NodeState.UP and node.reachable
        sent = j.boots.get(step.node)
        before = datetime.fromisoformat(sent) if sent else None
        if before is not None and not (up and boot is not None and boot <= before):
            # The restart was sent by an earlier run: wait for the node instead of restarting again.
            if not (up and boot is not None and boot > before):
                await self._wait(
                    f"Wait until {step.node} is Up again",
                    step.node,
                    f"{step.node} is Up again with its cluster service running",
                    _back_up(step.node, before),
                )
            await self._after_restart(step)
            return f"{step.node} is Up again (restarted earlier)"
        if boot is not None:
            j.boots[step.node] = boot.isoformat()
            j.save(self.journal_path)
        await self._run(self._plan(ActionKind.RESTART_NODE, step.node))
        await self._after_restart(step)
        return f"{step.node} is Up again"

    async def _after_restart(self, step: ProcStep) -> None:
        snap = await self._snap()
        target = self._target()
        build = node_build(snap, step.node)
        if self._j.kind == ROLLUP:
            build = (await self._facts(step.node)).installed_build
            before = parse_build(self._j.builds_before.get(step.node, ""))
            if build is None or (before is not None and build <= before):
                raise StepFailed(
                    f"{step.node} restarted at build {build_text(build)}: the rollup is not installed"
                )
        if target is not None and (build is None or build < target):
            raise StepFailed(f"{step.node} restarted at build {build_text(build)}, not {build_text(target)}")
        if self._j.cms:
            await self._wait(
                "Wait until the copies are Healthy",
                step.node,
                "every storage group copy is Healthy",
                copies_healthy,
            )

    async def _do_start_monitoring(self, step: ProcStep) -> str:
        stopped = self._j.stopped.get(step.node, [])
        if not stopped:
            return "skip:nothing was stopped"
        facts = await self._facts(step.node)
        todo = [s for s in stopped if (info := facts.service(s)) is not None and not info.running]
        for name in todo:
            await self._run(self._plan(ActionKind.START_SERVICE, name, step.node))
        facts = await self._facts(step.node)
        down = [s for s in stopped if (info := facts.service(s)) is None or not info.running]
        if down:
            raise StepFailed(f"not running on {step.node}: {', '.join(down)}")
        return "running again: " + ", ".join(stopped) if todo else "skip:already running"

    async def _do_rollup(self, step: ProcStep) -> str:
        j = self._j
        before = parse_build(j.builds_before.get(step.node, ""))
        build = (await self._facts(step.node)).installed_build
        if build is not None and before is not None and build > before:
            return f"skip:{step.node} is already at build {build_text(build)}"
        plan = self._plan(ActionKind.INSTALL_ROLLUP, step.node, text=j.rollup)
        if isinstance(plan, Refusal):
            raise StepFailed(plan.reason)
        self._emit(EventKind.COMMANDS, plan.describe(), plan=plan)
        result = await self.session.run_plan(
            plan, lambda p: self._emit(EventKind.PROGRESS, p.text, progress=p)
        )
        if not result.ok:
            raise StepFailed(result.error)
        code = result.runs[-1].exit_code if result.runs else 0
        j.reboot_needed[step.node] = code == 3010
        j.save(self.journal_path)
        # msiexec stops and starts the node's cluster service: wait until it is back.
        await self._wait(
            "Wait until the node is Up with Healthy copies",
            step.node,
            f"{step.node} is Up and every copy is Healthy",
            lambda s: (n := s.node(step.node)) is not None and n.state is NodeState.UP and copies_healthy(s),
        )
        build = (await self._facts(step.node)).installed_build
        if code != 3010 and (build is None or (before is not None and build <= before)):
            raise StepFailed(f"msiexec succeeded but {step.node} is still at build {build_text(build)}")
        return f"installed, build {build_text(build)}" + (" (restart required: 3010)" if code == 3010 else "")

    # ---- the clustered mailbox server --------------------------------------------------------------

    def _cms_done(self, snap: ClusterSnapshot) -> bool:
        target, cms = self._target(), parse_build(snap.cms_version)
        return target is not None and cms is not None and cms >= target

    async def _do_cms_stop(self, step: ProcStep) -> str:
        j = self._j
        snap = await self._snap()
        if self._cms_done(snap):
            return "skip:the clustered mailbox server is already upgraded"
        if snap.cms is not None and snap.cms.state is CmsState.OFFLINE:
            return "skip:already stopped"
        await self._run(self._plan(ActionKind.OFFLINE_GROUP, j.cms_group, text=j.stop_reason), node=step.node)
        await self._wait(
            "Wait until the clustered mailbox server is Offline",
            step.node,
            f"{j.cms} is Offline",
            lambda s: s.cms is not None and s.cms.state is CmsState.OFFLINE,
        )
        return "stopped"

    async def _move_cms(self, step: ProcStep, comment: str) -> bool:
        j = self._j
        snap = await self._snap()
        if snap.cms is not None and snap.cms.active_node.casefold() == step.node.casefold():
            return False
        await self._run(self._plan(ActionKind.MOVE_GROUP, j.cms_group, step.node, comment), node=step.node)
        return True

    async def _do_cms_move(self, step: ProcStep) -> str:
        j = self._j
        snap = await self._snap()
        if self._cms_done(snap):
            return "skip:the clustered mailbox server is already upgraded"
        if not await self._move_cms(step, f"{j.stop_reason}: move to the upgraded node"):
            return f"skip:already on {step.node}"
        await self._wait(
            "Wait until the move is complete",
            step.node,
            f"{j.cms} is owned by {step.node}",
            lambda s: s.cms is not None and s.cms.active_node.casefold() == step.node.casefold(),
        )
        return f"moved to {step.node}"

    async def _do_cms_upgrade(self, step: ProcStep) -> str:
        snap = await self._snap()
        if self._cms_done(snap):
            return f"skip:already at build {build_text(parse_build(snap.cms_version))}"
        await self._run(
            self._plan(ActionKind.SETUP_UPGRADE_CMS, step.node, text=self._j.setup_folder), setup=True
        )
        return "upgraded and Online"

    async def _do_verify_cms(self, step: ProcStep) -> str:
        j = self._j
        await self._wait(
            "Wait until the clustered mailbox server is Online with Healthy copies",
            step.node,
            f"{j.cms} is Online with every copy Healthy",
            lambda s: s.cms is not None and s.cms.state is CmsState.ONLINE and copies_healthy(s),
        )
        snap = await self._snap()
        if not self._cms_done(snap):
            raise StepFailed(
                f"{j.cms} is at build {build_text(parse_build(snap.cms_version))}, not {j.target_build}"
            )
        return f"Online at build {build_text(parse_build(snap.cms_version))}"

    async def _online_on(self, step: ProcStep, comment: str) -> str:
        j = self._j
        if not await self._move_cms(step, comment):
            return f"skip:already on {step.node}"
        await self._wait(
            "Wait until the clustered mailbox server is Online with Healthy copies",
            step.node,
            f"{j.cms} is Online on {step.node} with every copy Healthy",
            lambda s: (
                s.cms is not None
                and s.cms.state is CmsState.ONLINE
                and s.cms.active_node.casefold() == step.node.casefold()
                and copies_healthy(s)
            ),
        )
        return f"Online on {step.node}"

    async def _do_cms_move_rollup(self, step: ProcStep) -> str:
        return await self._online_on(step, f"{self._j.stop_reason}: move to the patched node")

    async def _do_move_back(self, step: ProcStep) -> str:
        return await self._online_on(step, f"{self._j.stop_reason}: move back")

    async def _do_verify(self, step: ProcStep) -> str:
        j = self._j
        snap = await self._snap()
        problems = []
        builds = {n.name: node_build(snap, n.name) for n in snap.nodes}
        if j.kind == ROLLUP:
            builds = {n.name: (await self._facts(n.name)).installed_build for n in snap.nodes}
        target = self._target()
        for name, b in builds.items():
            if b is None or (target is not None and b < target):
                problems.append(f"{name} at build {build_text(b)}")
        if j.kind == ROLLUP and len(set(builds.values())) != 1:
            problems.append("the nodes are at different builds")
        if snap.cms is None or snap.cms.state is not CmsState.ONLINE:
            problems.append("the clustered mailbox server is not Online")
        if not copies_healthy(snap):
            problems.append("not every copy is Healthy")
        if problems:
            raise StepFailed("; ".join(problems))
        where = snap.cms.active_node if snap.cms is not None else ""
        at = ", ".join(sorted({build_text(b) for b in builds.values()}))
        return f"nodes at {at}; {j.cms} Online on {where}"


__all__ = [
    "ADVICE",
    "EventCallback",
    "EventKind",
    "ProcStep",
    "RunOutcome",
    "UpgradeEvent",
    "UpgradeProcedure",
    "build_steps",
]
