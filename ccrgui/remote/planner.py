"""Plans for every action kind, built from quoted values (`scripts`) and what the session knows.

Pure: no I/O, so the confirmation dialog can ask for a plan on every keystroke.  The session
runs exactly the plan built here (`WinRMClusterSession.run_plan`).

The clustered mailbox server (CMS) is moved, stopped and started only through the Exchange
cmdlets (with a comment or reason): cluster.exe would skip Exchange's checks.  A group that may
be the CMS — it holds Exchange resources, or Exchange has not answered yet so the CMS is not
known — is refused until Exchange answers, never sent to cluster.exe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ccrgui.domain.maintenance import PolicyError
from ccrgui.domain.model import READING_EXCHANGE, ClusterSnapshot, NodeState
from ccrgui.domain.plan import ActionKind, ActionRequest, Plan, Refusal, Shell, Step
from ccrgui.quoting import UnsafeValueError
from ccrgui.remote import scripts

MAINTENANCE_KINDS = frozenset(
    {
        ActionKind.STOP_CLUSTER_SERVICE,
        ActionKind.START_CLUSTER_SERVICE,
        ActionKind.RESTART_NODE,
        ActionKind.STOP_SERVICE,
        ActionKind.START_SERVICE,
        ActionKind.RESTART_SERVICE,
        ActionKind.SETUP_UPGRADE,
        ActionKind.SETUP_UPGRADE_CMS,
        ActionKind.INSTALL_ROLLUP,
    }
)  # planned in `maintenance_plans` (issue 11)
EXCHANGE_RESOURCE_PREFIX = "microsoft exchange"  # resource types of a CMS's resources
NEVER_CMS = ("cluster group", "available storage")  # the core and storage groups


@dataclass(frozen=True)
class PlanFacts:
    """What the session knows when it plans: the last snapshot and the CMS Exchange named."""

    snapshot: ClusterSnapshot | None
    cms: str | None  # the CMS's name from Get-MailboxServer, once Exchange answered
    cms_group: str | None  # the cluster group that is the CMS
    cms_nodes: tuple[str, ...] = ()  # its RedundantMachines
    exchange_read: bool = False  # Exchange answered at least once (the CMS, if any, is known)


def _quoted(title: str, build: Callable[[], str]) -> str | Refusal:
    try:
        return build()
    except UnsafeValueError as exc:
        return Refusal(title, f"Not sent: {exc}")


def _one(request: ActionRequest, title: str, shell: Shell, build: Callable[[], str]) -> Plan | Refusal:
    line = _quoted(title, build)
    if isinstance(line, Refusal):
        return line
    return Plan(title, (Step(title, shell, (line,)),), request)


def is_cms(facts: PlanFacts, group: str) -> bool:
    names = {x.casefold() for x in (facts.cms, facts.cms_group) if x}
    if facts.snapshot is not None:
        names |= {g.name.casefold() for g in facts.snapshot.groups if g.is_cms}
    return group.casefold() in names


def may_be_cms(facts: PlanFacts, group: str) -> str:
    """Why `group` might be an unrecognised CMS ("" when it certainly is not)."""
    if group.casefold() in NEVER_CMS:
        return ""
    snap = facts.snapshot
    exchange = sorted(
        {
            r.resource_type
            for r in (snap.resources_of(group) if snap is not None else ())
            if r.resource_type.casefold().startswith(EXCHANGE_RESOURCE_PREFIX)
        }
    )
    holds = f" It holds Exchange resources ({', '.join(exchange)})." if exchange else ""
    if snap is not None and snap.reading_exchange and not facts.cms:
        return (
            f"Still {READING_EXCHANGE} (its snap-in is loading), so it is not yet known whether {group} "
            "is the clustered mailbox server (which must never be moved or stopped through cluster.exe)."
            f"{holds} Nothing was sent; try again once Exchange has been read."
        )
    if not (facts.exchange_read or facts.cms):
        return (
            f"Exchange has not answered yet, so it is not known whether {group} is the clustered mailbox "
            f"server (which must never be moved or stopped through cluster.exe).{holds} Nothing was sent; "
            "try again once Exchange has been read (refresh)."
        )
    if exchange:
        return (
            f"{group} holds Exchange resources ({', '.join(exchange)}) but Exchange did not name it as "
            "its clustered mailbox server. A clustered mailbox server is moved, stopped and started only "
            "through Exchange, never cluster.exe; refresh once Exchange answers."
        )
    return ""


def cms_target(facts: PlanFacts, node: str | None) -> str | None:
    """ "Best possible node" for the CMS: a node other than the active one, Up first."""
    if node:
        return node
    snap = facts.snapshot
    active = snap.cms.active_node if snap and snap.cms else ""
    if not active and snap and snap.cms_group:
        active = snap.cms_group.owner
    redundant = {m.casefold() for m in facts.cms_nodes}
    candidates = [n for n in (snap.nodes if snap else ()) if n.name.casefold() != active.casefold()]
    # A CCR CMS can only go to its other redundant machine; prefer nodes that are Up.
    candidates.sort(
        key=lambda n: (
            bool(redundant) and n.name.casefold() not in redundant,
            n.state is not NodeState.UP,
        )
    )
    return candidates[0].name if candidates else None


def copy_identity(facts: PlanFacts, storage_group: str) -> str:
    """The copy's Identity as Windows reported it, else CMS\\SG."""
    for c in facts.snapshot.copies if facts.snapshot else ():
        if c.identity and storage_group.casefold() in (c.storage_group.casefold(), c.identity.casefold()):
            return c.identity
    if "\\" in storage_group or not facts.cms:
        return storage_group
    return f"{facts.cms}\\{storage_group}"


def _cms_name(facts: PlanFacts, group: str) -> str:
    return facts.cms or group


def _group(facts: PlanFacts, request: ActionRequest) -> Plan | Refusal:
    group, kind = request.target, request.kind
    cms = is_cms(facts, group)
    if kind is ActionKind.MOVE_GROUP:
        if cms:
            target = cms_target(facts, request.node)
            title = f"Move {group} to {target or '?'}"
            if not request.text.strip():
                return Refusal(title, "Moving the clustered mailbox server needs a move comment.")
            if not target:
                return Refusal(title, "There is no other node to move the clustered mailbox server to.")
            if request.validate_only:
                return _validate(facts, request, target)
            return _one(
                request,
                title,
                Shell.EMS,
                lambda: scripts.move_cms_command(_cms_name(facts, group), target, request.text),
            )
        title = (
            f"Move {group} to {request.node}" if request.node else f"Move {group} to the best possible node"
        )
        why = may_be_cms(facts, group)
        if why:
            return Refusal(title, why)
        return _one(request, title, Shell.CMD, lambda: scripts.group_move_line(group, request.node))
    if kind is ActionKind.ONLINE_GROUP:
        if cms:
            name = _cms_name(facts, group)
            return _one(request, f"Start {group}", Shell.EMS, lambda: scripts.start_cms_command(name))
        title = f"Bring {group} online"
        why = may_be_cms(facts, group)
        if why:
            return Refusal(title, why)
        return _one(request, title, Shell.CMD, lambda: scripts.group_online_line(group))
    # OFFLINE_GROUP
    if cms:
        title = f"Stop {group}"
        if not request.text.strip():
            return Refusal(title, "Stopping the clustered mailbox server needs a reason.")
        return _one(
            request,
            title,
            Shell.EMS,
            lambda: scripts.stop_cms_command(_cms_name(facts, group), request.text),
        )
    title = f"Take {group} offline"
    why = may_be_cms(facts, group)
    if why:
        return Refusal(title, why)
    return _one(request, title, Shell.CMD, lambda: scripts.group_offline_line(group))


def _validate(facts: PlanFacts, request: ActionRequest, node: str) -> Plan | Refusal:
    title = f"Validate moving {facts.cms or 'the clustered mailbox server'} to {node}"
    if not facts.cms:
        return Refusal(title, "No clustered mailbox server was found on this cluster.")
    cms = facts.cms
    return _one(
        request,
        title,
        Shell.EMS,
        lambda: scripts.move_cms_command(cms, node, request.text, validate_only=True),
    )


def database_identity(facts: PlanFacts, database: str) -> str:
    """The database's Identity as Get-MailboxDatabase printed it (CMS\\SG\\DB), else as given."""
    snap = facts.snapshot
    key = database.casefold()
    for d in snap.databases if snap else ():
        if key in (d.identity.casefold(), d.name.casefold(), f"{d.storage_group}\\{d.name}".casefold()):
            return d.identity or f"{d.storage_group}\\{d.name}"
    return database


def _policy(request: ActionRequest, facts: PlanFacts) -> Plan | Refusal:
    """Preferred owners (/setowners) and the failover/failback properties (/prop) that changed:
    one step per cluster.exe line, shown before it runs."""
    group, new = request.target, request.policy
    title = f"Change the failover policy of {group}"
    if new is None:
        return Refusal(title, "No policy was given.")
    try:
        new.validate()
    except PolicyError as exc:
        return Refusal(title, str(exc))
    snap = facts.snapshot
    if snap is not None and snap.group(group) is None:
        return Refusal(title, f"{group} is not a group of this cluster.")
    old = snap.policy(group) if snap is not None else None
    unknown = [o for o in new.preferred_owners if snap is not None and snap.node(o) is None]
    if unknown:
        return Refusal(title, f"Not a node of this cluster: {', '.join(unknown)}.")
    g = snap.group(group) if snap is not None else None
    old_owners = old.preferred_owners if old is not None else (g.preferred_owners if g else ())
    steps: list[Step] = []
    if tuple(new.preferred_owners) != tuple(old_owners):
        if not new.preferred_owners:
            return Refusal(
                title, "Choose at least one preferred owner (cluster.exe cannot set an empty list)."
            )
        line = _quoted(title, lambda: scripts.group_setowners_line(group, new.preferred_owners))
        if isinstance(line, Refusal):
            return line
        steps.append(Step(f"Set the preferred owners of {group}", Shell.CMD, (line,)))
    changed = new.changed_properties(old) if old is not None else new.property_values()
    if changed:
        line = _quoted(title, lambda: scripts.group_prop_line(group, changed))
        if isinstance(line, Refusal):
            return line
        steps.append(Step(f"Set the failover and failback properties of {group}", Shell.CMD, (line,)))
    if not steps:
        return Refusal(title, "Nothing changed.")
    return Plan(title, tuple(steps), request)


def _maintenance(request: ActionRequest, facts: PlanFacts) -> Plan | Refusal:
    kind = request.kind
    if kind is ActionKind.SET_GROUP_POLICY:
        return _policy(request, facts)
    ident = database_identity(facts, request.target)
    if kind is ActionKind.MOUNT_DATABASE:
        return _one(request, f"Mount {ident}", Shell.EMS, lambda: scripts.mount_database_command(ident))
    return _one(request, f"Dismount {ident}", Shell.EMS, lambda: scripts.dismount_database_command(ident))


def build_plan(request: ActionRequest, facts: PlanFacts) -> Plan | Refusal:
    """The plan for `request`, or why it will not be sent.  Never raises for hostile names."""
    kind = request.kind
    if kind in MAINTENANCE_KINDS:
        from ccrgui.remote.maintenance_plans import maintenance_plan

        return maintenance_plan(request, facts)
    if kind in (ActionKind.MOVE_GROUP, ActionKind.ONLINE_GROUP, ActionKind.OFFLINE_GROUP):
        return _group(facts, request)
    if kind is ActionKind.VALIDATE_MOVE_CMS:
        return _validate(facts, request, request.node or request.target)
    if kind is ActionKind.PAUSE_NODE:
        node = request.target
        return _one(request, f"Pause {node}", Shell.CMD, lambda: scripts.node_pause_line(node))
    if kind is ActionKind.RESUME_NODE:
        node = request.target
        return _one(request, f"Resume {node}", Shell.CMD, lambda: scripts.node_resume_line(node))
    if kind in (ActionKind.MOUNT_DATABASE, ActionKind.DISMOUNT_DATABASE, ActionKind.SET_GROUP_POLICY):
        return _maintenance(request, facts)
    ident = copy_identity(facts, request.target)
    if kind is ActionKind.SUSPEND_COPY:
        return _one(
            request,
            f"Suspend copy {ident}",
            Shell.EMS,
            lambda: scripts.suspend_copy_command(ident, request.text),
        )
    if kind is ActionKind.RESUME_COPY:
        return _one(request, f"Resume copy {ident}", Shell.EMS, lambda: scripts.resume_copy_command(ident))
    if kind is ActionKind.UPDATE_COPY:
        return _one(
            request, f"Update (reseed) copy {ident}", Shell.EMS, lambda: scripts.update_copy_command(ident)
        )
    raise ValueError(f"no plan for {kind}")


__all__ = [
    "PlanFacts",
    "build_plan",
    "cms_target",
    "copy_identity",
    "database_identity",
    "is_cms",
    "may_be_cms",
]
