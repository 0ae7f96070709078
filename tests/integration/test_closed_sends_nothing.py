"""After close (or after giving a call up) the backend sends nothing more.

A client that kept working after its test ended reached a later test's lab that had been given
the stopped lab's port, and logged on there.  These drive each late path by hand (a held-back
worker queue, a shortened Delete retry schedule), so nothing depends on timing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ccrgui.domain.plan import Plan, Shell, Step
from ccrgui.remote import scripts, shells
from ccrgui.remote.api import LogQuery
from ccrgui.remote.audit import AuditLog
from ccrgui.remote.session import WinRMClusterSession
from ccrgui.remote.shells import CmdShell
from ccrgui.remote.transport import Channel, ErrorKind, HostConnection, TransportError
from tests.gui.guitools import wait_for
from tests.integration.fakes import FakeChannel, FakeHost
from tests.integration.test_security_fakes import SETTINGS


class HeldExecutor(concurrent.futures.Executor):
    """Keeps submitted calls until the test runs them: "the worker picked it up late"."""

    def __init__(self) -> None:
        self.held: list[Callable[[], Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        self.held.append(lambda: fn(*args, **kwargs))
        return concurrent.futures.Future()

    def run_held(self) -> None:
        held, self.held = self.held, []
        for call in held:
            call()


def _counting_factory(host: FakeHost, made: list[str]) -> Callable[[str], Channel]:
    def make(url: str) -> Channel:
        made.append(url)
        return FakeChannel(host)

    return make


@pytest.mark.asyncio
async def test_closed_session_sends_nothing_and_opens_no_connection(tmp_path: Path) -> None:
    host = FakeHost(cmd=lambda line: ("done\r\n", "", 0))
    made: list[str] = []
    factory = _counting_factory(host, made)
    s = WinRMClusterSession(SETTINGS, "secret", channel_factory=factory, audit=AuditLog(tmp_path / "a.jsonl"))
    step = Step("Bring G online", Shell.CMD, (scripts.group_online_line("G"),))
    first = await s.run_plan(Plan(step.title, (step,)))
    assert first.ok, first.error
    await s.close()
    assert s.closed
    sent, channels = host.requests, len(made)
    # What a refresh or a view still running in another task would do next: an action, and an
    # event query on a node this session never contacted (a new link).
    late = await s.run_plan(Plan(step.title, (step,)))
    assert not late.ok
    batches = [b async for b in s.query_events([LogQuery("EXNODE2", "System", max_events=5)])]
    assert [b.error != "" for b in batches] == [True]
    assert (host.requests, len(made)) == (sent, channels)


@pytest.mark.asyncio
async def test_a_call_given_up_before_a_worker_took_it_is_never_sent() -> None:
    host = FakeHost()
    made: list[str] = []
    executor = HeldExecutor()
    conn = HostConnection("N1", "http://fake/wsman", _counting_factory(host, made), executor=executor)
    call = asyncio.ensure_future(conn.call(lambda ch: ch.open_shell(codepage=65001), timeout=5.0))
    await asyncio.sleep(0)
    assert len(executor.held) == 1
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    executor.run_held()  # the worker gets to it only now
    assert (host.requests, made) == (0, [])
    await conn.aclose()


@pytest.mark.asyncio
async def test_a_call_queued_when_its_connection_closes_is_never_sent() -> None:
    host = FakeHost()
    made: list[str] = []
    executor = HeldExecutor()
    conn = HostConnection("N1", "http://fake/wsman", _counting_factory(host, made), executor=executor)
    call = asyncio.ensure_future(conn.call(lambda ch: ch.open_shell(codepage=65001), timeout=5.0))
    await asyncio.sleep(0)
    await conn.aclose()
    executor.run_held()
    with pytest.raises(TransportError) as err:
        await call
    assert err.value.not_sent
    assert (host.requests, made) == (0, [])


@pytest.mark.asyncio
async def test_delete_retries_of_dropped_shells_stop_when_the_connection_closes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shells, "DELETE_RETRY_S", (0.2, 0.2, 0.2))
    host = FakeHost()
    conn = HostConnection("N1", "http://fake/wsman", lambda url: FakeChannel(host))
    shell = CmdShell(conn)
    out = await shell.run("hostname", skip_cmd_shell=False, timeout=5.0)
    assert out.exit_code == 0
    # Every Delete fails with an error that may pass (HTTP 500): the shell is retried on a schedule.
    host.fail_next = [TransportError(ErrorKind.HTTP, "HTTP 500", "N1") for _ in range(20)]
    before = host.requests
    shell._forget_shell()
    deleter = shell._deleter
    assert deleter is not None
    await wait_for(lambda: host.requests > before, what="the first Delete (it fails)")
    await conn.aclose()
    sent = host.requests
    await asyncio.wait_for(deleter, 5.0)  # the schedule runs out: it stops at once
    assert host.requests == sent and shell.orphans
    await shell.close()  # nothing left to send with
    assert host.requests == sent
