"""Which strings may be used as a host to connect to.

Why: a node name read from cluster output or from a saved file ends up in a WinRM URL.  A
"name" such as ``127.0.0.1:8443/wsman#`` would send the logon (a Basic password, or an NTLM
exchange that can be cracked offline) to a host and port of the reporter's choosing.  So a
name that did not come from the admin must be a Windows computer name and nothing else:
DNS labels of letters, digits, hyphens (and NetBIOS's underscore), a single label at most 15
characters (the NetBIOS limit), never a number or an address.  Letters outside ASCII are
allowed (Windows accepts them), but only letters and decimal digits, also after Unicode
normalisation, so no look-alike of ``:`` ``/`` ``@`` ``#`` ``%`` slips through an IDNA step.
"""

from __future__ import annotations

import ipaddress
import socket
import unicodedata

MAX_NETBIOS_NAME = 15
MAX_LABEL = 63
MAX_DNS_NAME = 253


class InvalidNodeName(ValueError):
    """A name from the cluster or a file that is not a node name; the message says why."""


def _label_problem(label: str) -> str | None:
    if not label:
        return "it has an empty part (two dots in a row, or a dot at the start or end)"
    if len(label) > MAX_LABEL:
        return f"a part of it is longer than {MAX_LABEL} characters"
    for text in (label, unicodedata.normalize("NFKC", label)):
        for ch in text:
            if ch in "-_" or (ch.isascii() and ch.isalnum()):
                continue
            if not ch.isascii() and (ch.isalpha() or ch.isdecimal()):
                continue
            return f"it contains {ch!r}; a computer name has only letters, digits and hyphens"
    if label.startswith("-") or label.endswith("-"):
        return "a part of it starts or ends with a hyphen"
    return None


def _dns_problem(name: str) -> str | None:
    if not name:
        return "it is empty"
    if len(name) > MAX_DNS_NAME:
        return f"it is longer than {MAX_DNS_NAME} characters"
    for label in name.split("."):
        problem = _label_problem(label)
        if problem:
            return problem
    if name.split(".")[0].isdigit():
        return "it is a number or an address, not a computer name"
    try:
        socket.inet_aton(name)  # also "0x7f000001" and "127.1", which the resolver reads as 127.0.0.1
    except (OSError, ValueError):
        return None
    return "it is an IP address, not a computer name"


def node_name_problem(name: str) -> str | None:
    """Why `name` (reported by a cluster or read from a file) is not a node name; None if it is."""
    problem = _dns_problem(name)
    if problem is None and "." not in name and len(name) > MAX_NETBIOS_NAME:
        return f"it is longer than {MAX_NETBIOS_NAME} characters (a Windows computer name is not)"
    return problem


def is_node_name(name: str) -> bool:
    return node_name_problem(name) is None


def check_node_name(name: str) -> str:
    """`name` unchanged when it is a node name, else InvalidNodeName saying why."""
    problem = node_name_problem(name)
    if problem:
        raise InvalidNodeName(f"{name!r} is not a computer name, so it was not contacted: {problem}")
    return name


def typed_host_problem(host: str) -> str | None:
    """Why a host the admin typed cannot be connected to; None if it can.

    Looser than `node_name_problem` on purpose: the admin may type an IP address or a DNS alias
    longer than a NetBIOS name.  Anything that could carry a port, path or user is refused."""
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        if (address.version == 6) == (text != host):
            return None
        return "write an IPv6 address in brackets, an IPv4 address without"
    if host != text:
        return f"{text!r} in brackets is not an IPv6 address"
    return _dns_problem(host[:-1] if host.endswith(".") else host)  # "exnode1.contoso.com." is absolute


__all__ = [
    "InvalidNodeName",
    "check_node_name",
    "is_node_name",
    "node_name_problem",
    "typed_host_problem",
]
