"""Time and ids, behind a few functions so tests can pin them.

The local stack plays EventBridge Scheduler with a clock the tests can move (`POST /_local/clock`):
`advance()` shifts what every function here reads as now. In AWS nothing calls it, so the offset is 0.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ulid import ULID

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _offset


def now_iso() -> str:
    return now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    return str(ULID())


def epoch_after(seconds: int) -> datetime:
    """A TTL instant `seconds` from now (PynamoDB's TTLAttribute stores it as epoch seconds)."""
    return now() + timedelta(seconds=seconds)


def advance(seconds: float) -> datetime:
    """Move the clock forward (the local stack's controlled clock only); returns the new now."""
    global _offset
    _offset += timedelta(seconds=seconds)
    return now()


def offset_seconds() -> float:
    return _offset.total_seconds()
