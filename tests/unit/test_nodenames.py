"""Node names from the cluster or a file: a computer name and nothing a URL would read otherwise."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccrgui.domain.nodenames import InvalidNodeName, check_node_name, is_node_name, typed_host_problem
from ccrgui.remote.api import AuthMethod, ConnectionSettings
from ccrgui.remote.transport import endpoint_for

REAL = [
    "EXNODE1",
    "BJMSAPG1A",
    "ATLPRODSQLC01N1",
    "NŒUD-Ä1",
    "节点2",
    "NODE-C3",
    "exnode1.contoso.com",
    "N_1",
]
HOSTILE = [
    "127.0.0.1:8443/wsman#",
    "127.0.0.1",
    "127.1",
    "0x7f000001",
    "2130706433",
    "user@evil",
    "evil:1",
    "evil/x",
    "evil?x",
    "evil#x",
    "evil%41",
    "[::1]",
    "ev il",
    "evil\\x",
    "evil\r\nHost: x",
    "",
    "-EVIL",
    "a..b",
    "EXNODE1.",
    "ＥＶＩＬ：１",  # full-width letters and colon: NFKC would turn this into EVIL:1
    "ABCDEFGHIJKLMNOP",  # 16 characters: longer than a NetBIOS name
]


@pytest.mark.parametrize("name", REAL)
def test_real_node_names_are_accepted(name: str) -> None:
    assert check_node_name(name) == name


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_node_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidNodeName, match="not a computer name"):
        check_node_name(name)


@given(st.text(min_size=1, max_size=20))
def test_an_accepted_name_is_exactly_the_host_of_its_url(name: str) -> None:
    settings = ConnectionSettings("EXCLUS1", https=True, auth=AuthMethod.NTLM, username="C\\a")
    if not is_node_name(name):
        with pytest.raises(InvalidNodeName):
            endpoint_for(settings, name)
        return
    url = urlsplit(endpoint_for(settings, name))
    assert (url.hostname, url.port, url.path, url.query, url.fragment, url.username) == (
        name.lower(),
        5986,
        "/wsman",
        "",
        "",
        None,
    )


def test_the_host_the_admin_types_may_be_an_address_but_nothing_more() -> None:
    for host in ("EXCLUS1", "exchange-cluster-primary", "10.0.0.11", "[fe80::1]", "exnode1.contoso.com."):
        assert typed_host_problem(host) is None, host
    for host in ("10.0.0.11:80", "[10.0.0.11]", "fe80::1", "a/b", "a b", "0x7f000001"):
        assert typed_host_problem(host), host
