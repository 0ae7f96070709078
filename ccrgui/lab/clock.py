"""The lab's clock: real UTC time, with state-change durations divided by a speed factor.

Events carry real timestamps (so the GUI's "last hour" filters work against the lab), but
a CMS move that takes 30 seconds on real hardware should take 0.3 s in a test run at
speed 100.  One scheduler thread runs timed callbacks, so a hundred pending transitions
cost one thread, not a hundred.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

log = logging.getLogger(__name__)


class Timer:
    """A scheduled callback; `cancel()` stops it if it has not started yet."""

    __slots__ = ("_cancelled", "args", "due", "fn")

    def __init__(self, due: float, fn: Callable[..., object], args: tuple[object, ...]) -> None:
        self.due = due
        self.fn = fn
        self.args = args
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        return self._cancelled


class Clock:
    """Real UTC time plus a scheduler whose delays are nominal seconds / speed."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = float(speed)
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._stopped = False
        self._thread: threading.Thread | None = None

    # --- time ----------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The real current time, timezone-aware UTC (events carry real times)."""
        return datetime.now(UTC)

    def delay(self, nominal_s: float) -> float:
        """Real seconds for a state change that takes `nominal_s` on real hardware."""
        return max(0.0, nominal_s) / self.speed

    def sleep(self, nominal_s: float) -> None:
        time.sleep(self.delay(nominal_s))

    # --- scheduler -----------------------------------------------------------------------------

    def call_later(self, nominal_s: float, fn: Callable[..., object], *args: object) -> Timer:
        """Run `fn(*args)` on the scheduler thread after `nominal_s / speed` real seconds."""
        timer = Timer(time.monotonic() + self.delay(nominal_s), fn, args)
        with self._cond:
            if self._stopped:
                timer.cancel()
                return timer
            heapq.heappush(self._heap, (timer.due, next(self._seq), timer))
            self._ensure_thread()
            self._cond.notify_all()
        return timer

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lab-clock", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if self._heap:
                        wait = self._heap[0][0] - time.monotonic()
                        if wait <= 0:
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
                if self._stopped:
                    return
                _, _, timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            try:
                timer.fn(*timer.args)
            except Exception:  # one broken transition must not stop every later one
                log.exception("lab clock callback %r failed", timer.fn)

    def pending(self) -> int:
        """How many callbacks are still waiting (cancelled ones excluded)."""
        with self._cond:
            return sum(1 for _, _, t in self._heap if not t.cancelled)

    def stop(self) -> None:
        """Drop every pending callback and end the scheduler thread."""
        with self._cond:
            self._stopped = True
            for _, _, t in self._heap:
                t.cancel()
            self._heap.clear()
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)

    # --- waiting for a condition ---------------------------------------------------------------

    def wait_for(
        self,
        cond: threading.Condition,
        predicate: Callable[[], bool],
        nominal_timeout_s: float | None,
    ) -> bool:
        """Wait on `cond` (whose lock the caller holds) until `predicate()` or the scaled timeout.

        Returns the predicate's final value, like `Condition.wait_for`.
        """
        timeout = None if nominal_timeout_s is None else self.delay(nominal_timeout_s)
        return cond.wait_for(predicate, timeout=timeout)
