"""The cluster WMI provider (namespace root\\MSCluster, ClusWMI.dll) of Windows Server 2008,
answering from the engine's state.

Class and property names and State values follow Microsoft's "Failover Cluster Provider
Reference" (MSCluster_Node, MSCluster_ResourceGroup, MSCluster_Resource, MSCluster_Network,
MSCluster_NetworkInterface and the association classes).  Only properties that exist on
Windows Server 2008 are given: MSCluster_ResourceGroup.OwnerNode and MSCluster_Resource.OwnerGroup /
OwnerNode arrive with Windows Server 2012, so on 2008 owners and membership come only from the
associations MSCluster_NodeToActiveGroup, MSCluster_NodeToActiveResource and
MSCluster_ResourceGroupToResource, whose GroupComponent/PartComponent are WMI object paths
(``\\\\NODE1\\root\\MSCluster:MSCluster_ResourceGroup.Name="x"``, key values in double quotes with
``\\`` and ``"`` escaped by a backslash).  MSCluster_ResourceGroup's failover and failback
properties are each group's policy in the engine (what `cluster group X /prop` wrote), with the
documented types: uint32 FailoverThreshold, FailoverPeriod, AutoFailbackType; sint32
FailbackWindowStart/End (-1 for no window).

Not confirmed with a real capture (kept here so it can be corrected in one place): the error a
node with a stopped cluster service gives, the object-path server part (the answering node's
name), and that a State of Unknown (-1 in the documentation, a uint32 property) arrives as
4294967295.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ccrgui.domain.model import GroupState, InterfaceState, NetworkState, NodeState

if TYPE_CHECKING:
    from ccrgui.lab.engine import ClusterEngine

NAMESPACE = "root\\MSCluster"
UNKNOWN = 0xFFFFFFFF  # -1 as a uint32

NODE_STATES = {NodeState.UP: 0, NodeState.DOWN: 1, NodeState.PAUSED: 2, NodeState.JOINING: 3}
GROUP_STATES = {
    GroupState.ONLINE: 0,
    GroupState.OFFLINE: 1,
    GroupState.FAILED: 2,
    GroupState.PARTIALLY_ONLINE: 3,
    GroupState.PENDING: 4,
    GroupState.ONLINE_PENDING: 4,
    GroupState.OFFLINE_PENDING: 4,
}
RESOURCE_STATES = {
    GroupState.ONLINE: 2,
    GroupState.OFFLINE: 3,
    GroupState.FAILED: 4,
    GroupState.PENDING: 128,
    GroupState.ONLINE_PENDING: 129,
    GroupState.OFFLINE_PENDING: 130,
}
NETWORK_STATES = {
    NetworkState.UNAVAILABLE: 0,
    NetworkState.DOWN: 1,
    NetworkState.PARTITIONED: 2,
    NetworkState.UP: 3,
}
INTERFACE_STATES = {
    InterfaceState.UNAVAILABLE: 0,
    InterfaceState.FAILED: 1,
    InterfaceState.UNREACHABLE: 2,
    InterfaceState.UP: 3,
}
NETWORK_ROLES = {"disabled": 0, "internal use": 1, "client access only": 2, "internal and client use": 3}


def key_literal(value: str) -> str:
    """A key value inside a WMI object path: double quotes, backslash and quote escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def relpath(cls: str, name: str) -> str:
    return f"{cls}.Name={key_literal(name)}"


def path(server: str, cls: str, name: str) -> str:
    return f"\\\\{server}\\{NAMESPACE}:{relpath(cls, name)}"


# Each instance: (class name, relative path, properties in the class's order).
Instance = tuple[str, str, dict[str, Any]]

CLASSES = (
    "MSCluster_Node",
    "MSCluster_ResourceGroup",
    "MSCluster_Resource",
    "MSCluster_Network",
    "MSCluster_NetworkInterface",
    "MSCluster_ResourceGroupToResource",
    "MSCluster_NodeToActiveGroup",
    "MSCluster_NodeToActiveResource",
    "MSCluster_ResourceGroupToPreferredNode",
)


def instances(engine: ClusterEngine, cls: str, server: str) -> list[Instance] | None:
    """Every instance of `cls` (case-insensitive), or None for a class the provider lacks."""
    low = cls.casefold()
    canon = next((c for c in CLASSES if c.casefold() == low), None)
    if canon is None:
        return None
    server = server.upper()
    of_class = _CLASSES.get(canon)
    return of_class(engine, canon, server) if of_class is not None else []


def _node(engine: ClusterEngine, canon: str, server: str) -> list[Instance]:
    out: list[Instance] = []
    for n in engine.nodes():
        out.append(
            (
                canon,
                relpath(canon, n.name),
                {
                    "BuildNumber": int(n.spec.os_version.split(".")[-1] or 0),
                    "Caption": n.name,
                    "Characteristics": 0,
                    "CSDVersion": 256,
                    "Description": "",
                    "Flags": 0,
                    "MajorVersion": 6,
                    "MinorVersion": 0,
                    "Name": n.name,
                    "NodeHighestVersion": 393222,
                    "NodeLowestVersion": 393222,
                    "State": NODE_STATES.get(n.state, UNKNOWN),
                    "Status": "OK",
                },
            )
        )
    return out


def _resource_group(engine: ClusterEngine, canon: str, server: str) -> list[Instance]:
    out: list[Instance] = []
    for g in engine.groups():
        out.append(
            (
                canon,
                relpath(canon, g.name),
                {
                    "AutoFailbackType": g.policy.auto_failback_type,
                    "Caption": g.name,
                    "Characteristics": 0,
                    "Description": "",
                    "FailbackWindowEnd": _sint32(g.policy.failback_window_end),
                    "FailbackWindowStart": _sint32(g.policy.failback_window_start),
                    "FailoverPeriod": g.policy.failover_period,
                    "FailoverThreshold": g.policy.failover_threshold,
                    "Flags": 0,
                    "Name": g.name,
                    "PersistentState": True,
                    "State": GROUP_STATES.get(g.state, UNKNOWN),
                    "Status": "OK",
                },
            )
        )
    return out


def _sint32(dword: int) -> int:
    """A DWORD common property shown through a sint32 WMI property (the failback window's
    0xFFFFFFFF "no window" is -1 there)."""
    return dword - 0x100000000 if dword >= 0x80000000 else dword


def _resource(engine: ClusterEngine, canon: str, server: str) -> list[Instance]:
    out: list[Instance] = []
    for r in engine.resources():
        out.append(
            (
                canon,
                relpath(canon, r.name),
                {
                    "Caption": r.name,
                    "Characteristics": 0,
                    "CoreResource": False,
                    "Description": "",
                    "Flags": 0,
                    "IsAlivePollInterval": 4294967295,
                    "LooksAlivePollInterval": 4294967295,
                    "Name": r.name,
                    "PendingTimeout": 180000,
                    "PersistentState": True,
                    "RestartAction": 2,
                    "State": RESOURCE_STATES.get(r.state, UNKNOWN),
                    "Status": "OK",
                    "Type": r.type,
                },
            )
        )
    return out


def _network(engine: ClusterEngine, canon: str, server: str) -> list[Instance]:
    out: list[Instance] = []
    for net in engine.networks():
        out.append(
            (
                canon,
                relpath(canon, net.name),
                {
                    "Address": net.address,
                    "AddressMask": net.mask,
                    "Caption": net.name,
                    "Description": "",
                    "Name": net.name,
                    "Role": NETWORK_ROLES.get(net.role.casefold(), 3),
                    "State": NETWORK_STATES.get(net.state, UNKNOWN),
                    "Status": "OK",
                },
            )
        )
    return out


def _network_interface(engine: ClusterEngine, canon: str, server: str) -> list[Instance]:
    out: list[Instance] = []
    for i in engine.interfaces():
        out.append(
            (
                canon,
                f"{canon}.DeviceID={key_literal(i.name)}",
                {
                    "Adapter": i.adapter,
                    "Address": i.address,
                    "Caption": i.name,
                    "Description": "",
                    "DeviceID": i.name,
                    "Name": i.name,
                    "Network": i.network,
                    "Node": i.node,
                    "State": INTERFACE_STATES.get(i.state, UNKNOWN),
                    "Status": "OK",
                    "SystemName": i.node,
                },
            )
        )
    return out


def _resource_group_to_resource(engine: ClusterEngine, canon: str, server: str) -> list[Instance]:
    out: list[Instance] = []
    for g in engine.groups():
        for member in g.resources:
            out.append(_assoc(canon, server, "MSCluster_ResourceGroup", g.name, "MSCluster_Resource", member))
    return out


def _node_to_active_group(engine: ClusterEngine, canon: str, server: str) -> list[Instance]:
    out: list[Instance] = []
    for g in engine.groups():
        if g.owner:
            out.append(_assoc(canon, server, "MSCluster_Node", g.owner, "MSCluster_ResourceGroup", g.name))
    return out


def _node_to_active_resource(engine: ClusterEngine, canon: str, server: str) -> list[Instance]:
    out: list[Instance] = []
    for r in engine.resources():
        if r.owner:
            out.append(_assoc(canon, server, "MSCluster_Node", r.owner, "MSCluster_Resource", r.name))
    return out


def _group_to_preferred_node(engine: ClusterEngine, canon: str, server: str) -> list[Instance]:
    # Documented for Windows Server 2008 (GroupComponent the group, PartComponent a preferred
    # node).  NOT CONFIRMED with a capture: that instances come group by group with each group's
    # nodes in preference order (the order of CLUSTER_GROUP_ENUM_NODES, which SetPreferredOwners
    # documents as "in order of preference").  The lab answers that way.
    out: list[Instance] = []
    for g in engine.groups():
        for node in g.preferred_owners:
            out.append(_assoc(canon, server, "MSCluster_ResourceGroup", g.name, "MSCluster_Node", node))
    return out


# Class name -> its instances.
_CLASSES: dict[str, Callable[[ClusterEngine, str, str], list[Instance]]] = {
    "MSCluster_Node": _node,
    "MSCluster_ResourceGroup": _resource_group,
    "MSCluster_Resource": _resource,
    "MSCluster_Network": _network,
    "MSCluster_NetworkInterface": _network_interface,
    "MSCluster_ResourceGroupToResource": _resource_group_to_resource,
    "MSCluster_NodeToActiveGroup": _node_to_active_group,
    "MSCluster_NodeToActiveResource": _node_to_active_resource,
    "MSCluster_ResourceGroupToPreferredNode": _group_to_preferred_node,
}


def _assoc(cls: str, server: str, gcls: str, gname: str, pcls: str, pname: str) -> Instance:
    g = path(server, gcls, gname)
    p = path(server, pcls, pname)
    return (
        cls,
        f"{cls}.GroupComponent={key_literal(g)},PartComponent={key_literal(p)}",
        {
            "GroupComponent": g,
            "PartComponent": p,
        },
    )


__all__ = ["CLASSES", "NAMESPACE", "Instance", "instances", "key_literal", "path", "relpath"]
