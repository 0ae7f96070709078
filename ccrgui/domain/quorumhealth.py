"""Is quorum safe?  Votes the cluster holds now against the votes it needs (Qt-free).

Windows Server 2008 quorum models: Node Majority (a vote per node), Node and File Share Majority
and Node and Disk Majority (a vote per node plus the witness).  Paused nodes still vote; down or
joining nodes do not.  The witness counts while its resource is online and, when the share was
tested from the nodes, at least one node that is up reached it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccrgui.domain.maintenance import QuorumHealth, assess_quorum
from ccrgui.domain.model import ClusterSnapshot, GroupState, NodeState

VOTING_STATES = (NodeState.UP, NodeState.PAUSED)


@dataclass(frozen=True)
class QuorumAssessment:
    health: QuorumHealth
    votes: int
    total_votes: int
    reason: str  # what the banner says ("" when OK)
    problems: tuple[str, ...] = ()  # what takes votes away: nodes not up, the witness


def _witness_vote(snap: ClusterSnapshot, up: set[str]) -> tuple[bool, str]:
    q = snap.quorum
    assert q is not None
    name = q.path or q.resource or "the witness"
    if q.witness_state is not None and q.witness_state is not GroupState.ONLINE:
        return False, f"the file share witness {name} is {q.witness_state.value.lower()}"
    w = snap.witness
    if w is not None and w.reachable:
        asked = {n.casefold(): ok for n, ok in w.reachable.items() if n.casefold() in up}
        if asked and not any(ok for ok in asked.values()):
            return False, f"no node that is up reaches the file share witness {name}"
    return True, ""


def assess(snap: ClusterSnapshot) -> QuorumAssessment | None:
    """None when the quorum configuration is not known (not read yet)."""
    q = snap.quorum
    if q is None or not snap.nodes:
        return None
    up = {n.name.casefold() for n in snap.nodes if n.state in VOTING_STATES}
    down = [n.name for n in snap.nodes if n.state not in VOTING_STATES]
    has_witness = "majority" in q.model.casefold() and q.model.casefold() != "node majority"
    has_witness = has_witness or bool(q.resource)
    votes, total = len(up), len(snap.nodes)
    problems = [f"{', '.join(down)} {'is' if len(down) == 1 else 'are'} not up"] if down else []
    if has_witness:
        total += 1
        counts, why = _witness_vote(snap, up)
        votes += counts
        if why:
            problems.append(why)
    health = assess_quorum(votes, total)
    if health is QuorumHealth.OK:
        return QuorumAssessment(health, votes, total, "", tuple(problems))
    lead = (
        "Quorum is lost: the cluster has stopped"
        if health is QuorumHealth.LOST
        else "Quorum is at risk: one more failure stops the cluster"
    )
    detail = "; ".join(problems)
    reason = f"{lead} ({votes} of {total} votes{': ' + detail if detail else ''})."
    return QuorumAssessment(health, votes, total, reason, tuple(problems))


__all__ = ["QuorumAssessment", "assess"]
