"""What a container builds once and keeps for its life: settings, clients, stores.

Each such factory is a `functools.lru_cache` marked with `keep`, so that the local stack and the tests can
`forget()` them all at once, as a new container would have none. Imports nothing heavy: the Slack events
endpoint uses it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from functools import _lru_cache_wrapper

Cache = TypeVar("Cache", bound="_lru_cache_wrapper[Any]")

_kept: list[_lru_cache_wrapper[Any]] = []


def keep(cache: Cache) -> Cache:
    """Mark a cached factory as the container's (a decorator, above `@lru_cache`)."""
    _kept.append(cache)
    return cache


def forget() -> None:
    """Forget everything every imported module keeps, as a new container would have none."""
    for cache in _kept:
        cache.cache_clear()
