"""SES event publishing for sent mail (configuration set → SNS topic → this function)."""

from __future__ import annotations

import gc

gc.disable()  # until init ends, at the bottom: docs/ARCHITECTURE.md, "Cold start"

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from sideconv.email.sender_store import configured_store as sender_store
from sideconv.email.ses_events import record_ses_event
from sideconv.email.store import configured_store
from sideconv.observability import logger, metrics
from sideconv.wiring import Wiring

# The container's wiring: built once per cold start, handed to the code each invocation calls.
wiring = Wiring.from_env()


@logger.inject_lambda_context
@metrics.log_metrics
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context: LambdaContext) -> dict[str, Any]:
    settings = wiring.settings
    outcomes = []
    for record in event.records:
        result = record_ses_event(record.sns.message, store=configured_store(wiring),
                                  ses_message_id_domain=settings.ses_message_id_domain,
                                  count=lambda account, counter: sender_store(wiring).count(account, counter))
        if result.outcome == "bounced":
            metrics.add_metric(name="EmailBounced", unit=MetricUnit.Count, value=1)
        elif result.outcome == "suppressed":
            metrics.add_metric(name="EmailSuppressed", unit=MetricUnit.Count, value=1)
        elif result.outcome == "complaint":
            metrics.add_metric(name="EmailComplaint", unit=MetricUnit.Count, value=1)
        outcomes.append(result.outcome)
    return {"outcomes": outcomes}


# Init ends: what it built lives as long as the container, so no collection walks it again.
gc.freeze()
gc.enable()
