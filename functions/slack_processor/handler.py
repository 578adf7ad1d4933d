"""Slack processor: the Slack events queue (from the events endpoint) → inbound messages, edits, deletions."""

import gc

gc.disable()  # until init ends, at the bottom: docs/ARCHITECTURE.md, "Cold start"

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from sideconv.observability import logger
from sideconv.slack import inbound
from sideconv.wiring import Wiring

# The container's wiring: built once per cold start, handed to the code each invocation calls.
wiring = Wiring.from_env()


def _record(record: SQSRecord) -> str:
    return inbound.processor(wiring).process(json.loads(record.body))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    processor = SqsFifoPartialProcessor(skip_group_on_error=True)  # this batch's records and outcomes
    return process_partial_response(event=event, record_handler=_record, processor=processor, context=context)


# Init ends: what it built lives as long as the container, so no collection walks it again.
gc.freeze()
gc.enable()
