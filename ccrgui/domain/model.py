"""Domain model of a failover cluster running an Exchange 2007 CCR clustered mailbox server.

Frozen dataclasses so snapshots can be shared between the backend task and the GUI without
copies or locks.  No Qt and no WinRM here: parsers produce these, the GUI consumes them.
Enum values are the Windows display strings so the GUI can show them unchanged.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from ccrgui.domain.maintenance import GroupFailoverPolicy, MailboxDatabaseStatus, WitnessReachability

_E = TypeVar("_E", bound=enum.Enum)


class NodeState(enum.Enum):
    UP = "Up"
    DOWN = "Down"
    PAUSED = "Paused"
    JOINING = "Joining"
    UNKNOWN = "Unknown"

    @classmethod
    def from_text(cls, text: str) -> NodeState:
        return _lookup(cls, text, cls.UNKNOWN)


class GroupState(enum.Enum):
    ONLINE = "Online"
    OFFLINE = "Offline"
    FAILED = "Failed"
    PARTIALLY_ONLINE = "Partially Online"
    ONLINE_PENDING = "Online Pending"
    OFFLINE_PENDING = "Offline Pending"
    PENDING = "Pending"
    UNKNOWN = "Unknown"

    @classmethod
    def from_text(cls, text: str) -> GroupState:
        return _lookup(cls, text, cls.UNKNOWN)

    @property
    def is_pending(self) -> bool:
        return self in (GroupState.ONLINE_PENDING, GroupState.OFFLINE_PENDING, GroupState.PENDING)


# Resources use the same display strings as groups (Online, Offline, Failed, ... Pending).
ResourceState = GroupState


class NetworkState(enum.Enum):
    UP = "Up"
    DOWN = "Down"
    PARTITIONED = "Partitioned"
    UNAVAILABLE = "Unavailable"
    UNKNOWN = "Unknown"

    @classmethod
    def from_text(cls, text: str) -> NetworkState:
        return _lookup(cls, text, cls.UNKNOWN)


class InterfaceState(enum.Enum):
    UP = "Up"
    FAILED = "Failed"
    UNREACHABLE = "Unreachable"
    UNAVAILABLE = "Unavailable"
    UNKNOWN = "Unknown"

    @classmethod
    def from_text(cls, text: str) -> InterfaceState:
        return _lookup(cls, text, cls.UNKNOWN)


class CmsState(enum.Enum):
    """Get-ClusteredMailboxServerStatus State values."""

    ONLINE = "Online"
    PARTIALLY_ONLINE = "Partially Online"
    ONLINE_PENDING = "Online Pending"
    OFFLINE = "Offline"
    OFFLINE_PENDING = "Offline Pending"
    FAILED = "Failed"
    UNKNOWN = "Unknown"

    @classmethod
    def from_text(cls, text: str) -> CmsState:
        return _lookup(cls, text, cls.UNKNOWN)


class CopyStatus(enum.Enum):
    """Get-StorageGroupCopyStatus SummaryCopyStatus values."""

    NOT_SUPPORTED = "NotSupported"
    DISABLED = "Disabled"
    FAILED = "Failed"
    SEEDING = "Seeding"
    STOPPED = "Stopped"
    SUSPENDED = "Suspended"
    HEALTHY = "Healthy"
    INITIALIZING = "Initializing"
    SERVICE_DOWN = "ServiceDown"
    RESYNCHRONIZING = "Resynchronizing"
    UNKNOWN = "Unknown"

    @classmethod
    def from_text(cls, text: str) -> CopyStatus:
        # The shell prints enum names without spaces; documentation shows them with spaces.
        return _lookup(cls, text.replace(" ", ""), cls.UNKNOWN, fold_spaces=True)


class EventLevel(enum.IntEnum):
    """Windows event levels (System/Level).  0 (LogAlways) is shown as Information."""

    LOG_ALWAYS = 0
    CRITICAL = 1
    ERROR = 2
    WARNING = 3
    INFORMATION = 4
    VERBOSE = 5

    @property
    def display(self) -> str:
        return "Information" if self is EventLevel.LOG_ALWAYS else self.name.capitalize()


def _lookup(cls: type[_E], text: str, default: _E, fold_spaces: bool = False) -> _E:
    key = text.strip().casefold()
    for member in cls:
        value = str(member.value).casefold()
        if fold_spaces:
            value = value.replace(" ", "")
        if value == key:
            return member
    return default


@dataclass(frozen=True, slots=True)
class NodeDetails:
    """Per-node facts read from WMI and Exchange on that node."""

    os_caption: str = ""
    os_version: str = ""
    service_pack: str = ""
    cpu: str = ""
    cpu_count: int = 0
    memory_total_mb: int = 0
    memory_in_use_mb: int = 0
    exchange_version: str = ""  # e.g. "Version 8.1 (Build 240.6)"
    last_boot: datetime | None = None
    # Win32_OperatingSystem.CurrentTimeZone: minutes from UTC of the node's local time (None: unknown)
    utc_offset_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    state: NodeState
    node_id: int = 0
    details: NodeDetails | None = None
    reachable: bool = True
    error: str = ""


@dataclass(frozen=True, slots=True)
class Resource:
    name: str
    state: ResourceState
    group: str = ""
    owner: str = ""
    resource_type: str = ""


@dataclass(frozen=True, slots=True)
class Group:
    """A cluster group ("service or application" in Failover Cluster Management)."""

    name: str
    state: GroupState
    owner: str = ""
    is_cms: bool = False  # the Exchange clustered mailbox server
    is_core: bool = False  # "Cluster Group"
    is_storage: bool = False  # "Available Storage"
    preferred_owners: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Network:
    name: str
    state: NetworkState
    role: str = ""  # e.g. "Internal and client use"
    address: str = ""
    address_mask: str = ""


@dataclass(frozen=True, slots=True)
class NetInterface:
    node: str
    network: str
    state: InterfaceState
    name: str = ""
    adapter: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True)
class Quorum:
    """The quorum configuration from `cluster /quorum`."""

    model: str  # e.g. "Node and File Share Majority"
    resource: str = ""  # e.g. "File Share Witness (\\HUB1\FSW_EXCH1)"
    path: str = ""  # the witness share path
    witness_state: ResourceState | None = None


@dataclass(frozen=True, slots=True)
class ClusterProperty:
    """One row of a `cluster ... /prop` or `/priv` listing (value kept as printed)."""

    owner: str  # the resource, group, node, network or cluster the property belongs to
    name: str
    value: str
    type_code: str = ""  # cluster.exe's T column: S, D, B, M, ... with R for read-only (SR, DR)
    private: bool = False

    @property
    def read_only(self) -> bool:
        return "R" in self.type_code[1:]

    @property
    def int_value(self) -> int | None:
        """DWORD rows print as ``2 (0x2)``; None when the value is not a number."""
        head = self.value.split(" ", 1)[0]
        try:
            return int(head, 16) if head.lower().startswith("0x") else int(head)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class CmsStatus:
    """Get-ClusteredMailboxServerStatus."""

    name: str
    state: CmsState
    active_node: str = ""
    operational_machines: tuple[str, ...] = ()  # raw elements, e.g. "NODE1 <Active, Quorum Owner>"
    failed_resources: tuple[str, ...] = ()
    operational_replication_hosts: tuple[str, ...] = ()
    failed_replication_hosts: tuple[str, ...] = ()
    in_use_replication_hosts: tuple[str, ...] = ()
    is_valid: bool = True


@dataclass(frozen=True, slots=True)
class StorageGroupCopy:
    """Get-StorageGroupCopyStatus for one storage group (always about the passive copy)."""

    identity: str  # SERVER\StorageGroup
    storage_group: str
    status: CopyStatus
    copy_queue_length: int = 0
    replay_queue_length: int = 0
    suspended: bool = False
    suspend_comment: str = ""
    failed: bool = False
    failed_message: str = ""
    seeding: bool = False
    last_inspected_log_time: datetime | None = None
    last_copied_log_time: datetime | None = None
    last_replayed_log_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class ExchangeServer:
    """Get-ExchangeServer / Get-MailboxServer facts for one server (a node or the CMS)."""

    name: str
    fqdn: str = ""
    version: str = ""  # AdminDisplayVersion, e.g. "Version 8.1 (Build 240.6)"
    edition: str = ""
    roles: tuple[str, ...] = ()  # ServerRole split on ", "
    is_member_of_cluster: bool = False  # the shell prints the string Yes/No
    clustered_storage_type: str = ""  # Get-MailboxServer: Disabled, NonShared (CCR), Shared (SCC)
    redundant_machines: tuple[str, ...] = ()  # Get-MailboxServer: the CMS's nodes


@dataclass(frozen=True, slots=True)
class SetupStep:
    """One ``    Step name   ......... COMPLETED`` line of Exchange setup.com."""

    phase: str  # e.g. "Performing Microsoft Exchange Server Prerequisite Check"
    name: str  # e.g. "Mailbox Role Checks"
    status: str  # "COMPLETED", "FAILED", ... or "" while the step is still running
    messages: tuple[str, ...] = ()  # warnings and errors printed after the step


@dataclass(frozen=True, slots=True)
class SetupReport:
    """What setup.com printed so far: steps, roles, warnings, errors and the final verdict."""

    steps: tuple[SetupStep, ...] = ()
    roles: tuple[str, ...] = ()  # "The following server roles will be ..." list
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    succeeded: bool | None = None  # None: no verdict line (yet)
    verdict: str = ""

    @property
    def failed_steps(self) -> tuple[SetupStep, ...]:
        return tuple(s for s in self.steps if s.status == "FAILED")


@dataclass(frozen=True, slots=True, init=False)
class Event:
    """One event record from a node's event log.

    The raw XML is kept as `xml_parts`, pieces whose concatenation is the XML as received: the
    parser shares the pieces that repeat between events (provider header, execution block, event
    data), so 100,000 events do not each carry ~700 bytes of their own text.  `raw_xml` joins
    them; constructing with ``raw_xml=...`` still works.
    """

    node: str
    log: str
    provider: str
    event_id: int
    level: EventLevel
    time_created: datetime  # timezone-aware (UTC as logged)
    record_id: int = 0
    task: str = ""
    computer: str = ""
    message: str = ""
    data: Mapping[str, str] = field(default_factory=dict)
    xml_parts: tuple[str, ...] = ()

    def __init__(
        self,
        node: str,
        log: str,
        provider: str,
        event_id: int,
        level: EventLevel,
        time_created: datetime,
        record_id: int = 0,
        task: str = "",
        computer: str = "",
        message: str = "",
        data: Mapping[str, str] | None = None,
        raw_xml: str = "",
        xml_parts: tuple[str, ...] = (),
    ) -> None:
        # Frozen: fields are set once, through the slots' own descriptors (object.__setattr__
        # looks each name up first: 3 us an event instead of 1, for 100,000 parsed events).
        _SET_NODE(self, node)
        _SET_LOG(self, log)
        _SET_PROVIDER(self, provider)
        _SET_EVENT_ID(self, event_id)
        _SET_LEVEL(self, level)
        _SET_TIME_CREATED(self, time_created)
        _SET_RECORD_ID(self, record_id)
        _SET_TASK(self, task)
        _SET_COMPUTER(self, computer)
        _SET_MESSAGE(self, message)
        _SET_DATA(self, {} if data is None else data)
        _SET_XML_PARTS(self, xml_parts if xml_parts or not raw_xml else (raw_xml,))

    @property
    def raw_xml(self) -> str:
        """The event's XML exactly as received ("" when the parser was told not to keep it)."""
        return "".join(self.xml_parts)

    @property
    def first_line(self) -> str:
        return self.message.strip().split("\n", 1)[0].strip()


def _slot_setter(name: str) -> Callable[[Event, Any], None]:
    setter: Callable[[Event, Any], None] = Event.__dict__[name].__set__
    return setter


_SET_NODE = _slot_setter("node")
_SET_LOG = _slot_setter("log")
_SET_PROVIDER = _slot_setter("provider")
_SET_EVENT_ID = _slot_setter("event_id")
_SET_LEVEL = _slot_setter("level")
_SET_TIME_CREATED = _slot_setter("time_created")
_SET_RECORD_ID = _slot_setter("record_id")
_SET_TASK = _slot_setter("task")
_SET_COMPUTER = _slot_setter("computer")
_SET_MESSAGE = _slot_setter("message")
_SET_DATA = _slot_setter("data")
_SET_XML_PARTS = _slot_setter("xml_parts")


def new_event(
    node: str,
    log: str,
    provider: str,
    event_id: int,
    level: EventLevel,
    time_created: datetime,
    record_id: int,
    task: str,
    computer: str,
    message: str,
    data: Mapping[str, str],
    xml_parts: tuple[str, ...],
) -> Event:
    """The same as ``Event(...)`` with every field given, for bulk producers (the event parser
    makes 100,000): no class call machinery in between, half the cost."""
    event: Event = object.__new__(Event)
    _SET_NODE(event, node)
    _SET_LOG(event, log)
    _SET_PROVIDER(event, provider)
    _SET_EVENT_ID(event, event_id)
    _SET_LEVEL(event, level)
    _SET_TIME_CREATED(event, time_created)
    _SET_RECORD_ID(event, record_id)
    _SET_TASK(event, task)
    _SET_COMPUTER(event, computer)
    _SET_MESSAGE(event, message)
    _SET_DATA(event, data)
    _SET_XML_PARTS(event, xml_parts)
    return event


@dataclass(frozen=True, slots=True)
class NodeError:
    """A node the backend could not read in this snapshot, and why."""

    node: str
    message: str


READING_EXCHANGE = "reading Exchange..."


@dataclass(frozen=True, slots=True)
class ClusterSnapshot:
    """Everything the console shows about one cluster, read consistently at one moment."""

    cluster_name: str
    taken_at: datetime
    nodes: tuple[Node, ...] = ()
    groups: tuple[Group, ...] = ()
    resources: tuple[Resource, ...] = ()
    networks: tuple[Network, ...] = ()
    interfaces: tuple[NetInterface, ...] = ()
    quorum: Quorum | None = None
    cms: CmsStatus | None = None
    copies: tuple[StorageGroupCopy, ...] = ()
    node_errors: tuple[NodeError, ...] = ()
    served_by: str = ""  # the node whose cluster.exe answered
    cms_version: str = ""  # the CMS's AdminDisplayVersion; nodes' details carry their installed build
    # Read less often than the rest (kept between snapshots; see WinRMClusterSession):
    cms_nodes: tuple[str, ...] = ()  # the CMS's RedundantMachines (Get-MailboxServer)
    databases: tuple[MailboxDatabaseStatus, ...] = ()  # Get-MailboxDatabase -Status of the CMS
    # In every snapshot (not a slow read): MSCluster_ResourceGroup's policy properties and
    # MSCluster_ResourceGroupToPreferredNode, from the cluster WMI read.
    group_policies: tuple[GroupFailoverPolicy, ...] = ()
    witness: WitnessReachability | None = None  # Test-Path on the witness share from each node
    # The cluster's facts are in but Exchange has not answered yet (its snap-in still loading on
    # a first read): the CMS, its copies and the nodes' details are not known, so any group that
    # may be the CMS is refused with READING_EXCHANGE until the full snapshot replaces this one.
    reading_exchange: bool = False

    def node(self, name: str) -> Node | None:
        return next((n for n in self.nodes if n.name.casefold() == name.casefold()), None)

    def group(self, name: str) -> Group | None:
        return next((g for g in self.groups if g.name.casefold() == name.casefold()), None)

    def resources_of(self, group: str) -> tuple[Resource, ...]:
        return tuple(r for r in self.resources if r.group.casefold() == group.casefold())

    def groups_owned_by(self, node: str) -> tuple[Group, ...]:
        return tuple(g for g in self.groups if g.owner.casefold() == node.casefold())

    def interfaces_of_node(self, node: str) -> tuple[NetInterface, ...]:
        return tuple(i for i in self.interfaces if i.node.casefold() == node.casefold())

    def interfaces_of_network(self, network: str) -> tuple[NetInterface, ...]:
        return tuple(i for i in self.interfaces if i.network.casefold() == network.casefold())

    @property
    def cms_group(self) -> Group | None:
        return next((g for g in self.groups if g.is_cms), None)

    def policy(self, group: str) -> GroupFailoverPolicy | None:
        return next((p for p in self.group_policies if p.group.casefold() == group.casefold()), None)


@dataclass(frozen=True, slots=True)
class CommandRun:
    """One command line the backend ran on a node, for the operations log and audit."""

    host: str
    command: str
    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What an action did: every command it ran, and Windows' error text if it was refused."""

    action: str  # e.g. "Move EXCH1 to NODE2"
    ok: bool
    runs: tuple[CommandRun, ...] = ()
    error: str = ""


__all__ = [
    "READING_EXCHANGE",
    "ActionResult",
    "ClusterProperty",
    "ClusterSnapshot",
    "CmsState",
    "CmsStatus",
    "CommandRun",
    "CopyStatus",
    "Event",
    "EventLevel",
    "ExchangeServer",
    "Group",
    "GroupState",
    "InterfaceState",
    "NetInterface",
    "Network",
    "NetworkState",
    "Node",
    "NodeDetails",
    "NodeError",
    "NodeState",
    "Quorum",
    "Resource",
    "ResourceState",
    "SetupReport",
    "SetupStep",
    "StorageGroupCopy",
    "new_event",
]
