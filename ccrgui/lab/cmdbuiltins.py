"""cmd.exe built-ins the upgrade procedure uses: `cd`/`chdir`/`pushd` over the node's folders
(`nodefiles`) and `start [/wait]` (the real way to wait for a GUI program such as msiexec).

Kept apart from `cmdshell` so the shell's own module stays small; each takes the running shell
(`Shell`: its current folder and its command runner), so this module does not import `cmdshell`.
"""

from __future__ import annotations

import threading
from typing import Protocol

from ccrgui.lab.nodefiles import lookup
from ccrgui.lab.process import ProcessIO
from ccrgui.lab.programs import Context


class Shell(Protocol):
    """What a built-in needs of the cmd.exe running it (`cmdshell.CmdShell`)."""

    cwd: str
    ctx: Context

    def run_command_text(self, io: ProcessIO, text: str) -> int:
        """Run one simple command (a program and its arguments, already parsed by cmd.exe)."""
        ...


def is_absolute(path: str) -> bool:
    """`C:\\x` or a UNC path."""
    return path[1:3] == ":\\" or path.startswith("\\\\")


def cd(shell: Shell, io: ProcessIO, rest: str) -> int:
    """cd [/d] [path]: only folders the node has (`nodefiles`); without /d another drive's
    folder does not become current (cmd.exe keeps the current drive)."""
    arg = rest.strip(" \t")
    switch_drive = arg[:2].casefold() == "/d"
    if switch_drive:
        arg = arg[2:].strip(" \t")
    arg = arg.strip('"')
    cwd = shell.cwd or f"C:\\Users\\{shell.ctx.account.user}"
    if not arg:
        io.write(cwd + "\r\n")
        return 0
    target = arg if is_absolute(arg) else cwd.rstrip("\\") + "\\" + arg
    found = lookup(shell.ctx.host, target)
    if found is None or not found.is_dir:
        io.write("The system cannot find the path specified.\r\n", "stderr")
        return 1
    if switch_drive or found.path[:1].casefold() == cwd[:1].casefold():
        shell.cwd = found.path
    return 0


def start(shell: Shell, io: ProcessIO, rest: str) -> int:
    """start ["title"] [/wait] [/b] [/min] [/max] program [args]: with /wait the program's exit
    code becomes the result (the form that waits for GUI programs such as msiexec); without it
    the program runs on in the background and start returns 0 at once."""
    text = rest.strip(" \t")
    wait = False
    while True:
        if text.startswith('"'):  # the window title
            end = text.find('"', 1)
            text = text[end + 1 :].lstrip(" \t") if end > 0 else ""
            continue
        word = text.split(None, 1)[0] if text.split() else ""
        if word.casefold() not in ("/wait", "/b", "/min", "/max", "/i"):
            break
        wait = wait or word.casefold() == "/wait"
        text = text[len(word) :].lstrip(" \t")
    if not text:
        return 0  # would open a new console window: nothing to see over WinRS
    if wait:
        return shell.run_command_text(io, text)
    background = ProcessIO(io.codepage)
    threading.Thread(target=shell.run_command_text, args=(background, text), daemon=True).start()
    return 0


def pushd(shell: Shell, io: ProcessIO, rest: str) -> int:
    return cd(shell, io, "/d " + rest.strip(" \t"))
