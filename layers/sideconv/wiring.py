"""The one object a container builds once and keeps for its life: its settings, and the clients, stores
and caches built from them, each on first use.

Each `functions/<name>/handler.py` builds one `Wiring` at import (its cold start) and hands it to the
code it calls; nothing else in `sideconv` or `functions` keeps state at module level (a test scans for
it). A factory that builds something for the container's life is a function of the wiring marked
`@built`: its first call on a wiring builds the value, and it is kept on that wiring, so the local stack
and the tests get a new container by building a new wiring. What lives for one invocation or one batch
is built per invocation or batch, never kept here.

Imports nothing heavy (the Slack events endpoint uses it too): a factory imports what it builds.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from sideconv.config import Settings, from_env

T = TypeVar("T")


class Wiring:
    """Settings, and what this container built from them (by factory)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._built: dict[Callable[..., Any], Any] = {}

    @classmethod
    def from_env(cls) -> Wiring:
        """A cold start: the settings read from the environment, nothing built yet."""
        return cls(from_env())

    def once(self, factory: Callable[..., T], build: Callable[[], T]) -> T:
        """What `factory` built on this wiring, built by `build` on its first call."""
        try:
            return self._built[factory]
        except KeyError:
            value = self._built[factory] = build()
            return value

    def provide(self, factory: Callable[..., T], value: T) -> None:
        """Have `factory` give `value` on this wiring, built or not (a test's fake client or store)."""
        self._built[factory] = value

    def __repr__(self) -> str:  # never a setting's value (a token) in a log line
        return f"Wiring(environment={self.settings.environment!r}, built={len(self._built)})"


def built(factory: Callable[[Wiring], T]) -> Callable[[Wiring], T]:
    """Mark a factory of the wiring: its first call on a wiring builds the value, later calls return it."""

    @functools.wraps(factory)
    def get(wiring: Wiring) -> T:
        return wiring.once(get, lambda: factory(wiring))

    return get
