"""Persistent remote shells on one node: a cmd shell for programs and a long-running PowerShell.

Why persistent: opening a WinRS shell costs round trips (and pywinrm's `run_cmd` re-authenticates
every time), and on an Exchange 2007 server loading the Exchange snap-in takes seconds.  So each
node gets one cmd shell reused for every program (cluster.exe, wevtutil) and one PowerShell
process fed one line per request through stdin, with the snap-in loaded once.

PowerShell framing: every request is ONE stdin line
``iex ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('<b64>')))``; the script gathers
its output in a variable and writes it once at the end between lines that start with a random
per-session marker, so a single Receive usually returns the whole answer, and nothing that a
command prints (a group name, an error message) can fake the end of a frame: the marker is never
sent in clear (it only exists inside the base64 text) and never echoed.
"""

from __future__ import annotations

import asyncio
import base64
import codecs
import functools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ccrgui.remote.transport import (
    Channel,
    ErrorKind,
    HostConnection,
    Received,
    ReceiveTimedOut,
    TransportError,
    too_large,
)

log = logging.getLogger(__name__)

UTF8_CODEPAGE = 65001
POWERSHELL_LINE = "powershell -NoLogo -NoProfile -NonInteractive -Command -"
EXCHANGE_SNAPIN = "Microsoft.Exchange.Management.PowerShell.Admin"
_CLEANUP_TIMEOUT_S = 10.0
DELETE_RETRY_S = (0.5, 2.0, 8.0)  # pauses between attempts to delete a shell left behind
PARTIAL_WAIT_S = 2.0  # the rest of a frame already being written arrives within this


@dataclass(frozen=True)
class CommandOutput:
    """One program run: exactly what was sent and what came back."""

    host: str
    command_line: str
    stdout: str
    stderr: str
    exit_code: int | None
    duration_s: float


@dataclass(frozen=True)
class Section:
    """One part of a PowerShell answer: a named output, or the error that stopped it."""

    name: str
    text: str
    exit_code: int | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(frozen=True)
class PsOutput:
    host: str
    script: str
    sections: tuple[Section, ...]
    stderr: str
    duration_s: float

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)


def _retryable(exc: TransportError) -> bool:
    """Reads are retried once on shell- or message-level trouble, never on a dead/hung node."""
    return exc.kind in (ErrorKind.SHELL_GONE, ErrorKind.HTTP, ErrorKind.PROTOCOL, ErrorKind.FAULT)


def _may_retry(exc: TransportError, idempotent: bool) -> bool:
    """Reads: once on shell/message trouble.  Actions: only if they certainly never ran."""
    if exc.not_sent and exc.kind is ErrorKind.SHELL_GONE:
        return True
    return idempotent and _retryable(exc)


class _Background:
    """Fire-and-forget cleanup calls (Signal, Delete) that must not delay the caller."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        async def guarded() -> None:
            try:
                await coro
            except (TransportError, ReceiveTimedOut) as exc:
                log.debug("cleanup failed: %s", exc)
            except Exception:  # cleanup must never surface
                log.debug("cleanup failed", exc_info=True)

        task = asyncio.ensure_future(guarded())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def drain(self, timeout: float = _CLEANUP_TIMEOUT_S) -> None:
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=timeout)


class _Shell:
    """The shell-id lifecycle shared by the cmd shell and the PowerShell host."""

    def __init__(self, conn: HostConnection, codepage: int = UTF8_CODEPAGE) -> None:
        self.conn = conn
        self.codepage = codepage
        self.shell_id: str | None = None
        self.last_used = time.monotonic()
        self._open_lock = asyncio.Lock()
        self._bg = _Background()
        # Shells this console opened and dropped that may still exist on the server: each counts
        # against the user's shell quota there until deleted, so a failed Delete is tried again.
        self.orphans: set[str] = set()
        self._deleter: asyncio.Task[None] | None = None

    @property
    def host(self) -> str:
        return self.conn.host

    async def _ensure_shell(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout  # waiting for another caller's open counts too
        async with self._open_lock:
            if self.shell_id is None:
                cp = self.codepage
                self.shell_id = await self.conn.call(
                    lambda ch: ch.open_shell(codepage=cp), timeout=_left(deadline)
                )
                if self.orphans:  # the node answers again: finish deleting what was left behind
                    self._delete_later()
            return self.shell_id

    def _forget_shell(self) -> None:
        """Drop the shell (delete it remotely in the background if it may still exist)."""
        sid, self.shell_id = self.shell_id, None
        if sid is not None:
            self.orphans.add(sid)
            self._delete_later()

    def _delete_later(self) -> None:
        if not self.conn.closed and (self._deleter is None or self._deleter.done()):
            self._deleter = self._bg.spawn(self._delete_orphans(DELETE_RETRY_S))

    async def _delete_orphans(self, pauses: tuple[float, ...]) -> None:
        """Delete the shells left behind, trying again after each pause while a Delete fails
        with an error that may pass (401, 500, a dropped connection)."""
        for pause in (*pauses, None):
            for sid in list(self.orphans):
                if self.conn.closed:
                    return
                try:
                    await self.conn.call(functools.partial(_delete_shell, sid), timeout=_CLEANUP_TIMEOUT_S)
                except TransportError as exc:
                    if exc.kind is ErrorKind.SHELL_GONE:
                        self.orphans.discard(sid)  # already gone (expired, node restarted)
                        continue
                    log.debug("deleting shell %s on %s failed: %s", sid, self.host, exc)
                    if exc.kind in (ErrorKind.TIMEOUT, ErrorKind.UNREACHABLE, ErrorKind.SETTINGS):
                        return  # the node is not answering: try again when it does (_ensure_shell)
                    continue
                self.orphans.discard(sid)
            if not self.orphans or pause is None:
                return
            await asyncio.sleep(pause)

    def _terminate_later(self, shell_id: str, command_id: str) -> None:
        if self.conn.closed:
            return
        self._bg.spawn(
            self.conn.call(lambda ch: ch.signal_terminate(shell_id, command_id), timeout=_CLEANUP_TIMEOUT_S)
        )

    async def close(self) -> None:
        """Delete the shell and every shell left behind (a failed Delete is tried again)."""
        sid, self.shell_id = self.shell_id, None
        if sid is not None:
            self.orphans.add(sid)
        if self._deleter is not None:
            self._deleter.cancel()
        if self.orphans and not self.conn.closed:
            try:
                async with asyncio.timeout(_CLEANUP_TIMEOUT_S):
                    await self._delete_orphans((0.2, 0.5))
            except (TransportError, TimeoutError) as exc:
                log.debug("closing shells on %s: %s", self.host, exc)
        if self.orphans:
            log.info("%d shell(s) on %s could not be deleted", len(self.orphans), self.host)
        await self._bg.drain()


class CmdShell(_Shell):
    """One WinRS cmd shell per node, reused for every program run."""

    async def run(
        self,
        command_line: str,
        *,
        skip_cmd_shell: bool,
        timeout: float,
        retry: bool = False,
        on_output: Callable[[str], None] | None = None,
    ) -> CommandOutput:
        """Run one program to completion.  `retry` only for idempotent reads.  `on_output` hears
        stdout and stderr text as it arrives (long programs such as setup.com show progress)."""
        started = time.monotonic()
        deadline = started + timeout
        for attempt in range(2):
            try:
                return await self._run_once(command_line, skip_cmd_shell, deadline, started, on_output)
            except TransportError as exc:
                if exc.kind in (ErrorKind.SHELL_GONE, ErrorKind.HTTP, ErrorKind.PROTOCOL):
                    self._forget_shell()
                if attempt > 0 or not _may_retry(exc, retry) or time.monotonic() >= deadline:
                    raise
                log.info("running again on %s after: %s", self.host, exc)
        raise AssertionError("unreachable")

    async def _run_once(
        self,
        line: str,
        skip: bool,
        deadline: float,
        started: float,
        on_output: Callable[[str], None] | None = None,
    ) -> CommandOutput:
        self.last_used = time.monotonic()
        try:
            shell_id = await self._ensure_shell(_left(deadline))
            command_id = await self.conn.call(
                lambda ch: ch.run_command(shell_id, line, (), skip_cmd_shell=skip), timeout=_left(deadline)
            )
        except TransportError as exc:
            # No shell, or the server no longer knew it: the program was never started.
            exc.not_sent = exc.kind is ErrorKind.SHELL_GONE or self.shell_id is None
            raise
        out = bytearray()
        err = bytearray()
        live = _LiveText(self.codepage, on_output) if on_output is not None else None
        try:
            while True:
                try:
                    chunk: Received = await self.conn.call(
                        lambda ch: ch.receive(shell_id, command_id), timeout=_left(deadline), long_poll=True
                    )
                except ReceiveTimedOut:
                    if time.monotonic() >= deadline:
                        raise TransportError(
                            ErrorKind.TIMEOUT, "the command did not finish in time", self.host
                        ) from None
                    continue
                out += chunk.stdout
                err += chunk.stderr
                if len(out) + len(err) > self.conn.max_output_bytes:
                    raise too_large(self.conn.max_output_bytes, self.host)  # stops the program
                if live is not None:
                    live.feed(chunk.stdout, chunk.stderr, chunk.done)
                if chunk.done:
                    break
        except BaseException:
            # Timed out or cancelled: stop the remote program (WinRS Signal terminate).
            self._terminate_later(shell_id, command_id)
            raise
        self._terminate_later(shell_id, command_id)  # frees the command on the server
        self.last_used = time.monotonic()
        return CommandOutput(
            host=self.host,
            command_line=line,
            stdout=_decode(bytes(out), self.codepage),
            stderr=_decode(bytes(err), self.codepage),
            exit_code=chunk.exit_code,
            duration_s=time.monotonic() - started,
        )


class _LiveText:
    """Decodes output pieces as they arrive (a UTF-8 character may span two Receives)."""

    def __init__(self, codepage: int, sink: Callable[[str], None]) -> None:
        encoding = "utf-8" if codepage == UTF8_CODEPAGE else f"cp{codepage}"
        self._out = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._err = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._sink = sink

    def feed(self, stdout: bytes, stderr: bytes, final: bool) -> None:
        text = self._out.decode(stdout, final) + self._err.decode(stderr, final)
        if text:
            self._sink(text.lstrip("\ufeff"))
def _delete_shell(shell_id: str, ch: Channel) -> None:
    ch.close_shell(shell_id)


def _receive(shell_id: str, command_id: str, wait_s: float | None, ch: Channel) -> Received:
    return ch.receive(shell_id, command_id, wait_s)


def _left(deadline: float) -> float:
    return max(0.05, deadline - time.monotonic())


def _decode(data: bytes, codepage: int) -> str:
    encoding = "utf-8" if codepage == UTF8_CODEPAGE else f"cp{codepage}"
    text = data.decode(encoding, errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


def request_line(script: str) -> bytes:
    """The single stdin line that runs `script` in the remote PowerShell.

    An empty line follows it: `powershell -Command -` runs a statement once it knows the
    statement is complete, and an empty line guarantees that (it is a no-op otherwise)."""
    b64 = base64.b64encode(script.encode("utf-8")).decode("ascii")
    return (
        "iex ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('" + b64 + "')))\r\n\r\n"
    ).encode("ascii")


@dataclass
class _Frames:
    """Accumulates PowerShell stdout and cuts complete frames out of it."""

    marker: str
    buffer: bytearray = field(default_factory=bytearray)
    frames: dict[int, tuple[Section, ...]] = field(default_factory=dict)

    def feed(self, data: bytes) -> None:
        """Add output; complete frames move to `frames` (bytes until then: a UTF-8 character may
        be split between two Receives).  A frame still open is not searched again from its start:
        a large answer arrives in many Receives, and each would re-scan megabytes."""
        searched = len(self.buffer)  # where an open frame's end tag was already looked for
        self.buffer += data
        begin_tag = f"{self.marker}:B:".encode()
        while True:
            b = self.buffer.find(begin_tag)
            if b < 0:
                break
            nl = self.buffer.find(b"\n", b)
            if nl < 0:
                del self.buffer[:b]
                break
            try:
                req_id = int(self.buffer[b + len(begin_tag) : nl].strip())
            except ValueError:
                del self.buffer[: nl + 1]  # not a frame header we wrote: skip the line
                searched = 0
                continue
            end_tag = f"{self.marker}:E:{req_id}\n".encode()
            start = nl if b else max(nl, searched - len(end_tag))
            e = self.buffer.find(end_tag, start)
            if e < 0:
                del self.buffer[:b]
                break
            body = bytes(self.buffer[nl + 1 : e]).decode("utf-8", errors="replace")
            del self.buffer[: e + len(end_tag)]
            searched = 0
            self.frames[req_id] = parse_sections(body, self.marker)

    def garbage(self) -> bool:
        """Unconsumed output that is not the start of one of our frames: damaged in transit."""
        tag = f"{self.marker}:B:".encode()
        head = bytes(self.buffer[: len(tag)])  # only the start decides (no copy of megabytes)
        return bool(head) and not (head.startswith(tag) or tag.startswith(head))

    def in_frame(self, req_id: int) -> bool:
        return self.buffer.startswith(f"{self.marker}:B:{req_id}".encode())


def parse_sections(body: str, marker: str) -> tuple[Section, ...]:
    """Split a frame body into sections (`<m>:S:name:exit` / `<m>:X:name:message` headers)."""
    sections: list[Section] = []
    lines = body.splitlines(keepends=True)
    name: str | None = None
    code: int | None = None
    buf: list[str] = []

    def flush() -> None:
        if name is not None:
            text = "".join(buf)
            if text.endswith("\n"):  # the newline the framing added after the payload
                text = text[:-1]
            sections.append(Section(name, text, code))

    prefix = marker + ":"
    for line in lines:
        if line.startswith(prefix):
            flush()
            name, code, buf = None, None, []
            parts = line[len(prefix) :].rstrip("\r\n").split(":", 2)
            if len(parts) == 3 and parts[0] == "S":
                name = parts[1]
                try:
                    code = int(parts[2]) if parts[2].strip() not in ("", "None") else None
                except ValueError:
                    code = None
            elif len(parts) == 3 and parts[0] == "X":
                sections.append(Section(parts[1], "", None, parts[2].strip() or "failed"))
            continue
        if name is not None:
            buf.append(line)
    flush()
    return tuple(sections)


def frame_script(body: str, marker: str, req_id: int) -> str:
    """Wrap a script body (which appends to `$o`) with the framing and the single final write."""
    m = "'" + marker + "'"  # the marker is [0-9a-z] only: a safe literal
    return "\n".join(
        [
            "$ErrorActionPreference = 'Stop'",
            f"$m = {m}",
            f"$o = $m + ':B:{req_id}' + \"`n\"",
            "try {",
            body,
            "} catch {",
            "  $o = $o + $m + ':X:script:' + ($_.Exception.Message -replace \"`r?`n\", ' ') + \"`n\"",
            "}",
            f"$o = $o + $m + ':E:{req_id}' + \"`n\"",
            "[Console]::Out.Write($o)",
        ]
    )


class PowerShellHost(_Shell):
    """One long-running `powershell -Command -` per node, Exchange snap-in loaded once."""

    def __init__(
        self,
        conn: HostConnection,
        *,
        load_exchange: bool = True,
        codepage: int = UTF8_CODEPAGE,
        on_broken: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(conn, codepage)
        self.marker = "ccrgui" + secrets.token_hex(16)
        self.load_exchange = load_exchange
        self.exchange_error: str | None = None  # why the snap-in did not load, if it did not
        self.command_id: str | None = None
        self._frames = _Frames(self.marker)
        self._next_id = 0
        self._lock = asyncio.Lock()
        self._start_lock = asyncio.Lock()
        self._init_id: int | None = None
        self._on_broken = on_broken
        self.starts = 0

    @property
    def started(self) -> bool:
        return self.command_id is not None

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    @property
    def ready(self) -> bool:
        """Started and the snap-in load answered: a request now costs one Send + one Receive."""
        return self.command_id is not None and self._init_id is None

    async def close(self) -> None:
        self.command_id = None
        self._init_id = None
        await super().close()

    async def start(self, timeout: float) -> None:
        """Open the shell, start PowerShell and queue the snap-in load (not waited for)."""
        async with self._start_lock:
            if self.command_id is not None:
                return
            deadline = time.monotonic() + timeout
            shell_id = await self._ensure_shell(_left(deadline))
            command_id = await self.conn.call(
                lambda ch: ch.run_command(shell_id, POWERSHELL_LINE, ()), timeout=_left(deadline)
            )
            self.command_id = command_id
            self.starts += 1
            self._frames = _Frames(self.marker)
            init_id = self._new_id()
            body = (
                "try {\n"
                f"  Add-PSSnapin {EXCHANGE_SNAPIN}\n"
                "  $o = $o + $m + ':S:snapin:0' + \"`n\"\n"
                "} catch {\n"
                "  $o = $o + $m + ':X:snapin:' + ($_.Exception.Message -replace \"`r?`n\", ' ') + \"`n\"\n"
                "}"
                if self.load_exchange
                else "$o = $o + $m + ':S:snapin:0' + \"`n\""
            )
            line = request_line(frame_script(body, self.marker, init_id))
            try:
                await self.conn.call(
                    lambda ch: ch.send_input(shell_id, command_id, line), timeout=_left(deadline)
                )
            except BaseException:
                self._broken("sending the start-up line failed")
                raise
            self._init_id = init_id

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _broken(self, why: str) -> None:
        """Throw the PowerShell process away; the next request starts a new one."""
        sid, cid = self.shell_id, self.command_id
        self.command_id = None
        self._init_id = None
        if sid is not None and cid is not None:
            self._terminate_later(sid, cid)
        self._forget_shell()
        log.info("PowerShell on %s replaced: %s", self.host, why)
        if self._on_broken is not None:
            self._on_broken(why)

    async def run(self, body: str, *, timeout: float, retry: bool = False) -> PsOutput:
        """Run a script body (appending to `$o` with section headers); one Send + one Receive."""
        started = time.monotonic()
        deadline = started + timeout
        async with self._lock:
            for attempt in range(2):
                try:
                    return await self._run_once(body, deadline, started)
                except TransportError as exc:
                    if attempt > 0 or not _may_retry(exc, retry) or time.monotonic() >= deadline:
                        raise
                    log.info("running again in a new PowerShell on %s after: %s", self.host, exc)
        raise AssertionError("unreachable")

    async def _run_once(self, body: str, deadline: float, started: float) -> PsOutput:
        self.last_used = time.monotonic()
        try:
            await self.start(_left(deadline))
        except TransportError as exc:
            exc.not_sent = exc.kind is ErrorKind.SHELL_GONE
            raise
        shell_id, command_id = self.shell_id, self.command_id
        assert shell_id is not None and command_id is not None
        req_id = self._new_id()
        script = frame_script(body, self.marker, req_id)
        line = request_line(script)
        err = bytearray()
        try:
            try:
                await self.conn.call(
                    lambda ch: ch.send_input(shell_id, command_id, line), timeout=_left(deadline)
                )
            except TransportError as exc:
                exc.not_sent = exc.kind is ErrorKind.SHELL_GONE  # shell expired: line not taken
                raise
            partial = False  # part of our frame arrived: the rest must follow at once
            while req_id not in self._frames.frames:
                receive = functools.partial(
                    _receive, shell_id, command_id, PARTIAL_WAIT_S if partial else None
                )
                try:
                    chunk = await self.conn.call(receive, timeout=_left(deadline), long_poll=True)
                except ReceiveTimedOut:
                    if partial:
                        raise TransportError(
                            ErrorKind.PROTOCOL, "PowerShell's answer was cut off", self.host
                        ) from None
                    if time.monotonic() >= deadline:
                        raise TransportError(
                            ErrorKind.TIMEOUT, "PowerShell did not answer in time", self.host
                        ) from None
                    continue
                self._frames.feed(chunk.stdout)
                err += chunk.stderr
                if len(self._frames.buffer) + len(err) > self.conn.max_output_bytes:
                    raise too_large(self.conn.max_output_bytes, self.host)  # PowerShell is replaced
                if req_id in self._frames.frames:
                    break
                if self._frames.garbage():
                    raise TransportError(
                        ErrorKind.PROTOCOL, "PowerShell's answer was damaged (no valid framing)", self.host
                    )
                if chunk.done:
                    self.command_id = None  # the process is gone: no Signal needed
                    detail = _decode(bytes(err), self.codepage).strip()[:500]
                    raise TransportError(
                        ErrorKind.SHELL_GONE,
                        f"PowerShell exited (exit code {chunk.exit_code})"
                        + (f": {detail}" if detail else ""),
                        self.host,
                    )
                partial = partial or self._frames.in_frame(req_id)
        except TransportError as exc:
            self._broken(exc.detail)
            raise
        except BaseException:
            self._broken("request cancelled")  # stops the remote script (Signal terminate)
            raise
        if self._init_id is not None and self._init_id in self._frames.frames:
            snap = next((s for s in self._frames.frames.pop(self._init_id) if s.name == "snapin"), None)
            self.exchange_error = snap.error if snap is not None and snap.error else None
            self._init_id = None
        sections = self._frames.frames.pop(req_id)
        self.last_used = time.monotonic()
        return PsOutput(
            host=self.host,
            script=body,
            sections=sections,
            stderr=_decode(bytes(err), self.codepage),
            duration_s=time.monotonic() - started,
        )
