"""What the GUI and the backend agree on: connection settings, event queries and `ClusterSession`.

Qt-free and WinRM-free so the domain, the GUI and the backend can all import it (the backend
implements `ClusterSession` in `ccrgui.remote.session`).  Every method is async and returns
domain objects; errors the admin must see come back as values (NodeError in a snapshot,
ActionResult.ok False, EventBatch.error, a plan's `Refusal`), and only programming errors raise.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Protocol

from ccrgui.domain.maintenance import ReplicationHealthReport, WitnessReachability
from ccrgui.domain.model import ActionResult, ClusterSnapshot, Event, SetupReport
from ccrgui.domain.plan import ActionRequest, Plan, ProgressCallback, Refusal
from ccrgui.domain.upgrade.facts import NodeUpgradeFacts

PartialCallback = Callable[[ClusterSnapshot], None]  # an earlier view of a first read


class AuthMethod(enum.Enum):
    """How to authenticate.  The password never travels over unencrypted HTTP."""

    CURRENT_USER = "current-user"  # Kerberos/Negotiate with the Windows logon (no password)
    NTLM = "ntlm"  # NTLM with WinRM message encryption (HTTP or HTTPS)
    KERBEROS = "kerberos"
    BASIC = "basic"  # HTTPS only
    CREDSSP = "credssp"


@dataclass(frozen=True)
class ConnectionSettings:
    """How to reach one cluster: through its name or any of its nodes."""

    host: str  # cluster name or a node
    port: int | None = None  # default: 5985 for HTTP, 5986 for HTTPS
    https: bool = True
    auth: AuthMethod = AuthMethod.CURRENT_USER
    username: str = ""  # DOMAIN\user
    verify_tls: bool = True
    ca_file: str = ""  # custom CA bundle; empty for the system store
    operation_timeout_s: float = 60.0
    max_output_bytes: int = 64 * 1024 * 1024  # one command's output; more is stopped with an error
    # Endpoints of individual nodes learnt or configured (node name -> URL).  The lab's
    # endpoints are all on 127.0.0.1 with different ports, so this is how the demo reaches them.
    node_endpoints: dict[str, str] = field(default_factory=dict)
    # Kerberos: the DNS name in each endpoint's service principal (node name -> FQDN) where the
    # endpoint URL names the node otherwise, e.g. by address (the lab: 127.0.0.1 URLs).
    kerberos_hosts: dict[str, str] = field(default_factory=dict)

    @property
    def effective_port(self) -> int:
        return self.port or (5986 if self.https else 5985)


@dataclass(frozen=True)
class LogonAvailability:
    """Whether logging on as the current user can work on this computer, and if not, what is missing."""

    ok: bool
    reason: str = ""  # what is missing and how to get it (empty when ok)
    principal: str = ""  # whom it would log on as, when known (e.g. the ticket's Administrator@CONTOSO.COM)


@dataclass(frozen=True)
class LogQuery:
    """One `wevtutil qe` on one node and log."""

    node: str
    log: str  # e.g. "System", "Application", "Microsoft-Windows-FailoverClustering/Operational"
    xpath: str = "*"
    max_events: int = 5000
    newest_first: bool = True


@dataclass(frozen=True)
class EventBatch:
    """What one node answered for one log: events, or the error that stopped it."""

    query: LogQuery
    events: tuple[Event, ...] = ()
    error: str = ""
    truncated: bool = False  # max_events reached: more can be loaded
    # False: a part of the answer; more batches for the same query follow (the last has True).
    # A large answer arrives in parts, so the GUI can show rows while the rest is decoded.
    final: bool = True


class EventSource(Protocol):
    """What the events view needs of a session: whose events, which nodes, and the queries.
    Every `ClusterSession` is one."""

    @property
    def cluster_name(self) -> str: ...

    @property
    def settings(self) -> ConnectionSettings: ...

    def query_events(self, queries: list[LogQuery]) -> AsyncIterator[EventBatch]: ...


class ClusterSession(Protocol):
    """A connection to one cluster.  Implemented by `ccrgui.remote.session.WinRMClusterSession`.

    Actions go through plans: `plan(request)` builds the exact commands (or a typed refusal)
    from the last snapshot; the confirmation dialog shows that plan, the operations log records
    it, and `run_plan` runs that same object.  The per-action methods are thin wrappers.
    """

    @property
    def cluster_name(self) -> str: ...

    @property
    def settings(self) -> ConnectionSettings: ...

    async def snapshot(self, on_partial: PartialCallback | None = None) -> ClusterSnapshot:
        """Read the whole cluster.  When the cluster's facts arrive well before Exchange's (a first
        read, while the snap-in loads), `on_partial` gets them first as a snapshot marked
        `reading_exchange`; a first read may also hand the complete view to `on_partial` before
        a slow follow-up read (the mailbox databases' status).  The returned snapshot is always
        the complete one."""
        ...

    def plan(self, request: ActionRequest) -> Plan | Refusal:
        """The command plan for `request` against the last snapshot; never raises for bad names."""
        ...

    async def run_plan(self, plan: Plan, progress: ProgressCallback | None = None) -> ActionResult:
        """Run every step of `plan` in order; stop at the first failure; never retry a command
        that may have started.  Each command is audited; `progress` hears each step."""
        ...

    async def move_group(self, group: str, node: str | None, comment: str = "") -> ActionResult:
        """Move a group; node None means "best possible node".  The CMS needs a comment."""
        ...

    async def validate_move_cms(self, node: str, comment: str) -> ActionResult: ...

    async def bring_online(self, group: str) -> ActionResult: ...

    async def take_offline(self, group: str, reason: str = "") -> ActionResult:
        """The CMS needs a reason (Stop-ClusteredMailboxServer -StopReason)."""
        ...

    async def pause_node(self, node: str) -> ActionResult: ...

    async def resume_node(self, node: str) -> ActionResult: ...

    async def suspend_copy(self, storage_group: str, comment: str) -> ActionResult: ...

    async def resume_copy(self, storage_group: str) -> ActionResult: ...

    async def update_copy(self, storage_group: str) -> ActionResult: ...

    async def read_upgrade_facts(self, node: str, setup_folder: str = "", msp: str = "") -> NodeUpgradeFacts:
        """What the upgrade's pre-checks read on one node (folder, setup.com build, .msp, disk,
        services); a node that does not answer comes back with `error` set."""
        ...

    def parse_setup_output(self, text: str) -> SetupReport:
        """setup.com's console text (complete or partial) as steps and a verdict."""
        ...

    def mark_stale(self) -> None:
        """The next snapshot re-reads what is otherwise read only every minute or few (database
        status and backup times, the witness share, preferred owners and failover policies):
        F5 on a view that shows them."""
        ...

    async def replication_health(self) -> ReplicationHealthReport:
        """Test-ReplicationHealth on every node, on demand (it takes seconds on real servers)."""
        ...

    async def check_witness(self) -> WitnessReachability | None:
        """Test-Path on the file share witness from every node now (None: no share known).
        The snapshot also carries the last answer, refreshed every minute or so."""
        ...

    def query_events(self, queries: list[LogQuery]) -> AsyncIterator[EventBatch]:
        """Run the queries in parallel; yield each node's batches as soon as they are read (a
        large answer in several parts: every batch but the last of a query has `final` False)."""
        ...

    async def close(self) -> None: ...


__all__ = [
    "AuthMethod",
    "ClusterSession",
    "ConnectionSettings",
    "EventBatch",
    "LogQuery",
    "LogonAvailability",
    "PartialCallback",
]
