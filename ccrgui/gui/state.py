"""The console's plain state: tree item identities and what it knows per connection.

Qt-free (the tree model, the actions and the results builders all use these; tests too).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ccrgui.domain.model import ClusterSnapshot


class Kind(enum.Enum):
    ROOT = "root"
    CLUSTER = "cluster"
    SERVICES = "services"
    GROUP = "group"
    NODES = "nodes"
    NODE = "node"
    STORAGE = "storage"
    NETWORKS = "networks"
    NETWORK = "network"
    REPLICATION = "replication"
    COPY = "copy"
    QUORUM = "quorum"
    EVENTS = "events"


FOLDER_LABELS = {
    Kind.SERVICES: "Services and Applications",
    Kind.NODES: "Nodes",
    Kind.STORAGE: "Storage",
    Kind.NETWORKS: "Networks",
    Kind.REPLICATION: "Replication",
    Kind.QUORUM: "Quorum",
    Kind.EVENTS: "Cluster Events",
}


class ConnState(enum.Enum):
    CONNECTING = "Connecting"
    CONNECTED = "Connected"
    UNREACHABLE = "Unreachable"
    DISCONNECTED = "Disconnected"


@dataclass(frozen=True)
class ClusterEntry:
    """What the console knows about one connection: its state and the last snapshot read."""

    conn_id: str
    host: str
    state: ConnState
    snapshot: ClusterSnapshot | None = None
    error: str = ""

    @property
    def label(self) -> str:
        return self.snapshot.cluster_name if self.snapshot else self.host


@dataclass(frozen=True)
class ItemRef:
    """Identifies a tree item across refreshes: the connection, the kind and the object's name."""

    conn_id: str
    kind: Kind
    name: str = ""


__all__ = ["FOLDER_LABELS", "ClusterEntry", "ConnState", "ItemRef", "Kind"]
