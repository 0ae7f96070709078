"""A small in-process WinRS fake for unit tests of the backend's own logic (no HTTP, no lab).

It models what the shells rely on: shell and command ids, Receive returning output or timing
out, Send feeding a PowerShell that answers one framed request per stdin line, Signal.
"""

from __future__ import annotations

import base64
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ccrgui.domain.plan import ActionRequest, Refusal
from ccrgui.remote.transport import ErrorKind, Received, ReceiveTimedOut, TransportError

PsHandler = Callable[[str], list[tuple[str, str, int]]]
CmdHandler = Callable[[str], tuple[str, str, int]]


@dataclass
class _Cmd:
    line: str
    out: bytearray = field(default_factory=bytearray)
    done: bool = False
    code: int | None = None
    ps: bool = False


class FakeHost:
    """Server-side state of one fake node, shared by all its channels."""

    def __init__(self, ps: PsHandler | None = None, cmd: CmdHandler | None = None) -> None:
        self.ps = ps or (lambda script: [("data", "hello", 0)])
        self.cmd = cmd or (lambda line: ("out\r\n", "", 0))
        self.shells: dict[str, dict[str, _Cmd]] = {}
        self.signals: list[tuple[str, str]] = []
        self.requests = 0
        self.hang = threading.Event()  # set: every call blocks until cleared
        self.fail_next: list[Exception] = []
        self.ps_exit_next = False  # the next PowerShell request makes the process exit
        self.ps_silent = False  # PowerShell requests never answer (a long-running script)
        self.lock = threading.Lock()
        self._n = 0

    def new_id(self) -> str:
        with self.lock:
            self._n += 1
            return f"ID-{self._n}"


class FakeChannel:
    def __init__(self, host: FakeHost) -> None:
        self.host = host
        self.requests_sent = 0
        self.requests_by_kind: Counter[str] = Counter()
        self.closed = False

    def _enter(self, kind: str) -> None:
        self.requests_sent += 1
        self.requests_by_kind[kind] += 1
        self.host.requests += 1
        while self.host.hang.is_set():
            self.host.hang.wait(0.01)
            if not self.host.hang.is_set():
                break
            threading.Event().wait(0.01)
        if self.host.fail_next:
            raise self.host.fail_next.pop(0)

    def open_shell(self, *, codepage: int, env: Mapping[str, str] | None = None) -> str:
        self._enter("Create")
        sid = self.host.new_id()
        self.host.shells[sid] = {}
        return sid

    def _shell(self, sid: str) -> dict[str, _Cmd]:
        if sid not in self.host.shells:
            raise TransportError(ErrorKind.SHELL_GONE, "the remote shell no longer exists", "fake")
        return self.host.shells[sid]

    def run_command(
        self, shell_id: str, command: str, arguments: Sequence[str] = (), *, skip_cmd_shell: bool = False
    ) -> str:
        self._enter("Command")
        cmds = self._shell(shell_id)
        cid = self.host.new_id()
        line = " ".join([command, *arguments])
        c = _Cmd(line, ps=line.lower().startswith("powershell"))
        if not c.ps:
            out, _err, code = self.host.cmd(line)
            c.out += out.encode("utf-8")
            c.done, c.code = True, code
        cmds[cid] = c
        return cid

    def receive(self, shell_id: str, command_id: str, wait_s: float | None = None) -> Received:
        self._enter("Receive")
        c = self._shell(shell_id)[command_id]
        if not c.out and not c.done:
            raise ReceiveTimedOut
        out, c.out = bytes(c.out), bytearray()
        return Received(out, b"", c.done, c.code if c.done else None)

    def send_input(self, shell_id: str, command_id: str, data: bytes, end: bool = False) -> None:
        self._enter("Send")
        c = self._shell(shell_id)[command_id]
        m = re.search(rb"FromBase64String\('([^']*)'\)", data)
        assert m, data
        script = base64.b64decode(m.group(1)).decode("utf-8")
        marker = re.search(r"\$m = '([^']+)'", script)
        req = re.search(r":B:(\d+)'", script)
        assert marker and req
        mk, rid = marker.group(1), req.group(1)
        if c.done:
            raise TransportError(ErrorKind.FAULT, "WS-Management fault: the pipe has been ended", "fake")
        if self.host.ps_exit_next and "Add-PSSnapin" not in script:
            self.host.ps_exit_next = False
            c.done, c.code = True, 1
            return
        if self.host.ps_silent:
            return
        text = f"{mk}:B:{rid}\n"
        if "Add-PSSnapin" in script:
            text += f"{mk}:S:snapin:0\n"
        else:
            for name, payload, code in self.host.ps(script):
                text += f"{mk}:S:{name}:{code}\n{payload}\n"
        text += f"{mk}:E:{rid}\n"
        c.out += text.encode("utf-8")

    def signal_terminate(self, shell_id: str, command_id: str) -> None:
        self._enter("Signal")
        self.host.signals.append((shell_id, command_id))
        cmds = self.host.shells.get(shell_id, {})
        if command_id in cmds:
            cmds[command_id].done = True
            cmds[command_id].code = cmds[command_id].code if cmds[command_id].code is not None else -1

    def close_shell(self, shell_id: str) -> None:
        self._enter("Delete")
        self.host.shells.pop(shell_id, None)

    def close(self) -> None:
        self.closed = True


def shown_lines(session: Any, request: ActionRequest) -> list[str]:
    """The lines the confirmation shows for `request` (the plan's), or the refusal's reason."""
    plan = session.plan(request)
    return [plan.reason] if isinstance(plan, Refusal) else plan.command_lines
