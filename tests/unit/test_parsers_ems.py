"""EMS / WMI parsers: ConvertTo-Xml (PowerShell 2.0 layout), Format-List, real samples, fuzzing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_parsers_cluster import host_wrap

from ccrgui.domain.model import CmsState, CopyStatus, NodeDetails
from ccrgui.remote.parsers import (
    ParseError,
    active_node_of,
    merge_details,
    parse_cms_status,
    parse_convertto_xml,
    parse_copy_status,
    parse_exchange_servers,
    parse_format_list,
    parse_ps_datetime,
    parse_wmi_computer,
    parse_wmi_datetime,
    parse_wmi_os,
    parse_wmi_processor,
)


def sample(reference: Path, name: str) -> str:
    return (reference / "ems" / name).read_text(encoding="utf-8").split("\n", 1)[1]


def convertto_xml(objects: list[tuple[str, list[tuple[str, str, object]]]]) -> str:
    """PowerShell 2.0 ConvertTo-Xml -As String layout, written independently for the tests.

    Each property is (name, .NET type, value); a list value becomes nested unnamed Property
    elements, None becomes an empty element.
    """
    out = ['<?xml version="1.0"?>', "<Objects>"]
    for type_name, props in objects:
        out.append(f"  <Object Type={quoteattr(type_name)}>")
        for name, type_, value in props:
            attrs = f"Name={quoteattr(name)} Type={quoteattr(type_)}"
            if value is None:
                out.append(f"    <Property {attrs} />")
            elif isinstance(value, list):
                out.append(f"    <Property {attrs}>")
                out.extend(f'      <Property Type="System.String">{escape(v)}</Property>' for v in value)
                out.append("    </Property>")
            else:
                out.append(f"    <Property {attrs}>{escape(str(value))}</Property>")
        out.append("  </Object>")
    out.append("</Objects>")
    return "\r\n".join(out)


CMS_TYPE = "Microsoft.Exchange.Management.SystemConfigurationTasks.ClusteredMailboxServerStatus"


def test_cms_status_from_convertto_xml() -> None:
    """OperationalMachines is a nested collection; the active node carries the token Active."""
    xml = convertto_xml(
        [
            (
                CMS_TYPE,
                [
                    ("Identity", "Microsoft.Exchange.Configuration.Tasks.ServerIdParameter", "EXCH1"),
                    ("ClusteredMailboxServerName", "System.String", "EXCH1"),
                    (
                        "State",
                        "Microsoft.Exchange.Data.Directory.SystemConfiguration.State",
                        "Partially Online",
                    ),
                    ("OperationalMachines", "System.String[]", ["NODE1", "NODE2 <Active, Quorum Owner>"]),
                    ("FailedResources", "System.String[]", ["Exchange Information Store Instance (EXCH1)"]),
                    ("OperationalReplicationHostNames", "System.String[]", ["Host1", "Host2"]),
                    ("FailedReplicationHostNames", "System.String[]", None),
                    ("InUseReplicationHostNames", "System.String[]", []),
                    ("IsValid", "System.Boolean", "True"),
                ],
            )
        ]
    )
    status = parse_cms_status(xml)
    assert status.name == "EXCH1"
    assert status.state is CmsState.PARTIALLY_ONLINE
    assert status.active_node == "NODE2"
    assert status.operational_machines == ("NODE1", "NODE2 <Active, Quorum Owner>")
    assert status.failed_resources == ("Exchange Information Store Instance (EXCH1)",)
    assert status.operational_replication_hosts == ("Host1", "Host2")
    assert status.failed_replication_hosts == ()
    assert status.is_valid


def test_cms_status_from_format_list_and_doc_fields(reference: Path) -> None:
    """Format-List text works too, including the SP1 doc's unpadded ``Name:{a,b}`` lines."""
    text = (
        "Identity                        : EXCH1\r\n"
        "ClusteredMailboxServerName      : EXCH1\r\n"
        "State                           : Online\r\n"
        "OperationalMachines             : {NODE1 <Active, Quorum Owner>, NODE2}\r\n"
        "FailedResources                 : {}\r\n"
        + sample(reference, "get-clusteredmailboxserverstatus_sp1-new-fields_doc.txt")
    )
    status = parse_cms_status(text)
    assert status.state is CmsState.ONLINE
    assert status.active_node == "NODE1"
    assert status.operational_machines == ("NODE1 <Active, Quorum Owner>", "NODE2")
    assert status.operational_replication_hosts == ("Host1", "Host2", "Host3")
    assert status.failed_replication_hosts == ("Host4",)
    assert status.in_use_replication_hosts == ("Host1", "Host2")


@pytest.mark.parametrize(
    ("machines", "active"),
    [
        (["NODE1 <Active, Quorum Owner>", "NODE2"], "NODE1"),
        (["NODE1", "NODE2 <Active>"], "NODE2"),
        (["NODE1 <Quorum Owner>", "NODE2 <active>"], "NODE2"),
        (["NODE1", "NODE2"], ""),
        (["NODE1 <Inactive>"], ""),
    ],
)
def test_active_node_token(machines: list[str], active: str) -> None:
    """Decided by the token Active (case-insensitive), never by a substring like Inactive."""
    assert active_node_of(machines) == active


def test_copy_status_doc_sample_and_xml(reference: Path) -> None:
    """The doc-rendered |fl sample and ConvertTo-Xml with spaced/unspaced status spellings."""
    (copy,) = parse_copy_status(sample(reference, "get-storagegroupcopystatus_doc-rtm_partial.txt"))
    assert (copy.identity, copy.storage_group, copy.status) == (
        "MBXNODE01\\StorageGroup1",
        "StorageGroup1",
        CopyStatus.HEALTHY,
    )
    assert not copy.suspended and not copy.failed and copy.copy_queue_length == 0
    props: list[tuple[str, str, object]] = [
        ("Identity", "Microsoft.Exchange.Configuration.Tasks.StorageGroupIdParameter", "NODE2\\SG1"),
        ("StorageGroupName", "System.String", "SG1"),
        (
            "SummaryCopyStatus",
            "Microsoft.Exchange.Management.SystemConfigurationTasks.CopyStatus",
            "ServiceDown",
        ),
        ("Failed", "System.Boolean", "False"),
        ("Suspend", "System.Boolean", "True"),
        ("SuspendComment", "System.String", "Backup & <test>"),
        ("CopyQueueLength", "System.Int64", "12"),
        ("ReplayQueueLength", "System.Int64", "3"),
        ("LastInspectedLogTime", "System.DateTime", "6/14/2006 4:42:01 PM"),
        ("LastReplayedLogTime", "System.DateTime", "2026-11-25T21:49:03"),
        ("LastCopiedLogTime", "System.Nullable`1[[System.DateTime]]", None),
    ]
    second = [(n, t, "Service Down" if n == "SummaryCopyStatus" else v) for n, t, v in props]
    copies = parse_copy_status(convertto_xml([("X", props), ("X", second)]))
    assert [c.status for c in copies] == [CopyStatus.SERVICE_DOWN, CopyStatus.SERVICE_DOWN]
    c = copies[0]
    assert (c.suspended, c.suspend_comment, c.copy_queue_length, c.replay_queue_length) == (
        True,
        "Backup & <test>",
        12,
        3,
    )
    assert c.last_inspected_log_time == datetime(2006, 6, 14, 16, 42, 1)
    assert c.last_replayed_log_time == datetime(2026, 11, 25, 21, 49, 3)
    assert c.last_copied_log_time is None


def test_format_list_real_console_copy_rejoins_wraps(reference: Path) -> None:
    """The real EMS console copy: 80-column wraps with 36-space continuations, two objects."""
    records = parse_format_list(sample(reference, "ems-get-umserver_get-exchangeserver-fl_ex2007sp1.txt"))
    assert [r["Name"] for r in records] == ["MEMBERSERVER", "DOMAIN2007"]
    assert records[0]["ExchangeLegacyDN"] == (
        "/o=First Organization/ou=First Administrative Group/cn=Configuration/cn=Servers/cn=MEMBERSERVER"
    )
    assert records[1]["DataPath"] == "C:\\Program Files\\Microsoft\\Exchange Server\\Mailbox"
    assert records[1]["ObjectCategory"] == "testdev.com/Configuration/Schema/ms-Exch-Exchange-Server"
    assert records[1]["Site"] == "testdev.com/Configuration/Sites/Default-First-Site-Name"
    assert records[0]["Site"] == ""
    assert len(records[1]) == 41


def test_exchange_servers_from_console_copy(reference: Path) -> None:
    """IsMemberOfCluster is the string Yes/No; ServerRole splits into roles."""
    servers = parse_exchange_servers(
        sample(reference, "ems-get-umserver_get-exchangeserver-fl_ex2007sp1.txt")
    )
    assert [s.name for s in servers] == ["MEMBERSERVER", "DOMAIN2007"]
    assert servers[1].version == "Version 8.1 (Build 240.6)"
    assert servers[1].roles == ("Mailbox", "ClientAccess", "UnifiedMessaging", "HubTransport")
    assert servers[0].roles == ()
    assert not servers[1].is_member_of_cluster


def test_mailbox_server_ccr_fields() -> None:
    """Get-MailboxServer: ClusteredStorageType NonShared = CCR, RedundantMachines = the nodes."""
    xml = convertto_xml(
        [
            (
                "Microsoft.Exchange.Data.Directory.Management.MailboxServer",
                [
                    ("Name", "System.String", "EXCH1"),
                    ("ClusteredStorageType", "Microsoft.Exchange.Data.ClusteredStorageType", "NonShared"),
                    (
                        "RedundantMachines",
                        "Microsoft.Exchange.Data.MultiValuedProperty`1",
                        ["NODE1", "NODE2"],
                    ),
                    ("IsMemberOfCluster", "System.String", "Yes"),
                ],
            )
        ]
    )
    (server,) = parse_exchange_servers(xml)
    assert server.clustered_storage_type == "NonShared"
    assert server.redundant_machines == ("NODE1", "NODE2")
    assert server.is_member_of_cluster


def test_wmi_details() -> None:
    """Win32_OperatingSystem / ComputerSystem / Processor merge into NodeDetails."""
    os_xml = convertto_xml(
        [
            (
                "System.Management.ManagementObject",
                [
                    ("Caption", "System.String", "Microsoft® Windows Server® 2008 Enterprise "),
                    ("Version", "System.String", "6.0.6002"),
                    ("CSDVersion", "System.String", "Service Pack 2"),
                    ("TotalVisibleMemorySize", "System.UInt64", "8388608"),
                    ("FreePhysicalMemory", "System.UInt64", "2097152"),
                    ("LastBootUpTime", "System.String", "20261125214903.500000+060"),
                ],
            )
        ]
    )
    cs_xml = convertto_xml(
        [
            (
                "X",
                [
                    ("NumberOfProcessors", "System.UInt32", "2"),
                    ("TotalPhysicalMemory", "System.UInt64", "8589934592"),
                ],
            )
        ]
    )
    cpu_xml = convertto_xml(
        [
            ("X", [("Name", "System.String", "Intel(R) Xeon(R)   CPU  E5430")]),
            ("X", [("Name", "System.String", "x")]),
        ]
    )
    details = merge_details(parse_wmi_os(os_xml), parse_wmi_processor(cpu_xml), parse_wmi_computer(cs_xml))
    assert details.os_caption == "Microsoft® Windows Server® 2008 Enterprise"
    assert (details.os_version, details.service_pack) == ("6.0.6002", "Service Pack 2")
    assert (details.memory_total_mb, details.memory_in_use_mb) == (8192, 6144)
    assert details.cpu == "Intel(R) Xeon(R) CPU E5430"
    assert details.cpu_count == 2
    assert details.last_boot == datetime(2026, 11, 25, 21, 49, 3, 500000, tzinfo=timezone(timedelta(hours=1)))
    assert details.last_boot is not None and details.last_boot.astimezone(UTC).hour == 20
    assert merge_details() == NodeDetails()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6/14/2006 4:42:01 PM", datetime(2006, 6, 14, 16, 42, 1)),
        ("6/14/2006 12:05:00 AM", datetime(2006, 6, 14, 0, 5, 0)),
        ("12/1/2026 12:00:00 PM", datetime(2026, 12, 1, 12, 0, 0)),
        ("14.06.2006 16:42:01", datetime(2006, 6, 14, 16, 42, 1)),
        ("14/06/2006 16:42:01", datetime(2006, 6, 14, 16, 42, 1)),
        ("2006-06-14T16:42:01Z", datetime(2006, 6, 14, 16, 42, 1, tzinfo=UTC)),
        ("", None),
        ("yesterday", None),
        ("13/13/2006 1:00:00", None),
    ],
)
def test_ps_datetime(text: str, expected: datetime | None) -> None:
    """Locale spellings PowerShell prints for a DateTime."""
    assert parse_ps_datetime(text) == expected


def test_wmi_datetime_bad() -> None:
    """Malformed CIM datetimes give None, not an exception."""
    assert parse_wmi_datetime("2026") is None
    assert parse_wmi_datetime("20261345214903.000000+000") is None


def test_malformed_xml_names_the_line() -> None:
    """Broken XML becomes a ParseError with the line of the problem."""
    with pytest.raises(ParseError) as info:
        parse_cms_status(
            '<?xml version="1.0"?>\n<Objects>\n  <Object Type="x">\n  <Property Name="a">\n</Objects>\n'
        )
    assert info.value.line_no >= 4
    with pytest.raises(ParseError):
        parse_convertto_xml('<!DOCTYPE x [<!ENTITY a "b">]><Objects></Objects>')
    with pytest.raises(ParseError):
        parse_convertto_xml("<Other/>")


@settings(max_examples=200)
@given(
    st.text(max_size=300),
    st.sampled_from(
        [
            parse_cms_status,
            parse_copy_status,
            parse_exchange_servers,
            parse_wmi_os,
            parse_wmi_computer,
            parse_format_list,
            parse_convertto_xml,
        ]
    ),
)
def test_fuzz_only_parse_errors(text: str, parser: object) -> None:
    """Any text: a result or a ParseError, nothing else."""
    try:
        parser(text)  # type: ignore[operator]
    except ParseError:
        pass


@settings(max_examples=100)
@given(
    st.dictionaries(
        st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,20}", fullmatch=True),
        st.text(
            st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_characters="\x7f"), max_size=60
        ),
        min_size=1,
        max_size=8,
    )
)
def test_convertto_xml_round_trip(props: dict[str, str]) -> None:
    """Any property values (XML specials, non-ASCII, spaces) come back exactly."""
    xml = convertto_xml([("T", [(k, "System.String", v) for k, v in props.items()])])
    (obj,) = parse_convertto_xml(xml)
    assert obj.properties == props


def render_format_list(records: list[dict[str, str]], width: int = 80) -> str:
    """The console's Format-List: labels padded to the longest, values hard-wrapped at `width`."""
    out: list[str] = []
    for record in records:
        out.append("")
        label_width = max(len(k) for k in record)
        col = label_width + 3
        for key, value in record.items():
            head = key.ljust(label_width) + " :"
            if not value:
                out.append(head)
                continue
            first, rest = value[: width - col], value[width - col :]
            out.append(head + " " + first)
            while rest:
                out.append(" " * col + rest[: width - col])
                rest = rest[width - col :]
    out.append("")
    return "\r\n".join(out)


fl_values = st.lists(
    st.text(
        st.characters(categories=("L", "N", "P", "S"), exclude_characters="\x85"), min_size=1, max_size=12
    ),
    max_size=12,
).map(" ".join)


@settings(max_examples=150)
@given(
    st.lists(
        st.dictionaries(
            st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,30}", fullmatch=True), fl_values, min_size=1, max_size=6
        ),
        min_size=1,
        max_size=3,
    )
)
def test_format_list_round_trip_with_wraps(records: list[dict[str, str]]) -> None:
    """Values of any length (wrapped mid-word or at a blank) come back exactly."""
    assert parse_format_list(render_format_list(records)) == records


@settings(max_examples=60)
@given(
    st.dictionaries(
        st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,30}", fullmatch=True), fl_values, min_size=1, max_size=6
    )
)
def test_convertto_xml_broken_at_80_columns(props: dict[str, str]) -> None:
    """XML written through the PowerShell host (broken mid-tag and mid-value) reads the same."""
    xml = convertto_xml(
        [("System.Management.Automation.PSCustomObject", [(k, "System.String", v) for k, v in props.items()])]
    )
    (obj,) = parse_convertto_xml(host_wrap(xml))
    assert obj.properties == props
