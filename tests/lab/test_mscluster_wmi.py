"""The lab's root\\MSCluster provider answers Get-WmiObject from the engine's state, with the
provider's class and property names and State values (Windows Server 2008: no OwnerNode)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from test_powershell_rig import PSRig

from ccrgui.lab.topology import default_topology, topology_from_json

NAME = 'Web "x" \\\\srv\\share> '


@pytest.fixture
def rig() -> Iterator[PSRig]:
    raw = default_topology().to_json()
    raw["groups"].append(
        {
            "name": NAME,
            "owner": "EXNODE2",
            "kind": "generic",
            "resources": [{"name": NAME + "R", "type": "Generic Service"}],
        }
    )
    r = PSRig(topology_from_json(raw))
    yield r
    r.close()


def _lines(rig: PSRig, cls: str, each: str, where: str = "") -> list[str]:
    """`each` per instance of `cls`, written unwrapped (the console host wraps at 80 columns)."""
    filt = f" | Where-Object {{ {where} }}" if where else ""
    script = (
        f"$x = @(Get-WmiObject -Namespace root\\MSCluster -Class {cls} -Authentication PacketPrivacy{filt} "
        f"| ForEach-Object {{ {each} }}) "
        '-join "`n"; [Console]::Out.Write($x)'
    )
    res = rig.cmd(script)
    assert res.code == 0, res.err
    return res.out.split("\n") if res.out else []


def test_groups_states_and_no_owner_property(rig: PSRig) -> None:
    lines = _lines(
        rig, "MSCluster_ResourceGroup", "$_.Name + '|' + $_.State + '|' + ($_.OwnerNode -eq $null)"
    )
    rows = {line.rsplit("|", 2)[0]: line.rsplit("|", 2)[1] for line in lines}
    assert set(rows) == {g.name for g in rig.engine.groups()}
    assert rows[NAME] == "0"  # Online
    assert all(line.endswith("|True") for line in lines)


def test_associations_are_escaped_object_paths(rig: PSRig) -> None:
    lines = _lines(rig, "MSCluster_NodeToActiveGroup", "$_.GroupComponent + ' => ' + $_.PartComponent")
    escaped = NAME.replace("\\", "\\\\").replace('"', '\\"')
    line = (
        '\\\\EXNODE1\\root\\MSCluster:MSCluster_Node.Name="EXNODE2" => '
        f'\\\\EXNODE1\\root\\MSCluster:MSCluster_ResourceGroup.Name="{escaped}"'
    )
    assert line in lines
    members = _lines(rig, "MSCluster_ResourceGroupToResource", "$_.PartComponent")
    assert len(members) == len(rig.engine.resources())
    assert all(re.match(r'^\\\\EXNODE1\\root\\MSCluster:MSCluster_Resource\.Name=".*"$', m) for m in members)


def test_resource_states_types_and_interfaces(rig: PSRig) -> None:
    rig.engine.offline_group(NAME)
    pending = _lines(rig, "MSCluster_Resource", "$_.State", "$_.Type -eq 'Generic Service'")
    assert pending in (["130"], ["3"])  # Offline Pending, then Offline
    rig.engine.wait_group(NAME, 30.0)
    res = _lines(rig, "MSCluster_Resource", "$_.Name + '|' + $_.State", "$_.Type -eq 'Generic Service'")
    assert res == [NAME + "R|3"]  # Offline
    nifs = _lines(rig, "MSCluster_NetworkInterface", "$_.Node + '|' + $_.Network + '|' + $_.State")
    assert sorted(nifs) == sorted(f"{i.node}|{i.network}|3" for i in rig.engine.interfaces())


def test_weak_authentication_unknown_class_namespace_and_stopped_cluster_service(rig: PSRig) -> None:
    weak = rig.cmd("Get-WmiObject -Namespace root\\MSCluster -Class MSCluster_Node")
    assert "Access denied" in weak.err and weak.out.strip() == ""
    bad = rig.cmd("Get-WmiObject -Namespace root\\MSCluster -Class MSCluster_Nothing -Authentication 6")
    assert "Invalid class" in bad.err
    bad = rig.cmd("Get-WmiObject -Namespace root\\Nothing -Class MSCluster_Node")
    assert "Invalid namespace" in bad.err
    rig.engine.stop_service("EXNODE1", "clussvc")
    down = rig.cmd(
        "Get-WmiObject -Namespace root\\MSCluster -Class MSCluster_Node -Authentication PacketPrivacy"
    )
    assert "Generic failure" in down.err and down.out.strip() == ""


def test_preferred_owners_association_in_order_of_preference(rig: PSRig) -> None:
    rig.engine.set_group_owners(NAME, ["EXNODE2", "EXNODE1"])
    rig.engine.set_group_owners("Cluster Group", ["EXNODE1"])
    lines = _lines(
        rig, "MSCluster_ResourceGroupToPreferredNode", "$_.GroupComponent + ' => ' + $_.PartComponent"
    )
    escaped = NAME.replace("\\", "\\\\").replace('"', '\\"')
    server = "\\\\EXNODE1\\root\\MSCluster:"
    mine = [line for line in lines if f'ResourceGroup.Name="{escaped}"' in line]
    assert mine == [
        f'{server}MSCluster_ResourceGroup.Name="{escaped}" => {server}MSCluster_Node.Name="{n}"'
        for n in ("EXNODE2", "EXNODE1")
    ]
    assert sum("Cluster Group" in line for line in lines) == 1
    assert len(lines) == sum(len(g.preferred_owners) for g in rig.engine.groups())


def test_group_policy_is_the_engines_after_a_prop_write(rig: PSRig) -> None:
    """MSCluster_ResourceGroup's failover/failback properties follow `cluster group X /prop`
    writes (sint32 failback window: -1 when there is none)."""
    props = "$_.Name + '|' + $_.FailoverThreshold + '|' + $_.FailoverPeriod + '|' + $_.AutoFailbackType"
    each = props + " + '|' + $_.FailbackWindowStart + '|' + $_.FailbackWindowEnd"
    where = f"$_.Name -eq '{NAME.replace(chr(39), chr(39) * 2)}'"
    assert _lines(rig, "MSCluster_ResourceGroup", each, where) == [NAME + "|10|6|0|-1|-1"]
    written = rig.cmd(
        "& cluster.exe group 'Cluster Group' /prop FailoverThreshold=3 FailoverPeriod=2 "
        "AutoFailbackType=1 FailbackWindowStart=22 FailbackWindowEnd=4; exit $LASTEXITCODE"
    )
    assert written.code == 0, written.out + written.err
    assert rig.engine.group("Cluster Group").policy.failover_threshold == 3
    assert _lines(rig, "MSCluster_ResourceGroup", each, "$_.Name -eq 'Cluster Group'") == [
        "Cluster Group|3|2|1|22|4"
    ]
    assert _lines(rig, "MSCluster_ResourceGroup", each, where) == [NAME + "|10|6|0|-1|-1"]
