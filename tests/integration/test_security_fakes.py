"""Issue 10 against an in-process fake WinRS host: hostile names and replies, no HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccrgui.remote.api import AuthMethod, ConnectionSettings
from ccrgui.remote.audit import AuditLog
from ccrgui.remote.session import WinRMClusterSession
from tests.integration.fakes import FakeChannel, FakeHost

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
async def test_audit_keeps_records_of_names_with_unicode_line_breaks(tmp_path: Path) -> None:
    """Item 6: records naming `Web\\u2028Farm` were dropped when read back (str.splitlines)."""
    host = FakeHost(cmd=lambda line: ("done\r\n", "", 0))
    audit = AuditLog(tmp_path / "audit.jsonl")
    s = _session(host, audit)
    names = ["Web\u2028Farm", "Web\u2029Farm", "Web\x85Farm", "Web\rFarm\x0b"]
    try:
        results = [await s.bring_online(name) for name in names[:3]]
        assert all(r.ok for r in results), [r.error for r in results]
        audit.record("EXNODE1", names[3], 0, 0.0, action="Bring online")
    finally:
        await s.close()
    records = audit.read()
    assert [r.command for r in records] == [r.runs[0].command for r in results] + [names[3]]
    assert all(name in r.command for name, r in zip(names, records, strict=True))
    raw = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert len(raw.splitlines()) == len(names)  # one line per record even for splitlines readers
