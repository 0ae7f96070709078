"""Plans for Mount/Dismount and the group failover policy: exact lines from quoted values, only
the changed properties, and refusals (nothing sent) for what cluster.exe or the names forbid."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccrgui.domain.maintenance import GroupFailoverPolicy, MailboxDatabaseStatus
from ccrgui.domain.model import ClusterSnapshot, Group, GroupState, Node, NodeState
from ccrgui.domain.plan import ActionKind, ActionRequest, Plan, Refusal, Shell
from ccrgui.lab.argv import split_command_line  # the argv cluster.exe sees (the lab's splitter)
from ccrgui.remote.planner import PlanFacts, build_plan

NODES = ("EXNODE1", "EXNODE2")


def facts(group: str = "EXCH1", nodes: tuple[str, ...] = NODES, owners: tuple[str, ...] = ()) -> PlanFacts:
    snap = ClusterSnapshot(
        "EXCLUS1",
        datetime(2026, 12, 4, tzinfo=UTC),
        nodes=tuple(Node(n, NodeState.UP) for n in nodes),
        groups=(Group(group, GroupState.ONLINE, nodes[0], is_cms=True, preferred_owners=owners),),
        databases=(
            MailboxDatabaseStatus(
                "Executives",
                "EXCH1\\Second Storage Group",
                "EXCH1",
                "EXCH1\\Second Storage Group\\Executives",
            ),
        ),
        group_policies=(GroupFailoverPolicy(group, owners),),
    )
    return PlanFacts(snap, "EXCH1", group, nodes, True)


def policy_plan(new: GroupFailoverPolicy, f: PlanFacts | None = None) -> Plan | Refusal:
    return build_plan(
        ActionRequest(ActionKind.SET_GROUP_POLICY, new.group, policy=new), f or facts(new.group)
    )


def test_only_what_changed_is_written() -> None:
    plan = policy_plan(GroupFailoverPolicy("EXCH1", (), failover_period_hours=2))
    assert isinstance(plan, Plan) and plan.command_lines == ["cluster.exe group EXCH1 /prop FailoverPeriod=2"]
    assert [s.shell for s in plan.steps] == [Shell.CMD]
    plan = policy_plan(GroupFailoverPolicy("EXCH1", ("EXNODE2", "EXNODE1")))
    assert isinstance(plan, Plan) and plan.command_lines == [
        "cluster.exe group EXCH1 /setowners:EXNODE2,EXNODE1"
    ]
    plan = policy_plan(GroupFailoverPolicy("EXCH1", (), auto_failback=True))
    assert isinstance(plan, Plan) and plan.command_lines == [
        "cluster.exe group EXCH1 /prop AutoFailbackType=1"
    ]
    base = facts()
    assert base.snapshot is not None
    cleared = policy_plan(
        GroupFailoverPolicy("EXCH1", (), auto_failback=False),
        dataclasses.replace(
            base,
            snapshot=dataclasses.replace(
                base.snapshot,
                group_policies=(
                    GroupFailoverPolicy(
                        "EXCH1", (), auto_failback=True, failback_window_start=1, failback_window_end=5
                    ),
                ),
            ),
        ),
    )
    assert isinstance(cleared, Plan)
    assert cleared.command_lines == [
        "cluster.exe group EXCH1 /prop AutoFailbackType=0 "
        "FailbackWindowStart=4294967295 FailbackWindowEnd=4294967295"
    ]


@pytest.mark.parametrize(
    "policy, why",
    [
        (GroupFailoverPolicy("EXCH1"), "Nothing changed"),
        (GroupFailoverPolicy("EXCH1", failover_period_hours=0), "FailoverPeriod"),
        (GroupFailoverPolicy("EXCH1", failback_window_start=3, auto_failback=True), "set together"),
        (GroupFailoverPolicy("EXCH1", ("EXNODE9",)), "Not a node of this cluster: EXNODE9"),
        (GroupFailoverPolicy("EXCH1", ("EXNODE1", "exnode1")), "twice"),
        (GroupFailoverPolicy("Nope", ("EXNODE1",)), "not a group"),
    ],
)
def test_refused_with_the_reason(policy: GroupFailoverPolicy, why: str) -> None:
    plan = build_plan(ActionRequest(ActionKind.SET_GROUP_POLICY, policy.group, policy=policy), facts())
    assert isinstance(plan, Refusal) and why in plan.reason, plan


def test_owners_cannot_be_emptied_and_names_with_commas_are_refused() -> None:
    plan = policy_plan(GroupFailoverPolicy("EXCH1", ()), facts(owners=("EXNODE1",)))
    assert isinstance(plan, Refusal) and "at least one" in plan.reason
    comma = facts(nodes=("NODE,1", "EXNODE2"))
    plan = policy_plan(GroupFailoverPolicy("EXCH1", ("NODE,1",)), comma)
    assert isinstance(plan, Refusal) and "comma" in plan.reason
    assert isinstance(build_plan(ActionRequest(ActionKind.SET_GROUP_POLICY, "EXCH1"), facts()), Refusal)


names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=",\x00"),
    min_size=1,
    max_size=24,
).filter(lambda t: t[0] not in "/-" and t.strip() == t and t)


@given(group=names, node=names)
def test_hostile_names_reach_cluster_exe_unchanged(group: str, node: str) -> None:
    f = facts(group, nodes=(node, "EXNODE2") if node.casefold() != "exnode2" else ("EXNODE1", node))
    plan = policy_plan(GroupFailoverPolicy(group, (node,), failover_threshold=3), f)
    assert isinstance(plan, Plan), plan
    owners, props = plan.command_lines
    assert split_command_line(owners)[1:] == ["group", group, f"/setowners:{node}"]
    assert split_command_line(props)[1:] == ["group", group, "/prop", "FailoverThreshold=3"]


def test_mount_and_dismount_use_the_identity_exchange_printed() -> None:
    for kind, verb in ((ActionKind.MOUNT_DATABASE, "Mount"), (ActionKind.DISMOUNT_DATABASE, "Dismount")):
        for target in ("Executives", "EXCH1\\Second Storage Group\\Executives", "executives"):
            plan = build_plan(ActionRequest(kind, target), facts())
            assert isinstance(plan, Plan)
            assert plan.command_lines == [
                f"{verb}-Database -Identity 'EXCH1\\Second Storage Group\\Executives' -Confirm:$false"
            ]
            assert plan.steps[0].shell is Shell.EMS
    plan = build_plan(ActionRequest(ActionKind.MOUNT_DATABASE, "CMS\\SG\\It's ‘odd’"), facts())
    assert isinstance(plan, Plan)
    assert plan.command_lines == ["Mount-Database -Identity 'CMS\\SG\\It''s ‘‘odd’’' -Confirm:$false"]
