"""What a use case answers: the view of what it made or found, and which of the two it was.

The use cases return these and never an HTTP status; the API maps each kind to its status in one place
(`sideconv.api.results`). A replay of an idempotent request answers the first result again, as a
`Created` with the body recorded then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Found:
    """What was asked for (a side conversation, a page of them, a message's text), as the caller sees it."""

    view: dict[str, Any]


@dataclass(frozen=True)
class Changed:
    """What the request changed (closed, renamed, marked read, discarded), as it is now."""

    view: dict[str, Any]


@dataclass(frozen=True)
class Created:
    """What the request made (a side conversation, a message), as it was recorded."""

    view: dict[str, Any]


Result = Found | Changed | Created
