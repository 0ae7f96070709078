"""CLIXML error records that powershell.exe writes to stderr (``#< CLIXML`` + ``<Objs>``).

PowerShell serialises its error, warning, verbose and debug streams as ``<S S="Error">text</S>``
with XmlConvert escapes (``_x000D__x000A_`` for CRLF, ``_x005F_`` for a literal underscore).
Progress records (``<Obj S="progress">``) are not text for an admin and are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from defusedxml import ElementTree as SafeET

from ccrgui.remote.parsers.errors import ParseError

__all__ = ["clixml_to_text", "decode_ps_escapes", "parse_clixml"]

MARKER = "#< CLIXML"
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def decode_ps_escapes(text: str) -> str:
    """Undo XmlConvert's ``_xHHHH_`` escapes (surrogate pairs are joined)."""
    decoded = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    if any("\ud800" <= ch <= "\udfff" for ch in decoded):
        decoded = decoded.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return decoded


def parse_clixml(text: str, streams: Iterable[str] = ("Error",)) -> list[tuple[str, str]]:
    """Every ``(stream, text)`` record of the wanted streams, in order, from all CLIXML blocks."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    wanted = {s.casefold() for s in streams}
    records: list[tuple[str, str]] = []
    blocks = text.lstrip("\ufeff").split(MARKER)
    if len(blocks) == 1:
        raise ParseError("no '#< CLIXML' marker")
    line_base = blocks[0].count("\n")
    for block in blocks[1:]:
        body = block.strip()
        if body:
            body = re.sub(r'\sxmlns="[^"]*"', "", body, count=1)
            try:
                root = SafeET.fromstring(body)
            except SafeET.ParseError as exc:
                line_no = getattr(exc, "position", (0, 0))[0] + line_base + 1
                raise ParseError(f"malformed CLIXML ({exc})", line_no, body.splitlines()[0][:200]) from None
            except Exception as exc:  # defusedxml refusals
                raise ParseError(f"refused CLIXML: {type(exc).__name__}") from None
            for elem in root:
                stream = elem.get("S", "")
                if elem.tag == "S" and stream.casefold() in wanted:
                    records.append((stream, decode_ps_escapes(elem.text or "")))
        line_base += block.count("\n")
    return records


def clixml_to_text(stderr: str, streams: Iterable[str] = ("Error",)) -> str:
    """Readable stderr: CLIXML records decoded and joined; other text is returned unchanged.

    Anything outside the CLIXML blocks (plain text from native programs) is kept in front.
    Malformed CLIXML is returned raw rather than lost (the admin still sees something).
    """
    if MARKER not in stderr:
        return stderr
    prefix = stderr.split(MARKER, 1)[0].strip()
    try:
        records = parse_clixml(stderr, streams)
    except ParseError:
        return stderr
    text = "".join(t for _s, t in records).replace("\r\n", "\n").strip()
    return "\n".join(p for p in (prefix, text) if p)
