"""System.IO.MemoryStream and System.IO.Compression.GZipStream as .NET 2.0/3.5 (PowerShell 2.0)
behave, for scripts that compress their output on the node.

.NET 2.0/3.5 facts kept here (later frameworks differ):
* GZipStream writes the fixed header ``1F 8B 08 00 00000000 04 00`` (no time, XFL 4, OS 0);
  its compressor ("FastEncoder") searches an 8 KB window and codes with a fixed, built-in
  Huffman table, so ratios are well below zlib's.  The lab uses zlib with an 8 KB window and
  the fixed Huffman codes (Z_FIXED) as the nearest stand-in: same format, a similar ratio.
* A GZipStream closed without any byte written leaves the base stream empty (no header, no
  trailer); .NET 4.5 changed that.
* Closing the GZipStream closes the base stream unless leaveOpen was given; a closed
  MemoryStream still answers ToArray() (documented), but Write throws ObjectDisposedException.
* Decompress mode is not offered by the lab (reading needs byte[] buffers the lab's arrays cannot
  fill): such a stream throws on Write as .NET does, and has no Read.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

from .values import Int64, PSEnum, PSValueError, enumerate_value, to_bool, to_int

GZIP_HEADER = bytes((0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00))
COMPRESSION_MODE = "System.IO.Compression.CompressionMode"
COMPRESS = PSEnum(COMPRESSION_MODE, "Compress", 1)
DECOMPRESS = PSEnum(COMPRESSION_MODE, "Decompress", 0)
_WINDOW_BITS = 13  # 8 KB, as .NET 2.0's FastEncoderWindow
_CLOSED = "Cannot access a closed Stream."


def _type_key(name: str) -> str:
    key = name.strip().casefold()
    return key[len("system.") :] if key.startswith("system.") else key


class DotNetStream:
    """What the two stream types share (PowerShell shows the type name for the object)."""

    dotnet_type = "System.IO.Stream"

    def __init__(self) -> None:
        self.closed = False

    def __str__(self) -> str:
        return self.dotnet_type

    def writable(self) -> bool:
        return not self.closed

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.closed = True

    def call(self, low: str, args: list[Any]) -> tuple[bool, Any]:
        """(found, result) of a method call; .NET exceptions raise PSValueError."""
        if low == "write":
            if len(args) != 3:
                raise PSValueError(
                    f'Cannot find an overload for "Write" and the argument count: "{len(args)}".',
                    "MethodCountCouldNotFindBest",
                )
            self.write(_slice(args[0], to_int(args[1]), to_int(args[2])))
            return True, None
        if low in ("close", "dispose") and not args:
            self.close()
            return True, None
        if low == "flush" and not args:
            if self.closed:
                raise PSValueError(_CLOSED, "ObjectDisposedException")
            return True, None
        return False, None

    def property(self, low: str) -> Any:
        if low == "canwrite":
            return self.writable()
        if low == "canread":
            return False
        if low == "canseek":
            return False
        return None


def _slice(buffer: Any, offset: int, count: int) -> bytes:
    if buffer is None:
        raise PSValueError("Buffer cannot be null.\r\nParameter name: buffer", "ArgumentNullException")
    if isinstance(buffer, bytes | bytearray):
        data = bytes(buffer)
    else:
        data = bytes(to_int(x) & 0xFF for x in enumerate_value(buffer))
    if offset < 0 or count < 0:
        name = "offset" if offset < 0 else "count"
        raise PSValueError(
            f"Non-negative number required.\r\nParameter name: {name}", "ArgumentOutOfRangeException"
        )
    if len(data) - offset < count:
        raise PSValueError(
            "Offset and length were out of bounds for the array or count is greater than the number of "
            "elements from index to the end of the source collection.",
            "ArgumentException",
        )
    return bytes(data[offset : offset + count])


class MemoryStream(DotNetStream):
    dotnet_type = "System.IO.MemoryStream"

    def __init__(self, initial: bytes | None = None) -> None:
        super().__init__()
        self.data = bytearray(initial or b"")
        self.position = 0
        self.expandable = initial is None

    def write(self, data: bytes) -> None:
        if self.closed:
            raise PSValueError(_CLOSED, "ObjectDisposedException")
        end = self.position + len(data)
        if end > len(self.data) and not self.expandable:
            raise PSValueError("Memory stream is not expandable.", "NotSupportedException")
        self.data[self.position : end] = data
        self.position = end

    def call(self, low: str, args: list[Any]) -> tuple[bool, Any]:
        if low == "toarray" and not args:
            return True, bytes(self.data)  # also after Close, as documented
        return super().call(low, args)

    def property(self, low: str) -> Any:
        if low in ("length", "position", "capacity"):
            if self.closed:
                raise PSValueError(_CLOSED, "ObjectDisposedException")
            return Int64(len(self.data) if low != "position" else self.position)
        if low in ("canread", "canseek"):
            return not self.closed
        return super().property(low)


class GZipStream(DotNetStream):
    dotnet_type = "System.IO.Compression.GZipStream"

    def __init__(self, base: DotNetStream, mode: PSEnum, leave_open: bool = False) -> None:
        super().__init__()
        self.base = base
        self.mode = mode
        self.leave_open = leave_open
        self._compressor = zlib.compressobj(5, zlib.DEFLATED, -_WINDOW_BITS, 8, zlib.Z_FIXED)
        self._crc = 0
        self._size = 0
        self._started = False
        if mode is COMPRESS and not base.writable():
            raise PSValueError("The base stream is not writeable.", "ArgumentException")

    def writable(self) -> bool:
        return not self.closed and self.mode is COMPRESS

    def write(self, data: bytes) -> None:
        if self.closed:
            raise PSValueError(_CLOSED, "ObjectDisposedException")
        if self.mode is not COMPRESS:
            raise PSValueError("Writing to the compression stream is not supported.", "NotSupportedException")
        if not data:
            return
        if not self._started:
            self.base.write(GZIP_HEADER)
            self._started = True
        self.base.write(self._compressor.compress(data))
        self._crc = zlib.crc32(data, self._crc)
        self._size += len(data)

    def close(self) -> None:
        if self.closed:
            return
        if self._started:  # nothing written: nothing at all, not even the header (.NET < 4.5)
            self.base.write(self._compressor.flush() + struct.pack("<II", self._crc, self._size & 0xFFFFFFFF))
        self.closed = True
        if not self.leave_open:
            self.base.close()

    def property(self, low: str) -> Any:
        if low == "basestream":
            return self.base
        return super().property(low)


def compression_mode(name: str) -> PSEnum | None:
    """``[IO.Compression.CompressionMode]::Compress`` and ``::Decompress``."""
    return {"compress": COMPRESS, "decompress": DECOMPRESS}.get(name.casefold())


def is_compression_mode_type(type_name: str) -> bool:
    return _type_key(type_name) == "io.compression.compressionmode"


def _mode(value: Any) -> PSEnum:
    if isinstance(value, PSEnum) and value.type_name == COMPRESSION_MODE:
        return value
    if isinstance(value, str) and compression_mode(value) is not None:
        found = compression_mode(value)
        assert found is not None
        return found
    if isinstance(value, int) and value in (0, 1):
        return COMPRESS if value == 1 else DECOMPRESS
    raise PSValueError(
        f'Cannot convert value "{value}" to type "{COMPRESSION_MODE}".', "InvalidCastFromStringToEnum"
    )


def construct(type_name: str, args: list[Any]) -> DotNetStream | None:
    """New-Object for the stream types; None when `type_name` is not one of them.  Raises
    PSValueError for a constructor that does not exist or that throws."""
    key = _type_key(type_name)
    if key == "io.memorystream":
        if not args:
            return MemoryStream()
        if len(args) == 1 and isinstance(args[0], bytes | bytearray):
            return MemoryStream(bytes(args[0]))
        raise PSValueError(
            f'Cannot find an overload for "MemoryStream" and the argument count: "{len(args)}".',
            "CannotFindAppropriateCtor",
        )
    if key == "io.compression.gzipstream":
        if len(args) not in (2, 3) or not isinstance(args[0], DotNetStream):
            raise PSValueError(
                f'Cannot find an overload for "GZipStream" and the argument count: "{len(args)}".',
                "CannotFindAppropriateCtor",
            )
        return GZipStream(args[0], _mode(args[1]), to_bool(args[2]) if len(args) == 3 else False)
    return None


__all__ = ["COMPRESS", "DECOMPRESS", "GZIP_HEADER", "DotNetStream", "GZipStream", "MemoryStream", "construct"]
