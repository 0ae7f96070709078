"""Event queries over WinRM: first rows fast, the bulk compressed, parsed off the event loop.

One `LogQuery` (node, log) is read in up to two steps:
* the head: the newest `HEAD_EVENTS` events through the node's cmd shell (`wevtutil qe`, plain
  XML: a Command and one or two Receives), so the first rows show within a few round trips;
* the rest (only when the head was full): the events older than the head's oldest record
  (`EventRecordID <`, the same narrowing as "Load more"), run by wevtutil inside a PowerShell
  kept for event queries on that node, gzip-compressed there (.NET's GZipStream) and sent as
  base64 (`scripts.compressed_events_section`).  Rendered event XML compresses 10-20 times, so
  100,000 events take ~100 Receives instead of ~900.
Decoding (base64, gunzip, UTF-8) and parsing run in a child process (`eventdecode`, started as the
query is sent) in pieces of about 256 KB of XML; each piece's events are handed to the event loop
as one partial `EventBatch`, so the loop never holds a whole answer's parse.  Oldest-first
queries (debug channels) have no head.
A damaged compressed answer keeps the events read before the damage and ends with an error.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace

from ccrgui.domain.eventquery import FilterError, xpath_older_than
from ccrgui.domain.model import Event
from ccrgui.quoting import UnsafeValueError
from ccrgui.remote import parsers, scripts
from ccrgui.remote.api import EventBatch, LogQuery
from ccrgui.remote.eventdecode import DecodeChild, decode_answer
from ccrgui.remote.shells import CmdShell, PowerShellHost, PsOutput
from ccrgui.remote.transport import HostConnection, TransportError

log = logging.getLogger(__name__)

HEAD_EVENTS = 200  # a screenful and more; two Receives of plain XML at most
SECTION = "events"


@dataclass(frozen=True)
class NodeAccess:
    """What the reader needs from the session, per node."""

    conn: Callable[[str], HostConnection]
    cmd: Callable[[str], CmdShell]
    timeout: Callable[[str], float]
    failed: Callable[[str, BaseException], None]
    record: Callable[[str, str, int | None, float], None]  # audit: node, command, exit code, seconds


class EventReader:
    """Runs a session's event queries (see the module docstring)."""

    def __init__(self, access: NodeAccess) -> None:
        self._access = access
        self._hosts: dict[str, PowerShellHost] = {}

    def _host(self, node: str) -> PowerShellHost:
        key = node.casefold()
        host = self._hosts.get(key)
        if host is None:
            host = PowerShellHost(self._access.conn(node), load_exchange=False)
            self._hosts[key] = host
        return host

    async def close(self) -> None:
        hosts, self._hosts = list(self._hosts.values()), {}
        await asyncio.gather(*(h.close() for h in hosts), return_exceptions=True)

    async def query(self, queries: list[LogQuery]) -> AsyncIterator[EventBatch]:
        """Every query in parallel; batches as they are read, each query ending with a final one."""
        batches: asyncio.Queue[EventBatch] = asyncio.Queue()
        tasks = [asyncio.ensure_future(self._guarded(q, batches.put_nowait)) for q in queries]
        remaining = len(tasks)
        try:
            while remaining:
                batch = await batches.get()
                if batch.final:
                    remaining -= 1
                yield batch
        finally:
            for t in tasks:
                t.cancel()

    async def _guarded(self, q: LogQuery, put: Callable[[EventBatch], None]) -> None:
        try:
            await self._one(q, put)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must not leave the query waiting forever
            log.exception("event query on %s failed", q.node)
            put(EventBatch(q, error=f"The query failed: {exc}"))

    async def _one(self, q: LogQuery, put: Callable[[EventBatch], None]) -> None:
        if q.max_events <= HEAD_EVENTS:
            put(await self._plain(q, q))
            return
        if not q.newest_first:
            await self._compressed(q, q, put, 0)
            return
        try:  # refused values: nothing at all may be sent, not even the PowerShell start
            scripts.wevtutil_query_line(q.log, q.xpath, HEAD_EVENTS, q.newest_first)
        except (UnsafeValueError, ValueError) as exc:
            put(EventBatch(q, error=f"Not sent: {exc}"))
            return
        host = self._host(q.node)
        starting = asyncio.ensure_future(host.start(self._access.timeout(q.node)))  # meanwhile
        starting.add_done_callback(lambda t: t.cancelled() or t.exception())
        head = await self._plain(q, replace(q, max_events=HEAD_EVENTS))
        if head.error or len(head.events) < HEAD_EVENTS:
            put(replace(head, truncated=False))
            return
        put(replace(head, truncated=False, final=False))
        records = [e.record_id for e in head.events if e.record_id]
        try:
            xpath = xpath_older_than(q.xpath, min(records)) if records else ""
        except FilterError:
            xpath = ""
        if not xpath:  # cannot continue below the head: offer "Load more" instead
            put(EventBatch(q, truncated=True))
            return
        rest = replace(q, xpath=xpath, max_events=q.max_events - len(head.events))
        await self._compressed(q, rest, put, len(head.events))

    async def _plain(self, q: LogQuery, run: LogQuery) -> EventBatch:
        """One `wevtutil qe` through the cmd shell, parsed in a worker thread."""
        try:
            line = scripts.wevtutil_query_line(run.log, run.xpath, run.max_events, run.newest_first)
        except (UnsafeValueError, ValueError) as exc:
            return EventBatch(q, error=f"Not sent: {exc}")
        try:
            out = await self._access.cmd(q.node).run(
                line, skip_cmd_shell=True, timeout=self._access.timeout(q.node), retry=True
            )
        except TransportError as exc:
            self._access.failed(q.node, exc)
            return EventBatch(q, error=str(exc) or type(exc).__name__)
        self._access.record(q.node, line, out.exit_code, out.duration_s)
        if out.exit_code not in (0, None):
            msg = (out.stderr or out.stdout).strip() or f"wevtutil exited with {out.exit_code}"
            return EventBatch(q, error=msg)
        try:
            events = await asyncio.to_thread(parsers.parse_events, out.stdout, node=q.node, log=q.log)
        except parsers.EventParseError as exc:
            return EventBatch(q, tuple(exc.events), error=str(exc))
        except parsers.ParseError as exc:
            return EventBatch(q, error=str(exc))
        return EventBatch(q, tuple(events), truncated=len(events) >= run.max_events)

    async def _compressed(
        self, q: LogQuery, run: LogQuery, put: Callable[[EventBatch], None], before: int
    ) -> None:
        """The query compressed on the node; partial batches as pieces are decoded, then a final one."""
        try:
            body = scripts.compressed_events_section(
                SECTION, run.log, run.xpath, run.max_events, run.newest_first
            )
        except UnsafeValueError:
            # PowerShell 2.0 cannot pass this XPath to a native program (a double quote): plain.
            put(await self._plain(q, run))
            return
        except ValueError as exc:
            put(EventBatch(q, error=f"Not sent: {exc}"))
            return
        host = self._host(q.node)
        # The decoding child starts while the node works on the answer (its start-up is hidden).
        starting = asyncio.ensure_future(asyncio.to_thread(DecodeChild.start))
        child: DecodeChild | None = None
        try:
            try:
                out = await host.run(body, timeout=self._access.timeout(q.node), retry=True)
            except TransportError as exc:
                self._access.failed(q.node, exc)
                put(EventBatch(q, error=str(exc) or type(exc).__name__))
                return
            child = await starting
            await self._decode_answer(q, out, run, put, before, child)
        finally:
            if child is None:
                starting.add_done_callback(_close_started)
            else:
                child.close(wait_s=0.0)  # normally closed already; the loop must not wait here

    async def _decode_answer(
        self,
        q: LogQuery,
        out: PsOutput,
        run: LogQuery,
        put: Callable[[EventBatch], None],
        before: int,
        child: DecodeChild | None,
    ) -> None:
        line = scripts.wevtutil_query_line(run.log, run.xpath, run.max_events, run.newest_first)
        section = out.section(SECTION)
        code = section.exit_code if section is not None else None
        self._access.record(q.node, line + " (compressed)", code, out.duration_s)
        if section is None:
            put(EventBatch(q, error=(out.stderr.strip() or "PowerShell gave no answer to the event query")))
            return
        if not section.ok:
            put(EventBatch(q, error=section.error))
            return
        if code not in (0, None):
            put(EventBatch(q, error=section.text.strip() or f"wevtutil exited with {code}"))
            return
        loop = asyncio.get_running_loop()
        stop = threading.Event()
        parsed: deque[list[Event]] = deque()  # appended by the thread, drained by the loop
        woken = threading.Event()

        def drain() -> None:
            woken.clear()
            events: list[Event] = []
            while parsed:
                events += parsed.popleft()
            if events:
                put(EventBatch(q, tuple(events), final=False))

        def hand_over(events: list[Event]) -> None:
            # One wake-up per turn of the loop, not one per piece: a cross-thread wake-up is a
            # queued Qt signal under qasync, and each costs both threads the GIL.
            parsed.append(events)
            if not woken.is_set():
                woken.set()
                loop.call_soon_threadsafe(drain)

        try:
            count, error = await asyncio.to_thread(
                decode_answer, child, section.text, q.node, q.log, hand_over, stop
            )
        except BaseException:
            stop.set()  # and `_compressed` closes the child, which ends the thread's wait
            raise
        drain()  # whatever the last wake-up has not taken yet, before the final batch
        put(EventBatch(q, error=error, truncated=not error and before + count >= q.max_events))


def _close_started(task: asyncio.Future[DecodeChild | None]) -> None:
    """A child started for a query that ended before its answer was decoded: stop it."""
    if not task.cancelled() and task.exception() is None and (child := task.result()) is not None:
        child.close(wait_s=0.0)


__all__ = ["HEAD_EVENTS", "EventReader", "NodeAccess"]
