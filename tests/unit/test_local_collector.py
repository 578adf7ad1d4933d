"""The local stack's idle collector: a full collection between requests, then what survived frozen,
so the next full collection walks only what came after; now and then a sweep of the frozen too.
Its clock is the test's."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local import collector as collector_module
from local.collector import IdleCollector


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(collector_module.time, "monotonic", clock)
    return clock


@pytest.fixture
def make(clock: Clock) -> Iterator[Callable[..., IdleCollector]]:
    """Collectors on the test's clock; the test process gets its garbage collector back after."""
    def make(**settings: Any) -> IdleCollector:
        return IdleCollector(**{"every": 0.0, "sweep_every": 3600.0, "quiet": 2.0, **settings})

    yield make
    gc.unfreeze()


def _tracked(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())


def test_it_collects_garbage_then_freezes_what_survived(make: Callable[..., IdleCollector]) -> None:
    collector = make()
    kept = Node()
    garbage = weakref.ref(Node())  # unreachable at once, but its cycle keeps it alive until collected
    assert collector.idle()
    assert garbage() is None
    assert collector.collections == 1
    assert gc.get_freeze_count() > 0
    assert not _tracked(kept)  # frozen: out of every later collection's walk
    after = Node()
    assert _tracked(after)  # what comes later is walked until the next idle round
    assert collector.stats()["collections"] == 1


def test_it_waits_while_a_request_is_served(make: Callable[..., IdleCollector]) -> None:
    collector = make()
    with collector.serving():
        assert not collector.idle()
        with collector.serving():
            assert not collector.idle()
        assert not collector.idle()
    assert collector.idle()
    assert collector.collections == 1


def test_it_collects_at_most_once_a_period(make: Callable[..., IdleCollector], clock: Clock) -> None:
    collector = make(every=60.0)
    assert collector.idle()  # the first idle round collects, however long the machine has been up
    clock.now += 59
    assert not collector.idle()
    clock.now += 1
    assert collector.idle()
    assert collector.collections == 2


def test_a_sweep_frees_the_cycles_that_died_frozen(make: Callable[..., IdleCollector], clock: Clock) -> None:
    collector = make()
    node = Node()
    frozen = weakref.ref(node)
    assert collector.idle()  # collected and frozen while alive
    del node
    assert collector.idle()  # a collection does not walk the frozen: the dead cycle stays
    assert frozen() is not None
    clock.now += 3600  # time for a sweep, and nothing asked for since
    assert collector.idle()
    assert frozen() is None
    assert collector.sweeps == 1
    assert collector.swept >= 1


@pytest.mark.parametrize(("served", "sweeps"), [(True, 0), (False, 1)])
def test_no_sweep_just_after_a_request(make: Callable[..., IdleCollector], clock: Clock, served: bool,
                                       sweeps: int) -> None:
    collector = make()
    clock.now += 7200  # a sweep is due
    if served:
        with collector.serving():
            pass  # answered just now: someone is at work
    assert collector.idle()
    assert collector.sweeps == sweeps
    assert collector.collections == 1 - sweeps  # a plain collection instead
