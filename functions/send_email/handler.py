"""E-mail sender: the email outbox queue (SQS FIFO, stream records) → SES v2, one mail per message."""

from __future__ import annotations

import gc

gc.disable()  # until init ends, at the bottom: docs/ARCHITECTURE.md, "Cold start"

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from sideconv import s3
from sideconv.email import clients
from sideconv.email.sender_store import configured_store as sender_store
from sideconv.email.senders import may_send_from, verified_until
from sideconv.email.sending import SenderConfig, send_record
from sideconv.email.store import configured_store
from sideconv.observability import count_delivery, logger, metrics
from sideconv.uploads import bucket_for
from sideconv.wiring import Wiring

# The container's wiring: built once per cold start, handed to the code each invocation calls.
wiring = Wiring.from_env()


def _config() -> SenderConfig:
    s = wiring.settings
    return SenderConfig(sender_address=s.sender_address, sender_name=s.sender_name,
                        inbound_domain=s.inbound_domain, ses_message_id_domain=s.ses_message_id_domain,
                        configuration_set=s.ses_configuration_set)


def _open(key: str) -> Any:
    """An attachment's bytes as a stream: an agent's upload, or a file cut from a received mail."""
    settings = wiring.settings
    bucket = bucket_for(key, settings.uploads_bucket, settings.received_mail_bucket)
    return s3.client(wiring).get_object(Bucket=bucket, Key=key)["Body"]


def _record(record: SQSRecord, lambda_context: LambdaContext | None = None) -> str:
    receive_count = int(record.attributes.approximate_receive_count or 1)
    remaining = (lambda: lambda_context.get_remaining_time_in_millis() / 1000) if lambda_context else (lambda: 30.0)
    ses, seen = clients.sesv2(wiring), verified_until(wiring)
    result = send_record(json.loads(record.body), receive_count, store=configured_store(wiring), ses=ses,
                         config=_config(), open_attachment=_open, remaining_seconds=remaining,
                         may_send_from=lambda account, address: may_send_from(sender_store(wiring), ses, account,
                                                                              address, seen))
    count_delivery("email", result.status)
    return result.status


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    # A processor per batch (it holds the batch's records and outcomes). A failed record fails only the
    # rest of its own group (its side conversation): other threads go on.
    processor = SqsFifoPartialProcessor(skip_group_on_error=True)
    # A batch whose every record failed is reported item by item too (the FIFO processor's constructor
    # does not take this option): the same redelivery, without an error for a throttled minute.
    processor.raise_on_entire_batch_failure = False
    return process_partial_response(event=event, record_handler=_record, processor=processor, context=context)


# Init ends: what it built lives as long as the container, so no collection walks it again.
gc.freeze()
gc.enable()
