"""The lab's topology: what the simulated cluster is made of, loaded from JSON or built by default.

This is configuration only (names, facts, accounts); the live, changing state lives in the
engine.  Every name may contain spaces, punctuation and non-ASCII characters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class TopologyError(ValueError):
    """The topology file is not valid; the message names the offending field."""


@dataclass(frozen=True)
class Account:
    domain: str
    user: str
    password: str
    admin: bool = True

    @property
    def qualified(self) -> str:
        return f"{self.domain}\\{self.user}"


@dataclass(frozen=True)
class Nic:
    name: str  # adapter connection name, e.g. "Public"
    network: str  # cluster network it belongs to
    address: str
    adapter: str = "Intel(R) PRO/1000 MT Network Connection"


@dataclass(frozen=True)
class ServiceSpec:
    """An extra Windows service on a node (monitoring agents and the like)."""

    name: str  # service (key) name, e.g. "HealthService"
    display_name: str
    perf_counters: bool = False  # reads performance counters: stop it before setup.com
    running: bool = True


@dataclass(frozen=True)
class SetupMedia:
    """An Exchange service-pack folder present on every node (setup.com is only found there)."""

    path: str  # e.g. D:\Exchange2007SP2
    build: str  # the build its setup installs, e.g. 8.2.176.2


@dataclass(frozen=True)
class RollupSpec:
    """An update rollup package (.msp) present on every node."""

    path: str  # full path of the .msp
    build: str  # the Exchange build after installing it, e.g. 8.1.393.1
    name: str = ""  # e.g. "Update Rollup 9 for Exchange Server 2007 Service Pack 1 (KB970162)"
    reboot_required: bool = False  # msiexec ends with 3010 (ERROR_SUCCESS_REBOOT_REQUIRED)

    @property
    def applies_to(self) -> str:
        """Major.minor of the service pack it patches (a rollup is built for one SP)."""
        return ".".join(self.build.split(".")[:2])


@dataclass(frozen=True)
class NodeSpec:
    name: str
    node_id: int
    os_caption: str = "Microsoft® Windows Server® 2008 Enterprise "
    os_version: str = "6.0.6001"
    service_pack: str = "Service Pack 1"
    cpu: str = "Intel(R) Xeon(R) CPU           E5440  @ 2.83GHz"
    cpu_count: int = 4
    memory_total_mb: int = 16383
    memory_in_use_mb: int = 9210
    exchange_version: str = "8.1.240.6"  # Exchange 2007 SP1
    nics: tuple[Nic, ...] = ()
    services: tuple[ServiceSpec, ...] = ()  # extra services (monitoring agents...)
    system_drive_size_mb: int = 69_999
    system_drive_free_mb: int = 21_430


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    address: str  # network address, e.g. 10.0.0.0
    mask: str = "255.255.255.0"
    role: str = "Internal and client use"  # or "Internal use", "Disabled"


@dataclass(frozen=True)
class ResourceSpec:
    name: str
    type: str  # cluster resource type, e.g. "IP Address", "Network Name", "File Share Witness"
    private: dict[str, str] = field(default_factory=dict)  # private properties (cluster res /priv)
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupSpec:
    name: str
    owner: str  # node that owns it at start
    resources: tuple[ResourceSpec, ...] = ()
    kind: str = "generic"  # "core" (Cluster Group), "storage" (Available Storage), "cms", "generic"
    preferred_owners: tuple[str, ...] = ()


@dataclass(frozen=True)
class StorageGroupSpec:
    name: str
    database: str
    copy_queue: int = 0
    replay_queue: int = 0


@dataclass(frozen=True)
class Topology:
    cluster_name: str
    domain: str
    nodes: tuple[NodeSpec, ...]
    networks: tuple[NetworkSpec, ...]
    groups: tuple[GroupSpec, ...]
    accounts: tuple[Account, ...]
    cms_name: str
    cms_version: str = "8.1.240.6"
    storage_groups: tuple[StorageGroupSpec, ...] = ()
    quorum_model: str = "Node and File Share Majority"  # or "Node Majority"
    witness_share: str = "\\\\HUB1\\FSW_EXCH1"
    cluster_address: str = "10.0.0.20"
    setup_media: tuple[SetupMedia, ...] = ()
    rollups: tuple[RollupSpec, ...] = ()

    def node(self, name: str) -> NodeSpec:
        for n in self.nodes:
            if n.name.casefold() == name.casefold():
                return n
        raise KeyError(name)

    @property
    def cms_group(self) -> GroupSpec:
        return next(g for g in self.groups if g.kind == "cms")

    def to_json(self) -> dict[str, Any]:
        return _to_jsonable(self)


def _to_jsonable(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return {k: _to_jsonable(getattr(obj, k)) for k in obj.__dataclass_fields__}
    if isinstance(obj, tuple | list):
        return [_to_jsonable(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _to_jsonable(v) for k, v in obj.items()}
    return obj


# The built-in cluster's extras.  Builds from Microsoft's Exchange 2007 build-number table
# (SP2 = 8.2.176.2; SP1 Update Rollup 9 = 8.1.393.1; SP2 Update Rollup 3 = 8.2.247.2); the .msp
# names follow the documented pattern Exchange2007-KBXXXXXX-x64-EN.msp.
DEFAULT_AGENTS = (
    # The SCOM 2007 agent: reads performance counters (stop it before setup.com).
    ServiceSpec("HealthService", "OpsMgr Health Service", perf_counters=True),
)
DEFAULT_SETUP_MEDIA = (SetupMedia("D:\\Exchange2007SP2", "8.2.176.2"),)
DEFAULT_ROLLUPS = (
    RollupSpec(
        "D:\\Updates\\Exchange2007-KB970162-x64-EN.msp",
        "8.1.393.1",
        "Update Rollup 9 for Exchange Server 2007 Service Pack 1 (KB970162)",
    ),
    RollupSpec(
        "D:\\Updates\\Exchange2007-KB979784-x64-EN.msp",
        "8.2.247.2",
        "Update Rollup 3 for Exchange Server 2007 Service Pack 2 (KB979784)",
    ),
)


def default_topology(nodes: int = 2, cluster_name: str = "EXCLUS1", cms_name: str = "EXCH1") -> Topology:
    """A realistic Windows Server 2008 + Exchange 2007 SP1 CCR cluster (CCR itself uses two nodes;
    extra nodes are plain cluster members, for topology tests)."""
    if not 1 <= nodes <= 8:
        raise TopologyError(f"nodes: {nodes} is out of range (1 to 8)")
    domain = "CONTOSO"
    networks = (
        NetworkSpec("Cluster Network 1", "10.0.0.0", role="Internal and client use"),
        NetworkSpec("Cluster Network 2", "192.168.10.0", role="Internal use"),
    )
    node_specs = []
    for i in range(1, nodes + 1):
        name = f"EXNODE{i}"
        node_specs.append(
            NodeSpec(
                name=name,
                node_id=i,
                memory_in_use_mb=8000 + 600 * i,
                services=DEFAULT_AGENTS if i == 2 else (),
                nics=(
                    Nic("Public", "Cluster Network 1", f"10.0.0.{10 + i}"),
                    Nic("Private", "Cluster Network 2", f"192.168.10.{10 + i}"),
                ),
            )
        )
    first = node_specs[0].name
    witness = "\\\\HUB1\\FSW_EXCH1"
    sgs = (
        StorageGroupSpec("First Storage Group", "Mailbox Database"),
        StorageGroupSpec("Second Storage Group", "Executives", copy_queue=1, replay_queue=2),
    )
    cms_resources = [
        ResourceSpec(f"IPv4 Address 10.0.0.30 ({cms_name})", "IP Address", {"Address": "10.0.0.30"}),
        ResourceSpec(f"Network Name ({cms_name})", "Network Name", {"Name": cms_name}),
        ResourceSpec(
            f"Exchange System Attendant Instance ({cms_name})",
            "Microsoft Exchange System Attendant",
            depends_on=(f"Network Name ({cms_name})",),
        ),
        ResourceSpec(
            f"Exchange Information Store Instance ({cms_name})",
            "Microsoft Exchange Information Store",
            depends_on=(f"Exchange System Attendant Instance ({cms_name})",),
        ),
    ]
    for sg in sgs:
        cms_resources.append(
            ResourceSpec(
                f"{sg.name}/{sg.database} ({cms_name})",
                "Microsoft Exchange Database Instance",
                depends_on=(f"Exchange Information Store Instance ({cms_name})",),
            )
        )
    groups = (
        GroupSpec(
            "Cluster Group",
            first,
            (
                ResourceSpec("Cluster IP Address", "IP Address", {"Address": "10.0.0.20"}),
                ResourceSpec("Cluster Name", "Network Name", {"Name": cluster_name}),
                ResourceSpec(f"File Share Witness ({witness})", "File Share Witness", {"SharePath": witness}),
            ),
            kind="core",
        ),
        GroupSpec("Available Storage", first, (), kind="storage"),
        GroupSpec(cms_name, first, tuple(cms_resources), kind="cms", preferred_owners=()),
    )
    return Topology(
        cluster_name=cluster_name,
        domain=domain,
        nodes=tuple(node_specs),
        networks=networks,
        groups=groups,
        accounts=(
            Account(domain, "Administrator", "P@ssw0rd!", admin=True),
            Account(domain, "helpdesk", "Help#Desk1", admin=False),
        ),
        cms_name=cms_name,
        storage_groups=sgs,
        witness_share=witness,
        setup_media=DEFAULT_SETUP_MEDIA,
        rollups=DEFAULT_ROLLUPS,
    )


# ---- JSON loading -------------------------------------------------------------------------------


def load_topology(path: str | Path) -> Topology:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TopologyError(f"{path}: {exc}") from exc
    return topology_from_json(raw)


def topology_from_json(raw: Any) -> Topology:
    """Build a topology from JSON; missing sections take the defaults for that many nodes."""
    if not isinstance(raw, dict):
        raise TopologyError("the topology must be a JSON object")
    n = raw.get("nodes", 2)
    node_count = len(n) if isinstance(n, list) else n
    if not isinstance(node_count, int):
        raise TopologyError("nodes: expected a number or a list of nodes")
    base = default_topology(
        node_count, raw.get("cluster_name", "EXCLUS1"), raw.get("cms_name", "EXCH1")
    )
    try:
        nodes = base.nodes
        if isinstance(n, list):
            nodes = tuple(_node(d, i + 1, base) for i, d in enumerate(n))
        networks = tuple(NetworkSpec(**d) for d in raw["networks"]) if "networks" in raw else base.networks
        accounts = tuple(Account(**d) for d in raw["accounts"]) if "accounts" in raw else base.accounts
        sgs = (
            tuple(StorageGroupSpec(**d) for d in raw["storage_groups"])
            if "storage_groups" in raw
            else base.storage_groups
        )
        groups = base.groups
        if "groups" in raw:
            groups = tuple(_group(d) for d in raw["groups"])
        elif isinstance(n, list) or "storage_groups" in raw:
            # Rebuild the default groups with the configured node and storage group names.
            groups = _rename_default_groups(base, nodes[0].name, sgs)
        quorum_model = raw.get("quorum_model", base.quorum_model)
        if "groups" not in raw and quorum_model == "Node Majority":
            # A Node Majority cluster has no witness: the default core group loses its share.
            groups = tuple(_without_witness(g) if g.kind == "core" else g for g in groups)
        topo = Topology(
            cluster_name=raw.get("cluster_name", base.cluster_name),
            domain=raw.get("domain", base.domain),
            nodes=nodes,
            networks=networks,
            groups=groups,
            accounts=accounts,
            cms_name=raw.get("cms_name", base.cms_name),
            cms_version=raw.get("cms_version", base.cms_version),
            storage_groups=sgs,
            quorum_model=quorum_model,
            witness_share=raw.get("witness_share", base.witness_share),
            cluster_address=raw.get("cluster_address", base.cluster_address),
            setup_media=_setup_media(raw.get("setup_media"), base.setup_media),
            rollups=tuple(RollupSpec(**d) for d in raw["rollups"]) if "rollups" in raw else base.rollups,
        )
    except (TypeError, KeyError) as exc:
        raise TopologyError(f"invalid topology: {exc}") from exc
    _validate(topo)
    return topo


def _node(d: dict[str, Any] | str, node_id: int, base: Topology) -> NodeSpec:
    if isinstance(d, str):  # a bare node name
        d = {"name": d}
    if not isinstance(d, dict):
        raise TopologyError(f"nodes[{node_id - 1}]: expected a node name or an object")
    d = dict(d)
    d["services"] = tuple(ServiceSpec(**x) for x in d.get("services", ()))
    nics = tuple(Nic(**x) for x in d.pop("nics", []))
    if not nics:
        nics = (
            Nic("Public", base.networks[0].name, f"10.0.0.{10 + node_id}"),
            Nic("Private", base.networks[-1].name, f"192.168.10.{10 + node_id}"),
        )
    d.setdefault("node_id", node_id)
    return NodeSpec(nics=nics, **d)


def _setup_media(raw: Any, default: tuple[SetupMedia, ...]) -> tuple[SetupMedia, ...]:
    """`setup_media`: one {"path", "build"} object or a list of them; absent = the default."""
    if raw is None:
        return default
    items = raw if isinstance(raw, list) else [raw]
    return tuple(SetupMedia(**d) for d in items)


def _group(d: dict[str, Any]) -> GroupSpec:
    d = dict(d)
    res = tuple(
        ResourceSpec(
            name=r["name"],
            type=r["type"],
            private=dict(r.get("private", {})),
            depends_on=tuple(r.get("depends_on", ())),
        )
        for r in d.pop("resources", [])
    )
    d["preferred_owners"] = tuple(d.get("preferred_owners", ()))
    return GroupSpec(resources=res, **d)


def _without_witness(group: GroupSpec) -> GroupSpec:
    resources = tuple(r for r in group.resources if r.type != "File Share Witness")
    return GroupSpec(group.name, group.owner, resources, group.kind, group.preferred_owners)


def _rename_default_groups(
    base: Topology, first_node: str, sgs: tuple[StorageGroupSpec, ...]
) -> tuple[GroupSpec, ...]:
    out = []
    for g in base.groups:
        res = g.resources
        if g.kind == "cms":
            cms = g.name
            res = tuple(r for r in res if r.type != "Microsoft Exchange Database Instance") + tuple(
                ResourceSpec(
                    f"{sg.name}/{sg.database} ({cms})",
                    "Microsoft Exchange Database Instance",
                    depends_on=(f"Exchange Information Store Instance ({cms})",),
                )
                for sg in sgs
            )
        out.append(GroupSpec(g.name, first_node, res, g.kind, g.preferred_owners))
    return tuple(out)


def _validate(t: Topology) -> None:
    names = [n.name.casefold() for n in t.nodes]
    if not 1 <= len(names) <= 8:
        raise TopologyError("nodes: between 1 and 8 nodes are supported")
    if len(set(names)) != len(names):
        raise TopologyError("nodes: node names must be unique")
    ids = [n.node_id for n in t.nodes]
    if len(set(ids)) != len(ids):
        raise TopologyError("nodes: node ids must be unique")
    nets = {n.name for n in t.networks}
    for node in t.nodes:
        for nic in node.nics:
            if nic.network not in nets:
                raise TopologyError(
                    f"node {node.name!r}: nic {nic.name!r} names unknown network {nic.network!r}"
                )
    gnames = [g.name.casefold() for g in t.groups]
    if len(set(gnames)) != len(gnames):
        raise TopologyError("groups: group names must be unique")
    rnames = [r.name.casefold() for g in t.groups for r in g.resources]
    if len(set(rnames)) != len(rnames):
        raise TopologyError("groups: resource names must be unique across the cluster")
    for g in t.groups:
        if g.owner.casefold() not in names:
            raise TopologyError(f"group {g.name!r}: owner {g.owner!r} is not a node")
    if sum(1 for g in t.groups if g.kind == "cms") != 1:
        raise TopologyError("groups: exactly one group must have kind 'cms'")
    if not t.accounts:
        raise TopologyError("accounts: at least one account is needed")
    _validate_upgrade_material(t)


def _validate_upgrade_material(t: Topology) -> None:
    """Extra services, setup media and update rollups (the rolling-upgrade procedure's inputs)."""
    for node in t.nodes:
        svc = [x.name.casefold() for x in node.services]
        if len(set(svc)) != len(svc):
            raise TopologyError(f"node {node.name!r}: service names must be unique")
    for m in t.setup_media:
        if not _is_abs_path(m.path) or not _is_build(m.build):
            raise TopologyError(f"setup_media: {m.path!r} needs an absolute path and a build like 8.2.176.2")
    for r in t.rollups:
        if not _is_abs_path(r.path) or not r.path.casefold().endswith(".msp") or not _is_build(r.build):
            raise TopologyError(f"rollups: {r.path!r} needs an absolute .msp path and a build like 8.1.393.1")


def _is_abs_path(p: str) -> bool:
    return len(p) > 3 and p[0].isalpha() and p[1:3] == ":\\"


def _is_build(b: str) -> bool:
    parts = b.split(".")
    return len(parts) == 4 and all(x.isdigit() for x in parts)
