"""Table stream → EventBridge: the side-conversation events the helpdesk reacts to; and each side
conversation's follow-up schedule kept in step with its summary (sideconv.follow_up_schedules)."""

import gc

gc.disable()  # until init ends, at the bottom: docs/ARCHITECTURE.md, "Cold start"

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from sideconv import follow_up_schedules
from sideconv.observability import logger
from sideconv.publishing import publish_change
from sideconv.wiring import Wiring

# The container's wiring: built once per cold start, handed to the code each invocation calls.
wiring = Wiring.from_env()


def record_handler(record: DynamoDBRecord) -> None:
    stream = record.dynamodb
    if stream is None or record.event_id is None or record.event_name is None:
        return
    new, old = stream.new_image or {}, stream.old_image or {}
    publish_change(wiring, record.event_id, record.event_name.name, new, old)
    # After the events: a Scheduler outage retries the record without holding them back (its marker
    # skips them on the retry), and arming again is idempotent.
    target = follow_up_schedules.configured_target(wiring)
    if target is not None:
        follow_up_schedules.sync(wiring, record.event_name.name, new, old, target)
        follow_up_schedules.unmark_inbox(wiring, new)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    # A processor per batch: it holds the batch's records and outcomes, which end with it.
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)


# Init ends: what it built lives as long as the container, so no collection walks it again.
gc.freeze()
gc.enable()
