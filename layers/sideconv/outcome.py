"""Recording a channel's answer: the one write that must not be lost once SES or Slack took a message.

Between the provider accepting a message and its result being recorded, a failed write would give the
message back to the queue still `pending`, and a redelivery would send it again (docs/SECURITY.md,
"Delivery"). The SDKs already retry throttling and 5xx a few times within a second; this gives the
write a few more tries, further apart, inside the same invocation, so a DynamoDB hiccup of some
seconds is absorbed here instead of by a redelivery. A condition that does not hold is an answer,
not a fault: it is raised at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sideconv.observability import logger

T = TypeVar("T")

# Seconds to wait before each further try (after the SDK's own retries): about 7 s in all.
DELAYS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 3.0)
# Keep this much of the invocation: a write still failing then is left to the redelivery.
MARGIN_SECONDS = 2.0
sleep: Callable[[float], None] = time.sleep  # the tests compress time


def condition_failed(exc: BaseException) -> bool:
    """A conditional check that did not hold (PynamoDB or botocore), alone or in a transaction."""
    from sideconv.store.conditions import condition_failed as failed

    return failed(exc)


def record(write: Callable[[], T], *, remaining_seconds: Callable[[], float], what: str) -> T:
    """`write()`, tried again after each of DELAYS while the invocation has time; its last error
    otherwise."""
    for delay in (*DELAYS, None):
        try:
            return write()
        except Exception as exc:
            if condition_failed(exc) or delay is None or remaining_seconds() < delay + MARGIN_SECONDS:
                raise
            logger.warning("result write failed; trying again", extra={"what": what, "delay": delay,
                                                                       "error": type(exc).__name__})
        sleep(delay)
    raise AssertionError("unreachable")
