"""Every command line each lab node receives, with the time and the shell kind.

Tests compare what the console showed (a plan's lines) with what arrived.  A cmd-shell command
is recorded as its command line; a PowerShell host's script arrives as base64 inside an
`iex (...FromBase64String('...'))` stdin line and is recorded decoded, so a test can find the
cmdlet line inside the host's framing.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import time
from dataclasses import dataclass

CMD = "cmd"  # a WinRS command (program and arguments)
POWERSHELL = "powershell"  # a script a running powershell.exe read from stdin (decoded)

_B64_LINE = re.compile(r"FromBase64String\('([A-Za-z0-9+/=]+)'\)")


@dataclass(frozen=True)
class Received:
    node: str
    at: float  # time.time()
    shell: str  # CMD or POWERSHELL
    text: str


class ReceivedLog:
    """Thread-safe list of what every node received (one per lab)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Received] = []

    def add(self, node: str, shell: str, text: str) -> None:
        with self._lock:
            self._items.append(Received(node, time.time(), shell, text))

    def command(self, node: str, command: str, arguments: list[str]) -> None:
        self.add(node, CMD, " ".join([command, *arguments]))

    def stdin(self, node: str, data: bytes) -> None:
        """Record the scripts inside a stdin chunk sent to a PowerShell host."""
        text = data.decode("utf-8", errors="replace")
        for b64 in _B64_LINE.findall(text):
            try:
                script = base64.b64decode(b64, validate=True).decode("utf-8", errors="replace")
            except (binascii.Error, ValueError):
                continue
            self.add(node, POWERSHELL, script)

    def items(self, node: str | None = None) -> list[Received]:
        with self._lock:
            items = list(self._items)
        return [r for r in items if node is None or r.node.casefold() == node.casefold()]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


__all__ = ["CMD", "POWERSHELL", "Received", "ReceivedLog"]
