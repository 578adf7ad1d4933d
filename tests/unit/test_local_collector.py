"""The local stack's idle collector: a full collection between requests, then what survived frozen,
so the next full collection walks only what came after."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from local.collector import IdleCollector


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


@pytest.fixture
def collector() -> Iterator[IdleCollector]:
    yield IdleCollector(every=0.0, sweep_every=3600.0)
    gc.unfreeze()  # give the test process its collector back


def _tracked(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())


def test_it_collects_garbage_then_freezes_what_survived(collector: IdleCollector) -> None:
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


def test_it_waits_while_a_request_is_served(collector: IdleCollector) -> None:
    with collector.serving():
        assert not collector.idle()
        with collector.serving():
            assert not collector.idle()
        assert not collector.idle()
    assert collector.idle()
    assert collector.collections == 1


def test_a_sweep_frees_the_cycles_that_died_frozen() -> None:
    collector = IdleCollector(every=0.0, sweep_every=3600.0, quiet=0.0)
    try:
        node = Node()
        frozen = weakref.ref(node)
        assert collector.idle()  # collected and frozen while alive
        del node
        assert collector.idle()  # a collection does not walk the frozen: the dead cycle stays
        assert frozen() is not None
        collector.sweep_every = 0.0  # time for a sweep, and nothing asked for (quiet=0)
        assert collector.idle()
        assert frozen() is None
        assert collector.sweeps == 1
        assert collector.swept >= 1
    finally:
        gc.unfreeze()


def test_no_sweep_while_requests_keep_coming() -> None:
    collector = IdleCollector(every=0.0, sweep_every=0.0, quiet=3600.0)
    try:
        with collector.serving():
            pass  # a request just answered
        assert collector.idle()
        assert collector.sweeps == 0  # a plain collection instead
        assert collector.collections == 1
    finally:
        gc.unfreeze()


def test_it_collects_at_most_once_a_period() -> None:
    collector = IdleCollector(every=3600.0)
    try:
        assert collector.idle()  # the first idle round collects
        assert not collector.idle()
        assert not collector.idle()
        assert collector.collections == 1
    finally:
        gc.unfreeze()
