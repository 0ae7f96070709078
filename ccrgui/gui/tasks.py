"""Running coroutines from Qt code: fire-and-forget tasks whose errors are not lost, and named
tasks where a new "refresh EXCLUS1" supersedes (cancels) the one still running (as FeelUOwn does).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any

_running: set[asyncio.Task[Any]] = set()


def _report(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        # Programming errors must be seen (pytest-qt fails the test through the excepthook).
        sys.excepthook(type(exc), exc, exc.__traceback__)


def spawn(coro: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any]:
    """Start `coro` on the running loop; keep a reference so it is not collected mid-flight."""
    task = asyncio.get_running_loop().create_task(coro, name=name)
    _running.add(task)
    task.add_done_callback(_report)
    return task


class NamedTasks:
    """At most one task per name: starting a name again cancels the previous task."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    def run(self, name: str, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        old = self._tasks.get(name)
        if old is not None and not old.done():
            old.cancel()
        task = spawn(coro, name=name)
        self._tasks[name] = task
        task.add_done_callback(lambda t: self._tasks.pop(name, None) if self._tasks.get(name) is t else None)
        return task

    def get(self, name: str) -> asyncio.Task[Any] | None:
        task = self._tasks.get(name)
        return task if task is not None and not task.done() else None

    def is_running(self, name: str) -> bool:
        return self.get(name) is not None

    def cancel(self, name: str) -> bool:
        task = self.get(name)
        if task is None:
            return False
        task.cancel()
        return True

    def cancel_prefix(self, prefix: str) -> None:
        for name, task in list(self._tasks.items()):
            if name.startswith(prefix) and not task.done():
                task.cancel()

    async def cancel_all(self) -> None:
        tasks = [t for t in self._tasks.values() if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
