"""The one place where names become command-line text for Windows.

Every value that reaches a remote command line (cluster.exe arguments, PowerShell literals, event
XPath filters) goes through a function here.  Each function either returns text that the receiving
parser reads back as exactly the input, or raises `UnsafeValueError` *before anything is sent*.
Refusing is always preferred over guessing: a cluster admin tool must never run a different
command than the one shown in its confirmation dialog.

Rules implemented (and why):

* `cmd_arg` / `cmd_line`: MSVCRT / `CommandLineToArgvW` rules for programs started with
  WINRS_SKIP_CMD_SHELL=TRUE (CreateProcess, no cmd.exe).  Backslashes are literal unless they
  precede a double quote; 2n backslashes + quote -> n backslashes and a quote toggle,
  2n+1 backslashes + quote -> n backslashes and a literal quote.  argv[0] has no escapes at all.
* `cmd_exe_arg` / `cmd_exe_line`: for a line that cmd.exe parses first (WinRS default).  The value
  is always wrapped in double quotes, where cmd.exe treats ``& | < > ^ ( )`` literally.  What
  quotes cannot protect is refused: ``%`` (variable expansion happens even inside quotes),
  ``!`` (delayed expansion when enabled), ``"`` (would end cmd.exe's quoted section), CR/LF (end
  the command) and NUL.
* `ps_literal`: PowerShell single-quoted literal.  PowerShell treats U+2018..U+201B as single
  quotes too, so each of them is doubled like ``'``.
* `xpath_literal`: XPath 1.0 string literal; there is no escape, so pick the quote that does not
  occur or refuse.
* `cluster_name` / `cluster_option`: cluster.exe reads its own switches (``/move:NODE``), so a
  positional object name starting with ``/`` or ``-`` would be taken for a switch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "MAX_CMD_EXE_LINE",
    "MAX_CREATEPROCESS_LINE",
    "UnsafeValueError",
    "cluster_name",
    "cluster_option",
    "cmd_arg",
    "cmd_exe_arg",
    "cmd_exe_line",
    "cmd_line",
    "joined_line",
    "ps_array",
    "ps_literal",
    "ps_native_arg",
    "ps_native_command",
    "xpath_literal",
]


class UnsafeValueError(ValueError):
    """A value cannot be put on a command line safely; nothing was sent."""

    def __init__(self, value: str, reason: str) -> None:
        self.value = value
        self.reason = reason
        super().__init__(f"refusing to send {value!r}: {reason}")


# Space and tab separate arguments for MSVCRT and CommandLineToArgvW.
_ARG_SPECIAL = re.compile(r'[ \t"]')
# cmd.exe metacharacters that double quotes protect.
_CMD_META_QUOTABLE = set("&|<>^() \t,;=")
# PowerShell treats these as single quotes inside a single-quoted string.
_PS_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
# Switch names of cluster.exe are plain words (move, moveto, node, online, prop, ...).
_OPTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


def _check_common(value: str, *, what: str = "value") -> None:
    """Refuse what no Windows command line can carry: NUL, CR, LF and lone surrogates."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if "\x00" in value:
        raise UnsafeValueError(value, f"the {what} contains a NUL character")
    if "\r" in value or "\n" in value:
        raise UnsafeValueError(value, f"the {what} contains a line break")
    try:
        value.encode("utf-16-le")
    except UnicodeEncodeError as exc:
        raise UnsafeValueError(value, f"the {what} contains an unpaired surrogate") from exc


def cmd_arg(value: str) -> str:
    """Quote one argument so MSVCRT/CommandLineToArgvW gives back exactly `value`."""
    _check_common(value, what="argument")
    if value and not _ARG_SPECIAL.search(value):
        return value
    out = ['"']
    backslashes = 0
    for ch in value:
        if ch == "\\":
            backslashes += 1
            continue
        if ch == '"':
            out.append("\\" * (2 * backslashes + 1))
            out.append('"')
        else:
            out.append("\\" * backslashes)
            out.append(ch)
        backslashes = 0
    # Backslashes before the closing quote must be doubled so they stay literal.
    out.append("\\" * (2 * backslashes))
    out.append('"')
    return "".join(out)


def _program(program: str) -> str:
    """argv[0]: no escapes exist, so a double quote is refused and spaces force quotes."""
    _check_common(program, what="program name")
    if not program:
        raise UnsafeValueError(program, "the program name is empty")
    if '"' in program:
        raise UnsafeValueError(program, "a program name cannot contain a double quote")
    if " " in program or "\t" in program:
        return f'"{program}"'
    return program


# CreateProcess accepts 32,767 characters; cmd.exe refuses lines over 8,191.
MAX_CREATEPROCESS_LINE = 32767
MAX_CMD_EXE_LINE = 8191


def _limit(line: str, limit: int) -> str:
    if len(line) > limit:
        raise UnsafeValueError(line[:80] + "...", f"the command line is too long ({len(line)} > {limit})")
    return line


def joined_line(*tokens: str) -> str:
    """Tokens already quoted by this module joined into one CreateProcess command line."""
    return _limit(" ".join(tokens), MAX_CREATEPROCESS_LINE)


def cmd_line(program: str, *args: str) -> str:
    """A full command line for CreateProcess (WINRS_SKIP_CMD_SHELL=TRUE)."""
    return _limit(" ".join([_program(program), *(cmd_arg(a) for a in args)]), MAX_CREATEPROCESS_LINE)


def cmd_exe_arg(value: str) -> str:
    """Quote one argument of a line that cmd.exe parses before the program's own argv split."""
    _check_common(value, what="argument")
    for ch, why in (
        ("%", "cmd.exe expands %VARIABLES% even inside quotes"),
        ("!", "cmd.exe expands !VARIABLES! when delayed expansion is on"),
        ('"', "a double quote would end cmd.exe's quoted section"),
    ):
        if ch in value:
            raise UnsafeValueError(value, why)
    trailing = len(value) - len(value.rstrip("\\"))
    # Inside quotes cmd.exe leaves & | < > ^ ( ) alone; only the closing quote needs care.
    return '"' + value + "\\" * trailing + '"'


def cmd_exe_line(program: str, *args: str) -> str:
    """A line for cmd.exe /c: a bare program word (never quoted, so /c strips nothing)."""
    _check_common(program, what="program name")
    if not program or any(ch in _CMD_META_QUOTABLE or ch in '"%!' for ch in program):
        raise UnsafeValueError(program, "the program name must be a plain word for cmd.exe")
    return _limit(" ".join([program, *(cmd_exe_arg(a) for a in args)]), MAX_CMD_EXE_LINE)


def ps_literal(value: str) -> str:
    """A PowerShell single-quoted string literal that evaluates to exactly `value`."""
    if not isinstance(value, str):
        raise TypeError(f"value must be str, not {type(value).__name__}")
    if "\x00" in value:
        raise UnsafeValueError(value, "the value contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UnsafeValueError(value, "the value contains an unpaired surrogate") from exc
    escaped = "".join(ch + ch if ch in _PS_SINGLE_QUOTES else ch for ch in value)
    return "'" + escaped + "'"


def ps_array(values: Iterable[str]) -> str:
    """A PowerShell array expression of single-quoted literals, e.g. ``@('a','b')``."""
    return "@(" + ",".join(ps_literal(v) for v in values) + ")"


def ps_native_arg(value: str) -> str:
    """A PowerShell 2.0 literal for an argument of a *native* program (``& cluster.exe ...``).

    PowerShell 2.0 rebuilds the native command line by wrapping arguments that contain spaces in
    double quotes without escaping anything, and drops empty arguments.  What that cannot carry is
    refused: empty strings, double quotes, and a trailing backslash in a value with whitespace.
    """
    _check_common(value)
    if value == "":
        raise UnsafeValueError(value, "PowerShell 2.0 drops empty arguments to native programs")
    if '"' in value:
        raise UnsafeValueError(value, "PowerShell 2.0 passes double quotes to native programs unescaped")
    if "\t" in value:
        raise UnsafeValueError(value, "PowerShell 2.0 does not quote tabs in native arguments")
    if value.endswith("\\") and " " in value:
        raise UnsafeValueError(value, "PowerShell 2.0 would turn the trailing backslash into a quote escape")
    return ps_literal(value)


def ps_native_command(program: str, *args: str) -> str:
    """``& 'cluster.exe' 'group' 'Cluster Group' '/move:NODE2'`` for a PowerShell 2.0 script."""
    _program(program)
    return " ".join(["&", ps_literal(program), *(ps_native_arg(a) for a in args)])


def cluster_name(name: str) -> str:
    """A cluster.exe positional object name (group, resource, node, network), MSVCRT-quoted."""
    _check_common(name, what="name")
    if not name:
        raise UnsafeValueError(name, "the name is empty")
    if name[0] in "/-":
        raise UnsafeValueError(name, "cluster.exe would read a name starting with '/' or '-' as a switch")
    return cmd_arg(name)


def cluster_option(option: str, value: str | None = None) -> str:
    """A cluster.exe switch such as ``/move:"Node Name"`` (``/option`` when value is None).

    The argv element the program sees is ``/option:value``; quoting only the value keeps the
    documented spelling.  cluster.exe splits the switch at the first colon, so colons in the value
    are kept as they are.
    """
    if not _OPTION_NAME.match(option):
        raise UnsafeValueError(option, "a cluster.exe switch name is a plain word")
    if value is None:
        return "/" + option
    # cmd_arg(value) starts with a quote when it quotes at all; after the colon that quote
    # toggles quoting exactly as at the start of an argument.
    return f"/{option}:{cmd_arg(value)}"


def xpath_literal(value: str) -> str:
    """An XPath 1.0 string literal; XPath has no escapes, so a value with both quotes is refused."""
    if not isinstance(value, str):
        raise TypeError(f"value must be str, not {type(value).__name__}")
    if "\x00" in value:
        raise UnsafeValueError(value, "the value contains a NUL character")
    if "'" not in value:
        return "'" + value + "'"
    if '"' not in value:
        return '"' + value + '"'
    raise UnsafeValueError(value, "an XPath 1.0 literal cannot contain both ' and \"")
