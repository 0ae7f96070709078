"""PySide6 6.12 on CPython 3.11 dropped a reference to True on every emit() and to None on every
void method call (qasync calls killTimer constantly), aborting the console within minutes.
pyproject.toml keeps PySide6 below 6.12; these tests fail if an installed version has the bug."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer, Signal


class _Sender(QObject):
    ping = Signal(str)


def test_emit_keeps_true_alive() -> None:
    sender = _Sender()
    received: list[str] = []
    sender.ping.connect(received.append)
    before = sys.getrefcount(True)
    for _ in range(5000):
        sender.ping.emit("x")
    assert len(received) == 5000
    assert sys.getrefcount(True) >= before - 10


def test_void_calls_keep_none_alive() -> None:
    owner = QObject()
    timer = QTimer()
    before = sys.getrefcount(None)
    for _ in range(5000):
        owner.killTimer(owner.startTimer(1000))
        timer.setInterval(5)
    assert sys.getrefcount(None) >= before - 10
