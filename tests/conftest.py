"""Test set-up shared by every test: Qt offscreen on qasync's loop, and the lab."""

from __future__ import annotations

import functools
import gc
import os
import tempfile
import weakref

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


# ---- WinRM clients left running by a test ------------------------------------------------------
# A client that outlives its test keeps talking to its lab's port; once that lab has stopped, the
# kernel may give the port to a later test's lab, and the stray client logs on there (same
# accounts) and is counted as that test's traffic.  So every test must close what it opened.
# Sessions therefore live for one test (function-scoped fixtures): one shared by several tests
# would be reported as a stray client in the second.


class _WinRMClients:
    """Every session, host connection and pywinrm channel made, with the test that made it."""

    def __init__(self) -> None:
        self.made: dict[str, weakref.WeakSet[Any]] = {}
        self.owner: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
        self.sent_at_end: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self.test = ""

    def track(self, cls: Any, kind: str) -> None:
        original = cls.__init__
        made = self.made[kind] = weakref.WeakSet()

        @functools.wraps(original)
        def init(obj: Any, *args: Any, **kwargs: Any) -> None:
            original(obj, *args, **kwargs)
            made.add(obj)
            self.owner[obj] = self.test

        cls.__init__ = init

    def open_ones(self, test: str) -> list[str]:
        """What `test` made and left open (after a collection: garbage sends nothing)."""

        def find() -> list[Any]:
            return [
                *(s for s in self.made["session"] if not s.closed and self.owner.get(s) == test),
                *(c for c in self.made["conn"] if not c.closed and self.owner.get(c) == test),
            ]

        if not find():
            return []
        gc.collect()
        return [
            f"session to {o.settings.host}" if hasattr(o, "settings") else f"connection to {o.url}"
            for o in find()
        ]

    def strays(self) -> list[str]:
        """Channels of earlier tests that sent requests since their test ended."""
        found = []
        for ch in list(self.made["channel"]):
            before = self.sent_at_end.get(ch)
            if before is not None and ch.requests_sent > before:
                found.append(f"{ch.url} of {self.owner.get(ch)} sent {ch.requests_sent - before} request(s)")
            self.sent_at_end[ch] = ch.requests_sent
        return found


_CLIENTS = _WinRMClients()


def pytest_sessionstart(session: Any) -> None:
    from ccrgui.remote.session import WinRMClusterSession
    from ccrgui.remote.transport import HostConnection, PyWinRMChannel

    _CLIENTS.track(WinRMClusterSession, "session")
    _CLIENTS.track(HostConnection, "conn")
    _CLIENTS.track(PyWinRMChannel, "channel")


@pytest.fixture(autouse=True)
def _closes_what_it_opens(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves a WinRM session, connection or GUI task running, or during which
    another test's client sent anything.  Autouse: torn down after the test's own fixtures (and
    pytest-asyncio's loop), so what they close in their teardown counts as closed."""
    from ccrgui.gui import tasks as gui_tasks

    test = _CLIENTS.test = request.node.nodeid
    yield
    problems = [f"left open: {what}" for what in _CLIENTS.open_ones(test)]
    pending = [t for t in list(gui_tasks._running) if not t.done()]
    gui_tasks._running.difference_update(pending)  # reported once, here
    problems += [f"still running: task {t.get_name()}" for t in pending]
    problems += [f"a client left running by another test: {what}" for what in _CLIENTS.strays()]
    if problems:
        pytest.fail("WinRM clients not closed (close them in a fixture's teardown):\n" + "\n".join(problems))


@pytest.fixture(autouse=True)
def _collector_as_it_was() -> Iterator[None]:
    """What a test froze (`ccrgui.collector`: event loads, the console's start) is collectable
    again after it, and a load it left holding is reported: nothing is carried into later tests."""
    import gc

    from ccrgui import collector

    yield
    left = collector.holding()
    while collector.holding():
        collector.release()
    gc.unfreeze()
    if left:
        pytest.fail("the garbage collector was left held (collector.hold without release)")
