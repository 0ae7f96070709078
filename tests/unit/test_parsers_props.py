"""`/prop` listings the snapshot reads for static facts: resource types, network roles and
addresses, network interfaces (node-and-net rows), the cluster's own name."""

from __future__ import annotations

import pytest

from ccrgui.remote import parsers

NETINT = (
    "Listing properties for all network interfaces:\r\n"
    "\r\n"
    "T  Node            Network         Name                 Value\r\n"
    "-- --------------- --------------- -------------------- ----------------------\r\n"
    "SR NODEA           Public          Name                 NODEA - Public\r\n"
    "SR NODEA           Public          Adapter              Broadcom BCM5708C NetXtreme II GigE\r\n"
    "SR NODEA           Public          Address              10.1.2.11\r\n"
    "S  NODEA           Public          Description          \r\n"
    "SR NODEB           Heartbeat Network Name                 NODEB - Heartbeat Network\r\n"
    "SR NODEB           Heartbeat Network Address              169.254.1.2\r\n"
    "SR NODEB           Heartbeat Network Adapter              Intel(R) PRO/1000 MT Network Connection\r\n"
)


def test_netinterface_properties_split_overflowing_network_names() -> None:
    props = parsers.parse_netinterface_properties(
        NETINT, nodes=["NODEA", "NODEB"], networks=["Public", "Heartbeat Network"]
    )
    assert props[("NODEA", "Public")] == {
        "Name": "NODEA - Public",
        "Adapter": "Broadcom BCM5708C NetXtreme II GigE",
        "Address": "10.1.2.11",
        "Description": "",
    }
    assert props[("NODEB", "Heartbeat Network")]["Adapter"] == "Intel(R) PRO/1000 MT Network Connection"
    # Without known names the printf layout still decides (15-wide columns, pushed right).
    alone = parsers.parse_netinterface_properties(NETINT)
    assert alone[("NODEB", "Heartbeat Network")]["Address"] == "169.254.1.2"
    assert alone == props  # the known-names fast path and the layout cut agree
    # A row naming an unknown network falls back to the layout cut for the whole table.
    partial = parsers.parse_netinterface_properties(NETINT, nodes=["NODEA", "NODEB"], networks=["Public"])
    assert partial == props


def test_netinterface_properties_errors() -> None:
    with pytest.raises(parsers.ClusterExeError):
        parsers.parse_netinterface_properties(
            "System error 1722 has occurred (0x000006ba).\r\n\r\nThe RPC server is unavailable.\r\n"
        )
    with pytest.raises(parsers.ParseError):
        parsers.parse_netinterface_properties("T  Node  Value\r\n-- ---- -----\r\nSR x y\r\n")


def test_cluster_name_from_the_title_or_the_name_row() -> None:
    text = (
        "Listing properties for 'EXCLUS7':\r\n\r\n"
        "T  Cluster              Name                           Value\r\n"
        "-- -------------------- ------------------------------ -----------------------\r\n"
        "SR EXCLUS7              Name                           EXCLUS7\r\n"
    )
    assert parsers.parse_cluster_name(text) == "EXCLUS7"
    untitled = text.split("\r\n", 2)[2].replace("EXCLUS7 ", "EXCLUS8 ").replace(" EXCLUS7", " EXCLUS8")
    assert parsers.parse_cluster_name(untitled) == "EXCLUS8"
    with pytest.raises(parsers.ClusterExeError):
        parsers.parse_cluster_name("System error 5 has occurred (0x00000005).\r\n\r\nAccess is denied.\r\n")


def test_network_role_words_the_dword() -> None:
    text = (
        "Listing properties for all networks:\r\n\r\n"
        "T  Network              Name                           Value\r\n"
        "-- -------------------- ------------------------------ -----------------------\r\n"
        "D  Private Heartbeat    Role                           1 (0x1)\r\n"
        "D  LAN                  Role                           3 (0x3)\r\n"
        "SR LAN                  AddressMask                    255.255.0.0\r\n"
    )
    rows = parsers.parse_properties(text, owners=["Private Heartbeat", "LAN"])
    roles = {p.owner: parsers.network_role(p) for p in rows if p.name == "Role"}
    assert roles == {"Private Heartbeat": "Internal use", "LAN": "Internal and client use"}


@pytest.mark.parametrize(
    ("value", "expected"), [("-300", -300), ("60", 60), ("0", 0), ("", None), ("x", None)]
)
def test_wmi_os_current_time_zone(value: str, expected: int | None) -> None:
    from test_parsers_ems import convertto_xml  # tests/unit is on sys.path (rootdir-relative import)

    props: list[tuple[str, str, object]] = [("Version", "System.String", "6.0.6001")]
    if value:
        props.append(("CurrentTimeZone", "System.Int16", value))
    details = parsers.parse_wmi_os(convertto_xml([("System.Management.ManagementObject", props)]))
    assert details.utc_offset_minutes == expected


def test_exchange_setup_key_gives_the_installed_build() -> None:
    from test_parsers_ems import convertto_xml

    props: list[tuple[str, str, object]] = [
        ("MsiProductMajor", "System.Int32", "8"),
        ("MsiProductMinor", "System.Int32", "1"),
        ("MsiBuildMajor", "System.Int32", "375"),
        ("MsiBuildMinor", "System.Int32", "2"),
    ]
    xml = convertto_xml([("System.Management.Automation.PSCustomObject", props)])
    assert parsers.parse_exchange_setup(xml).exchange_version == "Version 8.1 (Build 375.2)"
    # No key (Exchange not installed): ConvertTo-Xml of nothing.
    assert parsers.parse_exchange_setup('<?xml version="1.0"?>\r\n<Objects />\r\n').exchange_version == ""
    # A key without the build values is not a version.
    partial = convertto_xml([("System.Management.Automation.PSCustomObject", props[:2])])
    assert parsers.parse_exchange_setup(partial).exchange_version == ""
