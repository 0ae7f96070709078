"""Plans for node maintenance and the rolling upgrade's commands (issue 11).

Each plan checks what it can from the last snapshot before anything is sent (setup.com never
on the node that runs the clustered mailbox server, a restart never of the CMS's node) and
carries the wait that proves it worked (the node Up again after a newer boot, the CMS Online).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ccrgui.domain.model import ClusterSnapshot, CmsState, NodeState
from ccrgui.domain.plan import ANY_NODE, ActionKind, ActionRequest, Plan, Refusal, Shell, Step, WaitUntil
from ccrgui.quoting import UnsafeValueError
from ccrgui.remote import scripts
from ccrgui.remote.planner import PlanFacts

SETUP_TIMEOUT_S = 3 * 3600.0  # setup.com /mode:upgrade takes tens of minutes on real servers
ROLLUP_TIMEOUT_S = 2 * 3600.0
RESTART_TIMEOUT_S = 1800.0  # a server's reboot: shutdown, POST, Windows, the cluster service
CLUSSVC_TIMEOUT_S = 300.0
ROLLUP_OK = (0, 3010)  # 3010: ERROR_SUCCESS_REBOOT_REQUIRED


def _line(title: str, build: Callable[[], str]) -> str | Refusal:
    try:
        return build()
    except UnsafeValueError as exc:
        return Refusal(title, f"Not sent: {exc}")


def _cms_node(facts: PlanFacts) -> str:
    snap = facts.snapshot
    if snap is None:
        return ""
    if snap.cms is not None and snap.cms.active_node:
        return snap.cms.active_node
    group = snap.cms_group
    return group.owner if group is not None else ""


def _boot(snap: ClusterSnapshot | None, node: str) -> datetime | None:
    n = snap.node(node) if snap is not None else None
    return n.details.last_boot if n is not None and n.details is not None else None


def node_back_up(node: str, booted_before: datetime | None) -> Callable[[ClusterSnapshot], bool]:
    """The node is Up in the cluster (its cluster service runs) after a boot newer than before."""

    def test(snap: ClusterSnapshot) -> bool:
        n = snap.node(node)
        if n is None or n.state is not NodeState.UP or not n.reachable:
            return False
        boot = n.details.last_boot if n.details is not None else None
        return booted_before is None or (boot is not None and boot > booted_before)

    return test


def node_in_state(node: str, state: NodeState) -> Callable[[ClusterSnapshot], bool]:
    def test(snap: ClusterSnapshot) -> bool:
        n = snap.node(node)
        return n is not None and n.state is state

    return test


def cms_online_on(node: str) -> Callable[[ClusterSnapshot], bool]:
    def test(snap: ClusterSnapshot) -> bool:
        cms = snap.cms
        return (
            cms is not None and cms.state is CmsState.ONLINE and cms.active_node.casefold() == node.casefold()
        )

    return test


def _setup(request: ActionRequest, facts: PlanFacts) -> Plan | Refusal:
    node, folder = request.target, request.text
    active = _cms_node(facts)
    if request.kind is ActionKind.SETUP_UPGRADE:
        title = f"Upgrade Exchange on {node} (setup.com /mode:upgrade)"
        if active and active.casefold() == node.casefold():
            return Refusal(
                title,
                f"The clustered mailbox server runs on {node}: setup.com upgrades only a passive node. "
                "Move the clustered mailbox server to the other node first.",
            )
        line = _line(title, lambda: scripts.setup_upgrade_line(folder))
        if isinstance(line, Refusal):
            return line
        step = Step(title, Shell.CMD, (line,), node=node, timeout_s=SETUP_TIMEOUT_S, stream=True)
        return Plan(title, (step,), request)
    title = f"Upgrade the clustered mailbox server on {node} (setup.com /upgradecms)"
    if active and active.casefold() != node.casefold():
        return Refusal(
            title,
            f"setup.com /upgradecms runs on the node that owns the clustered mailbox server ({active}).",
        )
    line = _line(title, lambda: scripts.setup_upgrade_cms_line(folder))
    if isinstance(line, Refusal):
        return line
    wait = WaitUntil(f"the clustered mailbox server is Online on {node}", cms_online_on(node), 900.0, 5.0)
    step = Step(title, Shell.CMD, (line,), node=node, wait=wait, timeout_s=SETUP_TIMEOUT_S, stream=True)
    return Plan(title, (step,), request)


def _other_up(facts: PlanFacts, node: str) -> str:
    """Where to run `cluster node NODE /start|/stop`: another node that is Up (cluster.exe on a
    node whose cluster service is stopped answers 1722), else any reachable node."""
    snap = facts.snapshot
    for n in snap.nodes if snap is not None else ():
        if n.name.casefold() != node.casefold() and n.state is NodeState.UP and n.reachable:
            return n.name
    return ANY_NODE


def _node(request: ActionRequest, facts: PlanFacts) -> Plan | Refusal:
    node, kind = request.target, request.kind
    if kind is ActionKind.STOP_CLUSTER_SERVICE:
        title = f"Stop the cluster service on {node}"
        line = _line(title, lambda: scripts.node_stop_clussvc_line(node))
        if isinstance(line, Refusal):
            return line
        wait = WaitUntil(f"{node} is Down", node_in_state(node, NodeState.DOWN), CLUSSVC_TIMEOUT_S, 2.0)
        return Plan(
            title, (Step(title, Shell.CMD, (line,), node=_other_up(facts, node), wait=wait),), request
        )
    if kind is ActionKind.START_CLUSTER_SERVICE:
        title = f"Start the cluster service on {node}"
        line = _line(title, lambda: scripts.node_start_clussvc_line(node))
        if isinstance(line, Refusal):
            return line
        wait = WaitUntil(f"{node} is Up", node_in_state(node, NodeState.UP), CLUSSVC_TIMEOUT_S, 2.0)
        return Plan(
            title, (Step(title, Shell.CMD, (line,), node=_other_up(facts, node), wait=wait),), request
        )
    # RESTART_NODE
    title = f"Restart {node}"
    active = _cms_node(facts)
    if active and active.casefold() == node.casefold():
        return Refusal(
            title,
            f"{node} runs the clustered mailbox server: restarting it would fail the CMS over without "
            "Exchange's checks. Move the clustered mailbox server to the other node first.",
        )
    line = _line(title, scripts.restart_node_line)
    if isinstance(line, Refusal):
        return line
    booted = _boot(facts.snapshot, node)
    wait = WaitUntil(
        f"{node} is Up again with its cluster service running",
        node_back_up(node, booted),
        RESTART_TIMEOUT_S,
        5.0,
    )
    return Plan(title, (Step(title, Shell.CMD, (line,), node=node, wait=wait),), request)


def maintenance_plan(request: ActionRequest, facts: PlanFacts) -> Plan | Refusal:
    kind, node = request.kind, request.node or ""
    if kind in (ActionKind.STOP_SERVICE, ActionKind.START_SERVICE, ActionKind.RESTART_SERVICE):
        verb = {ActionKind.STOP_SERVICE: "Stop", ActionKind.START_SERVICE: "Start"}.get(kind, "Restart")
        title = f"{verb} the {request.target} service on {node}"
        if not node:
            return Refusal(title, "A service is started or stopped on a named node.")
        line = _line(title, lambda: scripts.service_command(verb, request.target))
        if isinstance(line, Refusal):
            return line
        return Plan(title, (Step(title, Shell.EMS, (line,), node=node),), request)
    if kind in (ActionKind.SETUP_UPGRADE, ActionKind.SETUP_UPGRADE_CMS):
        return _setup(request, facts)
    if kind is ActionKind.INSTALL_ROLLUP:
        target = request.target
        title = f"Install the update rollup on {target}"
        active = _cms_node(facts)
        if active and active.casefold() == target.casefold():
            return Refusal(
                title,
                f"The clustered mailbox server runs on {target}: update rollups go on the passive node only.",
            )
        line = _line(title, lambda: scripts.rollup_line(request.text))
        if isinstance(line, Refusal):
            return line
        step = Step(
            title, Shell.CMD, (line,), node=target, timeout_s=ROLLUP_TIMEOUT_S, ok_exit_codes=ROLLUP_OK
        )
        return Plan(title, (step,), request)
    return _node(request, facts)


__all__ = ["cms_online_on", "maintenance_plan", "node_back_up", "node_in_state"]
