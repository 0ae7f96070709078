"""Native programs run from PowerShell (cluster.exe, wevtutil, hostname...).

PowerShell 2.0 builds a CreateProcess command line from the arguments: an argument containing
blanks is wrapped in double quotes (embedded quotes are NOT escaped, and empty strings are dropped,
both real 2.0 behaviour); the program then splits it by the MSVCRT rules (helper 2's argv module).
Output written to the console passes through untouched; captured output becomes one string per
line.  With `2>&1` each stderr line becomes an ErrorRecord (NativeCommandError for the first,
NativeCommandErrorMessage after), which under $ErrorActionPreference = 'Stop' makes the first one
terminating, as in Windows PowerShell.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ccrgui.lab import argv as argvmod
from ccrgui.lab.nodehost import session_env
from ccrgui.lab.process import ProcessIO, Terminated
from ccrgui.lab.programs import Context, ProgramFn, resolve_program

from .cmdlets.files import resolve_native
from .errors import ErrorRecord, Position
from .values import to_string

if TYPE_CHECKING:
    from .interpreter import Interpreter


class CaptureIO(ProcessIO):
    """The pipes of a native program started by PowerShell: each stream forwarded or captured."""

    def __init__(self, parent: ProcessIO, forward_out: bool, forward_err: bool, stdin: bytes | None) -> None:
        super().__init__(parent.codepage)
        self.parent = parent
        self.forward = {"stdout": forward_out, "stderr": forward_err}
        self.captured = {"stdout": bytearray(), "stderr": bytearray()}
        self.send(stdin or b"", eof=True)

    def write_bytes(self, data: bytes, stream: str = "stdout") -> None:
        if self.parent.terminated:
            raise Terminated
        if not data:
            return
        if self.forward.get(stream, False):
            self.parent.write_bytes(data, stream)
        else:
            self.captured.setdefault(stream, bytearray()).extend(data)

    def sleep(self, seconds: float) -> None:
        self.parent.sleep(seconds)

    @property
    def terminated(self) -> bool:
        return self.parent.terminated


def _program(name: str, host: Any = None) -> ProgramFn | None:
    return resolve_program(name, host)


def program_exists(interp: Interpreter, name: str) -> bool:
    if interp.host is None:
        return False
    return _program(resolve_native(interp, name), interp.host) is not None


def quote_argument(arg: str) -> str:
    if (" " in arg or "\t" in arg) and not (arg.startswith('"') and arg.endswith('"') and len(arg) > 1):
        return f'"{arg}"'
    return arg


def command_line(name: str, args: list[str]) -> str:
    return " ".join([quote_argument(name)] + [quote_argument(a) for a in args if a != ""])


def split_lines(text: str) -> list[str]:
    if not text:
        return []
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def run_native(
    interp: Interpreter,
    name: str,
    args: list[str],
    data: list[Any],
    emit: Callable[[Any], None],
    *,
    console: bool,
    err_sink: Callable[[Any], None] | None,
    merged: bool,
    position: Position,
) -> None:
    assert interp.host is not None and interp.account is not None

    name = resolve_native(interp, name)
    program = _program(name, interp.host)
    line = command_line(name, args)
    argv = argvmod.split_command_line(line)
    env = dict(interp.env)
    if not env:
        env = session_env(interp.host.env, interp.account, interp.host.topology)
    ctx = Context(interp.host, interp.account, env, line, False)
    stdin = None
    if data:
        stdin = interp.io.encode("".join(to_string(d) + "\r\n" for d in data))
    io = CaptureIO(interp.io, forward_out=console, forward_err=err_sink is None, stdin=stdin)
    if console:
        flush = getattr(getattr(emit, "__self__", None), "flush", None)
        if callable(flush):
            flush()
    assert program is not None  # callers check program_exists first
    code = program(io, ctx, argv)
    enc = interp.io.encoding
    out_text = bytes(io.captured["stdout"]).decode(enc, "replace")
    err_text = bytes(io.captured["stderr"]).decode(enc, "replace")
    ok = True
    if not console:
        for out_line in split_lines(out_text):
            emit(out_line)
    if err_sink is not None and err_text:
        for i, err_line in enumerate(split_lines(err_text)):
            rec = ErrorRecord(
                message=err_line,
                error_id="NativeCommandError" if i == 0 else "NativeCommandErrorMessage",
                category="NotSpecified",
                target=err_line,
                target_type="String",
                reason="RemoteException",
                exception_type="System.Management.Automation.RemoteException",
                command=name if i == 0 else "",
                position=position if i == 0 else None,
                native_continuation=i > 0,
            )
            ok = False
            interp.set_var("LASTEXITCODE", code)
            interp.write_error(rec)
    interp.set_var("LASTEXITCODE", code)
    interp.last_ok = ok and code == 0
    del merged
