"""powershell.exe (Windows PowerShell 2.0 on Windows Server 2008, Exchange 2007 SP1 node).

Entry point `run_powershell(io, host, account, argv)`: parses the powershell.exe command line
(-Command text, -Command - for stdin, -EncodedCommand, -NoLogo, -NoProfile, -NonInteractive,
-InputFormat, -OutputFormat, -ExecutionPolicy...), runs the script through the interpreter and
returns the exit code: the argument of `exit`, else 1 when the last statement failed, else 0.

Errors go to stderr as text, or -- when the command came from -EncodedCommand (the host's
"minishell" rule: non-interactive, stderr redirected, encoded initial command) -- as CLIXML
(`#< CLIXML` + `<Objs ...><S S="Error">...</S></Objs>`), which is what pywinrm's run_ps parses.

Formats and where they come from:
* error text: PS 2.0 ErrorRecord view ("Cmd : message", "At line:N char:M", "+ text <<<< rest",
  CategoryInfo/FullyQualifiedErrorId cut in 74-character pieces), lines hard-wrapped at 79 --
  byte-identical to pywinrm's captured run_ps fixture (shared/reference/winrm/samples);
  the ErrorFormat=XML rule is ConsoleHost's `ErrorFormat` property (PowerShell source);
* console output: 80-column buffer; PS 2.0's host breaks longer output lines at 80 (pywinrm
  issue #216); tables share 79 columns equally and keep their padding (pywinrm issue #301, a real
  run_ps capture); Format-List padding/wrapping matches the real EMS console sample;
* ConvertTo-Xml: PowerShell's CustomSerialization rules and its ConvertTo-Xml tests, with Windows
  PowerShell's `<?xml version="1.0"?>` declaration;
* non-terminating errors stopped by 'Stop' carry PS 2.0's ActionPreferenceStopException text
  ("Command execution stopped because the preference variable ... is set to Stop: ...").
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from ccrgui.lab.nodehost import session_env
from ccrgui.lab.process import ProcessIO
from ccrgui.lab.programs import Context, register

from .errors import ExitScript
from .interpreter import Interpreter
from .lexer import PSParseError
from .parser import Parser

if TYPE_CHECKING:
    from ccrgui.lab.nodehost import NodeHost
    from ccrgui.lab.topology import Account

__all__ = ["Interpreter", "parse_command_line", "run_powershell"]

SWITCHES = {
    "nologo": "NoLogo",
    "noprofile": "NoProfile",
    "noninteractive": "NonInteractive",
    "noexit": "NoExit",
    "sta": "Sta",
    "mta": "Mta",
}
VALUED = {
    "inputformat": "InputFormat",
    "outputformat": "OutputFormat",
    "executionpolicy": "ExecutionPolicy",
    "windowstyle": "WindowStyle",
    "psconsolefile": "PSConsoleFile",
    "version": "Version",
    "file": "File",
}


class CommandLine:
    def __init__(self) -> None:
        self.options: dict[str, str | bool] = {}
        self.command: str | None = None
        self.encoded = False
        self.stdin = False
        self.error: str | None = None


def _match(token: str, names: dict[str, str], minimum: int = 1) -> str | None:
    low = token.casefold()
    hits = {v for k, v in names.items() if k.startswith(low) and len(low) >= minimum}
    return hits.pop() if len(hits) == 1 else None


def _encoded_command(cl: CommandLine, value: str | None) -> CommandLine:
    """-EncodedCommand BASE64: the command is UTF-16LE text in Base64."""
    if value is None:
        cl.error = "Missing argument for parameter EncodedCommand."
        return cl
    try:
        cl.command = base64.b64decode(value, validate=True).decode("utf-16-le")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        cl.error = (
            "Cannot process the command because the value specified with -EncodedCommand is not "
            "properly encoded. The value must be Base64 encoded."
        )
        return cl
    cl.encoded = True
    return cl


def parse_command_line(argv: list[str]) -> CommandLine:
    """powershell.exe's own parameters (PowerShell 2.0 accepts unique prefixes)."""
    cl = CommandLine()
    args = list(argv[1:])
    i = 0
    while i < len(args):
        tok = args[i]
        i += 1
        if not tok.startswith(("-", "/")):
            cl.command = " ".join(args[i - 1 :])
            return cl
        name = tok[1:]
        low = name.casefold()
        if low in ("command", "c") or (len(low) >= 2 and "command".startswith(low)):
            rest = args[i:]
            if rest == ["-"]:
                cl.stdin = True
            else:
                cl.command = " ".join(rest)
            return cl
        if low in ("encodedcommand", "e", "ec", "enc") or (
            len(low) >= 2 and "encodedcommand".startswith(low)
        ):
            return _encoded_command(cl, args[i] if i < len(args) else None)
        sw = _match(low, SWITCHES, 3) or SWITCHES.get(low)
        if low in ("nop",):
            sw = "NoProfile"
        if low in ("noni",):
            sw = "NonInteractive"
        if sw:
            cl.options[sw] = True
            continue
        if low == "file" or (len(low) >= 2 and "file".startswith(low)):
            if i >= len(args):
                cl.error = "Missing argument for parameter File."
                return cl
            cl.options["File"] = args[i]
            return cl
        valued = _match(low, VALUED, 2) or {
            "ep": "ExecutionPolicy",
            "ex": "ExecutionPolicy",
            "of": "OutputFormat",
            "if": "InputFormat",
            "w": "WindowStyle",
        }.get(low)
        if valued:
            if i >= len(args):
                cl.error = f"Missing argument for parameter {valued}."
                return cl
            cl.options[valued] = args[i]
            i += 1
            continue
        if tok == "-":
            cl.stdin = True
            return cl
        # anything else starts the command text
        cl.command = " ".join(args[i - 1 :])
        return cl
    cl.stdin = cl.command is None
    return cl


def run_powershell(io: ProcessIO, host: NodeHost, account: Account, argv: list[str]) -> int:
    """Run powershell.exe with `argv` (argv[0] is the program name) against `io`."""
    cl = parse_command_line(argv)
    io.sleep(host.faults.costs.powershell_start_s if host is not None else 0.0)
    if cl.error:
        io.write(cl.error + "\r\n", "stderr")
        return 1
    env = session_env(host.env, account, host.topology) if host is not None else {}
    interp = Interpreter(io, host, account, error_xml=cl.encoded, env=env)
    interp.noninteractive = bool(cl.options.get("NonInteractive"))
    try:
        script_file = cl.options.get("File")
        if isinstance(script_file, str):
            text = interp.files.get(script_file.casefold())
            if text is None:
                io.write(
                    f"The argument '{script_file}' to the -File parameter does not exist. "
                    "Provide the path to an existing '.ps1' file as an argument to the -File parameter.\r\n",
                    "stderr",
                )
                return 196608
            return 0 if interp.run_text(text) else 1
        if cl.stdin:
            return _run_stdin(io, interp)
        ok = interp.run_text(cl.command or "")
        return 0 if ok else 1
    except ExitScript as exc:
        return exc.code
    finally:
        interp.close_error_stream()


def _incomplete(text: str) -> bool:
    try:
        Parser(text).parse_script()
    except PSParseError as exc:
        return exc.error_id in {
            "MissingEndCurlyBrace",
            "MissingEndParenthesisInExpression",
            "TerminatorExpectedAtEndOfString",
            "MissingEndParenthesisInSubexpression",
            "MissingStatementBlock",
            "EmptyPipeElement",
        } and exc.pos >= len(text.rstrip())
    return False


def _run_stdin(io: ProcessIO, interp: Interpreter) -> int:
    """`-Command -`: read and run stdin line by line (statements spanning lines are gathered
    until they parse), writing output as it goes; exit at EOF."""
    ok = True
    pending = ""
    while True:
        raw = io.read_stdin_line()
        if raw is None:
            if pending.strip():
                ok = interp.run_text(pending)
            return 0 if ok else 1
        line = raw.decode(io.encoding, errors="replace").rstrip("\r\n")
        pending = pending + "\n" + line if pending else line
        if _incomplete(pending) and line.strip():
            continue
        text, pending = pending, ""
        if not text.strip():
            continue
        try:
            ok = interp.run_text(text)
        except ExitScript as exc:
            return exc.code


def _powershell_program(io: ProcessIO, ctx: Context, argv: list[str]) -> int:
    return run_powershell(io, ctx.host, ctx.account, argv)


register("powershell", _powershell_program)
