"""The garbage-collector policy: frozen objects stay out of full collections until a sweep."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ccrgui import collector


@pytest.fixture(autouse=True)
def restored() -> Iterator[None]:
    """These tests switch the collector off themselves; unfreezing after each test and reporting
    a hold left behind is tests/conftest.py's `_collector_as_it_was`."""
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> int:
    """Two objects referring to each other (only the cyclic collector frees them): the id of one."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    return id(a)


def alive(ident: int) -> bool:
    return any(id(o) == ident for o in gc.get_objects())


def test_settle_freezes_what_is_alive() -> None:
    gc.unfreeze()
    keep = [Node() for _ in range(100)]
    collector.settle()
    assert gc.get_freeze_count() >= len(keep)
    assert gc.isenabled()


def test_a_hold_stops_collection_until_the_last_release_which_freezes() -> None:
    gc.enable()
    gc.unfreeze()
    collector.hold()
    collector.hold()
    assert not gc.isenabled() and collector.holding()
    rows = [Node() for _ in range(1000)]
    collector.release()
    assert not gc.isenabled()  # the other load is still streaming
    collector.release()
    assert gc.isenabled() and not collector.holding()
    assert gc.get_freeze_count() >= len(rows)
    collector.release()  # one too many is harmless
    assert gc.isenabled()


def test_a_hold_keeps_a_disabled_collector_disabled() -> None:
    gc.disable()
    collector.hold()
    collector.release()
    assert not gc.isenabled()


def test_a_frozen_cycle_is_freed_by_the_next_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collector, "SWEEP_MAX_OBJECTS", 10**9)  # the whole test run's objects
    gc.unfreeze()
    gc.collect()
    ident = cycle()
    gc.freeze()  # a cycle that became garbage after it was frozen
    gc.collect()
    gc.unfreeze()  # (get_objects does not list frozen objects)
    assert alive(ident), "a plain collection must leave a frozen cycle alone"
    gc.freeze()
    collector.sweep()
    gc.unfreeze()
    assert not alive(ident)


def test_no_sweep_or_settle_while_a_load_holds() -> None:
    gc.unfreeze()
    collector.hold()
    collector.settle()
    collector.sweep()
    assert gc.get_freeze_count() == 0 and not gc.isenabled()
    collector.release()
    assert gc.get_freeze_count() > 0


def test_a_pause_neither_collects_nor_freezes() -> None:
    gc.enable()
    gc.unfreeze()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():
            pass
        assert not gc.isenabled()
        rows = [Node() for _ in range(100)]
    assert gc.isenabled() and gc.get_freeze_count() == 0 and rows


def test_no_sweep_while_too_many_objects_are_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """A loaded events table (100,000 rows, ~375,000 objects) would make the scan a 110 ms pause."""
    gc.unfreeze()
    gc.collect()
    ident = cycle()
    gc.freeze()
    monkeypatch.setattr(collector, "SWEEP_MAX_OBJECTS", 0)  # fewer than are frozen
    assert collector.sweep() is False
    gc.unfreeze()
    assert alive(ident)
    gc.freeze()
    monkeypatch.setattr(collector, "SWEEP_MAX_OBJECTS", 10**9)
    assert collector.sweep() is True
    gc.unfreeze()
    assert not alive(ident)
