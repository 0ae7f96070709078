"""cmd.exe and program dispatch: what a WinRS command runs on a simulated node.

WinRS builds the command line as `command + " " + " ".join(arguments)`.  Without
WINRS_SKIP_CMD_SHELL it runs `cmd.exe /c <line>`; with it, the line goes to CreateProcess and
the program is argv[0] (split by the C runtime's rules, `argv.py`).

cmd.exe's processing of a `/c` line, as implemented here (the order matters):
1. the outer-quote rule of `cmd /c` (see `strip_outer_quotes`);
2. the 8191-character limit ("The command line is too long.");
3. %VAR% expansion over the whole line, inside quotes too; an undefined %VAR% stays literally
   (command-line semantics, not batch-file semantics); `%%` stays `%%`;
4. outside double quotes: `^` escapes the next character, `&`, `&&`, `||`, `|` split commands,
   `>`, `>>`, `<`, `n>`, `n>&m` are redirections (files other than `nul` are discarded, since
   the lab has no file system); inside quotes everything is literal and quotes toggle the state;
5. each simple command: its first token names the program; built-ins are `echo`, `set`, `ver`,
   `type nul`, `exit`, and `cd`/`pushd`/`start` (`cmdbuiltins`); external programs get the
   remaining text as their own command line (a name without a path is also looked up in the
   current folder, so setup.com runs after `cd /d` into a setup media folder).
Parentheses blocks and delayed expansion (`!VAR!`) are not supported (not used by the backend).

cmd.exe is also a program (`cmd /c cluster node`, `C:\\Windows\\system32\\cmd.exe /c ...`): a child
shell with a copy of the environment, its switches `/c` `/k` `/s` `/q` `/u` `/d` (and `/a`, `/e:`,
`/f:`, `/v:`, `/t:` accepted), see `run_cmd_program`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ccrgui.lab import argv as argvmod
from ccrgui.lab import cmdbuiltins
from ccrgui.lab.engine import LabError
from ccrgui.lab.nodehost import NodeHost, session_env
from ccrgui.lab.process import Chunk, LabProcess, ProcessIO, Terminated
from ccrgui.lab.programs import PROGRAMS, Context, ProgramFn, register, resolve_program
from ccrgui.lab.topology import Account

MAX_LINE = 8191
TOO_LONG = "The command line is too long.\r\n"
NOT_RECOGNIZED = (
    "'{name}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
)
ERROR_FILE_NOT_FOUND = 2
EXIT_NOT_RECOGNIZED = 9009
VER_TEXT = "\r\nMicrosoft Windows [Version 6.0.6001]\r\n"


class ProgramNotFound(LabError):
    """CreateProcess failed (WINRS_SKIP_CMD_SHELL with an unknown program): WinRS answers a fault
    with Win32 error 2 instead of starting a command."""

    def __init__(self, name: str) -> None:
        super().__init__(ERROR_FILE_NOT_FOUND, "The system cannot find the file specified.", error_id=name)


# ---- routed process I/O (pipes and redirection) ------------------------------------------------


class RoutedIO(ProcessIO):
    """A ProcessIO for one command of a cmd line: its streams go to the parent, a buffer or nul.

    Termination and sleeping are the parent's, so ctrl-c reaches every command of a pipeline.
    """

    def __init__(
        self,
        parent: ProcessIO,
        *,
        stdout: str = "stdout",
        stderr: str = "stderr",
        stdin: bytes | None = None,
    ) -> None:
        super().__init__(parent.codepage)
        self.parent = parent
        # A route is "stdout"/"stderr" (the parent's stream), "buffer" or "nul".
        self.routes = {"stdout": stdout, "stderr": stderr}
        self.buffer = bytearray()
        self._own_stdin = stdin is not None
        if stdin is not None:
            self.send(stdin, eof=True)

    def write_bytes(self, data: bytes, stream: str = "stdout") -> None:
        if self.parent.terminated:
            raise Terminated
        route = self.routes.get(stream, stream)
        if route == "nul" or not data:
            return
        if route == "buffer":
            self.buffer += data
            return
        self.parent.write_bytes(data, route)

    def read_stdin_line(self, timeout: float | None = None) -> bytes | None:
        if self._own_stdin:
            return super().read_stdin_line(timeout)
        return self.parent.read_stdin_line(timeout)

    def read_stdin_all(self) -> bytes:
        if self._own_stdin:
            return super().read_stdin_all()
        return self.parent.read_stdin_all()

    def sleep(self, seconds: float) -> None:
        self.parent.sleep(seconds)

    @property
    def terminated(self) -> bool:
        return self.parent.terminated


# ---- programs ----------------------------------------------------------------------------------


def _hostname(io: ProcessIO, ctx: Context, argv: list[str]) -> int:
    io.write(ctx.host.name.upper() + "\r\n")
    return 0


def _whoami(io: ProcessIO, ctx: Context, argv: list[str]) -> int:
    io.write(f"{ctx.account.domain.lower()}\\{ctx.account.user.lower()}\r\n")
    return 0


def _shutdown(io: ProcessIO, ctx: Context, argv: list[str]) -> int:
    """shutdown /r [/t N] [/f] [/c "comment"] [/d ...]: restarts this node through the engine."""
    restart = False
    delay = 30.0  # the WS2008 default
    for i, a in enumerate(argv[1:], start=1):
        low = a.casefold()
        if low in ("/r", "-r"):
            restart = True
        elif low in ("/t", "-t") and i + 1 < len(argv):
            try:
                delay = float(argv[i + 1])
            except ValueError:
                io.write("The parameter is incorrect.(87)\r\n", "stderr")
                return 87
    if not restart:
        io.write(_SHUTDOWN_USAGE, "stderr")
        return 1
    if not ctx.account.admin:
        io.write(f"{ctx.host.name.upper()}: Access is denied.(5)\r\n", "stderr")
        return 5
    try:
        ctx.host.engine.reboot_node(ctx.host.name, user=ctx.account.qualified, delay_s=delay)
    except LabError as exc:
        io.write(f"{ctx.host.name.upper()}: {exc.message}({exc.code})\r\n", "stderr")
        return exc.code or 1
    return 0


_SHUTDOWN_USAGE = (
    "Usage: shutdown [/i | /l | /s | /r | /g | /a | /p | /h | /e] [/f]\r\n"
    '    [/m \\\\computer][/t xxx][/d [p|u:]xx:yy [/c "comment"]]\r\n'
)

def _net(io: ProcessIO, ctx: Context, argv: list[str]) -> int:
    """net stop|start <service>: the service side of the engine (cluster service, replication)."""
    if len(argv) < 3 or argv[1].casefold() not in ("stop", "start"):
        io.write("The syntax of this command is:\r\n\r\nNET\r\n    [ START | STOP ]\r\n", "stderr")
        return 1
    verb, name = argv[1].casefold(), " ".join(argv[2:])
    names = ctx.host.engine.node(ctx.host.name).service_display
    key = next((k for k, v in names.items() if name.casefold() in (k.casefold(), v.casefold())), None)
    if key is None:
        io.write(
            "The service name is invalid.\r\n\r\nMore help is available by typing NET HELPMSG 2185.\r\n\r\n",
            "stderr",
        )
        return 2
    display = names[key]
    if not ctx.account.admin:
        io.write("System error 5 has occurred.\r\n\r\nAccess is denied.\r\n\r\n", "stderr")
        return 2
    engine = ctx.host.engine
    try:
        if verb == "stop":
            io.write(f"The {display} service is stopping.\r\n")
            engine.stop_service(ctx.host.name, key)
            io.write(f"The {display} service was stopped successfully.\r\n\r\n")
        else:
            io.write(f"The {display} service is starting.\r\n")
            engine.start_service(ctx.host.name, key)
            io.write(f"The {display} service was started successfully.\r\n\r\n")
    except LabError as exc:
        if exc.code == 1062:
            io.write(
                f"The {display} service is not started.\r\n\r\n"
                "More help is available by typing NET HELPMSG 3521.\r\n\r\n",
                "stderr",
            )
        elif exc.code == 1056:
            io.write(
                "The requested service has already been started.\r\n\r\n"
                "More help is available by typing NET HELPMSG 2182.\r\n\r\n",
                "stderr",
            )
        else:
            io.write(f"System error {exc.code} has occurred.\r\n\r\n{exc.message}\r\n\r\n", "stderr")
        return 2
    return 0


def _cmd(io: ProcessIO, ctx: Context, argv: list[str]) -> int:
    return run_cmd_program(io, ctx)


for _name, _program in (
    ("cmd", _cmd),
    ("shutdown", _shutdown),
    ("hostname", _hostname),
    ("whoami", _whoami),
    ("net", _net),
):
    register(_name, _program)


# ---- cmd.exe -----------------------------------------------------------------------------------

_SPECIAL_IN_QUOTES = set("&<>()@^|")


def strip_outer_quotes(line: str) -> str:
    """cmd /c's rule for a line that starts with a quote (`cmd /?`, without /S):

    quotes are kept when there are exactly two, nothing special between them, whitespace
    between them and the quoted text names an executable; otherwise the first character (if a
    quote) and the last quote on the line are removed, keeping the text after that last quote.
    """
    stripped = line.lstrip(" \t")
    if not stripped.startswith('"'):
        return line
    if stripped.count('"') == 2:
        inner = stripped[1 : stripped.index('"', 1)]
        if (
            not (_SPECIAL_IN_QUOTES & set(inner))
            and any(c in " \t" for c in inner)
            and resolve_program(inner) is not None
        ):
            return line
    last = stripped.rindex('"')
    if last == 0:
        return stripped[1:]
    return stripped[1:last] + stripped[last + 1 :]


_PERCENT = re.compile(r"%([^%\r\n]+)%")


def expand_percent(line: str, getenv: Callable[[str], str | None]) -> str:
    """Command-line %VAR% expansion: defined variables are replaced, undefined ones stay as typed.

    Supports `%VAR:~start,len%` substrings and `%VAR:old=new%` substitution like cmd.exe.
    """
    out: list[str] = []
    i = 0
    while i < len(line):
        if line[i] != "%":
            out.append(line[i])
            i += 1
            continue
        m = _PERCENT.match(line, i)
        if m is None:
            out.append("%")
            i += 1
            continue
        value = _expand_one(m.group(1), getenv)
        if value is None:
            # Not a variable: keep the '%' and rescan from the next character, so the closing '%'
            # can start another reference ("%NOPE%PATH%" keeps "%NOPE" and expands "%PATH%").
            out.append("%")
            i += 1
            continue
        out.append(value)
        i = m.end()
    return "".join(out)


def _expand_one(spec: str, getenv: Callable[[str], str | None]) -> str | None:
    if ":" in spec:
        name, _, op = spec.partition(":")
        value = getenv(name)
        if value is None:
            return None
        if op.startswith("~"):
            parts = op[1:].split(",")
            try:
                start = int(parts[0]) if parts[0] else 0
                length = int(parts[1]) if len(parts) > 1 else None
            except ValueError:
                return None
            if start < 0:
                start = max(0, len(value) + start)
            sub = value[start:]
            if length is not None:
                sub = sub[:length] if length >= 0 else sub[: max(0, len(sub) + length)]
            return sub
        if "=" in op:
            old, _, new = op.partition("=")
            if not old:
                return None
            return re.sub(re.escape(old), lambda _m: new, value, flags=re.IGNORECASE)
        return None
    return getenv(spec)


@dataclass
class Redirect:
    fd: int  # 0 stdin, 1 stdout, 2 stderr
    target: str  # a file name, or "&1"/"&2" for a duplicate
    append: bool = False


@dataclass
class SimpleCommand:
    text: str  # the command text as the program sees it (escapes removed, quotes kept)
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Pipeline:
    commands: list[SimpleCommand]


def parse_line(line: str) -> list[tuple[str, Pipeline]]:
    """Split an expanded line into (operator, pipeline) pairs; the first operator is ""."""
    result: list[tuple[str, Pipeline]] = []
    pipeline: list[SimpleCommand] = []
    buf: list[str] = []
    redirects: list[Redirect] = []
    op = ""
    in_quotes = False
    i = 0
    n = len(line)

    def end_command() -> None:
        pipeline.append(SimpleCommand("".join(buf), list(redirects)))
        buf.clear()
        redirects.clear()

    while i < n:
        c = line[i]
        if c == '"':
            in_quotes = not in_quotes
            buf.append(c)
            i += 1
            continue
        if in_quotes:
            buf.append(c)
            i += 1
            continue
        if c == "^":
            if i + 1 < n:
                buf.append(line[i + 1])
            i += 2
            continue
        if c == "&" or c == "|":
            double = i + 1 < n and line[i + 1] == c
            end_command()
            if c == "|" and not double:
                i += 1
                continue
            result.append((op, Pipeline(list(pipeline))))
            pipeline.clear()
            op = c * 2 if double else c
            i += 2 if double else 1
            continue
        if c in "<>":
            fd = 0 if c == "<" else 1
            if buf and buf[-1].isdigit() and (len(buf) == 1 or buf[-2] in " \t"):
                fd = int(buf.pop())
            append = False
            i += 1
            if c == ">" and i < n and line[i] == ">":
                append = True
                i += 1
            while i < n and line[i] in " \t":
                i += 1
            if i < n and line[i] == "&" and i + 1 < n and line[i + 1].isdigit():
                redirects.append(Redirect(fd, "&" + line[i + 1], append))
                i += 2
                continue
            target, i = _read_target(line, i)
            redirects.append(Redirect(fd, target, append))
            continue
        buf.append(c)
        i += 1
    end_command()
    result.append((op, Pipeline(list(pipeline))))
    return result


def _read_target(line: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    in_quotes = False
    while i < len(line):
        c = line[i]
        if c == '"':
            in_quotes = not in_quotes
            i += 1
            continue
        if not in_quotes and (c in " \t&|<>"):
            break
        if not in_quotes and c == "^" and i + 1 < len(line):
            out.append(line[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out), i


def _command_name(text: str) -> tuple[str, str]:
    """(name as typed, rest of the text after the name) for a simple command."""
    s = text.lstrip(" \t;,=@")
    j = 0
    in_quotes = False
    while j < len(s):
        c = s[j]
        if c == '"':
            in_quotes = not in_quotes
        elif not in_quotes and c in " \t/;,=":
            break
        j += 1
    # echo. / echo( / echo: print what follows the delimiter
    if s[:4].casefold() == "echo" and j > 4 and s[4] in ".:([]+\\":
        return s[:4], s[4:]
    return s[:j], s[j:]


class CmdShell:
    """One `cmd.exe /c` run: expands, parses and executes a line against programs.

    `unicode` (/U): cmd's own output (built-ins, its messages) is UTF-16LE; `strip_quotes` (/S):
    the first and last quote of the line are removed whatever is between them."""

    def __init__(self, ctx: Context, *, unicode: bool = False, strip_quotes: bool = False) -> None:
        self.ctx = ctx
        self.exit_requested = False
        self.cwd = ""  # set by cd; "" = the profile folder WinRS starts in
        self.unicode = unicode
        self.strip_quotes = strip_quotes

    def _out(self, io: ProcessIO, text: str, stream: str = "stdout") -> None:
        if self.unicode:
            io.write_bytes(text.encode("utf-16-le"), stream)
        else:
            io.write(text, stream)

    def run_command_text(self, io: ProcessIO, text: str) -> int:
        """One simple command with no redirections (`start`'s program), see `cmdbuiltins.Shell`."""
        return self._run_simple(io, SimpleCommand(text))

    def run(self, io: ProcessIO, line: str) -> int:
        line = _strip_first_and_last_quote(line) if self.strip_quotes else strip_outer_quotes(line)
        if len(line) > MAX_LINE:
            self._out(io, TOO_LONG, "stderr")
            return 1
        expanded = expand_percent(line, self.ctx.getenv)
        if len(expanded) > MAX_LINE:
            self._out(io, TOO_LONG, "stderr")
            return 1
        code = 0
        for op, pipeline in parse_line(expanded):
            if self.exit_requested:
                break
            if op == "&&" and code != 0:
                continue
            if op == "||" and code == 0:
                continue
            code = self._run_pipeline(io, pipeline)
        return code

    def _run_pipeline(self, io: ProcessIO, pipeline: Pipeline) -> int:
        data: bytes | None = None
        code = 0
        cmds = pipeline.commands
        for idx, cmd in enumerate(cmds):
            last = idx == len(cmds) - 1
            sub = self._routed(io, cmd, pipe_out=not last, stdin=data)
            code = self._run_simple(sub, cmd)
            data = bytes(sub.buffer) if not last else None
        return code

    def _routed(self, io: ProcessIO, cmd: SimpleCommand, *, pipe_out: bool, stdin: bytes | None) -> RoutedIO:
        routes = {1: "buffer" if pipe_out else "stdout", 2: "stderr"}
        for r in cmd.redirects:
            if r.fd == 0:
                if r.target.casefold() == "nul":
                    stdin = b""
                continue
            if r.target.startswith("&"):
                src = int(r.target[1:]) if r.target[1:].isdigit() else 1
                routes[r.fd] = routes.get(src, "stdout")
            elif r.fd in (1, 2):
                # The lab has no file system: `> file` swallows the output like `> nul`.
                routes[r.fd] = "nul"
        return RoutedIO(io, stdout=routes[1], stderr=routes[2], stdin=stdin)

    def _run_simple(self, io: ProcessIO, cmd: SimpleCommand) -> int:
        typed, rest = _command_name(cmd.text)
        if not typed.strip():
            return 0
        name = typed.replace('"', "").casefold()
        builtin = _BUILTINS.get(name)
        if builtin is not None:
            return builtin(self, io, rest)
        path = typed.replace('"', "")
        program = resolve_program(path, self.ctx.host)
        command_line = cmd.text.lstrip(" \t@").rstrip(" \t")
        argv = argvmod.split_command_line(command_line)
        if program is None and self.cwd and not cmdbuiltins.is_absolute(path):
            # Found in the current directory (cd /d into the setup media folder).
            argv[0] = self.cwd.rstrip("\\") + "\\" + path.removeprefix(".\\")
            program = resolve_program(argv[0], self.ctx.host)
        if program is None:
            self._out(io, NOT_RECOGNIZED.format(name=typed), "stderr")
            return EXIT_NOT_RECOGNIZED
        sub_ctx = Context(self.ctx.host, self.ctx.account, dict(self.ctx.env), command_line, True)
        return program(io, sub_ctx, argv)

    # ---- built-ins ------------------------------------------------------------------------------

    def _echo(self, io: ProcessIO, rest: str) -> int:
        if not rest.strip(" \t"):
            if rest[:1] in ("", " ", "\t"):
                self._out(io, "ECHO is on.\r\n")
            else:
                self._out(io, "\r\n")
            return 0
        self._out(io, rest[1:] + "\r\n")
        return 0

    def _set(self, io: ProcessIO, rest: str) -> int:
        arg = rest.strip(" \t")
        if arg.startswith('"') and '"' in arg[1:]:
            arg = arg[1 : arg.rindex('"')]
        if not arg:
            for k in sorted(self.ctx.env, key=str.casefold):
                self._out(io, f"{k}={self.ctx.env[k]}\r\n")
            return 0
        if "=" not in arg:
            hits = [
                k for k in sorted(self.ctx.env, key=str.casefold) if k.casefold().startswith(arg.casefold())
            ]
            if not hits:
                self._out(io, f"Environment variable {arg} not defined\r\n", "stderr")
                return 1
            for k in hits:
                self._out(io, f"{k}={self.ctx.env[k]}\r\n")
            return 0
        name, _, value = arg.partition("=")
        for k in list(self.ctx.env):
            if k.casefold() == name.casefold():
                del self.ctx.env[k]
        if value:
            self.ctx.env[name] = value
        return 0

    def _ver(self, io: ProcessIO, rest: str) -> int:
        self._out(io, VER_TEXT)
        return 0

    def _type(self, io: ProcessIO, rest: str) -> int:
        target = rest.strip(" \t").strip('"')
        if target.casefold() == "nul":
            return 0
        self._out(io, "The system cannot find the file specified.\r\n", "stderr")
        return 1

    def _exit(self, io: ProcessIO, rest: str) -> int:
        words = rest.split()
        if words and words[0].casefold() == "/b":
            words = words[1:]
        self.exit_requested = True
        try:
            return int(words[0]) if words else 0
        except ValueError:
            return 0


_BUILTINS: dict[str, Callable[[CmdShell, ProcessIO, str], int]] = {
    "echo": CmdShell._echo,
    "set": CmdShell._set,
    "ver": CmdShell._ver,
    "type": CmdShell._type,
    "exit": CmdShell._exit,
    "cd": cmdbuiltins.cd,
    "chdir": cmdbuiltins.cd,
    "pushd": cmdbuiltins.pushd,
    "start": cmdbuiltins.start,
}


# ---- cmd.exe as a program -----------------------------------------------------------------------

CMD_BANNER = (
    "Microsoft Windows [Version 6.0.6001]\r\n"
    "Copyright (c) 2006 Microsoft Corporation.  All rights reserved.\r\n"
)


@dataclass
class CmdSwitches:
    """What `cmd [switches] [/c | /k command]` was asked to do."""

    mode: str = ""  # "c", "k" or "" (interactive)
    command: str = ""  # the text after /c or /k, as cmd.exe receives it
    strip_quotes: bool = False  # /S
    echo_off: bool = False  # /Q
    unicode: bool = False  # /U (/A: ANSI, the default)


def _skip_program_name(line: str) -> str:
    """The command line after its first token (the program, quoted or not)."""
    s = line.lstrip(" \t@")
    if s.startswith('"'):
        end = s.find('"', 1)
        return "" if end < 0 else s[end + 1 :]
    j = 0
    while j < len(s) and s[j] not in " \t/":
        j += 1
    return s[j:]


def parse_cmd_switches(command_line: str) -> CmdSwitches:
    """cmd.exe's own command line: switches up to /C or /K; the rest is the command, untouched.

    Switches are case-insensitive and may follow each other without spaces (`/q/c`); unknown
    ones are ignored as cmd.exe ignores them.
    """
    sw = CmdSwitches()
    rest = _skip_program_name(command_line)
    i = 0
    while i < len(rest):
        c = rest[i]
        if c in " \t":
            i += 1
            continue
        if c != "/" or i + 1 >= len(rest):
            break  # cmd without /c or /k takes no command: the rest is ignored
        letter = rest[i + 1].casefold()
        if letter in ("c", "k"):
            sw.mode = letter
            sw.command = rest[i + 2 :].lstrip(" \t")
            return sw
        j = i + 2
        while j < len(rest) and rest[j] not in " \t/":
            j += 1
        if letter == "s":
            sw.strip_quotes = True
        elif letter == "q":
            sw.echo_off = True
        elif letter == "u":
            sw.unicode = True
        elif letter == "a":
            sw.unicode = False
        # /d (no AutoRun: the lab has none), /e: /f: /v: /t: /x /y: accepted, nothing to change
        i = j
    return sw


def _strip_first_and_last_quote(line: str) -> str:
    """/S: a leading quote and the last quote on the line are removed, nothing else considered."""
    stripped = line.lstrip(" \t")
    if not stripped.startswith('"'):
        return line
    last = stripped.rindex('"')
    if last == 0:
        return stripped[1:]
    return stripped[1:last] + stripped[last + 1 :]


def run_cmd_program(io: ProcessIO, ctx: Context) -> int:
    """cmd.exe started as a program: a child shell with a copy of the caller's environment.

    /C runs the command and ends with its exit code; /K runs it and then reads commands from
    standard input, as does a cmd without either (after its banner), until `exit` or the end of
    the input.  With echo on, each command read is preceded by the prompt and echoed.
    """
    sw = parse_cmd_switches(ctx.command_line)
    child = Context(ctx.host, ctx.account, dict(ctx.env), sw.command, True)
    shell = CmdShell(child, unicode=sw.unicode, strip_quotes=sw.strip_quotes)
    code = 0
    if sw.mode == "c":
        return shell.run(io, sw.command)
    if sw.mode == "k":
        if sw.command.strip():
            code = shell.run(io, sw.command)
    else:
        shell._out(io, CMD_BANNER)
    prompt = (child.getenv("USERPROFILE") or "C:\\Windows\\system32") + ">"
    while not shell.exit_requested:
        if not sw.echo_off:
            shell._out(io, "\r\n" + prompt)
        raw = io.read_stdin_line()
        if raw is None:
            break
        line = raw.decode(io.encoding, "replace").rstrip("\r\n")
        if not sw.echo_off:
            shell._out(io, line + "\r\n")
        if line.strip():
            code = shell.run(io, line)
    return code


# ---- entry point -------------------------------------------------------------------------------


def launch(
    host: NodeHost,
    account: Account,
    command: str,
    arguments: list[str],
    *,
    skip_cmd_shell: bool,
    codepage: int,
    env: dict[str, str],
) -> LabProcess:
    """Start a WinRS command on `host` as `account`; returns the running LabProcess.

    `env` holds the WinRS environment variables of the shell (added to the node's environment).
    With `skip_cmd_shell` an unknown program raises ProgramNotFound (CreateProcess fails; WinRS
    reports a fault rather than starting a command).
    """
    line = command if not arguments else command + " " + " ".join(arguments)
    full_env = session_env(host.env, account, host.topology)
    full_env.update(env)
    io = ProcessIO(codepage)
    ctx = Context(host, account, full_env, line, not skip_cmd_shell)
    if skip_cmd_shell:
        argv = argvmod.split_command_line(line)
        program = resolve_program(argv[0], host)
        if program is None:
            raise ProgramNotFound(argv[0])

        def run_direct(pio: ProcessIO) -> int:
            return program(pio, ctx, argv)

        return LabProcess(run_direct, io, name=f"lab-{host.name}-{argv[0]}").start()

    shell = CmdShell(ctx)

    def run_cmd(pio: ProcessIO) -> int:
        return shell.run(pio, line)

    return LabProcess(run_cmd, io, name=f"lab-{host.name}-cmd").start()


def run_line(host: NodeHost, account: Account, line: str, *, codepage: int = 437) -> tuple[str, str, int]:
    """Run a cmd.exe line synchronously and decode its output (for tests and the lab CLI)."""
    proc = launch(host, account, line, [], skip_cmd_shell=False, codepage=codepage, env={})
    out, err, code = collect_output(proc)
    enc = proc.io.encoding
    return out.decode(enc, "replace"), err.decode(enc, "replace"), code


def collect_output(proc: LabProcess) -> tuple[bytes, bytes, int]:
    """Wait for a launched program to end: its stdout, stderr and exit code."""
    out = bytearray()
    err = bytearray()
    while True:
        d = proc.io.drain(timeout=60)
        for ch in d.chunks:
            (out if ch.stream == "stdout" else err).extend(ch.data)
        if d.done:
            return bytes(out), bytes(err), d.exit_code or 0


__all__ = [
    "PROGRAMS",
    "Chunk",
    "CmdShell",
    "CmdSwitches",
    "Context",
    "ProgramFn",
    "ProgramNotFound",
    "RoutedIO",
    "collect_output",
    "expand_percent",
    "launch",
    "parse_cmd_switches",
    "parse_line",
    "resolve_program",
    "run_cmd_program",
    "run_line",
    "strip_outer_quotes",
]
