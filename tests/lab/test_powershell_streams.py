"""The lab's System.IO.MemoryStream and IO.Compression.GZipStream (PowerShell 2.0 on .NET 2.0/3.5),
which the event queries use to compress wevtutil's output on the node."""

from __future__ import annotations

import base64
import gzip

from test_powershell_rig import PSRig

COMPRESS = r"""
$b = [Text.Encoding]::UTF8.GetBytes((@('abc','défg') -join "`r`n"))
$s = New-Object IO.MemoryStream
$z = New-Object IO.Compression.GZipStream($s, [IO.Compression.CompressionMode]::Compress)
$z.Write($b, 0, $b.Length)
$z.Close()
[Convert]::ToBase64String($s.ToArray())
"""


def run(script: str) -> tuple[str, str]:
    r = PSRig().exe(["-NoProfile", "-Command", "-"], script.encode("utf-8"), codepage=65001)
    return r.out, " ".join(r.err.split())  # error text is broken at 80 columns


def test_gzipstream_round_trip_with_dotnet_header() -> None:
    out, err = run(COMPRESS)
    assert err == ""
    data = base64.b64decode(out.splitlines()[0])
    assert data[:10] == bytes((0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 4, 0))  # .NET 2.0's fixed header
    assert gzip.decompress(data).decode("utf-8") == "abc\r\ndéfg"


def test_gzipstream_closed_without_data_writes_nothing() -> None:
    out, err = run(
        "$s = New-Object IO.MemoryStream\n"
        "$z = New-Object IO.Compression.GZipStream($s, [IO.Compression.CompressionMode]::Compress)\n"
        "$z.Close()\n"
        "'bytes:' + $s.ToArray().Length\n"
    )
    assert err == ""
    assert out.strip() == "bytes:0"


def test_leave_open_keeps_the_base_stream_and_closed_streams_refuse_writes() -> None:
    out, err = run(
        "$s = New-Object IO.MemoryStream\n"
        "$z = New-Object IO.Compression.GZipStream($s, [IO.Compression.CompressionMode]::Compress, $true)\n"
        "$b = [Text.Encoding]::UTF8.GetBytes('x')\n"
        "$z.Write($b, 0, 1)\n"
        "$z.Close()\n"
        "$s.Write($b, 0, 1)\n"
        "'length:' + $s.Length\n"
        "$z.Write($b, 0, 1)\n"
    )
    assert "length:22" in out  # 10 header + 4 deflate + 8 trailer, then one more byte
    assert 'Exception calling "Write" with "3" argument(s): "Cannot access a closed Stream.' in err


def test_out_of_range_write_and_unknown_constructor_are_errors() -> None:
    _, err = run(
        "$s = New-Object IO.MemoryStream\n"
        "$b = [Text.Encoding]::UTF8.GetBytes('xy')\n"
        "$s.Write($b, 1, 5)\n"
    )
    assert "Offset and length were out of bounds" in err
    _, err = run("$z = New-Object IO.Compression.GZipStream(1)\n")
    assert 'New-Object : Cannot find an overload for "GZipStream"' in err
    assert "CannotFindAppropriateCtor" in err
