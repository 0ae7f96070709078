"""Unit tests of the transport pool, shells and PowerShell framing against an in-process fake."""

from __future__ import annotations

import asyncio
import itertools
import socket
import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccrgui.remote.api import AuthMethod, ConnectionError_, ConnectionSettings
from ccrgui.remote.audit import AuditLog
from ccrgui.remote.shells import CmdShell, PowerShellHost, parse_sections
from ccrgui.remote.transport import (
    ErrorKind,
    HostConnection,
    TransportError,
    pywinrm_factory,
    validate_settings,
)
from tests.integration.fakes import FakeChannel, FakeHost

_OPEN: list[HostConnection] = []


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    """Each test's connections are closed when it ends, passed or failed."""
    yield
    while _OPEN:
        asyncio.run(_OPEN.pop().aclose())


def _conn(host: FakeHost) -> HostConnection:
    conn = HostConnection("NODE1", "http://fake/wsman", lambda url: FakeChannel(host))
    _OPEN.append(conn)
    return conn


@pytest.mark.asyncio
async def test_cmd_shell_is_reused_and_commands_are_signalled() -> None:
    host = FakeHost(cmd=lambda line: (f"ran {line}\r\n", "", 3))
    shell = CmdShell(_conn(host))
    a = await shell.run("cluster.exe node", skip_cmd_shell=True, timeout=5)
    b = await shell.run("cluster.exe group", skip_cmd_shell=True, timeout=5)
    await shell._bg.drain()
    assert a.stdout == "ran cluster.exe node\r\n" and a.exit_code == 3
    assert b.stdout == "ran cluster.exe group\r\n"
    assert len(host.shells) == 1  # one shell for both commands
    assert len(host.signals) == 2  # each command freed with Signal terminate
    await shell.close()
    assert host.shells == {}


@pytest.mark.asyncio
async def test_powershell_second_request_costs_one_send_and_one_receive() -> None:
    host = FakeHost(ps=lambda script: [("answer", "x\r\ny", 0)])
    ps = PowerShellHost(_conn(host))
    first = await ps.run("# body", timeout=5)
    assert first.section("answer") is not None
    assert first.section("answer").text == "x\r\ny"  # type: ignore[union-attr]
    assert ps.exchange_error is None
    before = host.requests
    second = await ps.run("# body", timeout=5)
    assert host.requests - before == 2
    assert second.section("answer").text == "x\r\ny"  # type: ignore[union-attr]
    assert ps.starts == 1


@pytest.mark.asyncio
async def test_output_cannot_forge_the_frame() -> None:
    forged = "ccrgui0000:E:2\nccrgui:S:evil:0\n:E:2\nS:other:0"
    host = FakeHost(ps=lambda script: [("name", forged, 0)])
    ps = PowerShellHost(_conn(host))
    out = await ps.run("# body", timeout=5)
    assert [s.name for s in out.sections] == ["name"]
    assert out.sections[0].text == forged


def test_frames_keep_split_utf8_and_spot_garbage() -> None:
    from ccrgui.remote.shells import _Frames

    frames = _Frames("MK")
    data = "MK:B:3\nMK:S:g:0\nGrüße ‘x’\nMK:E:3\n".encode()
    cut = data.index("ü".encode()) + 1  # inside the two-byte character
    frames.feed(data[:cut])
    assert frames.frames == {} and frames.in_frame(3) and not frames.garbage()
    frames.feed(data[cut:])
    assert frames.frames[3][0].text == "Grüße ‘x’"
    damaged = _Frames("MK")
    damaged.feed(b"M\x9bK:B:4\nMK:S:g:0\nx\nMK:E:4\n")
    assert damaged.frames == {} and damaged.garbage()


@given(cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=12))
def test_frames_split_anywhere_give_the_same_frames(cuts: list[int]) -> None:
    """Frames fed in any pieces (an end tag cut in two, two frames in one Receive) come out
    whole and once: the open frame is not searched again from its start, only its new tail."""
    from ccrgui.remote.shells import _Frames

    data = (
        "noise\nMK:B:1\nMK:S:a:0\n" + "x" * 60 + "\nMK:E:1\n"
        "MK:B:2\nMK:S:b:0\nsecond: E:1\nMK:E:2\nMK:B:3\nMK:X:c:denied\nMK:E:3\n"
    ).encode()
    frames = _Frames("MK")
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    for a, b in itertools.pairwise(points):
        frames.feed(data[a:b])
    assert sorted(frames.frames) == [1, 2, 3]
    assert frames.frames[1][0].text == "x" * 60
    assert frames.frames[2][0].text == "second: E:1"
    assert frames.frames[3][0].error == "denied" and frames.buffer == bytearray()


def test_parse_sections_error_and_exit_codes() -> None:
    body = "M:S:a:0\nline1\r\nline2\r\n\nM:X:b:access denied\nM:S:c:5\n\n"
    secs = parse_sections(body, "M")
    assert [(s.name, s.exit_code, s.ok) for s in secs] == [("a", 0, True), ("b", None, False), ("c", 5, True)]
    assert secs[0].text == "line1\r\nline2\r\n"
    assert secs[1].error == "access denied"
    assert secs[2].text == ""


@pytest.mark.asyncio
async def test_broken_powershell_is_replaced_for_reads() -> None:
    host = FakeHost(ps=lambda script: [("v", "1", 0)])
    ps = PowerShellHost(_conn(host))
    await ps.run("# body", timeout=5)
    host.ps_exit_next = True
    with pytest.raises(TransportError) as info:
        await ps.run("# body", timeout=5)  # an action: no retry
    assert info.value.kind is ErrorKind.SHELL_GONE
    host.ps_exit_next = True
    out = await ps.run("# body", timeout=5, retry=True)  # a read: transparently restarted
    assert out.section("v") is not None
    assert ps.starts == 3


@pytest.mark.asyncio
async def test_timeout_terminates_and_hung_host_does_not_block_loop() -> None:
    host = FakeHost()
    shell = CmdShell(_conn(host))
    await shell.run("x", skip_cmd_shell=True, timeout=5)
    host.hang.set()
    t0 = time.monotonic()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    tick = asyncio.ensure_future(ticker())
    with pytest.raises(TransportError) as info:
        await shell.run("y", skip_cmd_shell=True, timeout=0.5)
    tick.cancel()
    assert info.value.kind is ErrorKind.TIMEOUT
    assert time.monotonic() - t0 < 2.0
    assert ticks > 10  # the event loop kept running while the call hung
    host.hang.clear()
    await asyncio.sleep(0.2)  # let the released worker hand its channel back


@pytest.mark.asyncio
async def test_cancel_sends_signal_terminate() -> None:
    host = FakeHost()
    ps = PowerShellHost(_conn(host))
    await ps.run("# body", timeout=5)
    host.ps_silent = True  # never answers: Receive keeps timing out
    task = asyncio.ensure_future(ps.run("# long", timeout=30))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await ps._bg.drain()
    assert host.signals, "the remote PowerShell was not terminated"


def test_settings_refuse_password_over_plain_http() -> None:
    basic = ConnectionSettings("EXCLUS1", https=False, auth=AuthMethod.BASIC, username="C\\a")
    with pytest.raises(ConnectionError_, match="only allowed over HTTPS"):
        validate_settings(basic, "pw")
    mixed = ConnectionSettings(
        "EXCLUS1", auth=AuthMethod.BASIC, username="C\\a", node_endpoints={"N1": "http://n1:5985/wsman"}
    )
    with pytest.raises(ConnectionError_, match="only allowed over HTTPS"):
        validate_settings(mixed, "pw")
    ntlm = ConnectionSettings("EXCLUS1", https=False, auth=AuthMethod.NTLM, username="C\\a")
    assert validate_settings(ntlm, "pw") == []  # NTLM seals the messages itself
    with pytest.raises(ConnectionError_, match="needs a password"):
        validate_settings(ntlm, "")
    insecure = ConnectionSettings("EXCLUS1", auth=AuthMethod.BASIC, username="C\\a", verify_tls=False)
    assert any("verification is OFF" in w for w in validate_settings(insecure, "pw"))
    with pytest.raises(ConnectionError_, match="does not exist"):
        validate_settings(
            ConnectionSettings("E", auth=AuthMethod.NTLM, username="a", ca_file="/nonexistent.pem"), "pw"
        )


@pytest.mark.asyncio
async def test_connection_refused_is_reported_clearly() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    url = f"http://127.0.0.1:{port}/wsman"
    settings = ConnectionSettings(
        "N1", https=False, auth=AuthMethod.NTLM, username="C\\a", node_endpoints={"N1": url}
    )
    conn = HostConnection("N1", url, pywinrm_factory(settings, "pw"))
    _OPEN.append(conn)
    with pytest.raises(TransportError) as info:
        await conn.call(lambda ch: ch.open_shell(codepage=65001), timeout=10)
    assert info.value.kind is ErrorKind.UNREACHABLE
    assert "connection refused" in str(info.value)
    assert str(info.value).startswith("N1: ")


def test_audit_appends_whole_lines_without_secrets(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "sub" / "audit.jsonl"
    audit = AuditLog(path, remote_user="CONTOSO\\Administrator")
    audit.record("EXNODE1", 'cluster.exe group "EXCH1" /move', 0, 1.5, action="Move EXCH1")
    audit.record("EXNODE1", "net use x: -password S3cret!", 5, 0.1)
    recs = audit.read()
    assert [r.exit_code for r in recs] == [0, 5]
    assert recs[0].host == "EXNODE1" and recs[0].duration_s == 1.5 and recs[0].user
    assert "S3cret" not in path.read_text(encoding="utf-8")
