"""Start-Process: runs a lab program the way PowerShell 2.0 starts one in its own window.

`Start-Process msiexec -ArgumentList '/p','X.msp','/qn' -Wait -PassThru` is the PowerShell form
that waits for a GUI program; `.ExitCode` of the returned System.Diagnostics.Process is the
program's exit code.  Its output goes to that (invisible) window, not to the pipeline, and
$LASTEXITCODE is not set.  ArgumentList items are joined with single spaces, unquoted, as 2.0 does.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from ccrgui.lab import argv as argvmod
from ccrgui.lab.process import ProcessIO
from ccrgui.lab.programs import Context, resolve_program

from ..cmdlet import Cmdlet, CmdletContext, Param
from ..values import PSObject, PSProperty, enumerate_value, to_string
from .files import resolve_native

M = "Microsoft.PowerShell.Commands."
CANNOT_START = "This command cannot be executed due to the error: The system cannot find the file specified."
_PIDS = itertools.count(3104, 4)


def _process_object(name: str, pid: int, exit_code: int | None) -> PSObject:
    stem = name.replace("/", "\\").rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    props: list[tuple[str, Any]] = [
        ("Id", pid),
        ("ProcessName", stem),
        ("HasExited", exit_code is not None),
        ("ExitCode", exit_code),
    ]
    return PSObject(
        "System.Diagnostics.Process",
        [PSProperty(k, v) for k, v in props],
        to_string=f"System.Diagnostics.Process ({stem})",
        default_view="table",
        table_columns=("Id", "ProcessName"),
    )


def start_process(ctx: CmdletContext) -> None:
    interp = ctx.interp
    host, account = interp.host, interp.account
    assert host is not None and account is not None
    name = resolve_native(interp, to_string(ctx.get("FilePath")))
    program = resolve_program(name, host)
    if program is None:
        ctx.write_error(
            ctx.error(
                CANNOT_START,
                "InvalidOperationException",
                "InvalidOperation",
                reason="InvalidOperationException",
                exception_type="System.InvalidOperationException",
            )
        )
        return
    args = [to_string(a) for a in enumerate_value(ctx.get("ArgumentList"))] if ctx.has("ArgumentList") else []
    line = " ".join([name, *args])
    env = dict(interp.env)
    pctx = Context(host, account, env, line, False)
    io = ProcessIO(interp.io.codepage)
    pid = next(_PIDS)
    if ctx.switch("Wait"):
        code: int | None = program(io, pctx, argvmod.split_command_line(line))
    else:
        threading.Thread(
            target=program, args=(io, pctx, argvmod.split_command_line(line)), daemon=True
        ).start()
        code = None
    if ctx.switch("PassThru"):
        ctx.emit(_process_object(name, pid, code))


def cmdlets() -> list[Cmdlet]:
    P = Param
    return [
        Cmdlet(
            "Start-Process",
            M + "StartProcessCommand",
            [
                P("FilePath", mandatory=True, position=0, aliases=("PSPath",)),
                P("ArgumentList", position=1, aliases=("Args",)),
                P("Wait", True),
                P("PassThru", True),
                P("NoNewWindow", True),
                P("WindowStyle"),
                P("WorkingDirectory"),
            ],
            start_process,
            aliases=("saps", "start"),
        )
    ]
