"""Which actions are enabled for each item and state, and the reasons shown when they are not."""

from __future__ import annotations

from ccrgui.domain.model import GroupState, NodeState
from ccrgui.gui import actions as A
from ccrgui.gui.tree import ClusterEntry, ConnState, ItemRef, Kind
from tests.gui.fakes import make_snapshot


def entry(state: ConnState = ConnState.CONNECTED, **kw: object) -> ClusterEntry:
    return ClusterEntry("c", "EXCLUS1", state, make_snapshot(**kw), "")  # type: ignore[arg-type]


def by_id(specs: list[A.ActionSpec]) -> dict[str, A.ActionSpec]:
    return {s.id: s for s in specs if s.id != A.MOVE_TO}


def test_online_cms_actions() -> None:
    acts = by_id(A.actions_for(ItemRef("c", Kind.GROUP, "EXCH1"), entry()))
    assert not acts[A.ONLINE].enabled and "already online" in acts[A.ONLINE].reason
    assert acts[A.OFFLINE].enabled
    move = acts[A.MOVE]
    assert move.enabled
    assert [(c.text, c.enabled) for c in move.children] == [("EXNODE2", True), ("Best possible node", False)]
    assert acts[A.PROPERTIES].shortcut == "Return"
    assert {A.EVENTS, A.REFRESH} <= set(acts)


def test_paused_or_down_target_is_disabled_with_reason() -> None:
    acts = by_id(
        A.actions_for(ItemRef("c", Kind.GROUP, "EXCH1"), entry(node_states=(NodeState.UP, NodeState.PAUSED)))
    )
    target = acts[A.MOVE].children[0]
    assert (
        not target.enabled and target.reason == "EXNODE2 is paused: groups cannot be moved to a paused node"
    )
    acts = by_id(
        A.actions_for(ItemRef("c", Kind.GROUP, "EXCH1"), entry(node_states=(NodeState.UP, NodeState.DOWN)))
    )
    assert acts[A.MOVE].children[0].reason == "EXNODE2 is down"


def test_offline_group_on_paused_owner_cannot_come_online() -> None:
    e = entry(cms_state=GroupState.OFFLINE, node_states=(NodeState.PAUSED, NodeState.UP))
    acts = by_id(A.actions_for(ItemRef("c", Kind.GROUP, "EXCH1"), e))
    assert not acts[A.ONLINE].enabled and "EXNODE1 is paused" in acts[A.ONLINE].reason
    assert not acts[A.OFFLINE].enabled and acts[A.OFFLINE].reason == "EXCH1 is already offline"


def test_pending_group_and_busy_cluster() -> None:
    acts = by_id(A.actions_for(ItemRef("c", Kind.GROUP, "EXCH1"), entry(cms_state=GroupState.ONLINE_PENDING)))
    assert not acts[A.OFFLINE].enabled and "changing state" in acts[A.OFFLINE].reason
    busy = by_id(A.actions_for(ItemRef("c", Kind.GROUP, "EXCH1"), entry(), busy="Move EXCH1"))
    assert not busy[A.OFFLINE].enabled and "Move EXCH1" in busy[A.OFFLINE].reason
    assert not busy[A.MOVE].enabled
    assert busy[A.REFRESH].enabled and busy[A.EVENTS].enabled


def test_generic_group_can_use_best_possible_node() -> None:
    acts = by_id(A.actions_for(ItemRef("c", Kind.GROUP, "Print"), entry(extra_groups=("Print",))))
    assert [(c.text, c.target, c.enabled) for c in acts[A.MOVE].children] == [
        ("EXNODE1", "EXNODE1", True),
        ("Best possible node", "", True),
    ]


def test_node_pause_resume() -> None:
    up = by_id(A.actions_for(ItemRef("c", Kind.NODE, "EXNODE2"), entry()))
    assert up[A.PAUSE].enabled and not up[A.RESUME].enabled and "not paused" in up[A.RESUME].reason
    paused = by_id(
        A.actions_for(ItemRef("c", Kind.NODE, "EXNODE2"), entry(node_states=(NodeState.UP, NodeState.PAUSED)))
    )
    assert not paused[A.PAUSE].enabled and paused[A.RESUME].enabled
    down = by_id(
        A.actions_for(ItemRef("c", Kind.NODE, "EXNODE2"), entry(node_states=(NodeState.UP, NodeState.DOWN)))
    )
    assert not down[A.PAUSE].enabled and down[A.PAUSE].reason == "EXNODE2 is down"


def test_cluster_and_unreachable() -> None:
    acts = by_id(A.actions_for(ItemRef("c", Kind.CLUSTER), entry()))
    assert set(acts) == {A.EVENTS, A.UPGRADE, A.MOVE_CORE, A.REFRESH, A.DISCONNECT, "-"}
    gone = ClusterEntry("c", "EXCLUS1", ConnState.UNREACHABLE, make_snapshot(), "timed out")
    acts = by_id(A.actions_for(ItemRef("c", Kind.GROUP, "EXCH1"), gone))
    assert not acts[A.OFFLINE].enabled and acts[A.OFFLINE].reason == "EXCLUS1 is unreachable: timed out"
    assert A.actions_for(None, None)[0].id == A.CONNECT


def test_storage_group_copy_actions() -> None:
    import dataclasses

    e = entry()
    acts = by_id(A.actions_for(ItemRef("c", Kind.COPY, "First Storage Group"), e))
    assert acts[A.SUSPEND_COPY].enabled and not acts[A.RESUME_COPY].enabled
    snap = e.snapshot
    assert snap is not None
    copies = tuple(dataclasses.replace(c, suspended=True, status=c.status) for c in snap.copies)
    suspended = dataclasses.replace(e, snapshot=dataclasses.replace(snap, copies=copies))
    acts = by_id(A.actions_for(ItemRef("c", Kind.COPY, "First Storage Group"), suspended))
    assert not acts[A.SUSPEND_COPY].enabled and acts[A.RESUME_COPY].enabled


def test_update_copy_reseed_needs_a_suspended_copy() -> None:
    import dataclasses

    e = entry()
    acts = by_id(A.actions_for(ItemRef("c", Kind.COPY, "First Storage Group"), e))
    assert not acts[A.UPDATE_COPY].enabled and "Suspend the copy" in acts[A.UPDATE_COPY].reason
    snap = e.snapshot
    assert snap is not None
    copies = tuple(dataclasses.replace(c, suspended=True) for c in snap.copies)
    suspended = dataclasses.replace(e, snapshot=dataclasses.replace(snap, copies=copies))
    acts = by_id(A.actions_for(ItemRef("c", Kind.COPY, "First Storage Group"), suspended))
    assert acts[A.UPDATE_COPY].enabled and acts[A.UPDATE_COPY].text == "Update Storage Group Copy (Reseed)…"
    busy = by_id(A.actions_for(ItemRef("c", Kind.COPY, "First Storage Group"), suspended, busy="Move"))
    assert not busy[A.UPDATE_COPY].enabled


def test_every_registered_action_has_an_id_label_icon_and_kind() -> None:
    ids = [a.id for a in A.CLUSTER_ACTIONS]
    assert len(ids) == len(set(ids))
    for action in A.CLUSTER_ACTIONS:
        assert action.id and action.label and action.icon and action.kinds, action
        assert A.cluster_action(action.id) is action


def test_upgrade_entry_on_the_cluster_and_the_cms_only() -> None:
    e = entry()
    cluster = by_id(A.actions_for(ItemRef("c", Kind.CLUSTER), e))
    assert cluster[A.UPGRADE].enabled and cluster[A.UPGRADE].text == "Upgrade Exchange on this cluster…"
    assert by_id(A.actions_for(ItemRef("c", Kind.GROUP, "EXCH1"), e))[A.UPGRADE].enabled
    assert A.UPGRADE not in by_id(
        A.actions_for(ItemRef("c", Kind.GROUP, "Print"), entry(extra_groups=("Print",)))
    )
    gone = ClusterEntry("c", "EXCLUS1", ConnState.UNREACHABLE, make_snapshot(), "timed out")
    acts = by_id(A.actions_for(ItemRef("c", Kind.CLUSTER), gone))
    assert not acts[A.UPGRADE].enabled and acts[A.UPGRADE].reason == "EXCLUS1 is unreachable: timed out"


def test_node_maintenance_actions() -> None:
    from ccrgui.domain.plan import ActionKind

    passive = by_id(A.actions_for(ItemRef("c", Kind.NODE, "EXNODE2"), entry()))
    assert passive[A.STOP_CLUSSVC].enabled and passive[A.RESTART_NODE].enabled
    assert not passive[A.START_CLUSSVC].enabled and "is running" in passive[A.START_CLUSSVC].reason
    active = by_id(A.actions_for(ItemRef("c", Kind.NODE, "EXNODE1"), entry()))
    for action_id in (A.STOP_CLUSSVC, A.RESTART_NODE):
        assert (
            not active[action_id].enabled and "runs the clustered mailbox server" in active[action_id].reason
        )
    down = by_id(
        A.actions_for(ItemRef("c", Kind.NODE, "EXNODE2"), entry(node_states=(NodeState.UP, NodeState.DOWN)))
    )
    assert down[A.START_CLUSSVC].enabled and not down[A.STOP_CLUSSVC].enabled
    restart = A.cluster_action(A.RESTART_NODE)
    assert restart is not None
    sel = A.Selection(ItemRef("c", Kind.NODE, "EXNODE2"), entry())
    question = restart.confirmation(sel, passive[A.RESTART_NODE])
    assert question is not None and "waits" in question.impact
    assert restart.request(sel, passive[A.RESTART_NODE], A.Inputs()).kind is ActionKind.RESTART_NODE


def test_cluster_group_and_available_storage_are_movable() -> None:
    from ccrgui.domain.plan import ActionKind

    e = entry()
    core = by_id(A.actions_for(ItemRef("c", Kind.CLUSTER), e))[A.MOVE_CORE]
    assert core.enabled and core.text == "Move Core Cluster Resources (now on EXNODE1)"
    assert [(c.id, c.target, c.enabled) for c in core.children] == [(A.MOVE_CORE_TO, "EXNODE2", True)]
    storage = by_id(A.actions_for(ItemRef("c", Kind.STORAGE), e))[A.MOVE_STORAGE]
    assert [c.target for c in storage.children] == ["EXNODE2"]
    action = A.cluster_action(A.MOVE_STORAGE_TO)
    assert action is not None
    sel = A.Selection(ItemRef("c", Kind.STORAGE), e)
    request = action.request(sel, storage.children[0], A.Inputs())
    assert (request.kind, request.target, request.node) == (
        ActionKind.MOVE_GROUP,
        "Available Storage",
        "EXNODE2",
    )
    question = action.confirmation(sel, storage.children[0])
    assert question is not None and "EXNODE2" in question.impact
