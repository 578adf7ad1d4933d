"""Inbound e-mail: SES receipt rule (S3 action stores the raw mail, then this Lambda action)."""

from __future__ import annotations

import gc

gc.disable()  # until init ends, at the bottom: docs/ARCHITECTURE.md, "Cold start"

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from sideconv.email.inbound import InboundConfig, Storage, ingest
from sideconv.email.store import configured_store
from sideconv.observability import logger, metrics
from sideconv.wiring import Wiring

# The container's wiring: built once per cold start, handed to the code each invocation calls.
wiring = Wiring.from_env()


def _quarantined(reason: str) -> None:
    metrics.add_metric(name="Quarantined", unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="quarantine_reason", value=reason)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config = InboundConfig.of(wiring.settings)
    storage = Storage.of(wiring)
    results = []
    # SES invokes once per mail; a Records list of one. Each is handled on its own.
    for record in event.get("Records", []):
        result = ingest(record, store=configured_store(wiring), storage=storage, config=config,
                        on_quarantine=_quarantined)
        if result.outcome == "appended":
            metrics.add_metric(name="EmailReceived", unit=MetricUnit.Count, value=1)
        elif result.outcome == "bounced":
            metrics.add_metric(name="EmailBounced", unit=MetricUnit.Count, value=1)
        results.append({"outcome": result.outcome, "side_conversation_id": result.side_conversation_id,
                        "message_id": result.message_id, "reason": result.reason,
                        "quarantine_id": result.quarantine_id})
    # A Lambda action invoked with RequestResponse reads `disposition`; replies are never relayed on.
    return {"disposition": "STOP_RULE", "results": results}


# Init ends: what it built lives as long as the container, so no collection walks it again.
gc.freeze()
gc.enable()
