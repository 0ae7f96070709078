"""Review findings: previews never raise and always equal what the action runs; an unwritable
audit file does not lose an action's result.  In-process fakes only (no lab, no HTTP)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccrgui.domain.plan import ActionKind, ActionRequest
from ccrgui.domain.session_api import AuthMethod, ConnectionSettings
from ccrgui.remote.audit import AuditLog
from ccrgui.remote.session import WinRMClusterSession
from tests.gui.fakes import make_snapshot
from tests.integration.fakes import FakeChannel, FakeHost
from tests.integration.fakes import shown_lines as lines

SETTINGS = ConnectionSettings(
    host="EXCLUS1",
    https=False,
    auth=AuthMethod.NTLM,
    username="CONTOSO\\Administrator",
    node_endpoints={"EXNODE1": "http://127.0.0.1:1/wsman", "EXNODE2": "http://127.0.0.1:2/wsman"},
)


def _session(host: FakeHost, audit: AuditLog) -> WinRMClusterSession:
    return WinRMClusterSession(SETTINGS, "secret", channel_factory=lambda url: FakeChannel(host), audit=audit)


@pytest.mark.asyncio
async def test_previews_of_refused_names_say_not_sent_like_the_action(tmp_path: Path) -> None:
    host = FakeHost()
    s = _session(host, AuditLog(tmp_path / "audit.jsonl"))
    s._last = make_snapshot()  # the GUI previews only after a snapshot
    s._cms, s._cms_group = "EXCH1", "EXCH1"
    try:
        previews = {
            "online": lines(s, ActionRequest(ActionKind.ONLINE_GROUP, "-Evil")),
            "offline": lines(s, ActionRequest(ActionKind.OFFLINE_GROUP, "/Evil")),
            "move": lines(s, ActionRequest(ActionKind.MOVE_GROUP, "-Evil", "EXNODE2")),
            "pause": lines(s, ActionRequest(ActionKind.PAUSE_NODE, "-EXNODE2")),
            "resume": lines(s, ActionRequest(ActionKind.RESUME_NODE, "EX\nNODE2")),
        }
        for name, shown in previews.items():
            assert len(shown) == 1 and shown[0].startswith("Not sent: "), (name, shown)
        results = {
            "online": await s.bring_online("-Evil"),
            "offline": await s.take_offline("/Evil"),
            "move": await s.move_group("-Evil", "EXNODE2"),
            "pause": await s.pause_node("-EXNODE2"),
            "resume": await s.resume_node("EX\nNODE2"),
        }
        for name, result in results.items():
            assert not result.ok and result.runs == ()
            assert result.error == previews[name][0], name
        assert host.requests == 0  # nothing was sent
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_copy_previews_equal_the_command_that_runs_even_before_the_cms_name_is_known(
    tmp_path: Path,
) -> None:
    host = FakeHost(ps=lambda script: [("action", "", 0)])
    s = _session(host, AuditLog(tmp_path / "audit.jsonl"))
    s._last = make_snapshot()  # copies say EXCH1\First Storage Group; the mbx read did not answer
    assert s._cms is None
    try:
        suspend = ActionRequest(ActionKind.SUSPEND_COPY, "First Storage Group", text="backup window")
        preview = lines(s, suspend)
        assert preview == [
            "Suspend-StorageGroupCopy -Identity 'EXCH1\\First Storage Group' "
            "-SuspendComment 'backup window' -Confirm:$false"
        ]
        done = await s.suspend_copy("First Storage Group", "backup window")
        assert done.ok, done.error
        assert [r.command for r in done.runs] == preview
        preview = lines(s, ActionRequest(ActionKind.RESUME_COPY, "First Storage Group"))
        resumed = await s.resume_copy("First Storage Group")
        assert [r.command for r in resumed.runs] == preview
        assert "'EXCH1\\First Storage Group'" in preview[0]
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_unwritable_audit_file_keeps_the_actions_result(tmp_path: Path) -> None:
    host = FakeHost(cmd=lambda line: ("Moving resource group 'Cluster Group'...\r\n", "", 0))
    blocked = tmp_path / "audit.jsonl"
    blocked.mkdir()  # a directory where the file should be: every append fails
    audit = AuditLog(blocked)
    s = _session(host, audit)
    s._last = make_snapshot()
    s._cms, s._cms_group = "EXCH1", "EXCH1"
    try:
        result = await s.move_group("Cluster Group", "EXNODE2")
        assert result.ok, result.error
        move = ActionRequest(ActionKind.MOVE_GROUP, "Cluster Group", "EXNODE2")
        assert result.runs[0].command == lines(s, move)[0]
        assert "could not be written" in audit.write_error
    finally:
        await s.close()


def test_messages_are_sealed_unless_verified_tls_protects_them() -> None:
    from ccrgui.remote.transport import pywinrm_options

    def enc(url: str, auth: AuthMethod, verify: bool) -> str:
        s = ConnectionSettings("N1", auth=auth, username="C\\a", verify_tls=verify)
        return str(pywinrm_options(s, url)["message_encryption"])

    assert enc("http://n1:5985/wsman", AuthMethod.NTLM, True) == "always"
    assert enc("https://n1:5986/wsman", AuthMethod.NTLM, True) == "auto"
    assert enc("https://n1:5986/wsman", AuthMethod.NTLM, False) == "always"  # TLS not checked
    assert enc("https://n1:5986/wsman", AuthMethod.CREDSSP, False) == "always"
    assert enc("https://n1:5986/wsman", AuthMethod.BASIC, False) == "auto"  # Basic cannot seal
    opts = pywinrm_options(
        ConnectionSettings("N1", auth=AuthMethod.NTLM, username="C\\a"), "https://n1/wsman"
    )
    assert opts["server_cert_validation"] == "validate"  # verified by default


def test_auth_tokens_stay_out_of_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    import ccrgui.remote.transport  # noqa: F401  (importing the transport is enough)

    caplog.set_level(logging.DEBUG)  # what `ccrgui --verbose` does to the root logger
    assert logging.getLogger("ccrgui.remote.session").isEnabledFor(logging.DEBUG)
    for name in ("spnego", "spnego._negotiate", "winrm.vendor.requests_kerberos.kerberos_"):
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name


@pytest.mark.asyncio
@pytest.mark.integration
async def test_cms_move_and_stop_run_exactly_the_previewed_lines(lab: object, tmp_path: Path) -> None:
    """Against the lab: the confirmation's lines are the lines that run, quotes and all."""
    from typing import Any

    from ccrgui.remote.session import settings_from_lab_info

    running: Any = lab
    settings, password = settings_from_lab_info(running.info())
    s = WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "audit.jsonl"))
    cms = running.topology.cms_name
    comment = "Patch \u2019Tuesday\u2019 \"KB950050\" 'now'"
    try:
        await s.snapshot()
        shown: list[str] = []
        for preview, act in (
            (
                lines(s, ActionRequest(ActionKind.MOVE_GROUP, cms, "EXNODE2", comment)),
                lambda: s.move_group(cms, "EXNODE2", comment),
            ),
            (
                lines(s, ActionRequest(ActionKind.OFFLINE_GROUP, cms, text=comment)),
                lambda: s.take_offline(cms, comment),
            ),
            (
                lines(s, ActionRequest(ActionKind.MOVE_GROUP, "Cluster Group", "EXNODE2")),
                lambda: s.move_group("Cluster Group", "EXNODE2"),
            ),
        ):
            result = await act()
            assert result.ok, result.error
            assert [r.command for r in result.runs] == preview
            shown += preview
        records = AuditLog(tmp_path / "audit.jsonl").read()
        assert [r.command for r in records][-3:] == shown  # the audit log has the same lines
    finally:
        await s.close()


def test_a_host_that_is_not_a_name_is_refused_before_anything_is_sent() -> None:
    from ccrgui.remote.api import ConnectionError_
    from ccrgui.remote.transport import validate_settings

    for host in ("EX NODE1", "exnode1/evil", "user@exnode1", "exnode1#x", "ex\\node1"):
        s = ConnectionSettings(host, auth=AuthMethod.NTLM, username="C\\a")
        with pytest.raises(ConnectionError_, match="is not a host name"):
            validate_settings(s, "pw")
    for host in ("EXCLUS1", "exnode1.contoso.com", "10.0.0.11", "[fe80::1]"):
        assert validate_settings(ConnectionSettings(host, auth=AuthMethod.NTLM, username="C\\a"), "pw") == []
