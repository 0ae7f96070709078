"""What the important cluster and Exchange replication events mean, and what to do next.

Shown in the event view's details pane.  Matched on provider + event ID, never on message text
(the wording changed between Windows versions and is localised).  `basis` says where the meaning
comes from, so an admin (and a maintainer) can tell documented facts from field experience.
"""

from __future__ import annotations

from dataclasses import dataclass

FAILOVER_CLUSTERING = "Microsoft-Windows-FailoverClustering"
MSEXCHANGE_REPL = "MSExchangeRepl"
MSEXCHANGE_IS = "MSExchangeIS"
ESE = "ESE"

# Sources under which the same events have appeared (the Windows Server 2003 cluster service
# logged as "ClusSvc"; the event IDs of the 1xxx range were kept).
_ALIASES = {
    "failoverclustering": FAILOVER_CLUSTERING,
    "clussvc": FAILOVER_CLUSTERING,
    "microsoft-windows-failoverclustering": FAILOVER_CLUSTERING,
}

DOC_WS2008 = "Windows Server 2008 event documentation (reference events/NOTES.md §2.1)"
DOC_R2 = "Windows Server 2008 R2 documentation (reference events/NOTES.md §2.1, §2.3)"
MANIFEST = "FailoverClustering message table (reference events/NOTES.md §2.3)"
EXCHANGE_DOC = "Exchange 2007 documentation (reference ems/NOTES.md §3)"
FIELD = "well-known Exchange support knowledge; not in the reference folder"


@dataclass(frozen=True, slots=True)
class KnownEvent:
    provider: str
    event_id: int
    title: str  # a few words
    meaning: str  # what happened, in plain words
    next_step: str  # what the admin should check first
    basis: str  # where this knowledge comes from


def _fc(event_id: int, title: str, meaning: str, next_step: str, basis: str = MANIFEST) -> KnownEvent:
    return KnownEvent(FAILOVER_CLUSTERING, event_id, title, meaning, next_step, basis)


KNOWN_EVENTS: tuple[KnownEvent, ...] = (
    _fc(
        1000,
        "Cluster service fatal error",
        "The Cluster service stopped after an internal error; the node left the cluster and its "
        "groups failed over.",
        "Check the System log just before the event and cluster.log on this node; restart the Cluster "
        "service and, if it repeats, call Microsoft support with the line, module and error code.",
        DOC_WS2008,
    ),
    _fc(
        1006,
        "Cluster service halted: incomplete connectivity",
        "This node could not reach every other node and stopped its Cluster service to protect the cluster.",
        "Check the network between the nodes on every cluster network (NICs, switches, firewalls), then "
        "run Validate a Configuration's network tests.",
    ),
    _fc(
        1011,
        "Node evicted",
        "A node was evicted from the cluster: it is no longer a member.",
        "If it was not planned, find who ran the eviction; to add the node back, clean it up and join it "
        "again.",
        DOC_WS2008,
    ),
    _fc(
        1049,
        "Duplicate IP address",
        "An IP address resource cannot come online because another machine on the network uses the "
        "same address.",
        "Find the machine that holds the address (arp -a, DHCP leases) and give the resource or that "
        "machine a different address.",
    ),
    _fc(
        1069,
        "Cluster resource failed",
        "A resource in a service or application failed; the cluster may restart it or move the group "
        "to another node, depending on its failure policies.",
        "Open the group's resources to see which one failed and why; the events just before this one "
        "usually name the cause (disk, IP, network name, Exchange database).",
    ),
    _fc(
        1126,
        "Network interface unreachable",
        "A node's interface on a cluster network cannot be reached by at least one other node.",
        "Check cabling, switch ports and the NIC on that node for that network; ping the interface "
        "address from the other node.",
    ),
    _fc(
        1127,
        "Network interface failed",
        "A node's interface on a cluster network failed.",
        "Check the NIC, its driver and the switch port of that node for that network.",
    ),
    _fc(
        1129,
        "Cluster network partitioned",
        "Some nodes on a cluster network cannot talk to each other over it.",
        "Check the switches and VLAN between the nodes for that network; run Validate a Configuration's "
        "network tests.",
    ),
    _fc(
        1130,
        "Cluster network down",
        "No node can communicate over this cluster network.",
        "Check the switch or VLAN that carries this network; make sure another network still carries "
        "cluster traffic (CCR log shipping needs one).",
    ),
    _fc(
        1135,
        "Node removed from cluster membership",
        "The other nodes stopped hearing from this node: its Cluster service stopped or it lost "
        "communication with them.",
        "Check the network between the nodes (heartbeats on every cluster network), then whether the "
        "node rebooted or hung at that time (System log of that node).",
    ),
    _fc(
        1146,
        "Resource host subsystem (RHS) restarted",
        "The process that hosts resource DLLs stopped unexpectedly or was terminated because a resource "
        "hung; the cluster restarts it.",
        "Look for the resource named in the events just before (often a resource that deadlocked) and "
        "check the vendor of its DLL.",
        DOC_R2,
    ),
    _fc(
        1153,
        "Failover started",
        "The cluster is moving a service or application to another node after a failure.",
        "Look at the preceding 1069 events to learn which resource failed.",
    ),
    _fc(
        1177,
        "Quorum lost",
        "The Cluster service shut down on this node because the cluster lost quorum: too few nodes "
        "(and the witness) could see each other.",
        "Check the network between the nodes and the file share witness (is \\\\server\\share "
        "reachable?); bring the nodes back and confirm `cluster /quorum`.",
        DOC_WS2008,
    ),
    _fc(
        1205,
        "Group not completely online or offline",
        "The cluster could not bring a service or application completely online or offline; one or "
        "more of its resources failed.",
        "Find the failed resource in the group (1069 events before this one) and fix it, then bring the "
        "group online.",
    ),
    _fc(
        1254,
        "Failover threshold exceeded",
        "A service or application failed over too many times in the failover period and was left "
        "failed; the cluster will not try again by itself.",
        "Fix the failing resource first, then bring the group online manually; review the group's "
        "failover threshold and period.",
    ),
    _fc(
        1561,
        "Node lacks the latest cluster configuration",
        "This node does not have the latest copy of the cluster configuration and cannot form the "
        "cluster without the witness or another node.",
        "Start the node that was up last, or make the witness reachable, so the node can join.",
        DOC_R2,
    ),
    _fc(
        1562,
        "File share witness health check failed",
        "The periodic check of the file share witness failed.",
        "Check that the witness share exists and the cluster name account can write to it (share and "
        "NTFS permissions), and that the witness server is up.",
    ),
    _fc(
        1563,
        "File share witness could not come online",
        "The file share witness resource failed to come online.",
        "Check the witness share path, the server hosting it and the cluster name account's share and "
        "NTFS permissions.",
    ),
    _fc(
        1564,
        "File share witness failed to arbitrate",
        "The file share witness could not arbitrate for its share: the cluster may lose a vote and, "
        "with a node down, quorum.",
        "Check the witness share and its permissions (the cluster name account needs full control) and "
        "that the server holding it (often a hub transport server) is reachable.",
    ),
    _fc(
        1570,
        "Node failed to join: authentication",
        "A node could not set up a session with the cluster while joining, because authentication failed.",
        "Check the node's computer account and time synchronisation with the domain, and that both "
        "nodes run the same cluster software version.",
        "Windows Server 2008 event observed in the field (reference events/NOTES.md §2.2)",
    ),
    _fc(
        1573,
        "Node failed to form cluster: witness unreachable",
        "A node could not form the cluster because the witness was not accessible.",
        "Make the witness share reachable (server, share, permissions), or start the other node.",
        DOC_WS2008,
    ),
    KnownEvent(
        MSEXCHANGE_REPL,
        100,
        "Clustered mailbox server moved",
        "Records when the clustered mailbox server was handed off to the other node: the actual "
        "time of a CMS move or failover.",
        "Compare with the move you started (Move-ClusteredMailboxServer comment) or, if unplanned, "
        "look for cluster events (1069, 1135) just before it.",
        EXCHANGE_DOC,
    ),
    KnownEvent(
        MSEXCHANGE_REPL,
        2093,
        "Storage group auto-mounted after timeout",
        "After a failover the clustered mailbox server mounted a storage group on the new node "
        "without all logs copied, after waiting the configured time: some recent mail may be "
        "lost and come back from the transport dumpster.",
        "Check Get-StorageGroupCopyStatus for that storage group; it may need Update-StorageGroupCopy "
        "(reseed) on the passive node.",
        "Exchange 2007 management pack alert (per the lab's event table); " + FIELD,
    ),
    KnownEvent(
        MSEXCHANGE_IS,
        9518,
        "Storage group could not start",
        "The information store could not start a storage group (often missing or damaged log "
        "files or a full log disk).",
        "Check free space on the log and database disks and the events of source ESE before this one.",
        FIELD,
    ),
    KnownEvent(
        MSEXCHANGE_IS,
        9519,
        "Database could not start",
        "The information store could not mount a database.",
        "Check the ESE events just before this one and Get-StorageGroupCopyStatus; on a CCR node, "
        "make sure the database files are present and consistent.",
        FIELD,
    ),
    KnownEvent(
        ESE,
        474,
        "Database page checksum mismatch",
        "ESE read a database page whose checksum is wrong (-1018): the database file is damaged on disk.",
        "Check the storage (disk, controller, firmware); on CCR, reseed the damaged copy with "
        "Update-StorageGroupCopy or move the CMS to the healthy copy.",
        FIELD,
    ),
)

_BY_KEY: dict[tuple[str, int], KnownEvent] = {(k.provider.casefold(), k.event_id): k for k in KNOWN_EVENTS}


def lookup(provider: str, event_id: int) -> KnownEvent | None:
    """The explanation for an event, or None when we have nothing to add."""
    key = provider.strip().casefold()
    key = _ALIASES.get(key, provider.strip()).casefold()
    return _BY_KEY.get((key, event_id))


def explain(provider: str, event_id: int) -> str:
    """Plain text for the details pane ("" when the event is not known)."""
    known = lookup(provider, event_id)
    if known is None:
        return ""
    return (
        f"{known.title}\n\nWhat it means: {known.meaning}\n\nNext step: {known.next_step}\n\n"
        f"Source of this note: {known.basis}"
    )


__all__ = ["KNOWN_EVENTS", "KnownEvent", "explain", "lookup"]
