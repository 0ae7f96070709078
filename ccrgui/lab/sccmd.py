"""`sc query|stop|start [name]` on a lab node: the service control manager's console client.

Layout as real `sc.exe` prints it (trailing spaces included after the name, the type and the
state word): a blank line, `SERVICE_NAME: <name> `, then 8-space-indented fields with their
labels padded to 19 characters.  `sc stop` answers with the state ControlService returned
(STOP_PENDING) and `sc start` with START_PENDING plus PID and FLAGS, even though the lab's
service changes at once.  Errors are `[SC] <Function> FAILED <code>:`, a blank line, the Win32
message, a blank line; the exit code is the Win32 error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccrgui.lab.engine import LabError
from ccrgui.lab.process import ProcessIO
from ccrgui.lab.programs import Context, register

if TYPE_CHECKING:
    from ccrgui.lab.engine import NodeInfo

CRLF = "\r\n"
IND = " " * 8
FLAGS_RUNNING = "(STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)"
FLAGS_PENDING = "(NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)"
SHARED = {"remoteregistry"}  # services hosted in svchost (WIN32_SHARE_PROCESS)
MESSAGES = {
    5: "Access is denied.",
    1056: "An instance of the service is already running.",
    1060: "The specified service does not exist as an installed service.",
    1062: "The service has not been started.",
}


# The beginning of sc.exe's usage text (the lab implements query, stop and start).
USAGE = (
    "DESCRIPTION:",
    IND + "SC is a command line program used for communicating with the",
    IND + "Service Control Manager and services.",
    "USAGE:",
    IND + "sc <server> [command] [service name] <option1> <option2>...",
)


def _field(label: str, value: str) -> str:
    return f"{IND}{label.ljust(19)}: {value}"


def _type(name: str) -> str:
    return "20  WIN32_SHARE_PROCESS  " if name.casefold() in SHARED else "10  WIN32_OWN_PROCESS  "


def status_block(name: str, state: int, word: str, *, display: str | None = None, start: bool = False) -> str:
    lines = ["", f"SERVICE_NAME: {name} "]
    if display is not None:
        lines.append(f"DISPLAY_NAME: {display}")
    lines += [_field("TYPE", _type(name)), _field("STATE", f"{state}  {word} ")]
    if state != 1:
        lines.append(" " * 32 + (FLAGS_PENDING if start else FLAGS_RUNNING))
    lines += [
        _field("WIN32_EXIT_CODE", "0  (0x0)"),
        _field("SERVICE_EXIT_CODE", "0  (0x0)"),
        _field("CHECKPOINT", "0x0" if state in (1, 4) else "0x1"),
        _field("WAIT_HINT", "0x0" if state in (1, 4) else "0x7d0"),
    ]
    if start:
        lines += [_field("PID", "2412"), _field("FLAGS", "")]
    return CRLF.join(lines) + CRLF


def _failed(io: ProcessIO, function: str, code: int) -> int:
    io.write(f"[SC] {function} FAILED {code}:{CRLF}{CRLF}{MESSAGES.get(code, '')}{CRLF}{CRLF}")
    return code


def _lookup(info: NodeInfo, name: str) -> str | None:
    return next((k for k in info.services if k.casefold() == name.casefold()), None)


def run_sc(io: ProcessIO, ctx: Context, argv: list[str]) -> int:
    """sc query [name] | sc stop name | sc start name (other commands: usage, exit 1639)."""
    engine = ctx.host.engine
    node = ctx.host.name
    verb = argv[1].casefold() if len(argv) > 1 else ""
    if verb not in ("query", "stop", "start") or (verb != "query" and len(argv) < 3):
        io.write(CRLF.join(USAGE) + CRLF)
        return 1639
    info = engine.node(node)
    if len(argv) < 3:
        for svc, running in info.services.items():
            if running:
                io.write(status_block(svc, 4, "RUNNING", display=info.service_display[svc]))
        return 0
    name = _lookup(info, argv[2])
    if verb != "query" and not ctx.account.admin:
        return _failed(io, "OpenService", 5)
    if name is None:
        return _failed(io, "EnumQueryServicesStatus:OpenService" if verb == "query" else "OpenService", 1060)
    try:
        if verb == "stop":
            engine.stop_service(node, name)
            io.write(status_block(name, 3, "STOP_PENDING"))
        elif verb == "start":
            engine.start_service(node, name)
            io.write(status_block(name, 2, "START_PENDING", start=True))
        else:
            running = engine.service_running(node, name)
            io.write(status_block(name, 4 if running else 1, "RUNNING" if running else "STOPPED"))
    except LabError as exc:
        return _failed(io, "ControlService" if verb == "stop" else "StartService", exc.code)
    return 0


register("sc", run_sc)
