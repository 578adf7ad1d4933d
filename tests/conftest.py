"""Shared fixtures: embedded AWS (moto) with the real table, and callers with claims."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_SECURITY_TOKEN", "testing")
os.environ.setdefault("AWS_SESSION_TOKEN", "testing")
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_REGION"] = "us-east-1"
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Atender/SideConversations")
os.environ.setdefault("POWERTOOLS_DEV", "false")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

TABLE = "side-conversations-test"


@pytest.fixture(autouse=True, scope="session")
def _embedded_dynamodb() -> None:
    """Embedded DynamoDB's requests cost what they touch, as on the local stack (local.moto_dynamodb);
    embedded SQS runs on a clock the tests move (local.queue_clock)."""
    from local import moto_dynamodb, queue_clock

    moto_dynamodb.install()
    queue_clock.install()  # held messages come back when a test passes their time, not after waiting


@pytest.fixture(autouse=True, scope="session")
def _one_botocore_loader() -> None:
    """Every `mock_aws()` gives boto3 a new default session; they all share one loader (local.aws)."""
    from local.aws import share_botocore_loader

    share_botocore_loader()


def agent_claims(account: str = "acme", sub: str = "agent-1", role: str = "agent", **extra: Any) -> dict[str, Any]:
    return {"sub": sub, "account_id": account, "role": role, "name": extra.pop("name", "Dana Agent"),
            "email": extra.pop("email", f"{sub}@{account}.example"), **extra}


@pytest.fixture
def aws() -> Iterator[None]:
    """Embedded AWS with the service's table, fresh for each test, and a fresh container to use it."""
    from moto import mock_aws
    from sideconv.config import from_env

    from local.aws import create_resources
    from local.containers import cold_start

    os.environ["TABLE_NAME"] = TABLE
    # Slack here is the self-hosting single-workspace mode (the environment's installation);
    # tests/integration/test_slack_workspaces.py plays workspaces per account.
    slack = {"SLACK_SINGLE_WORKSPACE": "true", "SLACK_TEAM_ID": os.environ.get("SLACK_TEAM_ID") or "T0LOCAL01"}
    cold_start()
    with mock.patch.dict(os.environ, slack), mock_aws():
        cold_start()
        create_resources(from_env())
        yield
    cold_start()


@pytest.fixture
def api(aws: None) -> Any:
    """Calls the real API handler with API Gateway HTTP API events; returns (status, headers, json)."""
    from functions.api.handler import lambda_handler
    from local.apigw import http_api_event

    class Client:
        def __call__(self, method: str, path: str, body: Any = None, *, claims: dict[str, Any] | None = None,
                     headers: dict[str, str] | None = None, query: dict[str, str] | None = None,
                     raw: str | None = None) -> tuple[int, dict[str, str], Any]:
            payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
            event = http_api_event(method, path, query=query, headers={"content-type": "application/json",
                                                                       **(headers or {})},
                                   body=payload, claims=agent_claims() if claims is None else claims)
            response = lambda_handler(event, LambdaContextStub())
            text = response.get("body") or ""
            return response["statusCode"], response.get("headers", {}), json.loads(text) if text else None

    return Client()


class LambdaContextStub:
    function_name = "test"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:test"
    aws_request_id = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def stack(api: Any) -> Any:
    """The local stack's glue (stream relay as the pipes, stream and queue consumers) over the
    resources the `aws` fixture created; tests call `stack.pump()` / `stack.drain()` to move events."""
    import boto3
    from sideconv.config import from_env

    from local.aws import OUTBOX_QUEUES, LocalResources
    from local.stack import LocalStack

    settings = from_env()
    table = boto3.client("dynamodb").describe_table(TableName=settings.table_name)["Table"]
    sqs = boto3.client("sqs")
    urls = {channel: sqs.get_queue_url(QueueName=name)["QueueUrl"] for channel, name in OUTBOX_QUEUES.items()}
    capture = sqs.get_queue_url(QueueName="side-conversations-local-events")["QueueUrl"]
    resources = LocalResources(stream_arn=table["LatestStreamArn"], outbox_queue_urls=urls,
                               events_capture_queue_url=capture)
    return LocalStack(settings, resources=resources)
