"""Time and ids, behind two functions so tests can pin them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ulid import ULID


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    return str(ULID())


def epoch_after(seconds: int) -> datetime:
    """A TTL instant `seconds` from now (PynamoDB's TTLAttribute stores it as epoch seconds)."""
    return datetime.now(UTC) + timedelta(seconds=seconds)
