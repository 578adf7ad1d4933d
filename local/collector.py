"""The local stack's garbage collection, between requests instead of inside them.

A full collection walks every object the collector tracks. What `python -m local` holds grows with
every write (embedded DynamoDB keeps each item as dozens of Python objects, its stream keeps every
record), so CPython's own full collections, which run when the tracked objects have grown by a
quarter, took 150 to 630 ms after a few hundred writes at 1,000 side conversations, and landed inside
whichever request was allocating: the slow 1 % of `make bench`'s group 8.

So whenever the glue has had a quiet round and no request is being served, and a second has passed
since the last time, this collects and then freezes what survived (`gc.freeze`): the next collection,
automatic or here, walks only what was allocated since, a few milliseconds' worth. What a frozen
object later drops is still freed by its reference count; only a reference cycle among frozen objects
that dies later is never reclaimed, which a request's garbage is not (it is gone before the stack is
idle). A few hundred objects a round of requests do end that way (a kept-alive connection's, an SMTP
session's: alive when frozen, cyclic garbage once closed), so once every ten minutes, when nothing
has been asked for two seconds (a person reading), it also sweeps what is frozen: thaws everything,
collects and freezes again, a pause of 0.3 s to 1 s that no request is waiting on. `stats()` is
served at `/_local/health`.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

EVERY_S = 1.0
SWEEP_EVERY_S = 600.0
QUIET_S = 2.0


class IdleCollector:
    def __init__(self, every: float = EVERY_S, sweep_every: float = SWEEP_EVERY_S, quiet: float = QUIET_S) -> None:
        self.every, self.sweep_every, self.quiet = every, sweep_every, quiet
        self._serving = 0
        self._guard = threading.Lock()
        self._last = float("-inf")  # the first idle round collects
        self._last_sweep = self._last_served = time.monotonic()
        self.collections = 0
        self.sweeps = 0
        self.swept = 0  # what the last sweep found unreachable among the frozen
        self.longest_s = 0.0

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Around each request: no collection of this module's starts while one is in flight."""
        with self._guard:
            self._serving += 1
        try:
            yield
        finally:
            with self._guard:
                self._serving -= 1
                self._last_served = time.monotonic()

    def idle(self) -> bool:
        """The glue's quiet round: collect and freeze if nothing is being served and it is time (and
        sweep the frozen too, if it is time for that and nothing has been asked for a while)."""
        now = time.monotonic()
        if now - self._last < self.every or self._serving:
            return False
        self.collect(sweep=now - self._last_sweep >= self.sweep_every and now - self._last_served >= self.quiet)
        return True

    def collect(self, *, sweep: bool = False) -> None:
        """Collect now, then freeze what is alive. A sweep collects over the frozen too (`swept`: what
        it found unreachable among them)."""
        began = time.perf_counter()
        if sweep:
            gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        self.longest_s = max(self.longest_s, time.perf_counter() - began)
        self._last = time.monotonic()
        if sweep:
            self._last_sweep, self.swept = self._last, found
            self.sweeps += 1
        else:
            self.collections += 1

    def stats(self) -> dict[str, float | int]:
        return {"collections": self.collections, "sweeps": self.sweeps, "swept": self.swept,
                "longest_ms": round(self.longest_s * 1000, 1), "frozen": gc.get_freeze_count()}
