"""Errors the parsers raise.

`ParseError` means "this is not the output we expected" (garbage, a truncated stream, a format
change): it names the offending line so an admin can report it.  `WindowsCommandError` means the
output is well formed but is Windows refusing the command (``System error 5 has occurred``): it
is a real answer for the admin, not a parser failure, so it is deliberately not a ParseError.
"""

from __future__ import annotations

__all__ = ["ClusterExeError", "ParseError", "WindowsCommandError"]


class ParseError(ValueError):
    """Text that does not have the expected shape; `line_no` is 1-based (0: the text as a whole)."""

    def __init__(self, message: str, line_no: int = 0, line: str = "") -> None:
        self.message = message
        self.line_no = line_no
        self.line = line
        where = f" at line {line_no}: {line[:200]!r}" if line_no else ""
        super().__init__(message + where)


class WindowsCommandError(Exception):
    """A Windows program reported an error code and message instead of a result."""

    def __init__(self, code: int, message: str, program: str = "") -> None:
        self.code = code
        self.message = message
        self.program = program
        super().__init__(f"System error {code} (0x{code & 0xFFFFFFFF:08x}): {message}".rstrip(": "))

    @property
    def hex_code(self) -> str:
        """The code as Windows prints it in hex (``0x000013c9``)."""
        return f"0x{self.code & 0xFFFFFFFF:08x}"


class ClusterExeError(WindowsCommandError):
    """``System error N has occurred (0x...).`` printed by cluster.exe, with the message after it."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message, "cluster.exe")
