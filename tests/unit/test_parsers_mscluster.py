"""The root\\MSCluster parser: names that broke the cluster.exe table parser come through exactly;
inconsistent provider answers are errors, never a guess."""

from __future__ import annotations

from xml.sax.saxutils import escape

import pytest

from ccrgui.domain.model import GroupState, InterfaceState, NetworkState, NodeState, Resource
from ccrgui.remote.parsers import ParseError, parse_object_path, parse_quorum, parse_wmi_cluster
from ccrgui.remote.parsers.mscluster import WMI_CLASSES


def _xml(objects: list[dict[str, str]]) -> str:
    out = ['<?xml version="1.0"?>', "<Objects>"]
    for obj in objects:
        out.append('  <Object Type="System.Management.Automation.PSCustomObject">')
        for k, v in obj.items():
            kind = "System.UInt32" if k in ("State", "Role") else "System.String"
            out.append(f'    <Property Name="{k}" Type="{kind}">{escape(v)}</Property>')
        out.append("  </Object>")
    out.append("</Objects>")
    return "\n".join(out)


def _key(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _path(cls: str, name: str) -> str:
    return f"\\\\EXNODE1\\root\\MSCluster:{cls}.Name={_key(name)}"


def _texts(
    groups: dict[str, list[str]], owner: str = "EXNODE1", preferred: dict[str, list[str]] | None = None
) -> dict[str, str]:
    """Provider answers for two nodes and `groups` (name -> resource names), all on `owner`;
    `preferred`: group -> preferred owners, in the order the provider lists them."""
    links = [
        {
            "GroupComponent": _path("MSCluster_ResourceGroup", g),
            "PartComponent": _path("MSCluster_Resource", r),
        }
        for g, rs in groups.items()
        for r in rs
    ]
    return {
        "wnodes": _xml([{"Name": "EXNODE1", "State": "0"}, {"Name": "EXNODE2", "State": "2"}]),
        "wgroups": _xml([{"Name": g, "State": "0"} for g in groups]),
        "wres": _xml(
            [{"Name": r, "State": "2", "Type": "Generic Service"} for rs in groups.values() for r in rs]
        ),
        "wnets": _xml(
            [
                {
                    "Name": "Public",
                    "State": "3",
                    "Role": "3",
                    "Address": "10.0.0.0",
                    "AddressMask": "255.255.255.0",
                }
            ]
        ),
        "wnifs": _xml(
            [
                {
                    "Name": "EXNODE1 - Public",
                    "Node": "EXNODE1",
                    "Network": "Public",
                    "State": "3",
                    "Adapter": "Intel",
                    "Address": "10.0.0.11",
                }
            ]
        ),
        "wmembers": _xml(links),
        "wgroupowners": _xml(
            [
                {
                    "GroupComponent": _path("MSCluster_Node", owner),
                    "PartComponent": _path("MSCluster_ResourceGroup", g),
                }
                for g in groups
            ]
        ),
        "wprefowners": _xml(
            [
                {
                    "GroupComponent": _path("MSCluster_ResourceGroup", g),
                    "PartComponent": _path("MSCluster_Node", n),
                }
                for g, nodes in (preferred or {}).items()
                for n in nodes
            ]
        ),
    }


# The shapes of issue 10 item 3 that broke `cluster group` / `cluster res` listings.
SHAPES = {
    "C:\\Windows>": ["C:\\Windows> res"],
    "PS C:\\>": ["PS C:\\> res"],
    "\\\\srv\\share>": ["\\\\srv\\share> res"],
    "System error 5 has occurred.": ["Access is denied."],
    "Forged\nCluster Group          EXNODE2   Online": ["Forged\nres"],
    "Web ": ["Web  res "],
    "Web": ["Web res"],
    "G" + " word" * 24: ["R" + " longer word" * 11 + "x" * 6],
}


def test_issue_shapes_come_through_exactly() -> None:
    got = parse_wmi_cluster(_texts(SHAPES))
    assert [g.name for g in got.groups] == list(SHAPES)
    assert all(g.owner == "EXNODE1" and g.state is GroupState.ONLINE for g in got.groups)
    for group, members in SHAPES.items():
        assert [(r.name, r.group) for r in got.resources if r.group == group] == [(m, group) for m in members]
    assert [n.state for n in got.nodes] == [NodeState.UP, NodeState.PAUSED]
    assert got.networks[0].role == "Internal and client use" and got.networks[0].state is NetworkState.UP
    assert got.interfaces[0].state is InterfaceState.UP and got.interfaces[0].node == "EXNODE1"


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("0", GroupState.ONLINE),
        ("3", GroupState.PARTIALLY_ONLINE),
        ("4", GroupState.PENDING),
        ("4294967295", GroupState.UNKNOWN),
        ("-1", GroupState.UNKNOWN),
    ],
)
def test_group_states(state: str, expected: GroupState) -> None:
    texts = _texts({"G": ["R"]})
    texts["wgroups"] = _xml([{"Name": "G", "State": state}])
    assert parse_wmi_cluster(texts).groups[0].state is expected


def test_object_path_escapes() -> None:
    assert parse_object_path(_path("MSCluster_Resource", 'a "q" \\\\x\\')) == (
        "MSCluster_Resource",
        'a "q" \\\\x\\',
    )
    assert parse_object_path('MSCluster_Node.Name="N1"') == ("MSCluster_Node", "N1")
    for bad in ('MSCluster_Node.Name="a"b"', 'MSCluster_Node.Name="a\\n"', "MSCluster_Node.Name=N1", ""):
        with pytest.raises(ParseError):
            parse_object_path(bad)


@pytest.mark.parametrize(
    "damage",
    [
        "duplicate group",
        "member of two groups",
        "unknown member",
        "owner not a node",
        "missing read",
        "state not a number",
        "wrong association classes",
        "not xml",
    ],
)
def test_inconsistent_answers_are_errors(damage: str) -> None:
    texts = _texts({"G": ["R"], "H": ["S"]})
    if damage == "duplicate group":
        texts["wgroups"] = _xml(
            [{"Name": "G", "State": "0"}, {"Name": "G", "State": "0"}, {"Name": "H", "State": "0"}]
        )
    elif damage == "member of two groups":
        texts["wmembers"] = _xml(
            [
                {
                    "GroupComponent": _path("MSCluster_ResourceGroup", "G"),
                    "PartComponent": _path("MSCluster_Resource", "R"),
                },
                {
                    "GroupComponent": _path("MSCluster_ResourceGroup", "H"),
                    "PartComponent": _path("MSCluster_Resource", "R"),
                },
            ]
        )
    elif damage == "unknown member":
        texts["wmembers"] = _xml(
            [
                {
                    "GroupComponent": _path("MSCluster_ResourceGroup", "G "),
                    "PartComponent": _path("MSCluster_Resource", "R"),
                }
            ]
        )
    elif damage == "owner not a node":
        texts["wgroupowners"] = _xml(
            [
                {
                    "GroupComponent": _path("MSCluster_Node", "EXNODE9"),
                    "PartComponent": _path("MSCluster_ResourceGroup", "G"),
                }
            ]
        )
    elif damage == "missing read":
        del texts["wgroupowners"]
    elif damage == "state not a number":
        texts["wgroups"] = _xml([{"Name": "G", "State": "Online"}, {"Name": "H", "State": "0"}])
    elif damage == "wrong association classes":
        texts["wmembers"] = _xml(
            [
                {
                    "GroupComponent": _path("MSCluster_Node", "EXNODE1"),
                    "PartComponent": _path("MSCluster_Resource", "R"),
                }
            ]
        )
    else:
        texts["wnodes"] = "System error 5 has occurred.\r\n\r\nAccess is denied.\r\n"
    with pytest.raises(ParseError):
        parse_wmi_cluster(texts)


def test_every_read_is_a_provider_class() -> None:
    assert set(WMI_CLASSES.values()) == {
        "MSCluster_Node",
        "MSCluster_ResourceGroup",
        "MSCluster_Resource",
        "MSCluster_Network",
        "MSCluster_NetworkInterface",
        "MSCluster_ResourceGroupToResource",
        "MSCluster_NodeToActiveGroup",
        "MSCluster_ResourceGroupToPreferredNode",
    }


def test_preferred_owners_keep_the_providers_order_per_group() -> None:
    groups = {"Cluster Group": ["Cluster Name"], "EXCH1": ["EXCH1 IP"], "FS": ["FS share"]}
    texts = _texts(groups, preferred={"EXCH1": ["EXNODE2", "EXNODE1"], "Cluster Group": ["EXNODE1"]})
    got = {g.name: g.preferred_owners for g in parse_wmi_cluster(texts).groups}
    assert got == {"Cluster Group": ("EXNODE1",), "EXCH1": ("EXNODE2", "EXNODE1"), "FS": ()}


# `Get-WmiObject ... MSCluster_ResourceGroup | Select-Object Name,State,FailoverThreshold,...
# | ConvertTo-Xml -As String` in ConvertTo-Xml's layout (the .NET types of the WMI values:
# uint32 -> System.UInt32, sint32 -> System.Int32).
GROUPS_WITH_POLICY = """<?xml version="1.0"?>
<Objects>
  <Object Type="System.Management.Automation.PSCustomObject">
    <Property Name="Name" Type="System.String">Cluster Group</Property>
    <Property Name="State" Type="System.UInt32">0</Property>
    <Property Name="FailoverThreshold" Type="System.UInt32">4294967295</Property>
    <Property Name="FailoverPeriod" Type="System.UInt32">6</Property>
    <Property Name="AutoFailbackType" Type="System.UInt32">0</Property>
    <Property Name="FailbackWindowStart" Type="System.Int32">-1</Property>
    <Property Name="FailbackWindowEnd" Type="System.Int32">-1</Property>
  </Object>
  <Object Type="System.Management.Automation.PSCustomObject">
    <Property Name="Name" Type="System.String">EXCH1</Property>
    <Property Name="State" Type="System.UInt32">0</Property>
    <Property Name="FailoverThreshold" Type="System.UInt32">3</Property>
    <Property Name="FailoverPeriod" Type="System.UInt32">2</Property>
    <Property Name="AutoFailbackType" Type="System.UInt32">1</Property>
    <Property Name="FailbackWindowStart" Type="System.Int32">22</Property>
    <Property Name="FailbackWindowEnd" Type="System.Int32">4</Property>
  </Object>
  <Object Type="System.Management.Automation.PSCustomObject">
    <Property Name="Name" Type="System.String">FS</Property>
    <Property Name="State" Type="System.UInt32">1</Property>
    <Property Name="FailoverThreshold" Type="System.UInt32">10</Property>
    <Property Name="FailoverPeriod" Type="System.UInt32">6</Property>
    <Property Name="AutoFailbackType" Type="System.UInt32">1</Property>
    <Property Name="FailbackWindowStart" Type="System.UInt32">4294967295</Property>
    <Property Name="FailbackWindowEnd" Type="System.UInt32">4294967295</Property>
  </Object>
</Objects>"""


def test_group_policies_come_from_the_group_properties_and_preferred_owners() -> None:
    from ccrgui.domain.maintenance import NO_WINDOW, FailbackMode, GroupFailoverPolicy

    groups = {"Cluster Group": ["Cluster Name"], "EXCH1": ["EXCH1 IP"], "FS": ["FS share"]}
    texts = _texts(groups, preferred={"EXCH1": ["EXNODE2", "EXNODE1"]})
    texts["wgroups"] = GROUPS_WITH_POLICY
    got = {p.group: p for p in parse_wmi_cluster(texts).policies}
    assert got == {
        "Cluster Group": GroupFailoverPolicy("Cluster Group", (), 0xFFFFFFFF, 6, False, NO_WINDOW, NO_WINDOW),
        "EXCH1": GroupFailoverPolicy("EXCH1", ("EXNODE2", "EXNODE1"), 3, 2, True, 22, 4),
        "FS": GroupFailoverPolicy("FS", (), 10, 6, True, NO_WINDOW, NO_WINDOW),
    }
    assert [got[g].failback_mode for g in groups] == [
        FailbackMode.PREVENT,
        FailbackMode.WINDOW,
        FailbackMode.IMMEDIATELY,
    ]


def test_group_without_policy_properties_has_no_policy_and_bad_values_are_errors() -> None:
    texts = _texts({"Cluster Group": ["Cluster Name"], "EXCH1": ["EXCH1 IP"], "FS": ["FS share"]})
    texts["wgroups"] = GROUPS_WITH_POLICY.replace(
        '    <Property Name="FailoverPeriod" Type="System.UInt32">2</Property>\n', ""
    )
    got = parse_wmi_cluster(texts)
    assert [p.group for p in got.policies] == ["Cluster Group", "FS"]  # EXCH1 lacks FailoverPeriod
    assert [g.name for g in got.groups] == ["Cluster Group", "EXCH1", "FS"]
    for bad in ("three", "-2", "4294967296"):
        texts["wgroups"] = GROUPS_WITH_POLICY.replace(">3</Property>", f">{bad}</Property>")
        with pytest.raises(ParseError, match=r"EXCH1.*FailoverThreshold"):
            parse_wmi_cluster(texts)


@pytest.mark.parametrize(
    "preferred",
    [
        {"EXCH1": ["EXNODE9"]},  # not a node of the cluster
        {"Gone": ["EXNODE1"]},  # not a group of the cluster
        {"EXCH1": ["EXNODE1", "EXNODE1"]},  # the same node twice
    ],
)
def test_inconsistent_preferred_owners_are_an_error(preferred: dict[str, list[str]]) -> None:
    with pytest.raises(ParseError, match="MSCluster_ResourceGroupToPreferredNode"):
        parse_wmi_cluster(_texts({"EXCH1": ["EXCH1 IP"]}, preferred=preferred))


QUORUM = (
    "Quorum Resource Name Device                                   Max Log Size\r\n"
    "-------------------- ---------------------------------------- ------------\r\n"
    "{row}\r\n"
)


def test_quorum_row_is_read_against_exact_resource_names() -> None:
    witness = "File Share Witness (\\\\HUB1\\FSW_EXCH1)"
    text = QUORUM.format(row=f"{witness} \\\\HUB1\\FSW_EXCH1                         4096")
    q = parse_quorum(text, [Resource(witness, GroupState.ONLINE, "Cluster Group")])
    assert (q.resource, q.path, q.witness_state) == (witness, "\\\\HUB1\\FSW_EXCH1", GroupState.ONLINE)


@pytest.mark.parametrize(
    "names",
    [
        ["Web", "Web witness"],  # the row starts with two known names
        ["Other"],  # the row names no known resource
    ],
)
def test_ambiguous_quorum_row_is_an_error(names: list[str]) -> None:
    text = QUORUM.format(row="Web witness \\\\srv\\share                         4096")
    with pytest.raises(ParseError, match="ambiguous"):
        parse_quorum(text, [Resource(n, GroupState.ONLINE, "G") for n in names])


def test_empty_answers_are_no_objects() -> None:
    texts = _texts({"Empty group": []})
    assert texts["wmembers"].endswith("<Objects>\n</Objects>")
    texts["wres"] = '<?xml version="1.0"?>\r\n<Objects />'
    got = parse_wmi_cluster(texts)
    assert [g.name for g in got.groups] == ["Empty group"] and got.resources == []
    texts["wres"] = ""
    assert parse_wmi_cluster(texts).resources == []
