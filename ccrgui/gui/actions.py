"""Which actions the selected item offers, and whether each is possible now (and why not).

Pure logic over the snapshot, shared by the context menu and the actions pane so both always
agree; tested without widgets.  A disabled action carries the reason shown as its tooltip.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccrgui.domain.model import ClusterSnapshot, Group, GroupState, NodeState
from ccrgui.gui.tree import ClusterEntry, ConnState, ItemRef, Kind

# Action ids: the window dispatches on these.
CONNECT = "cluster.connect"
REFRESH = "refresh"
EVENTS = "events"
DISCONNECT = "cluster.disconnect"
ONLINE = "group.online"
OFFLINE = "group.offline"
MOVE = "group.move"  # submenu; children carry target ("" = best possible node)
MOVE_TO = "group.move_to"
PROPERTIES = "group.properties"
PAUSE = "node.pause"
RESUME = "node.resume"
SUSPEND_COPY = "copy.suspend"
RESUME_COPY = "copy.resume"
EVENTS_FILTER = "events.filter"


@dataclass(frozen=True)
class ActionSpec:
    id: str
    text: str
    enabled: bool = True
    reason: str = ""  # why it is disabled (tooltip), or what it does
    target: str = ""  # the node of a "move to" entry
    children: tuple[ActionSpec, ...] = ()
    shortcut: str = ""


SEPARATOR = ActionSpec("-", "")


def _blocked(entry: ClusterEntry, busy: str) -> str:
    """Why no state-changing action can run on this cluster right now ("" if it can)."""
    if entry.state is not ConnState.CONNECTED or entry.snapshot is None:
        why = f": {entry.error}" if entry.error else ""
        return f"{entry.label} is {entry.state.value.lower()}{why}"
    if busy:
        return f"Wait until “{busy}” finishes on {entry.label}"
    return ""


def _spec(action_id: str, text: str, blocked: str, why_not: str = "", **kw: object) -> ActionSpec:
    reason = blocked or why_not
    return ActionSpec(action_id, text, not reason, reason, **kw)  # type: ignore[arg-type]


def actions_for(ref: ItemRef | None, entry: ClusterEntry | None, busy: str = "") -> list[ActionSpec]:
    """The actions for `ref` in menu order (SEPARATOR between blocks)."""
    if ref is None or ref.kind is Kind.ROOT or entry is None:
        return [ActionSpec(CONNECT, "Manage a Cluster…", shortcut="Ctrl+M")]
    refresh = ActionSpec(REFRESH, "Refresh", shortcut="F5")
    blocked = _blocked(entry, busy)
    snap = entry.snapshot
    reachable = "" if snap is not None else f"{entry.label} has not been read yet"
    if ref.kind is Kind.CLUSTER:
        return [
            _spec(EVENTS, "Show Critical Events", reachable),
            SEPARATOR,
            refresh,
            ActionSpec(DISCONNECT, f"Disconnect from {entry.label}"),
        ]
    if snap is None:
        return [refresh]
    if ref.kind is Kind.GROUP:
        g = snap.group(ref.name)
        if g is None:
            return [refresh]
        return [
            *_group_actions(g, snap, blocked),
            SEPARATOR,
            refresh,
            SEPARATOR,
            ActionSpec(PROPERTIES, "Properties", shortcut="Return"),
        ]
    if ref.kind is Kind.NODE:
        n = snap.node(ref.name)
        if n is None:
            return [refresh]
        pause_why = {
            NodeState.PAUSED: f"{n.name} is already paused",
            NodeState.DOWN: f"{n.name} is down",
            NodeState.JOINING: f"{n.name} is joining the cluster",
            NodeState.UNKNOWN: f"The state of {n.name} is unknown",
        }.get(n.state, "")
        resume_why = "" if n.state is NodeState.PAUSED else f"{n.name} is not paused ({n.state.value})"
        return [
            _spec(PAUSE, "Pause", blocked, pause_why),
            _spec(RESUME, "Resume", blocked, resume_why),
            SEPARATOR,
            ActionSpec(EVENTS, "Show Critical Events"),
            SEPARATOR,
            refresh,
        ]
    if ref.kind is Kind.COPY:
        c = next((c for c in snap.copies if c.storage_group.casefold() == ref.name.casefold()), None)
        if c is None:
            return [refresh]
        return [
            _spec(
                SUSPEND_COPY,
                "Suspend Storage Group Copy…",
                blocked,
                f"The copy of {c.storage_group} is already suspended" if c.suspended else "",
            ),
            _spec(
                RESUME_COPY,
                "Resume Storage Group Copy",
                blocked,
                "" if c.suspended or c.failed else f"The copy of {c.storage_group} is not suspended",
            ),
            SEPARATOR,
            refresh,
        ]
    if ref.kind is Kind.EVENTS:
        return [
            ActionSpec(EVENTS, "Show Critical Events"),
            ActionSpec(EVENTS_FILTER, "Filter Events…"),
            SEPARATOR,
            refresh,
        ]
    return [refresh]


def _group_actions(g: Group, snap: ClusterSnapshot, blocked: str) -> list[ActionSpec]:
    owner = snap.node(g.owner) if g.owner else None
    pending = f"{g.name} is changing state ({g.state.value})" if g.state.is_pending else ""
    online_why = pending or (f"{g.name} is already online" if g.state is GroupState.ONLINE else "")
    if not online_why and owner is not None and owner.state is NodeState.PAUSED:
        online_why = f"{owner.name} is paused: a paused node cannot bring groups online; move {g.name} first"
    if not online_why and owner is not None and owner.state is NodeState.DOWN:
        online_why = f"The owner node {owner.name} is down"
    offline_why = pending or (f"{g.name} is already offline" if g.state is GroupState.OFFLINE else "")
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
        targets.append(_spec(MOVE_TO, n.name, "", why, target=n.name))
    if g.is_cms:
        best = ActionSpec(
            MOVE_TO,
            "Best possible node",
            False,
            "Exchange moves a clustered mailbox server only to a named passive node",
        )
    else:
        best = _spec(
            MOVE_TO,
            "Best possible node",
            "",
            "" if any(t.enabled for t in targets) else "No other node can take it now",
        )
    move_why = pending or ("" if targets else f"{g.name} has no other node to move to")
    move = ActionSpec(
        MOVE,
        "Move this service or application to another node",
        not (blocked or move_why),
        blocked or move_why,
        children=(*targets, best),
    )
    return [
        _spec(ONLINE, "Bring this service or application online", blocked, online_why),
        _spec(OFFLINE, "Take this service or application offline", blocked, offline_why),
        move,
        SEPARATOR,
        ActionSpec(EVENTS, "Show the critical events for this application"),
    ]
