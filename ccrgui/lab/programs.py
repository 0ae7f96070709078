"""The programs a simulated node can start, looked up by cmd.exe and by PowerShell alike.

Each program module registers its entry point here (`register`), so `cmdshell` and the PowerShell
native-command runner find `cluster`, `setup`, `powershell`, `cmd`... through this one table
instead of importing each other.  cmd.exe and PowerShell start each other, so the table cannot be
filled by plain imports in either of them: the first lookup loads `PROGRAM_MODULES` once, and
each of those modules imports only this module (and its own helpers), never another shell.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ccrgui.lab.nodefiles import setup_media_at
from ccrgui.lab.nodehost import NodeHost
from ccrgui.lab.process import ProcessIO
from ccrgui.lab.topology import Account


@dataclass
class Context:
    """What a program sees besides its pipes: machine, caller, environment, own command line."""

    host: NodeHost
    account: Account
    env: dict[str, str]
    command_line: str = ""
    in_cmd: bool = True  # started by cmd.exe (False: CreateProcess directly)

    def getenv(self, name: str) -> str | None:
        return self.host.getenv(name, self.env)


ProgramFn = Callable[[ProcessIO, Context, list[str]], int]

# Program name (lower case, no directory, no extension) -> implementation.
PROGRAMS: dict[str, ProgramFn] = {}

# The modules that register programs (each calls `register` when imported).
PROGRAM_MODULES = (
    "ccrgui.lab.cmdshell",
    "ccrgui.lab.clusterexe",
    "ccrgui.lab.setupcom",
    "ccrgui.lab.msiexec",
    "ccrgui.lab.sccmd",
    "ccrgui.lab.wevtutil",
    "ccrgui.lab.powershell",
)

_loaded = False
_load_lock = threading.RLock()  # re-entrant: a module being loaded may look programs up


def register(name: str, program: ProgramFn) -> None:
    """Make `program` startable as `name` (lower case, no extension)."""
    PROGRAMS[name] = program


def _load_programs() -> None:
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if not _loaded:
            for module in PROGRAM_MODULES:
                importlib.import_module(module)
            _loaded = True


def resolve_program(token: str, host: NodeHost | None = None) -> ProgramFn | None:
    """Map what was typed (`cluster`, `CLUSTER.EXE`, `C:\\Windows\\system32\\cluster.exe`,
    `D:\\Exchange2007SP2\\setup.com`) to a program, or None.

    With `host`, setup.com is found only in a setup media folder of the topology (it is not on
    the PATH), named by its full path."""
    _load_programs()
    name = token.replace("/", "\\").rsplit("\\", 1)[-1].casefold()
    if host is not None and name.rsplit(".", 1)[0] == "setup":
        if setup_media_at(host.topology, token) is None:
            return None
    stem, dot, ext = name.rpartition(".")
    if dot:
        if ext not in ("exe", "com"):
            return None
        if stem == "setup" and ext != "com":
            return None  # setup.exe is the GUI installer; the console one is setup.com
        name = stem
    return PROGRAMS.get(name)
