"""PowerShell 2.0 tokenizer.

PowerShell's lexing depends on context: the same characters are an operator in expression mode
and a plain word in command (argument) mode.  So this is a *modal* lexer: the parser asks for the
next token in the mode it is in (`expr` or `command`), and the lexer never guesses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Unicode characters PowerShell treats as quotes (SpecialChars in the real tokenizer).
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
DOUBLE_QUOTES = '"\u201c\u201d\u201e'
DASHES = "-\u2013\u2014\u2015"

# Binary operators written as -word (comparison, matching, type, join/split).
COMPARISON_WORDS = frozenset(
    {
        "eq",
        "ne",
        "gt",
        "ge",
        "lt",
        "le",
        "like",
        "notlike",
        "match",
        "notmatch",
        "replace",
        "contains",
        "notcontains",
        "is",
        "isnot",
        "as",
        "join",
        "split",
    }
)
OPERATOR_WORDS = COMPARISON_WORDS | {
    "f",
    "and",
    "or",
    "xor",
    "not",
    "band",
    "bor",
    "bxor",
    "bnot",
}
CASE_PREFIXED = {
    "eq",
    "ne",
    "gt",
    "ge",
    "lt",
    "le",
    "like",
    "notlike",
    "match",
    "notmatch",
    "replace",
    "contains",
    "notcontains",
    "split",
}
# Characters that end a bare word in command mode.
COMMAND_WORD_END = set(" \t\r\n;|&(){},") | set("\u00a0")

BACKTICK_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


class PSParseError(Exception):
    """A parse error carrying the real ParserError id and the offending token's end offset."""

    def __init__(self, message: str, error_id: str, pos: int, token: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.error_id = error_id
        self.pos = pos
        self.token = token


@dataclass
class Token:
    kind: str  # num str xstr var op punct word param newline eof redir
    text: str
    start: int
    end: int
    value: Any = None
    parts: list[Any] = field(default_factory=list)  # xstr: str pieces and ("var"|"sub", ...) tuples
    spaced: bool = False  # whitespace directly before the token


def is_ident_char(c: str) -> bool:
    return c.isalnum() or c == "_"


class Lexer:
    """Reads tokens from `src` on demand; `pos` may be saved and restored by the parser."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.pos = 0

    # ---- helpers ------------------------------------------------------------------------------

    def peekc(self, k: int = 0) -> str:
        i = self.pos + k
        return self.src[i] if i < len(self.src) else ""

    def skip_space(self, newlines: bool = False) -> bool:
        """Skip blanks, comments and line continuations; return True if anything was skipped."""
        start = self.pos
        src = self.src
        while self.pos < len(src):
            c = src[self.pos]
            if c in " \t\f\u00a0":
                self.pos += 1
            elif c == "`" and self.peekc(1) in ("\n", "\r"):
                self.pos += 2
                if c == "\r" and self.peekc() == "\n":
                    self.pos += 1
                if src[self.pos - 1] == "\r" and self.peekc() == "\n":
                    self.pos += 1
            elif newlines and c in "\r\n":
                self.pos += 1
            elif c == "<" and self.peekc(1) == "#":
                end = src.find("#>", self.pos + 2)
                if end < 0:
                    raise PSParseError(
                        "The string starting:\n"
                        + src[self.pos : self.pos + 20]
                        + " is missing the terminator: #>.",
                        "TerminatorExpectedAtEndOfString",
                        len(src),
                    )
                self.pos = end + 2
            elif c == "#":
                while self.pos < len(src) and src[self.pos] not in "\r\n":
                    self.pos += 1
            else:
                break
        return self.pos > start

    def at_end(self) -> bool:
        return self.pos >= len(self.src)

    # ---- strings ------------------------------------------------------------------------------

    def read_single_quoted(self) -> Token:
        start = self.pos
        self.pos += 1
        out: list[str] = []
        src = self.src
        while True:
            if self.pos >= len(src):
                raise PSParseError(
                    "The string starting:\nAt line:1 char:"
                    + str(start + 1)
                    + "\n+ "
                    + src[start : start + 20]
                    + " <<<< \nis missing the terminator: '.",
                    "TerminatorExpectedAtEndOfString",
                    len(src),
                )
            c = src[self.pos]
            if c in SINGLE_QUOTES:
                if self.peekc(1) in SINGLE_QUOTES and self.peekc(1) != "":
                    out.append(self.peekc(1))
                    self.pos += 2
                    continue
                self.pos += 1
                break
            out.append(c)
            self.pos += 1
        text = "".join(out)
        return Token("str", src[start : self.pos], start, self.pos, value=text)

    def read_here_string(self, expandable: bool) -> Token:
        start = self.pos
        src = self.src
        self.pos += 2
        while self.peekc() in " \t":
            self.pos += 1
        if self.peekc() == "\r":
            self.pos += 1
        if self.peekc() != "\n":
            raise PSParseError(
                "Unrecognized token in source text.", "UnrecognizedToken", start + 2, src[start : start + 2]
            )
        self.pos += 1
        body_start = self.pos
        quotes = DOUBLE_QUOTES if expandable else SINGLE_QUOTES
        i = body_start
        while True:
            # The terminator is a quote + @ at the very start of a line.
            if (
                i < len(src)
                and src[i] in quotes
                and src[i + 1 : i + 2] == "@"
                and (i == body_start or src[i - 1] == "\n")
            ):
                break
            nl = src.find("\n", i)
            if nl < 0:
                raise PSParseError(
                    "The string starting:\n"
                    + src[start : start + 20]
                    + " is missing the terminator: "
                    + ('"@' if expandable else "'@")
                    + ".",
                    "TerminatorExpectedAtEndOfString",
                    len(src),
                )
            i = nl + 1
        body_end = i
        body = src[body_start:body_end]
        if body.endswith("\n"):
            body = body[:-1]
            if body.endswith("\r"):
                body = body[:-1]
        self.pos = i + 2
        if not expandable:
            return Token("str", src[start : self.pos], start, self.pos, value=body)
        parts = parse_expandable(body, body_start, here=True)
        return Token("xstr", src[start : self.pos], start, self.pos, parts=parts)

    def read_double_quoted(self) -> Token:
        start = self.pos
        src = self.src
        i = self.pos + 1
        # Find the end, honouring backticks, "" doubling and nested $( ) which may hold quotes.
        depth = 0
        while True:
            if i >= len(src):
                raise PSParseError(
                    "The string starting:\nAt line:1 char:"
                    + str(start + 1)
                    + "\n+ "
                    + src[start : start + 20]
                    + ' <<<< \nis missing the terminator: ".',
                    "TerminatorExpectedAtEndOfString",
                    len(src),
                )
            c = src[i]
            if c == "`":
                i += 2
                continue
            if c == "$" and src[i + 1 : i + 2] == "(":
                end = _skip_subexpression(src, i + 1)
                i = end
                continue
            if c in DOUBLE_QUOTES and depth == 0:
                if src[i + 1 : i + 2] and src[i + 1] in DOUBLE_QUOTES:
                    i += 2
                    continue
                break
            i += 1
        body = src[start + 1 : i]
        self.pos = i + 1
        parts = parse_expandable(body, start + 1, here=False)
        return Token("xstr", src[start : self.pos], start, self.pos, parts=parts)

    # ---- numbers, variables -------------------------------------------------------------------

    def _scan_hex(self, i: int) -> tuple[int, Any] | None:
        """0x1F: the end of the digits and the value, or None without digits."""
        src = self.src
        n = len(src)
        j = i + 2
        while j < n and src[j] in "0123456789abcdefABCDEF":
            j += 1
        if j == i + 2:
            return None
        return j, int(src[i:j], 16)

    def _scan_decimal(self, i: int) -> tuple[int, Any] | None:
        """12, 1.5, 1e3: the end of the number and its value, or None if it is not one."""
        src = self.src
        n = len(src)
        j = i
        while j < n and src[j].isdigit():
            j += 1
        is_float = False
        if j < n and src[j] == "." and src[j + 1 : j + 2].isdigit():
            j += 1
            while j < n and src[j].isdigit():
                j += 1
            is_float = True
        elif j == i and src[j : j + 1] == "." and src[j + 1 : j + 2].isdigit():
            return None
        if j == i:
            return None
        if (
            j < n
            and src[j] in "eE"
            and (
                src[j + 1 : j + 2].isdigit() or (src[j + 1 : j + 2] in "+-" and src[j + 2 : j + 3].isdigit())
            )
        ):
            j += 2
            while j < n and src[j].isdigit():
                j += 1
            is_float = True
        text = src[i:j]
        return j, float(text) if is_float else int(text)

    def try_number(self, command_mode: bool) -> Token | None:
        src = self.src
        start = self.pos
        hexadecimal = src[start : start + 2].lower() == "0x"
        scanned = self._scan_hex(start) if hexadecimal else self._scan_decimal(start)
        if scanned is None:
            return None
        i, value = scanned
        mult = 1
        low = src[i : i + 2].lower()
        if low in ("kb", "mb", "gb", "tb", "pb"):
            mult = 1024 ** ("kmgtp".index(low[0]) + 1)
            i += 2
        elif src[i : i + 1].lower() in ("d", "l"):
            if src[i].lower() == "d":
                from decimal import Decimal

                value = Decimal(str(value))
            i += 1
        # A number must end at a token boundary.
        nxt = src[i : i + 1]
        if nxt and (is_ident_char(nxt) or (command_mode and nxt not in COMMAND_WORD_END and nxt not in ">")):
            if not (nxt == "." and src[i + 1 : i + 2] == "."):
                return None
        if mult != 1:
            value = value * mult
        self.pos = i
        return Token("num", src[start:i], start, i, value=value)

    def read_variable(self) -> Token:
        src = self.src
        start = self.pos
        i = start + 1
        if src[i : i + 1] == "{":
            end = src.find("}", i)
            if end < 0:
                raise PSParseError(
                    "Missing closing '}' in statement block.", "MissingEndCurlyBrace", len(src)
                )
            name = src[i + 1 : end]
            self.pos = end + 1
            return Token("var", src[start : self.pos], start, self.pos, value=name)
        c = src[i : i + 1]
        if c in ("?", "$", "^", "_") and not (c == "_" and is_ident_char(src[i + 1 : i + 2])):
            self.pos = i + 1
            return Token("var", src[start : self.pos], start, self.pos, value=c)
        j = i
        while j < len(src) and (
            is_ident_char(src[j])
            or (src[j] == ":" and src[j + 1 : j + 2] != ":" and j > i and _is_scope(src[i:j]))
        ):
            j += 1
        if j == i:
            raise PSParseError(
                "Variable reference is not valid. The dollar sign ($) must be followed by a valid name.",
                "InvalidVariableReference",
                i,
                "$",
            )
        self.pos = j
        return Token("var", src[start:j], start, j, value=src[i:j])


def _is_scope(prefix: str) -> bool:
    return prefix.lower() in ("env", "global", "script", "local", "private", "variable", "function")


def _skip_subexpression(src: str, i: int) -> int:
    """Index after the ')' closing the '(' at src[i], skipping nested strings."""
    depth = 0
    n = len(src)
    while i < n:
        c = src[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c in SINGLE_QUOTES:
            i += 1
            while i < n and src[i] not in SINGLE_QUOTES:
                i += 1
        elif c in DOUBLE_QUOTES:
            i += 1
            while i < n and src[i] not in DOUBLE_QUOTES:
                if src[i] == "`":
                    i += 1
                i += 1
        elif c == "`":
            i += 1
        i += 1
    raise PSParseError("Missing closing ')' in subexpression.", "MissingEndParenthesisInSubexpression", n)


def parse_expandable(body: str, offset: int, *, here: bool) -> list[Any]:
    """Split an expandable string into literal text and ("var", name) / ("sub", source, offset)."""
    parts: list[Any] = []
    buf: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        c = body[i]
        if c == "`" and i + 1 < n:
            nxt = body[i + 1]
            buf.append(BACKTICK_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        if not here and c in DOUBLE_QUOTES and i + 1 < n and body[i + 1] in DOUBLE_QUOTES:
            buf.append(c)
            i += 2
            continue
        if c == "$" and i + 1 < n:
            nxt = body[i + 1]
            if nxt == "(":
                end = _skip_subexpression(body, i + 1)
                if buf:
                    parts.append("".join(buf))
                    buf = []
                parts.append(("sub", body[i + 2 : end - 1], offset + i + 2))
                i = end
                continue
            if nxt == "{":
                end = body.find("}", i)
                if end > 0:
                    if buf:
                        parts.append("".join(buf))
                        buf = []
                    parts.append(("var", body[i + 2 : end]))
                    i = end + 1
                    continue
            if is_ident_char(nxt) or nxt in "?$^":
                lx = Lexer(body)
                lx.pos = i
                tok = lx.read_variable()
                if buf:
                    parts.append("".join(buf))
                    buf = []
                parts.append(("var", tok.value))
                i = lx.pos
                continue
        buf.append(c)
        i += 1
    if buf:
        parts.append("".join(buf))
    return parts
