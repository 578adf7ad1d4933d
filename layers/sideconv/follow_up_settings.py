"""An account's follow-up defaults: one item per account (`SETTINGS#<account>#follow-ups`).

Read by the stream when a side conversation was created without a follow-up (the default applies off
the API's write path) and by the follow-up function with its summary (one BatchGetItem).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sideconv import clock, follow_ups, keys
from sideconv.store.models import FollowUpSettingsItem


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


def get(account_id: str) -> Settings:
    key = keys.follow_up_settings_ref(account_id)
    try:
        return from_item(FollowUpSettingsItem.get(key, key, consistent_read=True))
    except FollowUpSettingsItem.DoesNotExist:
        return Settings()


def put(account_id: str, settings: Settings, updated_by: str) -> Settings:
    key = keys.follow_up_settings_ref(account_id)
    FollowUpSettingsItem(key, key, default_after=settings.default_after, max_nudges=settings.max_nudges,
                         auto_close_after=settings.auto_close_after, updated_at=clock.now_iso(),
                         updated_by=updated_by).save()
    return settings
