"""NTLM as a Windows domain member's WinRM answers it: the challenge names the node and its domain,
and channel binding over HTTPS follows CbtHardeningLevel (Relaxed by default, Strict as an option)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import pytest
import requests
import spnego
import winrm
from spnego._ntlm_raw.messages import AvId, Challenge, NegotiateFlags
from spnego.channel_bindings import GssChannelBindings
from winrm.exceptions import InvalidCredentialsError

from ccrgui.lab.lab import Lab
from ccrgui.lab.wsman.auth import tls_channel_bindings

USER = "CONTOSO\\Administrator"
PASSWORD = "P@ssw0rd!"


@pytest.fixture
def https_lab() -> Iterator[Lab]:
    with Lab(auth="basic-https", events=50) as running:
        yield running


@pytest.fixture
def strict_lab() -> Iterator[Lab]:
    with Lab(auth="basic-https", events=50, strict_cbt=True) as running:
        yield running


def _challenge(url: str, verify: bool | str = True) -> Challenge:
    client = spnego.client(USER, PASSWORD, protocol="ntlm")
    token = client.step()
    assert token is not None
    r = requests.post(
        url,
        headers={"Authorization": "Negotiate " + base64.b64encode(token).decode()},
        verify=verify,
        timeout=10,
    )
    assert r.status_code == 401
    scheme, _, value = r.headers["WWW-Authenticate"].partition(" ")
    assert scheme == "Negotiate"
    return Challenge.unpack(base64.b64decode(value))


def test_challenge_names_the_node_and_its_domain(lab: Lab) -> None:
    for node, url in [*lab.endpoints.items(), ("EXNODE1", lab.cluster_endpoint)]:  # EXNODE1 owns EXCLUS1
        challenge = _challenge(url)
        assert challenge.target_name == "CONTOSO"
        assert challenge.flags & NegotiateFlags.target_type_domain
        assert not challenge.flags & NegotiateFlags.target_type_server
        info = challenge.target_info
        assert info is not None
        assert info[AvId.nb_computer_name] == node
        assert info[AvId.nb_domain_name] == "CONTOSO"
        assert info[AvId.dns_computer_name] == f"{node.lower()}.contoso.com"
        assert info[AvId.dns_domain_name] == "contoso.com"
        assert info[AvId.dns_tree_name] == "contoso.com"
        assert AvId.timestamp in info


@pytest.mark.parametrize(
    "user", ["CONTOSO\\Administrator", "Administrator@contoso.com", "contoso\\administrator"]
)
def test_domain_user_forms_log_on(lab: Lab, user: str) -> None:
    r = winrm.Session(lab.endpoints["EXNODE2"], auth=(user, PASSWORD), transport="ntlm").run_cmd("hostname")
    assert r.std_out == b"EXNODE2\r\n"


def test_ntlm_over_https_without_channel_binding_is_accepted_by_default(https_lab: Lab) -> None:
    """CbtHardeningLevel Relaxed: Windows' default; Go's and npm's WinRM clients send no bindings."""
    url = https_lab.endpoints["EXNODE1"]
    s = winrm.Session(
        url, auth=(USER, PASSWORD), transport="ntlm", send_cbt=False, ca_trust_path=https_lab.ca_file
    )
    assert s.run_cmd("hostname").std_out == b"EXNODE1\r\n"
    s = winrm.Session(
        url, auth=(USER, PASSWORD), transport="ntlm", send_cbt=True, ca_trust_path=https_lab.ca_file
    )
    assert s.run_cmd("hostname").std_out == b"EXNODE1\r\n"


def test_strict_cbt_refuses_a_client_without_bindings(strict_lab: Lab) -> None:
    url = strict_lab.endpoints["EXNODE1"]
    s = winrm.Session(
        url, auth=(USER, PASSWORD), transport="ntlm", send_cbt=False, ca_trust_path=strict_lab.ca_file
    )
    with pytest.raises(InvalidCredentialsError):
        s.run_cmd("hostname")
    s = winrm.Session(
        url, auth=(USER, PASSWORD), transport="ntlm", send_cbt=True, ca_trust_path=strict_lab.ca_file
    )
    assert s.run_cmd("hostname").std_out == b"EXNODE1\r\n"


def _auth(token: bytes) -> dict[str, str]:
    return {"Authorization": "Negotiate " + base64.b64encode(token).decode()}


def _logon_with_bindings(lab: Lab, bindings: GssChannelBindings) -> int:
    """The NTLM exchange on one keep-alive connection, with the given (wrong) bindings."""
    url = lab.endpoints["EXNODE1"]
    assert lab.ca_file
    client = spnego.client(USER, PASSWORD, protocol="ntlm", channel_bindings=bindings)
    with requests.Session() as http:
        token = client.step()
        assert token is not None
        r = http.post(url, headers=_auth(token), verify=lab.ca_file, timeout=10)
        assert r.status_code == 401
        token = client.step(base64.b64decode(r.headers["WWW-Authenticate"].partition(" ")[2]))
        assert token is not None
        r = http.post(url, headers=_auth(token), verify=lab.ca_file, timeout=10)
        return r.status_code


@pytest.mark.parametrize("strict", [False, True])
def test_wrong_channel_bindings_are_refused_in_both_modes(strict: bool) -> None:
    with Lab(auth="basic-https", events=50, strict_cbt=strict) as running:
        other = hashlib.sha256(b"another certificate").digest()
        wrong = GssChannelBindings(application_data=b"tls-server-end-point:" + other)
        assert _logon_with_bindings(running, wrong) == 401
        tls = running.servers["EXNODE1"].tls
        assert tls is not None
        assert _logon_with_bindings(running, tls_channel_bindings(tls.cert_der)) == 200  # the right ones
