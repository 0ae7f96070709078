"""`WinRMClusterSession`: the `ClusterSession` the GUI uses, over WinRM to every node.

How a snapshot is read with few round trips:
* every node runs one long-lived PowerShell; a snapshot sends each node ONE script (one Send,
  one Receive) holding that node's own facts (WMI) plus a share of the cluster-wide reads
  (cluster.exe listings run inside the script, Exchange cmdlets), spread by estimated cost so
  the nodes work in parallel;
* on the first snapshot PowerShell is still loading the Exchange snap-in, so the cluster's own
  reads (WMI in plain powershell.exe, cluster.exe listings) run through the nodes' cmd shells
  meanwhile, and the cluster is handed out before Exchange answers (`on_partial`, a snapshot
  marked `reading_exchange`: plans refuse any group that may be the CMS until the full one);
* a node that fails or hangs is reported in `node_errors`, and its share of the cluster-wide
  reads is run again on a node that answered (failover); a hung node gets a short timeout and
  no cluster-wide reads in the following snapshots until it answers again.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ccrgui.domain.maintenance import (
    MailboxDatabaseStatus,
    ReplicationCheck,
    ReplicationHealth,
    ReplicationHealthReport,
    WitnessReachability,
)
from ccrgui.domain.model import (
    ActionResult,
    ClusterSnapshot,
    CmsStatus,
    CommandRun,
    NetInterface,
    Network,
    Node,
    NodeDetails,
    NodeError,
    NodeState,
    Quorum,
    Resource,
    SetupReport,
    StorageGroupCopy,
)
from ccrgui.domain.nodenames import InvalidNodeName
from ccrgui.domain.plan import (
    ActionKind,
    ActionRequest,
    Plan,
    PlanProgress,
    ProgressCallback,
    ProgressKind,
    Refusal,
    Shell,
    Step,
    WaitUntil,
)
from ccrgui.domain.session_api import (
    AuthMethod,
    ClusterSession,
    ConnectionSettings,
    EventBatch,
    LogQuery,
    PartialCallback,
)
from ccrgui.domain.upgrade.facts import NodeUpgradeFacts
from ccrgui.quoting import UnsafeValueError
from ccrgui.remote import parsers, planner, scripts
from ccrgui.remote.audit import AuditLog
from ccrgui.remote.eventreader import EventReader, NodeAccess
from ccrgui.remote.shells import (
    CmdShell,
    CommandOutput,
    PowerShellHost,
    PsOutput,
    Section,
    frame_script,
    parse_sections,
)
from ccrgui.remote.transport import (
    ChannelFactory,
    ErrorKind,
    HostConnection,
    Limits,
    TransportError,
    endpoint_for,
    pywinrm_factory,
    validate_settings,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
S = TypeVar("S")

CORE_GROUP = "Cluster Group"
STORAGE_GROUP = "Available Storage"
SUSPECT_TIMEOUT_S = 3.0
MIN_ATTEMPT_S = 1.0  # a fallback read is not started with less of the snapshot's time left
STATIC_REFRESH_S = 300.0  # re-read resource types, roles, addresses, owners at least this often
STATIC_RETRY_S = 30.0  # after a failed static read: not before this (keeps later snapshots fast)
# Slow or rarely changing reads carried in a snapshot's script only this often (and at once after
# an action that changes them): Get-MailboxDatabase -Status asks the store, Test-Path the witness.
DATABASES_REFRESH_S = 60.0
WITNESS_REFRESH_S = 60.0


@dataclass
class _NodeLink:
    """Everything the session keeps per node: its connection and its two shells."""

    name: str
    conn: HostConnection
    cmd: CmdShell
    ps: PowerShellHost
    suspect: bool = False  # failed or hung last time: short timeouts, no cluster-wide reads
    last_error: str = ""


@dataclass
class _Static:
    """Facts that rarely change, read with `scripts.STATIC_READS` and kept between snapshots."""

    node_ids: dict[str, int] = field(default_factory=dict)  # node name (exact) -> cluster node ID
    cluster_name: str = ""
    props_key: tuple[object, ...] | None = None  # the names they were read for
    props_at: float = 0.0
    retry_at: float = 0.0  # a static read failed: wait until then before asking again


@dataclass
class _Reads:
    """Raw outputs of the cluster-wide reads, by read name, and who produced them."""

    text: dict[str, str] = field(default_factory=dict)
    host: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)  # answered, but the text did not parse
    ahead: dict[str, _Parsed] = field(default_factory=dict)  # see `parse_ahead`

    def parsed(self, key: str, fn: Callable[[S], T], source: S) -> T:
        """`fn(source)`, taken from `parse_ahead` when that parsed the same text with `fn`."""
        got = self.ahead.get(key)
        if got is None or got.fn is not fn or got.source != source:
            return fn(source)
        if isinstance(got.result, Exception):
            raise got.result
        return cast(T, got.result)

    async def parse_ahead(self) -> None:
        """The costly parses in a worker thread, before a snapshot is assembled on the loop: a
        50-group cluster's WMI answers take 15-30 ms to parse, twenty clusters' answers arriving
        together were a stall of the window."""
        self.ahead = await asyncio.to_thread(_parse_texts, dict(self.text))


@dataclass(frozen=True)
class _Parsed:
    fn: Callable[[Any], object]
    source: object
    result: object  # the value, or the exception the parser raised


def _wmi_texts(text: Mapping[str, str]) -> dict[str, str] | None:
    names = [i.name for i in scripts.WMI_READS]
    return {n: text[n] for n in names} if all(n in text for n in names) else None


# Reads whose text alone decides the result (the quorum table also needs the resources' names),
# and the parser of each, looked up when used as `_assemble` looks it up.
_PARSE_AHEAD = {"mbx": "parse_exchange_servers", "cms": "parse_cms_status", "copies": "parse_copy_status"}


def _parse_texts(text: dict[str, str]) -> dict[str, _Parsed]:
    """Blocking (a worker thread): the parses `_Reads.parsed` takes over."""

    def outcome(fn: Callable[[Any], object], source: object) -> _Parsed:
        try:
            return _Parsed(fn, source, fn(source))
        except Exception as exc:  # re-raised where the result is taken, as if parsed there
            return _Parsed(fn, source, exc)

    done = {n: outcome(getattr(parsers, fn), text[n]) for n, fn in _PARSE_AHEAD.items() if n in text}
    wmi = _wmi_texts(text)
    if wmi is not None:
        done["wmi"] = outcome(parsers.parse_wmi_cluster, wmi)
    return done


def settings_from_lab_info(info: dict[str, Any]) -> tuple[ConnectionSettings, str]:
    """Connection settings for a running lab from its info JSON (`ccrgui-lab` prints it)."""
    cluster = str(info["cluster"])
    endpoints = {str(k): str(v) for k, v in dict(info["nodes"]).items()}
    if info.get("cluster_endpoint"):
        endpoints[cluster] = str(info["cluster_endpoint"])
    https = all(url.lower().startswith("https://") for url in endpoints.values())
    auth = AuthMethod.BASIC if str(info.get("auth", "ntlm")).startswith("basic") else AuthMethod.NTLM
    kerberos = info.get("auth") == "kerberos"
    if kerberos:
        auth = AuthMethod.CURRENT_USER  # with the ticket `kinit` got (the lab's info says as whom)
    settings = ConnectionSettings(
        host=cluster,
        https=https,
        auth=auth,
        username="" if kerberos else str(info["username"]),
        ca_file=str(info.get("ca_file") or ""),
        operation_timeout_s=30.0,
        node_endpoints=endpoints,
        kerberos_hosts={str(k): str(v) for k, v in dict(info.get("fqdns") or {}).items()},
    )
    return settings, "" if kerberos else str(info["password"])


class WinRMClusterSession:
    """A connection to one cluster through any of its nodes (see the module docstring)."""

    def __init__(
        self,
        settings: ConnectionSettings,
        password: str = "",
        *,
        channel_factory: ChannelFactory | None = None,
        audit: AuditLog | None = None,
        audit_reads: bool = False,
        limits: Limits | None = None,
        idle_timeout_s: float = 600.0,
        time_scale: float = 1.0,
        min_wait_s: float = 30.0,
    ) -> None:
        if channel_factory is None:
            channel_factory = pywinrm_factory(settings, password)  # validates first
        else:
            validate_settings(settings, password)
        self._settings = settings
        self._factory = channel_factory
        self._limits = limits
        self._audit = audit if audit is not None else AuditLog(remote_user=settings.username)
        self._audit_reads = audit_reads
        self._idle_timeout_s = idle_timeout_s
        # A plan's waits poll this many times more often (the lab runs faster than real time).
        self._time_scale = max(1.0, time_scale)
        self._min_wait_s = min_wait_s  # a scaled wait still allows this much for real overheads
        self._links: dict[str, _NodeLink] = {}
        self._nodes: list[str] = [
            n for n in settings.node_endpoints if n.casefold() != settings.host.casefold()
        ]
        self._preferred: str | None = None
        self._cms: str | None = None  # the clustered mailbox server's name, once known
        self._cms_nodes: tuple[str, ...] = ()  # its RedundantMachines (possible CCR targets)
        self._cms_group: str | None = None
        self._exchange_read = False  # Exchange answered once: a group it did not name is not the CMS
        self._last: ClusterSnapshot | None = None
        self._cluster_name = settings.host
        self._static = _Static()
        self._reaper: asyncio.Task[None] | None = None
        self._closed = False
        self._snapshot_lock = asyncio.Lock()
        self._databases: tuple[MailboxDatabaseStatus, ...] = ()
        self._databases_at = 0.0  # monotonic time of the last answer; 0: due now
        self._databases_retry_at = 0.0
        self._witness: WitnessReachability | None = None
        self._witness_at = 0.0
        self._events = EventReader(self._event_access())
        self._deadline: float | None = None  # monotonic end of the running snapshot's time

    # ---- properties ----------------------------------------------------------------------

    @property
    def cluster_name(self) -> str:
        return self._cluster_name

    @property
    def settings(self) -> ConnectionSettings:
        return self._settings

    @property
    def last_snapshot(self) -> ClusterSnapshot | None:
        return self._last

    @property
    def requests_sent(self) -> int:
        """WS-Management requests sent so far over every connection (bench and tests)."""
        return sum(link.conn.requests_sent for link in self._links.values())

    def requests_by_kind(self) -> Counter[str]:
        """The same by WS-Management action (Create, Command, Send, Receive, Signal, Delete)."""
        total: Counter[str] = Counter()
        for link in self._links.values():
            total.update(link.conn.requests_by_kind)
        return total

    # ---- links -----------------------------------------------------------------------------

    def _link(self, name: str) -> _NodeLink:
        key = name.casefold()
        link = self._links.get(key)
        if link is None:
            try:
                url, refused = endpoint_for(self._settings, name), ""
            except InvalidNodeName as exc:  # reported by the cluster: never put into a URL
                url, refused = "", str(exc)
            conn = HostConnection(
                name,
                url,
                self._factory,
                limits=self._limits,
                refused=refused,
                max_output_bytes=self._settings.max_output_bytes,
            )
            # After close nothing is sent any more: a read still running in another task that
            # reaches a node not yet linked gets a closed connection, not a fresh one.
            conn.closed = self._closed
            link = _NodeLink(name, conn, CmdShell(conn), PowerShellHost(conn))
            self._links[key] = link
        self._ensure_reaper()
        return link

    def _timeout(self, link: _NodeLink | None = None) -> float:
        t = self._settings.operation_timeout_s
        return min(t, SUSPECT_TIMEOUT_S) if link is not None and link.suspect else t

    def _fallback_timeout(self, link: _NodeLink) -> float:
        """A read that stands in for another one (the next host of the cmd-shell reads, the
        cluster name after every node failed) gets only what is left of the snapshot's operation
        timeout: with every node hung, a snapshot must not take twice that."""
        left = self._deadline - time.monotonic() if self._deadline is not None else self._timeout(link)
        return min(self._timeout(link), left)

    def _worth_trying(self, timeout: float) -> bool:
        return timeout >= min(MIN_ATTEMPT_S, self._settings.operation_timeout_s / 4)

    def _entry_points(self) -> list[str]:
        """Where to run cluster-wide commands, best first: last good node, others, the cluster name."""
        order: list[str] = []
        if self._preferred:
            order.append(self._preferred)
        healthy = [n for n in self._nodes if not self._link_suspect(n)]
        order += healthy + [n for n in self._nodes if n not in healthy]
        if self._settings.host.casefold() not in (n.casefold() for n in self._nodes):
            order.append(self._settings.host)
        seen: set[str] = set()
        out = []
        for n in order:
            if n.casefold() not in seen and self._contactable(n):
                seen.add(n.casefold())
                out.append(n)
        return out

    def _contactable(self, name: str) -> bool:
        """Whether a URL may be built for `name` (a configured endpoint, the host the admin typed,
        or a valid node name: see `endpoint_for`)."""
        try:
            endpoint_for(self._settings, name)
        except InvalidNodeName:
            return False
        return True

    def _is_member(self, name: str) -> bool:
        """A node of this cluster (last listing or configured), or the host the admin typed."""
        known = [*self._nodes, *self._settings.node_endpoints, self._settings.host]
        return name.casefold() in {k.casefold() for k in known}

    def _link_suspect(self, name: str) -> bool:
        link = self._links.get(name.casefold())
        return link is not None and link.suspect

    def _ensure_reaper(self) -> None:
        if self._reaper is None and not self._closed:
            try:
                self._reaper = asyncio.get_running_loop().create_task(self._reap_idle())
            except RuntimeError:
                pass

    async def _reap_idle(self) -> None:
        """Close shells nobody used for `idle_timeout_s` (they hold server resources)."""
        while not self._closed:
            await asyncio.sleep(max(1.0, self._idle_timeout_s / 4))
            now = time.monotonic()
            for link in list(self._links.values()):
                for shell in (link.cmd, link.ps):
                    if shell.shell_id is not None and now - shell.last_used > self._idle_timeout_s:
                        if shell is link.ps and link.ps.busy:
                            continue
                        await shell.close()

    # ---- snapshot --------------------------------------------------------------------------

    async def snapshot(self, on_partial: PartialCallback | None = None) -> ClusterSnapshot:
        async with self._snapshot_lock:
            self._deadline = time.monotonic() + self._settings.operation_timeout_s
            try:
                snap = await self._snapshot(on_partial)
            finally:
                self._deadline = None
        self._last = snap
        return snap

    async def _discover(self, errors: dict[str, str]) -> None:
        """Learn the node names through the cluster name when none are configured."""
        for host in self._entry_points():
            link = self._link(host)
            try:
                out = await link.cmd.run(
                    scripts.cluster_read_line("node"),
                    skip_cmd_shell=True,
                    timeout=self._timeout(),
                    retry=True,
                )
                nodes = parsers.parse_nodes(out.stdout)
            except (TransportError, parsers.ParseError, parsers.WindowsCommandError) as exc:
                errors[host] = _text(exc)
                continue
            self._nodes = [n.name for n in nodes]
            return

    async def _snapshot(self, on_partial: PartialCallback | None) -> ClusterSnapshot:
        node_errors: dict[str, str] = {}
        if not self._nodes:
            await self._discover(node_errors)
        targets = list(self._nodes) or [self._settings.host]
        links = [self._link(n) for n in targets]
        reads = _Reads()

        # Each node's request starts its PowerShell if needed (no waiting for the other nodes:
        # the snap-in load is the critical path of a first snapshot).
        warm = [lk for lk in links if lk.ps.ready and not lk.suspect]
        static_wanted = self._static_due()
        props_asked = bool(static_wanted)
        cluster_items = [*scripts.CLUSTER_READS, *static_wanted]
        cold_task: asyncio.Future[None] | None = None
        if not warm:
            # First snapshot: the cluster's own reads (WMI in a plain powershell.exe, the
            # cluster.exe listings, the static ones too) go through the cmd shells while the
            # snap-in loads, so the cluster can be shown before Exchange answers.
            cold_task = asyncio.ensure_future(self._cold_cluster_reads(cluster_items, reads, node_errors))
            cluster_items = []
        candidates = warm or [lk for lk in links if not lk.suspect] or links
        exchange_items = list(scripts.EXCHANGE_READS)
        # The store's slow read (every few minutes) goes where it does not lengthen the snapshot.
        slow_exchange = [scripts.DATABASES_READ] if self._databases_due() else []
        share = self._witness_due()
        witness: dict[str, tuple[bool | None, str]] = {}
        plan = self._assign(candidates, cluster_items, exchange_items, slow_exchange)
        node_task = asyncio.gather(
            *(
                self._node_request(lk, plan.get(lk.name, []), reads, node_errors, share, witness)
                for lk in links
            )
        )
        try:
            if cold_task is not None:
                await cold_task
                if not node_task.done():
                    await self._show_partial(reads, node_errors, props_asked, on_partial)
            node_results = await node_task
        except BaseException:
            for task in (cold_task, node_task):
                if task is not None:
                    task.cancel()
                    task.add_done_callback(_retrieve)
            raise
        details = {name: d for name, d in node_results if d is not None}
        good = [lk for lk in links if lk.name not in node_errors]
        host = self._settings.host
        if not good and host.casefold() not in {n.casefold() for n in self._nodes}:
            # No node answered by its own name (e.g. names that do not resolve from here):
            # the cluster name still reaches one of them, if time is left.
            if self._worth_trying(self._fallback_timeout(self._link(host))):
                good = [self._link(host)]
        await self._failover(reads, node_errors, good)
        static_text = _take_static(reads)
        self._learn_databases(static_text, asked=bool(slow_exchange))
        if share:
            self._learn_witness(share, witness, node_errors, [lk.name for lk in links])
        await reads.parse_ahead()
        snap = self._assemble(reads, details, node_errors)
        if reads.unreadable:
            # Damaged or cut output (reads are idempotent): read those parts once more.
            for name in reads.unreadable:
                reads.text.pop(name, None)
                reads.errors.pop(name, None)
                reads.host.pop(name, None)
            reads.unreadable.clear()
            await self._failover(reads, node_errors, [lk for lk in good if lk.name not in node_errors])
            await reads.parse_ahead()
            snap = self._assemble(reads, details, node_errors)
        self._learn_static(static_text, snap, props_asked=props_asked)
        if cold_task is not None and self._databases_due():
            # The complete view first: a store that is slow or hangs must not hold it back.
            self._last = self._apply_static(snap)
            if on_partial is not None:
                on_partial(self._last)
            await self._first_databases_read([lk for lk in good if lk.name not in node_errors])
        return self._apply_static(snap)

    async def _first_databases_read(self, good: Sequence[_NodeLink]) -> None:
        """The store's read, once the first snapshot named the CMS (and was handed out): one more
        request, so the databases show from the start and the second snapshot does not carry the
        slow read."""
        link = next((lk for lk in good if lk.ps.ready and lk.ps.exchange_error is None), None)
        if link is None:
            return
        item = scripts.DATABASES_READ
        try:
            out = await link.ps.run(item.section(self._cms), timeout=self._timeout(link), retry=True)
        except TransportError as exc:
            log.info("database status not read from %s: %s", link.name, exc)
            return  # still due: the next snapshot carries it
        reads = _Reads()
        self._take_section(out.section(item.name), item.name, link.name, reads)
        self._learn_databases(_take_static(reads), asked=True)

    async def _show_partial(
        self,
        reads: _Reads,
        node_errors: dict[str, str],
        props_asked: bool,
        on_partial: PartialCallback | None,
    ) -> None:
        """The cluster as read so far, marked `reading_exchange`, while the snap-in still loads:
        it becomes the last snapshot (so plans refuse what may be the CMS with that reason) and
        goes to `on_partial`.  Nothing is shown unless every cluster WMI read answered."""
        if any(i.name not in reads.text for i in scripts.WMI_READS):
            return
        so_far = _Reads(dict(reads.text), dict(reads.host), dict(reads.errors))
        static_text = _take_static(so_far)
        await so_far.parse_ahead()
        snap = self._assemble(so_far, {}, dict(node_errors))
        if so_far.unreadable:
            return  # damaged: the full snapshot reads it again
        self._learn_static(static_text, snap, props_asked=props_asked)
        partial = replace(self._apply_static(snap), reading_exchange=True)
        self._last = partial
        if on_partial is not None:
            on_partial(partial)

    @staticmethod
    def _names_key(snap: ClusterSnapshot | None) -> tuple[object, ...] | None:
        if snap is None:
            return None
        return (tuple(sorted(n.name for n in snap.nodes)),)  # node IDs change with the members

    def _static_due(self) -> list[scripts.ReadItem]:
        """The static reads this snapshot needs: none unless names changed or they are old.
        (Failover policies and preferred owners are not among them: they come in every
        snapshot's WMI read, so an edit shows in the next snapshot.)"""
        st = self._static
        now = time.monotonic()
        if now < st.retry_at:
            return []
        key = self._names_key(self._last)
        if st.props_key is None or st.props_key != key or now - st.props_at > STATIC_REFRESH_S:
            return list(scripts.STATIC_READS)
        return []

    def _learn_static(self, got: dict[str, str], snap: ClusterSnapshot, *, props_asked: bool) -> None:
        """Parse the static reads that answered into `self._static`.  Failures keep the old facts
        and are read again next snapshot (the names key is not advanced)."""
        st = self._static
        now = time.monotonic()
        due = [i.name for i in scripts.STATIC_READS]
        complete = props_asked and all(n in got for n in due)
        try:
            if "nodeids" in got:
                # Only cluster.exe has node IDs on Windows Server 2008; matched by exact name.
                st.node_ids = {n.name: n.node_id for n in parsers.parse_nodes(got["nodeids"])}
            if "clusterprops" in got:
                st.cluster_name = parsers.parse_cluster_name(got["clusterprops"])
                self._cluster_name = st.cluster_name
        except (parsers.ParseError, parsers.WindowsCommandError) as exc:
            log.info("static cluster facts not read: %s", exc)
            complete = False
        if complete:
            st.props_key = self._names_key(snap)
            st.props_at = now
        elif props_asked:
            st.retry_at = now + STATIC_RETRY_S

    def _apply_static(self, snap: ClusterSnapshot) -> ClusterSnapshot:
        """The snapshot with the kept static facts filled in."""
        st = self._static
        return replace(
            snap,
            cluster_name=self._cluster_name,
            nodes=tuple(replace(n, node_id=st.node_ids.get(n.name, n.node_id)) for n in snap.nodes),
            cms_nodes=self._cms_nodes,
            databases=self._databases,
            witness=self._witness,
        )

    # ---- slow reads: databases (the store) and the witness share (from each node) ------------

    def _databases_due(self) -> bool:
        now = time.monotonic()
        if not self._cms or now < self._databases_retry_at:
            return False
        return not self._databases_at or now - self._databases_at > DATABASES_REFRESH_S

    def _learn_databases(self, got: dict[str, str], *, asked: bool) -> None:
        if not asked:
            return
        now = time.monotonic()
        try:
            if scripts.DATABASES_READ.name not in got:
                raise parsers.ParseError("no answer for Get-MailboxDatabase -Status")
            self._databases = tuple(parsers.parse_mailbox_databases(got[scripts.DATABASES_READ.name]))
        except parsers.ParseError as exc:
            log.info("database status not read: %s", exc)
            self._databases_retry_at = now + STATIC_RETRY_S
            return
        self._databases_at = now

    def _witness_due(self) -> str | None:
        """The witness share to test in this snapshot, or None."""
        q = self._last.quorum if self._last is not None else None
        if q is None or not q.path.startswith("\\\\"):
            return None
        if self._witness_at and time.monotonic() - self._witness_at <= WITNESS_REFRESH_S:
            return None
        try:
            scripts.witness_section(q.path)
        except UnsafeValueError:
            return None
        return q.path

    def _learn_witness(
        self,
        share: str,
        answers: dict[str, tuple[bool | None, str]],
        node_errors: dict[str, str],
        nodes: list[str],
    ) -> None:
        reachable: dict[str, bool | None] = {}
        errors: dict[str, str] = {}
        for node in nodes:
            ok, error = answers.get(node, (None, node_errors.get(node, "no answer")))
            reachable[node] = ok
            if error:
                errors[node] = error
        self._witness = WitnessReachability(share, reachable, errors)
        self._witness_at = time.monotonic()

    def mark_stale(self) -> None:
        self._databases_at = self._databases_retry_at = 0.0
        self._witness_at = 0.0
        self._static.retry_at = 0.0

    def _invalidate_after(self, plan: Plan) -> None:
        """Re-read at once what the plan changed (rather than at the slow reads' period).  A
        failover policy edit needs nothing here: policies come in every snapshot's WMI read."""
        kind = plan.request.kind if plan.request else None
        if kind in (ActionKind.MOUNT_DATABASE, ActionKind.DISMOUNT_DATABASE):
            self._databases_at = 0.0
            self._databases_retry_at = 0.0

    def _mark_failed(self, link: _NodeLink, exc: BaseException, errors: dict[str, str]) -> None:
        text = _text(exc)
        errors[link.name] = text
        link.last_error = text
        if isinstance(exc, TransportError) and exc.node_failed:
            link.suspect = True
            if self._preferred and self._preferred.casefold() == link.name.casefold():
                self._preferred = None

    def _assign(
        self,
        links: Sequence[_NodeLink],
        cluster_items: Sequence[scripts.ReadItem],
        exchange_items: Sequence[scripts.ReadItem],
        slow_exchange: Sequence[scripts.ReadItem] = (),
    ) -> dict[str, list[scripts.ReadItem]]:
        """Spread the cluster-wide reads over the nodes by estimated cost (greedy): the Exchange
        status reads together on one node, each slow Exchange read on the least loaded other
        node with Exchange (in parallel, not after them), then the cluster's reads."""
        plan: dict[str, list[scripts.ReadItem]] = {lk.name: [] for lk in links}
        if not links:
            return plan
        load = {lk.name: 0.0 for lk in links}
        exch_ok = [lk for lk in links if lk.ps.exchange_error is None] or list(links)
        if exchange_items:
            target = min(exch_ok, key=lambda lk: load[lk.name]).name
            plan[target] += exchange_items
            load[target] += sum(i.cost_s for i in exchange_items)
        for item in slow_exchange:
            target = min(exch_ok, key=lambda lk: load[lk.name]).name
            plan[target].append(item)
            load[target] += item.cost_s
        for item in sorted(cluster_items, key=lambda i: -i.cost_s):
            target = min(links, key=lambda lk: (load[lk.name], lk.name != self._preferred)).name
            plan[target].append(item)
            load[target] += item.cost_s
        return plan

    async def _node_request(
        self,
        link: _NodeLink,
        items: list[scripts.ReadItem],
        reads: _Reads,
        errors: dict[str, str],
        witness_share: str | None = None,
        witness: dict[str, tuple[bool | None, str]] | None = None,
    ) -> tuple[str, NodeDetails | None]:
        """One PowerShell request: this node's facts plus its share of the cluster-wide reads
        (and, when due, whether the witness share answers from this node)."""
        body = scripts.details_sections() + "".join(i.section(self._cms) for i in items)
        if witness_share:
            body += scripts.witness_section(witness_share)
        try:
            out = await link.ps.run(body, timeout=self._timeout(link), retry=True)
        except TransportError as exc:
            self._mark_failed(link, exc, errors)
            return link.name, None
        link.suspect = False
        self._audit_read(out)
        for item in items:
            self._take_section(out.section(item.name), item.name, link.name, reads)
        if witness_share and witness is not None:
            witness[link.name] = _witness_answer(out.section("witness"))
        return link.name, _details(out)

    def _take_section(self, sec: Section | None, name: str, host: str, reads: _Reads) -> None:
        if sec is None:
            reads.errors[name] = f"{host}: no answer for {name} (the output was cut or damaged)"
        elif not sec.ok:
            reads.errors[name] = f"{host}: {sec.error}"
            reads.host[name] = host
        else:
            reads.text[name] = sec.text
            reads.host[name] = host
            reads.errors.pop(name, None)

    async def _cold_cluster_reads(
        self, items: Sequence[scripts.ReadItem], reads: _Reads, errors: dict[str, str]
    ) -> None:
        """The cluster-wide reads through the cmd shells, in lanes that run at once and start on
        different nodes: the WMI reads split over two plain powershell.exe (no snap-in to wait
        for; starting one is the big cost), and the cluster.exe listings; each lane fails over
        from node to node."""
        hosts = self._entry_points()
        other = hosts[1:] + hosts[:1]
        wmi = [i for i in items if i.wmi]
        exe = [i for i in items if not i.wmi]
        halves = [wmi[0::2], wmi[1::2]] if len(hosts) > 1 else [wmi]
        starts = (hosts, other)[: len(halves)]
        lanes = [
            self._cold_lane(part, start, reads, errors)
            for part, start in zip(halves, starts, strict=True)
            if part
        ]
        if exe:
            lanes.append(self._cold_lane(exe, other, reads, errors))
        await asyncio.gather(*lanes)

    async def _cold_lane(
        self, items: Sequence[scripts.ReadItem], hosts: Sequence[str], reads: _Reads, errors: dict[str, str]
    ) -> None:
        pending = list(items)
        first = hosts[0] if hosts else ""
        for host in hosts:
            if not pending:
                return
            if host in errors:
                continue
            link = self._link(host)
            if host != first and not self._worth_trying(self._fallback_timeout(link)):
                return  # the snapshot's time is up: the hosts tried so far are in `errors`
            wmi = [i for i in pending if i.wmi]
            if wmi:
                try:
                    await self._cold_wmi(link, wmi, reads)
                except TransportError as exc:
                    self._mark_failed(link, exc, errors)
                    continue
                pending = [i for i in pending if not i.wmi]
            for item in list(pending):
                try:
                    out = await link.cmd.run(
                        scripts.cluster_read_line(item.keyword),
                        skip_cmd_shell=True,
                        timeout=self._timeout(link) if host == first else self._fallback_timeout(link),
                        retry=True,
                    )
                except TransportError as exc:
                    self._mark_failed(link, exc, errors)
                    break
                self._audit_cmd(out)
                if (
                    out.exit_code not in (0, None)
                    and parsers.find_system_error(out.stdout + out.stderr) is None
                ):
                    reads.errors[item.name] = f"{host}: cluster.exe exited with {out.exit_code}: {out.stderr}"
                else:
                    reads.text[item.name] = out.stdout
                    reads.host[item.name] = host
                    reads.errors.pop(item.name, None)
                pending.remove(item)

    async def _cold_wmi(self, link: _NodeLink, items: Sequence[scripts.ReadItem], reads: _Reads) -> None:
        """Run WMI read sections in a plain powershell.exe started through the cmd shell."""
        marker = secrets.token_hex(8)
        script = frame_script("".join(i.section(None) for i in items), marker, 1)
        out = await link.cmd.run(
            scripts.cold_wmi_line(script), skip_cmd_shell=True, timeout=self._timeout(link), retry=True
        )
        self._audit_cmd(out)
        begin, end = f"{marker}:B:1\n", f"{marker}:E:1\n"
        b = out.stdout.find(begin)
        e = out.stdout.find(end, b + len(begin)) if b >= 0 else -1
        sections = parse_sections(out.stdout[b + len(begin) : e], marker) if e >= 0 else ()
        for item in items:
            sec = next((x for x in sections if x.name == item.name), None)
            if sec is None and e < 0:
                why = (out.stderr or out.stdout).strip()[:300] or f"exit code {out.exit_code}"
                reads.errors[item.name] = f"{link.name}: powershell.exe gave no answer ({why})"
                continue
            self._take_section(sec, item.name, link.name, reads)

    async def _failover(self, reads: _Reads, errors: dict[str, str], good: list[_NodeLink]) -> None:
        """Re-run the cluster-wide reads whose node failed on a node that answered.  cluster.exe on
        a node whose cluster service is stopped (RPC unavailable) is asked on another node too."""
        stale = {
            i.name: (reads.text[i.name], reads.host.get(i.name, ""))
            for i in scripts.CLUSTER_READS
            if i.name in reads.text and _clussvc_down(reads.text[i.name])
        }
        for name in stale:
            del reads.text[name]
        down = {host for _text_, host in stale.values()}
        others = [lk for lk in good if lk.name not in down]
        await self._failover_reads(reads, errors, others if stale else good)
        for name, (text, host) in stale.items():
            if name not in reads.text:  # no other node answered: keep Windows' answer
                reads.text[name], reads.host[name] = text, host

    async def _failover_reads(self, reads: _Reads, errors: dict[str, str], good: list[_NodeLink]) -> None:
        wanted = [i for i in (*scripts.CLUSTER_READS, *scripts.EXCHANGE_READS) if i.name not in reads.text]
        if any(i.name == "copies" for i in wanted) and not self._cms:
            wanted = [i for i in wanted if i.name != "cms"]
            wanted.insert(len(wanted) - 1, next(i for i in scripts.EXCHANGE_READS if i.name == "cms"))
        def answered(i: scripts.ReadItem) -> bool:
            return i.name in reads.errors and i.name in reads.host

        # Reads that answered with a Windows error are answers, not failures: keep them.  Except
        # the WMI reads: their error is the provider of that node (its cluster service stopped),
        # another node may answer; the node that failed them is not asked again.
        wanted = [i for i in wanted if not answered(i) or i.wmi]
        if not wanted:
            return
        tried = {reads.host[i.name] for i in wanted if answered(i)}
        for link in good:
            if link.name in errors or link.name in tried:
                continue
            body = "".join(i.section(self._cms) for i in wanted)
            last_resort = link.name.casefold() not in {n.casefold() for n in self._nodes}
            timeout = self._fallback_timeout(link) if last_resort else self._timeout(link)
            if last_resort and not self._worth_trying(timeout):
                continue
            try:
                out = await link.ps.run(body, timeout=timeout, retry=True)
            except TransportError as exc:
                self._mark_failed(link, exc, errors)
                continue
            for item in wanted:
                self._take_section(out.section(item.name), item.name, link.name, reads)
            wanted = [i for i in wanted if i.name not in reads.text]
            if not wanted:
                return
        cold = [i for i in wanted if (i.keyword or i.wmi) and not answered(i)]
        if cold:
            await self._cold_cluster_reads(cold, reads, errors)

    def _learn_cms(self, reads: _Reads) -> None:
        try:
            servers = reads.parsed("mbx", parsers.parse_exchange_servers, reads.text["mbx"])
        except parsers.ParseError:
            return
        self._exchange_read = True
        nodes = {n.casefold() for n in self._nodes}
        for s in servers:
            if s.clustered_storage_type.casefold() == "nonshared" and (
                not nodes or nodes & {m.casefold() for m in s.redundant_machines}
            ):
                self._cms = s.name
                self._cms_nodes = s.redundant_machines
                return

    @staticmethod
    def _parse_wmi(reads: _Reads, problems: list[NodeError]) -> parsers.WmiCluster | None:
        """Nodes, groups, resources, networks and interfaces from the root\\MSCluster reads; all of
        them or none (a missing or inconsistent read is reported, never half-used)."""
        names = [i.name for i in scripts.WMI_READS]
        texts = _wmi_texts(reads.text)
        if texts is None:
            for n in names:
                if n not in reads.text and n in reads.errors:
                    problems.append(NodeError(reads.host.get(n, ""), reads.errors[n]))
            return None
        try:
            return reads.parsed("wmi", parsers.parse_wmi_cluster, texts)
        except parsers.ParseError as exc:
            reads.unreadable.update(names)
            problems.append(NodeError(reads.host.get(names[0], ""), f"cluster WMI: {_text(exc)}"))
            return None

    def _assemble(
        self, reads: _Reads, details: dict[str, NodeDetails], node_errors: dict[str, str]
    ) -> ClusterSnapshot:
        problems: list[NodeError] = [NodeError(n, e) for n, e in node_errors.items()]

        def parse(name: str, fn: Callable[[str], T]) -> T | None:
            if name not in reads.text:
                if name in reads.errors:
                    problems.append(NodeError(reads.host.get(name, ""), reads.errors[name]))
                return None
            try:
                return reads.parsed(name, fn, reads.text[name])
            except parsers.WindowsCommandError as exc:  # Windows' own answer (System error N)
                problems.append(NodeError(reads.host.get(name, ""), f"{name}: {_text(exc)}"))
                return None
            except parsers.ParseError as exc:
                reads.unreadable.add(name)
                problems.append(NodeError(reads.host.get(name, ""), f"{name}: {_text(exc)}"))
                return None

        self._learn_cms(reads) if "mbx" in reads.text else None
        cluster = self._parse_wmi(reads, problems)
        nodes_raw = cluster.nodes if cluster else []
        if nodes_raw:
            self._nodes = [n.name for n in nodes_raw]
        groups_raw = cluster.groups if cluster else []
        resources: list[Resource] = cluster.resources if cluster else []
        networks: list[Network] = cluster.networks if cluster else []
        interfaces: list[NetInterface] = cluster.interfaces if cluster else []
        # The quorum listing is a table: read only against the exact resource names from WMI.
        quorum: Quorum | None = None
        if cluster:
            quorum = parse("quorum", lambda t: parsers.parse_quorum(t, resources))
        cms: CmsStatus | None = parse("cms", parsers.parse_cms_status)
        copies: list[StorageGroupCopy] = parse("copies", parsers.parse_copy_status) or []
        version = ""
        if "mbx" in reads.text and self._cms:
            try:
                version = next(
                    (
                        s.version
                        for s in reads.parsed("mbx", parsers.parse_exchange_servers, reads.text["mbx"])
                        if s.name == self._cms
                    ),
                    "",
                )
            except parsers.ParseError:
                version = ""
        cms_short = (cms.name.split(".")[0] if cms and cms.name else "") or (self._cms or "")
        groups = [
            replace(
                g,
                is_cms=bool(cms_short) and g.name.casefold() == cms_short.casefold(),
                is_core=g.name.casefold() == CORE_GROUP.casefold(),
                is_storage=g.name.casefold() == STORAGE_GROUP.casefold(),
            )
            for g in groups_raw
        ]
        cms_group = next((g.name for g in groups if g.is_cms), None)
        if cms_group:
            self._cms_group = cms_group
        if not nodes_raw:  # no cluster.exe answer: still list the nodes we tried
            nodes_raw = [Node(n, NodeState.UNKNOWN) for n in self._nodes]
        errors_by_node = {e.node.casefold(): e.message for e in problems if e.node}
        nodes = []
        for n in nodes_raw:
            d = details.get(n.name) or next(
                (v for k, v in details.items() if k.casefold() == n.name.casefold()), None
            )
            if d is not None and version and not d.exchange_version:
                d = replace(d, exchange_version=version)  # the node's own build was not read
            err = node_errors.get(n.name) or next(
                (v for k, v in node_errors.items() if k.casefold() == n.name.casefold()), ""
            )
            nodes.append(replace(n, details=d, reachable=not err, error=err or ""))
        served = reads.host.get("wnodes", "") or reads.host.get("wgroups", "")
        if served:
            self._preferred = served if served.casefold() in {x.casefold() for x in self._nodes} else None
        _ = errors_by_node
        return ClusterSnapshot(
            cluster_name=self._cluster_name,
            taken_at=datetime.now(UTC),
            nodes=tuple(nodes),
            groups=tuple(groups),
            resources=tuple(resources),
            networks=tuple(networks),
            interfaces=tuple(interfaces),
            quorum=quorum,
            cms=cms,
            copies=tuple(copies),
            node_errors=tuple(_dedupe(problems)),
            served_by=served,
            cms_version=version,
            group_policies=tuple(cluster.policies) if cluster else (),
        )

    # ---- actions ---------------------------------------------------------------------------

    def _facts(self) -> planner.PlanFacts:
        return planner.PlanFacts(
            self._last, self._cms, self._cms_group, self._cms_nodes, self._exchange_read
        )

    def plan(self, request: ActionRequest) -> Plan | Refusal:
        return planner.build_plan(request, self._facts())

    async def _know_cms(self) -> None:
        if self._cms is None and self._last is None:
            await self.snapshot()

    async def _plan_and_run(self, request: ActionRequest) -> ActionResult:
        """The per-action methods: plan against the current knowledge, then run that plan."""
        await self._know_cms()
        plan = self.plan(request)
        if isinstance(plan, Refusal):
            return ActionResult(plan.title, False, (), plan.reason)
        return await self.run_plan(plan)

    async def move_group(self, group: str, node: str | None, comment: str = "") -> ActionResult:
        return await self._plan_and_run(ActionRequest(ActionKind.MOVE_GROUP, group, node, comment))

    async def validate_move_cms(self, node: str, comment: str) -> ActionResult:
        return await self._plan_and_run(
            ActionRequest(ActionKind.VALIDATE_MOVE_CMS, self._cms or "", node, comment, validate_only=True)
        )

    async def bring_online(self, group: str) -> ActionResult:
        return await self._plan_and_run(ActionRequest(ActionKind.ONLINE_GROUP, group))

    async def take_offline(self, group: str, reason: str = "") -> ActionResult:
        return await self._plan_and_run(ActionRequest(ActionKind.OFFLINE_GROUP, group, text=reason))

    async def pause_node(self, node: str) -> ActionResult:
        return await self._plan_and_run(ActionRequest(ActionKind.PAUSE_NODE, node))

    async def resume_node(self, node: str) -> ActionResult:
        return await self._plan_and_run(ActionRequest(ActionKind.RESUME_NODE, node))

    async def suspend_copy(self, storage_group: str, comment: str) -> ActionResult:
        return await self._plan_and_run(ActionRequest(ActionKind.SUSPEND_COPY, storage_group, text=comment))

    async def resume_copy(self, storage_group: str) -> ActionResult:
        return await self._plan_and_run(ActionRequest(ActionKind.RESUME_COPY, storage_group))

    async def update_copy(self, storage_group: str) -> ActionResult:
        return await self._plan_and_run(ActionRequest(ActionKind.UPDATE_COPY, storage_group))

    # ---- running plans ---------------------------------------------------------------------

    async def run_plan(self, plan: Plan, progress: ProgressCallback | None = None) -> ActionResult:
        """Run `plan`'s steps in order and stop at the first failure (see ClusterSession)."""

        def tell(i: int, step: Step, kind: ProgressKind, text: str = "", node: str = "") -> None:
            if progress is not None:
                progress(PlanProgress(i, step, kind, text, node))

        runs: list[CommandRun] = []
        for i, step in enumerate(plan.steps):
            tell(i, step, ProgressKind.STEP_STARTED)
            error = ""
            for line in step.lines:
                result = await self._run_line(plan.title, step, line, functools.partial(tell, i, step))
                runs.extend(result.runs)
                if not result.ok:
                    error = result.error
                    break
            if not error and step.wait is not None:
                tell(i, step, ProgressKind.WAITING, step.wait.description)
                error = await self._wait_until(step.wait)
            if not error and step.check is not None:
                error = step.check(await self.snapshot())
            if error:
                tell(i, step, ProgressKind.STEP_FAILED, error)
                self._invalidate_after(plan)  # a step may have changed something before failing
                return ActionResult(plan.title, False, tuple(runs), error)
            tell(i, step, ProgressKind.STEP_DONE)
            self._invalidate_after(plan)
        return ActionResult(plan.title, True, tuple(runs))

    async def _wait_until(self, wait: WaitUntil) -> str:
        """Poll fresh snapshots until the condition holds; the error text on timeout."""
        timeout = max(self._min_wait_s, wait.timeout_s / self._time_scale)
        poll = max(0.05, wait.poll_s / self._time_scale)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if wait.condition(await self.snapshot()):
                    return ""
            except TransportError:
                pass  # the node may be rebooting: keep polling until the deadline
            if time.monotonic() >= deadline:
                return f"Timed out after {timeout:.0f} s waiting until {wait.description}."
            await asyncio.sleep(poll)

    async def _run_line(
        self, title: str, step: Step, line: str, tell: Callable[[ProgressKind, str, str], None]
    ) -> ActionResult:
        """One command line on the step's node, or on the first node that can be reached.  Never
        retried once it may have started: only a refused connection (nothing was sent) moves on."""
        failures: list[str] = []
        hosts = [step.node] if step.node else self._entry_points()
        timeout = step.timeout_s or self._action_timeout()
        for host in hosts:
            link = self._link(host)
            tell(ProgressKind.LINE_SENT, line, host)
            try:
                if step.shell is Shell.EMS:
                    cr = await self._ems_line(link, line, timeout)
                else:
                    live = _chunk_teller(tell, host) if step.stream else None
                    cr = _command_run(
                        await link.cmd.run(line, skip_cmd_shell=True, timeout=timeout, on_output=live)
                    )
            except TransportError as exc:
                run_ = CommandRun(host, line, None, stderr=_text(exc))
                self._audit.record(host, line, None, 0.0, action=title, error=_text(exc))
                if exc.kind is ErrorKind.UNREACHABLE and not step.node:
                    failures.append(_text(exc))
                    link.suspect = True
                    continue
                return ActionResult(title, False, (run_,), _text(exc))
            except asyncio.CancelledError:
                self._audit.record(host, line, None, 0.0, action=title, error="cancelled")
                raise
            ok = cr.exit_code in step.ok_exit_codes
            error = "" if ok else _windows_error(cr)
            self._audit.record(host, line, cr.exit_code, cr.duration_s, action=title, error=error)
            if cr.stdout or cr.stderr:
                tell(ProgressKind.OUTPUT, cr.stdout + cr.stderr, host)
            return ActionResult(title, ok, (cr,), error)
        return ActionResult(
            title, False, (), "No node of the cluster could be reached: " + "; ".join(failures)
        )

    # ---- the rolling upgrade's reads (issue 11) ------------------------------------------------

    async def read_upgrade_facts(self, node: str, setup_folder: str = "", msp: str = "") -> NodeUpgradeFacts:
        """The setup folder and setup.com's build, the rollup file, free space and services on `node`."""
        try:
            body = scripts.upgrade_facts_sections(setup_folder, msp)
        except ValueError as exc:  # quoting.UnsafeValueError: nothing is sent
            return NodeUpgradeFacts(node, error=f"Not sent: {exc}")
        link = self._link(node)
        try:
            out = await link.ps.run(body, timeout=self._action_timeout(), retry=True)
        except TransportError as exc:
            return NodeUpgradeFacts(node, error=_text(exc))
        self._audit_read(out)
        sections = {s.name: (s.text, s.error) for s in out.sections}
        try:
            return parsers.parse_upgrade_facts(node, sections)
        except parsers.ParseError as exc:
            return NodeUpgradeFacts(node, error=f"Unreadable answer: {exc}")

    def parse_setup_output(self, text: str) -> SetupReport:
        """setup.com's console text (complete or partial) as steps and a verdict."""
        try:
            return parsers.parse_setup_output(text)
        except parsers.ParseError:
            return SetupReport()

    async def _ems_line(self, link: _NodeLink, command: str, timeout: float) -> CommandRun:
        out = await link.ps.run(scripts.action_section("action", command), timeout=timeout)
        sec = out.section("action")
        if sec is None:
            return CommandRun(
                link.name, command, None, stderr=out.stderr or "no answer", duration_s=out.duration_s
            )
        return CommandRun(
            link.name,
            command,
            0 if sec.ok else 1,
            stdout=sec.text,
            stderr=sec.error or out.stderr,
            duration_s=out.duration_s,
        )

    def _action_timeout(self) -> float:
        # Moves wait for the cluster; give actions more room than reads.
        return max(self._settings.operation_timeout_s, 120.0)

    # ---- on-demand reads -------------------------------------------------------------------

    def _node_names(self) -> list[str]:
        return list(self._nodes) or [self._settings.host]

    async def _each_node(self, body: str, section: str) -> dict[str, tuple[str | None, str]]:
        """Run `body` on every node at once; per node the section's text or the error."""

        async def one(name: str) -> tuple[str, tuple[str | None, str]]:
            link = self._link(name)
            try:
                out = await link.ps.run(body, timeout=self._timeout(link), retry=True)
            except TransportError as exc:
                return name, (None, _text(exc))
            self._audit_read(out)
            sec = out.section(section)
            if sec is None:
                return name, (None, out.stderr.strip() or f"no answer for {section}")
            return name, (sec.text, "") if sec.ok else (None, sec.error)

        return dict(await asyncio.gather(*(one(n) for n in self._node_names())))

    async def replication_health(self) -> ReplicationHealthReport:
        """Test-ReplicationHealth on every node (each tests itself), checks in node order."""
        answers = await self._each_node(scripts.replication_health_section(), "replhealth")
        checks: list[ReplicationCheck] = []
        errors: dict[str, str] = {}
        for node, (text, error) in answers.items():
            if text is None:
                errors[node] = error
                continue
            try:
                checks.extend(parsers.parse_replication_health(text).checks)
            except parsers.ParseError as exc:
                errors[node] = _text(exc)
        return ReplicationHealthReport(ReplicationHealth(tuple(checks)), errors, tuple(answers))

    async def check_witness(self) -> WitnessReachability | None:
        """Test-Path on the witness share from every node now (None: no file share witness known)."""
        if self._last is None:
            await self.snapshot()
        q = self._last.quorum if self._last is not None else None
        if q is None or not q.path:
            return None
        try:
            body = scripts.witness_section(q.path)
        except UnsafeValueError as exc:
            return WitnessReachability(q.path, {}, {n: f"Not sent: {exc}" for n in self._node_names()})
        answers = await self._each_node(body, "witness")
        reachable: dict[str, bool | None] = {}
        errors: dict[str, str] = {}
        for node, (text, error) in answers.items():
            ok: bool | None = None
            if text is not None:
                try:
                    ok = parsers.parse_test_path(text)
                except parsers.ParseError as exc:
                    error = _text(exc)
            reachable[node] = ok
            if error:
                errors[node] = error
        self._witness = WitnessReachability(q.path, reachable, errors)
        self._witness_at = time.monotonic()
        return self._witness

    # ---- events ----------------------------------------------------------------------------

    async def query_events(self, queries: list[LogQuery]) -> AsyncIterator[EventBatch]:
        """See `ccrgui.remote.eventreader`: the head plainly, the rest compressed, in parts."""
        members = [q for q in queries if self._is_member(q.node)]
        for q in queries:
            if q not in members:  # e.g. a node name from a saved filter file
                yield EventBatch(q, error=f"Not sent: {q.node!r} is not a node of {self._cluster_name}.")
        async for batch in self._events.query(members):
            yield batch

    def _event_access(self) -> NodeAccess:
        def failed(node: str, exc: BaseException) -> None:
            self._mark_failed(self._link(node), exc, {})

        def record(node: str, line: str, code: int | None, seconds: float) -> None:
            self._audit.record(node, line, code, seconds, action="Query events")

        return NodeAccess(
            conn=lambda node: self._link(node).conn,
            cmd=lambda node: self._link(node).cmd,
            timeout=lambda node: self._timeout(self._link(node)),
            failed=failed,
            record=record,
        )

    # ---- audit and shutdown ----------------------------------------------------------------

    def _audit_read(self, out: PsOutput) -> None:
        if self._audit_reads:
            self._audit.record(out.host, out.script, 0, out.duration_s, action="Read")

    def _audit_cmd(self, out: CommandOutput) -> None:
        if self._audit_reads:
            self._audit.record(out.host, out.command_line, out.exit_code, out.duration_s, action="Read")

    @property
    def closed(self) -> bool:
        """`close()` was called: no request is sent any more (tests check every session is)."""
        return self._closed

    async def close(self) -> None:
        """Delete the shells and stop: after this the session sends nothing more."""
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
        await asyncio.gather(
            *(s.close() for link in self._links.values() for s in (link.ps, link.cmd)),
            self._events.close(),
            return_exceptions=True,
        )
        for link in self._links.values():
            await link.conn.aclose()


def _details(out: PsOutput) -> NodeDetails | None:
    parts = []
    readers = (
        ("os", parsers.parse_wmi_os),
        ("cpu", parsers.parse_wmi_processor),
        ("exsetup", parsers.parse_exchange_setup),
    )
    for name, fn in readers:
        sec = out.section(name)
        if sec is not None and sec.ok:
            try:
                parts.append(fn(sec.text))
            except parsers.ParseError:
                continue
    return parsers.merge_details(*parts) if parts else None


def _witness_answer(sec: Section | None) -> tuple[bool | None, str]:
    if sec is None:
        return None, "no answer for Test-Path (the output was cut or damaged)"
    if not sec.ok:
        return None, sec.error
    try:
        return parsers.parse_test_path(sec.text), ""
    except parsers.ParseError as exc:
        return None, _text(exc)


def _take_static(reads: _Reads) -> dict[str, str]:
    """Move the static reads' answers out of `reads` (they are not part of the status reads'
    failover and error reporting: a missing one is simply read again next snapshot)."""
    names = [i.name for i in (*scripts.STATIC_READS, scripts.DATABASES_READ)]
    got = {n: reads.text.pop(n) for n in names if n in reads.text}
    for n in names:
        reads.errors.pop(n, None)
        reads.host.pop(n, None)
    return got


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Done callback of a task left behind when a snapshot was cancelled: its outcome is moot."""
    if not task.cancelled():
        task.exception()


_CLUSSVC_DOWN = ("System error 1722 ", "System error 1753 ", "System error 5050 ", "System error 5072 ")


def _clussvc_down(error: str) -> bool:
    """cluster.exe's answer on a node whose cluster service is not running (RPC unavailable...)."""
    return any(code in error for code in _CLUSSVC_DOWN)


def _chunk_teller(tell: Callable[[ProgressKind, str, str], None], host: str) -> Callable[[str], None]:
    return lambda text: tell(ProgressKind.CHUNK, text, host)


def _command_run(out: CommandOutput) -> CommandRun:
    return CommandRun(out.host, out.command_line, out.exit_code, out.stdout, out.stderr, out.duration_s)


def _windows_error(cr: CommandRun) -> str:
    err = parsers.find_system_error(cr.stdout + "\n" + cr.stderr)
    if err is not None:
        return str(err)
    text = (cr.stderr or cr.stdout).strip()
    if not text and cr.command.casefold().startswith("msiexec") and cr.exit_code in MSI_ERRORS:
        # msiexec /qn prints nothing: Windows' text for its exit code (FormatMessage).
        return f"msiexec exited with {cr.exit_code}: {MSI_ERRORS[cr.exit_code]}"
    return text or f"exit code {cr.exit_code}"


MSI_ERRORS = {
    1603: "Fatal error during installation.",
    1618: "Another installation is already in progress. Complete that installation before proceeding "
    "with this install.",
    1619: "This installation package could not be opened. Verify that the package exists and that you "
    "can access it, or contact the application vendor to verify that this is a valid Windows Installer "
    "package.",
    1639: "Invalid command line argument. Consult the Windows Installer SDK for detailed command line help.",
    1642: "The upgrade cannot be installed by the Windows Installer service because the program to be "
    "upgraded may be missing, or the upgrade may update a different version of the program. Verify that "
    "the program to be upgraded exists on your computer and that you have the correct upgrade.",
}


def _text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _dedupe(errors: list[NodeError]) -> list[NodeError]:
    seen: set[tuple[str, str]] = set()
    out = []
    for e in errors:
        if (e.node, e.message) not in seen:
            seen.add((e.node, e.message))
            out.append(e)
    return out


__all__ = ["WinRMClusterSession", "settings_from_lab_info"]

if TYPE_CHECKING:  # the session must keep satisfying the API the GUI codes against
    _conforms: type[ClusterSession] = WinRMClusterSession
