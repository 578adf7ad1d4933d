"""The API's table: the models bound to the configured table and the repository on it, once per container.

Its own module so that every router reaches it without importing `sideconv.api.app` (which imports them).
"""

from __future__ import annotations

from functools import lru_cache

from sideconv.container import keep
from sideconv.store import models
from sideconv.store.repository import SideConversationStore


@keep
@lru_cache(maxsize=1)
def store() -> SideConversationStore:
    return models.open_configured(SideConversationStore)
