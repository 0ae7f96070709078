"""Parsers on variants of real Windows output that the reference samples do not show.

Every listing here is built with cluster.exe's own printf layout (``%-20s %-15s %s``), so long
names push later columns right exactly as on a real console; then it is dressed as a capture
would be: prompts around it, LF-only or CRLF, a UTF-8 BOM, non-ASCII names, names equal to state
words.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ccrgui.domain.model import CmsState, CopyStatus, EventLevel, GroupState, Node, NodeState
from ccrgui.remote.parsers import ClusterExeError, parse_groups, parse_nodes, parse_resources
from ccrgui.remote.parsers.ems import (
    parse_cms_status,
    parse_copy_status,
    parse_exchange_servers,
    parse_format_list,
    parse_format_table,
)
from ccrgui.remote.parsers.events import EventParseError, parse_events

NODE_ROWS = [
    ("EXCCR-N1", 1, "Up"),
    ("EXCCR-N2", 2, "Down"),
    ("EXCCR-N3", 3, "Paused"),
    ("EXCCR-N4", 4, "Joining"),
    ("EXCCR-N10", 10, "Up"),
    ("ÉCLAIR-Ü", 11, "Up"),
    ("节点七", 12, "Down"),
    ("EXCHANGENODE015", 13, "Up"),  # 15 characters: overflows the 14-wide column
]
GROUP_ROWS = [
    ("Cluster Group", "EXCCR-N1", "Online"),
    ("Available Storage", "EXCCR-N2", "Offline"),
    ("EXCMS1", "EXCCR-N1", "Partially Online"),
    ("My Very Long Group Name With Spaces", "EXCCR-N3", "Failed"),
    ("Online", "EXCCR-N10", "Online"),
    ("Offline Pending Grp", "EXCCR-N1", "Offline Pending"),
    ("CMS Müller é", "ÉCLAIR-Ü", "Online Pending"),
    ("邮件组", "EXCHANGENODE015", "Online"),
]
RESOURCE_ROWS = [
    ("Cluster IP Address", "Cluster Group", "EXCCR-N1", "Online"),
    ("Exchange Information Store Instance (EXCMS1)", "EXCMS1", "EXCCR-N1", "Online"),
    ("Network Name (EXCMS1)", "EXCMS1", "EXCCR-N1", "Failed"),
    ("Disk Q:", "Available Storage", "EXCCR-N2", "Offline"),
    ("Online", "Online", "EXCCR-N10", "Online Pending"),
    ("É résumé ü", "CMS Müller é", "ÉCLAIR-Ü", "Offline Pending"),
    ("IP Address 10.0.0.5", "My Very Long Group Name With Spaces", "EXCCR-N3", "Failed"),
    ("Offline", "邮件组", "EXCHANGENODE015", "Online"),
]


def node_listing(rows: list[tuple[str, int, str]]) -> list[str]:
    lines = ["Node           Node ID Status", "-------------- ------- ---------------------"]
    return lines + [f"{name:<14} {ident:>7} {state}" for name, ident, state in rows]


def group_listing(rows: list[tuple[str, str, str]]) -> list[str]:
    lines = ["Group                Node            Status", "-------------------- --------------- ------"]
    return lines + [f"{name:<20} {node:<15} {state}" for name, node, state in rows]


def resource_listing(rows: list[tuple[str, str, str, str]]) -> list[str]:
    lines = [
        "Resource             Group                Node            Status",
        "-------------------- -------------------- --------------- ------",
    ]
    return lines + [f"{name:<20} {group:<20} {node:<15} {state}" for name, group, node, state in rows]


def capture(command: str, title: str, body: list[str], *, newline: str, bom: bool) -> str:
    """A console capture: prompt and command, title, blank, listing, blank, trailing prompt."""
    lines = [f"C:\\>{command}", title, "", *body, "", "C:\\>"]
    return ("\ufeff" if bom else "") + newline.join(lines)


DRESSES = [("\r\n", False), ("\n", False), ("\r\n", True), ("\n", True)]


@pytest.mark.parametrize(("newline", "bom"), DRESSES)
def test_nodes_in_every_state_with_two_digit_ids(newline: str, bom: bool) -> None:
    text = capture(
        "cluster node",
        "Listing status for all available nodes:",
        node_listing(NODE_ROWS),
        newline=newline,
        bom=bom,
    )
    nodes = parse_nodes(text)
    assert [(n.name, n.node_id, n.state.value) for n in nodes] == NODE_ROWS
    assert nodes[3].state is NodeState.JOINING


@pytest.mark.parametrize(("newline", "bom"), DRESSES)
def test_groups_with_long_and_state_word_names(newline: str, bom: bool) -> None:
    text = capture(
        "cluster group",
        "Listing status for all available resource groups:",
        group_listing(GROUP_ROWS),
        newline=newline,
        bom=bom,
    )
    assert [(g.name, g.owner, g.state.value) for g in parse_groups(text)] == GROUP_ROWS
    known = [Node(name=n, state=NodeState.UP, node_id=i) for n, i, _ in NODE_ROWS]
    groups = parse_groups(text, known)
    assert [(g.name, g.owner, g.state.value) for g in groups] == GROUP_ROWS
    assert groups[2].state is GroupState.PARTIALLY_ONLINE


@pytest.mark.parametrize(("newline", "bom"), DRESSES)
def test_resources_with_names_pushing_columns(newline: str, bom: bool) -> None:
    text = capture(
        "cluster res",
        "Listing status for all available resources:",
        resource_listing(RESOURCE_ROWS),
        newline=newline,
        bom=bom,
    )
    groups = parse_groups("\r\n".join(group_listing(GROUP_ROWS)))
    got = parse_resources(text, groups)
    assert [(r.name, r.group, r.owner, r.state.value) for r in got] == RESOURCE_ROWS


def test_bom_right_before_a_bare_header() -> None:
    """A capture saved with a BOM whose first line is the header itself (no title, no prompt)."""
    text = "\ufeff" + "\r\n".join(node_listing(NODE_ROWS[:2])) + "\r\n"
    assert [n.name for n in parse_nodes(text)] == ["EXCCR-N1", "EXCCR-N2"]
    text = "\ufeff" + "\n".join(group_listing(GROUP_ROWS[4:5])) + "\n"
    assert [(g.name, g.owner, g.state) for g in parse_groups(text)] == [
        ("Online", "EXCCR-N10", GroupState.ONLINE)
    ]


def test_one_group_status_listing() -> None:
    text = capture(
        'cluster group "Cluster Group" /stat',
        "Listing status for resource group 'Cluster Group':",
        group_listing(GROUP_ROWS[:1]),
        newline="\r\n",
        bom=False,
    )
    assert [(g.name, g.owner, g.state) for g in parse_groups(text)] == [
        ("Cluster Group", "EXCCR-N1", GroupState.ONLINE)
    ]


@pytest.mark.parametrize("with_prompts", [False, True])
def test_missing_node_is_system_error_5042(with_prompts: bool) -> None:
    body = "System error 5042 has occurred (0x000013b2).\r\nThe cluster node was not found.\r\n\r\n"
    text = f"C:\\>cluster node NONODE\r\n{body}C:\\>" if with_prompts else "\r\n" + body
    with pytest.raises(ClusterExeError) as info:
        parse_nodes(text)
    assert info.value.code == 5042
    assert "The cluster node was not found." in str(info.value)


# ---------------------------------------------------------------- EMS: ConvertTo-Xml variants

CMS_TYPED = """<?xml version="1.0"?>
<Objects>
  <Object Type="Microsoft.Exchange.Management.SystemConfigurationTasks.ClusteredMailboxServerStatus">
    <Property Name="Identity" Type="Microsoft.Exchange.Data.Directory.ADObjectId">EXCMS Ü</Property>
    <Property Name="ClusteredMailboxServerName" Type="System.String">EXCMS Ü.contoso.com</Property>
    <Property Name="State" Type="{state_type}">{state}</Property>
    <Property Name="OperationalMachines" Type="System.String[]">
      <Property Type="System.String">NŒUD-1 &lt;Active, Quorum Owner&gt;</Property>
      <Property Type="System.String">节点2</Property>
    </Property>
    <Property Name="FailedResources" Type="System.String[]" />
    <Property Name="OperationalReplicationHostNames" Type="System.String[]" />
    <Property Name="FailedReplicationHostNames" />
    <Property Name="InUseReplicationHostNames" Type="System.String[]">
      <Property Type="System.String">NŒUD-1</Property>
    </Property>
    <Property Name="IsValid" Type="System.Boolean">True</Property>
  </Object>
</Objects>"""


@pytest.mark.parametrize(
    ("printed", "state"),
    [
        ("Online", CmsState.ONLINE),
        ("PartiallyOnline", CmsState.PARTIALLY_ONLINE),  # the .NET enum name ConvertTo-Xml writes
        ("Partially Online", CmsState.PARTIALLY_ONLINE),
        ("OfflinePending", CmsState.OFFLINE_PENDING),
        ("OnlinePending", CmsState.ONLINE_PENDING),
        ("Failed", CmsState.FAILED),
        ("Bogus", CmsState.UNKNOWN),
    ],
)
def test_cms_status_typed_xml(printed: str, state: CmsState) -> None:
    state_type = "Microsoft.Exchange.Management.SystemConfigurationTasks.ClusteredMailboxServerState"
    xml = CMS_TYPED.replace("{state_type}", state_type).replace("{state}", printed)
    status = parse_cms_status("\ufeff" + xml)
    assert status.state is state
    assert status.operational_machines == ("NŒUD-1 <Active, Quorum Owner>", "节点2")
    assert status.active_node == "NŒUD-1"
    assert status.failed_resources == () and status.failed_replication_hosts == ()
    assert status.in_use_replication_hosts == ("NŒUD-1",)


def test_cms_status_without_types() -> None:
    """``ConvertTo-Xml -NoTypeInformation``: no Type attributes; an empty collection is bare."""
    xml = (
        '<?xml version="1.0"?>\n<Objects>\n  <Object>\n'
        '    <Property Name="Identity">EXCMS1</Property>\n'
        '    <Property Name="State">Offline</Property>\n'
        '    <Property Name="OperationalMachines">\n'
        "      <Property>N1</Property>\n      <Property>N2 &lt;Active&gt;</Property>\n"
        "    </Property>\n"
        '    <Property Name="FailedResources" />\n'
        "  </Object>\n</Objects>"
    )
    status = parse_cms_status(xml)
    assert (status.name, status.state, status.active_node) == ("EXCMS1", CmsState.OFFLINE, "N2")
    assert status.failed_resources == ()


@pytest.mark.parametrize(
    "xml", ['<?xml version="1.0"?>\n<Objects />', '<?xml version="1.0"?>\r\n<Objects>\r\n</Objects>']
)
def test_no_copies_is_an_empty_list(xml: str) -> None:
    assert parse_copy_status(xml) == []


def test_copy_status_null_properties() -> None:
    xml = (
        '<?xml version="1.0"?>\n<Objects>\n  <Object Type="System.Management.Automation.PSCustomObject">\n'
        '    <Property Name="Identity" Type="System.String">EXCMS1\\Storage Groupé 2</Property>\n'
        '    <Property Name="StorageGroupName" Type="System.String">Storage Groupé 2</Property>\n'
        '    <Property Name="SummaryCopyStatus" Type="Microsoft.Exchange.Management.SystemConfigurationTasks'
        '.CopyStatus">Suspended</Property>\n'
        '    <Property Name="CopyQueueLength" Type="System.Int64">12</Property>\n'
        '    <Property Name="ReplayQueueLength" />\n'
        '    <Property Name="LastInspectedLogTime" />\n'
        '    <Property Name="Suspend" Type="System.Boolean">True</Property>\n'
        '    <Property Name="SuspendComment" Type="System.String" />\n'
        "  </Object>\n</Objects>"
    )
    (copy,) = parse_copy_status(xml)
    assert (copy.storage_group, copy.status, copy.copy_queue_length) == (
        "Storage Groupé 2",
        CopyStatus.SUSPENDED,
        12,
    )
    assert (copy.replay_queue_length, copy.last_inspected_log_time, copy.suspend_comment) == (0, None, "")
    assert copy.suspended


# ------------------------------------------------------------------------- Format-List text


def test_format_list_with_bom_before_the_first_label() -> None:
    records = parse_format_list("\ufeffIdentity : EXCMS1\r\nState    : Online\r\n")
    assert records == [{"Identity": "EXCMS1", "State": "Online"}]
    assert parse_cms_status("\ufeffIdentity : EXCMS1\nState    : Online\n").name == "EXCMS1"


def test_format_list_cms_status_wrapped_between_prompts() -> None:
    text = (
        "[PS] C:\\Windows\\system32>Get-ClusteredMailboxServerStatus -Identity 'EXCMS Ü'\r\n\r\n\r\n"
        "Identity                        : EXCMS Ü\r\n"
        "ClusteredMailboxServerName      : EXCMS Ü.contoso.com\r\n"
        "State                           : Partially Online\r\n"
        "OperationalMachines             : {EXNODE10 <Active, Quorum Owner>, EXNODE11, EXN\r\n"
        "                                  ODE12}\r\n"
        "FailedResources                 : {Network Name (EXCMS Ü)}\r\n"
        "IsValid                         : True\r\n\r\n\r\n"
        "[PS] C:\\Windows\\system32>"
    )
    status = parse_cms_status(text)
    assert status.state is CmsState.PARTIALLY_ONLINE
    assert status.operational_machines == ("EXNODE10 <Active, Quorum Owner>", "EXNODE11", "EXNODE12")
    assert status.failed_resources == ("Network Name (EXCMS Ü)",)


def test_real_get_exchangeserver_format_list(reference: Path) -> None:
    """The real EMS console copy: a Format-Table before, prose between, 80-column wraps."""
    path = reference / "ems" / "ems-get-umserver_get-exchangeserver-fl_ex2007sp1.txt"
    text = path.read_text(encoding="utf-8").split("\n", 1)[1]
    records = parse_format_list(text.split("Get-ExchangeServer | fl", 1)[1])
    assert [r["Name"] for r in records] == ["MEMBERSERVER", "DOMAIN2007"]
    assert records[0]["ExchangeLegacyDN"] == (
        "/o=First Organization/ou=First Administrative Group/cn=Configuration/cn=Servers/cn=MEMBERSERVER"
    )
    servers = parse_exchange_servers(text)
    assert [(s.name, s.fqdn) for s in servers] == [
        ("MEMBERSERVER", "memberserver.testdev.com"),
        ("DOMAIN2007", "DOMAIN2007.testdev.com"),
    ]
    assert servers[0].roles == () and servers[0].version == "Version 6.5 (Build 7638.2: Service Pack 2)"
    assert set(servers[1].roles) == {"Mailbox", "ClientAccess", "UnifiedMessaging", "HubTransport"}
    assert not servers[1].is_member_of_cluster


# ------------------------------------------------------------------------- wevtutil captures

SCM_EVENT = (
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
    "<Provider Name='Service Control Manager' Guid='{555908d1-a6d7-4695-8e1e-26931d2012f4}' "
    "EventSourceName='Service Control Manager'/><EventID Qualifiers='16384'>7036</EventID>"
    "<Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords>"
    "<TimeCreated SystemTime='2009-03-12T08:15:59.000Z'/><EventRecordID>12345</EventRecordID><Correlation/>"
    "<Execution ProcessID='0' ThreadID='0'/><Channel>System</Channel><Computer>NŒUD-Ä1.contoso.com</Computer>"
    "<Security/></System><EventData><Data Name='param1'>Microsoft Exchange Information Store</Data>"
    "<Data Name='param2'>running</Data></EventData></Event>"
)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("C:\\>wevtutil qe System /c:1 /f:xml\r\n", "\r\n\r\nC:\\>"),
        ("PS C:\\Users\\Administrator> wevtutil qe System /c:1 /f:xml\n", "\nPS C:\\Users\\Administrator> "),
        ("[PS] C:\\Windows\\system32>wevtutil qe System /c:1 /f:xml /e:Events\r\n<Events>", "</Events>\r\n"),
    ],
)
def test_events_between_console_prompts(before: str, after: str) -> None:
    (event,) = parse_events(before + SCM_EVENT + after, node="N1")
    assert (event.event_id, event.provider, event.level) == (
        7036,
        "Service Control Manager",
        EventLevel.INFORMATION,
    )


def test_events_other_text_is_still_an_error() -> None:
    with pytest.raises(EventParseError) as info:
        parse_events("junk\r\n" + SCM_EVENT)
    assert [e.event_id for e in info.value.events] == [7036]


def _host_wrap(text: str, width: int = 80) -> str:
    """PowerShell 2.0's console host: every line longer than the buffer is broken at 80."""
    out = []
    for line in text.split("\r\n"):
        while len(line) > width:
            out.append(line[:width])
            line = line[width:]
        out.append(line)
    return "\r\n".join(out)


def test_resource_rows_wrapped_at_80_with_long_tails() -> None:
    """Rows read through the PowerShell host, cut inside the group column: the tail holds the
    rest of the group name, the node and a two-word state, and is joined back."""
    rows = [
        (
            "Storage Group With A Long Name 1/Mailbox Database 1 (EXCMS2)",
            "Storage Group Ü 1 Long",
            "EXNODE1",
            "Online Pending",
        ),
        (
            "Exchange Information Store Instance (EXCMS2)",
            "EXCMS2 Group With Spaces",
            "NODE10",
            "Offline Pending",
        ),
        ("Cluster IP Address", "Cluster Group", "EXNODE1", "Online"),
    ]
    groups = parse_groups("\r\n".join(group_listing([(g, n, "Online") for _, g, n, _ in rows])))
    text = _host_wrap(
        "\r\n".join(["Listing status for all available resources:", "", *resource_listing(rows), ""])
    )
    assert any(len(line) == 80 for line in text.split("\r\n"))
    got = parse_resources(text, groups)
    assert [(r.name, r.group, r.owner, r.state.value) for r in got] == rows


def test_copy_status_default_table_view() -> None:
    """Get-StorageGroupCopyStatus without ``| fl``: a table with titles wrapped in their columns."""
    text = (
        "[PS] C:\\Windows\\system32>Get-StorageGroupCopyStatus -Server EXCMS1\r\n\r\n"
        "Name                      SummaryCopySt CopyQueueLe ReplayQueue LastInspectedLogTime\r\n"
        "                          atus          ngth        Length\r\n"
        "----                      ------------- ----------- ----------- --------------------\r\n"
        "First Storage Group       Healthy       0           0           11/25/2026 11:02:03 PM\r\n"
        "Storage Group Ü 2         Suspended     12          3\r\n\r\n"
        "[PS] C:\\Windows\\system32>"
    )
    copies = parse_copy_status(text)
    assert [(c.storage_group, c.status, c.copy_queue_length, c.replay_queue_length) for c in copies] == [
        ("First Storage Group", CopyStatus.HEALTHY, 0, 0),
        ("Storage Group Ü 2", CopyStatus.SUSPENDED, 12, 3),
    ]
    assert [c.suspended for c in copies] == [False, True]
    assert copies[0].last_inspected_log_time is not None


def test_real_get_umserver_table(reference: Path) -> None:
    path = reference / "ems" / "ems-get-umserver_get-exchangeserver-fl_ex2007sp1.txt"
    text = path.read_text(encoding="utf-8").split("\n", 1)[1]
    assert parse_format_table(text) == [
        {"Name": "DOMAIN2007", "DialPlans": "{}", "Languages": "{en-US}", "Status": "Enabled"}
    ]
