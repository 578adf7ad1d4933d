"""HTTP API entry point: API Gateway (HTTP API, payload v2) → the v1 routes."""

import gc

gc.disable()  # until init ends, at the bottom: docs/ARCHITECTURE.md, "Cold start"

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from sideconv.api.app import handle_request
from sideconv.observability import logger
from sideconv.wiring import Wiring

# The container's wiring: built once per cold start, handed to the code each invocation calls.
wiring = Wiring.from_env()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_request(event, context, wiring)


# Init ends: what it built lives as long as the container, so no collection walks it again.
gc.freeze()
gc.enable()
