"""build_msi's rules that need no Wine: the MSI version, and the signature check's refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import build_msi
import pytest
from build_msi import BuildError, check_signatures, msi_version
from helpers import Build, next_version


def test_msi_version_is_the_numeric_release() -> None:
    assert msi_version("0.1.0") == "0.1.0"
    assert msi_version("1.2") == "1.2.0"
    assert msi_version("2.0.3.dev1") == "2.0.3"
    assert next_version("0.1.9") == "0.1.10"
    for bad in ("dev", "256.0.0", "1.0.65536"):
        with pytest.raises(BuildError):
            msi_version(bad)


def _base() -> Path:
    (base,) = build_msi.WORK.glob("base-*")
    return base


def test_signature_check_refuses_a_changed_or_unsigned_binary(
    builds: tuple[Build, Build], tmp_path: Path
) -> None:
    good = tmp_path / "good"
    good.mkdir()
    for name in ("python.exe", "vcruntime140.dll"):  # PSF-signed (chain checked) and Microsoft-signed
        shutil.copy2(_base() / name, good / name)
    check_signatures(good)

    changed = tmp_path / "changed"
    changed.mkdir()
    data = bytearray((_base() / "python.exe").read_bytes())
    data[len(data) // 3] ^= 0xFF
    (changed / "python.exe").write_bytes(bytes(data))
    with pytest.raises(BuildError, match="digest"):
        check_signatures(changed)

    unsigned = tmp_path / "unsigned"
    unsigned.mkdir()
    qt_dll = _base() / "Lib" / "site-packages" / "PySide6" / "Qt6Core.dll"  # signed by the Qt Company
    shutil.copy2(qt_dll, unsigned / "Qt6Core.dll")
    with pytest.raises(BuildError):
        check_signatures(unsigned)
