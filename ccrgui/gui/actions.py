"""Every action of the console as one piece of data, and which of them the selection offers.

A `ClusterAction` says what it is called, its icon, which tree items it applies to and whether
it is possible now (and if not, why: the tooltip), what its confirmation asks (impact, a comment
or reason, Validate only) and the `ActionRequest` the backend turns into a command plan.  The
context menu, the actions pane and the confirmation dialog are all generated from these objects
(`ccrgui.gui.window` has no per-action code).  Qt-free: tested without widgets.

Adding an action: one `ClusterAction` subclass here, registered in `CLUSTER_ACTIONS`; if it is a
new kind of command, an `ActionKind` (domain/plan.py) and its lines in remote/planner.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccrgui.domain.maintenance import GroupFailoverPolicy, MailboxDatabaseStatus
from ccrgui.domain.model import (
    READING_EXCHANGE,
    ClusterSnapshot,
    Group,
    GroupState,
    Node,
    NodeState,
    StorageGroupCopy,
)
from ccrgui.domain.plan import ActionKind, ActionRequest, Plan, Refusal
from ccrgui.domain.session_api import ClusterSession
from ccrgui.gui.state import ClusterEntry, ConnState, ItemRef, Kind

# Window commands (not cluster actions): the window runs these itself.
CONNECT = "cluster.connect"
REFRESH = "refresh"
EVENTS = "events"
DISCONNECT = "cluster.disconnect"
PROPERTIES = "group.properties"
EVENTS_FILTER = "events.filter"
# Cluster actions (ids of the objects in CLUSTER_ACTIONS).
ONLINE = "group.online"
OFFLINE = "group.offline"
MOVE = "group.move"  # submenu; children carry target ("" = best possible node)
MOVE_TO = "group.move_to"
PAUSE = "node.pause"
RESUME = "node.resume"
SUSPEND_COPY = "copy.suspend"
RESUME_COPY = "copy.resume"
UPDATE_COPY = "copy.update"
STOP_CLUSSVC = "node.stop_clussvc"
START_CLUSSVC = "node.start_clussvc"
RESTART_NODE = "node.restart"
MOVE_CORE = "cluster.move_core"  # submenu: Cluster Group (the core cluster resources)
MOVE_CORE_TO = "cluster.move_core_to"
MOVE_STORAGE = "storage.move"  # submenu: Available Storage
MOVE_STORAGE_TO = "storage.move_to"
UPGRADE = "cluster.upgrade"  # window command: opens the upgrade wizard (gui/upgrade_wizard.py)
MOUNT_DB = "database.mount"  # submenus; children carry the database identity as target
MOUNT_DB_ONE = "database.mount_one"
DISMOUNT_DB = "database.dismount"
DISMOUNT_DB_ONE = "database.dismount_one"
GROUP_POLICY = "group.policy"  # opens the editable properties, then confirms the plan


@dataclass(frozen=True)
class ActionSpec:
    """One menu entry / actions-pane link as it stands for the selection."""

    id: str
    text: str
    enabled: bool = True
    reason: str = ""  # why it is disabled (tooltip), or what it does
    target: str = ""  # the node of a "move to" entry
    children: tuple[ActionSpec, ...] = ()
    shortcut: str = ""
    icon: str = ""


SEPARATOR = ActionSpec("-", "")


@dataclass(frozen=True)
class Selection:
    """The tree item an action is asked for, with its cluster's state."""

    ref: ItemRef
    entry: ClusterEntry
    busy: str = ""

    @property
    def snapshot(self) -> ClusterSnapshot | None:
        return self.entry.snapshot

    @property
    def blocked(self) -> str:
        """Why no state-changing action can run on this cluster right now ("" if it can)."""
        e = self.entry
        if e.state is not ConnState.CONNECTED or e.snapshot is None:
            why = f": {e.error}" if e.error else ""
            return f"{e.label} is {e.state.value.lower()}{why}"
        if self.busy:
            return f"Wait until “{self.busy}” finishes on {e.label}"
        g = e.snapshot.group(self.ref.name) if self.ref.kind is Kind.GROUP else None
        if e.snapshot.reading_exchange and g is not None and not (g.is_core or g.is_storage or g.is_cms):
            return f"{e.label}: {READING_EXCHANGE} (is {g.name} the clustered mailbox server? not yet known)"
        return ""

    @property
    def entry_blocked(self) -> str:
        """Why the cluster cannot be worked on at all (not connected); busy does not count."""
        e = self.entry
        if e.state is not ConnState.CONNECTED or e.snapshot is None:
            return f"{e.label} is {e.state.value.lower()}" + (f": {e.error}" if e.error else "")
        return ""

    @property
    def target_path(self) -> str:
        """What the operations log names as the target: CLUSTER\\object."""
        name = self.ref.name
        if self.snapshot is not None and self.ref.kind is Kind.GROUP:
            g = self.snapshot.group(name)
            name = g.name if g else name
        return f"{self.entry.label}\\{name}" if name else self.entry.label


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation dialog says and asks before the plan runs."""

    title: str
    impact: str
    accept_text: str
    input_label: str = ""  # a required text (move comment, stop reason); "" for none
    offer_validate_only: bool = False


@dataclass(frozen=True)
class Inputs:
    """What the admin entered in the confirmation dialog."""

    text: str = ""
    validate_only: bool = False
    policy: GroupFailoverPolicy | None = None  # from the properties editor (GROUP_POLICY)


class ClusterAction:
    """Base of every cluster action.  Subclasses set the class attributes and override
    `specs` (applies-to + reason), `confirmation` and `request`."""

    id: str = ""
    label: str = ""
    icon: str = ""
    kinds: tuple[Kind, ...] = ()
    child_id: str = ""  # the id of its submenu entries, if it has any
    edits_policy: bool = False  # the window opens the properties editor before confirming

    def specs(self, sel: Selection) -> list[ActionSpec]:
        """The menu entries for `sel` (usually one); empty when it does not apply."""
        return []

    def confirmation(self, sel: Selection, spec: ActionSpec) -> Confirmation | None:
        """None: runs without a question (harmless or easily undone)."""
        return None

    def request(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> ActionRequest:
        raise NotImplementedError

    def plan(
        self, session: ClusterSession, sel: Selection, spec: ActionSpec, inputs: Inputs
    ) -> Plan | Refusal:
        """The command plan the backend builds for this action (shown, logged and run)."""
        return session.plan(self.request(sel, spec, inputs))

    def log_label(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> str:
        return f"{self.label} {sel.ref.name}"

    def success_message(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> str:
        """A message box after success ("" for none; the log and the refresh show the rest)."""
        return ""

    def _spec(self, sel: Selection, why_not: str = "", **kw: object) -> ActionSpec:
        reason = sel.blocked or why_not
        return ActionSpec(self.id, self.label, not reason, reason, icon=self.icon, **kw)  # type: ignore[arg-type]


def _group(sel: Selection) -> Group | None:
    snap = sel.snapshot
    return snap.group(sel.ref.name) if snap is not None else None


def _pending(g: Group) -> str:
    return f"{g.name} is changing state ({g.state.value})" if g.state.is_pending else ""


class BringOnline(ClusterAction):
    id, label, icon, kinds = ONLINE, "Bring this service or application online", "online", (Kind.GROUP,)

    def specs(self, sel: Selection) -> list[ActionSpec]:
        g, snap = _group(sel), sel.snapshot
        if g is None or snap is None:
            return []
        owner = snap.node(g.owner) if g.owner else None
        why = _pending(g) or (f"{g.name} is already online" if g.state is GroupState.ONLINE else "")
        if not why and owner is not None and owner.state is NodeState.PAUSED:
            why = f"{owner.name} is paused: a paused node cannot bring groups online; move {g.name} first"
        if not why and owner is not None and owner.state is NodeState.DOWN:
            why = f"The owner node {owner.name} is down"
        return [self._spec(sel, why)]

    def request(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> ActionRequest:
        return ActionRequest(ActionKind.ONLINE_GROUP, sel.ref.name)

    def log_label(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> str:
        return f"Bring {sel.ref.name} online"


class TakeOffline(ClusterAction):
    id, label, icon, kinds = OFFLINE, "Take this service or application offline", "offline", (Kind.GROUP,)

    def specs(self, sel: Selection) -> list[ActionSpec]:
        g = _group(sel)
        if g is None:
            return []
        why = _pending(g) or (f"{g.name} is already offline" if g.state is GroupState.OFFLINE else "")
        return [self._spec(sel, why)]

    def confirmation(self, sel: Selection, spec: ActionSpec) -> Confirmation:
        g = _group(sel)
        name = g.name if g else sel.ref.name
        if g is not None and g.is_cms:
            impact = (
                f"Users of {name} lose mail access until it is brought online again. The Exchange "
                f"services of the clustered mailbox server stop on {g.owner}."
            )
        else:
            impact = f"Clients of {name} lose access to its services until it is brought online again."
        cms = g is not None and g.is_cms
        return Confirmation(f"Take {name} offline", impact, "Take Offline", "Stop reason:" if cms else "")

    def request(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> ActionRequest:
        return ActionRequest(ActionKind.OFFLINE_GROUP, sel.ref.name, text=inputs.text)

    def log_label(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> str:
        return f"Take {sel.ref.name} offline"


class MoveGroup(ClusterAction):
    """A submenu: one entry per other node, plus "Best possible node"."""

    id, label, icon, kinds = MOVE, "Move this service or application to another node", "group", (Kind.GROUP,)

    def specs(self, sel: Selection) -> list[ActionSpec]:
        g, snap = _group(sel), sel.snapshot
        if g is None or snap is None:
            return []
        targets = []
        for n in snap.nodes:
            if n.name.casefold() == g.owner.casefold():
                continue
            why = {
                NodeState.PAUSED: f"{n.name} is paused: groups cannot be moved to a paused node",
                NodeState.DOWN: f"{n.name} is down",
                NodeState.JOINING: f"{n.name} is still joining the cluster",
                NodeState.UNKNOWN: f"The state of {n.name} is unknown",
            }.get(n.state, "")
            if not why and g.is_cms and snap.cms is not None and snap.cms.operational_machines:
                machines = [m.split("<")[0].strip().casefold() for m in snap.cms.operational_machines]
                if n.name.casefold() not in machines:
                    why = f"{n.name} is not a CCR node of {g.name} (not among its operational machines)"
            targets.append(ActionSpec(MOVE_TO, n.name, not why, why, target=n.name))
        if g.is_cms:
            best = ActionSpec(
                MOVE_TO,
                "Best possible node",
                False,
                "Exchange moves a clustered mailbox server only to a named passive node",
            )
        else:
            why = "" if any(t.enabled for t in targets) else "No other node can take it now"
            best = ActionSpec(MOVE_TO, "Best possible node", not why, why)
        why = sel.blocked or _pending(g) or ("" if targets else f"{g.name} has no other node to move to")
        return [ActionSpec(MOVE, self.label, not why, why, children=(*targets, best), icon=self.icon)]

    def confirmation(self, sel: Selection, spec: ActionSpec) -> Confirmation:
        g = _group(sel)
        name, owner = (g.name, g.owner) if g else (sel.ref.name, "?")
        where = spec.target or "the best possible node"
        cms = g is not None and g.is_cms
        if cms:
            impact = (
                f"Users of {name} lose mail access during the move from {owner} to {where} "
                f"(usually a minute or two), and running backups of its storage groups stop."
            )
        else:
            impact = f"Clients of {name} lose access to its services during the move from {owner} to {where}."
        return Confirmation(
            f"Move {name}",
            impact,
            "Move",
            "Move comment:" if cms else "",
            offer_validate_only=cms and bool(spec.target),
        )

    def request(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> ActionRequest:
        return ActionRequest(
            ActionKind.MOVE_GROUP,
            sel.ref.name,
            spec.target or None,
            inputs.text,
            validate_only=inputs.validate_only and bool(spec.target),
        )

    def log_label(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> str:
        if inputs.validate_only and spec.target:
            return f"Validate moving {sel.ref.name} to {spec.target}"
        return f"Move {sel.ref.name} to {spec.target or 'the best possible node'}"

    def success_message(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> str:
        if inputs.validate_only and spec.target:
            return f"{sel.ref.name} can be moved to {spec.target}."
        return ""


def _node_why(sel: Selection) -> tuple[str, str] | None:
    snap = sel.snapshot
    n = snap.node(sel.ref.name) if snap is not None else None
    if n is None:
        return None
    pause_why = {
        NodeState.PAUSED: f"{n.name} is already paused",
        NodeState.DOWN: f"{n.name} is down",
        NodeState.JOINING: f"{n.name} is joining the cluster",
        NodeState.UNKNOWN: f"The state of {n.name} is unknown",
    }.get(n.state, "")
    resume_why = "" if n.state is NodeState.PAUSED else f"{n.name} is not paused ({n.state.value})"
    return pause_why, resume_why


class PauseNode(ClusterAction):
    id, label, icon, kinds = PAUSE, "Pause", "paused", (Kind.NODE,)

    def specs(self, sel: Selection) -> list[ActionSpec]:
        why = _node_why(sel)
        return [] if why is None else [self._spec(sel, why[0])]

    def request(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> ActionRequest:
        return ActionRequest(ActionKind.PAUSE_NODE, sel.ref.name)


class ResumeNode(ClusterAction):
    id, label, icon, kinds = RESUME, "Resume", "up", (Kind.NODE,)

    def specs(self, sel: Selection) -> list[ActionSpec]:
        why = _node_why(sel)
        return [] if why is None else [self._spec(sel, why[1])]

    def request(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> ActionRequest:
        return ActionRequest(ActionKind.RESUME_NODE, sel.ref.name)


def _copy(sel: Selection) -> StorageGroupCopy | None:
    snap = sel.snapshot
    name = sel.ref.name.casefold()
    return next((c for c in snap.copies if c.storage_group.casefold() == name), None) if snap else None


class SuspendCopy(ClusterAction):
    id, label, icon, kinds = SUSPEND_COPY, "Suspend Storage Group Copy…", "paused", (Kind.COPY,)

    def specs(self, sel: Selection) -> list[ActionSpec]:
        c = _copy(sel)
        if c is None:
            return []
        return [self._spec(sel, f"The copy of {c.storage_group} is already suspended" if c.suspended else "")]

    def confirmation(self, sel: Selection, spec: ActionSpec) -> Confirmation:
        sg = sel.ref.name
        return Confirmation(
            f"Suspend copy of {sg}",
            f"The passive copy of {sg} stops receiving logs until resumed; a failover now could lose data.",
            "Suspend",
            "Suspend comment:",
        )

    def request(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> ActionRequest:
        return ActionRequest(ActionKind.SUSPEND_COPY, sel.ref.name, text=inputs.text)

    def log_label(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> str:
        return f"Suspend copy of {sel.ref.name}"


class ResumeCopy(ClusterAction):
    id, label, icon, kinds = RESUME_COPY, "Resume Storage Group Copy", "replication", (Kind.COPY,)

    def specs(self, sel: Selection) -> list[ActionSpec]:
        c = _copy(sel)
        if c is None:
            return []
        why = "" if c.suspended or c.failed else f"The copy of {c.storage_group} is not suspended"
        return [self._spec(sel, why)]

    def request(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> ActionRequest:
        return ActionRequest(ActionKind.RESUME_COPY, sel.ref.name)

    def log_label(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> str:
        return f"Resume copy of {sel.ref.name}"


class UpdateCopy(ClusterAction):
    """Reseed: Update-StorageGroupCopy -Force copies the database again from the active node."""

    id, label, icon, kinds = UPDATE_COPY, "Update Storage Group Copy (Reseed)…", "replication", (Kind.COPY,)

    def specs(self, sel: Selection) -> list[ActionSpec]:
        c = _copy(sel)
        if c is None:
            return []
        why = (
            ""
            if c.suspended or c.failed
            else f"Suspend the copy of {c.storage_group} first: only a suspended or failed copy is reseeded"
        )
        return [self._spec(sel, why)]

    def confirmation(self, sel: Selection, spec: ActionSpec) -> Confirmation:
        sg = sel.ref.name
        return Confirmation(
            f"Update copy of {sg}",
            f"The passive copy of {sg} is deleted and seeded again from the active copy (-Force): "
            "the whole database crosses the network, which can take hours; until it finishes there is "
            "no usable passive copy.",
            "Update (Reseed)",
        )

    def request(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> ActionRequest:
        return ActionRequest(ActionKind.UPDATE_COPY, sel.ref.name)

    def log_label(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> str:
        return f"Update (reseed) copy of {sel.ref.name}"


def _node(sel: Selection) -> Node | None:
    snap = sel.snapshot
    return snap.node(sel.ref.name) if snap is not None else None


def _runs_cms(sel: Selection, node: Node) -> str:
    """Why a node that runs the clustered mailbox server must not lose its cluster service."""
    snap = sel.snapshot
    active = snap.cms.active_node if snap is not None and snap.cms is not None else ""
    if active and active.casefold() == node.name.casefold():
        return (
            f"{node.name} runs the clustered mailbox server: move it to the other node first "
            "(it must fail over through Exchange, not because its node left)"
        )
    return ""


class StopClusterService(ClusterAction):
    id, label, icon, kinds = STOP_CLUSSVC, "Stop Cluster Service", "offline", (Kind.NODE,)

    def specs(self, sel: Selection) -> list[ActionSpec]:
        n = _node(sel)
        if n is None:
            return []
        running = n.state in (NodeState.UP, NodeState.PAUSED)
        why = "" if running else f"The cluster service of {n.name} is not running"
        return [self._spec(sel, why or _runs_cms(sel, n))]

    def confirmation(self, sel: Selection, spec: ActionSpec) -> Confirmation:
        node = sel.ref.name
        return Confirmation(
            f"Stop the cluster service on {node}",
            f"{node} leaves the cluster: the groups it owns move to the other node, and the cluster "
            "loses a vote until the service is started again.",
            "Stop Cluster Service",
        )

    def request(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> ActionRequest:
        return ActionRequest(ActionKind.STOP_CLUSTER_SERVICE, sel.ref.name)


class StartClusterService(ClusterAction):
    id, label, icon, kinds = START_CLUSSVC, "Start Cluster Service", "up", (Kind.NODE,)

    def specs(self, sel: Selection) -> list[ActionSpec]:
        n = _node(sel)
        if n is None:
            return []
        down = n.state is NodeState.DOWN
        why = "" if down else f"The cluster service of {n.name} is running ({n.state.value})"
        return [self._spec(sel, why)]

    def request(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> ActionRequest:
        return ActionRequest(ActionKind.START_CLUSTER_SERVICE, sel.ref.name)


class RestartNode(ClusterAction):
    """shutdown /r on the node, then wait until it is Up again after a newer boot."""

    id, label, icon, kinds = RESTART_NODE, "Restart the node…", "node", (Kind.NODE,)

    def specs(self, sel: Selection) -> list[ActionSpec]:
        n = _node(sel)
        if n is None:
            return []
        why = "" if n.state in (NodeState.UP, NodeState.PAUSED) and n.reachable else f"{n.name} is not Up"
        return [self._spec(sel, why or _runs_cms(sel, n))]

    def confirmation(self, sel: Selection, spec: ActionSpec) -> Confirmation:
        node = sel.ref.name
        return Confirmation(
            f"Restart {node}",
            f"Windows restarts on {node}: the groups it owns move to the other node; the console waits "
            "until the node is Up again with its cluster service running.",
            "Restart",
        )

    def request(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> ActionRequest:
        return ActionRequest(ActionKind.RESTART_NODE, sel.ref.name)

    def log_label(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> str:
        return f"Restart {sel.ref.name}"


class MoveSpecialGroup(ClusterAction):
    """Cluster Group / Available Storage: not under Services and Applications (as in FCM), moved
    from the cluster (core resources) and the Storage item; the rolling upgrade moves them off the
    node it patches."""

    child_id = ""
    core = True

    def _group(self, sel: Selection) -> Group | None:
        snap = sel.snapshot
        if snap is None:
            return None
        return next((g for g in snap.groups if (g.is_core if self.core else g.is_storage)), None)

    def specs(self, sel: Selection) -> list[ActionSpec]:
        g, snap = self._group(sel), sel.snapshot
        if g is None or snap is None:
            return []
        targets = []
        for n in snap.nodes:
            if n.name.casefold() == g.owner.casefold():
                continue
            why = "" if n.state is NodeState.UP else f"{n.name} is {n.state.value.lower()}"
            targets.append(ActionSpec(self.child_id, n.name, not why, why, target=n.name))
        why = sel.blocked or _pending(g) or ("" if targets else f"{g.name} has no other node to move to")
        label = f"{self.label} (now on {g.owner})" if g.owner else self.label
        return [ActionSpec(self.id, label, not why, why, children=tuple(targets), icon=self.icon)]

    def confirmation(self, sel: Selection, spec: ActionSpec) -> Confirmation:
        g = self._group(sel)
        name = g.name if g else "the group"
        impact = (
            f"{name} goes offline on {g.owner if g else '?'} and online on {spec.target}: the cluster "
            "name and address are unavailable for a few seconds (mail service is not affected)."
            if self.core
            else f"The disks in {name} go offline and come online on {spec.target}."
        )
        return Confirmation(f"Move {name}", impact, "Move")

    def request(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> ActionRequest:
        g = self._group(sel)
        return ActionRequest(ActionKind.MOVE_GROUP, g.name if g else "", spec.target or None)

    def log_label(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> str:
        g = self._group(sel)
        return f"Move {g.name if g else '?'} to {spec.target}"


class MoveCoreGroup(MoveSpecialGroup):
    id, label, icon, kinds = MOVE_CORE, "Move Core Cluster Resources", "cluster", (Kind.CLUSTER,)
    child_id, core = MOVE_CORE_TO, True


class MoveAvailableStorage(MoveSpecialGroup):
    id, label, icon, kinds = MOVE_STORAGE, "Move Available Storage", "storage", (Kind.STORAGE,)
    child_id, core = MOVE_STORAGE_TO, False


def _cms_databases(sel: Selection) -> list[MailboxDatabaseStatus]:
    g, snap = _group(sel), sel.snapshot
    if g is None or snap is None or not g.is_cms:
        return []
    return list(snap.databases)


class _DatabaseAction(ClusterAction):
    """A submenu on the clustered mailbox server: one entry per database (Get-MailboxDatabase -Status)."""

    mount = True
    kinds = (Kind.GROUP,)

    def specs(self, sel: Selection) -> list[ActionSpec]:
        dbs = _cms_databases(sel)
        if not dbs:
            return []
        g = _group(sel)
        assert g is not None
        children = []
        for d in dbs:
            why = ""
            if d.mounted is None:
                why = f"The mount state of {d.name} is not known"
            elif d.mounted == self.mount:
                why = f"{d.name} is already {'mounted' if d.mounted else 'dismounted'}"
            elif self.mount and g.state is not GroupState.ONLINE:
                why = f"{g.name} is {g.state.value.lower()}: a database mounts only while it is online"
            ident = d.identity or f"{d.storage_group}\\{d.name}"
            children.append(
                ActionSpec(self.child_id, f"{d.storage_group_name}\\{d.name}", not why, why, target=ident)
            )
        why = sel.blocked or ("" if any(c.enabled for c in children) else "No database can be " + self._verb)
        return [ActionSpec(self.id, self.label, not why, why, children=tuple(children), icon=self.icon)]

    @property
    def _verb(self) -> str:
        return "mounted" if self.mount else "dismounted"

    def request(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> ActionRequest:
        kind = ActionKind.MOUNT_DATABASE if self.mount else ActionKind.DISMOUNT_DATABASE
        return ActionRequest(kind, spec.target)

    def log_label(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> str:
        return f"{'Mount' if self.mount else 'Dismount'} {spec.target}"


class MountDatabase(_DatabaseAction):
    id, child_id, label, icon, mount = MOUNT_DB, MOUNT_DB_ONE, "Mount Database", "online", True

    def confirmation(self, sel: Selection, spec: ActionSpec) -> Confirmation:
        return Confirmation(
            f"Mount {spec.text}",
            f"The store mounts {spec.target} on the active node; its users get mail access again.",
            "Mount",
        )


class DismountDatabase(_DatabaseAction):
    id, child_id, label, icon, mount = DISMOUNT_DB, DISMOUNT_DB_ONE, "Dismount Database", "offline", False

    def confirmation(self, sel: Selection, spec: ActionSpec) -> Confirmation:
        return Confirmation(
            f"Dismount {spec.text}",
            f"Users of mailboxes in {spec.target} lose mail access until it is mounted again; "
            "backups of it stop.",
            "Dismount",
        )


class EditGroupPolicy(ClusterAction):
    """Preferred owners, failover threshold and period, failback: edited in the properties dialog,
    then confirmed with the cluster.exe lines that will run."""

    id, label, icon, kinds = GROUP_POLICY, "Failover and Failback Properties…", "group", (Kind.GROUP,)
    edits_policy = True

    def specs(self, sel: Selection) -> list[ActionSpec]:
        g, snap = _group(sel), sel.snapshot
        if g is None or snap is None:
            return []
        read = snap.policy(g.name) is not None
        why = "" if read else f"The failover properties of {g.name} are not read yet"
        return [self._spec(sel, why)]

    def confirmation(self, sel: Selection, spec: ActionSpec) -> Confirmation:
        g = _group(sel)
        name = g.name if g else sel.ref.name
        return Confirmation(
            f"Change the properties of {name}",
            f"The cluster uses the new preferred owners and failover/failback settings of {name} at its "
            "next failover or failback; nothing moves now.",
            "Apply",
        )

    def request(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> ActionRequest:
        return ActionRequest(ActionKind.SET_GROUP_POLICY, sel.ref.name, policy=inputs.policy)

    def log_label(self, sel: Selection, spec: ActionSpec, inputs: Inputs) -> str:
        return f"Change the failover properties of {sel.ref.name}"


# The registry, in menu order per kind.
CLUSTER_ACTIONS: tuple[ClusterAction, ...] = (
    BringOnline(),
    TakeOffline(),
    MoveGroup(),
    PauseNode(),
    ResumeNode(),
    SuspendCopy(),
    ResumeCopy(),
    UpdateCopy(),
    StopClusterService(),
    StartClusterService(),
    RestartNode(),
    MoveCoreGroup(),
    MoveAvailableStorage(),
    MountDatabase(),
    DismountDatabase(),
    EditGroupPolicy(),
)
_BY_ID = {a.id: a for a in CLUSTER_ACTIONS} | {MOVE_TO: CLUSTER_ACTIONS[2]}
_BY_ID |= {a.child_id: a for a in CLUSTER_ACTIONS if a.child_id}


def cluster_action(action_id: str) -> ClusterAction | None:
    """The action object behind a spec id (MOVE_TO entries belong to the move action)."""
    return _BY_ID.get(action_id)


# Icons of the window commands (cluster actions carry their own).
COMMAND_ICONS = {
    EVENTS: "events",
    EVENTS_FILTER: "events",
    CONNECT: "cluster",
    DISCONNECT: "offline",
    UPGRADE: "exchange",
}
UPGRADE_TEXT = "Upgrade Exchange on this cluster…"


def _upgrade(sel: Selection) -> ActionSpec:
    snap = sel.snapshot
    why = sel.entry_blocked if snap is not None else f"{sel.entry.label} has not been read yet"
    if not why and (snap is None or snap.cms is None):
        why = "No Exchange clustered mailbox server was found on this cluster"
    return _cmd(UPGRADE, UPGRADE_TEXT, not why, why or "Rolling service-pack or update-rollup upgrade")


def _cmd(action_id: str, text: str, enabled: bool = True, reason: str = "", shortcut: str = "") -> ActionSpec:
    icon = COMMAND_ICONS.get(action_id, "")
    return ActionSpec(action_id, text, enabled, reason, shortcut=shortcut, icon=icon)


def _registered(sel: Selection) -> list[ActionSpec]:
    return [s for a in CLUSTER_ACTIONS if sel.ref.kind in a.kinds for s in a.specs(sel)]


def actions_for(ref: ItemRef | None, entry: ClusterEntry | None, busy: str = "") -> list[ActionSpec]:
    """The actions for `ref` in menu order (SEPARATOR between blocks)."""
    if ref is None or ref.kind is Kind.ROOT or entry is None:
        return [_cmd(CONNECT, "Manage a Cluster…", shortcut="Ctrl+M")]
    refresh = _cmd(REFRESH, "Refresh", shortcut="F5")
    snap = entry.snapshot
    sel = Selection(ref, entry, busy)
    if ref.kind is Kind.CLUSTER:
        reachable = "" if snap is not None else f"{entry.label} has not been read yet"
        return [
            _cmd(EVENTS, "Show Critical Events", not reachable, reachable),
            _upgrade(sel),
            *(_registered(sel) if snap is not None else []),
            SEPARATOR,
            refresh,
            _cmd(DISCONNECT, f"Disconnect from {entry.label}"),
        ]
    if snap is None:
        return [refresh]
    registered = _registered(sel)
    if ref.kind is Kind.GROUP:
        if not registered:
            return [refresh]
        group = snap.group(ref.name)
        upgrade = [_upgrade(sel)] if group is not None and group.is_cms else []
        return [
            *registered,
            *upgrade,
            SEPARATOR,
            _cmd(EVENTS, "Show the critical events for this application"),
            SEPARATOR,
            refresh,
            SEPARATOR,
            _cmd(PROPERTIES, "Properties", shortcut="Return"),
        ]
    if ref.kind is Kind.NODE:
        if not registered:
            return [refresh]
        return [*registered, SEPARATOR, _cmd(EVENTS, "Show Critical Events"), SEPARATOR, refresh]
    if ref.kind is Kind.EVENTS:
        return [
            _cmd(EVENTS, "Show Critical Events"),
            _cmd(EVENTS_FILTER, "Filter Events…"),
            SEPARATOR,
            refresh,
        ]
    if registered:
        return [*registered, SEPARATOR, refresh]
    return [refresh]


__all__ = [
    "CLUSTER_ACTIONS",
    "SEPARATOR",
    "ActionSpec",
    "ClusterAction",
    "Confirmation",
    "Inputs",
    "Selection",
    "actions_for",
    "cluster_action",
]
