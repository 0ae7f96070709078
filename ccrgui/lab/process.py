"""A running command in a lab shell: the seam between the WS-Man server and the simulated programs.

Each program (cmd.exe, cluster.exe, powershell.exe, wevtutil, setup.com...) runs in its own
thread against a `ProcessIO`, like a real process with stdin/stdout/stderr pipes.  The WinRS
Receive handler drains output chunks with a timeout (long-poll); Send feeds stdin; Signal
terminates.  Output is bytes, already encoded in the shell's codepage.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


class Terminated(Exception):
    """Raised inside a program's thread when the client signalled terminate / ctrl_c."""


@dataclass
class Chunk:
    stream: str  # "stdout" or "stderr"
    data: bytes


@dataclass
class Drained:
    chunks: list[Chunk] = field(default_factory=list)
    done: bool = False
    exit_code: int | None = None


class ProcessIO:
    """The pipes a program sees.  Thread-safe; writes wake a waiting Receive."""

    def __init__(self, codepage: int = 437) -> None:
        self.codepage = codepage
        self._cond = threading.Condition()
        self._out: deque[Chunk] = deque()
        self._stdin = bytearray()
        self._stdin_eof = False
        self._terminated = False
        self._done = False
        self._exit_code: int | None = None

    # --- encoding ------------------------------------------------------------------------------

    @property
    def encoding(self) -> str:
        return "utf-8" if self.codepage == 65001 else f"cp{self.codepage}"

    def encode(self, text: str) -> bytes:
        # Characters the console codepage cannot show come out as '?', as on Windows.
        return text.encode(self.encoding, errors="replace")

    # --- program side --------------------------------------------------------------------------

    def write(self, text: str, stream: str = "stdout") -> None:
        self.write_bytes(self.encode(text), stream)

    def write_bytes(self, data: bytes, stream: str = "stdout") -> None:
        if not data:
            return
        with self._cond:
            self._check_terminated()
            if self._out and self._out[-1].stream == stream:
                self._out[-1].data += data
            else:
                self._out.append(Chunk(stream, data))
            self._cond.notify_all()

    def read_stdin_line(self, timeout: float | None = None) -> bytes | None:
        """A line including its newline, the rest at EOF, or None at EOF with nothing left."""
        with self._cond:
            while True:
                self._check_terminated()
                nl = self._stdin.find(b"\n")
                if nl >= 0:
                    line = bytes(self._stdin[: nl + 1])
                    del self._stdin[: nl + 1]
                    return line
                if self._stdin_eof:
                    if self._stdin:
                        line = bytes(self._stdin)
                        self._stdin.clear()
                        return line
                    return None
                if not self._cond.wait(timeout):
                    raise TimeoutError("no input")

    def read_stdin_all(self) -> bytes:
        with self._cond:
            while not self._stdin_eof:
                self._check_terminated()
                self._cond.wait()
            data = bytes(self._stdin)
            self._stdin.clear()
            return data

    def sleep(self, seconds: float) -> None:
        """Wait, but wake up (raising Terminated) if the client terminates the command."""
        with self._cond:
            self._check_terminated()
            self._cond.wait_for(lambda: self._terminated, timeout=max(0.0, seconds))
            self._check_terminated()

    @property
    def terminated(self) -> bool:
        return self._terminated

    def _check_terminated(self) -> None:
        if self._terminated:
            raise Terminated

    def finish(self, exit_code: int) -> None:
        with self._cond:
            if not self._done:
                self._done = True
                self._exit_code = exit_code
            self._cond.notify_all()

    # --- WinRS side ----------------------------------------------------------------------------

    def send(self, data: bytes, eof: bool) -> None:
        with self._cond:
            self._stdin += data
            if eof:
                self._stdin_eof = True
            self._cond.notify_all()

    def terminate(self) -> None:
        with self._cond:
            self._terminated = True
            self._stdin_eof = True
            self._cond.notify_all()

    def drain(self, timeout: float, max_bytes: int = 64 * 1024) -> Drained:
        """Wait up to `timeout` for output or completion; return what is there (maybe nothing)."""
        with self._cond:
            self._cond.wait_for(lambda: bool(self._out) or self._done, timeout=timeout)
            out = Drained()
            size = 0
            while self._out and size < max_bytes:
                chunk = self._out[0]
                room = max_bytes - size
                if len(chunk.data) > room:
                    out.chunks.append(Chunk(chunk.stream, chunk.data[:room]))
                    chunk.data = chunk.data[room:]
                    size = max_bytes
                    break
                out.chunks.append(self._out.popleft())
                size += len(chunk.data)
            if self._done and not self._out:
                out.done = True
                out.exit_code = self._exit_code
            return out

    @property
    def done(self) -> bool:
        return self._done


Program = Callable[[ProcessIO], int]


class LabProcess:
    """Runs a program in a daemon thread; its return value is the exit code."""

    def __init__(self, program: Program, io: ProcessIO, name: str = "lab-process") -> None:
        self.io = io
        self._program = program
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> LabProcess:
        self._thread.start()
        return self

    def _run(self) -> None:
        code = 1
        try:
            code = self._program(self.io)
        except Terminated:
            code = -1073741510  # STATUS_CONTROL_C_EXIT, as Windows reports a ctrl-c'd process
        except Exception as exc:  # a lab bug must still end the command, visibly
            try:
                self.io.write(f"lab internal error: {exc!r}\r\n", "stderr")
            except Terminated:
                pass
            code = 1
        finally:
            self.io.finish(code)
