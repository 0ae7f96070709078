"""The cluster WMI provider (root\\MSCluster) read through ``Get-WmiObject ... | ConvertTo-Xml``.

Why: cluster.exe listings are console tables; names with blanks, prompt-like endings, line breaks
or the words of an error message cannot be told from the layout.  The WMI provider gives each
name as a separate XML value, and group membership and owners as object paths, so nothing has to
be guessed.  On Windows Server 2008 the provider has no OwnerNode/OwnerGroup properties (they
arrive with Windows Server 2012): owners and membership come from the association classes
MSCluster_NodeToActiveGroup and MSCluster_ResourceGroupToResource (a resource's owner is its
group's owner, so MSCluster_NodeToActiveResource is not read).

State values are the documented ones (Failover Cluster Provider Reference); Unknown is -1, which
a uint32 property carries as 4294967295 (not confirmed with a capture: both are accepted).
Anything inconsistent (a duplicate name, a member of two groups, a path that does not name a
known object) raises `ParseError`: never a silent wrong answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from ccrgui.domain.maintenance import NO_WINDOW, GroupFailoverPolicy
from ccrgui.domain.model import (
    Group,
    GroupState,
    InterfaceState,
    NetInterface,
    Network,
    NetworkState,
    Node,
    NodeState,
    Resource,
    ResourceState,
)
from ccrgui.remote.parsers.ems import PsObject, parse_convertto_xml
from ccrgui.remote.parsers.errors import ParseError

__all__ = [
    "GROUP_POLICY_PROPS",
    "WMI_CLASSES",
    "WMI_PROPS",
    "WmiCluster",
    "network_role_name",
    "parse_object_path",
    "parse_wmi_cluster",
]

GROUP_POLICY_PROPS = (
    "FailoverThreshold",
    "FailoverPeriod",
    "AutoFailbackType",
    "FailbackWindowStart",
    "FailbackWindowEnd",
)
# Read name -> (class, properties asked for).  One place: scripts.py builds the reads from it.
WMI_CLASSES = {
    "wnodes": "MSCluster_Node",
    "wgroups": "MSCluster_ResourceGroup",
    "wres": "MSCluster_Resource",
    "wnets": "MSCluster_Network",
    "wnifs": "MSCluster_NetworkInterface",
    "wmembers": "MSCluster_ResourceGroupToResource",
    "wgroupowners": "MSCluster_NodeToActiveGroup",
    "wprefowners": "MSCluster_ResourceGroupToPreferredNode",
}
WMI_PROPS = {
    "wnodes": ("Name", "State"),
    # The failover/failback common properties (Failover Cluster Provider Reference: uint32
    # FailoverThreshold, FailoverPeriod, AutoFailbackType; sint32 FailbackWindowStart/End, -1 for
    # no window).  NOT CONFIRMED with a capture of Windows Server 2008: that ConvertTo-Xml gives
    # the window's -1 as "-1" (a uint32 reading, 4294967295, is accepted too).
    "wgroups": ("Name", "State", *GROUP_POLICY_PROPS),
    "wres": ("Name", "State", "Type"),
    "wnets": ("Name", "State", "Role", "Address", "AddressMask"),
    "wnifs": ("Name", "Node", "Network", "State", "Adapter", "Address"),
    "wmembers": ("GroupComponent", "PartComponent"),
    "wgroupowners": ("GroupComponent", "PartComponent"),
    "wprefowners": ("GroupComponent", "PartComponent"),
}

_E = TypeVar("_E")
_UNKNOWN = (-1, 0xFFFFFFFF)
_NODE_STATES = {0: NodeState.UP, 1: NodeState.DOWN, 2: NodeState.PAUSED, 3: NodeState.JOINING}
_GROUP_STATES = {
    0: GroupState.ONLINE,
    1: GroupState.OFFLINE,
    2: GroupState.FAILED,
    3: GroupState.PARTIALLY_ONLINE,
    4: GroupState.PENDING,
}
# Resources: 0 Inherited and 1 Initializing have no display state of their own here.
_RESOURCE_STATES = {
    2: GroupState.ONLINE,
    3: GroupState.OFFLINE,
    4: GroupState.FAILED,
    128: GroupState.PENDING,
    129: GroupState.ONLINE_PENDING,
    130: GroupState.OFFLINE_PENDING,
}
_NETWORK_STATES = {
    0: NetworkState.UNAVAILABLE,
    1: NetworkState.DOWN,
    2: NetworkState.PARTITIONED,
    3: NetworkState.UP,
}
_INTERFACE_STATES = {
    0: InterfaceState.UNAVAILABLE,
    1: InterfaceState.FAILED,
    2: InterfaceState.UNREACHABLE,
    3: InterfaceState.UP,
}
# ClusterNetworkRole as Failover Cluster Manager words it.
_ROLES = {0: "Disabled", 1: "Internal use", 2: "Client access only", 3: "Internal and client use"}


@dataclass(frozen=True)
class WmiCluster:
    nodes: list[Node]
    groups: list[Group]
    resources: list[Resource]
    networks: list[Network]
    interfaces: list[NetInterface]
    # Each group's failover policy with its preferred owners, in the groups' order; a group whose
    # provider answer lacks the policy properties has none (never a made-up default).
    policies: list[GroupFailoverPolicy] = field(default_factory=list)


# \\SERVER\root\MSCluster:CLASS.Name="value" (server and namespace optional).
_PATH = re.compile(r'^(?:\\\\[^\\:]+\\[^:]+:)?(?P<cls>\w+)\.Name="(?P<key>(?:[^"\\]|\\.)*)"$', re.DOTALL)


def parse_object_path(path: str) -> tuple[str, str]:
    """A WMI object path with a single Name key -> (class, name); escapes (``\\\\``, ``\\"``) undone."""
    match = _PATH.match(path if isinstance(path, str) else "")
    if not match:
        raise ParseError(f"not a WMI object path with a Name key: {path!r}")
    key = match.group("key")
    out: list[str] = []
    i = 0
    while i < len(key):
        ch = key[i]
        if ch == "\\":
            nxt = key[i + 1]
            if nxt not in '\\"':
                raise ParseError(f"unknown escape \\{nxt} in a WMI object path: {path!r}")
            out.append(nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return match.group("cls"), "".join(out)


def _objects(text: str, what: str) -> list[PsObject]:
    if isinstance(text, str) and not text.strip():
        return []  # an empty pipeline (the section framing already proved the answer complete)
    objects = parse_convertto_xml(text)
    for o in objects:
        if o.text is not None and not o.properties:
            raise ParseError(f"{what}: a plain value where an object was expected")
    return objects


def _str(obj: PsObject, prop: str, what: str, *, required: bool = True) -> str:
    value = obj.get(prop)
    if value is None:
        if required:
            raise ParseError(f"{what}: an object without {prop}")
        return ""
    if not isinstance(value, str):
        raise ParseError(f"{what}: {prop} is not a single value")
    return value


def _state(obj: PsObject, table: dict[int, _E], what: str) -> _E | None:
    raw = _str(obj, "State", what).strip()
    try:
        number = int(raw)
    except ValueError:
        raise ParseError(f"{what}: State {raw!r} is not a number") from None
    if number in _UNKNOWN:
        return None
    return table.get(number)


def _unique(names: Iterable[str], what: str) -> set[str]:
    seen: set[str] = set()
    for name in names:
        if not name:
            raise ParseError(f"{what}: an object with an empty name")
        if name in seen:
            raise ParseError(f"{what}: the name {name!r} appears twice")
        seen.add(name)
    return seen


def _links(text: str, what: str, parent_cls: str, child_cls: str) -> list[tuple[str, str]]:
    out = []
    for obj in _objects(text, what):
        pcls, parent = parse_object_path(_str(obj, "GroupComponent", what))
        ccls, child = parse_object_path(_str(obj, "PartComponent", what))
        if pcls.casefold() != parent_cls.casefold() or ccls.casefold() != child_cls.casefold():
            raise ParseError(f"{what}: links {pcls} to {ccls}, expected {parent_cls} to {child_cls}")
        out.append((parent, child))
    return out


def _single(links: list[tuple[str, str]], what: str) -> dict[str, str]:
    """child -> parent, each child at most once."""
    out: dict[str, str] = {}
    for parent, child in links:
        if child in out and out[child] != parent:
            raise ParseError(f"{what}: {child!r} is linked to both {out[child]!r} and {parent!r}")
        out[child] = parent
    return out


def _preferred_owners(text: str, groups: set[str], nodes: set[str]) -> dict[str, list[str]]:
    """Each group's preferred owners from MSCluster_ResourceGroupToPreferredNode, in the order the
    provider enumerates them.  NOT CONFIRMED with a capture: that this order is the order of
    preference (the provider is expected to walk each group's CLUSTER_GROUP_ENUM_NODES, the
    preferred owners list, which SetPreferredOwners documents as "in order of preference").  If a
    capture shows otherwise, this is the one place to change."""
    what = "MSCluster_ResourceGroupToPreferredNode"
    out: dict[str, list[str]] = {}
    for group, node in _links(text, what, "MSCluster_ResourceGroup", "MSCluster_Node"):
        if group not in groups or node not in nodes:
            raise ParseError(f"{what} names an unknown object: {group!r} / {node!r}")
        owners = out.setdefault(group, [])
        if node in owners:
            raise ParseError(f"{what}: {node!r} is a preferred owner of {group!r} twice")
        owners.append(node)
    return out


def _dword(obj: PsObject, prop: str, what: str) -> int | None:
    """A uint32/sint32 property as a DWORD (-1 -> 0xFFFFFFFF); None when it has no value."""
    raw = _str(obj, prop, what, required=False).strip()
    if not raw:
        return None
    try:
        number = int(raw)
    except ValueError:
        raise ParseError(f"{what}: {prop} {raw!r} is not a number") from None
    if number == -1:
        return NO_WINDOW
    if not 0 <= number <= 0xFFFFFFFF:
        raise ParseError(f"{what}: {prop} {number} is out of range")
    return number


def _group_policy(obj: PsObject, name: str, owners: tuple[str, ...]) -> GroupFailoverPolicy | None:
    what = f"MSCluster_ResourceGroup {name!r}"
    values = {p: _dword(obj, p, what) for p in GROUP_POLICY_PROPS}
    if any(v is None for v in values.values()):
        return None
    threshold, period, failback, start, end = (int(values[p] or 0) for p in GROUP_POLICY_PROPS)
    return GroupFailoverPolicy(
        group=name,
        preferred_owners=owners,
        failover_threshold=threshold,
        failover_period_hours=period,
        auto_failback=failback == 1,  # ClusterGroupAllowFailback
        failback_window_start=start,
        failback_window_end=end,
    )


def network_role_name(value: str) -> str:
    try:
        number = int(value.strip())
    except ValueError:
        return value.strip()
    return _ROLES.get(number, f"Role {number}")


def parse_wmi_cluster(texts: dict[str, str]) -> WmiCluster:
    """Every read of `WMI_CLASSES` (ConvertTo-Xml text by read name) -> nodes, groups, resources,
    networks, interfaces, consistent with each other; a missing read is a ParseError."""
    missing = [name for name in WMI_CLASSES if name not in texts]
    if missing:
        raise ParseError("no answer for " + ", ".join(WMI_CLASSES[m] for m in missing))

    nodes: list[Node] = []
    for obj in _objects(texts["wnodes"], "MSCluster_Node"):
        nodes.append(
            Node(
                _str(obj, "Name", "MSCluster_Node"),
                _state(obj, _NODE_STATES, "MSCluster_Node") or NodeState.UNKNOWN,
            )
        )
    node_names = _unique((n.name for n in nodes), "MSCluster_Node")

    group_objs = _objects(texts["wgroups"], "MSCluster_ResourceGroup")
    res_objs = _objects(texts["wres"], "MSCluster_Resource")
    group_names = _unique(
        (_str(o, "Name", "MSCluster_ResourceGroup") for o in group_objs), "MSCluster_ResourceGroup"
    )
    res_names = _unique((_str(o, "Name", "MSCluster_Resource") for o in res_objs), "MSCluster_Resource")

    member_of = _single(
        _links(
            texts["wmembers"],
            "MSCluster_ResourceGroupToResource",
            "MSCluster_ResourceGroup",
            "MSCluster_Resource",
        ),
        "MSCluster_ResourceGroupToResource",
    )
    group_owner = _single(
        _links(
            texts["wgroupowners"], "MSCluster_NodeToActiveGroup", "MSCluster_Node", "MSCluster_ResourceGroup"
        ),
        "MSCluster_NodeToActiveGroup",
    )
    for child, parent in member_of.items():
        if child not in res_names or parent not in group_names:
            raise ParseError(
                f"MSCluster_ResourceGroupToResource names an unknown object: {parent!r} / {child!r}"
            )
    for child, node in group_owner.items():
        if child not in group_names or node not in node_names:
            raise ParseError(f"MSCluster_NodeToActiveGroup names an unknown object: {node!r} / {child!r}")

    preferred = _preferred_owners(texts["wprefowners"], group_names, node_names)

    groups = []
    policies = []
    for obj in group_objs:
        name = _str(obj, "Name", "MSCluster_ResourceGroup")
        policy = _group_policy(obj, name, tuple(preferred.get(name, ())))
        if policy is not None:
            policies.append(policy)
        groups.append(
            Group(
                name=name,
                state=_state(obj, _GROUP_STATES, "MSCluster_ResourceGroup") or GroupState.UNKNOWN,
                owner=group_owner.get(name, ""),
                preferred_owners=tuple(preferred.get(name, ())),
                is_core=name.casefold() == "cluster group",
                is_storage=name.casefold() == "available storage",
            )
        )
    resources = []
    for obj in res_objs:
        name = _str(obj, "Name", "MSCluster_Resource")
        resources.append(
            Resource(
                name=name,
                state=_state(obj, _RESOURCE_STATES, "MSCluster_Resource") or ResourceState.UNKNOWN,
                group=member_of.get(name, ""),
                # A resource is always hosted by the node that owns its group (so the
                # MSCluster_NodeToActiveResource association adds nothing).
                owner=group_owner.get(member_of.get(name, ""), ""),
                resource_type=_str(obj, "Type", "MSCluster_Resource", required=False),
            )
        )

    networks = []
    for obj in _objects(texts["wnets"], "MSCluster_Network"):
        networks.append(
            Network(
                name=_str(obj, "Name", "MSCluster_Network"),
                state=_state(obj, _NETWORK_STATES, "MSCluster_Network") or NetworkState.UNKNOWN,
                role=network_role_name(_str(obj, "Role", "MSCluster_Network", required=False)),
                address=_str(obj, "Address", "MSCluster_Network", required=False),
                address_mask=_str(obj, "AddressMask", "MSCluster_Network", required=False),
            )
        )
    _unique((n.name for n in networks), "MSCluster_Network")

    interfaces = []
    for obj in _objects(texts["wnifs"], "MSCluster_NetworkInterface"):
        interfaces.append(
            NetInterface(
                node=_str(obj, "Node", "MSCluster_NetworkInterface"),
                network=_str(obj, "Network", "MSCluster_NetworkInterface"),
                state=_state(obj, _INTERFACE_STATES, "MSCluster_NetworkInterface") or InterfaceState.UNKNOWN,
                name=_str(obj, "Name", "MSCluster_NetworkInterface", required=False),
                adapter=_str(obj, "Adapter", "MSCluster_NetworkInterface", required=False),
                address=_str(obj, "Address", "MSCluster_NetworkInterface", required=False),
            )
        )
    return WmiCluster(nodes, groups, resources, networks, interfaces, policies)
