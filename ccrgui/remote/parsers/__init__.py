"""Pure, total parsers from Windows command output to domain objects.

Every parser returns domain objects or raises `ParseError` (a ValueError naming the line);
cluster.exe error output raises `ClusterExeError` (a `WindowsCommandError`, not a ParseError).
"""

from ccrgui.remote.parsers.cluster import (
    find_system_error,
    parse_groups,
    parse_netinterfaces,
    parse_networks,
    parse_nodes,
    parse_properties,
    parse_quorum,
    parse_resources,
    raise_for_system_error,
)
from ccrgui.remote.parsers.errors import ClusterExeError, ParseError, WindowsCommandError

__all__ = [
    "ClusterExeError",
    "ParseError",
    "WindowsCommandError",
    "find_system_error",
    "parse_groups",
    "parse_netinterfaces",
    "parse_networks",
    "parse_nodes",
    "parse_properties",
    "parse_quorum",
    "parse_resources",
    "raise_for_system_error",
]
