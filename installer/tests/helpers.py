"""Helpers of the MSI tests (installer/ is on sys.path: conftest.py puts it there)."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import build_msi

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Build:
    version: str
    msi: Path

    @property
    def msi_version(self) -> str:
        return build_msi.msi_version(self.version)


def next_version(version: str) -> str:
    major, minor, build = build_msi.msi_version(version).split(".")
    return f"{major}.{minor}.{int(build) + 1}"


def msiinfo_table(msi: Path, table: str) -> list[dict[str, str]]:
    """Rows of one MSI table (msiinfo export: header, types, key line, then rows)."""
    with tempfile.TemporaryDirectory() as tmp:  # tables with streams (Icon) write them to cwd
        out = subprocess.run(
            ["msiinfo", "export", str(msi), table], capture_output=True, text=True, check=True, cwd=tmp
        )
    lines = out.stdout.split("\r\n") if "\r\n" in out.stdout else out.stdout.split("\n")
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[3:] if line]


def build_standins(dest: Path) -> list[Path]:
    """Compile the test-only stand-ins for what Wine 8 lacks (see standins/*.c)."""
    made = []
    for source, libs in (("icuuc.c", []), ("bcryptprimitives.c", ["-ladvapi32"])):
        dll = dest / source.replace(".c", ".dll")
        gcc = ["x86_64-w64-mingw32-gcc", "-O2", "-shared", "-o", str(dll)]
        subprocess.run(
            [*gcc, str(HERE / "standins" / source), *libs],
            check=True,
            capture_output=True,
        )
        made.append(dll)
    return made
