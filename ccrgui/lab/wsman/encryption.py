"""WinRM message encryption over HTTP (MS-WSMV 2.2.9.1), byte-exact as Windows frames it.

The body is two MIME-like parts under the boundary "Encrypted Boundary": a header part
naming the original length, then `\\tContent-Type: application/octet-stream\\r\\n`, a
little-endian uint32 signature length (16 for NTLM), the signature and the sealed SOAP.
No blank line after part headers and no CRLF before the closing delimiter.
"""

from __future__ import annotations

import re
import struct
from typing import Protocol

PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
CONTENT_TYPE = f'multipart/encrypted;protocol="{PROTOCOL}";boundary="Encrypted Boundary"'
_BOUNDARY = b"--Encrypted Boundary"
_OCTET = b"\tContent-Type: application/octet-stream\r\n"
_LENGTH = re.compile(rb"Length=(\d+)")


class EncryptionError(ValueError):
    """The encrypted body is malformed or its signature does not verify."""


class WinRMWrapper(Protocol):
    """The part of a pyspnego context used here."""

    def wrap_winrm(self, data: bytes) -> object: ...

    def unwrap_winrm(self, header: bytes, data: bytes) -> bytes: ...


def is_encrypted(content_type: str | None) -> bool:
    ct = (content_type or "").casefold()
    return ct.startswith("multipart/encrypted") and PROTOCOL.casefold() in ct


def wrap(ctx: WinRMWrapper, plaintext: bytes) -> bytes:
    """Seal a reply; sequence numbers advance, so replies must be sent in the order wrapped."""
    result = ctx.wrap_winrm(plaintext)
    header: bytes = result.header  # type: ignore[attr-defined]
    data: bytes = result.data  # type: ignore[attr-defined]
    return (
        _BOUNDARY
        + b"\r\n\tContent-Type: "
        + PROTOCOL.encode()
        + b"\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
        + str(len(plaintext)).encode()
        + b"\r\n"
        + _BOUNDARY
        + b"\r\n"
        + _OCTET
        + struct.pack("<I", len(header))
        + header
        + data
        + _BOUNDARY
        + b"--\r\n"
    )


def unwrap(ctx: WinRMWrapper, body: bytes) -> bytes:
    """Open a sealed request; the parts are located by position so sealed bytes are never split."""
    start = body.find(_BOUNDARY)
    if start < 0:
        raise EncryptionError("no encrypted boundary")
    pos = body.find(b"\n", start)
    second = body.find(_BOUNDARY, pos)
    if pos < 0 or second < 0:
        raise EncryptionError("missing encrypted part")
    header_part = body[pos + 1 : second]
    m = _LENGTH.search(header_part)
    if not m:
        raise EncryptionError("missing OriginalContent length")
    expected = int(m.group(1))
    pos = body.find(b"\n", second)
    if pos < 0 or not body[pos + 1 :].startswith(_OCTET):
        raise EncryptionError("missing octet-stream part")
    payload = body[pos + 1 + len(_OCTET) :]
    trailer = _BOUNDARY + b"--"
    end = payload.rfind(trailer)
    if end < 0:
        raise EncryptionError("missing closing boundary")
    payload = payload[:end]
    if len(payload) < 4:
        raise EncryptionError("truncated payload")
    (sig_len,) = struct.unpack("<I", payload[:4])
    if sig_len > len(payload) - 4:
        raise EncryptionError("bad signature length")
    signature = payload[4 : 4 + sig_len]
    sealed = payload[4 + sig_len :]
    try:
        plain = ctx.unwrap_winrm(signature, sealed)
    except Exception as exc:  # spnego raises its own error types for bad signatures
        raise EncryptionError(f"cannot unseal: {exc}") from exc
    if len(plain) != expected:
        raise EncryptionError("decrypted length differs from OriginalContent")
    return plain
