"""The piece of EventBridge Pipes the outbox relies on: event-pattern filters."""

from __future__ import annotations

from typing import Any


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """EventBridge pattern matching for the subset the stack uses: nested keys and value lists."""
    if not isinstance(event, dict):
        return False
    for key, expected in pattern.items():
        if key not in event:
            return False
        value = event[key]
        if isinstance(expected, dict):
            if not matches(expected, value):
                return False
        elif isinstance(expected, list):
            if value not in expected:
                return False
        else:
            raise ValueError(f"unsupported pattern element at {key!r}")
    return True
