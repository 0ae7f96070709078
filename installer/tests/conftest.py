"""Fixtures of the MSI tests: two builds (this version and the next one up) and a Wine prefix.

Run by installer/test-msi, which installs the Debian packages they need first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import build_msi  # noqa: E402
from helpers import Build, build_standins, next_version  # noqa: E402
from wine import WinePrefix  # noqa: E402


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, Build]:
    """This checkout's MSI and one a version higher (for the upgrade and downgrade checks)."""
    out = tmp_path_factory.mktemp("dist")
    current = build_msi.project_version()
    newer = next_version(current)
    return (
        Build(current, build_msi.build(current, out)),
        Build(newer, build_msi.build(newer, out)),
    )


@pytest.fixture(scope="module")
def prefix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WinePrefix]:
    """A fresh 64-bit Wine prefix with the stand-ins in system32 (never in the MSI)."""
    tmp = tmp_path_factory.mktemp("wine")
    wine = WinePrefix(tmp / "prefix")
    wine.boot()
    system32 = wine.drive_c / "windows" / "system32"
    for dll in build_standins(tmp):
        shutil.copy2(dll, system32 / dll.name)
    yield wine
    wine.stop()
    shutil.rmtree(wine.path, ignore_errors=True)  # some 400 MB


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """An Xvfb display: Qt's Windows platform plugin draws through Wine's X11 driver."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    if not number:
        xvfb.kill()
        raise RuntimeError("Xvfb did not start")
    yield f":{number}"
    xvfb.terminate()
    xvfb.wait(timeout=30)
