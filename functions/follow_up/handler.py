"""EventBridge Scheduler → a side conversation's follow-up (or inactivity limit) fell due
(sideconv.follow_up_fire). A failure raises: the Scheduler retries, then keeps the firing in its
dead-letter queue."""

import gc

gc.disable()  # until init ends, at the bottom: docs/ARCHITECTURE.md, "Cold start"

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from sideconv.follow_up_fire import fire
from sideconv.observability import logger
from sideconv.store import follow_up_store
from sideconv.wiring import Wiring

# The container's wiring: built once per cold start, handed to the code each invocation calls.
wiring = Wiring.from_env()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    outcome = fire(follow_up_store.configured_store(wiring), event)
    logger.info("follow-up fired", extra={"side_conversation_id": event.get("side_conversation_id"),
                                          "outcome": outcome})
    return {"outcome": outcome}


# Init ends: what it built lives as long as the container, so no collection walks it again.
gc.freeze()
gc.enable()
