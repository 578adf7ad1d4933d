"""What a use case answers: the view of what it made or found, and which of the two it was.

The use cases return these and never an HTTP status; the API maps each kind to its status in one place
(`sideconv.api.results`). A replay of an idempotent request answers the first result again, as a
`Created` with the body recorded then.

Plain classes, not dataclasses: every API cold start imports this module, and a dataclass costs its
generated methods' compilation at import.
"""

from __future__ import annotations

from typing import Any


class _Result:
    __slots__ = ("view",)
    view: dict[str, Any]

    def __init__(self, view: dict[str, Any]) -> None:
        object.__setattr__(self, "view", view)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Result) and type(other) is type(self) and other.view == self.view

    __hash__ = None  # type: ignore[assignment]  # equal by their view, a dict: not hashable

    def __repr__(self) -> str:
        return f"{type(self).__name__}(view={self.view!r})"


class Found(_Result):
    """What was asked for (a side conversation, a page of them, a message's text), as the caller sees it."""

    __slots__ = ()


class Changed(_Result):
    """What the request changed (closed, renamed, marked read, discarded), as it is now."""

    __slots__ = ()


class Created(_Result):
    """What the request made (a side conversation, a message), as it was recorded."""

    __slots__ = ()


Result = Found | Changed | Created
