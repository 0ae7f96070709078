"""The Qt console.  Importing it first guards against a PySide6 reference-count bug (below)."""

from __future__ import annotations

import ctypes
import sys


def _pin_true_if_emit_leaks() -> bool:
    """Work around PySide6 6.12 on CPython 3.11: `SignalInstance.emit()` returns True without a
    new reference, so every emit from Python drops True's reference count by one, and after a few
    thousand emits (minutes of auto-refresh) CPython aborts with "bool_dealloc: deallocating True
    or False".  Detect the leak once and give True enough references never to reach zero.
    CPython 3.12+ makes True immortal, so nothing is needed there.
    """
    if sys.version_info >= (3, 12) or hasattr(sys, "gettotalrefcount"):
        return False  # immortal True; or a debug build, whose object header differs
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(4):
        probe.ping.emit()
    if sys.getrefcount(True) >= before:
        return False
    refcnt = ctypes.c_ssize_t.from_address(id(True))  # ob_refcnt leads the object header
    if refcnt.value != sys.getrefcount(True) - 1:
        return False  # not the layout we expect: leave it alone
    refcnt.value += 1 << 40
    return True


EMIT_REFCOUNT_WORKAROUND = _pin_true_if_emit_leaks()
