"""EventBridge Pipe target: the table stream's new outbound messages, each onto its channel's FIFO queue
(sideconv.outbox). The pipe invokes it with the batch as a JSON array and retries the records it reports."""

import gc

gc.disable()  # until init ends, at the bottom: docs/ARCHITECTURE.md, "Cold start"

from typing import Any

from sideconv.observability import logger
from sideconv.outbox import route
from sideconv.wiring import Wiring, built

# The container's wiring: built once per cold start, handed to the code each invocation calls.
wiring = Wiring.from_env()


@built
def _sqs(wiring: Wiring) -> Any:
    # botocore, not boto3: boto3's import also loads s3transfer, which this path never uses.
    import botocore.session

    return botocore.session.get_session().create_client("sqs", region_name=wiring.settings.region)


@logger.inject_lambda_context
def lambda_handler(event: list[dict[str, Any]], context: Any) -> dict[str, Any]:
    failed = route(event, _sqs(wiring), dict(wiring.settings.outbox_queue_urls))
    return {"batchItemFailures": [{"itemIdentifier": event_id} for event_id in failed]}


# Init ends: what it built lives as long as the container, so no collection walks it again.
gc.freeze()
gc.enable()
