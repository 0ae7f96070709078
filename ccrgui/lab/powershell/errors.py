"""Error records and their PowerShell 2.0 console rendering.

Rendering follows PS 2.0's default ErrorRecord view: message (prefixed by the command name for
cmdlet errors), the position message ("At line:N char:M" / "+ text <<<< rest"), then the
CategoryInfo and FullyQualifiedErrorId lines indented by 4, each cut in pieces of
(buffer width - 6) characters, and a final " " line.  The console then hard-wraps every line at
buffer width - 1 (79).  This reproduces pywinrm's captured CLIXML fixture exactly
(see tests/lab/test_powershell_errors.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BUFFER_WIDTH = 80


@dataclass
class Position:
    """Where an error happened: the script text and the end offset of the offending token."""

    text: str
    offset: int

    def message(self) -> str:
        text = self.text
        off = max(0, min(self.offset, len(text)))
        line_no = text.count("\n", 0, off) + 1
        line_start = text.rfind("\n", 0, off) + 1
        line_end = text.find("\n", off)
        if line_end < 0:
            line_end = len(text)
        line = text[line_start:line_end].rstrip("\r")
        col = off - line_start
        before = line[:col]
        after = line[col:]
        return f"At line:{line_no} char:{col + 1}\n+ {before} <<<< {after}"


@dataclass
class ErrorRecord:
    message: str
    error_id: str  # FullyQualifiedErrorId
    category: str = "NotSpecified"
    target: Any = None
    target_type: str = ""
    activity: str = ""  # the command name shown in CategoryInfo's [..]
    reason: str = "RuntimeException"  # exception type short name
    exception_type: str = "System.Management.Automation.RuntimeException"
    command: str = ""  # prefix "Cmd : message" for cmdlet errors
    position: Position | None = None
    native_continuation: bool = False  # later stderr lines of a native command
    inner: ErrorRecord | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    dotnet_type = "System.Management.Automation.ErrorRecord"

    def category_info(self) -> str:
        target = "" if self.target is None else str(self.target)
        ttype = self.target_type
        inner = f"{target}:{ttype}" if (target or ttype) else ":"
        return f"{self.category}: ({inner}) [{self.activity}], {self.reason}"

    def __str__(self) -> str:
        return self.message

    def render(self, width: int = BUFFER_WIDTH) -> list[str]:
        """The console lines for this record (before the console's own line wrapping)."""
        if self.native_continuation:
            return [self.message]
        head = f"{self.command} : {self.message}" if self.command else self.message
        text = head
        if self.position is not None:
            text += "\n" + self.position.message()
        chunk = width - 6
        for label in (
            f"+ CategoryInfo          : {self.category_info()}",
            f"+ FullyQualifiedErrorId : {self.error_id}",
        ):
            pieces = [label[i : i + chunk] for i in range(0, len(label), chunk)] or [""]
            text += "\n" + "".join("    " + p for p in pieces)
        text += "\n "
        return text.split("\n")


def console_wrap(lines: list[str], width: int = BUFFER_WIDTH) -> list[str]:
    """Hard-wrap lines as the console does when writing error text (width - 1 columns)."""
    out: list[str] = []
    cut = width - 1
    for line in lines:
        if not line:
            out.append("")
            continue
        for i in range(0, len(line), cut):
            out.append(line[i : i + cut])
    return out


def clixml_escape(text: str) -> str:
    """Escape as PowerShell's serializer does for <S> text: XML entities, control chars as _xHHHH_."""
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "_" and text[i : i + 2] == "_x":
            out.append("_x005F_")
        elif c == "&":
            out.append("&amp;")
        elif c == "<":
            out.append("&lt;")
        elif c == ">":
            out.append("&gt;")
        elif ord(c) < 0x20 or 0xD800 <= ord(c) <= 0xDFFF or ord(c) in (0xFFFE, 0xFFFF):
            out.append(f"_x{ord(c):04X}_")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def clixml_error_lines(lines: list[str]) -> str:
    """The <S S="Error"> elements for console error lines (each ending in CRLF)."""
    return "".join(f'<S S="Error">{clixml_escape(line + chr(13) + chr(10))}</S>' for line in lines)


CLIXML_HEADER = "#< CLIXML\r\n"
CLIXML_OPEN = '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
CLIXML_CLOSE = "</Objs>"


class PSRuntimeError(Exception):
    """A terminating error (throw, a statement-terminating runtime error, -ErrorAction Stop)."""

    def __init__(
        self, record: ErrorRecord, *, script_terminating: bool = False, thrown_value: Any = None
    ) -> None:
        super().__init__(record.message)
        self.record = record
        self.script_terminating = script_terminating
        self.thrown_value = thrown_value


class FlowControl(Exception):
    def __init__(self, kind: str, value: Any = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.value = value


class ExitScript(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def not_recognized(name: str) -> ErrorRecord:
    return ErrorRecord(
        message=(
            f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or "
            "operable program. Check the spelling of the name, or if a path was included, verify that "
            "the path is correct and try again."
        ),
        error_id="CommandNotFoundException",
        category="ObjectNotFound",
        target=name,
        target_type="String",
        reason="CommandNotFoundException",
        exception_type="System.Management.Automation.CommandNotFoundException",
    )


def parse_error_record(message: str, error_id: str, token: str) -> ErrorRecord:
    return ErrorRecord(
        message=message,
        error_id=error_id,
        category="ParserError",
        target=token,
        target_type="String" if token else "",
        reason="ParentContainsErrorRecordException",
        exception_type="System.Management.Automation.ParseException",
    )
