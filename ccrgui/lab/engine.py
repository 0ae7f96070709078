"""The simulated cluster's live state and the rules Windows and Exchange enforce on it.

One `ClusterEngine` per lab.  cluster.exe (`clusterexe.py`), setup.com (`setupcom.py`),
shutdown (`cmdshell.py`) and the Exchange cmdlets (`ccrgui/lab/powershell/`) all act on it;
every change writes the event a real node would write, on the node where it happens.

Thread safety: one re-entrant lock (`engine.lock`); `engine.changed` is a Condition on it that
is notified after every state change, so callers can wait for a state (`wait_until`).
Timed transitions (Online Pending -> Online, a CMS handoff, a reboot) run on the Clock's
scheduler thread; their nominal durations are in `Durations` and are divided by the speed factor.

Events written (provider, id; message wording lives in `event_messages.py`):
* System / Microsoft-Windows-FailoverClustering: 1069 resource failed, 1135 node removed (on each
  surviving node), 1153 failover attempt, 1177 quorum lost (on each survivor), 1200/1201 group
  coming/brought online, 1203/1204 going/brought offline, 1205 group failed to come online,
  1562 and 1564 file share witness failures, 1062 node joined.
* System / Service Control Manager 7036 on service stop/start; EventLog 6006/6008/6005/6009 and
  USER32 1074 around reboots and crashes.
* Application / MSExchangeCluster 1000 (move, with the move comment), 1001 (stop, with the stop
  reason), 1002 (start), 1003 (operation failed); MSExchangeRepl 100 (handoff done, with its
  duration), 2071/2072 (copy suspended/resumed), 2073/2074 (seeding started/done);
  MSExchangeIS 9500/9501 (database mounted/dismounted).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from ccrgui.domain.model import CmsState, CopyStatus, GroupState, InterfaceState, NetworkState, NodeState
from ccrgui.lab import event_messages as em
from ccrgui.lab.clock import Clock, Timer
from ccrgui.lab.faults import Faults
from ccrgui.lab.grouppolicy import GroupPolicy, PolicyError, apply_assignments
from ccrgui.lab.topology import Account, GroupSpec, NodeSpec, ResourceSpec, Topology

# ---- errors -------------------------------------------------------------------------------------

ERROR_ACCESS_DENIED = 5
ERROR_INVALID_PARAMETER = 87
RPC_S_SERVER_UNAVAILABLE = 1722
ERROR_IO_PENDING = 997
ERROR_HOST_NODE_NOT_AVAILABLE = 5005
ERROR_RESOURCE_NOT_FOUND = 5007
ERROR_GROUP_NOT_FOUND = 5013
ERROR_GROUP_NOT_ONLINE = 5014
ERROR_HOST_NODE_NOT_GROUP_OWNER = 5016
ERROR_INVALID_STATE = 5023
ERROR_CLUSTER_NODE_NOT_FOUND = 5042
ERROR_CLUSTER_NETWORK_NOT_FOUND = 5045
ERROR_CLUSTER_NETINTERFACE_NOT_FOUND = 5047
ERROR_CLUSTER_NODE_DOWN = 5050
ERROR_CLUSTER_NODE_NOT_PAUSED = 5058
ERROR_CLUSTER_NODE_PAUSED = 5070
ERROR_NODE_CANT_HOST_RESOURCE = 5071
ERROR_CLUSTER_NODE_SHUTTING_DOWN = 5073

# Win32 message texts (winerror.h / clusmsg.h MessageText, as FormatMessage prints them).
WIN32_MESSAGES: dict[int, str] = {
    ERROR_ACCESS_DENIED: "Access is denied.",
    ERROR_INVALID_PARAMETER: "The parameter is incorrect.",
    ERROR_IO_PENDING: "Overlapped I/O operation is in progress.",
    RPC_S_SERVER_UNAVAILABLE: "The RPC server is unavailable.",
    ERROR_HOST_NODE_NOT_AVAILABLE: "A cluster node is not available for this operation.",
    ERROR_RESOURCE_NOT_FOUND: "The cluster resource could not be found.",
    ERROR_GROUP_NOT_FOUND: "The cluster group could not be found.",
    ERROR_GROUP_NOT_ONLINE: "The operation could not be completed because the cluster group is not online.",
    ERROR_HOST_NODE_NOT_GROUP_OWNER: (
        "The operation failed because either the specified cluster node is not the owner of the group, "
        "or the node is not a possible owner of the group."
    ),
    ERROR_INVALID_STATE: (
        "The group or resource is not in the correct state to perform the requested operation."
    ),
    ERROR_CLUSTER_NODE_NOT_FOUND: "The cluster node was not found.",
    ERROR_CLUSTER_NETWORK_NOT_FOUND: "The cluster network was not found.",
    ERROR_CLUSTER_NETINTERFACE_NOT_FOUND: "The cluster network interface was not found.",
    ERROR_CLUSTER_NODE_DOWN: "The cluster node is down.",
    ERROR_CLUSTER_NODE_NOT_PAUSED: "The cluster node is not paused.",
    ERROR_CLUSTER_NODE_PAUSED: "The cluster node is paused.",
    ERROR_NODE_CANT_HOST_RESOURCE: (
        "The cluster resource cannot be brought online. The owner node cannot run this resource."
    ),
    ERROR_CLUSTER_NODE_SHUTTING_DOWN: "The cluster node is shutting down.",
}


class LabError(Exception):
    """A refusal, as Windows or Exchange reports it.

    `code` is the Win32 error for cluster-level refusals (cluster.exe prints it as
    `System error N has occurred`); Exchange-level refusals (CMS, copies, setup) use
    `code=0` plus `error_id` (a short stable key such as "CmsNotOnline") and the category
    PowerShell shows (`InvalidOperation`, `InvalidArgument`, ...).
    """

    def __init__(
        self, code: int, message: str, *, error_id: str = "", category: str = "InvalidOperation"
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.error_id = error_id
        self.category = category


def win32(code: int) -> LabError:
    """A LabError carrying the real Win32 message for `code`."""
    return LabError(code, WIN32_MESSAGES[code], error_id=f"Win32Error{code}")


def exchange_error(error_id: str, message: str, category: str = "InvalidOperation") -> LabError:
    return LabError(0, message, error_id=error_id, category=category)


class JournalLike(Protocol):
    """What the engine needs from `ccrgui.lab.eventlog.EventJournal`."""

    def write(
        self,
        node: str,
        log: str,
        provider: str,
        event_id: int,
        level: int,
        *,
        data: Sequence[tuple[str, str]] = (),
        task: int = 0,
        when: datetime | None = None,
    ) -> object: ...


# ---- timings ------------------------------------------------------------------------------------


@dataclass
class Durations:
    """Nominal seconds each transition takes on real hardware (divided by the clock's speed)."""

    resource_online: float = 3.0
    resource_offline: float = 2.0
    failover_detect: float = 5.0  # heartbeat loss until the survivors react
    cms_offline: float = 10.0  # a CMS handoff: databases dismount, services stop...
    cms_online: float = 20.0  # ...logs copied and replayed, databases mount on the target
    shutdown: float = 15.0
    boot: float = 90.0
    join: float = 8.0
    service_restart: float = 5.0
    copy_tick: float = 10.0  # how often queue lengths drift
    copy_initializing: float = 8.0  # Initializing after resume / service start
    seed: float = 60.0


# ---- state snapshots (immutable; what callers get) ------------------------------------------------

SERVICES = ("ClusSvc", "MSExchangeRepl", "MSExchangeIS", "MSExchangeSA", "RemoteRegistry")
SERVICE_DISPLAY = {
    "clussvc": "Cluster Service",
    "msexchangerepl": "Microsoft Exchange Replication Service",
    "msexchangeis": "Microsoft Exchange Information Store",
    "msexchangesa": "Microsoft Exchange System Attendant",
    "remoteregistry": "Remote Registry",
}


@dataclass(frozen=True)
class NodeInfo:
    name: str
    node_id: int
    state: NodeState  # cluster view: Up, Down, Paused, Joining
    paused: bool  # the pause flag (survives a reboot)
    powered: bool  # the machine is running (answers WinRM) even if the cluster service is not
    booting: bool
    shutting_down: bool  # a restart is under way (groups moving away, then power off)
    exchange_version: str  # e.g. "8.1.240.6" (the service pack's build; rollups do not change it)
    services: dict[str, bool]  # service name -> running
    last_boot: datetime
    spec: NodeSpec
    service_display: dict[str, str] = field(default_factory=dict)  # service name -> display name
    rollup_build: str = ""  # build of the update rollup installed on top of the SP ("" = none)

    @property
    def file_build(self) -> str:
        """The build of the Exchange binaries (ExSetup.exe): the rollup's, else the SP's."""
        return self.rollup_build or self.exchange_version


@dataclass(frozen=True)
class ResourceInfo:
    name: str
    type: str
    group: str
    owner: str
    state: GroupState
    private: dict[str, str]
    depends_on: tuple[str, ...]
    possible_owners: tuple[str, ...]


@dataclass(frozen=True)
class GroupInfo:
    name: str
    owner: str
    state: GroupState
    kind: str  # "core", "storage", "cms", "generic"
    resources: tuple[str, ...]
    preferred_owners: tuple[str, ...]
    policy: GroupPolicy = field(default_factory=GroupPolicy)


@dataclass(frozen=True)
class NetworkInfo:
    name: str
    state: NetworkState
    address: str
    mask: str
    role: str


@dataclass(frozen=True)
class InterfaceInfo:
    name: str  # "<node> - <adapter connection name>", as WS2008 names interfaces
    node: str
    network: str
    adapter: str
    address: str
    state: InterfaceState


@dataclass(frozen=True)
class QuorumInfo:
    model: str
    witness_resource: str  # "" for Node Majority
    witness_path: str
    witness_state: GroupState | None
    votes: int
    needed: int
    lost: bool


@dataclass(frozen=True)
class CmsInfo:
    """What Get-ClusteredMailboxServerStatus / Get-MailboxServer need."""

    name: str
    state: CmsState
    active_node: str  # the CMS group's owner
    quorum_owner: str  # owner of "Cluster Group"
    redundant_machines: tuple[str, ...]
    stopped: bool  # Stop-ClusteredMailboxServer was run and no Start since
    version: str
    failed_resources: tuple[str, ...]
    operational_machines: tuple[str, ...]  # e.g. ("EXNODE1 <Active, Quorum Owner>", "EXNODE2")


@dataclass(frozen=True)
class CopyInfo:
    """One storage group copy (always the passive copy), for Get-StorageGroupCopyStatus."""

    identity: str  # CMS\StorageGroup
    storage_group: str
    database: str
    status: CopyStatus
    copy_queue_length: int
    replay_queue_length: int
    suspended: bool
    suspend_comment: str
    failed: bool
    failed_message: str
    seeding: bool
    mounted: bool  # the active database is mounted
    last_log_generated: int
    last_log_copied: int
    last_log_replayed: int
    last_log_inspected: int
    last_inspected_log_time: datetime | None
    last_copied_log_time: datetime | None
    last_replayed_log_time: datetime | None
    latest_available_log_time: datetime | None
    active_node: str
    passive_node: str


@dataclass(frozen=True)
class DatabaseInfo:
    """One mailbox database of the CMS, for Get-MailboxDatabase [-Status]."""

    name: str
    storage_group: str
    server: str  # the CMS
    edb_file_path: str
    mounted: bool
    last_full_backup: datetime | None
    last_incremental_backup: datetime | None
    active_node: str
    passive_node: str


@dataclass(frozen=True)
class EngineSnapshot:
    taken_at: datetime
    nodes: tuple[NodeInfo, ...]
    groups: tuple[GroupInfo, ...]
    resources: tuple[ResourceInfo, ...]
    networks: tuple[NetworkInfo, ...]
    interfaces: tuple[InterfaceInfo, ...]
    quorum: QuorumInfo
    cms: CmsInfo
    copies: tuple[CopyInfo, ...]


# ---- mutable records (internal) -----------------------------------------------------------------


@dataclass
class _Node:
    spec: NodeSpec
    powered: bool = True
    booting: bool = False
    joining: bool = False
    shutting_down: bool = False
    paused: bool = False
    exchange_version: str = ""
    services: dict[str, bool] = field(default_factory=dict)
    last_boot: datetime | None = None
    service_names: dict[str, str] = field(default_factory=dict)  # key -> name as installed
    display_names: dict[str, str] = field(default_factory=dict)  # key -> display name
    rollup_build: str = ""  # build of the last update rollup installed on this SP ("" = none)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def in_cluster(self) -> bool:
        """A cluster member right now: running, cluster service started, not booting."""
        return self.powered and not self.booting and self.services.get("clussvc", False)

    def cluster_state(self) -> NodeState:
        if not self.in_cluster:
            return NodeState.DOWN
        if self.joining:
            return NodeState.JOINING
        return NodeState.PAUSED if self.paused else NodeState.UP


@dataclass
class _Resource:
    spec: ResourceSpec
    group: str
    state: GroupState = GroupState.ONLINE
    fault: bool = False  # a persistent fault: every online attempt fails until cleared


@dataclass
class _Group:
    spec: GroupSpec
    owner: str
    resources: list[_Resource]
    empty_state: GroupState = GroupState.ONLINE  # groups without resources keep a state of their own
    gen: int = 0  # bumped by each new operation; stale timed steps see a newer gen and stop
    policy: GroupPolicy = field(default_factory=GroupPolicy)
    failed_over: bool = False  # moved by a failover (not by the admin): may fail back
    failovers: list[datetime] = field(default_factory=list)


@dataclass
class _Copy:
    name: str
    database: str
    status: CopyStatus = CopyStatus.HEALTHY
    copy_queue: int = 0
    replay_queue: int = 0
    suspended: bool = False
    suspend_comment: str = ""
    failed_message: str = ""
    seeding: bool = False
    manual_resume: bool = False
    mounted: bool = True
    generated: int = 0
    copied: int = 0
    replayed: int = 0
    inspected_at: datetime | None = None
    copied_at: datetime | None = None
    replayed_at: datetime | None = None
    gen: int = 0
    last_full_backup: datetime | None = None
    last_incremental_backup: datetime | None = None


def _fold(s: str) -> str:
    return s.casefold()


class ClusterEngine:
    """The live cluster: nodes, groups, resources, networks, quorum, the CMS and its copies."""

    def __init__(
        self,
        topology: Topology,
        *,
        clock: Clock,
        faults: Faults,
        journal: JournalLike,
        durations: Durations | None = None,
        seed: int = 1,
    ) -> None:
        self.topology = topology
        self.clock = clock
        self.faults = faults
        self.journal = journal
        self.durations = durations or Durations()
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._rng = random.Random(seed)
        self._timers: list[Timer] = []
        self._stopped = False
        self.boot_held: set[str] = set()  # nodes that stay off after a restart (hold_boot)
        now = clock.now()
        self._nodes: dict[str, _Node] = {}
        for i, spec in enumerate(topology.nodes):
            names = {_fold(s): s for s in SERVICES} | {_fold(x.name): x.name for x in spec.services}
            self._nodes[_fold(spec.name)] = _Node(
                spec=spec,
                exchange_version=spec.exchange_version,
                services={_fold(s): True for s in SERVICES}
                | {_fold(x.name): x.running for x in spec.services},
                last_boot=now - timedelta(days=12, hours=3 * i, minutes=17 * i),
                service_names=names,
                display_names=dict(SERVICE_DISPLAY) | {_fold(x.name): x.display_name for x in spec.services},
            )
        self._groups: dict[str, _Group] = {}
        self._resources: dict[str, _Resource] = {}
        for g in topology.groups:
            owner = self._nodes[_fold(g.owner)].name
            recs = [_Resource(r, g.name) for r in g.resources]
            self._groups[_fold(g.name)] = _Group(g, owner, recs)
            for r in recs:
                self._resources[_fold(r.spec.name)] = r
        self._iface_state: dict[tuple[str, str], InterfaceState] = {}
        for n in topology.nodes:
            for nic in n.nics:
                self._iface_state[(_fold(n.name), _fold(nic.network))] = InterfaceState.UP
        self._quorum_lost = False
        self._cms_stopped = False
        self._cms_version = topology.cms_version
        cms_owner = self._cms_group().owner
        self._copies: dict[str, _Copy] = {}
        for i, sg in enumerate(topology.storage_groups):
            base = 4000 + 1500 * i
            c = _Copy(sg.name, sg.database, copy_queue=sg.copy_queue, replay_queue=sg.replay_queue)
            c.generated = base + sg.copy_queue + sg.replay_queue
            c.copied = base + sg.replay_queue
            c.replayed = base
            c.inspected_at = c.copied_at = now - timedelta(seconds=20 + 7 * i)
            c.replayed_at = now - timedelta(seconds=40 + 9 * i)
            c.last_full_backup = (now - timedelta(days=1 + i)).replace(
                hour=23, minute=5 + i, second=0, microsecond=0
            )
            c.last_incremental_backup = (now - timedelta(hours=5 + i)).replace(second=0, microsecond=0)
            self._copies[_fold(sg.name)] = c
        self._fsw_blocked: set[str] = set()  # nodes from which the witness share does not answer
        self._passive_hint = self._default_passive(cms_owner)
        if topology.storage_groups:
            self._schedule(self.durations.copy_tick, self._copy_tick)

    # ================================================================================ basics ====

    def stop(self) -> None:
        """Cancel every pending transition (the lab is shutting down)."""
        with self.lock:
            self._stopped = True
            for t in self._timers:
                t.cancel()
            self._timers.clear()

    def _schedule(self, nominal_s: float, fn: Callable[..., object], *args: object) -> None:
        def run() -> None:
            with self.lock:
                if self._stopped:
                    return
                fn(*args)
                self.changed.notify_all()

        with self.lock:
            if self._stopped:
                return
            self._timers = [t for t in self._timers if not t.cancelled and t.due > 0]
            self._timers.append(self.clock.call_later(nominal_s, run))
            if len(self._timers) > 256:
                self._timers = self._timers[-256:]

    def _notify(self) -> None:
        self.changed.notify_all()

    def wait_until(self, predicate: Callable[[], bool], nominal_timeout_s: float | None) -> bool:
        """Block until `predicate()` (evaluated under the lock) holds or the scaled timeout ends."""
        with self.lock:
            return self.clock.wait_for(self.changed, predicate, nominal_timeout_s)

    def require_admin(self, account: Account | None) -> None:
        """Non-administrators get Access denied (System error 5), as the cluster API answers them."""
        if account is not None and not account.admin:
            raise win32(ERROR_ACCESS_DENIED)

    def require_cluster(self, from_node: str) -> None:
        """The cluster must be reachable from `from_node` (its cluster service running, quorum held).

        cluster.exe and the Exchange cmdlets open the cluster through the local cluster service;
        when it is stopped or quorum is lost, OpenCluster fails with RPC_S_SERVER_UNAVAILABLE.
        """
        with self.lock:
            n = self._node(from_node)
            if self._quorum_lost or not n.in_cluster:
                raise win32(RPC_S_SERVER_UNAVAILABLE)

    def resolve_cluster_target(self, name: str) -> str:
        """The node that answers for `name` (the cluster name or a node name), or error 1722.

        A cluster name resolves to the owner of "Cluster Group" unless its IP address or network
        name resource is offline or failed; an unknown name or a down node cannot be reached.
        """
        with self.lock:
            if _fold(name) in (_fold(self.topology.cluster_name), "."):
                if self._quorum_lost:
                    raise win32(RPC_S_SERVER_UNAVAILABLE)
                core = self._core_group()
                if core is not None and any(
                    r.state in (GroupState.OFFLINE, GroupState.FAILED)
                    for r in core.resources
                    if r.spec.type in ("IP Address", "Network Name")
                ):
                    # The cluster name or address is down: nothing answers for the name.  (While
                    # they move, pending, the old and then the new owner answer.)
                    raise win32(RPC_S_SERVER_UNAVAILABLE)
                owner = self._nodes[_fold(core.owner)] if core else None
                if owner is not None and owner.in_cluster:
                    return owner.name
                for n in self._nodes.values():
                    if n.in_cluster:
                        return n.name
                raise win32(RPC_S_SERVER_UNAVAILABLE)
            node = self._nodes.get(_fold(name))
            if node is None or not node.in_cluster or self._quorum_lost:
                raise win32(RPC_S_SERVER_UNAVAILABLE)
            return node.name

    def node_is_powered(self, node: str) -> bool:
        """Whether the machine runs and has finished booting (WinRM answers), whatever the
        cluster service does."""
        with self.lock:
            n = self._node(node)
            return n.powered and not n.booting

    # ----------------------------------------------------------------------- lookups (internal)

    def _node(self, name: str) -> _Node:
        n = self._nodes.get(_fold(name))
        if n is None:
            raise win32(ERROR_CLUSTER_NODE_NOT_FOUND)
        return n

    def _group(self, name: str) -> _Group:
        g = self._groups.get(_fold(name))
        if g is None:
            raise win32(ERROR_GROUP_NOT_FOUND)
        return g

    def _resource(self, name: str) -> _Resource:
        r = self._resources.get(_fold(name))
        if r is None:
            raise win32(ERROR_RESOURCE_NOT_FOUND)
        return r

    def _cms_group(self) -> _Group:
        return next(g for g in self._groups.values() if g.spec.kind == "cms")

    def _core_group(self) -> _Group | None:
        return next((g for g in self._groups.values() if g.spec.kind == "core"), None)

    def _witness(self) -> _Resource | None:
        return next((r for r in self._resources.values() if r.spec.type == "File Share Witness"), None)

    def _redundant(self) -> tuple[str, ...]:
        spec = next((s for s in self.topology.groups if s.kind == "cms"), self._cms_group().spec)
        if spec.preferred_owners:
            return tuple(self._node(n).name for n in spec.preferred_owners)
        return (
            tuple(n.name for n in self.topology.nodes[:2])
            if len(self.topology.nodes) > 1
            else (self.topology.nodes[0].name,)
        )

    def _default_passive(self, active: str) -> str:
        others = [n for n in self._redundant() if _fold(n) != _fold(active)]
        return others[0] if others else active

    # ================================================================================ snapshots ==

    def nodes(self) -> list[NodeInfo]:
        with self.lock:
            return [self._node_info(n) for n in self._nodes.values()]

    def node(self, name: str) -> NodeInfo:
        """One node; LabError 5042 for an unknown name."""
        with self.lock:
            return self._node_info(self._node(name))

    def _node_info(self, n: _Node) -> NodeInfo:
        assert n.last_boot is not None
        return NodeInfo(
            name=n.name,
            node_id=n.spec.node_id,
            state=n.cluster_state(),
            paused=n.paused,
            powered=n.powered,
            booting=n.booting,
            shutting_down=n.shutting_down,
            exchange_version=n.exchange_version,
            services={n.service_names[k]: v for k, v in n.services.items()},
            last_boot=n.last_boot,
            spec=n.spec,
            service_display={n.service_names[k]: n.display_names[k] for k in n.services},
            rollup_build=n.rollup_build,
        )

    def groups(self) -> list[GroupInfo]:
        with self.lock:
            return [self._group_info(g) for g in self._groups.values()]

    def group(self, name: str) -> GroupInfo:
        """One group; LabError 5013 for an unknown name."""
        with self.lock:
            return self._group_info(self._group(name))

    def _group_info(self, g: _Group) -> GroupInfo:
        return GroupInfo(
            name=g.spec.name,
            owner=g.owner,
            state=self._group_state(g),
            kind=g.spec.kind,
            resources=tuple(r.spec.name for r in g.resources),
            preferred_owners=tuple(self._node(p).name for p in g.spec.preferred_owners),
            policy=g.policy,
        )

    def resources(self) -> list[ResourceInfo]:
        with self.lock:
            return [self._resource_info(r) for g in self._groups.values() for r in g.resources]

    def resource(self, name: str) -> ResourceInfo:
        """One resource; LabError 5007 for an unknown name."""
        with self.lock:
            return self._resource_info(self._resource(name))

    def _resource_info(self, r: _Resource) -> ResourceInfo:
        g = self._groups[_fold(r.group)]
        return ResourceInfo(
            name=r.spec.name,
            type=r.spec.type,
            group=g.spec.name,
            owner=g.owner,
            state=r.state,
            private=dict(r.spec.private),
            depends_on=r.spec.depends_on,
            possible_owners=tuple(n.name for n in self.topology.nodes),
        )

    def networks(self) -> list[NetworkInfo]:
        with self.lock:
            return [self._network_info(spec.name) for spec in self.topology.networks]

    def network(self, name: str) -> NetworkInfo:
        """One network; LabError 5045 for an unknown name."""
        with self.lock:
            for spec in self.topology.networks:
                if _fold(spec.name) == _fold(name):
                    return self._network_info(spec.name)
            raise win32(ERROR_CLUSTER_NETWORK_NOT_FOUND)

    def _network_info(self, name: str) -> NetworkInfo:
        spec = next(s for s in self.topology.networks if s.name == name)
        states = [i.state for i in self._interfaces() if i.network == name]
        up = sum(1 for s in states if s is InterfaceState.UP)
        bad = sum(1 for s in states if s in (InterfaceState.FAILED, InterfaceState.UNREACHABLE))
        if not states or all(s is InterfaceState.UNAVAILABLE for s in states):
            state = NetworkState.UNAVAILABLE
        elif up and bad:
            state = NetworkState.PARTITIONED
        elif up:
            state = NetworkState.UP
        else:
            state = NetworkState.DOWN
        return NetworkInfo(spec.name, state, spec.address, spec.mask, spec.role)

    def interfaces(self) -> list[InterfaceInfo]:
        with self.lock:
            return self._interfaces()

    def interface(self, node: str, network: str) -> InterfaceInfo:
        """The interface of `node` on `network`; LabError 5042/5045/5047 as cluster.exe reports."""
        with self.lock:
            n = self._node(node)
            self.network(network)
            for i in self._interfaces():
                if _fold(i.node) == _fold(n.name) and _fold(i.network) == _fold(network):
                    return i
            raise win32(ERROR_CLUSTER_NETINTERFACE_NOT_FOUND)

    def _interfaces(self) -> list[InterfaceInfo]:
        out = []
        for spec in self.topology.nodes:
            n = self._nodes[_fold(spec.name)]
            for nic in spec.nics:
                st = self._iface_state[(_fold(spec.name), _fold(nic.network))]
                if not n.in_cluster:
                    st = InterfaceState.UNAVAILABLE
                out.append(
                    InterfaceInfo(
                        f"{spec.name} - {nic.name}", spec.name, nic.network, nic.adapter, nic.address, st
                    )
                )
        return out

    def quorum(self) -> QuorumInfo:
        with self.lock:
            w = self._witness() if self._uses_witness() else None
            votes, needed = self._votes()
            return QuorumInfo(
                model=self.topology.quorum_model,
                witness_resource=w.spec.name if w else "",
                witness_path=w.spec.private.get("SharePath", self.topology.witness_share) if w else "",
                witness_state=w.state if w else None,
                votes=votes,
                needed=needed,
                lost=self._quorum_lost,
            )

    def cms_status(self) -> CmsInfo:
        with self.lock:
            g = self._cms_group()
            core = self._core_group()
            qowner = core.owner if core else ""
            machines = []
            for name in self._redundant():
                node = self._nodes[_fold(name)]
                if not node.in_cluster:
                    continue
                tags = []
                if _fold(name) == _fold(g.owner):
                    tags.append("Active")
                if _fold(name) == _fold(qowner):
                    tags.append("Quorum Owner")
                machines.append(f"{name} <{', '.join(tags)}>" if tags else name)
            return CmsInfo(
                name=self.topology.cms_name,
                state=self._cms_state(),
                active_node=g.owner,
                quorum_owner=qowner,
                redundant_machines=self._redundant(),
                stopped=self._cms_stopped,
                version=self._cms_version,
                failed_resources=tuple(r.spec.name for r in g.resources if r.state is GroupState.FAILED),
                operational_machines=tuple(machines),
            )

    def _cms_state(self) -> CmsState:
        return (
            CmsState(self._group_state(self._cms_group()).value)
            if not self._quorum_lost
            else CmsState.OFFLINE
        )

    def copy_status(self, storage_group: str | None = None) -> list[CopyInfo]:
        """Passive copies, all or one (by storage group name or CMS\\SG identity).

        An unknown storage group raises LabError(0, ..., error_id="StorageGroupNotFound").
        """
        with self.lock:
            if storage_group is None:
                return [self._copy_info(c) for c in self._copies.values()]
            return [self._copy_info(self._copy(storage_group))]

    def _copy(self, ident: str) -> _Copy:
        name = ident.split("\\")[-1]
        c = self._copies.get(_fold(name))
        if c is None:
            raise exchange_error(
                "StorageGroupNotFound",
                f"The operation could not be performed because object '{ident}' could not be found on "
                "domain controller 'DC1.contoso.com'.",
                "InvalidArgument",
            )
        return c

    def _copy_info(self, c: _Copy) -> CopyInfo:
        active = self._cms_group().owner
        return CopyInfo(
            identity=f"{self.topology.cms_name}\\{c.name}",
            storage_group=c.name,
            database=c.database,
            status=c.status,
            copy_queue_length=c.copy_queue,
            replay_queue_length=c.replay_queue,
            suspended=c.suspended,
            suspend_comment=c.suspend_comment,
            failed=c.status is CopyStatus.FAILED,
            failed_message=c.failed_message,
            seeding=c.seeding,
            mounted=c.mounted and self._cms_state() in (CmsState.ONLINE, CmsState.PARTIALLY_ONLINE),
            last_log_generated=c.generated,
            last_log_copied=c.copied,
            last_log_replayed=c.replayed,
            last_log_inspected=c.copied,
            last_inspected_log_time=c.inspected_at,
            last_copied_log_time=c.copied_at,
            last_replayed_log_time=c.replayed_at,
            latest_available_log_time=c.inspected_at,
            active_node=active,
            passive_node=self._passive_node(),
        )

    def _passive_node(self) -> str:
        return self._default_passive(self._cms_group().owner)

    def snapshot(self) -> EngineSnapshot:
        """Everything at one instant (taken under the lock, so it is consistent)."""
        with self.lock:
            return EngineSnapshot(
                taken_at=self.clock.now(),
                nodes=tuple(self.nodes()),
                groups=tuple(self.groups()),
                resources=tuple(self.resources()),
                networks=tuple(self.networks()),
                interfaces=tuple(self.interfaces()),
                quorum=self.quorum(),
                cms=self.cms_status(),
                copies=tuple(self.copy_status()),
            )

    def cms_version(self) -> str:
        with self.lock:
            return self._cms_version

    # ====================================================================== derived states =====

    def _group_state(self, g: _Group) -> GroupState:
        if self._quorum_lost:
            return GroupState.OFFLINE
        if not g.resources:
            return g.empty_state
        states = [r.state for r in g.resources]
        if GroupState.ONLINE_PENDING in states:
            return GroupState.ONLINE_PENDING
        if GroupState.OFFLINE_PENDING in states:
            return GroupState.OFFLINE_PENDING
        online = states.count(GroupState.ONLINE)
        failed = states.count(GroupState.FAILED)
        if online == len(states):
            return GroupState.ONLINE
        if failed and not online:
            return GroupState.FAILED
        if online:
            return GroupState.PARTIALLY_ONLINE
        return GroupState.OFFLINE

    def _uses_witness(self) -> bool:
        return "file share" in self.topology.quorum_model.casefold() and self._witness() is not None

    def _votes(self) -> tuple[int, int]:
        total = len(self._nodes) + (1 if self._uses_witness() else 0)
        votes = sum(1 for n in self._nodes.values() if n.in_cluster)
        if self._uses_witness():
            w = self._witness()
            assert w is not None
            # The witness share votes if it can be arbitrated: the resource is online, or (after
            # quorum loss, when every resource is offline) the share itself is healthy.
            if w.state is GroupState.ONLINE or (self._quorum_lost and not w.fault):
                votes += 1
        return votes, total // 2 + 1

    # ================================================================================ events ====

    def _event(
        self, node: str, provider: str, event_id: int, *values: str, when: datetime | None = None
    ) -> None:
        d = em.lookup(provider, event_id)
        log = d.channel or em.PROVIDERS[provider].channel
        data = tuple(zip(d.data_names, values, strict=False))
        self.journal.write(node, log, provider, event_id, d.level, data=data, task=d.task, when=when)

    def _cluster_nodes(self) -> list[_Node]:
        return [n for n in self._nodes.values() if n.in_cluster]

    # ========================================================================= groups ===========

    def _check_target(self, n: _Node) -> None:
        if n.shutting_down:
            raise win32(ERROR_CLUSTER_NODE_SHUTTING_DOWN)
        if not n.in_cluster:
            raise win32(ERROR_CLUSTER_NODE_DOWN)
        if n.joining:
            raise win32(ERROR_HOST_NODE_NOT_AVAILABLE)
        if n.paused:
            raise win32(ERROR_CLUSTER_NODE_PAUSED)

    def _best_target(self, g: _Group, exclude: Iterable[str] = ()) -> _Node | None:
        skip = {_fold(x) for x in exclude}
        order = [self._node(p) for p in g.spec.preferred_owners] + [
            self._nodes[_fold(s.name)] for s in sorted(self.topology.nodes, key=lambda s: s.node_id)
        ]
        for n in order:
            if _fold(n.name) in skip:
                continue
            if n.in_cluster and not n.paused and not n.joining and not n.shutting_down:
                return n
        return None

    def move_group(self, group: str, node: str | None = None) -> str:
        """Start moving a group (cluster group /move[:node]); returns the target node's name.

        No node = the best possible node (preferred owners first, then by node id).  Refused with
        5013 unknown group, 5042 unknown node, 5050 target down, 5005 target joining or no node
        available, 5070 target paused, 5073 target shutting down, 5023 while the group is pending.
        A group that was online is taken offline on the old owner, then brought online on the
        target; an offline group just changes owner.  Completes asynchronously: wait with `wait_group`.
        """
        with self.lock:
            self._require_formed()
            g = self._group(group)
            if self._group_state(g).is_pending:
                raise win32(ERROR_INVALID_STATE)
            if node is None:
                target = self._best_target(g, exclude=[g.owner])
                if target is None:
                    raise win32(ERROR_HOST_NODE_NOT_AVAILABLE)
            else:
                target = self._node(node)
                self._check_target(target)
            if _fold(target.name) == _fold(g.owner):
                return target.name
            g.failed_over = False
            self._relocate(g, target.name, failover=False)
            self._notify()
            return target.name

    def _relocate(self, g: _Group, target: str, *, failover: bool, offline_first: bool = True) -> None:
        """Move `g` to `target`: offline (if it had anything online), change owner, online again."""
        # A group being taken offline (or already offline) just changes owner.
        was_up = self._group_state(g) not in (GroupState.OFFLINE, GroupState.OFFLINE_PENDING)
        if g.spec.kind == "cms" and self._cms_stopped:
            was_up = False
        g.gen += 1
        gen = g.gen
        source = g.owner
        if failover:
            self._event(target, em.FAILOVER_CLUSTERING, 1153, g.spec.name, source, target)
        if not was_up:
            self._force_offline(g)
            g.owner = target
            return
        if not offline_first:
            # The old owner is gone: its resources are simply offline now.
            self._force_offline(g)
            g.owner = target
            self._begin_online(g)
            return
        self._event(source, em.FAILOVER_CLUSTERING, 1203, g.spec.name)
        for r in g.resources:
            if r.state in (GroupState.ONLINE, GroupState.ONLINE_PENDING):
                r.state = GroupState.OFFLINE_PENDING
        off_s = self.durations.cms_offline if g.spec.kind == "cms" else self.durations.resource_offline

        def offline_done() -> None:
            if g.gen != gen:
                return
            for r in g.resources:
                if r.state in (GroupState.OFFLINE_PENDING, GroupState.FAILED):
                    r.state = GroupState.OFFLINE
            self._event(source, em.FAILOVER_CLUSTERING, 1204, g.spec.name)
            if not g.resources:
                g.empty_state = GroupState.OFFLINE
            t = self._nodes[_fold(target)]
            if not t.in_cluster or t.paused:
                # The target went away meanwhile: the group stays offline where it was.
                return
            g.owner = target
            self._begin_online(g)

        if not g.resources:
            g.empty_state = GroupState.OFFLINE_PENDING
        self._schedule(off_s, offline_done)

    def _begin_online(self, g: _Group) -> None:
        g.gen += 1
        gen = g.gen
        owner = g.owner
        self._event(owner, em.FAILOVER_CLUSTERING, 1200, g.spec.name)
        for r in g.resources:
            if r.state is not GroupState.ONLINE:
                r.state = GroupState.ONLINE_PENDING
        if not g.resources:
            g.empty_state = GroupState.ONLINE_PENDING
        on_s = self.durations.cms_online if g.spec.kind == "cms" else self.durations.resource_online
        self._schedule(on_s, self._finish_online, g, gen)

    def _finish_online(self, g: _Group, gen: int) -> None:
        if g.gen != gen:
            return
        owner = g.owner
        failed: set[str] = set()
        for r in g.resources:
            if r.state is not GroupState.ONLINE_PENDING:
                continue
            if r.fault or any(_fold(d) in failed for d in r.spec.depends_on):
                if r.fault:
                    r.state = GroupState.FAILED
                    failed.add(_fold(r.spec.name))
                    self._event(owner, em.FAILOVER_CLUSTERING, 1069, r.spec.name, g.spec.name)
                    self._witness_event(r, owner)
                else:
                    # A dependency failed: this one cannot start and stays offline.
                    r.state = GroupState.OFFLINE
                    failed.add(_fold(r.spec.name))
            else:
                r.state = GroupState.ONLINE
        if not g.resources:
            g.empty_state = GroupState.ONLINE
        state = self._group_state(g)
        if state is GroupState.ONLINE:
            self._event(owner, em.FAILOVER_CLUSTERING, 1201, g.spec.name)
        else:
            self._event(owner, em.FAILOVER_CLUSTERING, 1205, g.spec.name)
        if g.spec.kind == "cms":
            if state is GroupState.ONLINE:
                for c in self._copies.values():
                    c.mounted = True
            self._refresh_copies()
        self._evaluate_quorum()

    def _witness_event(self, r: _Resource, node: str) -> None:
        if r.spec.type == "File Share Witness":
            share = r.spec.private.get("SharePath", self.topology.witness_share)
            self._event(node, em.FAILOVER_CLUSTERING, 1564, r.spec.name, share)

    def online_group(self, group: str, node: str | None = None) -> None:
        """Bring a group online on its owner (or move it to `node` first): cluster group /online.

        Refused with 5070 when the owner is paused (a paused node keeps what it owns but brings
        nothing new online), 5005 when the owner is down.  Clears nothing: a resource with a
        persistent fault fails again (1069, then 1205 for the group).
        """
        with self.lock:
            self._require_formed()
            g = self._group(group)
            if node is not None and _fold(self._node(node).name) != _fold(g.owner):
                target = self._node(node)
                self._check_target(target)
                if self._group_state(g) is not GroupState.OFFLINE:
                    self.move_group(group, target.name)
                    return
                g.owner = target.name
            if self._group_state(g).is_pending:
                raise win32(ERROR_INVALID_STATE)
            owner = self._nodes[_fold(g.owner)]
            self._check_target(owner)
            if g.spec.kind == "cms":
                self._cms_stopped = False
            if self._group_state(g) is GroupState.ONLINE:
                return
            self._begin_online(g)
            self._notify()

    def offline_group(self, group: str) -> None:
        """Take a group offline on its owner (cluster group /offline); 1203 then 1204."""
        with self.lock:
            self._require_formed()
            g = self._group(group)
            if self._group_state(g).is_pending:
                raise win32(ERROR_INVALID_STATE)
            if self._group_state(g) is GroupState.OFFLINE:
                return
            self._begin_offline(g)
            self._notify()

    def _begin_offline(self, g: _Group, nominal_s: float | None = None) -> None:
        g.gen += 1
        gen = g.gen
        owner = g.owner
        self._event(owner, em.FAILOVER_CLUSTERING, 1203, g.spec.name)
        for r in g.resources:
            if r.state in (GroupState.ONLINE, GroupState.ONLINE_PENDING):
                r.state = GroupState.OFFLINE_PENDING
        if not g.resources:
            g.empty_state = GroupState.OFFLINE_PENDING
        if nominal_s is None:
            nominal_s = (
                self.durations.cms_offline if g.spec.kind == "cms" else self.durations.resource_offline
            )

        def done() -> None:
            if g.gen != gen:
                return
            for r in g.resources:
                if r.state in (GroupState.OFFLINE_PENDING, GroupState.FAILED):
                    r.state = GroupState.OFFLINE
            if not g.resources:
                g.empty_state = GroupState.OFFLINE
            self._event(owner, em.FAILOVER_CLUSTERING, 1204, g.spec.name)
            if g.spec.kind == "cms":
                for c in self._copies.values():
                    c.mounted = False

        self._schedule(nominal_s, done)

    def wait_group(self, group: str, nominal_timeout_s: float | None) -> GroupInfo:
        """Wait until the group leaves its pending states (or the timeout); returns its state."""
        with self.lock:
            g = self._group(group)
            self.clock.wait_for(self.changed, lambda: not self._group_state(g).is_pending, nominal_timeout_s)
            return self._group_info(g)

    def wait_resource(self, resource: str, nominal_timeout_s: float | None) -> ResourceInfo:
        with self.lock:
            r = self._resource(resource)
            self.clock.wait_for(self.changed, lambda: not r.state.is_pending, nominal_timeout_s)
            return self._resource_info(r)

    # ====================================================================== resources ==========

    def online_resource(self, resource: str) -> None:
        """Bring one resource online on its group's owner (cluster res /online).

        A persistent fault (see `fail_resource`) makes it fail again.  Dependencies must be
        online first (5004 is not modelled; they are brought online with it).
        """
        with self.lock:
            self._require_formed()
            r = self._resource(resource)
            g = self._groups[_fold(r.group)]
            self._check_target(self._nodes[_fold(g.owner)])
            if r.state is GroupState.ONLINE:
                return
            if r.state.is_pending:
                raise win32(ERROR_INVALID_STATE)
            if g.spec.kind == "cms":
                # Cluster tools bypass Exchange: the CMS is no longer "stopped" once any of its
                # resources is brought online by hand.
                self._cms_stopped = False
            todo = self._with_dependencies(r)
            gen = g.gen
            for x in todo:
                if x.state is not GroupState.ONLINE:
                    x.state = GroupState.ONLINE_PENDING
            self._schedule(self.durations.resource_online, self._finish_online, g, gen)
            self._notify()

    def _with_dependencies(self, r: _Resource) -> list[_Resource]:
        out: list[_Resource] = []
        stack = [r]
        while stack:
            x = stack.pop()
            if x in out:
                continue
            out.append(x)
            stack.extend(self._resources[_fold(d)] for d in x.spec.depends_on if _fold(d) in self._resources)
        return out

    def offline_resource(self, resource: str) -> None:
        """Take one resource (and what depends on it) offline (cluster res /offline)."""
        with self.lock:
            self._require_formed()
            r = self._resource(resource)
            if r.state.is_pending:
                raise win32(ERROR_INVALID_STATE)
            if r.state in (GroupState.OFFLINE, GroupState.FAILED):
                r.state = GroupState.OFFLINE
                self._notify()
                return
            g = self._groups[_fold(r.group)]
            victims = [r] + [x for x in g.resources if r in self._with_dependencies(x) and x is not r]
            for x in victims:
                if x.state is GroupState.ONLINE:
                    x.state = GroupState.OFFLINE_PENDING

            def done() -> None:
                for x in victims:
                    if x.state is GroupState.OFFLINE_PENDING:
                        x.state = GroupState.OFFLINE
                self._evaluate_quorum()

            self._schedule(self.durations.resource_offline, done)
            self._notify()

    def fail_resource(self, resource: str, *, persistent: bool = False) -> None:
        """Fault injection: a running resource fails now (1069 on the owner; 1564 for a file share
        witness).  An offline resource only keeps the fault for its next online (if persistent).

        Its dependents go offline; the group becomes Partially Online or Failed; the cluster's
        restart policy is not modelled (it stays failed until brought online).  `persistent`
        keeps failing every online attempt until `clear_fault`.
        """
        with self.lock:
            r = self._resource(resource)
            r.fault = persistent
            g = self._groups[_fold(r.group)]
            if self._quorum_lost or r.state in (GroupState.OFFLINE, GroupState.FAILED):
                # Only a running resource can fail; an offline one fails at its next online.
                return
            r.state = GroupState.FAILED
            for x in g.resources:
                if x is not r and r in self._with_dependencies(x) and x.state is not GroupState.FAILED:
                    x.state = GroupState.OFFLINE
            self._event(g.owner, em.FAILOVER_CLUSTERING, 1069, r.spec.name, g.spec.name)
            self._witness_event(r, g.owner)
            if self._group_state(g) is not GroupState.ONLINE:
                self._event(g.owner, em.FAILOVER_CLUSTERING, 1205, g.spec.name)
            self._evaluate_quorum()
            self._notify()

    def clear_fault(self, resource: str) -> None:
        """End a persistent fault; the resource stays Failed until brought online."""
        with self.lock:
            self._resource(resource).fault = False
            self._evaluate_quorum()
            self._notify()

    # ========================================================================= nodes ============

    def pause_node(self, node: str) -> None:
        """Pause a node: it keeps its groups but takes no new ones.  Pausing twice is harmless."""
        with self.lock:
            self._require_formed()
            n = self._node(node)
            if not n.in_cluster:
                raise win32(ERROR_CLUSTER_NODE_DOWN)
            n.paused = True
            self._notify()

    def resume_node(self, node: str) -> None:
        """Resume a paused node; 5058 if it is not paused."""
        with self.lock:
            self._require_formed()
            n = self._node(node)
            if not n.paused:
                raise win32(ERROR_CLUSTER_NODE_NOT_PAUSED)
            n.paused = False
            self._failback_tick()
            self._notify()

    def reboot_node(self, node: str, *, user: str = "CONTOSO\\Administrator", delay_s: float = 0.0) -> None:
        """shutdown /r: after `delay_s` the node shuts down (groups fail over), boots, rejoins.

        The pause flag survives; a stopped CMS stays offline; the node comes back as Joining,
        then Up (or Paused).  USER32 1074 is logged at once, EventLog 6006 at shutdown, 6005 and
        6009 at boot.
        """
        with self.lock:
            n = self._node(node)
            if not n.powered or n.shutting_down:
                raise win32(ERROR_CLUSTER_NODE_SHUTTING_DOWN)
            self._event(
                n.name,
                em.USER32,
                1074,
                "C:\\Windows\\system32\\shutdown.exe (" + n.name + ")",
                n.name,
                user,
                "No title for this reason could be found",
                "0x800000ff",
                "restart",
                "",
            )
            self._schedule(delay_s, self._shutdown, n)
            self._notify()

    def _shutdown(self, n: _Node) -> None:
        if not n.powered:
            return
        n.shutting_down = True
        # The cluster service stops first: every group it owns moves away (a graceful leave).
        for g in list(self._groups.values()):
            if _fold(g.owner) == _fold(n.name):
                target = self._best_target(g, exclude=[n.name])
                if target is not None:
                    self._relocate(g, target.name, failover=False)
                else:
                    self._begin_offline(g)

        def off() -> None:
            self._event(n.name, em.EVENTLOG, 6006)
            n.shutting_down = False
            self._power_off(n, crash=False)
            if _fold(n.name) not in self.boot_held:
                self._schedule(self.durations.boot, self._boot, n)

        self._schedule(self.durations.shutdown, off)

    def _power_off(self, n: _Node, *, crash: bool) -> None:
        was_member = n.in_cluster
        n.powered = False
        n.joining = False
        if was_member and crash:
            for other in self._cluster_nodes():
                self._event(other.name, em.FAILOVER_CLUSTERING, 1135, n.name)
        self._on_member_lost(n, crash=crash)

    def _on_member_lost(self, n: _Node, *, crash: bool) -> None:
        """A node left the membership: fail its groups over, re-check quorum and the copies."""
        if self._evaluate_quorum():
            return
        for g in list(self._groups.values()):
            if _fold(g.owner) != _fold(n.name):
                continue
            target = self._best_target(g, exclude=[n.name])
            if target is None:
                self._force_offline(g)
                continue
            if not self._may_fail_over(g):
                continue
            if crash:
                # The survivors notice the loss after the heartbeat timeout, then fail over to
                # the best node available at that moment.
                self._force_offline(g)

                def later(g: _Group = g, gen: int = g.gen) -> None:
                    if g.gen != gen or self._quorum_lost:
                        return
                    t = self._best_target(g, exclude=[n.name])
                    if t is None:
                        return
                    self._event(t.name, em.FAILOVER_CLUSTERING, 1153, g.spec.name, n.name, t.name)
                    g.owner = t.name
                    self._refresh_copies()
                    if g.spec.kind == "cms" and self._cms_stopped:
                        return
                    self._begin_online(g)

                self._schedule(self.durations.failover_detect, later)
            else:
                self._relocate(g, target.name, failover=True, offline_first=False)
        self._refresh_copies()

    def _force_offline(self, g: _Group) -> None:
        """Everything of `g` stops at once (its node is gone); pending steps become stale."""
        g.gen += 1
        for r in g.resources:
            if r.state is not GroupState.FAILED:
                r.state = GroupState.OFFLINE
        if not g.resources:
            g.empty_state = GroupState.OFFLINE

    def _boot(self, n: _Node) -> None:
        n.powered = True
        n.booting = True
        n.last_boot = self.clock.now()
        self._event(n.name, em.EVENTLOG, 6009, "6.00.", "6001", "Service Pack 1", "Multiprocessor Free")
        self._event(n.name, em.EVENTLOG, 6005)

        def services_up() -> None:
            n.booting = False
            for k in list(n.services):
                n.services[k] = True
            self._join(n)

        self._schedule(self.durations.join, services_up)

    def _join(self, n: _Node) -> None:
        if not n.in_cluster:
            return
        n.joining = True
        self._notify()

        def joined() -> None:
            if not n.in_cluster:
                return
            n.joining = False
            if self._quorum_lost:
                self._evaluate_quorum()
                return
            self._event(n.name, em.FAILOVER_CLUSTERING, 1062, self.topology.cluster_name)
            self._refresh_copies()
            self._failback_tick()

        self._schedule(self.durations.join, joined)

    def hold_boot(self, node: str, held: bool = True) -> None:
        """Lab control: a restarted node stays off (stuck at POST) until released with
        `set_node_up` -- the node that does not come back after a reboot."""
        with self.lock:
            (self.boot_held.add if held else self.boot_held.discard)(_fold(node))

    def set_node_down(self, node: str) -> None:
        """Crash a node (power loss): 1135 on the survivors, groups fail over after detection."""
        with self.lock:
            n = self._node(node)
            if not n.powered:
                return
            self._power_off(n, crash=True)
            self._notify()

    def set_node_up(self, node: str) -> None:
        """Power a crashed node back on: it boots (6008 unexpected shutdown), joins, comes Up/Paused."""
        with self.lock:
            n = self._node(node)
            if n.powered:
                return
            now = self.clock.now()
            self._event(n.name, em.EVENTLOG, 6008, now.strftime("%I:%M:%S %p").lstrip("0"), f"{now:%m/%d/%Y}")
            self._schedule(0, self._boot_now, n)

    def _boot_now(self, n: _Node) -> None:
        if not n.powered:
            self._boot(n)

    def stop_service(self, node: str, service: str) -> None:
        """net stop <service>: ClusSvc leaves the cluster gracefully (groups move off);
        MSExchangeRepl on the passive node puts the copies in ServiceDown.  SCM 7036 is logged."""
        with self.lock:
            n = self._node(node)
            key = _fold(service)
            if key not in n.services:
                raise LabError(1060, "The specified service does not exist as an installed service.")
            if not n.services[key]:
                raise LabError(1062, "The service has not been started.")
            member = n.in_cluster
            n.services[key] = False
            self._event(n.name, em.SCM, 7036, n.display_names[key], "stopped")
            if key == "clussvc" and member:
                n.joining = False
                for g in list(self._groups.values()):
                    if _fold(g.owner) == _fold(n.name):
                        target = self._best_target(g, exclude=[n.name])
                        if target is not None:
                            self._relocate(g, target.name, failover=False)
                self._on_member_lost(n, crash=False)
            self._refresh_copies()
            self._notify()

    def start_service(self, node: str, service: str) -> None:
        """net start <service>: ClusSvc rejoins (Joining, then Up/Paused); 1056 if already running."""
        with self.lock:
            n = self._node(node)
            key = _fold(service)
            if key not in n.services:
                raise LabError(1060, "The specified service does not exist as an installed service.")
            if n.services[key]:
                raise LabError(1056, "An instance of the service is already running.")
            n.services[key] = True
            self._event(n.name, em.SCM, 7036, n.display_names[key], "running")
            if key == "clussvc":
                self._join(n)
                self._evaluate_quorum()
            self._refresh_copies()
            self._notify()

    def service_running(self, node: str, service: str) -> bool:
        with self.lock:
            return self._node(node).services.get(_fold(service), False)

    # ============================================================================== quorum =====

    def _require_formed(self) -> None:
        if self._quorum_lost:
            raise win32(RPC_S_SERVER_UNAVAILABLE)

    def _evaluate_quorum(self) -> bool:
        """Lose quorum when votes fall below a majority; re-form when they are back.

        Returns True when quorum was just lost (callers stop their own failover work).
        """
        votes, needed = self._votes()
        if not self._quorum_lost and votes < needed:
            self._quorum_lost = True
            for n in self._cluster_nodes():
                self._event(n.name, em.FAILOVER_CLUSTERING, 1177)
            for g in self._groups.values():
                g.gen += 1
                for r in g.resources:
                    r.state = GroupState.OFFLINE
                if not g.resources:
                    g.empty_state = GroupState.OFFLINE
            self._refresh_copies()
            self._schedule(self.durations.service_restart, self._retry_form)
            return True
        if self._quorum_lost and votes >= needed and any(not n.joining for n in self._cluster_nodes()):
            # The service control manager restarts the cluster service; it forms the cluster and
            # brings every group online on its owner (or the best node if the owner is gone).
            self._quorum_lost = False
            for g in self._groups.values():
                owner = self._nodes[_fold(g.owner)]
                if not owner.in_cluster:
                    t = self._best_target(g)
                    if t is None:
                        continue
                    g.owner = t.name
                if g.spec.kind == "cms" and self._cms_stopped:
                    continue
                self._begin_online(g)
            self._refresh_copies()
        return False

    def _retry_form(self) -> None:
        """The SCM restarts the cluster service on the survivors; it keeps trying to form."""
        if not self._quorum_lost:
            return
        self._evaluate_quorum()
        if self._quorum_lost:
            self._schedule(self.durations.service_restart, self._retry_form)

    # ================================================================================== CMS ====

    def move_cms(
        self,
        target: str,
        comment: str,
        *,
        validate_only: bool = False,
        ignore_dismounted: bool = False,
        user: str = "CONTOSO\\Administrator",
    ) -> None:
        """Move-ClusteredMailboxServer: a handoff from the active to the passive node.

        Exchange-level refusals (LabError code 0, error_id): "MoveCommentRequired",
        "CmsNotOnline" (not Online and not stopped: pending, failed, partially online),
        "TargetNotRedundantMachine", "TargetIsActive" (only active -> passive),
        "TargetNotAvailable" (down, joining, paused or cluster service stopped),
        "ReplicationNotHealthy" (a copy is not Healthy; with `ignore_dismounted`, copies of
        dismounted databases are not checked).  `validate_only` runs the checks and changes nothing.
        On success: MSExchangeCluster 1000 (with the comment) on the active node, then the group
        moves (cms_offline + cms_online nominal seconds) and MSExchangeRepl 100 is logged on
        the target with the handoff time.

        A CMS stopped with Stop-ClusteredMailboxServer can be moved too (the service-pack
        procedure moves it stopped to the upgraded node): it changes owner and arrives stopped;
        its copies are not checked (nothing is mounted, nothing is lost).
        """
        with self.lock:
            self._require_formed()
            if not comment.strip():
                raise exchange_error(
                    "MoveCommentRequired", "The MoveComment parameter must be specified.", "InvalidArgument"
                )
            g = self._cms_group()
            tnode = self._check_cms_target(g, target)
            stopped = self._cms_stopped and self._cms_state() is CmsState.OFFLINE
            if not stopped:
                self._check_cms_movable(tnode, ignore_dismounted)
            if validate_only:
                return
            source = g.owner
            self._event(source, em.MSEXCHANGECLUSTER, 1000, self.topology.cms_name, tnode.name, user, comment)
            if stopped:
                g.gen += 1
                g.owner = tnode.name
                self._refresh_copies()
                self._notify()
                return
            self._handoff(g, source, tnode, comment)
            self._notify()

    def _check_cms_target(self, g: _Group, target: str) -> _Node:
        """The target of a CMS move must be the other redundant machine, up in the cluster."""
        cms = self.topology.cms_name
        red = {_fold(x): x for x in self._redundant()}
        if _fold(target) not in red:
            raise exchange_error(
                "TargetNotRedundantMachine",
                f"The target machine '{target}' is not in the list of redundant machines for clustered "
                f"mailbox server '{cms}'.",
                "InvalidArgument",
            )
        tnode = self._nodes[_fold(target)]
        if _fold(target) == _fold(g.owner):
            raise exchange_error(
                "TargetIsActive",
                f"Clustered mailbox server '{cms}' is already running on '{tnode.name}'. "
                "The target machine "
                "must be the passive node.",
                "InvalidArgument",
            )
        if not tnode.in_cluster or tnode.joining or tnode.paused or tnode.shutting_down:
            why = "paused" if tnode.paused else "not available"
            raise exchange_error(
                "TargetNotAvailable",
                f"The target machine '{tnode.name}' is {why} in the cluster and cannot host clustered "
                f"mailbox server '{cms}'.",
            )
        return tnode

    def _check_cms_movable(self, tnode: _Node, ignore_dismounted: bool) -> None:
        """A running CMS moves only when Online and its copies are healthy on the target."""
        cms = self.topology.cms_name
        state = self._cms_state()
        if self._cms_stopped or state is not CmsState.ONLINE:
            raise exchange_error(
                "CmsNotOnline",
                f"Clustered mailbox server '{cms}' is not online (state: {state.value}). "
                "It cannot be moved.",
            )
        if not tnode.services.get("msexchangerepl", False):
            raise exchange_error(
                "ReplicationNotHealthy",
                f"The Microsoft Exchange Replication service is not running on '{tnode.name}'.",
            )
        for c in self._copies.values():
            if ignore_dismounted and not c.mounted:
                continue
            if c.status is not CopyStatus.HEALTHY:
                raise exchange_error(
                    "ReplicationNotHealthy",
                    f"The storage group copy '{cms}\\{c.name}' is not healthy "
                    f"(status: {c.status.value}). "
                    "Clustered mailbox server handoff is not allowed.",
                )

    def _handoff(self, g: _Group, source: str, tnode: _Node, comment: str) -> None:
        """Move the running CMS group; MSExchangeRepl 100 on the target once it is online there."""
        cms = self.topology.cms_name
        started = self.clock.now()
        self._relocate(g, tnode.name, failover=False)
        gen_watch = g.gen

        def watch() -> None:
            if self._cms_stopped:
                return
            st = self._group_state(g)
            if st.is_pending or g.gen < gen_watch:
                self._schedule(self.durations.resource_online / 3, watch)
                return
            if _fold(g.owner) == _fold(tnode.name):
                secs = (self.clock.now() - started).total_seconds() * self.clock.speed
                self._event(
                    tnode.name, em.MSEXCHANGEREPL, 100, cms, source, tnode.name, f"{secs:.0f}", comment
                )
                for c in self._copies.values():
                    c.copy_queue = self._rng.randint(0, 2)
                    c.replay_queue = self._rng.randint(0, 3)
                    c.status = CopyStatus.INITIALIZING
                    self._schedule(self.durations.copy_initializing, self._copy_ready, c, c.gen)
            else:
                self._event(source, em.MSEXCHANGECLUSTER, 1003, cms, "The handoff did not complete.")

        self._schedule(self.durations.cms_offline + self.durations.resource_online / 3, watch)

    def start_cms(self, *, user: str = "CONTOSO\\Administrator") -> None:
        """Start-ClusteredMailboxServer: clears the stopped flag and brings the CMS group online.

        Refused ("CmsAlreadyRunning") when the CMS is not offline, ("CmsVersionMismatch") when the
        CMS's version is older than every node's Exchange version (setup /upgradecms skipped), and
        ("TargetNotAvailable") when its owner node is down or paused.
        """
        with self.lock:
            self._require_formed()
            g = self._cms_group()
            cms = self.topology.cms_name
            state = self._cms_state()
            if state not in (CmsState.OFFLINE, CmsState.FAILED):
                raise exchange_error(
                    "CmsAlreadyRunning",
                    f"Clustered mailbox server '{cms}' is already running (state: {state.value}).",
                )
            versions = {self._nodes[_fold(n)].exchange_version for n in self._redundant()}
            if self._cms_version not in versions:
                raise exchange_error(
                    "CmsVersionMismatch",
                    f"Clustered mailbox server '{cms}' cannot be started because its version "
                    f"({self._cms_version}) does not match the version of Exchange on the cluster nodes "
                    f"({', '.join(sorted(versions))}). Run setup.com /upgradecms.",
                )
            owner = self._nodes[_fold(g.owner)]
            if not owner.in_cluster or owner.paused:
                t = self._best_target(g)
                if t is None:
                    raise exchange_error(
                        "TargetNotAvailable",
                        f"No node is available to start clustered mailbox server '{cms}'.",
                    )
                g.owner = t.name
            self._event(g.owner, em.MSEXCHANGECLUSTER, 1002, cms, user)
            self._cms_stopped = False
            self._begin_online(g)
            self._notify()

    def stop_cms(self, reason: str, *, user: str = "CONTOSO\\Administrator") -> None:
        """Stop-ClusteredMailboxServer: the CMS goes offline and stays offline (even across
        reboots) until Start.  The reason is required ("StopReasonRequired") and logged
        (MSExchangeCluster 1001 on the active node).  Stopping a stopped CMS is harmless."""
        with self.lock:
            self._require_formed()
            if not reason.strip():
                raise exchange_error(
                    "StopReasonRequired", "The StopReason parameter must be specified.", "InvalidArgument"
                )
            g = self._cms_group()
            self._event(g.owner, em.MSEXCHANGECLUSTER, 1001, self.topology.cms_name, user, reason)
            self._cms_stopped = True
            if self._group_state(g) is not GroupState.OFFLINE:
                self._begin_offline(g)
            self._notify()

    # =============================================================================== copies ====

    def suspend_copy(self, storage_group: str, comment: str = "") -> None:
        """Suspend-StorageGroupCopy: copying and replay stop; the copy queue grows with new logs.
        Suspending a suspended copy is not an error (it only updates the comment)."""
        with self.lock:
            c = self._copy(storage_group)
            c.gen += 1
            c.suspended = True
            c.seeding = False
            c.suspend_comment = comment
            c.status = CopyStatus.SUSPENDED
            self._event(self._passive_node(), em.MSEXCHANGEREPL, 2071, c.name, comment)
            self._notify()

    def resume_copy(self, storage_group: str) -> None:
        """Resume-StorageGroupCopy: Initializing, then Healthy; queues drain over the next ticks.
        Refused ("CopyNotSuspended") when the copy is not suspended or failed."""
        with self.lock:
            c = self._copy(storage_group)
            if c.status not in (CopyStatus.SUSPENDED, CopyStatus.FAILED):
                raise exchange_error(
                    "CopyNotSuspended",
                    f"The storage group copy '{self.topology.cms_name}\\{c.name}' is not suspended.",
                )
            c.gen += 1
            c.suspended = False
            c.suspend_comment = ""
            c.failed_message = ""
            c.status = CopyStatus.INITIALIZING
            self._event(self._passive_node(), em.MSEXCHANGEREPL, 2072, c.name)
            self._schedule(self.durations.copy_initializing, self._copy_ready, c, c.gen)
            self._notify()

    def update_copy(
        self, storage_group: str, *, manual_resume: bool = False, delete_existing: bool = False
    ) -> None:
        """Update-StorageGroupCopy (reseed): requires a suspended copy ("CopyNotSuspended");
        Seeding for `Durations.seed`, then queues at 0 and Healthy (or Suspended with
        `manual_resume`).  `delete_existing` is accepted (the lab has no files to refuse on)."""
        with self.lock:
            c = self._copy(storage_group)
            if not c.suspended:
                raise exchange_error(
                    "CopyNotSuspended",
                    f"The storage group copy '{self.topology.cms_name}\\{c.name}' must be suspended "
                    "before it "
                    "can be reseeded. Run Suspend-StorageGroupCopy first.",
                )
            c.gen += 1
            gen = c.gen
            c.seeding = True
            c.status = CopyStatus.SEEDING
            c.manual_resume = manual_resume
            self._event(self._passive_node(), em.MSEXCHANGEREPL, 2073, c.name, self._cms_group().owner)

            def seeded() -> None:
                if c.gen != gen:
                    return
                now = self.clock.now()
                c.seeding = False
                c.copied = c.replayed = c.generated
                c.copy_queue = c.replay_queue = 0
                c.copied_at = c.replayed_at = c.inspected_at = now
                self._event(self._passive_node(), em.MSEXCHANGEREPL, 2074, c.name)
                if manual_resume:
                    c.status = CopyStatus.SUSPENDED
                else:
                    c.suspended = False
                    c.suspend_comment = ""
                    c.status = CopyStatus.HEALTHY

            self._schedule(self.durations.seed, seeded)
            self._notify()

    def fail_copy(self, storage_group: str, message: str) -> None:
        """Fault injection: the copy goes Failed with `message` as FailedMessage."""
        with self.lock:
            c = self._copy(storage_group)
            c.gen += 1
            c.status = CopyStatus.FAILED
            c.failed_message = message
            self._notify()

    def _copy_ready(self, c: _Copy, gen: int) -> None:
        if c.gen != gen or c.status is not CopyStatus.INITIALIZING:
            return
        c.status = CopyStatus.HEALTHY
        self._refresh_copies()

    def _refresh_copies(self) -> None:
        """Copies follow the passive node: its replication service down -> ServiceDown."""
        passive = self._nodes[_fold(self._passive_node())]
        ok = passive.powered and not passive.booting and passive.services.get("msexchangerepl", False)
        for c in self._copies.values():
            if not ok:
                if c.status not in (CopyStatus.SUSPENDED, CopyStatus.FAILED):
                    c.gen += 1
                    c.seeding = False
                    c.status = CopyStatus.SERVICE_DOWN
            elif c.status is CopyStatus.SERVICE_DOWN:
                c.gen += 1
                c.status = CopyStatus.INITIALIZING
                self._schedule(self.durations.copy_initializing, self._copy_ready, c, c.gen)

    def _copy_tick(self) -> None:
        """Logs are generated on the active node; the passive copy copies and replays them."""
        now = self.clock.now()
        producing = self._cms_state() in (CmsState.ONLINE, CmsState.PARTIALLY_ONLINE)
        self._failback_tick()
        for c in self._copies.values():
            if producing and c.mounted:
                c.generated += self._rng.randint(0, 3)
            if c.status is CopyStatus.HEALTHY:
                # Copy and replay keep up, a log or two behind; backlog after a resume drains.
                c.copied = max(c.copied, c.generated - self._rng.randint(0, 2))
                c.copied = min(c.copied, c.generated)
                backlog = c.copied - c.replayed
                c.replayed += (
                    max(0, backlog - self._rng.randint(0, 3))
                    if backlog > 3
                    else max(0, backlog - self._rng.randint(0, backlog))
                )
                c.copied_at = c.inspected_at = now - timedelta(seconds=self._rng.randint(1, 30))
                if c.replayed == c.copied or self._rng.random() < 0.5:
                    c.replayed_at = now - timedelta(seconds=self._rng.randint(5, 60))
            c.copy_queue = max(0, c.generated - c.copied)
            c.replay_queue = max(0, c.copied - c.replayed)
        self._schedule(self.durations.copy_tick, self._copy_tick)

    # ============================================ databases, backups, owners, failback, witness ==

    def _may_fail_over(self, g: _Group) -> bool:
        """FailoverThreshold within FailoverPeriod: one failover too many leaves the group failed."""
        now = self.clock.now()
        if not g.policy.failovers_allowed(g.failovers, now):
            g.gen += 1
            for r in g.resources:
                r.state = GroupState.FAILED
            if not g.resources:
                g.empty_state = GroupState.FAILED
            return False
        since = now - timedelta(hours=g.policy.failover_period)
        g.failovers = [t for t in g.failovers if t >= since] + [now]
        g.failed_over = True
        return True

    def _failback_target(self, g: _Group) -> _Node | None:
        """The group's most preferred owner that can take it now, if that is not its owner."""
        for name in g.spec.preferred_owners:
            n = self._node(name)
            if n.in_cluster and not n.paused and not n.joining and not n.shutting_down:
                return None if _fold(n.name) == _fold(g.owner) else n
        return None

    def _failback_tick(self) -> None:
        """Groups that failed over return to their preferred owner when AutoFailbackType allows
        it, inside FailbackWindowStart..End (node local time = UTC here)."""
        if self._quorum_lost:
            return
        now = self.clock.now()
        for g in self._groups.values():
            if not (g.failed_over and g.policy.failback_allowed and g.policy.in_window(now)):
                continue
            if self._group_state(g).is_pending:
                continue
            target = self._failback_target(g)
            if target is None:
                continue
            g.failed_over = False
            self._relocate(g, target.name, failover=False)

    def set_group_owners(self, group: str, nodes: Sequence[str]) -> None:
        """cluster group /setowners: the preferred owners, in order (5042 for an unknown node)."""
        with self.lock:
            self._require_formed()
            g = self._group(group)
            names = tuple(self._node(n).name for n in nodes if n.strip())
            g.spec = replace(g.spec, preferred_owners=names)
            self._failback_tick()
            self._notify()

    def set_group_properties(self, group: str, assignments: Sequence[tuple[str, str]]) -> None:
        """cluster group /prop Name=Value ...: all or nothing; 87 for an unknown, read-only or
        out-of-range property."""
        with self.lock:
            self._require_formed()
            g = self._group(group)
            try:
                g.policy = apply_assignments(g.policy, list(assignments))
            except PolicyError as exc:
                raise win32(exc.code) from None
            self._failback_tick()
            self._notify()

    def _database_copy(self, ident: str) -> _Copy:
        """A database by name, SG\\DB or CMS\\SG\\DB identity."""
        name = _fold(ident.split("\\")[-1])
        for c in self._copies.values():
            if _fold(c.database) == name:
                return c
        raise exchange_error(
            "DatabaseNotFound",
            f"The operation could not be performed because object '{ident}' could not be found on "
            "domain controller 'DC1.contoso.com'.",
            "InvalidArgument",
        )

    def databases(self, ident: str | None = None) -> list[DatabaseInfo]:
        """The CMS's mailbox databases (one per storage group); "DatabaseNotFound" for a bad name."""
        with self.lock:
            copies = list(self._copies.values()) if ident is None else [self._database_copy(ident)]
            online = self._cms_state() in (CmsState.ONLINE, CmsState.PARTIALLY_ONLINE)
            base = "C:\\Program Files\\Microsoft\\Exchange Server\\Mailbox"
            return [
                DatabaseInfo(
                    name=c.database,
                    storage_group=c.name,
                    server=self.topology.cms_name,
                    edb_file_path=f"{base}\\{c.name}\\{c.database}.edb",
                    mounted=c.mounted and online,
                    last_full_backup=c.last_full_backup,
                    last_incremental_backup=c.last_incremental_backup,
                    active_node=self._cms_group().owner,
                    passive_node=self._passive_node(),
                )
                for c in copies
            ]

    def mount_database(self, ident: str) -> None:
        """Mount-Database: needs the CMS online ("CmsNotOnline"); mounting a mounted one is harmless."""
        with self.lock:
            c = self._database_copy(ident)
            if self._cms_state() not in (CmsState.ONLINE, CmsState.PARTIALLY_ONLINE):
                raise exchange_error(
                    "CmsNotOnline",
                    f"Failed to mount database '{c.database}'. The clustered mailbox server "
                    f"'{self.topology.cms_name}' is not online.",
                )
            if not c.mounted:
                c.mounted = True
                self._event(
                    self._cms_group().owner, em.MSEXCHANGEIS, 9500, c.database, self.topology.cms_name
                )
            self._notify()

    def dismount_database(self, ident: str) -> None:
        """Dismount-Database: the database stops (no new logs); 9501 on the active node."""
        with self.lock:
            c = self._database_copy(ident)
            if c.mounted and self._cms_state() in (CmsState.ONLINE, CmsState.PARTIALLY_ONLINE):
                self._event(
                    self._cms_group().owner, em.MSEXCHANGEIS, 9501, c.database, self.topology.cms_name
                )
            c.mounted = False
            self._notify()

    def simulate_backup(
        self, storage_group: str | None = None, *, kind: str = "full", node: str | None = None
    ) -> None:
        """Lab control: a backup product finished a `kind` ("full" or "incremental") backup of
        one storage group (or all) now.  Taken from the passive node (`node`), the copy must be
        Healthy ("CopyNotHealthy"), as a VSS backup of a passive copy requires."""
        if kind not in ("full", "incremental"):
            raise ValueError(f"kind must be 'full' or 'incremental', not {kind!r}")
        with self.lock:
            copies = list(self._copies.values()) if storage_group is None else [self._copy(storage_group)]
            from_passive = node is not None and _fold(node) == _fold(self._passive_node())
            for c in copies:
                if from_passive and c.status is not CopyStatus.HEALTHY:
                    raise exchange_error(
                        "CopyNotHealthy", f"The storage group copy '{c.name}' is {c.status.value}."
                    )
            now = self.clock.now()
            for c in copies:
                if kind == "full":
                    c.last_full_backup = now
                else:
                    c.last_incremental_backup = now
            self._notify()

    def witness_share(self) -> str:
        w = self._witness()
        return (
            w.spec.private.get("SharePath", self.topology.witness_share) if w else self.topology.witness_share
        )

    def witness_reachable_from(self, node: str) -> bool:
        """Whether the file share witness answers from `node` (Test-Path on its UNC path)."""
        with self.lock:
            n = self._node(node)
            return n.powered and not n.booting and _fold(n.name) not in self._fsw_blocked

    def set_witness_reachable(self, reachable: bool, node: str | None = None) -> None:
        """Lab control: the witness share stops (or starts again) answering from one node or all.

        When its owner cannot reach the share, the File Share Witness resource fails (1069, 1564)
        and keeps failing until the share answers again; it then stays failed until brought online.
        """
        with self.lock:
            names = [self._node(node).name] if node else [n.name for n in self._nodes.values()]
            for name in names:
                if reachable:
                    self._fsw_blocked.discard(_fold(name))
                else:
                    self._fsw_blocked.add(_fold(name))
            w = self._witness()
            if w is None:
                self._notify()
                return
            owner = self._groups[_fold(w.group)].owner
            if _fold(owner) in self._fsw_blocked:
                self.fail_resource(w.spec.name, persistent=True)
            else:
                self.clear_fault(w.spec.name)
            self._notify()

    # ========================================================================= upgrades =========

    def check_node_upgrade(self, node: str) -> None:
        """What setup.com /mode:upgrade refuses: the node hosts the CMS while it is running.

        Raises LabError(0, error_id="CmsActiveOnNode") then.  (Exchange: upgrade only passive nodes.)
        """
        with self.lock:
            n = self._node(node)
            g = self._cms_group()
            if (
                _fold(g.owner) == _fold(n.name)
                and not self._cms_stopped
                and self._cms_state() is not CmsState.OFFLINE
            ):
                raise exchange_error(
                    "CmsActiveOnNode",
                    f"The clustered mailbox server '{self.topology.cms_name}' is currently active on this "
                    "node. Setup can only upgrade a passive node. Move the clustered mailbox server to "
                    "another node "
                    "with Move-ClusteredMailboxServer and run setup again.",
                )

    def upgrade_node_exchange(self, node: str, version: str) -> None:
        """setup.com /mode:upgrade finished on `node`: its Exchange binaries are now `version`.

        Setup stops the Exchange services and the cluster service meanwhile; callers use
        `stop_service`/`start_service` around this for the visible effects.
        """
        with self.lock:
            self.check_node_upgrade(node)
            n = self._node(node)
            n.exchange_version = version
            n.rollup_build = ""  # the service pack replaces every binary a rollup patched
            self._notify()

    def check_cms_upgrade(self, node: str) -> None:
        """What setup.com /upgradecms refuses: run elsewhere than on the CMS's owner ("NotCmsOwner"),
        CMS not stopped ("CmsNotStopped"), this node not upgraded yet ("NodeNotUpgraded"), or every
        node already upgraded so the versions are mismatched ("CmsVersionMismatch")."""
        with self.lock:
            n = self._node(node)
            g = self._cms_group()
            cms = self.topology.cms_name
            if _fold(g.owner) != _fold(n.name):
                raise exchange_error(
                    "NotCmsOwner",
                    f"The clustered mailbox server '{cms}' is not owned by this node. "
                    "Run setup /upgradecms on "
                    f"the node that owns it ('{g.owner}').",
                )
            if not self._cms_stopped or self._cms_state() is not CmsState.OFFLINE:
                raise exchange_error(
                    "CmsNotStopped",
                    f"The clustered mailbox server '{cms}' must be stopped before it can be upgraded. Run "
                    "Stop-ClusteredMailboxServer first.",
                )
            if _version_key(n.exchange_version) <= _version_key(self._cms_version):
                raise exchange_error(
                    "NodeNotUpgraded",
                    f"The Exchange binaries on this node ({n.exchange_version}) are not newer than clustered "
                    f"mailbox server '{cms}' ({self._cms_version}). Run setup /mode:upgrade first.",
                )
            others = [self._nodes[_fold(x)] for x in self._redundant() if _fold(x) != _fold(n.name)]
            if others and all(
                _version_key(o.exchange_version) > _version_key(self._cms_version) for o in others
            ):
                raise exchange_error(
                    "CmsVersionMismatch",
                    f"The version of clustered mailbox server '{cms}' ({self._cms_version}) "
                    "does not match the "
                    f"version of Exchange on any cluster node. The clustered mailbox server can no longer be "
                    "upgraded.",
                )

    def upgrade_cms(self, node: str, version: str, *, user: str = "CONTOSO\\Administrator") -> None:
        """setup.com /upgradecms finished: the CMS configuration is now `version`, and setup brings
        the CMS back online (MSExchangeCluster 1002 on the node, then the group comes online)."""
        with self.lock:
            self.check_cms_upgrade(node)
            self._cms_version = version
            g = self._cms_group()
            self._cms_stopped = False
            self._event(g.owner, em.MSEXCHANGECLUSTER, 1002, self.topology.cms_name, user)
            self._begin_online(g)
            self._notify()

    # ------------------------------------------------------------------ update rollups (msiexec)

    def check_rollup(self, node: str, rollup_build: str) -> None:
        """What installing an update rollup refuses (msiexec ends with 1603 or 1642).

        "CmsActiveOnNode" (code 1603): the CMS is not offline on this node (Microsoft: install
        only on a passive node; the install stops the cluster service).  "PatchNotApplicable"
        (code 1642): the rollup is built for another service pack than the node runs.
        """
        with self.lock:
            n = self._node(node)
            g = self._cms_group()
            if _fold(g.owner) == _fold(n.name) and self._cms_state() is not CmsState.OFFLINE:
                raise LabError(
                    1603,
                    f"The clustered mailbox server '{self.topology.cms_name}' is active on this node.",
                    error_id="CmsActiveOnNode",
                )
            if _version_key(rollup_build)[:2] != _version_key(n.exchange_version)[:2]:
                raise LabError(
                    1642,
                    "The upgrade cannot be installed by the Windows Installer service because the program "
                    "to be upgraded may be missing, or the upgrade may update a different version of the "
                    "program. Verify that the program to be upgraded exists on your computer and that you "
                    "have the correct upgrade.",
                    error_id="PatchNotApplicable",
                )

    def install_rollup(self, node: str, rollup_build: str) -> None:
        """An update rollup finished installing on `node`: its binaries are now `rollup_build`
        (the service pack's build, the CMS's version and Get-ExchangeServer do not change)."""
        with self.lock:
            self.check_rollup(node, rollup_build)
            n = self._node(node)
            if _version_key(rollup_build) > _version_key(n.rollup_build or n.exchange_version):
                n.rollup_build = rollup_build
            self._notify()

    def stop_services(self, node: str, names: Iterable[str]) -> list[str]:
        """Stop those of `names` that run (setup and msiexec do this); returns the ones stopped."""
        with self.lock:
            stopped = [s for s in names if self.service_running(node, s)]
            for s in stopped:
                self.stop_service(node, s)
            return stopped

    def start_services(self, node: str, names: Iterable[str]) -> None:
        """Start those of `names` that are stopped (in this order)."""
        with self.lock:
            for s in names:
                if not self.service_running(node, s):
                    self.start_service(node, s)

    # ====================================================================== interfaces =========

    def set_interface_state(self, node: str, network: str, state: InterfaceState) -> None:
        """Fault injection: an interface becomes Failed/Unreachable/Up (1126/1127 logged)."""
        with self.lock:
            n = self._node(node)
            info = self.interface(node, network)
            self._iface_state[(_fold(n.name), _fold(info.network))] = state
            if state is InterfaceState.FAILED:
                self._event(n.name, em.FAILOVER_CLUSTERING, 1127, info.name, n.name, info.network)
            elif state is InterfaceState.UNREACHABLE:
                self._event(n.name, em.FAILOVER_CLUSTERING, 1126, info.name, n.name, info.network)
            self._notify()


def _version_key(v: str) -> tuple[int, ...]:
    out = []
    for part in v.split("."):
        try:
            out.append(int(part))
        except ValueError:
            out.append(0)
    return tuple(out)
