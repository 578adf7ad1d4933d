"""Embedded SQS on a clock the tests move, so a held message comes back without waiting for it.

A consumer holds a message back by making it invisible (the Slack sender's Retry-After and backoff:
`ChangeMessageVisibility`), and a batch that failed comes back after the queue's visibility timeout.
moto measures both on the wall clock; `install()` makes it read this clock instead, the wall clock plus
an offset that only `advance()` moves. `next_visible_in()` says how far away the earliest held
message is, so a test can pass exactly that much time (`tests/slack_support.py`, `SlackWorld.drain`).

Only embedded SQS reads it: the functions' own clock (`sideconv.clock`, the follow-ups') is another.
The local stack as `make dev` runs it never moves it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

_offset_ms = 0.0
_installed = False


def install() -> None:
    """Point moto's SQS at this clock (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.core import utils
    from moto.sqs import models

    wall_s, wall_ms = utils.unix_time, utils.unix_time_millis

    def unix_time(dt: datetime | None = None) -> float:
        return wall_s(dt) if dt is not None else wall_s() + _offset_ms / 1000

    def unix_time_millis(dt: datetime | None = None) -> float:
        return wall_ms(dt) if dt is not None else wall_ms() + _offset_ms

    models.unix_time, models.unix_time_millis = unix_time, unix_time_millis
    _installed = True


def advance(seconds: float) -> None:
    """Let `seconds` pass for embedded SQS's visibility timeouts and delays."""
    global _offset_ms
    if seconds < 0:
        raise ValueError("the queues' clock only moves forward")
    _offset_ms += seconds * 1000


def reset() -> None:
    """Back to the wall clock (between tests: a message sent later must not look sent in the future)."""
    global _offset_ms
    _offset_ms = 0.0


def next_visible_in() -> float | None:
    """Seconds until the earliest message now held (invisible or delayed) in any embedded queue comes
    back, or None when no message is held."""
    from moto.sqs import models

    install()
    now = models.unix_time_millis()
    waits = [max(message.visible_at, message.delayed_until) - now
             for backend in _backends(models)
             for queue in backend.queues.values()
             for message in queue._messages
             if not message.visible or message.delayed]
    return max(0.0, min(waits)) / 1000 if waits else None


def _backends(models: Any) -> Iterator[Any]:
    for regions in models.sqs_backends.values():
        yield from regions.values()
