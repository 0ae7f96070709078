"""Issue 10 against an in-process fake WinRS host: hostile names and replies, no HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccrgui.domain.plan import ActionKind, ActionRequest, Plan, Refusal, Shell, Step
from ccrgui.domain.session_api import AuthMethod, ConnectionSettings
from ccrgui.remote import scripts
from ccrgui.remote.audit import AuditLog
from ccrgui.remote.planner import PlanFacts, build_plan
from ccrgui.remote.session import WinRMClusterSession
from tests.gui.fakes import make_snapshot
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
    """Item 6: records naming `Web\u2028Farm` were dropped when read back (str.splitlines)."""
    host = FakeHost(cmd=lambda line: ("done\r\n", "", 0))
    audit = AuditLog(tmp_path / "audit.jsonl")
    s = _session(host, audit)
    names = ["Web\u2028Farm", "Web\u2029Farm", "Web\x85Farm", "Web\rFarm\x0b"]
    try:
        # Hand-built plans: the session runs and audits them whatever the planner would allow.
        steps = [Step(f"Bring {n} online", Shell.CMD, (scripts.group_online_line(n),)) for n in names[:3]]
        plans = [Plan(step.title, (step,)) for step in steps]
        results = [await s.run_plan(p) for p in plans]
        assert all(r.ok for r in results), [r.error for r in results]
        audit.record("EXNODE1", names[3], 0, 0.0, action="Bring online")
    finally:
        await s.close()
    records = audit.read()
    assert [r.command for r in records] == [r.runs[0].command for r in results] + [names[3]]
    assert all(name in r.command for name, r in zip(names, records, strict=True))
    raw = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert len(raw.splitlines()) == len(names)  # one line per record even for splitlines readers


_EVENT = (
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
    "<Provider Name='Microsoft-Windows-FailoverClustering'/><EventID>1069</EventID><Level>2</Level>"
    "<Task>3</Task><TimeCreated SystemTime='2026-11-25T12:00:00.000Z'/><EventRecordID>{rid}</EventRecordID>"
    "<Channel>System</Channel><Computer>EXNODE1</Computer></System><EventData>"
    "<Data Name='ResourceName'>{name}</Data><Data Name='ResourceGroup'>G</Data></EventData></Event>"
)


@pytest.mark.asyncio
async def test_events_with_referenced_control_characters_are_shown_escaped(tmp_path: Path) -> None:
    """Item 9: `&#x1;` (a character XML forbids even as a reference) made the event unreadable."""
    from ccrgui.domain.session_api import LogQuery

    names = ["Bad&#x1;Name", "Nul&#0;", "Esc&#27;[0m", "Big&#x110000;", "Fine&#x41;"]
    output = "\r\n".join(_EVENT.format(rid=i, name=n) for i, n in enumerate(names, start=1))
    host = FakeHost(cmd=lambda line: (output + "\r\n", "", 0))
    s = _session(host, AuditLog(tmp_path / "audit.jsonl"))
    try:
        batches = [b async for b in s.query_events([LogQuery("EXNODE1", "System", max_events=10)])]
    finally:
        await s.close()
    assert not batches[0].error, batches[0].error
    shown = [e.data["ResourceName"] for e in batches[0].events]
    assert shown == ["Bad\\x01Name", "Nul\\x00", "Esc\\x1b[0m", "Big\\U00110000", "FineA"]
    assert "Bad\\x01Name" in batches[0].events[0].raw_xml


@pytest.mark.asyncio
async def test_cluster_exe_lines_longer_than_createprocess_allows_are_not_sent(tmp_path: Path) -> None:
    """Item 10: cluster.exe action lines skipped the 32,767-character command line limit."""
    host = FakeHost(cmd=lambda line: ("done\r\n", "", 0))
    s = _session(host, AuditLog(tmp_path / "audit.jsonl"))
    long_group, long_node = "G" * 32_760, "N" * 40_000
    snap = make_snapshot(extra_groups=(long_group, "G" * 32_000))
    facts = PlanFacts(snap, cms="EXCH1", cms_group="EXCH1", exchange_read=True)
    refused = [
        build_plan(ActionRequest(ActionKind.ONLINE_GROUP, long_group), facts),
        build_plan(ActionRequest(ActionKind.MOVE_GROUP, "Cluster Group", long_node), facts),
    ]
    fits = build_plan(ActionRequest(ActionKind.OFFLINE_GROUP, "G" * 32_000), facts)
    for plan in refused:
        assert isinstance(plan, Refusal) and "too long" in plan.reason, plan
    assert isinstance(fits, Plan) and len(fits.command_lines[0]) == 32_027
    try:
        result = await s.run_plan(fits)  # the line that fits is sent
    finally:
        await s.close()
    assert result.ok, result.error
    assert host.requests > 0
    assert all("G" * 32_760 not in c.line for cmds in host.shells.values() for c in cmds.values())
