"""Test set-up shared by every test: Qt offscreen on qasync's loop, and the lab."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
# Nothing a test starts writes into the real user data folder (the replication history lives
# there): every test run gets its own, also inherited by the app started as a subprocess.
import tempfile

os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="ccrgui-test-data-")

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from PySide6.QtWidgets import QApplication

# Timing varies on a shared 2-core machine: deadlines would make property tests flaky.
settings.register_profile("ccrgui", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ccrgui")

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


def pytest_asyncio_loop_factories(config: Any, item: Any) -> dict[str, Any]:
    """Run async tests on qasync's loop so Qt timers and signals work while a test awaits."""
    import qasync

    return {"qasync": lambda: qasync.QEventLoop(QApplication.instance() or QApplication([]))}


@pytest.fixture
def reference() -> Path:
    """The real Windows samples in ../shared/reference (CI copies shared/ beside the clone)."""
    if not REFERENCE.is_dir():
        pytest.skip(f"reference samples not found at {REFERENCE}")
    return REFERENCE


@pytest.fixture
def lab() -> Iterator[Any]:
    """A running two-node lab on 127.0.0.1 (free ports), NTLM with encryption, fast state changes."""
    from ccrgui.lab.lab import Lab

    with Lab(speed=50.0, events=300) as running:
        yield running


@pytest.fixture(scope="session")
def kerberos_tools() -> None:
    """Skip (saying what to install) when the MIT KDC programs or python-gssapi are missing.

    scripts/setup-env test installs them; CI runs these tests."""
    from ccrgui.lab.kdc import missing_programs

    missing = missing_programs()
    if missing:
        pytest.skip(f"MIT Kerberos programs not installed ({', '.join(missing)}): run scripts/setup-env test")
    pytest.importorskip("gssapi", reason="python-gssapi is not installed: run scripts/setup-env test")
