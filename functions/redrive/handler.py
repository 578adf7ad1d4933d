"""Scheduled re-drive (EventBridge Scheduler, every few minutes): outbound messages left `pending`
past the deadline go back on their outbox queue, or end `failed` (sideconv.redrive)."""

from __future__ import annotations

import gc

gc.disable()  # until init ends, at the bottom: docs/ARCHITECTURE.md, "Cold start"

from collections import Counter
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from sideconv.observability import count_delivery, logger, metrics
from sideconv.redrive import RedriveConfig, redrive
from sideconv.wiring import Wiring, built

# The container's wiring: built once per cold start, handed to the code each invocation calls.
wiring = Wiring.from_env()


@built
def _clients(wiring: Wiring) -> tuple[Any, Any]:
    import boto3

    settings = wiring.settings
    return (boto3.client("dynamodb", region_name=settings.region, endpoint_url=settings.dynamodb_endpoint),
            boto3.client("sqs", region_name=settings.region))


def _config(event: dict[str, Any]) -> RedriveConfig:
    settings = wiring.settings
    return RedriveConfig(table_name=settings.table_name, stream_arn=str(event.get("stream_arn") or "redrive"),
                         queue_urls=dict(settings.outbox_queue_urls), after_seconds=settings.redrive_after_s,
                         max_redrives=settings.redrive_max, give_up_seconds=settings.redrive_give_up_s)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    dynamodb, sqs = _clients(wiring)
    report = redrive(dynamodb, sqs, _config(event or {}))
    for name, value in report.as_dict().items():
        if value:
            metrics.add_metric(name=f"Outbox{name.title()}", unit=MetricUnit.Count, value=value)
    for channel, given_up in Counter(channel for channel, _ in report.failed).items():
        count_delivery(channel, "failed", given_up)
    return report.as_dict()


# Init ends: what it built lives as long as the container, so no collection walks it again.
gc.freeze()
gc.enable()
