"""The lab's event logs: per-node channels, thread-safe writes, lazy rendering in the real schema.

Records are kept compact (slotted objects with a tuple of insertion strings, time as integer
100-ns ticks) and rendered to XML or text only when a query asks for them, so a journal of
100,000+ background events costs tens of megabytes and renders a 5,000-event answer quickly.

Format choices where no real WS2008 capture exists are kept here, in one place:
* SystemTime is printed with 9 fractional digits and a Z (Vista/2008-era EvtRender, e.g.
  ``2009-02-13T17:22:13.593750000Z``); new events are quantised to the 15.625 ms system tick.
* EvtRender XML uses single-quoted attributes, no whitespace between elements, lower-case GUIDs.
* Classic sources (MSExchange*, EventLog, USER32) render the full System block with EventID
  Qualifiers, Keywords 0x80000000000000, Execution ProcessID='0' ThreadID='0' and unnamed Data
  elements (as a real EventLog 6013 record renders); SCM 7036 follows a real EvtRender sample.
* RenderingInfo strings: FailoverClustering renders task, opcode "Info", channel and provider;
  SCM only its display name (real RenderedXml of 7036); classic sources their task category
  ("None" for 0) and opcode "Info" (real `wevtutil /f:text` of classic sources).
* /f:text: `Event[i]:`, two-space indented fields, empty strings shown as N/A, `Description:`
  then the message on its own lines, a blank line after each event (real wevtutil samples).
* An event without insertion strings renders `<EventData/>`.
* Computer is the node's FQDN: NODE.<domain in lower case>.com (the topology has no DNS name).
"""

from __future__ import annotations

import contextlib
import gc
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, Protocol

from ccrgui.lab import event_messages as em
from ccrgui.lab.topology import Topology

EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"
TICKS_PER_SECOND = 10_000_000
SYSTEM_TICK = 156_250  # 15.625 ms in 100-ns units
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

SID_NAMES = {"S-1-5-18": "NT AUTHORITY\\SYSTEM"}


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic GC while building many small objects: its full passes over a growing heap
    made 300k events cost 4x the time of 100k.  The records hold no cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class ClockLike(Protocol):
    def now(self) -> datetime: ...


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def to_ticks(when: datetime) -> int:
    """100-ns ticks since 1970 (UTC) for an aware datetime (naive = UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = when - _EPOCH
    return (delta.days * 86400 + delta.seconds) * TICKS_PER_SECOND + delta.microseconds * 10


def from_ticks(ticks: int) -> datetime:
    return _EPOCH + timedelta(microseconds=ticks // 10)


def format_system_time(ticks: int) -> str:
    """TimeCreated/@SystemTime as WS2008 prints it: 9 fractional digits and Z."""
    seconds, frac = divmod(ticks, TICKS_PER_SECOND)
    base = _EPOCH + timedelta(seconds=seconds)
    return f"{base:%Y-%m-%dT%H:%M:%S}.{frac * 100:09d}Z"


def format_text_date(ticks: int) -> str:
    """The `Date:` line of wevtutil /f:text: local time (the lab's nodes run on UTC), milliseconds."""
    seconds, frac = divmod(ticks, TICKS_PER_SECOND)
    base = _EPOCH + timedelta(seconds=seconds)
    return f"{base:%Y-%m-%dT%H:%M:%S}.{frac // 10_000:03d}"


def xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(value: str) -> str:
    return xml_text(value).replace("'", "&apos;").replace('"', "&quot;")


class EventRecord:
    """One stored event.  Immutable by convention; rendering happens on demand."""

    __slots__ = (
        "data",
        "event_id",
        "level",
        "log",
        "node",
        "pid",
        "provider",
        "record_id",
        "task",
        "ticks",
        "tid",
    )

    def __init__(
        self,
        node: str,
        log: str,
        record_id: int,
        provider: str,
        event_id: int,
        level: int,
        task: int,
        ticks: int,
        data: tuple[tuple[str, str], ...],
        pid: int,
        tid: int,
    ) -> None:
        self.node = node
        self.log = log
        self.record_id = record_id
        self.provider = provider
        self.event_id = event_id
        self.level = level
        self.task = task
        self.ticks = ticks
        self.data = data
        self.pid = pid
        self.tid = tid

    def __repr__(self) -> str:
        return (
            f"EventRecord({self.node!r}, {self.log!r}, #{self.record_id}, {self.provider!r}, "
            f"{self.event_id}, level={self.level})"
        )

    # --- derived facts -------------------------------------------------------------------------

    @property
    def definition(self) -> em.MessageDef:
        return em.lookup(self.provider, self.event_id)

    @property
    def provider_info(self) -> em.Provider:
        return em.PROVIDERS[self.provider]

    @property
    def time_created(self) -> datetime:
        return from_ticks(self.ticks)

    @property
    def system_time(self) -> str:
        return format_system_time(self.ticks)

    def value(self, name: str) -> str | None:
        for key, val in self.data:
            if key == name:
                return val
        return None

    @property
    def message(self) -> str:
        return self.definition.render(dict(self.data))

    @property
    def task_name(self) -> str:
        d = self.definition
        if self.task == d.task:
            return d.task_name
        return ("" if self.provider_info.named_data else "None") if self.task == 0 else f"({self.task})"

    @property
    def qualifiers(self) -> int | None:
        return self.definition.qualifiers if self.provider_info.qualifiers else None


KEYWORD_CLASSIC_BIT = 0x80000000000000


def has_classic_keyword(prov: em.Provider) -> bool:
    """Keyword bit 55 is displayed as "Classic" (classic sources and SCM's compatible events)."""
    return bool(int(prov.keywords, 16) & KEYWORD_CLASSIC_BIT)


def thread_id(ticks: int, pid: int) -> int:
    """A plausible, deterministic ThreadID (0 for classic records, which have no process)."""
    if not pid:
        return 0
    return 4 * (200 + (ticks // SYSTEM_TICK * 2654435761 + pid) % 2300)


def computer_name(node: str, domain: str) -> str:
    return f"{node}.{domain.lower()}.com"


# ---- rendering ----------------------------------------------------------------------------------


def render_xml(rec: EventRecord, computer: str, *, rendered: bool = False) -> str:
    """The record as EvtRender(EvtRenderEventXml) prints it; `rendered` adds RenderingInfo."""
    prov = rec.provider_info
    parts: list[str] = [f"<Event xmlns='{EVENT_NS}'><System><Provider Name='{xml_attr(prov.name)}'"]
    if prov.guid:
        parts.append(f" Guid='{prov.guid}'")
    if prov.event_source_name:
        parts.append(f" EventSourceName='{xml_attr(prov.event_source_name)}'")
    parts.append("/>")
    q = rec.qualifiers
    parts.append(
        f"<EventID Qualifiers='{q}'>{rec.event_id}</EventID>"
        if q is not None
        else f"<EventID>{rec.event_id}</EventID>"
    )
    if prov.full_system:
        parts.append(
            f"<Version>0</Version><Level>{rec.level}</Level><Task>{rec.task}</Task><Opcode>0</Opcode>"
        )
    else:
        parts.append(f"<Level>{rec.level}</Level><Task>{rec.task}</Task>")
    parts.append(
        f"<Keywords>{prov.keywords}</Keywords><TimeCreated SystemTime='{rec.system_time}'/>"
        f"<EventRecordID>{rec.record_id}</EventRecordID>"
    )
    if prov.full_system:
        parts.append(f"<Correlation/><Execution ProcessID='{rec.pid}' ThreadID='{rec.tid}'/>")
    parts.append(f"<Channel>{xml_text(rec.log)}</Channel><Computer>{xml_text(computer)}</Computer>")
    parts.append(f"<Security UserID='{prov.user_sid}'/>" if prov.user_sid else "<Security/>")
    parts.append("</System>")
    if rec.data:
        parts.append("<EventData>")
        for name, val in rec.data:
            if prov.named_data:
                parts.append(f"<Data Name='{xml_attr(name)}'>{xml_text(val)}</Data>")
            else:
                parts.append(f"<Data>{xml_text(val)}</Data>")
        parts.append("</EventData>")
    else:
        parts.append("<EventData/>")
    if rendered:
        keywords = "<Keyword>Classic</Keyword>" if has_classic_keyword(prov) else ""
        channel = rec.log if prov.renders_channel else ""
        parts.append(
            f"<RenderingInfo Culture='en-US'><Message>{xml_text(rec.message)}</Message>"
            f"<Level>{em.LEVEL_NAMES.get(rec.level, str(rec.level))}</Level>"
            f"<Task>{xml_text(rec.task_name)}</Task><Opcode>{prov.opcode_name}</Opcode>"
            f"<Channel>{xml_text(channel)}</Channel><Provider>{xml_text(prov.display_name)}</Provider>"
            f"<Keywords>{keywords}</Keywords></RenderingInfo>"
        )
    parts.append("</Event>")
    return "".join(parts)


def user_name(sid: str | None, domain: str) -> str:
    """The account name wevtutil shows for a SID (the lab knows SYSTEM and its Administrator)."""
    if not sid:
        return "N/A"
    return SID_NAMES.get(sid, f"{domain}\\Administrator")


def render_text(rec: EventRecord, computer: str, index: int, domain: str = "CONTOSO") -> str:
    """One `Event[i]:` block of wevtutil /f:text (CRLF, message after `Description:`)."""
    prov = rec.provider_info
    sid = prov.user_sid
    lines = [
        f"Event[{index}]:",
        f"  Log Name: {rec.log}",
        f"  Source: {prov.name}",
        f"  Date: {format_text_date(rec.ticks)}",
        f"  Event ID: {rec.event_id}",
        f"  Task: {rec.task_name or 'N/A'}",
        f"  Level: {em.LEVEL_NAMES.get(rec.level, str(rec.level))}",
        f"  Opcode: {prov.opcode_name or 'N/A'}",
        f"  Keyword: {'Classic' if has_classic_keyword(prov) else 'N/A'}",
        f"  User: {sid or 'N/A'}",
        f"  User Name: {user_name(sid, domain)}",
        f"  Computer: {computer}",
        "  Description:",
        rec.message.replace("\r\n", "\n").replace("\n", "\r\n"),
    ]
    return "\r\n".join(lines) + "\r\n\r\n"


# ---- the journal --------------------------------------------------------------------------------


class Pending(NamedTuple):
    """One generated background event before it gets its record id."""

    ticks: int
    node: str
    log: str
    provider: str
    event_id: int
    level: int
    task: int
    data: tuple[tuple[str, str], ...]


class EventJournal:
    """Every node's event logs.  `write()` is what the engine calls; queries read snapshots."""

    def __init__(
        self,
        topology: Topology,
        *,
        history: int = 2000,
        seed: int = 1,
        clock: ClockLike | None = None,
        days: float | None = None,
    ) -> None:
        self.topology = topology
        self.clock: ClockLike = clock or _SystemClock()
        self._lock = threading.Lock()
        self._nodes = {n.name.casefold(): n.name for n in topology.nodes}
        self._logs: dict[tuple[str, str], list[EventRecord]] = {
            (node.casefold(), log): [] for node in self._nodes.values() for log in em.LOGS
        }
        self._pids: dict[tuple[str, str], int] = {}
        self._rng = random.Random(seed)
        self._last_ticks: dict[tuple[str, str], int] = {}
        self._listeners: list[Callable[[EventRecord], None]] = []
        for node in self._nodes.values():
            for proc in {p.process for p in em.PROVIDERS.values()}:
                self._pids[(node.casefold(), proc)] = 4 * self._rng.randint(100, 1500)
        if history:
            with _no_gc():
                self._load(generate_history(topology, history, seed=seed, end=self.clock.now(), days=days))

    # --- facts ---------------------------------------------------------------------------------

    @property
    def nodes(self) -> tuple[str, ...]:
        return tuple(self._nodes.values())

    @property
    def logs(self) -> tuple[str, ...]:
        return em.LOGS

    def node_name(self, node: str) -> str:
        """The node's canonical name; KeyError for a node that is not in the topology."""
        return self._nodes[node.casefold()]

    def computer(self, node: str) -> str:
        return computer_name(self.node_name(node), self.topology.domain)

    def find_log(self, log: str) -> str | None:
        """The channel's canonical name (channel names are case-insensitive), None if unknown."""
        for name in em.LOGS:
            if name.casefold() == log.casefold():
                return name
        return None

    def add_listener(self, fn: Callable[[EventRecord], None]) -> None:
        """Called (outside the lock) with every record written after registration."""
        self._listeners.append(fn)

    # --- writing -------------------------------------------------------------------------------

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
    ) -> EventRecord:
        """Append an event to `node`'s `log`; returns the stored record (record ids rise per log).

        `task` 0 takes the task category from the message table.  Data names must be those the
        table lists for the event (checked: a misspelt name is a lab bug, not silent text).
        """
        definition = em.lookup(provider, event_id)
        names = tuple(name for name, _ in data)
        unknown = [n for n in names if n not in definition.data_names]
        if unknown:
            raise ValueError(
                f"{provider} {event_id}: unknown data names {unknown}; expected {definition.data_names}"
            )
        canonical_log = self.find_log(log)
        if canonical_log is None:
            raise KeyError(f"unknown log {log!r}")
        node_name = self.node_name(node)
        # Keep the table's order, as a manifest template does.
        values = dict(data)
        ordered = tuple((n, str(values[n])) for n in definition.data_names if n in values)
        ticks = to_ticks(when or self.clock.now())
        if when is None:
            ticks -= ticks % SYSTEM_TICK
        key = (node_name.casefold(), canonical_log)
        pid = self._pid(node_name, provider)
        with self._lock:
            records = self._logs[key]
            # The event log orders by arrival: never let time run backwards within one log.
            last = self._last_ticks.get(key, 0)
            if when is None and ticks < last:
                ticks = last
            record = EventRecord(
                node_name,
                canonical_log,
                len(records) + 1,
                provider,
                event_id,
                level,
                task or definition.task,
                ticks,
                ordered,
                pid,
                thread_id(ticks, pid),
            )
            records.append(record)
            self._last_ticks[key] = max(last, ticks)
        for fn in list(self._listeners):
            fn(record)
        return record

    def _pid(self, node: str, provider: str) -> int:
        if em.PROVIDERS[provider].classic:
            return 0  # ReportEvent records carry no process: Execution ProcessID='0' ThreadID='0'
        return self._pids[(node.casefold(), em.PROVIDERS[provider].process)]

    def _load(self, pending: Iterator[Pending]) -> None:
        logs, last_ticks = self._logs, self._last_ticks
        pids: dict[tuple[str, str], int] = {}
        folded = {name: name.casefold() for name in self._nodes.values()}
        with self._lock:
            for ticks, node, log, provider, event_id, level, task, data in pending:
                key = (folded[node], log)
                records = logs[key]
                pid = pids.get((node, provider))
                if pid is None:
                    pid = pids[(node, provider)] = self._pid(node, provider)
                records.append(
                    EventRecord(
                        node,
                        log,
                        len(records) + 1,
                        provider,
                        event_id,
                        level,
                        task,
                        ticks,
                        data,
                        pid,
                        thread_id(ticks, pid),
                    )
                )
                last_ticks[key] = ticks

    # --- reading -------------------------------------------------------------------------------

    def records(self, node: str, log: str) -> list[EventRecord]:
        """A snapshot of one log, oldest first (KeyError for an unknown node or log)."""
        canonical = self.find_log(log)
        if canonical is None:
            raise KeyError(log)
        with self._lock:
            return list(self._logs[(self.node_name(node).casefold(), canonical)])

    def query(
        self,
        node: str,
        log: str,
        predicate: Callable[[EventRecord], bool] | None = None,
        *,
        reverse: bool = False,
        count: int | None = None,
    ) -> list[EventRecord]:
        """Matching records in log order (or newest first), at most `count`."""
        snapshot = self.records(node, log)
        source = reversed(snapshot) if reverse else iter(snapshot)
        out: list[EventRecord] = []
        for rec in source:
            if predicate is None or predicate(rec):
                out.append(rec)
                if count is not None and len(out) >= count:
                    break
        return out

    def __len__(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._logs.values())


# ---- background history -------------------------------------------------------------------------

_SERVICES = (
    "Windows Update",
    "WinHTTP Web Proxy Auto-Discovery Service",
    "Application Experience",
    "Windows Modules Installer",
    "Portable Device Enumerator Service",
    "Software Protection",
    "Windows Error Reporting Service",
    "Microsoft Exchange Search Indexer",
    "Microsoft Exchange Monitoring",
    "Background Intelligent Transfer Service",
    "Network Location Awareness",
    "Volume Shadow Copy",
    "Microsoft Software Shadow Copy Provider",
    "Remote Registry",
)


_HistoryKind = Callable[[int, str], list[Pending]]


class _HistoryContext(NamedTuple):
    """What the history generators draw from: the topology's names and one random stream."""

    topology: Topology
    rng: random.Random
    nodes: list[str]
    groups: list[str]
    resources: list[tuple[str, str]]
    sgs: list[str]
    dbs: list[str]
    nics: list[tuple[str, str, str]]
    networks: list[str]
    fsw: str | None

    @classmethod
    def of(cls, topology: Topology, rng: random.Random) -> _HistoryContext:
        return cls(
            topology,
            rng,
            nodes=[n.name for n in topology.nodes],
            groups=[g.name for g in topology.groups],
            resources=[(r.name, g.name) for g in topology.groups for r in g.resources],
            sgs=[sg.name for sg in topology.storage_groups] or ["First Storage Group"],
            dbs=[f"{sg.name}\\{sg.database}" for sg in topology.storage_groups] or ["Mailbox Database"],
            nics=[(f"{n.name} - {nic.name}", n.name, nic.network) for n in topology.nodes for nic in n.nics],
            networks=[n.name for n in topology.networks],
            fsw=next(
                (r.name for g in topology.groups for r in g.resources if r.type == "File Share Witness"), None
            ),
        )


def _event(
    t: int,
    node: str,
    log: str,
    provider: str,
    event_id: int,
    level: int,
    data: tuple[tuple[str, str], ...] = (),
) -> Pending:
    return Pending(t, node, log, provider, event_id, level, em.lookup(provider, event_id).task, data)


def _routine_kinds(ctx: _HistoryContext) -> list[tuple[_HistoryKind, float]]:
    """Everyday events, each kind a short burst of related ones; the weights pick how often."""
    rng, nodes, groups, sgs, dbs, ev = ctx.rng, ctx.nodes, ctx.groups, ctx.sgs, ctx.dbs, _event
    cms = ctx.topology.cms_name
    sys_, app = em.SYSTEM, em.APPLICATION
    scm, repl, fc = em.SCM, em.MSEXCHANGEREPL, em.FAILOVER_CLUSTERING
    second = TICKS_PER_SECOND

    def k_service(t: int, node: str) -> list[Pending]:
        svc = rng.choice(_SERVICES)
        out = [ev(t, node, sys_, scm, 7036, 4, (("param1", svc), ("param2", "running")))]
        if rng.random() < 0.8:
            t2 = t + rng.randint(5, 900) * second
            out.append(ev(t2, node, sys_, scm, 7036, 4, (("param1", svc), ("param2", "stopped"))))
        return out

    def k_copy(t: int, node: str) -> list[Pending]:
        sg = rng.choice(sgs)
        if rng.random() < 0.85:
            return [
                ev(
                    t,
                    node,
                    app,
                    repl,
                    2114,
                    4,
                    (("StorageGroup", sg), ("Generation", str(rng.randint(1000, 900000)))),
                )
            ]
        return [
            ev(t, node, app, repl, 2060, 3, (("StorageGroup", sg), ("CopyQueue", str(rng.randint(7, 60)))))
        ]

    def k_group(t: int, node: str) -> list[Pending]:
        """A group move: offline on the old owner, online on the new one (or a restart in place)."""
        g = rng.choice(groups)
        others = [n for n in nodes if n != node]
        target = rng.choice(others) if others and rng.random() < 0.7 else node
        return [
            ev(t, node, sys_, fc, 1203, 4, (("ResourceGroup", g),)),
            ev(t + 2 * second, node, sys_, fc, 1204, 4, (("ResourceGroup", g),)),
            ev(t + 5 * second, target, sys_, fc, 1200, 4, (("ResourceGroup", g),)),
            ev(t + 9 * second, target, sys_, fc, 1201, 4, (("ResourceGroup", g),)),
        ]

    def k_mount(t: int, node: str) -> list[Pending]:
        db = rng.choice(dbs)
        return [
            ev(t, node, app, em.MSEXCHANGEIS, 9501, 4, (("Database", db), ("Server", cms))),
            ev(t + 40 * second, node, app, em.MSEXCHANGEIS, 9500, 4, (("Database", db), ("Server", cms))),
        ]

    return [(k_service, 60.0), (k_copy, 25.0), (k_group, 4.0), (k_mount, 2.0)]


def _failure_kinds(ctx: _HistoryContext) -> list[tuple[_HistoryKind, float]]:
    """Rare events: failures (1069, 1135, 1126/1127, 1562), reboots and CMS hand-offs."""
    rng, nodes, resources, nics, networks, fsw, ev = (
        ctx.rng, ctx.nodes, ctx.resources, ctx.nics, ctx.networks, ctx.fsw, _event
    )  # fmt: skip
    topology, cms = ctx.topology, ctx.topology.cms_name
    sys_, app = em.SYSTEM, em.APPLICATION
    fc, repl = em.FAILOVER_CLUSTERING, em.MSEXCHANGEREPL
    second = TICKS_PER_SECOND

    def k_resource_failed(t: int, node: str) -> list[Pending]:
        if not resources:
            return []
        res, g = rng.choice(resources)
        out = [ev(t, node, sys_, fc, 1069, 2, (("ResourceName", res), ("ResourceGroup", g)))]
        if rng.random() < 0.3:
            out.append(ev(t + 3 * second, node, sys_, fc, 1205, 2, (("ResourceGroup", g),)))
        out.append(ev(t + 20 * second, node, sys_, fc, 1201, 4, (("ResourceGroup", g),)))
        return out

    def k_fsw(t: int, node: str) -> list[Pending]:
        if fsw is None:
            return []
        return [
            ev(t, node, sys_, fc, 1562, 3, (("ResourceName", fsw), ("SharePath", topology.witness_share)))
        ]

    def k_network(t: int, node: str) -> list[Pending]:
        return [ev(t, node, sys_, fc, rng.choice((1129, 1130)), 2, (("NetworkName", rng.choice(networks)),))]

    def k_node_removed(t: int, node: str) -> list[Pending]:
        others = [n for n in nodes if n != node]
        if not others:
            return []
        gone = rng.choice(others)
        out = []
        for nic, nic_node, net in nics:
            if nic_node == gone and rng.random() < 0.5:
                out.append(
                    ev(
                        t,
                        node,
                        sys_,
                        fc,
                        rng.choice((1126, 1127)),
                        2,
                        (("InterfaceName", nic), ("NodeName", nic_node), ("NetworkName", net)),
                    )
                )
        out.append(ev(t + 5 * second, node, sys_, fc, 1135, 1, (("NodeName", gone),)))
        return out

    def k_reboot(t: int, node: str) -> list[Pending]:
        down = t + 30 * second
        up = down + rng.randint(90, 400) * second
        return [
            ev(
                t,
                node,
                sys_,
                em.USER32,
                1074,
                4,
                (
                    ("param1", "C:\\Windows\\system32\\shutdown.exe (" + node + ")"),
                    ("param2", node),
                    ("param3", f"{topology.domain}\\Administrator"),
                    ("param4", "Operating System: Service pack (Planned)"),
                    ("param5", "0x80020010"),
                    ("param6", "restart"),
                    ("param7", "Monthly patching"),
                ),
            ),
            ev(down, node, sys_, em.EVENTLOG, 6006, 4),
            ev(
                up,
                node,
                sys_,
                em.EVENTLOG,
                6009,
                4,
                (
                    ("Version", "6.00."),
                    ("Build", "6001"),
                    ("ServicePack", "Service Pack 1"),
                    ("Edition", "Multiprocessor Free"),
                ),
            ),
            ev(up, node, sys_, em.EVENTLOG, 6005, 4),
            ev(up + 60 * second, node, sys_, fc, 1062, 4, (("ClusterName", topology.cluster_name),)),
        ]

    def k_handoff(t: int, node: str) -> list[Pending]:
        others = [n for n in nodes if n != node]
        if not others:
            return []
        target = rng.choice(others)
        secs = rng.randint(25, 180)
        return [
            ev(
                t,
                node,
                app,
                em.MSEXCHANGECLUSTER,
                1000,
                4,
                (
                    ("Server", cms),
                    ("TargetNode", target),
                    ("User", f"{topology.domain}\\Administrator"),
                    ("Comment", rng.choice(("Patching", "Monthly maintenance", "Failback after patching"))),
                ),
            ),
            ev(
                t + secs * second,
                target,
                app,
                repl,
                100,
                4,
                (
                    ("Server", cms),
                    ("SourceNode", node),
                    ("TargetNode", target),
                    ("Seconds", str(secs)),
                    ("Comment", "Planned maintenance"),
                ),
            ),
        ]

    return [
        (k_resource_failed, 1.5),
        (k_fsw, 1.0),
        (k_network, 0.5),
        (k_node_removed, 0.4),
        (k_reboot, 0.3),
        (k_handoff, 0.3),
    ]


def generate_history(
    topology: Topology,
    count: int,
    *,
    seed: int = 1,
    end: datetime | None = None,
    days: float | None = None,
) -> Iterator[Pending]:
    """`count` plausible background events spread over the days before `end`, oldest first.

    Deterministic for a given topology, count, seed and end.  The mix: service state changes,
    Exchange replication chatter, group online/offline, and rare failures (1069, 1135, 1126/1127,
    1562, reboots).  Span: `days`, or 30 days by default (more for very large counts).
    """
    rng = random.Random(seed)
    end = end or datetime.now(UTC)
    if days is None:
        days = max(30.0, count / 5000)
    end_ticks = to_ticks(end) - 60 * TICKS_PER_SECOND  # history stops a minute before "now"
    span = int(days * 86400 * TICKS_PER_SECOND)
    ctx = _HistoryContext.of(topology, rng)
    nodes = ctx.nodes
    kinds = _routine_kinds(ctx) + _failure_kinds(ctx)
    funcs = [k for k, _ in kinds]
    weights = [w for _, w in kinds]
    start = end_ticks - span
    out: list[Pending] = []
    while len(out) < count:
        batch = rng.choices(funcs, weights, k=min(4096, count))
        rand = rng.random
        node_count = len(nodes)
        for fn in batch:
            t = start + int(rand() * span)
            t -= t % SYSTEM_TICK
            out.extend(p for p in fn(t, nodes[int(rand() * node_count)]) if p.ticks <= end_ticks)
            if len(out) >= count:
                break
    del out[count:]
    out.sort(key=lambda p: p.ticks)
    return iter(out)
