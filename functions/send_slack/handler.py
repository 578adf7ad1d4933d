"""Slack sender: the Slack outbox queue (FIFO, one group per side conversation) → Slack threads."""

import gc

gc.disable()  # until init ends, at the bottom: docs/ARCHITECTURE.md, "Cold start"

from typing import Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from sideconv.observability import count_delivery, logger, metrics
from sideconv.slack import outbound
from sideconv.wiring import Wiring

# The container's wiring: built once per cold start, handed to the code each invocation calls.
wiring = Wiring.from_env()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    # This batch's sender and processor: what they hold (the groups held back, the messages made
    # invisible, the records' outcomes) ends with the batch, however it ends.
    sender = outbound.sender(wiring)

    def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> str:
        status = sender.deliver_record(record, lambda_context)
        count_delivery("slack", status)
        return status

    # skip_group_on_error: a held message holds back only its own side conversation, not the batch.
    processor = SqsFifoPartialProcessor(skip_group_on_error=True)
    # A batch whose every message is held (one thread, rate-limited) is flow control, not a fault: report
    # the batch item failures instead of failing the invocation (the FIFO processor has no argument for it).
    processor.raise_on_entire_batch_failure = False
    response = process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)
    sender.hold_skipped(event, response)
    return response


# Init ends: what it built lives as long as the container, so no collection walks it again.
gc.freeze()
gc.enable()
