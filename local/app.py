"""Builds the local stack: embedded AWS, the API with the local JWT authorizer, and each channel."""

from __future__ import annotations

import importlib
import json
import os
from typing import Any

from local import events, moto_dynamodb, moto_models, panel, s3_post, scheduler, ses, token
from local.aws import share_botocore_loader
from local.stack import LocalStack, Reply, Request, api_event_from, lambda_proxy_reply

LOCAL_DEFAULTS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "TABLE_NAME": "side-conversations",
    "ENVIRONMENT": "local",
    "POWERTOOLS_SERVICE_NAME": "side-conversations",
    "POWERTOOLS_METRICS_NAMESPACE": "Atender/SideConversations",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


def _unauthorized() -> Reply:
    # What API Gateway's JWT authorizer answers; the function is never invoked.
    return Reply(401, json.dumps({"message": "Unauthorized"}).encode(),
                 {"Content-Type": "application/json", "WWW-Authenticate": "Bearer"})


def install_channels(stack: LocalStack) -> None:
    """Each channel's stand-in and sender, as its declaration names them (sideconv.channels)."""
    from sideconv import channels

    for channel in channels.all_channels():
        importlib.import_module(channel.local).install(stack)


def build() -> LocalStack:
    for name, value in LOCAL_DEFAULTS.items():
        os.environ.setdefault(name, value)
    from moto import mock_aws

    # The browser posts uploads to the stack, which checks them as S3 would (local.s3_post).
    os.environ.setdefault("S3_UPLOAD_ENDPOINT", f"http://127.0.0.1:{os.environ.get('PORT', '3000')}/_local/s3")
    moto_dynamodb.install()  # else each transaction and query costs what the whole table holds
    moto_models.install()  # else every model instance moto ever made stays in memory
    share_botocore_loader()  # else each session decodes the endpoints again (9 MB, a first request's 0.1 s)
    mock_aws().start()
    from sideconv.config import from_env

    stack = LocalStack(from_env())

    from functions.api.handler import lambda_handler as api_handler

    def api(request: Request) -> Reply:
        claims: dict[str, Any] | None = token.verify(request.headers.get("authorization"))
        if claims is None:
            return _unauthorized()
        response = stack.invoke("api", api_handler, api_event_from(request, claims))
        return lambda_proxy_reply(response)

    stack.api_route = api  # type: ignore[attr-defined]
    events.install(stack)
    scheduler.install(stack)
    install_channels(stack)
    ses.install(stack)
    panel.install(stack)
    s3_post.install(stack)
    return stack
