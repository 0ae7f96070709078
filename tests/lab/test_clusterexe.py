"""cluster.exe output compared byte for byte with the real captures, plus its options and errors."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ccrgui.domain.model import InterfaceState
from ccrgui.lab.clock import Clock
from ccrgui.lab.clusterexe import FORMATS, format_row, format_table
from ccrgui.lab.cmdshell import launch, run_line
from ccrgui.lab.engine import ClusterEngine
from ccrgui.lab.eventlog import EventJournal
from ccrgui.lab.faults import Faults
from ccrgui.lab.nodehost import NodeHost
from ccrgui.lab.topology import Topology, default_topology, topology_from_json


class Rig:
    def __init__(self, topology: Topology, speed: float = 1000.0) -> None:
        self.clock = Clock(speed)
        self.journal = EventJournal(topology, history=0, clock=self.clock)
        self.engine = ClusterEngine(topology, clock=self.clock, faults=Faults(), journal=self.journal)
        self.hosts = {n.name: NodeHost(n.name, self.engine, self.journal, Faults()) for n in topology.nodes}
        self.admin = topology.accounts[0]

    def run(
        self, line: str, node: str | None = None, *, codepage: int = 437, admin: bool = True
    ) -> tuple[str, str, int]:
        host = self.hosts[node or next(iter(self.hosts))]
        account = self.admin if admin else next(a for a in self.engine.topology.accounts if not a.admin)
        return run_line(host, account, line, codepage=codepage)

    def raw(self, line: str, node: str | None = None, codepage: int = 437) -> bytes:
        host = self.hosts[node or next(iter(self.hosts))]
        proc = launch(host, self.admin, line, [], skip_cmd_shell=True, codepage=codepage, env={})
        out = bytearray()
        while True:
            d = proc.io.drain(timeout=10)
            out.extend(b"".join(c.data for c in d.chunks if c.stream == "stdout"))
            if d.done:
                return bytes(out)

    def close(self) -> None:
        self.engine.stop()
        self.clock.stop()


@pytest.fixture
def rig() -> Iterator[Rig]:
    r = Rig(default_topology())
    yield r
    r.close()


# ---- the real samples ---------------------------------------------------------------------------


def sample_block(path: Path, prompt_suffix: str) -> bytes:
    """The bytes cluster.exe printed after `...>cluster <prompt_suffix>`, up to cmd's blank line."""
    data = path.read_bytes().split(b"\n", 1)[1]  # drop the "# source:" line
    lines = data.split(b"\r\n")
    start = next(i for i, ln in enumerate(lines) if ln.endswith(b">" + prompt_suffix.encode()))
    end = next(i for i in range(start + 3, len(lines)) if lines[i] == b"")
    return b"".join(ln + b"\r\n" for ln in lines[start + 1 : end])


def test_node_listing_matches_the_real_capture(reference: Path) -> None:
    expected = sample_block(reference / "cluster-exe" / "cluster-node.txt", "cluster node")
    topo = topology_from_json({"nodes": [{"name": "BJMSAPG1A"}, {"name": "BJMSAPG1B"}]})
    r = Rig(topo)
    try:
        assert r.raw("cluster node") == expected
        assert r.raw("cluster.exe NODE", node="BJMSAPG1B") == expected
    finally:
        r.close()


def _resource_topology(rows: list[tuple[str, str, str]]) -> dict[str, Any]:
    groups: dict[str, dict[str, Any]] = {}
    for res, group, node in rows:
        g = groups.setdefault(group, {"name": group, "owner": node, "resources": [], "kind": "generic"})
        g["resources"].append({"name": res, "type": "Generic Service"})
    groups["Cluster Group"]["kind"] = "core"
    groups["RGAPM_0"]["kind"] = "cms"
    return {
        "nodes": [{"name": "BJMSAPG1A"}, {"name": "BJMSAPG1B"}],
        "groups": list(groups.values()),
        "storage_groups": [],
    }


def test_resource_listing_matches_the_real_capture_with_overflowing_names(reference: Path) -> None:
    expected = sample_block(reference / "cluster-exe" / "cluster-res.txt", "cluster res")
    row = re.compile(rb"^(.*?) +(Disk Group|RGAPM_1|Cluster Group|RGAPM_0) +(BJMSAPG1[AB]) +Online$")
    rows = []
    for ln in expected.split(b"\r\n")[4:]:
        if ln:
            m = row.match(ln)
            assert m, ln
            rows.append((m.group(1).decode(), m.group(2).decode(), m.group(3).decode()))
    assert len(rows) == 85
    r = Rig(topology_from_json(_resource_topology(rows)))
    try:
        assert r.raw("cluster res") == expected
        assert r.raw("cluster resource") == expected
    finally:
        r.close()


def test_group_listing_matches_the_real_help_text(reference: Path) -> None:
    text = (reference / "cluster-exe" / "cluster-group.txt").read_text().split("\n", 1)[1]
    # Undo the help text's own changes: the 5-space indent and the doubled blank line.
    lines = [ln[5:] for ln in text.splitlines()]
    lines = [lines[0], "", *[ln for ln in lines[1:] if ln]]
    expected = "".join(ln + "\r\n" for ln in lines).encode()
    topo = topology_from_json(
        {
            "cluster_name": "ATLPRODSQLC01",
            "nodes": [{"name": "ATLPRODSQLC01N1"}, {"name": "ATLPRODSQLC01N2"}],
            "groups": [
                {"name": "ATLPRODSQLC01V1", "owner": "ATLPRODSQLC01N1", "kind": "cms"},
                {"name": "ATLPRODSQLC01V2", "owner": "ATLPRODSQLC01N2"},
                {"name": "Cluster Group", "owner": "ATLPRODSQLC01N1", "kind": "core"},
            ],
        }
    )
    r = Rig(topo)
    try:
        assert r.raw("cluster /cluster:ATLPRODSQLC01 group") == expected
        assert r.raw("cluster ATLPRODSQLC01 group") == expected
    finally:
        r.close()


def test_error_shape_matches_the_real_5065_capture(reference: Path, rig: Rig) -> None:
    real = (reference / "cluster-exe" / "cluster-add-node_error-5065_qna.txt").read_text()
    m = re.search(r"System error (\d+) has occurred \(0x([0-9a-f]{8})\)\.", real)
    assert m and int(m.group(1)) == int(m.group(2), 16)
    out, err, code = rig.run("cluster node NOSUCHNODE")
    assert (out, code) == ("", 5042)
    assert err == "System error 5042 has occurred (0x000013b2).\r\n\r\nThe cluster node was not found.\r\n"
    assert re.match(r"System error (\d+) has occurred \(0x([0-9a-f]{8})\)\.", err)


# ---- weird names --------------------------------------------------------------------------------

WEIRD = {
    "cluster_name": "CLÜSTER-Ä",
    "nodes": [{"name": "NÖDE-ÉINS"}, {"name": "NODE WITH A VERY LONG NAME"}],
    "groups": [
        {
            "name": "Grüppe mit Leerzeichen und Überlänge",
            "owner": "NÖDE-ÉINS",
            "kind": "core",
            "resources": [{"name": "Ressource «Zwei» mit sehr langem Namen", "type": "IP Address"}],
        },
        {
            "name": "EXCH ☃",
            "owner": "NODE WITH A VERY LONG NAME",
            "kind": "cms",
            "resources": [{"name": "r", "type": "Network Name"}],
        },
    ],
    "storage_groups": [],
}


def test_weird_names_push_columns_right_without_trailing_spaces() -> None:
    r = Rig(topology_from_json(WEIRD))
    try:
        out, err, code = r.run("cluster res", codepage=65001)
        assert code == 0 and err == ""
        lines = out.split("\r\n")
        assert lines[-1] == "" and "\n" not in out.replace("\r\n", "")
        assert all(ln == ln.rstrip(" ") for ln in lines)
        assert lines[4] == (
            "Ressource «Zwei» mit sehr langem Namen Grüppe mit Leerzeichen und Überlänge "
            "NÖDE-ÉINS       Online"
        )
        assert lines[5] == "r                    EXCH ☃               NODE WITH A VERY LONG NAME Online"
        nodes = r.run("cluster node", codepage=65001)[0].split("\r\n")
        assert nodes[4] == "NÖDE-ÉINS            1 Up"
        assert nodes[5] == "NODE WITH A VERY LONG NAME      2 Up"  # "%1!-15s! %2!6s! %3"
        # The OEM codepage cannot show the snowman: Windows prints '?'.
        cp437 = r.raw('cluster group "exch ☃"', codepage=437)
        assert b"EXCH ?" in cp437 and cp437.startswith(b"Listing status for resource group 'exch ?':\r\n\r\n")
        single = r.run(
            'cluster "CLÜSTER-Ä" group "Grüppe mit Leerzeichen und Überlänge" /stat', codepage=65001
        )[0]
        assert single.split("\r\n")[4] == "Grüppe mit Leerzeichen und Überlänge NÖDE-ÉINS       Online"
    finally:
        r.close()


def test_row_formats_line_up_with_their_header_and_dash_line() -> None:
    for key, fmt in FORMATS.items():
        if key == "node":
            # The real node format is "%1!-15s! %2!6s! %3" under a 14-dash first column: its
            # first gap falls under "Node ID" (the capture comparison covers it byte for byte).
            continue
        # Cells exactly as wide as their field: separators must fall in the dash line's gaps
        # and every header label must sit inside one column.
        row = format_row(fmt, ["x" * max(w, 1) for w, _ in fmt.columns])
        gaps = [i for i, c in enumerate(row) if c == " "]
        assert all(fmt.dashes[i] == " " for i in gaps if i < len(fmt.dashes)), key
        assert all(fmt.header[i] == " " for i in gaps if i < len(fmt.header)), key
        assert format_table(fmt, [])[:2] == [fmt.header, fmt.dashes]


# ---- options, actions and errors ---------------------------------------------------------------


def test_abbreviations_and_cluster_name_forms_agree(rig: Rig) -> None:
    expected = rig.run("cluster resource")[0]
    for line in (
        "cluster res",
        "CLUSTER RES",
        "cluster /cluster:exclus1 res",
        "cluster EXCLUS1 resou",
        "cluster.exe /CLUSTER:EXCLUS1 resource /status",
        "cluster res /stat",
    ):
        assert rig.run(line)[0] == expected, line
    grp = rig.run('cluster group "Cluster Group"')[0]
    assert grp.startswith("Listing status for resource group 'Cluster Group':\r\n\r\nGroup ")
    assert rig.run('cluster group "Cluster Group" /status')[0] == grp
    assert rig.run('cluster group "Cluster Group" /stat')[0] == grp


def test_group_move_prints_progress_then_final_status(rig: Rig) -> None:
    out, err, code = rig.run('cluster group "Cluster Group" /moveto:EXNODE2')
    assert (err, code) == ("", 0)
    assert out == (
        "Moving resource group 'Cluster Group'...\r\n\r\n"
        "Group                Node            Status\r\n"
        "-------------------- --------------- ------\r\n"
        "Cluster Group        EXNODE2         Online\r\n"
    )
    # /move without a node: the best possible node (back to EXNODE1).
    out2 = rig.run('cluster group "Cluster Group" /move')[0]
    assert out2.endswith("Cluster Group        EXNODE1         Online\r\n")


def test_group_offline_online_with_wait(rig: Rig) -> None:
    out = rig.run('cluster group "Available Storage" /off /wait:60')[0]
    assert out.startswith("Bringing resource group 'Available Storage' offline...\r\n\r\n")
    assert out.endswith("Available Storage    EXNODE1         Offline\r\n")
    out = rig.run('cluster group "Available Storage" /online')[0]
    assert out.endswith("Available Storage    EXNODE1         Online\r\n")


def test_wait_zero_reports_io_pending() -> None:
    r = Rig(default_topology(), speed=20)
    try:
        out, err, code = r.run("cluster group EXCH1 /move:EXNODE2 /wait:0")
        assert out == "Moving resource group 'EXCH1'...\r\n\r\n"
        assert code == 997
        assert err == (
            "System error 997 has occurred (0x000003e5).\r\n\r\nOverlapped I/O operation is in progress.\r\n"
        )
    finally:
        r.close()


def test_move_to_paused_node_is_refused_with_5070(rig: Rig) -> None:
    out, _, code = rig.run("cluster node EXNODE2 /pause")
    assert code == 0 and out.startswith("Pausing node 'EXNODE2'...\r\n\r\nNode ")
    assert out.endswith("EXNODE2              2 Paused\r\n")
    _, err, code = rig.run("cluster group EXCH1 /move:EXNODE2")
    assert code == 5070
    assert err.endswith("The cluster node is paused.\r\n")
    out, _, code = rig.run("cluster node EXNODE2 /resume")
    assert code == 0 and out.endswith("EXNODE2              2 Up\r\n")


def test_node_down_is_shown_and_cannot_be_targeted(rig: Rig) -> None:
    rig.engine.set_node_down("EXNODE2")
    out = rig.run("cluster node")[0]
    assert "EXNODE2              2 Down\r\n" in out
    _, err, code = rig.run("cluster /cluster:EXNODE2 node")
    assert (code, err) == (
        1722,
        "System error 1722 has occurred (0x000006ba).\r\n\r\nThe RPC server is unavailable.\r\n",
    )
    _, _, code = rig.run("cluster node", node="EXNODE2")
    assert code == 1722


def test_access_denied_for_non_admin(rig: Rig) -> None:
    out, err, code = rig.run("cluster node", admin=False)
    assert (out, code) == ("", 5)
    assert err == "System error 5 has occurred (0x00000005).\r\n\r\nAccess is denied.\r\n"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ('cluster group "No Group"', 5013),
        ('cluster res "No Resource" /stat', 5007),
        ("cluster network Nope", 5045),
        ("cluster netint /node:EXNODE1 /network:Nope", 5045),
    ],
)
def test_not_found_errors(rig: Rig, line: str, code: int) -> None:
    _, err, rc = rig.run(line)
    assert rc == code and err.startswith(f"System error {code} has occurred (0x{code:08x}).\r\n\r\n")


def test_syntax_errors_use_cluster_exe_messages(rig: Rig) -> None:
    assert rig.run("cluster group /bogus") == ("", "Invalid option '/bogus'.\r\n", 87)
    assert rig.run("cluster EXCLUS1 frob") == ("", "Unrecognized object type 'frob'.\r\n", 87)
    assert rig.run("cluster") == ("", "A command must be specified.\r\n", 87)
    assert rig.run("cluster node /pause")[1] == "A node name must be specified.\r\n"


def test_network_netinterface_quorum_prop_listowners(rig: Rig) -> None:
    rig.engine.set_interface_state("EXNODE2", "Cluster Network 2", InterfaceState.FAILED)
    out = rig.run("cluster network")[0]
    pad = " " * 23
    assert out == (
        "Listing status for all available networks:\r\n\r\n"
        f"Network{pad}           Status\r\n"
        "---------------------------------------- -----------\r\n"
        f"Cluster Network 1{pad} Up        \r\n"  # "%1!-40s! %2!-10s!": padded status
        f"Cluster Network 2{pad} Partitioned\r\n"
    )
    one = rig.run('cluster netinterface /node:exnode2 /network:"Cluster Network 2"')[0]
    assert one == (
        "Listing status for network interface at node 'exnode2'\r\nand network 'Cluster Network 2':\r\n\r\n"
        "Node                       Network                    Status\r\n"
        "-------------------------- -------------------------- -------\r\n"
        "EXNODE2                    Cluster Network 2          Failed\r\n"
    )
    assert rig.run('cluster netint EXNODE2 "Cluster Network 2"')[0] == one.replace("'exnode2'", "'EXNODE2'")
    all_if = rig.run("cluster netint")[0].split("\r\n")
    assert len(all_if) == 4 + 4 + 1
    q = rig.run("cluster /quorum")[0]
    assert q == (
        "Quorum Resource Name Device                                   Max Log Size\r\n"
        "-------------------- ---------------------------------------- ------------\r\n"
        "File Share Witness (\\\\HUB1\\FSW_EXCH1) \\\\HUB1\\FSW_EXCH1" + " " * 24 + " 4096\r\n"
    )
    prop = rig.run('cluster res "Cluster IP Address" /priv')[0].split("\r\n")
    assert prop[:4] == [
        "Listing private properties for 'Cluster IP Address':",
        "",
        "T  Resource             Name                           Value",
        "-- -------------------- ------------------------------ -----------------------",
    ]
    assert prop[4] == "S  Cluster IP Address   Address                        10.0.0.20"
    gprop = rig.run('cluster group "Cluster Group" /prop')[0].split("\r\n")
    assert gprop[2].startswith("T  Resource Group       Name")
    assert gprop[4] == "SR Cluster Group        Name                           Cluster Group"
    assert "D  Cluster Group        FailoverThreshold              10 (0xa)" in gprop
    owners = rig.run('cluster res "Cluster Name" /listowners')[0]
    assert owners == (
        "Listing possible owners for resource 'Cluster Name':\r\n"
        "Possible Owner Nodes\r\n--------------------\r\nEXNODE1\r\nEXNODE2\r\n"
    )
    assert rig.run('cluster res "Cluster Name" /off')[0].startswith(
        "Taking resource 'Cluster Name' offline...\r\n\r\n"
    )
    nprop = rig.run('cluster net "Cluster Network 2" /prop')[0].split("\r\n")
    assert nprop[2] == "T  Network              Name                           Value"
    assert "SR Cluster Network 2    Address                        192.168.10.0" in nprop
    assert "D  Cluster Network 2    Role                           1 (0x1)" in nprop
    by_node = rig.run("cluster group /node:EXNODE1")[0]
    assert by_node.startswith("Listing status of resource group for node 'EXNODE1':\r\n\r\nGroup ")


def test_costs_are_spent_per_call(rig: Rig) -> None:
    for host in rig.hosts.values():
        host.faults.costs.cluster_exe_s = 0.05
    t0 = time.monotonic()
    rig.run("cluster node & cluster group")
    assert time.monotonic() - t0 >= 0.1


def test_prop_listings_for_all_objects_netinterfaces_and_the_cluster(rig: Rig) -> None:
    """WS2003 message table: MSG_PROPERTY_LISTING_*_ALL titles, the NETINT header and its
    `%1!-15s! %2!-15s! %3!-20s! %4` rows, and `cluster /prop` titled with the cluster's name."""
    res = rig.run("cluster res /prop")[0].split("\r\n")
    assert res[:4] == [
        "Listing properties for all resources:",
        "",
        "T  Resource             Name                           Value",
        "-- -------------------- ------------------------------ -----------------------",
    ]
    assert "SR Cluster Name         Type                           Network Name" in res
    assert (
        "SR File Share Witness (\\\\HUB1\\FSW_EXCH1) Type                           File Share Witness" in res
    )
    assert sum(1 for r in res if r.startswith("SR ") and " Type " in r) == len(rig.engine.resources())
    net = rig.run("cluster network /prop")[0].split("\r\n")
    assert net[0] == "Listing properties for all networks:"
    assert "D  Cluster Network 2    Role                           1 (0x1)" in net
    assert "SR Cluster Network 1    AddressMask                    255.255.255.0" in net
    nif = rig.run("cluster netint /prop")[0].split("\r\n")
    assert nif[:4] == [
        "Listing properties for all network interfaces:",
        "",
        "T  Node            Network         Name                 Value",
        "-- --------------- --------------- -------------------- ----------------------",
    ]
    # A network name longer than 15 characters pushes the later columns right by one space.
    assert "SR EXNODE2         Cluster Network 1 Address              10.0.0.12" in nif
    assert "SR EXNODE1         Cluster Network 2 Name                 EXNODE1 - Private" in nif
    one = rig.run('cluster netint /node:EXNODE2 /net:"Cluster Network 2" /prop')[0]
    assert one.startswith(
        "Listing properties for interface at node 'EXNODE2'\r\nand network 'Cluster Network 2':\r\n\r\n"
        "T  Node            Network         Name"
    )
    assert "SR EXNODE2         Cluster Network 2 Adapter              Intel(R) PRO/1000" in one
    assert rig.run("cluster netint /prop /stat")[2] == 87
    cl = rig.run("cluster /prop")[0].split("\r\n")
    assert cl[:3] == [
        "Listing properties for 'EXCLUS1':",
        "",
        "T  Cluster              Name                           Value",
    ]
    assert "SR EXCLUS1              Name                           EXCLUS1" in cl
    assert rig.run("cluster res /priv")[0].startswith("Listing private properties for all resources:\r\n")
