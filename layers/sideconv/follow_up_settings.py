"""An account's follow-up defaults: one item per account (`SETTINGS#<account>#follow-ups`).

Read by the create (`for_create`: at most once a minute per container and account, so a create stays
one write and its answer shows the default's follow-up) and by the follow-up function with its summary
(one BatchGetItem).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sideconv import clock, follow_ups
from sideconv.store.models import FollowUpSettingsItem
from sideconv.wiring import Wiring, built


@dataclass(frozen=True)
class Settings:
    default_after: int | None = None
    max_nudges: int = follow_ups.DEFAULT_MAX_NUDGES
    auto_close_after: int | None = None

    def as_dict(self) -> dict[str, Any]:
        def text(seconds: int | None) -> str | None:
            return None if seconds is None else follow_ups.format_duration(seconds)

        return {"default_after": text(self.default_after), "max_nudges": self.max_nudges,
                "auto_close_after": text(self.auto_close_after)}


def from_item(item: FollowUpSettingsItem | None) -> Settings:
    if item is None:
        return Settings()

    def number(value: Any) -> int | None:
        return None if value is None else int(value)

    max_nudges = number(item.max_nudges)
    return Settings(number(item.default_after),
                    follow_ups.DEFAULT_MAX_NUDGES if max_nudges is None else max_nudges,
                    number(item.auto_close_after))


# A change of the settings reaches a create in another container within this (in this one at once).
CACHE_SECONDS = 60.0
_CACHED_ACCOUNTS = 1024


def get(account_id: str, *, consistent: bool = True) -> Settings:
    from sideconv.store import records

    return from_item(records.follow_up_settings(account_id, consistent=consistent))


@built
def remembered(wiring: Wiring) -> dict[str, tuple[float, Settings]]:
    """The container's copy of the accounts' defaults, by account: (when read, settings)."""
    return {}


def for_create(cache: dict[str, tuple[float, Settings]], account_id: str) -> Settings:
    """The defaults a new side conversation takes: one GetItem (eventually consistent) per account at
    most every `CACHE_SECONDS` in this container (`cache`: `remembered`), none otherwise."""
    now = time.monotonic()
    hit = cache.get(account_id)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    settings = get(account_id, consistent=False)
    if len(cache) >= _CACHED_ACCOUNTS:
        cache.clear()
    cache[account_id] = (now, settings)
    return settings


def put(cache: dict[str, tuple[float, Settings]], account_id: str, settings: Settings, updated_by: str) -> Settings:
    from sideconv.store import records

    records.put_follow_up_settings(account_id, default_after=settings.default_after,
                                   max_nudges=settings.max_nudges, auto_close_after=settings.auto_close_after,
                                   updated_at=clock.now_iso(), updated_by=updated_by)
    cache[account_id] = (time.monotonic(), settings)
    return settings
