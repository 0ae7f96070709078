"""Plans against a snapshot taken before Exchange answered ("reading Exchange...")."""

from __future__ import annotations

import dataclasses

from ccrgui.domain.model import READING_EXCHANGE
from ccrgui.domain.plan import ActionKind, ActionRequest, Refusal
from ccrgui.remote.planner import PlanFacts, build_plan
from tests.gui.fakes import make_snapshot


def _partial() -> PlanFacts:
    snap = make_snapshot()
    groups = tuple(dataclasses.replace(g, is_cms=False) for g in snap.groups)
    partial = dataclasses.replace(snap, groups=groups, cms=None, copies=(), reading_exchange=True)
    return PlanFacts(partial, cms=None, cms_group=None)


def test_every_group_action_on_a_possible_cms_is_refused_while_reading_exchange() -> None:
    facts = _partial()
    for kind in (ActionKind.MOVE_GROUP, ActionKind.ONLINE_GROUP, ActionKind.OFFLINE_GROUP):
        plan = build_plan(ActionRequest(kind, "EXCH1", "EXNODE2", "patch"), facts)
        assert isinstance(plan, Refusal), kind
        assert READING_EXCHANGE in plan.reason and "EXCH1" in plan.reason
        assert "Microsoft Exchange System Attendant" in plan.reason  # why it may be the CMS


def test_core_group_and_nodes_are_planned_while_reading_exchange() -> None:
    facts = _partial()
    assert not isinstance(build_plan(ActionRequest(ActionKind.MOVE_GROUP, "Cluster Group"), facts), Refusal)
    assert not isinstance(build_plan(ActionRequest(ActionKind.PAUSE_NODE, "EXNODE2"), facts), Refusal)


def test_a_cms_known_from_an_earlier_read_goes_through_exchange() -> None:
    facts = dataclasses.replace(_partial(), cms="EXCH1", cms_group="EXCH1", exchange_read=True)
    plan = build_plan(ActionRequest(ActionKind.MOVE_GROUP, "EXCH1", "EXNODE2", "patch"), facts)
    assert not isinstance(plan, Refusal)
    assert plan.command_lines[0].startswith("Move-ClusteredMailboxServer")
