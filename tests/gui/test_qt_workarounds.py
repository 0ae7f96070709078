"""PySide6's emit() reference leak on True must not be able to abort a long-running console."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

import ccrgui.gui


class _Sender(QObject):
    ping = Signal(str)


def test_many_emits_keep_true_alive() -> None:
    sender = _Sender()
    received: list[str] = []
    sender.ping.connect(received.append)
    # More emits than True has references in a fresh interpreter (about 2,000 on 3.11).
    for _ in range(5000):
        sender.ping.emit("x")
    assert len(received) == 5000
    assert sys.getrefcount(True) > 1000
    assert isinstance(ccrgui.gui.EMIT_REFCOUNT_WORKAROUND, bool)
