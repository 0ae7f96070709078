"""The parsers on the lab's cluster.exe / PowerShell output, compared with the engine's own state.

Only tests import the lab.  The lab is written from the same real samples by other helpers, so
agreement here is a second, independent check of both sides (not a substitute for the samples).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from ccrgui.remote.parsers import (
    ClusterExeError,
    find_system_error,
    merge_details,
    parse_cms_status,
    parse_copy_status,
    parse_events,
    parse_exchange_servers,
    parse_groups,
    parse_netinterfaces,
    parse_networks,
    parse_nodes,
    parse_owners,
    parse_properties,
    parse_quorum,
    parse_resources,
    parse_wmi_os,
    parse_wmi_processor,
)

pytest.importorskip("ccrgui.lab.engine")

from ccrgui.lab.clock import Clock
from ccrgui.lab.cmdshell import run_line
from ccrgui.lab.engine import ClusterEngine
from ccrgui.lab.eventlog import EventJournal
from ccrgui.lab.faults import Faults
from ccrgui.lab.nodehost import NodeHost
from ccrgui.lab.topology import GroupSpec, ResourceSpec, Topology, default_topology


class Rig:
    def __init__(self, topology: Topology) -> None:
        self.clock = Clock(1000.0)
        self.journal = EventJournal(topology, history=0, clock=self.clock)
        self.engine = ClusterEngine(topology, clock=self.clock, faults=Faults(), journal=self.journal)
        self.hosts = {n.name: NodeHost(n.name, self.engine, self.journal, Faults()) for n in topology.nodes}
        self.admin = topology.accounts[0]

    def run(self, line: str) -> tuple[str, str, int]:
        return run_line(next(iter(self.hosts.values())), self.admin, line)

    def close(self) -> None:
        self.engine.stop()
        self.clock.stop()


def odd_topology() -> Topology:
    """Four nodes and an extra group whose names have spaces and overflow their columns."""
    base = default_topology(4)
    extra = GroupSpec(
        "SQL Server Reporting Services Group",
        "EXNODE3",
        (
            ResourceSpec("SQL Network Name (REPORTS PRIMARY INSTANCE)", "Network Name", {"Name": "REPORTS"}),
            ResourceSpec("Disk R:", "Physical Disk"),
        ),
    )
    return dataclasses.replace(base, groups=(*base.groups, extra))


@pytest.fixture(params=["default", "odd"])
def rig(request: Any) -> Iterator[Rig]:
    r = Rig(default_topology() if request.param == "default" else odd_topology())
    yield r
    r.close()


def test_listings_match_engine_state(rig: Rig) -> None:
    """Nodes, groups, resources, networks and interfaces parse to what the engine holds."""
    engine = rig.engine
    engine.pause_node(engine.nodes()[-1].name)
    nodes = parse_nodes(rig.run("cluster node")[0])
    assert [(n.name, n.node_id, n.state) for n in nodes] == [
        (n.name, n.node_id, n.state) for n in engine.nodes()
    ]
    groups = parse_groups(rig.run("cluster group")[0])
    assert [(g.name, g.owner, g.state) for g in groups] == [
        (g.name, g.owner, g.state) for g in engine.groups()
    ]
    resources = parse_resources(rig.run("cluster res")[0])
    assert [(r.name, r.group, r.owner, r.state) for r in resources] == [
        (r.name, r.group, r.owner, r.state) for r in engine.resources()
    ]
    networks = parse_networks(rig.run("cluster network")[0])
    assert [(n.name, n.state) for n in networks] == [(n.name, n.state) for n in engine.networks()]
    interfaces = parse_netinterfaces(rig.run("cluster netinterface")[0])
    assert [(i.node, i.network, i.state) for i in interfaces] == [
        (i.node, i.network, i.state) for i in engine.interfaces()
    ]


def test_offline_group_and_error(rig: Rig) -> None:
    """A group taken offline parses as Offline; an unknown node is a ClusterExeError."""
    out, _err, code = rig.run('cluster group "Available Storage" /offline')
    assert code == 0
    groups = {g.name: g for g in parse_groups(rig.run("cluster group")[0])}
    assert groups["Available Storage"].state.value == rig.engine.group("Available Storage").state.value
    out, err, code = rig.run("cluster node NOSUCHNODE")
    assert code != 0
    with pytest.raises(ClusterExeError) as info:
        parse_nodes(out + err)
    assert info.value.code == code


def ps_run(rig: Rig, script: str) -> str:
    """stdout (and stderr) of a lab powershell.exe -Command; skips while the lab reports its own bug."""
    out, err, _code = rig.run(f'powershell -NoLogo -NoProfile -NonInteractive -Command "{script}"')
    if "Lab internal error" in out + err:
        pytest.skip("the lab's PowerShell failed internally: " + (out + err).strip().splitlines()[0])
    return out + err


def ps_xml(rig: Rig, pipeline: str) -> str:
    snapin = "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.Admin"
    return ps_run(rig, f"{snapin}; {pipeline} | ConvertTo-Xml -As String")


def test_ems_through_lab_powershell(rig: Rig) -> None:
    """Get-ClusteredMailboxServerStatus / Get-StorageGroupCopyStatus via ConvertTo-Xml -As String."""
    status = parse_cms_status(ps_xml(rig, "Get-ClusteredMailboxServerStatus -Identity EXCH1"))
    info = rig.engine.cms_status()
    assert status.state.value == info.state.value
    assert status.active_node.casefold() == info.active_node.casefold()
    copies = parse_copy_status(ps_xml(rig, "Get-StorageGroupCopyStatus -Server EXCH1"))
    assert [c.storage_group for c in copies] == [c.storage_group for c in rig.engine.copy_status()]


def test_wevtutil_xml_and_rendered_xml_from_lab() -> None:
    """The lab's wevtutil output (bare and /e: wrapped, RenderedXml) parses completely."""
    topology = default_topology()
    rig = Rig(topology)
    rig.journal = EventJournal(topology, history=200, clock=rig.clock)
    hosts = {n.name: NodeHost(n.name, rig.engine, rig.journal, Faults()) for n in topology.nodes}
    host = next(iter(hosts.values()))
    try:
        plain, _err, code = run_line(host, rig.admin, "wevtutil qe System /c:50 /f:xml")
        assert code == 0
        rendered, _err, code = run_line(host, rig.admin, "wevtutil qe System /c:50 /f:RenderedXml /e:Events")
        assert code == 0
        events = parse_events(plain, node=host.name)
        rendered_events = parse_events(rendered, node=host.name)
        assert len(events) == plain.count("<Event ") > 0
        assert [(e.record_id, e.event_id, e.time_created) for e in events] == [
            (e.record_id, e.event_id, e.time_created) for e in rendered_events
        ]
        assert all(e.message for e in rendered_events)
        assert not any(e.message for e in events)
        assert all(e.log == "System" and e.node == host.name for e in events)
    finally:
        rig.close()


def test_system_error_through_lab_powershell(rig: Rig) -> None:
    """The backend's PowerShell path: & cluster.exe ... 2>&1 | Out-String keeps the error readable."""
    error = find_system_error(ps_run(rig, "& cluster.exe node NOSUCHNODE 2>&1 | Out-String"))
    assert error is not None
    assert error.code == 5042
    assert error.message == "The cluster node was not found."


def test_properties_quorum_owners_from_lab(rig: Rig) -> None:
    """/priv values, /quorum and /listowners agree with the engine."""
    for res in rig.engine.resources():
        if not res.private:
            continue
        out, _err, code = rig.run(f'cluster res "{res.name}" /priv')
        assert code == 0
        props = parse_properties(out)
        assert {p.name: p.value for p in props} == res.private
        assert all(p.owner == res.name and p.private for p in props)
    out, _err, _code = rig.run("cluster /quorum")
    quorum = parse_quorum(out, resources=parse_resources(rig.run("cluster res")[0]))
    info = rig.engine.quorum()
    assert (quorum.model, quorum.resource, quorum.path) == (
        info.model,
        info.witness_resource,
        info.witness_path,
    )
    assert quorum.witness_state == info.witness_state
    for group in rig.engine.groups():
        out, _err, _code = rig.run(f'cluster group "{group.name}" /listowners')
        assert parse_owners(out) == list(group.preferred_owners)


def test_exchange_and_wmi_from_lab(rig: Rig) -> None:
    """Get-MailboxServer / Get-ExchangeServer and WMI through the lab's ConvertTo-Xml."""
    (mailbox,) = [
        s
        for s in parse_exchange_servers(
            ps_xml(rig, "Get-MailboxServer | Select-Object Name,ClusteredStorageType,RedundantMachines")
        )
        if s.name == "EXCH1"
    ]
    assert mailbox.clustered_storage_type == "NonShared"
    assert mailbox.redundant_machines == tuple(rig.engine.cms_status().redundant_machines)
    servers = parse_exchange_servers(
        ps_xml(
            rig,
            "Get-ExchangeServer | Select-Object Name,Fqdn,AdminDisplayVersion,ServerRole,IsMemberOfCluster",
        )
    )
    cms = next(s for s in servers if s.name == "EXCH1")
    assert cms.is_member_of_cluster and cms.version.startswith("Version 8.1")
    details = merge_details(
        parse_wmi_os(
            ps_xml(
                rig,
                "Get-WmiObject Win32_OperatingSystem | Select-Object Caption,Version,CSDVersion,"
                "TotalVisibleMemorySize,FreePhysicalMemory,LastBootUpTime",
            )
        ),
        parse_wmi_processor(ps_xml(rig, "Get-WmiObject Win32_Processor | Select-Object Name")),
    )
    assert details.os_version.startswith("6.0.")
    assert details.memory_total_mb > details.memory_in_use_mb > 0
    assert details.last_boot is not None and details.last_boot.tzinfo is not None
    assert details.cpu.startswith("Intel")


def test_output_broken_at_80_columns_by_the_powershell_host(rig: Rig) -> None:
    """Write-Output through PowerShell 2.0's host breaks lines at 80 columns: still parsed."""
    direct = parse_resources(rig.run("cluster res")[0])
    assert parse_resources(ps_run(rig, "& cluster.exe res 2>&1 | Out-String")) == direct
    wrapped = ps_run(rig, "& wevtutil.exe qe System /c:20 /f:RenderedXml | Out-String")
    plain, _err, _code = rig.run("wevtutil qe System /c:20 /f:RenderedXml")
    assert [(e.record_id, e.message) for e in parse_events(wrapped)] == [
        (e.record_id, e.message) for e in parse_events(plain)
    ]
