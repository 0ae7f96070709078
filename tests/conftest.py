"""Test set-up shared by every test: Qt offscreen on qasync's loop, and the lab."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
# A throw-away home for the whole run, set before Qt or platformdirs read it: the app's settings
# (QSettings), audit log and history stay out of the developer's own folders, and child processes
# (the app and the lab started by tests) inherit it.  The real keyring is never touched either.
os.environ["HOME"] = tempfile.mkdtemp(prefix="ccrgui-test-home-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(os.environ["HOME"], ".config")
os.environ["XDG_DATA_HOME"] = os.path.join(os.environ["HOME"], ".local", "share")
os.environ["XDG_CACHE_HOME"] = os.path.join(os.environ["HOME"], ".cache")
os.environ["XDG_STATE_HOME"] = os.path.join(os.environ["HOME"], ".local", "state")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

# Timing varies on a shared 2-core machine: deadlines would make property tests flaky.
settings.register_profile("ccrgui", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ccrgui")
QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, os.environ["XDG_CONFIG_HOME"])
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, os.environ["XDG_CONFIG_HOME"])

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


def pytest_unconfigure(config: Any) -> None:
    """Remove the run's throw-away home (only the one made above)."""
    import shutil

    home = os.environ.get("HOME", "")
    if os.path.basename(home).startswith("ccrgui-test-home-"):
        shutil.rmtree(home, ignore_errors=True)
