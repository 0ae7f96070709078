"""Shared rig for the powershell.exe tests: a real engine, one NodeHost per node, and helpers
that run powershell.exe (or one interpreter) and decode stdout/stderr."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from ccrgui.lab.clock import Clock
from ccrgui.lab.engine import ClusterEngine
from ccrgui.lab.eventlog import EventJournal
from ccrgui.lab.faults import Faults
from ccrgui.lab.nodehost import NodeHost
from ccrgui.lab.powershell import run_powershell
from ccrgui.lab.process import ProcessIO
from ccrgui.lab.topology import Topology, default_topology

SNAPIN = "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.Admin"


@dataclass
class Result:
    out: str
    err: str
    code: int


class PSRig:
    def __init__(self, topology: Topology | None = None, speed: float = 2000.0) -> None:
        self.topology = topology or default_topology()
        self.clock = Clock(speed)
        self.faults = Faults()
        self.journal = EventJournal(self.topology, history=0, clock=self.clock)
        self.engine = ClusterEngine(self.topology, clock=self.clock, faults=self.faults, journal=self.journal)
        self.hosts = {
            n.name: NodeHost(n.name, self.engine, self.journal, self.faults) for n in self.topology.nodes
        }

    def exe(
        self,
        argv: list[str],
        stdin: bytes = b"",
        *,
        node: str = "EXNODE1",
        admin: bool = True,
        codepage: int = 437,
    ) -> Result:
        io = ProcessIO(codepage)
        io.send(stdin, eof=True)
        account = next(a for a in self.topology.accounts if a.admin == admin)
        code = run_powershell(io, self.hosts[node], account, ["powershell", *argv])
        d = io.drain(0)
        enc = io.encoding
        out = b"".join(c.data for c in d.chunks if c.stream == "stdout").decode(enc)
        err = b"".join(c.data for c in d.chunks if c.stream == "stderr").decode(enc)
        return Result(out, err, code)

    def cmd(self, script: str, **kw: object) -> Result:
        return self.exe(["-NoLogo", "-NoProfile", "-NonInteractive", "-Command", script], **kw)  # type: ignore[arg-type]

    def ems(self, script: str, **kw: object) -> Result:
        return self.cmd(SNAPIN + "; " + script, **kw)

    def close(self) -> None:
        self.engine.stop()
        self.clock.stop()


def encode(script: str) -> str:
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def framing(script: str) -> str:
    """The backend's request line for one script."""
    b64 = base64.b64encode(script.encode("utf-8")).decode("ascii")
    return f"iex ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('{b64}')))"


@pytest.fixture
def rig() -> Iterator[PSRig]:
    r = PSRig()
    yield r
    r.close()


def unwrap(err: str) -> str:
    """Undo the console's error layout: lines hard-wrapped at column 79, and the CategoryInfo /
    FullyQualifiedErrorId lines cut in 74-character pieces each indented by 4 spaces."""
    out: list[str] = []
    carry = ""
    for line in err.split("\r\n"):
        carry += line
        if len(line) == 79:
            continue
        out.append(carry)
        carry = ""
    if carry:
        out.append(carry)
    logical: list[str] = []
    for line in out:
        if line.startswith("    + "):
            pieces = [line[i : i + 78] for i in range(0, len(line), 78)]
            line = "".join(p[4:] if p.startswith("    ") else p for p in pieces)
            line = "    " + line
        logical.append(line)
    return "\r\n".join(logical)
