"""Quorum votes: OK, at risk (one more failure loses it) and lost, from a snapshot."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ccrgui.domain.maintenance import QuorumHealth, WitnessReachability
from ccrgui.domain.model import ClusterSnapshot, GroupState, Node, NodeState, Quorum
from ccrgui.domain.quorumhealth import assess

FSW = "\\\\HUB1\\FSW_EXCH1"


def snap(
    states: tuple[NodeState, ...] = (NodeState.UP, NodeState.UP),
    witness: GroupState | None = GroupState.ONLINE,
    reach: dict[str, bool | None] | None = None,
    model: str = "Node and File Share Majority",
) -> ClusterSnapshot:
    nodes = tuple(Node(f"EXNODE{i + 1}", s) for i, s in enumerate(states))
    resource = f"File Share Witness ({FSW})" if witness is not None else ""
    return ClusterSnapshot(
        "EXCLUS1",
        datetime(2026, 12, 4, tzinfo=UTC),
        nodes=nodes,
        quorum=Quorum(model, resource, FSW if witness else "", witness),
        witness=WitnessReachability(FSW, reach) if reach is not None else None,
    )


@pytest.mark.parametrize(
    "states, witness, reach, health, votes, words",
    [
        ((NodeState.UP, NodeState.UP), GroupState.ONLINE, None, QuorumHealth.OK, (3, 3), ""),
        ((NodeState.UP, NodeState.PAUSED), GroupState.ONLINE, None, QuorumHealth.OK, (3, 3), ""),
        (
            (NodeState.UP, NodeState.DOWN),
            GroupState.ONLINE,
            None,
            QuorumHealth.AT_RISK,
            (2, 3),
            "EXNODE2 is not up",
        ),
        ((NodeState.UP, NodeState.UP), GroupState.FAILED, None, QuorumHealth.AT_RISK, (2, 3), "is failed"),
        (
            (NodeState.UP, NodeState.UP),
            GroupState.ONLINE,
            {"EXNODE1": False, "EXNODE2": False},
            QuorumHealth.AT_RISK,
            (2, 3),
            "no node that is up reaches",
        ),
        (
            (NodeState.UP, NodeState.UP),
            GroupState.ONLINE,
            {"EXNODE1": True, "EXNODE2": False},
            QuorumHealth.OK,
            (3, 3),
            "",
        ),
        (
            (NodeState.UP, NodeState.DOWN),
            GroupState.FAILED,
            None,
            QuorumHealth.LOST,
            (1, 3),
            "Quorum is lost",
        ),
    ],
)
def test_votes_and_health(
    states: tuple[NodeState, ...],
    witness: GroupState,
    reach: dict[str, bool | None] | None,
    health: QuorumHealth,
    votes: tuple[int, int],
    words: str,
) -> None:
    found = assess(snap(states, witness, reach))
    assert found is not None
    assert (found.health, (found.votes, found.total_votes)) == (health, votes)
    assert words in found.reason
    assert (found.reason == "") is (health is QuorumHealth.OK)


def test_node_majority_without_witness_and_unknown_quorum() -> None:
    three = (NodeState.UP, NodeState.UP, NodeState.DOWN)
    found = assess(snap(three, None, model="Node Majority"))
    assert found is not None and (found.health, found.votes, found.total_votes) == (
        QuorumHealth.AT_RISK,
        2,
        3,
    )
    empty = ClusterSnapshot("EXCLUS1", datetime(2026, 12, 4, tzinfo=UTC))
    assert assess(empty) is None
