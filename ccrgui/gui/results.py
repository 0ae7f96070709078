"""The results pane: what the center of the console shows for the selected tree item.

`build_results` turns a snapshot and a selection into titled sections of rows (pure, tested per
item kind); `SectionTableModel` shows one section in a QTableView and updates it in place so the
selected row and scroll position survive refreshes; `ResultsPane` stacks the sections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ccrgui.domain.backupplan import BackupPlan, BackupThresholds, build_backup_plan
from ccrgui.domain.maintenance import MailboxDatabaseStatus, QuorumHealth
from ccrgui.domain.model import (
    READING_EXCHANGE,
    ClusterSnapshot,
    Group,
    Node,
    Resource,
    StorageGroupCopy,
)
from ccrgui.domain.quorumhealth import assess as assess_quorum
from ccrgui.gui import icons
from ccrgui.gui.columns import fit_widths
from ccrgui.gui.plaintext import plain_label, plain_tooltip
from ccrgui.gui.state import ClusterEntry, ConnState, ItemRef, Kind
from ccrgui.gui.tree import node_error, service_groups


@dataclass(frozen=True)
class Cell:
    text: str
    badge: str = ""  # state icon name, e.g. "online"


@dataclass(frozen=True)
class Section:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...] = ()
    empty_text: str = "None"

    def column(self, header: str) -> list[str]:
        i = self.headers.index(header)
        return [r[i].text for r in self.rows]

    def value(self, name: str) -> str:
        """For a property section: the value next to `name`."""
        for r in self.rows:
            if r[0].text == name:
                return r[1].text
        raise KeyError(name)


@dataclass(frozen=True)
class Results:
    title: str
    sections: tuple[Section, ...] = ()
    grey: bool = False
    pending: str = ""  # the action running on this cluster, shown above the sections

    def section(self, title: str) -> Section:
        for s in self.sections:
            if s.title == title:
                return s
        raise KeyError(title)


@dataclass
class ResultContext:
    """Facts the snapshot lacks: the count of critical events read separately, per connection."""

    critical_events: dict[str, str] = field(default_factory=dict)
    # Settings the backup view applies (QSettings "backup/full_max_age_days").
    backup_thresholds: BackupThresholds = field(default_factory=BackupThresholds)
    busy: dict[str, str] = field(default_factory=dict)  # conn_id -> label of the running action


def state_cell(state: Any) -> Cell:
    return Cell(state.value, icons.badge_for(state))


def props(title: str, pairs: list[tuple[str, str]]) -> Section:
    return Section(title, ("Property", "Value"), tuple((Cell(k), Cell(v)) for k, v in pairs))


def fmt_time(when: datetime | None) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S") if when else ""


def fmt_mb(mb: int) -> str:
    return f"{mb:,} MB" if mb else ""


_EX_RELEASES = {
    "8.0": "Exchange Server 2007",
    "8.1": "Exchange Server 2007 SP1",
    "8.2": "Exchange Server 2007 SP2",
    "8.3": "Exchange Server 2007 SP3",
}


def exchange_release(version: str) -> str:
    """ "Version 8.1 (Build 240.6)" or "8.1.240.6" → "Version 8.1 (Build 240.6), Exchange Server 2007 SP1"."""
    m = re.search(r"(\d+)\.(\d+)(?:\D+(\d+)\.(\d+))?", version)
    if not version or not m:
        return version
    name = _EX_RELEASES.get(f"{m.group(1)}.{m.group(2)}", "")
    return f"{version.strip()}, {name}" if name else version.strip()


def _build(version: str) -> tuple[int, ...]:
    """ "Version 8.1 (Build 240.6)" or "8.1.240.6" -> (8, 1, 240, 6), for comparing builds."""
    return tuple(int(x) for x in re.findall(r"\d+", version)[:4])


def _upgrade_note(node_version: str, cms_version: str) -> list[tuple[str, str]]:
    """A node pane row when this node's installed build differs from the CMS's version."""
    if not node_version or not cms_version or _build(node_version) == _build(cms_version):
        return []
    newer = _build(node_version) > _build(cms_version)
    word = "newer" if newer else "older"
    return [("Rolling upgrade", f"{word} than the clustered mailbox server ({cms_version})")]


def _group_rows(groups: tuple[Group, ...]) -> tuple[tuple[Cell, ...], ...]:
    return tuple(
        (
            Cell(g.name, "exchange" if g.is_cms else "group"),
            state_cell(g.state),
            Cell(g.owner),
            Cell("Exchange clustered mailbox server" if g.is_cms else "Service or application"),
        )
        for g in groups
    )


def _resource_rows(resources: tuple[Resource, ...]) -> tuple[tuple[Cell, ...], ...]:
    return tuple((Cell(r.name), Cell(r.resource_type), state_cell(r.state), Cell(r.owner)) for r in resources)


def _node_rows(snap: ClusterSnapshot) -> tuple[tuple[Cell, ...], ...]:
    return tuple(
        (Cell(n.name, "node"), state_cell(n.state), Cell(node_error(snap, n.name))) for n in snap.nodes
    )


def _copy_rows(copies: tuple[StorageGroupCopy, ...]) -> tuple[tuple[Cell, ...], ...]:
    return tuple(
        (
            Cell(c.storage_group),
            state_cell(c.status),
            Cell(str(c.copy_queue_length)),
            Cell(str(c.replay_queue_length)),
            Cell(fmt_time(c.last_inspected_log_time)),
            Cell(c.failed_message or c.suspend_comment),
        )
        for c in copies
    )


GROUP_HEADERS = ("Name", "Status", "Current Owner", "Type")
RESOURCE_HEADERS = ("Name", "Type", "Status", "Owner")
COPY_HEADERS = (
    "Storage Group",
    "Copy Status",
    "Copy Queue Length",
    "Replay Queue Length",
    "Last Inspected Log Time",
    "Comment",
)
IFACE_HEADERS = ("Node", "Name", "Network", "Adapter", "IP Address", "Status")


def _kind_of(r: Resource, word: str) -> bool:
    return word.casefold() in (r.resource_type + " " + r.name).casefold()


def build_results(ref: ItemRef | None, entries: dict[str, ClusterEntry], ctx: ResultContext) -> Results:
    """The sections to show for `ref`, from the last snapshot of its connection."""
    if ref is None or ref.kind is Kind.ROOT:
        rows = tuple(
            (
                Cell(e.label, "cluster"),
                Cell(e.state.value, _conn_badge(e.state)),
                Cell(str(len(e.snapshot.nodes)) if e.snapshot else ""),
                Cell(fmt_time(e.snapshot.taken_at) if e.snapshot else ""),
                Cell(e.error),
            )
            for e in entries.values()
        )
        return Results(
            "Failover Cluster Management",
            (
                Section(
                    "Clusters",
                    ("Name", "Connection", "Nodes", "Last refresh", "Error"),
                    rows,
                    "No cluster connected. Use Manage a Cluster… to connect.",
                ),
            ),
        )
    entry = entries.get(ref.conn_id)
    if entry is None:
        return Results("")
    grey = entry.state is not ConnState.CONNECTED
    snap = entry.snapshot
    if snap is None:
        pairs = [("Name", entry.label), ("Connection", entry.state.value)]
        if entry.error:
            pairs.append(("Error", entry.error))
        return Results(entry.label, (props("Summary", pairs),), grey=True)
    builder = _BUILDERS[ref.kind]
    title, sections = builder(ref, entry, snap, ctx)
    busy = ctx.busy.get(ref.conn_id, "")
    pending = f"{busy}: running… This view shows the result when it finishes." if busy else ""
    return Results(title, tuple(sections), grey, pending)


def _conn_badge(state: ConnState) -> str:
    return {
        ConnState.CONNECTED: "online",
        ConnState.CONNECTING: "pending",
        ConnState.UNREACHABLE: "failed",
        ConnState.DISCONNECTED: "offline",
    }[state]


Built = tuple[str, list[Section]]


def _cluster(ref: ItemRef, e: ClusterEntry, snap: ClusterSnapshot, ctx: ResultContext) -> Built:
    q = snap.quorum
    core = next((g for g in snap.groups if g.is_core), None)
    pairs = [
        ("Name", snap.cluster_name),
        ("Connection", e.state.value + (f": {e.error}" if e.error else "")),
        # FCM's "current host server" is the owner of the core cluster group, not the node we asked.
        ("Current host server", core.owner if core and core.owner else snap.served_by),
        ("Quorum configuration", q.model if q else "Unknown"),
    ]
    if snap.reading_exchange:
        pairs.insert(2, ("Exchange", f"{READING_EXCHANGE[0].upper()}{READING_EXCHANGE[1:]}"))
    if q and q.resource:
        pairs.append(("Witness", f"{q.resource}: {q.witness_state.value if q.witness_state else 'Unknown'}"))
    pairs.append(("Critical events (last 24 hours)", ctx.critical_events.get(e.conn_id, "Reading…")))
    pairs.append(("Last refresh", fmt_time(snap.taken_at)))
    core_res = snap.resources_of(core.name) if core else ()
    sections = [
        props("Summary of Cluster " + snap.cluster_name, pairs),
        Section("Nodes", ("Name", "Status", "Error"), _node_rows(snap)),
        Section("Cluster Core Resources", RESOURCE_HEADERS, _resource_rows(core_res)),
        Section("Services and Applications", GROUP_HEADERS, _group_rows(service_groups(snap))),
    ]
    if snap.node_errors:
        sections.append(
            Section(
                "Nodes that could not be read",
                ("Node", "Error"),
                tuple((Cell(n.node, "failed"), Cell(n.message)) for n in snap.node_errors),
            )
        )
    return snap.cluster_name, sections


def _services(ref: ItemRef, e: ClusterEntry, snap: ClusterSnapshot, ctx: ResultContext) -> Built:
    return "Services and Applications", [
        Section("Services and Applications", GROUP_HEADERS, _group_rows(service_groups(snap)))
    ]


def _group(ref: ItemRef, e: ClusterEntry, snap: ClusterSnapshot, ctx: ResultContext) -> Built:
    g = snap.group(ref.name)
    if g is None:
        return ref.name, [props("Summary", [("Name", ref.name), ("Status", "No longer in the cluster")])]
    res = snap.resources_of(g.name)
    pairs = [
        ("Name", g.name),
        ("Status", g.state.value),
        ("Current Owner", g.owner),
        ("Preferred Owners", ", ".join(g.preferred_owners) or "None"),
    ]
    sections: list[Section] = []
    if snap.reading_exchange and not (g.is_cms or g.is_core or g.is_storage):
        pairs.append(("Clustered mailbox server", f"Not yet known: {READING_EXCHANGE}"))
    if g.is_cms:
        cms = snap.cms
        pairs.insert(1, ("Type", "Exchange clustered mailbox server"))
        if cms is not None:
            pairs += [
                ("Active node", cms.active_node),
                ("Clustered mailbox server state", cms.state.value),
                ("Operational machines", ", ".join(cms.operational_machines)),
                ("Failed resources", ", ".join(cms.failed_resources) or "None"),
            ]
        if snap.cms_version:
            pairs.append(("Exchange version", exchange_release(snap.cms_version)))
            behind = [
                f"{n.name}: {n.details.exchange_version}"
                for n in snap.nodes
                if n.details
                and n.details.exchange_version
                and _build(n.details.exchange_version) != _build(snap.cms_version)
            ]
            if behind:  # a rolling upgrade is under way (or stuck): the builds differ
                pairs.append(("Nodes at another build", "; ".join(behind)))
        sections.append(props(f"Summary of {g.name}", pairs))
        sa = [r for r in res if _kind_of(r, "System Attendant")]
        store = [r for r in res if _kind_of(r, "Information Store")]
        dbs = [r for r in res if _kind_of(r, "Database Instance") or (not r.resource_type and "/" in r.name)]
        services = tuple((Cell("System Attendant"), Cell(r.name), state_cell(r.state)) for r in sa) + tuple(
            (Cell("Information Store"), Cell(r.name), state_cell(r.state)) for r in store
        )
        sections.append(
            Section(
                "Exchange services",
                ("Service", "Resource", "Status"),
                services,
                "No Exchange service resources found",
            )
        )
        if snap.databases:
            sections.append(
                Section(
                    "Databases",
                    ("Storage Group", "Database", "Mounted", "Last Full Backup", "Last Incremental Backup"),
                    tuple(_database_status_row(d) for d in snap.databases),
                )
            )
        else:
            sections.append(
                Section(
                    "Databases",
                    ("Storage Group", "Database", "Status"),
                    tuple(_database_row(r, g.name) for r in dbs),
                )
            )
        sections.append(
            Section("CCR copy health", COPY_HEADERS, _copy_rows(snap.copies), "No storage group copy status")
        )
    else:
        sections.append(props(f"Summary of {g.name}", pairs))
    sections.append(Section("Resources", RESOURCE_HEADERS, _resource_rows(res)))
    return g.name, sections


def _database_row(r: Resource, cms: str) -> tuple[Cell, ...]:
    name = re.sub(rf"\s*\({re.escape(cms)}\)\s*$", "", r.name, flags=re.IGNORECASE)
    sg, _, db = name.partition("/")
    return (Cell(sg), Cell(db or name), state_cell(r.state))


def cms_role(snap: ClusterSnapshot, node: str) -> str:
    """Active or passive for the clustered mailbox server ("" when there is none)."""
    cms = snap.cms
    group = snap.cms_group
    name = (cms.name.split(".")[0] if cms is not None and cms.name else "") or (group.name if group else "")
    active = (cms.active_node if cms is not None else "") or (group.owner if group else "")
    if not name or not active:
        return ""
    if active.casefold() == node.casefold():
        return f"Active (runs {name})"
    return f"Passive ({name} runs on {active})"


def _database_status_row(d: MailboxDatabaseStatus) -> tuple[Cell, ...]:
    mounted = (
        Cell("Unknown", "unknown")
        if d.mounted is None
        else Cell("Mounted", "online")
        if d.mounted
        else Cell("Dismounted", "offline")
    )
    return (
        Cell(d.storage_group_name),
        Cell(d.name),
        mounted,
        Cell(fmt_local(d.last_full_backup)),
        Cell(fmt_local(d.last_incremental_backup)),
    )


def fmt_local(when: datetime | None, *, seconds: bool = True) -> str:
    """A time the servers print in their local time (naive) or an aware one (shown in ours)."""
    if when is None:
        return "Never"
    shown = when.astimezone() if when.tzinfo else when
    return shown.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def _nodes(ref: ItemRef, e: ClusterEntry, snap: ClusterSnapshot, ctx: ResultContext) -> Built:
    rows = tuple(
        (
            Cell(n.name, "node"),
            state_cell(n.state),
            Cell(cms_role(snap, n.name)),
            Cell(node_error(snap, n.name)),
        )
        for n in snap.nodes
    )
    return "Nodes", [Section("Nodes", ("Name", "Status", "Clustered mailbox server", "Error"), rows)]


def _node(ref: ItemRef, e: ClusterEntry, snap: ClusterSnapshot, ctx: ResultContext) -> Built:
    n: Node | None = snap.node(ref.name)
    if n is None:
        return ref.name, [props("Summary", [("Name", ref.name), ("Status", "No longer in the cluster")])]
    d = n.details
    pairs = [("Name", n.name), ("Status", n.state.value), ("Node ID", str(n.node_id))]
    role = cms_role(snap, n.name)
    if role:
        pairs.append(("Clustered mailbox server", role))
    err = node_error(snap, n.name)
    if err:
        pairs.append(("Error", err))
    if d is not None:
        used = (
            f"{d.memory_in_use_mb:,} MB ({100 * d.memory_in_use_mb // d.memory_total_mb}%)"
            if d.memory_total_mb
            else fmt_mb(d.memory_in_use_mb)
        )
        pairs += [
            ("Operating system", " ".join(x for x in (d.os_caption.strip(), d.service_pack) if x)),
            ("OS version", d.os_version),
            ("Exchange version", exchange_release(d.exchange_version) or "Not installed"),
            *_upgrade_note(d.exchange_version, snap.cms_version),
            (
                "Processor",
                f"{d.cpu_count} × {' '.join(d.cpu.split())}" if d.cpu_count else " ".join(d.cpu.split()),
            ),
            ("Memory total", fmt_mb(d.memory_total_mb)),
            ("Memory in use", used),
            ("Last boot", fmt_time(d.last_boot)),
        ]
    ifaces = tuple(
        (Cell(i.name), Cell(i.network), Cell(i.adapter), Cell(i.address), state_cell(i.state))
        for i in snap.interfaces_of_node(n.name)
    )
    return n.name, [
        props(f"Summary of {n.name}", pairs),
        Section("Network Interfaces", IFACE_HEADERS[1:], ifaces),
        Section(
            "Services and Applications owned",
            ("Name", "Status"),
            tuple(
                (Cell(g.name, "exchange" if g.is_cms else "group"), state_cell(g.state))
                for g in snap.groups_owned_by(n.name)
            ),
        ),
    ]


def _storage(ref: ItemRef, e: ClusterEntry, snap: ClusterSnapshot, ctx: ResultContext) -> Built:
    storage = next((g for g in snap.groups if g.is_storage), None)
    rows = _resource_rows(snap.resources_of(storage.name)) if storage else ()
    return "Storage", [
        Section(
            "Available Storage",
            RESOURCE_HEADERS,
            rows,
            "No disks in Available Storage (CCR keeps each copy on the node's own disks)",
        )
    ]


def _networks(ref: ItemRef, e: ClusterEntry, snap: ClusterSnapshot, ctx: ResultContext) -> Built:
    rows = tuple(
        (
            Cell(n.name, "network"),
            state_cell(n.state),
            Cell(n.role),
            Cell(f"{n.address}/{n.address_mask}" if n.address_mask else n.address),
        )
        for n in snap.networks
    )
    return "Networks", [Section("Networks", ("Name", "Status", "Cluster Use", "Address"), rows)]


def _network(ref: ItemRef, e: ClusterEntry, snap: ClusterSnapshot, ctx: ResultContext) -> Built:
    net = next((n for n in snap.networks if n.name.casefold() == ref.name.casefold()), None)
    if net is None:
        return ref.name, [props("Summary", [("Name", ref.name), ("Status", "No longer in the cluster")])]
    ifaces = tuple(
        (
            Cell(i.node, "node"),
            Cell(i.name),
            Cell(i.network),
            Cell(i.adapter),
            Cell(i.address),
            state_cell(i.state),
        )
        for i in snap.interfaces_of_network(net.name)
    )
    return net.name, [
        props(
            f"Summary of {net.name}",
            [
                ("Name", net.name),
                ("Status", net.state.value),
                ("Cluster use", net.role),
                ("Address", net.address),
                ("Subnet mask", net.address_mask),
            ],
        ),
        Section("Network Interfaces", IFACE_HEADERS, ifaces),
    ]


def _replication(ref: ItemRef, e: ClusterEntry, snap: ClusterSnapshot, ctx: ResultContext) -> Built:
    return "Replication", [Section("Storage group copies", COPY_HEADERS, _copy_rows(snap.copies))]


def _copy(ref: ItemRef, e: ClusterEntry, snap: ClusterSnapshot, ctx: ResultContext) -> Built:
    c = next((c for c in snap.copies if c.storage_group.casefold() == ref.name.casefold()), None)
    if c is None:
        return ref.name, [props("Summary", [("Storage group", ref.name), ("Status", "No copy status")])]
    return c.storage_group, [
        props(
            f"Copy of {c.storage_group}",
            [
                ("Identity", c.identity),
                ("Storage group", c.storage_group),
                ("Summary copy status", c.status.value),
                ("Copy queue length", str(c.copy_queue_length)),
                ("Replay queue length", str(c.replay_queue_length)),
                ("Suspended", "True" if c.suspended else "False"),
                ("Suspend comment", c.suspend_comment),
                ("Failed", "True" if c.failed else "False"),
                ("Failed message", c.failed_message),
                ("Seeding", "True" if c.seeding else "False"),
                ("Last inspected log time", fmt_time(c.last_inspected_log_time)),
                ("Last copied log time", fmt_time(c.last_copied_log_time)),
                ("Last replayed log time", fmt_time(c.last_replayed_log_time)),
            ],
        )
    ]


def _quorum(ref: ItemRef, e: ClusterEntry, snap: ClusterSnapshot, ctx: ResultContext) -> Built:
    q = snap.quorum
    if q is None:
        return "Quorum", [props("Quorum", [("Quorum configuration", "Unknown")])]
    pairs = [
        ("Quorum configuration", q.model),
        ("Witness resource", q.resource or "None"),
        ("Witness share", q.path),
        ("Witness state", q.witness_state.value if q.witness_state else ""),
    ]
    found = assess_quorum(snap)
    if found is not None:
        health = {QuorumHealth.OK: "OK", QuorumHealth.AT_RISK: "At risk", QuorumHealth.LOST: "Lost"}
        pairs.append(("Quorum", f"{health[found.health]} ({found.votes} of {found.total_votes} votes)"))
        pairs += [("Not voting", p[:1].upper() + p[1:]) for p in found.problems]
    sections = [props("Quorum", pairs)]
    w = snap.witness
    if w is not None:
        rows = tuple(
            (
                Cell(node, "node"),
                Cell("Not asked", "unknown")
                if ok is None
                else Cell("Reached", "online")
                if ok
                else Cell("Not reached", "failed"),
                Cell(w.errors.get(node, "")),
            )
            for node, ok in w.reachable.items()
        )
        sections.append(Section(f"Witness share {w.share} from each node", ("Node", "Share", "Error"), rows))
    return "Quorum", sections


BACKUP_HEADERS = (
    "Storage Group",
    "Database",
    "Passive Copy",
    "Fit",
    "Queues",
    "Last Full",
    "Last Incremental",
)


def backup_plan_of(snap: ClusterSnapshot, thresholds: BackupThresholds) -> BackupPlan | None:
    """The backup plan for the cluster's CMS now (None until Exchange named it)."""
    g = snap.cms_group
    if snap.cms is None or g is None:
        return None
    active = snap.node(snap.cms.active_node)
    offset = active.details.utc_offset_minutes if active and active.details else None
    return build_backup_plan(
        snap.cms,
        snap.cms_nodes or tuple(n.name for n in snap.nodes),
        snap.copies,
        snap.databases,
        now=datetime.now(UTC),
        thresholds=thresholds,
        policy=snap.policy(g.name),
        server_utc_offset_minutes=offset or 0,
    )


def _backup(ref: ItemRef, e: ClusterEntry, snap: ClusterSnapshot, ctx: ResultContext) -> Built:
    plan = backup_plan_of(snap, ctx.backup_thresholds)
    if plan is None:
        return "Backup", [props("Backup", [("Clustered mailbox server", "Not read yet")])]
    days = ctx.backup_thresholds.full_backup_max_age.days
    name = snap.cms_group.name if snap.cms_group else plan.cms
    summary = props(
        f"Backup of {name}",
        [
            ("Clustered mailbox server", plan.cms),
            ("Back up from (passive node)", plan.passive_node or "None"),
            ("Active node", plan.active_node),
            ("Databases read", fmt_time(plan.created) if snap.databases else "Not yet"),
            ("Full backup warning after", f"{days} days"),
            ("Fit to back up", "the passive copy is healthy and its queues are short"),
            ("Queues", "copy queue / replay queue length, in logs"),
        ],
    )
    warnings = Section(
        "Warnings",
        ("Warning",),
        tuple((Cell(w, "partially-online"),) for w in plan.all_warnings),
        "None: every copy on the passive node is fit to back up.",
    )
    rows = tuple(
        (
            Cell(i.storage_group),
            Cell(i.database),
            state_cell(i.copy_status),
            Cell("Yes" if i.fit else "No", "online" if i.fit else "failed"),
            Cell(f"{i.copy_queue_length} / {i.replay_queue_length}"),
            Cell(fmt_local(i.last_full_backup, seconds=False) if i.database else ""),
            Cell(fmt_local(i.last_incremental_backup, seconds=False) if i.database else ""),
        )
        for i in plan.items
    )
    files = Section(
        "Database files (on the passive node)",
        ("Database", "File"),
        tuple((Cell(i.database), Cell(i.edb_file_path)) for i in plan.items if i.database),
    )
    return f"Backup of {name}", [summary, warnings, Section("Storage groups", BACKUP_HEADERS, rows), files]


def _events(ref: ItemRef, e: ClusterEntry, snap: ClusterSnapshot, ctx: ResultContext) -> Built:
    return "Cluster Events", [
        props(
            "Cluster Events",
            [
                ("Critical events (last 24 hours)", ctx.critical_events.get(e.conn_id, "Reading…")),
                ("Nodes", ", ".join(n.name for n in snap.nodes)),
                ("Open", "Double-click Cluster Events or use Show critical events to open the event view"),
            ],
        )
    ]


_BUILDERS = {
    Kind.CLUSTER: _cluster,
    Kind.SERVICES: _services,
    Kind.GROUP: _group,
    Kind.NODES: _nodes,
    Kind.NODE: _node,
    Kind.STORAGE: _storage,
    Kind.NETWORKS: _networks,
    Kind.NETWORK: _network,
    Kind.REPLICATION: _replication,
    Kind.COPY: _copy,
    Kind.QUORUM: _quorum,
    Kind.EVENTS: _events,
    Kind.BACKUP: _backup,
}

AnyIndex = QModelIndex | QPersistentModelIndex
GREY = QColor(128, 128, 128)


class SectionTableModel(QAbstractTableModel):
    """One results section as a table; `set_section` updates rows in place (dataChanged per row)."""

    def __init__(self, section: Section, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._section = section
        self.grey = False

    @property
    def section(self) -> Section:
        return self._section

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._section.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._section.headers)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        cell = self._section.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell.text
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(cell.text)
        if role == Qt.ItemDataRole.DecorationRole and cell.badge:
            return icons.icon(cell.badge, "", self.grey)
        if role == Qt.ItemDataRole.ForegroundRole and self.grey:
            return QBrush(GREY)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,  # a narrowed column's header elides: the whole title
        ):
            return self._section.headers[section]
        return None

    def set_section(self, new: Section, grey: bool = False) -> None:
        old = self._section
        if new.headers != old.headers:
            self.beginResetModel()
            self._section, self.grey = new, grey
            self.endResetModel()
            return
        grey_changed = grey != self.grey
        self.grey = grey
        common = min(len(old.rows), len(new.rows))
        if len(new.rows) < len(old.rows):
            self.beginRemoveRows(QModelIndex(), len(new.rows), len(old.rows) - 1)
            self._section = new
            self.endRemoveRows()
        elif len(new.rows) > len(old.rows):
            self.beginInsertRows(QModelIndex(), len(old.rows), len(new.rows) - 1)
            self._section = new
            self.endInsertRows()
        else:
            self._section = new
        last = len(new.headers) - 1
        for row in range(common):
            if grey_changed or old.rows[row] != new.rows[row]:
                self.dataChanged.emit(self.index(row, 0), self.index(row, last))


class _SectionView(QFrame):
    def __init__(self, section: Section, grey: bool) -> None:
        super().__init__()
        self.title = plain_label()
        self.title.setStyleSheet("font-weight: bold; padding-top: 6px;")
        self.model = SectionTableModel(section, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(section.title)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # One scroll area per pane: the results pane scrolls; a table never does.  Columns too
        # wide for the pane are narrowed and elide, the cell's tooltip holding the whole text.
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.horizontalHeader().setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.empty = plain_label()
        self.empty.setStyleSheet("color: palette(mid); padding: 2px 6px;")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.title)
        lay.addWidget(self.table)
        lay.addWidget(self.empty)
        self.update_section(section, grey)

    def update_section(self, section: Section, grey: bool) -> None:
        self.title.setText(section.title)
        self.model.set_section(section, grey)
        is_props = section.headers == ("Property", "Value")
        self.table.horizontalHeader().setVisible(not is_props)
        for col in range(len(section.headers)):
            # A column nobody filled (e.g. resource types the backend did not read) only wastes room.
            empty = bool(section.rows) and all(not row[col].text for row in section.rows)
            self.table.setColumnHidden(col, empty and not is_props)
        self.table.setVisible(bool(section.rows))
        self.empty.setVisible(not section.rows)
        self.empty.setText(section.empty_text)
        self._fit_columns()
        self._fit_height()

    def _fit_columns(self) -> None:
        """Each column as wide as its content; when they do not all fit, the widest are narrowed
        to a common cap (they elide, with the whole text in the tooltip) so nothing scrolls."""
        header = self.table.horizontalHeader()
        shown = [c for c in range(self.model.columnCount()) if not self.table.isColumnHidden(c)]
        if not shown:
            return
        with_header = header.isVisibleTo(self)
        want = {
            c: max(self.table.sizeHintForColumn(c), header.sectionSizeHint(c) if with_header else 0)
            for c in shown
        }
        available = self.table.viewport().width() or self.table.width()
        for c, width in fit_widths(want, available).items():
            header.resizeSection(c, width)

    def _fit_height(self) -> None:
        """Show every row without a vertical scroll bar (the pane itself scrolls)."""
        header = self.table.horizontalHeader()
        header_h = header.sizeHint().height() if header.isVisibleTo(self) else 0
        rows_h = sum(self.table.rowHeight(r) for r in range(self.model.rowCount()))
        bar_h = (
            self.table.horizontalScrollBar().sizeHint().height()
            if header.length() > self.table.width()
            else 0
        )
        self.table.setFixedHeight(header_h + rows_h + bar_h + 2 * self.table.frameWidth() + 2)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_columns()
        self._fit_height()


class ResultsPane(QScrollArea):
    """The center pane: a heading and one table per section, updated in place on refresh."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setAccessibleName("Results pane")
        inner = QWidget()
        self._layout = QVBoxLayout(inner)
        self.heading = plain_label()
        self.heading.setStyleSheet("font-size: 15px; font-weight: bold;")
        self._layout.addWidget(self.heading)
        self.pending = plain_label()
        self.pending.setObjectName("pendingLabel")
        self.pending.setAccessibleName("Action in progress")
        self.pending.setWordWrap(True)
        self.pending.setStyleSheet(
            "background: #fff4ce; border: 1px solid #e0c060; padding: 4px 6px; font-weight: bold;"
        )
        self.pending.hide()
        self._layout.addWidget(self.pending)
        self._views: list[_SectionView] = []
        self._layout.addStretch(1)
        self.setWidget(inner)
        self.results = Results("")

    def show_results(self, results: Results) -> None:
        self.results = results
        self.heading.setText(results.title)
        self.pending.setText(results.pending)
        self.pending.setVisible(bool(results.pending))
        for i, section in enumerate(results.sections):
            if i < len(self._views):
                self._views[i].update_section(section, results.grey)
                self._views[i].show()
            else:
                view = _SectionView(section, results.grey)
                self._views.append(view)
                self._layout.insertWidget(self._layout.count() - 1, view)
        for view in self._views[len(results.sections) :]:
            view.hide()

    def table_models(self) -> list[SectionTableModel]:
        return [v.model for v in self._views[: len(self.results.sections)]]
