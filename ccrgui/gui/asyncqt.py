"""The one place that knows qasync: running Qt and asyncio on one event loop.

Everything else in the GUI uses plain asyncio (`ccrgui.gui.tasks`), so qasync could be swapped
for PySide6's QtAsyncio once it leaves technical preview.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import qasync
from PySide6.QtWidgets import QApplication

T = TypeVar("T")


def new_event_loop(app: QApplication) -> asyncio.AbstractEventLoop:
    """An asyncio loop that drives Qt (used by the app and by the tests' loop factory)."""
    return qasync.QEventLoop(app)


def run(app: QApplication, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run `main()` on a Qt-driven asyncio loop until it returns (the app's whole lifetime)."""
    with asyncio.Runner(loop_factory=lambda: new_event_loop(app)) as runner:
        return runner.run(main())
