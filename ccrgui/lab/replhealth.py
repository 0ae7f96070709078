"""Test-ReplicationHealth's checks, computed from the engine's state for the node it runs on.

Exchange 2007 SP1 documents the cmdlet (no -Identity: it tests the local node) but no public
source lists its check names.  Provenance of each name below:
* DOC-2010: a check of the Exchange 2010 cmdlet (ClusterService, ReplayService, QuorumGroup,
  FileShareQuorum, ClusterNetwork), documented for DAGs; the same cluster-level test exists for a
  CCR cluster.
* INFERRED-2007: the storage-group era naming of the 2010 DB* checks (SGCopySuspended,
  SGCopyFailed, SGInitializing, SGCopyQueueLength, SGReplayQueueLength) and PassiveNodeUp /
  NodePaused, from memory of Exchange 2007 SP1 output; not verified against a capture.
* LAB: the error wording and the queue thresholds are the lab's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ccrgui.domain.model import CopyStatus, GroupState, NetworkState, NodeState

if TYPE_CHECKING:
    from ccrgui.lab.engine import ClusterEngine, EngineSnapshot

COPY_QUEUE_LIMIT = 10  # LAB threshold
REPLAY_QUEUE_LIMIT = 100  # LAB threshold

PASSED = "Passed"
FAILED = "Failed"


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    result: str  # PASSED or FAILED
    error: str = ""


def _check(name: str, description: str, problems: list[str]) -> Check:
    return Check(name, description, FAILED if problems else PASSED, "\n".join(problems))


def _cluster_checks(engine: ClusterEngine, snap: EngineSnapshot, node: str) -> list[Check]:
    out = [
        _check(
            "ClusterService",  # DOC-2010
            "Checks if the cluster service is healthy.",
            []
            if engine.service_running(node, "ClusSvc")
            else [f"The cluster service on server '{node}' is not running."],
        ),
        _check(
            "ReplayService",  # DOC-2010
            "Checks if the Microsoft Exchange Replication service is running.",
            []
            if engine.service_running(node, "MSExchangeRepl")
            else [f"The Microsoft Exchange Replication service on server '{node}' is not running."],
        ),
    ]
    others = [n for n in snap.cms.redundant_machines if n.casefold() != snap.cms.active_node.casefold()]
    down = [n.name for n in snap.nodes if n.name in others and n.state is not NodeState.UP]
    out.append(
        _check(
            "PassiveNodeUp",  # INFERRED-2007
            "Checks that the passive node of the clustered mailbox server is up.",
            [f"The passive node '{n}' is not up." for n in down],
        )
    )
    bad_nets = [n.name for n in snap.networks if n.state not in (NetworkState.UP, NetworkState.UNAVAILABLE)]
    out.append(
        _check(
            "ClusterNetwork",  # DOC-2010
            "Checks that the cluster networks are up.",
            [f"The cluster network '{n}' is not up." for n in bad_nets],
        )
    )
    core = next((g for g in snap.groups if g.kind == "core"), None)
    out.append(
        _check(
            "QuorumGroup",  # DOC-2010
            "Checks that the default cluster group (quorum group) is healthy and online.",
            []
            if core is not None and core.state is GroupState.ONLINE and not snap.quorum.lost
            else ["The cluster group 'Cluster Group' is not online."],
        )
    )
    return out


def _witness_check(engine: ClusterEngine, snap: EngineSnapshot, node: str) -> Check:
    q = snap.quorum
    problems = []
    if q.witness_resource:
        if q.witness_state is not GroupState.ONLINE:
            problems.append(f"The file share witness resource '{q.witness_resource}' is not online.")
        if not engine.witness_reachable_from(node):
            problems.append(f"The file share witness '{q.witness_path}' cannot be reached from '{node}'.")
    return _check(
        "FileShareQuorum",  # DOC-2010
        "Verifies that the file share witness can be reached.",
        problems,
    )


def _copy_checks(snap: EngineSnapshot) -> list[Check]:
    copies = snap.copies
    return [
        _check(
            "NodePaused",  # INFERRED-2007
            "Checks that no cluster node is paused.",
            [f"The cluster node '{n.name}' is paused." for n in snap.nodes if n.paused],
        ),
        _check(
            "SGCopySuspended",  # INFERRED-2007
            "Checks whether any storage group copies are suspended.",
            [
                f"Storage group copy '{c.identity}' is suspended. Suspend comment: {c.suspend_comment}"
                for c in copies
                if c.suspended
            ],
        ),
        _check(
            "SGCopyFailed",  # INFERRED-2007
            "Checks whether any storage group copies are in a failed state.",
            [f"Storage group copy '{c.identity}' has failed: {c.failed_message}" for c in copies if c.failed],
        ),
        _check(
            "SGInitializing",  # INFERRED-2007
            "Checks whether any storage group copies are initializing.",
            [
                f"Storage group copy '{c.identity}' is initializing."
                for c in copies
                if c.status is CopyStatus.INITIALIZING
            ],
        ),
        _check(
            "SGCopyQueueLength",  # INFERRED-2007
            "Checks whether log copying is keeping up.",
            [
                f"Storage group copy '{c.identity}' has a copy queue length of {c.copy_queue_length}."
                for c in copies
                if c.copy_queue_length > COPY_QUEUE_LIMIT
            ],
        ),
        _check(
            "SGReplayQueueLength",  # INFERRED-2007
            "Checks whether log replay is keeping up.",
            [
                f"Storage group copy '{c.identity}' has a replay queue length of {c.replay_queue_length}."
                for c in copies
                if c.replay_queue_length > REPLAY_QUEUE_LIMIT
            ],
        ),
    ]


def replication_health(engine: ClusterEngine, node: str) -> list[Check]:
    """Every check, in the order the cmdlet prints them, as seen from `node`."""
    snap = engine.snapshot()
    return [*_cluster_checks(engine, snap, node), _witness_check(engine, snap, node), *_copy_checks(snap)]
