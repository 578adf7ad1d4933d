"""Slack Events API endpoint: POST /v1/slack/events through API Gateway, without a JWT (Slack signs it).

Cold-start critical: imports only what verifying and handing off an event needs.
"""

import gc

gc.disable()  # until init ends, at the bottom: docs/ARCHITECTURE.md, "Cold start"

import json
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from sideconv.observability import logger
from sideconv.slack import events_endpoint
from sideconv.wiring import Wiring

# The container's wiring: built once per cold start, handed to the code each invocation calls.
wiring = Wiring.from_env()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    answer = events_endpoint.receive(wiring, headers, events_endpoint.raw_body(event))
    logger.info("slack event", extra={"outcome": answer.outcome, "status": answer.status,
                                      "retry_num": headers.get("x-slack-retry-num"),
                                      "retry_reason": headers.get("x-slack-retry-reason")})
    return {"statusCode": answer.status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(answer.body)}


# Init ends: what it built lives as long as the container, so no collection walks it again.
gc.freeze()
gc.enable()
