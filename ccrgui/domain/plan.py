"""Command plans: what an action will run, shown, logged and run as ONE object.

A `Plan` is a sequence of `Step`s.  Each step names the node it runs on (or any reachable node),
the shell (cmd.exe with cluster.exe/wevtutil lines, or the Exchange Management Shell host), the
exact command lines, and optionally a condition to wait for on fresh snapshots (a node Up again
after a reboot) and a check of the outcome.  Building a plan never sends anything; a request
that cannot be planned gives a typed `Refusal` with the reason for the admin.

Qt-free and WinRM-free: the backend builds plans (`ClusterSession.plan`) from quoted values,
the GUI shows them, the operations log records them, `ClusterSession.run_plan` runs them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from ccrgui.domain.maintenance import GroupFailoverPolicy
from ccrgui.domain.model import ClusterSnapshot

ANY_NODE = ""  # Step.node: the first node of the cluster that can be reached


class Shell(enum.Enum):
    """Where a step's lines run on the node."""

    CMD = "cmd"  # a cmd shell, WINRS_SKIP_CMD_SHELL: each line is one program with its arguments
    EMS = "ems"  # the node's Exchange Management Shell host (PowerShell with the Exchange snap-in)


class ActionKind(enum.Enum):
    """Every action the backend can plan (`ActionRequest.kind`)."""

    MOVE_GROUP = "group.move"  # the CMS: Move-ClusteredMailboxServer; others: cluster.exe /move
    ONLINE_GROUP = "group.online"  # the CMS: Start-ClusteredMailboxServer
    OFFLINE_GROUP = "group.offline"  # the CMS: Stop-ClusteredMailboxServer
    VALIDATE_MOVE_CMS = "cms.validate_move"
    PAUSE_NODE = "node.pause"
    RESUME_NODE = "node.resume"
    SUSPEND_COPY = "copy.suspend"
    RESUME_COPY = "copy.resume"
    UPDATE_COPY = "copy.update"
    # Node maintenance and the rolling upgrade (issue 11): `target` is the node unless noted.
    STOP_CLUSTER_SERVICE = "node.stop_clussvc"
    START_CLUSTER_SERVICE = "node.start_clussvc"
    RESTART_NODE = "node.restart"  # waits until the node is Up again after a newer boot
    STOP_SERVICE = "service.stop"  # target: the service name, node: where
    START_SERVICE = "service.start"
    RESTART_SERVICE = "service.restart"
    SETUP_UPGRADE = "node.setup_upgrade"  # text: the setup files folder
    SETUP_UPGRADE_CMS = "cms.setup_upgrade"  # target: the node that owns the CMS; text: the folder
    INSTALL_ROLLUP = "node.install_rollup"  # text: the .msp path
    MOUNT_DATABASE = "database.mount"  # target: the database identity (CMS\\SG\\DB)
    DISMOUNT_DATABASE = "database.dismount"
    SET_GROUP_POLICY = "group.policy"  # preferred owners, failover and failback (request.policy)


@dataclass(frozen=True)
class ActionRequest:
    """What the admin asked for: kind, the object it acts on, and the dialog's inputs."""

    kind: ActionKind
    target: str  # group, node or storage group name as the snapshot shows it
    node: str | None = None  # move: destination (None = best possible node)
    text: str = ""  # move comment, stop reason or suspend comment
    validate_only: bool = False  # CMS move: -ValidateOnly (moves nothing)
    policy: GroupFailoverPolicy | None = None  # SET_GROUP_POLICY: the edited policy


SnapshotTest = Callable[[ClusterSnapshot], bool]
OutcomeCheck = Callable[[ClusterSnapshot], str]  # "" when the outcome is right, else what is wrong


@dataclass(frozen=True)
class WaitUntil:
    """Poll fresh snapshots after a step until `condition` holds (e.g. the node is Up again)."""

    description: str  # "EXNODE2 is Up", shown while waiting and in the error on timeout
    condition: SnapshotTest
    timeout_s: float = 600.0
    poll_s: float = 5.0


@dataclass(frozen=True)
class Step:
    """One step of a plan: lines run in order on one node through one shell.

    The lines are exactly what the node receives (the EMS host wraps them in its script
    framing); a line that fails ends the plan.  `wait` and `check` run after the lines.
    """

    title: str
    shell: Shell
    lines: tuple[str, ...]
    node: str = ANY_NODE
    wait: WaitUntil | None = None
    check: OutcomeCheck | None = None
    timeout_s: float | None = None  # per line; None: the session's action timeout
    ok_exit_codes: tuple[int, ...] = (0,)  # e.g. msiexec's 3010 (success, reboot required)
    stream: bool = False  # report output as it arrives (ProgressKind.CHUNK), e.g. setup.com


@dataclass(frozen=True)
class Plan:
    """An action ready to run.  `title` names it in the operations log and the audit log."""

    title: str
    steps: tuple[Step, ...]
    request: ActionRequest | None = None  # what it was planned for (None for hand-built plans)

    @property
    def command_lines(self) -> list[str]:
        """Every command line of every step, in order: what the confirmation dialog shows."""
        return [line for step in self.steps for line in step.lines]

    def describe(self) -> str:
        """The plan as text for the operations log: each line with where it runs."""
        out = []
        for step in self.steps:
            where = step.node or "any reachable node"
            shell = "Exchange Management Shell" if step.shell is Shell.EMS else "cmd"
            if len(self.steps) > 1:
                out.append(f"# {step.title} ({where}, {shell})")
            out.extend(step.lines)
            if step.wait is not None:
                out.append(f"# then wait until {step.wait.description}")
        return "\n".join(out)


@dataclass(frozen=True)
class Refusal:
    """A request that will not be planned (nothing is sent), with the reason for the admin."""

    title: str
    reason: str

    @property
    def command_lines(self) -> list[str]:
        return []


class ProgressKind(enum.Enum):
    STEP_STARTED = "started"
    LINE_SENT = "sent"  # a command line is about to be sent to `node`
    OUTPUT = "output"  # text a command printed
    CHUNK = "chunk"  # a piece of output as it arrives (steps with `stream`), before OUTPUT
    WAITING = "waiting"  # polling for the step's WaitUntil condition
    STEP_DONE = "done"
    STEP_FAILED = "failed"


@dataclass(frozen=True)
class PlanProgress:
    """One event while a plan runs (for progress bars, logs and the upgrade wizard)."""

    step_index: int
    step: Step
    kind: ProgressKind
    text: str = ""
    node: str = ""


ProgressCallback = Callable[[PlanProgress], None]

__all__ = [
    "ANY_NODE",
    "ActionKind",
    "ActionRequest",
    "OutcomeCheck",
    "Plan",
    "PlanProgress",
    "ProgressCallback",
    "ProgressKind",
    "Refusal",
    "Shell",
    "SnapshotTest",
    "Step",
    "WaitUntil",
]
