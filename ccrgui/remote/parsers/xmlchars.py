"""Characters XML 1.0 forbids, which Windows event logs contain anyway.

An event's data and message are whatever a program logged: control characters (an escape
sequence, a NUL-padded string) reach wevtutil's output raw or as character references such as
``&#x1;``, and an XML parser rejects the whole event.  The event is worth more than the
character: `escape_forbidden` writes each such character as visible text (``\\x01``,
``\\ufffe``) so the event can be read and shown, the characters still recognisable.
"""

from __future__ import annotations

import re

__all__ = ["escape_forbidden", "visible"]

_RAW = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_REFERENCE = re.compile(r"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")


def _allowed(code: int) -> bool:
    """XML 1.0's Char production."""
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def visible(code: int) -> str:
    """How a forbidden character is shown: ``\\x01``, ``\\ufffe``, ``\\U00110000``."""
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{min(code, 0xFFFFFFFF):08x}"


def _reference(match: re.Match[str]) -> str:
    hex_digits, decimal = match.groups()
    text = hex_digits or decimal
    if len(text) > 10:  # far outside Unicode: no need to compute it
        return "\\U????????"
    code = int(text, 16) if hex_digits else int(text)
    return match.group(0) if _allowed(code) else visible(code)


def escape_forbidden(xml: str) -> str:
    """`xml` with forbidden characters, raw or referenced, replaced by visible escapes."""
    if "&#" in xml:
        xml = _REFERENCE.sub(_reference, xml)
    return _RAW.sub(lambda m: visible(ord(m.group(0))), xml)
