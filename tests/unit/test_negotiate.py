"""What a failed Kerberos logon tells the admin, and which host name each endpoint's SPN uses."""

from __future__ import annotations

import sys

import pytest

from ccrgui.remote import negotiate
from ccrgui.remote.api import AuthMethod, ConnectionSettings
from ccrgui.remote.transport import kerberos_host, pywinrm_options

SPN = "HTTP/exnode1.contoso.com"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            "Server krbtgt/CONTOSO.COM@FABRIKAM.COM not found in Kerberos database",
            "ticket is for the realm FABRIKAM.COM, which has no trust with CONTOSO.COM",
        ),
        ("Server HTTP/exnode1.contoso.com@CONTOSO.COM not found in Kerberos database", f"setspn -S {SPN}"),
        ("Ticket expired", "expired: run kinit again"),
        ("No Kerberos credentials available (default cache: FILE:/tmp/krb5cc_0)", "no Kerberos ticket"),
        ("Cannot contact any KDC for realm 'CONTOSO.COM'", "no domain controller (KDC) answered"),
        ("Clock skew too great", "clocks of this computer and the domain controller differ"),
        ("Something new", "Kerberos logon failed (Something new)"),
    ],
)
def test_errors_become_what_to_do(error: str, expected: str) -> None:
    assert expected in negotiate.explain(error, SPN, "CONTOSO.COM")


def test_without_gssapi_the_reason_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setitem(sys.modules, "gssapi", None)
    found = negotiate.current_user_availability()
    assert not found.ok and "gssapi" in found.reason and "ccrgui[kerberos]" in found.reason


def test_windows_local_account_has_no_ticket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setitem(sys.modules, "sspilib", object())
    monkeypatch.delenv("USERDNSDOMAIN", raising=False)
    assert "local account" in negotiate.current_user_availability().reason
    monkeypatch.setenv("USERDNSDOMAIN", "CONTOSO.COM")
    monkeypatch.setenv("USERNAME", "admin")
    assert negotiate.current_user_availability() == negotiate.Availability(
        True, principal="admin@CONTOSO.COM"
    )


def test_service_principal_host_per_endpoint() -> None:
    s = ConnectionSettings(
        "EXCLUS1",
        https=False,
        auth=AuthMethod.CURRENT_USER,
        node_endpoints={"EXNODE1": "http://127.0.0.1:5001/wsman", "EXCLUS1": "http://127.0.0.1:5003/wsman"},
        kerberos_hosts={"exnode1": "exnode1.contoso.com", "EXCLUS1": "exclus1.contoso.com"},
    )
    assert kerberos_host(s, "http://127.0.0.1:5001/wsman") == "exnode1.contoso.com"
    assert kerberos_host(s, "http://127.0.0.1:5003/wsman") == "exclus1.contoso.com"
    assert kerberos_host(s, "http://exnode2.contoso.com:5985/wsman") == "exnode2.contoso.com"
    opts = pywinrm_options(s, "http://127.0.0.1:5001/wsman")
    assert opts["transport"] == "kerberos" and opts["message_encryption"] == "always"
    assert "password" not in opts and "username" not in opts
