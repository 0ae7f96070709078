"""Log on as the current user: the backend against the lab's real Kerberos realm (MIT KDC).

One KDC and one lab per module (starting both takes about a second); each test gets its own
ticket cache, so what one test does to its tickets cannot leak into another.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pytestqt.qtbot import QtBot

from ccrgui.lab.kdc import KerberosRealm
from ccrgui.lab.lab import Lab
from ccrgui.remote.api import AuthMethod, ConnectionError_, LogQuery
from ccrgui.remote.audit import AuditLog
from ccrgui.remote.session import WinRMClusterSession, settings_from_lab_info
from ccrgui.remote.transport import ErrorKind, PyWinRMChannel, map_error, pywinrm_options, validate_settings

pytestmark = pytest.mark.integration

OTHER_REALM = "FABRIKAM.COM"


@pytest.fixture(scope="module")
def realm(kerberos_tools: None) -> Iterator[KerberosRealm]:
    with KerberosRealm("CONTOSO.COM", extra_realms=[OTHER_REALM]) as running:
        running.add_user("stranger", "Str@nger1", realm=OTHER_REALM)
        yield running


@pytest.fixture(scope="module")
def klab(realm: KerberosRealm) -> Iterator[Lab]:
    # NTLM restricted as a domain may do: no NTLM logon can succeed here, whoever tries (also a
    # client another test left running whose lab's port this one reuses), so the logon counts
    # below are this session's Kerberos logons.
    with Lab(auth="kerberos", realm=realm, speed=50.0, events=300, restrict_ntlm=True) as running:
        yield running


def test_restricted_ntlm_is_refused_while_kerberos_logs_on(klab: Lab) -> None:
    import winrm

    url = klab.endpoints["EXNODE1"]
    before = dict(klab.servers["EXNODE1"].logons)
    ntlm = winrm.Session(
        url, auth=(klab.username, klab.password), transport="ntlm", message_encryption="always"
    )
    with pytest.raises(Exception, match=r"(?i)unauthori|credentials|401"):
        ntlm.run_cmd("hostname")
    assert klab.servers["EXNODE1"].logons.get("ntlm", 0) == before.get("ntlm", 0)


@pytest.fixture
def ticket_env(realm: KerberosRealm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """KRB5_CONFIG and KRB5CCNAME for this test: a ticket cache of its own, still empty."""
    ccache = f"FILE:{tmp_path / 'krb5cc'}"
    monkeypatch.setenv("KRB5_CONFIG", realm.krb5_conf)
    monkeypatch.setenv("KRB5CCNAME", ccache)
    return ccache


def _kinit(klab: Lab, ccache: str, **kw: Any) -> None:
    info = klab.info()["kerberos"]
    assert klab.realm is not None
    klab.realm.kinit(info["user"], info["password"], ccache, **kw)


def _session(klab: Lab, tmp_path: Path, **changes: Any) -> WinRMClusterSession:
    settings, password = settings_from_lab_info(klab.info())
    assert settings.auth is AuthMethod.CURRENT_USER and password == "" and settings.username == ""
    settings = dataclasses.replace(settings, operation_timeout_s=15.0, **changes)
    return WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "audit.jsonl"))


def _logons(klab: Lab) -> dict[str, int]:
    servers = [*klab.servers.values(), klab.cluster_server]
    total: dict[str, int] = {}
    for server in servers:
        assert server is not None
        for kind, n in server.logons.items():
            total[kind] = total.get(kind, 0) + n
    return total


@pytest_asyncio.fixture
async def session(klab: Lab, ticket_env: str, tmp_path: Path) -> AsyncIterator[WinRMClusterSession]:
    _kinit(klab, ticket_env)
    s = _session(klab, tmp_path)
    yield s
    await s.close()


def test_lab_info_names_the_realm_and_each_service_principal(klab: Lab, realm: KerberosRealm) -> None:
    info = klab.info()
    assert info["auth"] == "kerberos"
    krb = info["kerberos"]
    assert krb["realm"] == "CONTOSO.COM" and krb["krb5_conf"] == realm.krb5_conf
    assert krb["user"] == "Administrator@CONTOSO.COM" and krb["password"] == klab.password
    assert info["fqdns"] == {
        "EXNODE1": "exnode1.contoso.com",
        "EXNODE2": "exnode2.contoso.com",
        "EXCLUS1": "exclus1.contoso.com",
    }
    assert krb["service_principals"]["EXNODE2"] == "HTTP/exnode2.contoso.com@CONTOSO.COM"
    assert all(url.startswith("http://127.0.0.1:") for url in info["nodes"].values())


@pytest.mark.asyncio
async def test_ticket_and_no_password_snapshot_action_and_events(
    klab: Lab, session: WinRMClusterSession
) -> None:
    before = _logons(klab)
    snap = await session.snapshot()
    assert snap.node_errors == ()
    assert {n.name for n in snap.nodes} == {"EXNODE1", "EXNODE2"}
    assert snap.cms_group is not None
    paused = await session.pause_node("EXNODE2")
    assert paused.ok, paused.error
    resumed = await session.resume_node("EXNODE2")
    assert resumed.ok, resumed.error
    batches = [b async for b in session.query_events([LogQuery("EXNODE1", "System", max_events=5)])]
    assert len(batches) == 1 and batches[0].error == "" and len(batches[0].events) == 5
    after = _logons(klab)
    new = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    # Every connection logged on with Kerberos: no NTLM, no Basic, no password anywhere.
    assert new.get("kerberos", 0) > 0
    assert new.get("ntlm", 0) == 0 and new.get("basic", 0) == 0


def _channel(klab: Lab, node: str = "EXNODE1") -> tuple[PyWinRMChannel, str]:
    settings, _ = settings_from_lab_info(klab.info())
    url = settings.node_endpoints[node]
    opts = pywinrm_options(settings, url)
    assert opts["kerberos_hostname_override"] == klab.fqdn(node)
    assert opts["message_encryption"] == ("auto" if klab.https else "always")
    return PyWinRMChannel(url, opts, username=None, password=None, operation_timeout_s=5), url


def _logon_error(klab: Lab, node: str = "EXNODE1") -> str:
    channel, _ = _channel(klab, node)
    try:
        with pytest.raises(Exception) as info:
            channel.open_shell(codepage=437)
    finally:
        channel.close()
    err = map_error(info.value, node)
    assert err.kind is ErrorKind.AUTH, err
    return str(err)


def test_no_ticket_says_run_kinit(klab: Lab, ticket_env: str) -> None:
    settings, _ = settings_from_lab_info(klab.info())
    with pytest.raises(ConnectionError_, match="no Kerberos ticket: run kinit"):
        validate_settings(settings, "")
    assert "no Kerberos ticket: run kinit" in _logon_error(klab)


def test_expired_ticket_says_run_kinit_again(klab: Lab, ticket_env: str) -> None:
    _kinit(klab, ticket_env, lifetime="1s")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _expired(klab, ticket_env):
        time.sleep(0.1)
    settings, _ = settings_from_lab_info(klab.info())
    with pytest.raises(ConnectionError_, match="expired: run kinit"):
        validate_settings(settings, "")
    message = _logon_error(klab)
    assert "expired" in message and "kinit" in message


def _expired(klab: Lab, ccache: str) -> bool:
    import gssapi

    try:
        return gssapi.Credentials(usage="initiate").lifetime <= 0
    except gssapi.exceptions.ExpiredCredentialsError:
        return True
    except gssapi.raw.misc.GSSError as exc:
        return "expired" in str(exc).casefold()


def test_ticket_for_another_realm_names_both_realms(klab: Lab, realm: KerberosRealm, ticket_env: str) -> None:
    realm.kinit(f"stranger@{OTHER_REALM}", "Str@nger1", ticket_env)
    message = _logon_error(klab)
    assert f"ticket is for the realm {OTHER_REALM}" in message
    assert "no trust with CONTOSO.COM" in message and "kinit user@CONTOSO.COM" in message


def test_node_whose_keytab_does_not_match_is_named_and_refused(
    klab: Lab, realm: KerberosRealm, ticket_env: str
) -> None:
    spn = "HTTP/exnode2.contoso.com"
    _kinit(klab, ticket_env)
    realm.change_key(spn)  # the KDC's key moves on; the node's keytab keeps the old one
    try:
        before = _logons(klab)
        message = _logon_error(klab, "EXNODE2")
        assert f"refused the Kerberos ticket for {spn}" in message and f"setspn -Q {spn}" in message
        after = _logons(klab)
        assert after == before  # and nothing fell back to NTLM or Basic
        assert "HTTP" in _run_hostname(klab, "EXNODE1")  # the other node is fine
    finally:
        realm.refresh_keytab(spn, klab.keytab)
    assert "EXNODE2" in _run_hostname(klab, "EXNODE2")  # with the keytab refreshed, it works again


def _run_hostname(klab: Lab, node: str) -> str:
    channel, _ = _channel(klab, node)
    try:
        shell = channel.open_shell(codepage=437)
        cid = channel.run_command(shell, "hostname")
        out = b""
        while True:
            got = channel.receive(shell, cid)
            out += got.stdout
            if got.done:
                break
        assert isinstance(channel._protocol.transport.spn, str)  # type: ignore[attr-defined]
        return f"{channel._protocol.transport.spn} {out.decode().strip()}"  # type: ignore[attr-defined]
    finally:
        channel.close()


def test_wsman_service_principal_is_used_when_http_is_missing(
    klab: Lab, realm: KerberosRealm, ticket_env: str
) -> None:
    spn = "HTTP/exclus1.contoso.com"
    _kinit(klab, ticket_env)
    realm._kadmin(f"delprinc -force {spn}@CONTOSO.COM")
    realm._principals.discard(f"{spn}@CONTOSO.COM".casefold())
    try:
        assert _run_hostname(klab, "EXCLUS1") == f"WSMAN/exclus1.contoso.com {klab.cluster_owner()}"
    finally:
        realm.add_service(spn, klab.keytab)


def test_explicit_kerberos_with_a_password_gets_its_own_ticket(
    klab: Lab, ticket_env: str, tmp_path: Path
) -> None:
    """Kerberos with a typed password: a ticket in memory (no cache), the password never on the wire."""
    settings, _ = settings_from_lab_info(klab.info())
    settings = dataclasses.replace(settings, auth=AuthMethod.KERBEROS, username="Administrator@CONTOSO.COM")
    url = settings.node_endpoints["EXNODE1"]
    channel = PyWinRMChannel(
        url, pywinrm_options(settings, url), username=settings.username, password=klab.password,
        operation_timeout_s=5,
    )  # fmt: skip
    try:
        shell = channel.open_shell(codepage=437)
        channel.close_shell(shell)
    finally:
        channel.close()
    assert not os.path.exists(ticket_env.removeprefix("FILE:"))


def test_current_user_availability_follows_the_ticket_cache(klab: Lab, ticket_env: str) -> None:
    from ccrgui.remote.api import current_user_logon

    before = current_user_logon()
    assert not before.ok and "no Kerberos ticket: run kinit" in before.reason
    _kinit(klab, ticket_env)
    after = current_user_logon()
    assert after.ok and after.principal == "Administrator@CONTOSO.COM" and after.reason == ""


def test_connect_dialog_offers_the_current_user_with_a_ticket(
    qtbot: QtBot, klab: Lab, ticket_env: str, tmp_path: Path
) -> None:
    from PySide6.QtCore import QSettings

    from ccrgui.app import current_user_logon
    from ccrgui.gui.connect import ConnectDialog, set_logon_probe

    set_logon_probe(current_user_logon)  # as the app does at start
    qs = QSettings(str(tmp_path / "ccrgui.ini"), QSettings.Format.IniFormat)
    without = ConnectDialog(None, qs)
    qtbot.addWidget(without)
    assert not without.current_user.isEnabled() and without.with_password.isChecked()
    assert "run kinit" in without.current_user_note.text()
    _kinit(klab, ticket_env)
    with_ticket = ConnectDialog(None, qs)
    qtbot.addWidget(with_ticket)
    assert with_ticket.current_user.isEnabled() and with_ticket.current_user.isChecked()
    assert "Administrator@CONTOSO.COM" in with_ticket.current_user_note.text()


@pytest.fixture(scope="module")
def https_klab(realm: KerberosRealm) -> Iterator[Lab]:
    with Lab(auth="kerberos", realm=realm, https=True, speed=50.0, events=100) as running:
        yield running


@pytest.mark.asyncio
async def test_over_https_the_logon_is_bound_to_the_tls_channel(
    https_klab: Lab, ticket_env: str, tmp_path: Path
) -> None:
    _kinit(https_klab, ticket_env)
    settings, _ = settings_from_lab_info(https_klab.info())
    assert settings.https and settings.ca_file and settings.verify_tls
    url = settings.node_endpoints["EXNODE1"]
    assert pywinrm_options(settings, url)["message_encryption"] == "auto"  # TLS protects the messages
    s = _session(https_klab, tmp_path)
    try:
        snap = await s.snapshot()
    finally:
        await s.close()
    assert snap.node_errors == () and snap.cms_group is not None


def test_over_https_wrong_channel_bindings_are_refused(
    https_klab: Lab, ticket_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The binding is checked: a logon bound to another certificate (a relay) is refused."""
    from ccrgui.remote import negotiate

    _kinit(https_klab, ticket_env)
    from spnego.channel_bindings import GssChannelBindings

    real = negotiate.tls_server_end_point
    other = GssChannelBindings(application_data=b"tls-server-end-point:" + bytes(32))
    monkeypatch.setattr(negotiate, "tls_server_end_point", lambda der: other)
    assert "refused the Kerberos ticket" in _logon_error(https_klab)
    monkeypatch.setattr(negotiate, "tls_server_end_point", real)
    assert "EXNODE1" in _run_hostname(https_klab, "EXNODE1")


def test_over_https_a_kerberos_client_without_bindings_is_accepted(https_klab: Lab, ticket_env: str) -> None:
    """CbtHardeningLevel Relaxed, Windows' default: clients that send no bindings still log on."""
    import winrm

    _kinit(https_klab, ticket_env)
    session = winrm.Session(
        https_klab.endpoints["EXNODE2"],
        auth=(None, None),  # type: ignore[arg-type]  # pywinrm's Kerberos transport takes no user/password
        transport="kerberos",
        kerberos_hostname_override=https_klab.fqdn("EXNODE2"),
        ca_trust_path=https_klab.ca_file,
        send_cbt=False,
    )
    assert session.run_cmd("hostname").std_out == b"EXNODE2\r\n"


def test_strict_cbt_refuses_kerberos_without_bindings(realm: KerberosRealm, ticket_env: str) -> None:
    import winrm
    from winrm.exceptions import InvalidCredentialsError

    with Lab(auth="kerberos", realm=realm, https=True, strict_cbt=True, events=20) as strict:
        _kinit(strict, ticket_env)

        def session(send_cbt: bool) -> winrm.Session:
            return winrm.Session(
                strict.endpoints["EXNODE1"], auth=(None, None), transport="kerberos",  # type: ignore[arg-type]
                kerberos_hostname_override=strict.fqdn("EXNODE1"), ca_trust_path=strict.ca_file,
                send_cbt=send_cbt,
            )  # fmt: skip

        with pytest.raises(InvalidCredentialsError):
            session(False).run_cmd("hostname")
        assert session(True).run_cmd("hostname").std_out == b"EXNODE1\r\n"
        assert "EXNODE1" in _run_hostname(strict, "EXNODE1")  # ccrgui binds its logon


def test_a_reset_connection_says_so_and_a_new_channel_logs_on_again(klab: Lab, ticket_env: str) -> None:
    _kinit(klab, ticket_env)
    channel, _ = _channel(klab, "EXNODE1")
    try:
        shell = channel.open_shell(codepage=437)
        server = klab.servers["EXNODE1"]
        assert server._httpd is not None
        server._httpd.drop_connections()  # as a WinRM restart does
        with pytest.raises(Exception) as info:
            channel.close_shell(shell)
    finally:
        channel.close()
    err = map_error(info.value, "EXNODE1")
    assert err.kind is ErrorKind.AUTH and "connection was reset" in str(err) and "password" not in str(err)
    assert "EXNODE1" in _run_hostname(klab, "EXNODE1")
