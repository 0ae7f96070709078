"""Pure, total parsers from Windows command output to domain objects.

Every parser returns domain objects or raises `ParseError` (a ValueError naming the line);
cluster.exe error output raises `ClusterExeError` (a `WindowsCommandError`, not a ParseError).
"""

from ccrgui.remote.parsers.clixml import clixml_to_text, decode_ps_escapes, parse_clixml
from ccrgui.remote.parsers.cluster import (
    find_system_error,
    network_role,
    parse_cluster_name,
    parse_groups,
    parse_netinterface_properties,
    parse_netinterfaces,
    parse_networks,
    parse_nodes,
    parse_owners,
    parse_properties,
    parse_quorum,
    parse_resources,
    raise_for_system_error,
)
from ccrgui.remote.parsers.ems import (
    PsObject,
    active_node_of,
    merge_details,
    parse_cms_status,
    parse_convertto_xml,
    parse_copy_status,
    parse_exchange_servers,
    parse_exchange_setup,
    parse_format_list,
    parse_ps_datetime,
    parse_wmi_computer,
    parse_wmi_datetime,
    parse_wmi_os,
    parse_wmi_processor,
)
from ccrgui.remote.parsers.errors import ClusterExeError, ParseError, WindowsCommandError
from ccrgui.remote.parsers.events import EventParseError, EventStreamParser, parse_events, parse_system_time
from ccrgui.remote.parsers.maintenance import (
    parse_group_policy,
    parse_mailbox_databases,
    parse_replication_health,
    parse_test_path,
)
from ccrgui.remote.parsers.mscluster import WmiCluster, parse_object_path, parse_wmi_cluster
from ccrgui.remote.parsers.setup import parse_setup_output
from ccrgui.remote.parsers.upgrade import parse_upgrade_facts

__all__ = [
    "ClusterExeError",
    "EventParseError",
    "EventStreamParser",
    "ParseError",
    "PsObject",
    "WindowsCommandError",
    "WmiCluster",
    "active_node_of",
    "clixml_to_text",
    "decode_ps_escapes",
    "find_system_error",
    "merge_details",
    "network_role",
    "parse_clixml",
    "parse_cluster_name",
    "parse_cms_status",
    "parse_convertto_xml",
    "parse_copy_status",
    "parse_events",
    "parse_exchange_servers",
    "parse_exchange_setup",
    "parse_format_list",
    "parse_group_policy",
    "parse_groups",
    "parse_mailbox_databases",
    "parse_netinterface_properties",
    "parse_netinterfaces",
    "parse_networks",
    "parse_nodes",
    "parse_object_path",
    "parse_owners",
    "parse_properties",
    "parse_ps_datetime",
    "parse_quorum",
    "parse_replication_health",
    "parse_resources",
    "parse_setup_output",
    "parse_system_time",
    "parse_test_path",
    "parse_upgrade_facts",
    "parse_wmi_cluster",
    "parse_wmi_computer",
    "parse_wmi_datetime",
    "parse_wmi_os",
    "parse_wmi_processor",
    "raise_for_system_error",
]
