"""The console's plain state: tree item identities, what it knows per connection, recent clusters.

Qt-free (the tree model, the actions and the results builders all use these; tests too).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ccrgui.domain.model import ClusterSnapshot
from ccrgui.domain.session_api import AuthMethod, ConnectionSettings


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
    BACKUP = "backup"  # the clustered mailbox server's backup plan


FOLDER_LABELS = {
    Kind.SERVICES: "Services and Applications",
    Kind.NODES: "Nodes",
    Kind.STORAGE: "Storage",
    Kind.NETWORKS: "Networks",
    Kind.REPLICATION: "Replication",
    Kind.QUORUM: "Quorum",
    Kind.EVENTS: "Cluster Events",
    Kind.BACKUP: "Backup",
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


@dataclass(frozen=True)
class RecentCluster:
    """One recently managed cluster, as remembered (never with its password)."""

    host: str
    port: int
    https: bool
    auth: str
    username: str = ""
    verify_tls: bool = True

    def settings(self) -> ConnectionSettings:
        return ConnectionSettings(
            host=self.host,
            port=self.port,
            https=self.https,
            auth=AuthMethod(self.auth),
            username=self.username,
            verify_tls=self.verify_tls,
        )

    @classmethod
    def of(cls, s: ConnectionSettings) -> RecentCluster:
        return cls(s.host, s.effective_port, s.https, s.auth.value, s.username, s.verify_tls)


__all__ = ["FOLDER_LABELS", "ClusterEntry", "ConnState", "ItemRef", "Kind", "RecentCluster"]
