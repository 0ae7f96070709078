"""Work around a PySide6 6.12 bug that aborts Qt apps on CPython 3.11.

Measured here: every call of a `void` PySide6 method (`QObject.killTimer`, `QTimer.setInterval`,
`QSocketNotifier.setEnabled`, ...) drops one reference to `None` that it never took, and
`disconnect()` does the same to `True`.  On CPython 3.12+ these objects are immortal, so nothing
happens; on 3.11 the count reaches zero after a few thousand calls and the interpreter aborts
("Fatal Python error: none_dealloc").  qasync calls `killTimer` for nearly every `call_soon`, so
any qasync app dies within seconds of real work.

Fix (3.11 only): make None/True/False effectively immortal by adding 2**40 to their reference
counts, which is what 3.12 does by design.  Call `install()` once at start-up.
"""

from __future__ import annotations

import ctypes
import sys

_installed = False
_BOOST = 1 << 40


def install() -> bool:
    """Returns True if the counts were raised (only needed before CPython 3.12)."""
    global _installed
    if _installed or sys.version_info >= (3, 12):
        return False
    for obj in (None, True, False):
        ref = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field
        ref.value += _BOOST
    _installed = True
    return True
