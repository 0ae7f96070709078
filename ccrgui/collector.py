"""Python's cyclic garbage collector, kept out of the event loop's way.

A full collection scans every tracked object while holding the GIL, and it runs whenever the
objects that survived earlier collections grew by a quarter: with the modules, the window, twenty
connections or 100,000 event rows alive, that is a 30-300 ms stall of the GUI thread at a random
moment.  Almost all of those objects live as long as the app (modules, classes, the window) or as
long as a view's data, and none of the rows forms cycles, so:

* `settle()` once the console is up: what is alive now is frozen (`gc.freeze`), later full
  collections scan only what was made since;
* `hold()`/`release()` around a large load (event rows streaming in): no collection meanwhile,
  and what was loaded is frozen when the last load ends;
* `sweep()` where much that was frozen may have died (a cluster closed): frozen objects are
  collectable again, one full collection runs, and the survivors are frozen anew (skipped while a
  loaded events table would make the scan itself a pause).  Frozen objects are still freed by
  reference counting; only cycles among them wait for the next sweep.

Process-wide state, so one module owns it; Qt-free (the GUI and the app call it).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_pauses = 0  # stretches without collection running now (loads among them)
_was_enabled = True  # whether collection was on before the first of them
_loads = 0  # loads running now


def _off() -> None:
    global _pauses, _was_enabled
    if _pauses == 0:
        _was_enabled = gc.isenabled()
        gc.disable()
    _pauses += 1


def _on() -> None:
    global _pauses
    _pauses -= 1
    if _pauses == 0 and _was_enabled:
        gc.enable()


@contextmanager
def paused() -> Iterator[None]:
    """No collection during a burst of allocations (a thousand rows appended at once)."""
    _off()
    try:
        yield
    finally:
        _on()


def settle() -> None:
    """Collect what is garbage now, then freeze the rest: it is long-lived."""
    if _pauses:
        return  # a load is running: it freezes when it ends
    gc.collect()
    gc.freeze()


def hold() -> None:
    """A large load starts: no cyclic collection until the last one is released."""
    global _loads
    _loads += 1
    _off()


def release() -> None:
    """A load ended; with the last one what was loaded is frozen and collection resumes.

    No collection here: scanning 100,000 fresh rows is exactly the stall this avoids.  (Garbage
    cycles that happen to exist at this moment are frozen too, until the next `sweep`.)"""
    global _loads
    if _loads == 0:
        return
    _loads -= 1
    if _loads == 0:
        gc.freeze()
    _on()


SWEEP_MAX_OBJECTS = 150_000  # ~30-40 ms of scanning here; 100,000 event rows are ~375,000


def sweep() -> bool:
    """One full collection over everything, frozen objects included, then freeze the survivors;
    returns whether it ran.  Not while a load runs, and not while so many objects are frozen that
    the scan itself would be a visible pause (a loaded events table: ~110 ms): the next sweep,
    once those rows are gone, collects what this one would have."""
    if _pauses or gc.get_freeze_count() > SWEEP_MAX_OBJECTS:
        return False
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return True


def holding() -> bool:
    return _loads > 0
