"""Issue 10: hostile cluster output, hostile files and a hostile network, against the lab."""

from __future__ import annotations

import asyncio
import dataclasses
import http.server
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ccrgui.domain.eventquery import (
    FAILOVER_CLUSTERING,
    EventFilter,
    FilterError,
    TargetKind,
    critical_events_filter,
    from_querylist_xml,
    to_log_queries,
    to_querylist_xml,
)
from ccrgui.domain.model import Event, EventLevel
from ccrgui.remote.api import LogQuery
from ccrgui.remote.audit import AuditLog
from ccrgui.remote.session import WinRMClusterSession, settings_from_lab_info
from ccrgui.remote.shells import CmdShell
from ccrgui.remote.transport import (
    ErrorKind,
    HostConnection,
    PyWinRMChannel,
    TransportError,
    pywinrm_factory,
    reply_limit,
)

pytestmark = pytest.mark.integration


class Listener:
    """A TCP port that must receive nothing: it records every connection and what was sent."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.settimeout(0.5)
            try:
                self.received.append(conn.recv(65536))
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    ear = Listener()
    yield ear
    ear.close()


def _hostile_node_lab(node_name: str) -> Any:
    from ccrgui.lab.lab import Lab
    from ccrgui.lab.topology import default_topology, topology_from_json

    raw = default_topology().to_json()
    raw["nodes"].append({"name": node_name})
    return Lab(topology_from_json(raw), speed=50.0, events=30)


@pytest.mark.asyncio
async def test_node_name_from_cluster_output_never_reaches_a_url(listener: Listener, tmp_path: Path) -> None:
    """Item 1: a node reported as `127.0.0.1:<port>/wsman#` made the session log on to that port."""
    evil = f"127.0.0.1:{listener.port}/wsman#"
    with _hostile_node_lab(evil) as lab:
        settings, password = settings_from_lab_info(lab.info())
        # The admin configured the two real nodes; the third name comes only from cluster.exe.
        endpoints = {k: v for k, v in settings.node_endpoints.items() if k != evil}
        settings = dataclasses.replace(settings, node_endpoints=endpoints, operation_timeout_s=10.0)
        s = WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "audit.jsonl"))
        try:
            first = await s.snapshot()
            assert evil in {n.name for n in first.nodes}  # shown as the cluster reports it
            snap = await s.snapshot()
            node = snap.node(evil)
            assert node is not None and not node.reachable
            assert "not a computer name" in node.error and "not contacted" in node.error
            assert {g.name for g in snap.groups} == {g.name for g in lab.topology.groups}
            batches = [b async for b in s.query_events([LogQuery(evil, "System", max_events=5)])]
            assert batches[0].error and "not contacted" in batches[0].error
            pause = await s.pause_node("EXNODE2")  # actions still run on a real node
            assert pause.ok, pause.error
        finally:
            await s.close()
    assert listener.connections == 0 and listener.received == []


@pytest.mark.asyncio
async def test_nodes_of_a_saved_filter_must_be_members_of_the_cluster(
    lab: Any, listener: Listener, tmp_path: Path
) -> None:
    """Item 1: the node names inside a QueryList file were queried whatever they were."""
    evil = f"127.0.0.1:{listener.port}/wsman#"
    saved = to_querylist_xml(EventFilter(nodes=("EXNODE1",)))
    flt = from_querylist_xml(saved.replace("EXNODE1", evil.replace("-", "\\u002d")))
    assert flt.nodes == (evil,)
    with pytest.raises(FilterError, match="not a node of this cluster"):
        to_log_queries(flt, ["EXNODE1", "EXNODE2"])
    with pytest.raises(FilterError, match="not a node name"):
        to_log_queries(flt)
    settings, password = settings_from_lab_info(lab.info())
    s = WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "audit.jsonl"))
    try:
        # Even if a caller skipped that check, the session queries members only.
        for node in (evil, "OTHERNODE"):
            batches = [b async for b in s.query_events([LogQuery(node, "System", max_events=5)])]
            assert batches[0].error.startswith("Not sent:") and "is not a node of" in batches[0].error
    finally:
        await s.close()
    assert listener.connections == 0


def _lab_conn(lab: Any, node: str = "EXNODE1") -> HostConnection:
    settings, password = settings_from_lab_info(lab.info())
    return HostConnection(node, settings.node_endpoints[node], pywinrm_factory(settings, password))


@pytest.mark.asyncio
async def test_a_reply_without_shell_or_command_id_is_reported_at_once(lab: Any) -> None:
    """Item 4: pywinrm raised StopIteration, which no future accepts: the call hung until its timeout."""
    conn = _lab_conn(lab)
    shell = CmdShell(conn)
    try:
        lab.faults.arm(lab.faults.strip_ids_next, "EXNODE1")  # the Create reply
        t0 = time.monotonic()
        with pytest.raises(TransportError) as info:
            await shell.run("hostname", skip_cmd_shell=True, timeout=60.0)
        assert info.value.kind is ErrorKind.PROTOCOL
        assert "unexpected reply" in info.value.detail and "ShellId" in info.value.detail
        assert time.monotonic() - t0 < 30.0  # not the 60 s timeout
        lab.faults.arm(lab.faults.strip_ids_next, "EXNODE1")  # this time the Command reply
        with pytest.raises(TransportError, match="unexpected reply"):
            await shell.run("hostname", skip_cmd_shell=True, timeout=60.0)
        assert time.monotonic() - t0 < 30.0
        out = await shell.run("hostname", skip_cmd_shell=True, timeout=60.0)  # and then it works
        assert out.stdout.strip() == "EXNODE1"
    finally:
        await shell.close()
        await conn.aclose()


def _shells_held(s: WinRMClusterSession, node: str) -> int:
    link = s._links[node.casefold()]
    return sum(sh.shell_id is not None for sh in (link.cmd, link.ps))


async def _until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.05)


@pytest.mark.asyncio
async def test_shells_dropped_after_a_failed_delete_are_deleted_later_and_on_close(
    lab: Any, tmp_path: Path
) -> None:
    """Item 5: after a 500 the one background Delete failed too and the shell stayed on the node."""
    settings, password = settings_from_lab_info(lab.info())
    s = WinRMClusterSession(
        dataclasses.replace(settings, operation_timeout_s=15.0),
        password,
        audit=AuditLog(tmp_path / "a.jsonl"),
    )
    service = lab.services["EXNODE1"]
    try:
        await s.snapshot()
        await s.snapshot()  # PowerShell is ready on both nodes
        # The next request to EXNODE1 fails with HTTP 500, and so does the Delete of the dropped shell.
        lab.faults.arm(lab.faults.http500_next, "EXNODE1", 1)
        lab.faults.arm(lab.faults.fail_delete_next, "EXNODE1", 1)
        snap = await s.snapshot()
        assert snap.groups
        assert lab.faults.fail_delete_next.get("exnode1") == 0  # a Delete was refused
        await _until(lambda: service.shell_count == _shells_held(s, "EXNODE1"))
        lab.faults.arm(lab.faults.fail_delete_next, "EXNODE1", 1)  # closing meets one failure too
    finally:
        await s.close()
    assert service.shell_count == 0
    assert lab.services["EXNODE2"].shell_count == 0


@pytest.mark.asyncio
async def test_critical_events_of_a_group_match_its_whole_name_only(lab: Any, tmp_path: Path) -> None:
    """Item 8: the preset for `Grp` also showed events of `Grp A`; `EXCH1` matched `EXCH1-test`."""
    node = lab.journal.nodes[0]
    written = {}
    for group in ("Grp", "Grp A", "EXCH1-test", "My EXCH1"):
        written[group] = lab.journal.write(
            node,
            "System",
            FAILOVER_CLUSTERING,
            1069,
            int(EventLevel.ERROR),
            data=[("ResourceName", f"Disk of {group}"), ("ResourceGroup", group)],
        ).record_id
    settings, password = settings_from_lab_info(lab.info())
    s = WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "audit.jsonl"))
    fetched: dict[tuple[str, int], Event] = {}
    try:
        for target, expected in (("Grp", {"Grp"}), ("Grp A", {"Grp A"}), ("EXCH1", set())):
            flt = critical_events_filter(TargetKind.GROUP, target)
            shown: set[int] = set()
            async for batch in s.query_events(to_log_queries(flt, [node])):
                assert not batch.error, batch.error
                shown |= {e.record_id for e in batch.events if flt.mentions_match(e)}
                fetched.update({(e.log, e.record_id): e for e in batch.events})
            assert {g for g, rid in written.items() if rid in shown} == expected, target
        # The message alone, quoted as the cluster service writes it, still counts.
        sample = fetched[("System", written["Grp A"])]
        assert critical_events_filter(TargetKind.GROUP, "Grp A").mentions_match(
            dataclasses.replace(sample, data={})
        )
    finally:
        await s.close()


@pytest.mark.asyncio
async def test_output_larger_than_the_limit_is_stopped_with_a_clear_error(lab: Any) -> None:
    """Item 9: a command's output was read whatever its size (150 MB took the app to 791 MB)."""
    settings, password = settings_from_lab_info(lab.info())
    settings = dataclasses.replace(settings, max_output_bytes=1_000_000)
    conn = HostConnection(
        "EXNODE1",
        settings.node_endpoints["EXNODE1"],
        pywinrm_factory(settings, password),
        max_output_bytes=settings.max_output_bytes,
    )
    shell = CmdShell(conn)
    try:
        with pytest.raises(TransportError) as info:
            await shell.run(
                "powershell -NoProfile -Command \"'x' * 3000000\"", skip_cmd_shell=True, timeout=60
            )
        assert info.value.kind is ErrorKind.TOO_LARGE
        assert "limit of 0.953674 MB" in info.value.detail and "max_output_bytes" in info.value.detail
        small = await shell.run(
            "powershell -NoProfile -Command \"'x' * 300000\"", skip_cmd_shell=True, timeout=60
        )
        assert small.stdout.count("x") == 300000  # below the limit: read in full, same connection
    finally:
        await shell.close()
        await conn.aclose()


class _HugeReplies(http.server.BaseHTTPRequestHandler):
    """A 'WinRM service' answering every POST with a body far larger than any real reply."""

    size = 8 << 20
    chunked = False

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/soap+xml;charset=UTF-8")
        if self.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(self.size))
        self.end_headers()
        block = b"<x>" + b"A" * 65530 + b"</x>"
        try:
            for _ in range(self.size // len(block)):
                if self.chunked:
                    self.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")
                else:
                    self.wfile.write(block)
            if self.chunked:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client stopped reading: what it should do

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.asyncio
@pytest.mark.parametrize("chunked", [False, True])
async def test_a_single_huge_reply_is_not_read_past_the_limit(chunked: bool) -> None:
    """Item 9: one HTTP reply is read with a limit too (pywinrm reads any body whole)."""
    handler = type("Handler", (_HugeReplies,), {"chunked": chunked})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/wsman"
    # Basic over plain HTTP only because this fake cannot seal messages; nothing secret is sent.
    channel = PyWinRMChannel(
        url,
        {"transport": "basic", "message_encryption": "never", "proxy": None},
        username="lab",
        password="not-a-secret",
        operation_timeout_s=5,
        max_reply_bytes=reply_limit(1_000_000),
    )
    conn = HostConnection("FAKE", url, lambda _: channel)
    try:
        with pytest.raises(TransportError) as info:
            await conn.call(lambda ch: ch.open_shell(codepage=65001), timeout=30)
        assert info.value.kind is ErrorKind.TOO_LARGE, info.value
        assert "was not read further" in info.value.detail
    finally:
        await conn.aclose()
        server.shutdown()
        server.server_close()


@pytest.mark.asyncio
async def test_events_with_control_characters_are_shown_escaped(lab: Any, tmp_path: Path) -> None:
    """Item 9: an event whose data holds control characters was dropped as unreadable."""
    record = lab.journal.write(
        "EXNODE1",
        "System",
        FAILOVER_CLUSTERING,
        1069,
        int(EventLevel.ERROR),
        data=[("ResourceName", "Bad\x01Name\x1b[31m"), ("ResourceGroup", "G\x00")],
    )
    settings, password = settings_from_lab_info(lab.info())
    s = WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "audit.jsonl"))
    try:
        query = LogQuery("EXNODE1", "System", f"*[System[EventRecordID={record.record_id}]]", max_events=5)
        batches = [b async for b in s.query_events([query])]
    finally:
        await s.close()
    assert not batches[0].error, batches[0].error
    (event,) = batches[0].events
    assert event.data == {"ResourceName": "Bad\\x01Name\\x1b[31m", "ResourceGroup": "G\\x00"}
    assert "'Bad\\x01Name\\x1b[31m'" in event.message


@pytest.mark.asyncio
async def test_a_snapshot_with_every_node_hung_is_bounded_by_one_operation_timeout(
    lab: Any, tmp_path: Path
) -> None:
    """Item 10: after every node timed out, the cluster name (routed to one of them) got a full
    operation timeout of its own: twice the timeout in all."""
    timeout = 5.0
    settings, password = settings_from_lab_info(lab.info())
    settings = dataclasses.replace(settings, operation_timeout_s=timeout)
    warm = WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "a.jsonl"))
    cold = WinRMClusterSession(settings, password, audit=AuditLog(tmp_path / "b.jsonl"))
    try:
        await warm.snapshot()
        lab.faults.hang.update({"EXNODE1", "EXNODE2"})
        for session in (warm, cold):  # PowerShell ready, and a first snapshot (cmd shell reads)
            t0 = time.monotonic()
            snap = await session.snapshot()
            took = time.monotonic() - t0
            assert not snap.groups and {e.node for e in snap.node_errors} >= {"EXNODE1", "EXNODE2"}
            assert took < timeout * 1.5, took  # twice the timeout before
    finally:
        lab.faults.hang.clear()
        await warm.close()
        await cold.close()
