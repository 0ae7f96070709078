"""cluster.exe listing parsers: real samples, synthetic layouts, fuzzing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ccrgui.domain.model import GroupState, InterfaceState, NetworkState, NodeState, Resource
from ccrgui.remote.parsers import (
    ClusterExeError,
    ParseError,
    find_system_error,
    parse_groups,
    parse_netinterfaces,
    parse_networks,
    parse_nodes,
    parse_owners,
    parse_properties,
    parse_quorum,
    parse_resources,
)


def sample(reference: Path, name: str) -> str:
    """The sample without its '# source:' line, CRLF kept."""
    raw = (reference / "cluster-exe" / name).read_bytes().decode("utf-8")
    return raw.split("\n", 1)[1]


# ------------------------------------------------------------------------------ real samples


def test_nodes_raw_capture(reference: Path) -> None:
    """The raw WS2003 capture (prompt line first, CRLF) gives both nodes."""
    text = sample(reference, "cluster-node.txt")
    assert "\r\n" in text
    nodes = parse_nodes(text)
    assert [(n.name, n.node_id, n.state) for n in nodes] == [
        ("BJMSAPG1A", 1, NodeState.UP),
        ("BJMSAPG1B", 2, NodeState.UP),
    ]


def test_nodes_collapsed_web_copy_and_error(reference: Path) -> None:
    """The Q&A copy lost its spacing and dash line; the error before it is found separately."""
    text = sample(reference, "cluster-add-node_error-5065_qna.txt")
    nodes = parse_nodes(text)
    assert [(n.name, n.node_id, n.state) for n in nodes] == [("SERVER2", 2, NodeState.UP)]
    error = find_system_error(text)
    assert error is not None
    assert error.code == 5065
    assert error.hex_code == "0x000013c9"
    assert error.message == "The cluster node is already a member of the cluster."


def test_error_only_output_raises_cluster_exe_error(reference: Path) -> None:
    """Output that is only a system error is a ClusterExeError, not a ParseError."""
    text = sample(reference, "cluster-add-node_error-5065_qna.txt").split("cluster node  ")[0]
    with pytest.raises(ClusterExeError) as info:
        parse_nodes(text)
    assert info.value.code == 5065
    assert not isinstance(info.value, ParseError)


def test_error_after_header_wins() -> None:
    """An error printed inside the listing means the listing is not to be trusted."""
    text = (
        "Listing status for all available resources:\r\n\r\n"
        "Resource             Group                Node            Status\r\n"
        "-------------------- -------------------- --------------- ------\r\n"
        "System error 1722 has occurred (0x000006ba).\r\n\r\nThe RPC server is unavailable.\r\n"
    )
    with pytest.raises(ClusterExeError) as info:
        parse_resources(text)
    assert info.value.code == 1722
    assert info.value.message == "The RPC server is unavailable."


def test_groups_indented_help_text(reference: Path) -> None:
    """The GroundWork copy has a 5-space indent and doubled blank lines."""
    groups = parse_groups(sample(reference, "cluster-group.txt"))
    assert [(g.name, g.owner, g.state) for g in groups] == [
        ("ATLPRODSQLC01V1", "ATLPRODSQLC01N1", GroupState.ONLINE),
        ("ATLPRODSQLC01V2", "ATLPRODSQLC01N2", GroupState.ONLINE),
        ("Cluster Group", "ATLPRODSQLC01N1", GroupState.ONLINE),
    ]
    assert [g.is_core for g in groups] == [False, False, True]


def test_resources_raw_capture(reference: Path) -> None:
    """All 85 rows, including names that push later columns right and names with spaces."""
    resources = parse_resources(sample(reference, "cluster-res.txt"))
    assert len(resources) == 85
    by_name = {r.name: r for r in resources}
    assert by_name["Disks K:"] == Resource("Disks K:", GroupState.ONLINE, "Disk Group", "BJMSAPG1A")
    assert by_name["Internal IP Address for SPOE"].group == "Cluster Group"
    assert by_name["MAS_CPTASP_cptheartbeat"].group == "Disk Group"
    assert by_name["ACS_CHB_ClockSyncService_1"].owner == "BJMSAPG1B"
    assert by_name["ACS_CHB_ClockSyncService_1"].group == "RGAPM_1"
    assert {r.state for r in resources} == {GroupState.ONLINE}
    assert {r.group for r in resources} == {"Disk Group", "RGAPM_1", "Cluster Group", "RGAPM_0"}


def test_resources_pushed_row_without_context_uses_known_groups() -> None:
    """A lone pushed row with single spaces is decided by the known group names."""
    text = (
        "Resource             Group                Node            Status\n"
        "-------------------- -------------------- --------------- ------\n"
        "Internal IP Address for SPOE Cluster Group        NODE1           Online\n"
    )
    (res,) = parse_resources(text, groups=["Cluster Group"], nodes=["NODE1"])
    assert (res.name, res.group, res.owner) == ("Internal IP Address for SPOE", "Cluster Group", "NODE1")
    # The padding after the group puts the node column where only "Cluster Group" fits, so the
    # layout wins over a misleading hint.
    (res,) = parse_resources(text, groups=["SPOE Cluster Group"])
    assert (res.name, res.group) == ("Internal IP Address for SPOE", "Cluster Group")
    # Without padding evidence (node name fills its column) only the hint can decide.
    text2 = text.replace("Cluster Group        NODE1          ", "Cluster Group        NODE1NODE1NODE1")
    text2 = text2.replace("Cluster Group        ", "Cluster Group ")
    (res,) = parse_resources(text2, groups=["SPOE Cluster Group"])
    assert (res.name, res.group, res.owner) == (
        "Internal IP Address for",
        "SPOE Cluster Group",
        "NODE1NODE1NODE1",
    )


# ---------------------------------------------------------------- synthetic printf layouts


def printf_table(titles: list[str], widths: list[int], rows: list[list[str]]) -> str:
    """cluster.exe's layout, written independently: %-Ns per column, one space, last unpadded."""

    def line(values: list[str]) -> str:
        parts = [v.ljust(w) for v, w in zip(values[:-1], widths[:-1], strict=True)]
        return " ".join([*parts, values[-1]])

    out = ["Listing status for all available resources:", ""]
    out.append(line(titles))
    out.append(" ".join("-" * w for w in widths))
    out.extend(line(r) for r in rows)
    return "\r\n".join(out) + "\r\n\r\n"


NAME_CHARS = st.sampled_from([*"abcXYZ019_-().:é漢ü$'\\", " "])
names_with_spaces = (
    st.text(NAME_CHARS, min_size=1, max_size=34).map(lambda s: " ".join(s.split())).filter(bool)
)
node_names = st.text(st.sampled_from(list("ABCNODE0123456789-")), min_size=1, max_size=15)
group_states = st.sampled_from([s for s in GroupState if s is not GroupState.UNKNOWN])


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(names_with_spaces, names_with_spaces, node_names, group_states), min_size=1, max_size=8
    )
)
def test_resources_round_trip_with_known_names(rows: list[tuple[str, str, str, GroupState]]) -> None:
    """Any names (spaces, non-ASCII, longer than the column) come back given the known groups."""
    groups = {g for _, g, _, _ in rows}
    for name, group, _, _ in rows:
        # Inherently ambiguous: another known group is a word-suffix of "name group" and the
        # name is long enough that layout cannot tell (a pushed column has a single space).
        joined = f"{name} {group}"
        for other in groups - {group}:
            if joined.endswith(" " + other) and len(joined) - len(other) - 1 >= 20:
                assume(False)
            if len(name) >= 20 and (group.startswith(other + " ") or other.endswith(" " + group)):
                assume(False)
    text = printf_table(
        ["Resource", "Group", "Node", "Status"],
        [20, 20, 15, 6],
        [[n, g, o, s.value] for n, g, o, s in rows],
    )
    parsed = parse_resources(text, groups=sorted(groups), nodes=[o for _, _, o, _ in rows])
    assert [(r.name, r.group, r.owner, r.state) for r in parsed] == list(rows)


@settings(max_examples=150)
@given(
    st.lists(
        st.tuples(names_with_spaces, st.one_of(node_names, st.just("")), group_states), min_size=1, max_size=8
    )
)
def test_groups_round_trip(rows: list[tuple[str, str, GroupState]]) -> None:
    """Group names with spaces, any state, owner a node name or empty: exact round trip, no hints."""
    text = printf_table(["Group", "Node", "Status"], [20, 15, 6], [[g, o, s.value] for g, o, s in rows])
    parsed = parse_groups(text)
    assert [(g.name, g.owner, g.state) for g in parsed] == list(rows)


@given(st.lists(st.tuples(node_names, st.integers(1, 16), st.sampled_from(list(NodeState))), max_size=6))
def test_nodes_round_trip(rows: list[tuple[str, int, NodeState]]) -> None:
    """Node rows: name padded to 15, id right-aligned in 6, status."""
    lines = [
        "Listing status for all available nodes:",
        "",
        "Node           Node ID Status",
        "-------------- ------- ---------------------",
    ]
    lines += [f"{n:<15} {i:>6} {s.value}" for n, i, s in rows]
    parsed = parse_nodes("\r\n".join(lines))
    assert [(n.name, n.node_id, n.state) for n in parsed] == list(rows)


def test_single_group_listing_and_trailing_spaces() -> None:
    """``cluster group X`` prints a quoted title; console copies pad lines with spaces."""
    text = (
        "Listing status for resource group 'EXCH CMS 1':   \n\n"
        "Group                Node            Status               \n"
        "-------------------- --------------- ------               \n"
        "EXCH CMS 1           NODE2           Partially Online      \n"
    )
    (group,) = parse_groups(text)
    assert (group.name, group.owner, group.state) == ("EXCH CMS 1", "NODE2", GroupState.PARTIALLY_ONLINE)


def test_group_without_owner() -> None:
    """An empty owner column stays empty instead of eating a word of the group name."""
    text = (
        "Group                Node            Status\n"
        "-------------------- --------------- ------\n"
        "Available Storage                    Offline\n"
    )
    (group,) = parse_groups(text)
    assert (group.name, group.owner, group.state) == ("Available Storage", "", GroupState.OFFLINE)
    assert group.is_storage


# ------------------------------------------------------------------- networks, props, quorum


def test_networks_and_interfaces_from_header() -> None:
    """Column titles are read from the header, so extra columns are mapped by name."""
    nets = parse_networks(
        "Listing status for all available networks:\r\n\r\n"
        "Network              Status\r\n"
        "-------------------- -----------\r\n"
        "Cluster Network 1    Up\r\n"
        "Private              Partitioned\r\n"
    )
    assert [(n.name, n.state) for n in nets] == [
        ("Cluster Network 1", NetworkState.UP),
        ("Private", NetworkState.PARTITIONED),
    ]
    ifaces = parse_netinterfaces(
        "Node            Network              Network Interface                Status\r\n"
        "--------------- -------------------- -------------------------------- ----------\r\n"
        "NODE1           Cluster Network 1    Local Area Connection            Up\r\n"
        "NODE2           Private              Local Area Connection 2          Unreachable\r\n"
    )
    assert [(i.node, i.network, i.name, i.state) for i in ifaces] == [
        ("NODE1", "Cluster Network 1", "Local Area Connection", InterfaceState.UP),
        ("NODE2", "Private", "Local Area Connection 2", InterfaceState.UNREACHABLE),
    ]


def test_properties_listing() -> None:
    """``T  Resource  Name  Value`` rows, owner from the title, values kept as printed."""
    text = (
        "Listing private properties for 'File Share Witness (\\\\HUB1\\FSW_EXCH1)':\r\n\r\n"
        "T  Resource             Name                           Value\r\n"
        "-- -------------------- ------------------------------ -----------------------\r\n"
        "S  File Share Witness (\\\\HUB1\\FSW_EXCH1) SharePath                      \\\\HUB1\\FSW_EXCH1\r\n"
        "D  File Share Witness (\\\\HUB1\\FSW_EXCH1) ArbitrationDelay               6 (0x6)\r\n"
        "SR File Share Witness (\\\\HUB1\\FSW_EXCH1) Description\r\n"
    )
    props = parse_properties(text)
    assert [(p.owner, p.name, p.value, p.type_code) for p in props] == [
        ("File Share Witness (\\\\HUB1\\FSW_EXCH1)", "SharePath", "\\\\HUB1\\FSW_EXCH1", "S"),
        ("File Share Witness (\\\\HUB1\\FSW_EXCH1)", "ArbitrationDelay", "6 (0x6)", "D"),
        ("File Share Witness (\\\\HUB1\\FSW_EXCH1)", "Description", "", "SR"),
    ]
    assert props[1].int_value == 6
    assert props[2].read_only and props[0].private


def test_quorum_table_and_key_value() -> None:
    """Both plausible shapes of `cluster /quorum` give the same Quorum."""
    table = (
        "Quorum Resource Name                   Path                 Quorum Type\r\n"
        "-------------------------------------- -------------------- ------------------------------\r\n"
        "File Share Witness (\\\\HUB1\\FSW_EXCH1)  \\\\HUB1\\FSW_EXCH1     Node and File Share Majority\r\n"
    )
    witness = Resource("File Share Witness (\\\\HUB1\\FSW_EXCH1)", GroupState.FAILED, "Cluster Group")
    q = parse_quorum(table, resources=[witness])
    assert q.resource == witness.name
    assert q.path == "\\\\HUB1\\FSW_EXCH1"
    assert q.model == "Node and File Share Majority"
    assert q.witness_state is GroupState.FAILED
    kv = parse_quorum(
        "Quorum Type: Node and File Share Majority\r\n"
        "Quorum Resource: File Share Witness (\\\\HUB1\\FSW_EXCH1)\r\n"
    )
    assert (kv.model, kv.resource) == (q.model, q.resource)


# -------------------------------------------------------------------------------- fuzzing


PARSERS = [
    parse_nodes,
    parse_owners,
    parse_groups,
    parse_resources,
    parse_networks,
    parse_netinterfaces,
    parse_properties,
    parse_quorum,
]


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400), st.sampled_from(PARSERS))
def test_fuzz_only_parse_or_cluster_errors(text: str, parser: object) -> None:
    """Garbage never raises anything but ParseError or ClusterExeError."""
    try:
        parser(text)  # type: ignore[operator]
    except (ParseError, ClusterExeError):
        pass


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzz_mutated_samples(reference: Path, data: st.DataObject) -> None:
    """Real samples with random lines replaced or inserted: ParseError names a real line."""
    name = data.draw(st.sampled_from(["cluster-node.txt", "cluster-res.txt", "cluster-group.txt"]))
    lines = sample(reference, name).split("\r\n" if name != "cluster-group.txt" else "\n")
    index = data.draw(st.integers(0, len(lines) - 1))
    lines[index] = data.draw(st.text(st.sampled_from(list("ab -\tOnline1")), max_size=40))
    text = "\r\n".join(lines)
    parsers: dict[str, Callable[[str], object]] = {
        "cluster-node.txt": parse_nodes,
        "cluster-res.txt": parse_resources,
        "cluster-group.txt": parse_groups,
    }
    parser = parsers[name]
    try:
        parser(text)
    except ParseError as exc:
        if exc.line_no:
            assert text.splitlines()[exc.line_no - 1].rstrip() == exc.line.rstrip() or exc.line == ""
    except ClusterExeError:
        pytest.fail("no system error in the input")


def test_garbage_names_the_line() -> None:
    """A row that fits no layout is reported with its line number and text."""
    text = "Node           Node ID Status\n-------------- ------- ------\nBJMSAPG1A  x\n"
    with pytest.raises(ParseError) as info:
        parse_nodes(text)
    assert info.value.line_no == 3
    assert info.value.line == "BJMSAPG1A  x"
    with pytest.raises(ParseError) as info:
        parse_groups("hello\nworld\n")
    assert info.value.line_no == 1
    with pytest.raises(ParseError):
        parse_nodes(b"bytes")  # type: ignore[arg-type]


def test_listing_pasted_into_a_script_comment() -> None:
    """A listing pasted into a Perl/shell comment: every line carries '# ' (blank ones just '#')."""
    text = (
        "# C:\\> cluster dv02db node\n"
        "# Listing status for all available nodes:\n"
        "#\n"
        "# Node           Node ID Status\n"
        "# -------------- ------- ---------------------\n"
        "# DV02DB1              1 Up\n"
        "# DV02DB2              2 Up\n"
        "# DV02DB3              3 Paused\n"
        "# DV02DB4              4 Down\n"
        "#\n"
    )
    nodes = parse_nodes(text)
    assert [(n.name, n.node_id, n.state) for n in nodes] == [
        ("DV02DB1", 1, NodeState.UP),
        ("DV02DB2", 2, NodeState.UP),
        ("DV02DB3", 3, NodeState.PAUSED),
        ("DV02DB4", 4, NodeState.DOWN),
    ]


def test_console_selection_padding_and_pushed_sql_row() -> None:
    """Rows padded with blanks to the selection width; a name pushing later columns right."""
    width = 79
    rows = [
        "Listing status for all available resources:",
        "",
        "Resource             Group                Node            Status",
        "-------------------- -------------------- --------------- ------",
        "SQL Network Name (RVT1DB1) RVT1DB1              RST1DB2         Online",
        "SQL IP Address 1 (RVT1DB1) RVT1DB1              RST1DB2         Offline Pending",
        "Disk S:              RVT1DB1              RST1DB2         Failed",
    ]
    text = "\r\n".join(r.ljust(width) for r in rows)
    resources = parse_resources(text)
    assert [(r.name, r.group, r.owner, r.state) for r in resources] == [
        ("SQL Network Name (RVT1DB1)", "RVT1DB1", "RST1DB2", GroupState.ONLINE),
        ("SQL IP Address 1 (RVT1DB1)", "RVT1DB1", "RST1DB2", GroupState.OFFLINE_PENDING),
        ("Disk S:", "RVT1DB1", "RST1DB2", GroupState.FAILED),
    ]


def test_properties_multi_string_continuation_and_group_owner() -> None:
    """A multi-string value continues on indented lines; owners come from layout without a title."""
    text = (
        "T  Group                Name                           Value\r\n"
        "-- -------------------- ------------------------------ -----------------------\r\n"
        "SR Cluster Group        Name                           Cluster Group\r\n"
        "M  Cluster Group        PreferredOwners                EXNODE1\r\n"
        "                                                       EXNODE2\r\n"
        "D  Cluster Group        FailoverThreshold              4294967295 (0xffffffff)\r\n"
    )
    props = parse_properties(text)
    assert [(p.owner, p.name, p.value) for p in props] == [
        ("Cluster Group", "Name", "Cluster Group"),
        ("Cluster Group", "PreferredOwners", "EXNODE1\nEXNODE2"),
        ("Cluster Group", "FailoverThreshold", "4294967295 (0xffffffff)"),
    ]
    assert props[2].int_value == 4294967295
    assert not props[1].private


def test_system_error_through_powershell_out_string() -> None:
    """PowerShell 2.0 wraps native stderr: 'cluster.exe : ' prefix and At line / + decoration."""
    text = (
        "cluster.exe : System error 5042 has occurred (0x000013b2).\r\n"
        "At line:1 char:14\r\n"
        "+ & cluster.exe <<<<  node NOPE 2>&1 | Out-String\r\n"
        "    + CategoryInfo          : NotSpecified: (System error 5042 has occurred (0 \r\n"
        "   x000013b2).:String) [], RemoteException\r\n"
        "    + FullyQualifiedErrorId : NativeCommandError\r\n"
        " \r\n\r\nThe cluster node was not found.\r\n\r\n"
    )
    with pytest.raises(ClusterExeError) as info:
        parse_nodes(text)
    assert (info.value.code, info.value.message) == (5042, "The cluster node was not found.")
    assert find_system_error("nothing wrong here\r\n") is None


def test_quorum_classic_message_table_layout() -> None:
    """The WS2003 message-table layout (resource, device, max log size); Node Majority is empty."""
    text = (
        "Quorum Resource Name Device                                   Max Log Size\r\n"
        "-------------------- ---------------------------------------- ------------\r\n"
        "File Share Witness (\\\\HUB1\\FSW_EXCH1) \\\\HUB1\\FSW_EXCH1                        4096\r\n"
    )
    q = parse_quorum(text)
    assert (q.resource, q.path, q.model) == (
        "File Share Witness (\\\\HUB1\\FSW_EXCH1)",
        "\\\\HUB1\\FSW_EXCH1",
        "Node and File Share Majority",
    )
    majority = [*text.splitlines()[:2], " " * 20 + " " + " " * 40 + " 4096"]
    q = parse_quorum("\r\n".join(majority))
    assert (q.resource, q.path, q.model) == ("", "", "Node Majority")


def test_listowners() -> None:
    """Preferred owners in order, from the one-column listing."""
    text = (
        "Listing preferred owners for resource group 'EXCH1':\r\n\r\n"
        "Preferred Owner Nodes\r\n---------------------\r\nEXNODE2\r\nEXNODE1\r\n"
    )
    assert parse_owners(text) == ["EXNODE2", "EXNODE1"]
    assert parse_owners("Possible Owner Nodes\n--------------------\n") == []


def host_wrap(text: str, width: int = 80) -> str:
    """PowerShell 2.0's console host: every line longer than `width` is broken into pieces."""
    out = []
    for line in text.split("\r\n"):
        while len(line) > width:
            out.append(line[:width])
            line = line[width:]
        out.append(line)
    return "\r\n".join(out)


def test_rows_broken_at_80_columns_are_joined() -> None:
    """Wrapped tails (a short fragment or a blank-led piece) rejoin their row; 80-wide rows stay."""
    rows = [
        ("Cluster Name", "Cluster Group", "EXNODE1", "Online"),
        ("File Share Witness (\\\\HUB1\\FSW_EXCH1)", "Cluster Group", "EXNODE1", "Online"),
        ("Exchange System Attendant Instance (EXCH1)", "EXCH1", "EXNODE1", "Online"),
        ("Exchange Information Store Instance (EXCH1)", "EXCH1", "EXNODE1", "Partially Online"),
        ("Second Storage Group/Executives (EXCH1)", "EXCH1", "EXNODE1", "Offline Pending"),
        ("A" * 36, "EXCH1", "EXNODE1", "Online"),  # exactly 80 wide: not joined with the next row
        ("Network Name (EXCH1)", "EXCH1", "EXNODE1", "Online"),
    ]
    text = printf_table(["Resource", "Group", "Node", "Status"], [20, 20, 15, 6], [list(r) for r in rows])
    assert any(len(line) == 80 for line in text.split("\r\n"))
    parsed = parse_resources(host_wrap(text))
    assert [(r.name, r.group, r.owner, r.state.value) for r in parsed] == rows


def test_long_error_message_broken_at_80_columns() -> None:
    """A Win32 message the PowerShell host broke mid-word is joined back without a blank."""
    message = (
        "The cluster resource could not be brought online by the resource monitor because the "
        "resource is not in a state in which it can come online."
    )
    text = host_wrap(
        "cluster.exe : System error 5023 has occurred (0x0000139f).\r\n"
        "At line:1 char:14\r\n"
        "+ & cluster.exe <<<<  res X /online 2>&1 | Out-String\r\n"
        " \r\n\r\n" + message + "\r\n\r\n"
    )
    error = find_system_error(text)
    assert error is not None
    assert (error.code, error.message) == (5023, message)
