"""Slack test support: the Web API stand-in over real HTTP, embedded AWS with the real table and
queues, and the real handlers wired as AWS wires them (local.slack.register on a LocalStack)."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from local import queue_clock
from local.containers import cold_start
from local.slack_api import LocalInstallation, SlackStandIn
from tests.conftest import TABLE, LambdaContextStub, agent_claims

CONVERSATION = "conv-1"
BASE = f"/v1/conversations/{CONVERSATION}/side-conversations"


@dataclass
class Counter:
    """Every AWS request any client makes, by service and operation (botocore's _make_api_call)."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    params: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, client: Any, operation: str, params: dict[str, Any]) -> None:
        self.calls.append((client.meta.service_model.service_name, operation))
        self.params.append(params)

    def params_of(self, operation: str) -> list[dict[str, Any]]:
        return [p for (_, op), p in zip(self.calls, self.params, strict=True) if op == operation]

    def of(self, service: str) -> list[str]:
        return [op for svc, op in self.calls if svc == service]

    def clear(self) -> None:
        self.calls.clear()
        self.params.clear()


@contextmanager
def counting_aws_requests() -> Iterator[Counter]:
    import botocore.client

    counter = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counted(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        counter(self, operation_name, api_params)
        return original(self, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


@dataclass
class SlackWorld:
    stack: Any
    slack: SlackStandIn

    # The helpdesk side -----------------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None, *, claims: dict[str, Any] | None = None
            ) -> tuple[int, Any]:
        from functions.api.handler import lambda_handler
        from local.apigw import http_api_event

        event = http_api_event(method, path, headers={"content-type": "application/json"},
                               body=json.dumps(body) if body is not None else None,
                               claims=claims or agent_claims(name="Dana Agent"))
        response = lambda_handler(event, LambdaContextStub())
        text = response.get("body") or ""
        return response["statusCode"], json.loads(text) if text else None

    def start(self, target: str = "channel", *, channel_id: str | None = "C0ONCALL",
              user_ids: list[str] | None = None, subject: str | None = "Refund stuck",
              body: str = "Can someone look at the refund?") -> dict[str, Any]:
        slack: dict[str, Any] = {"target": target}
        if target == "channel":
            slack["channel_id"] = channel_id
        else:
            slack["user_ids"] = user_ids
        request: dict[str, Any] = {"channel": "slack", "body": body, "slack": slack}
        if subject is not None:
            request["subject"] = subject
        status, created = self.api("POST", BASE, request)
        assert status == 201, created
        return created

    def reply(self, side_conversation_id: str, body: str) -> dict[str, Any]:
        status, created = self.api("POST", f"{BASE}/{side_conversation_id}/messages", {"body": body})
        assert status == 201, created
        return created

    def get(self, side_conversation_id: str) -> dict[str, Any]:
        status, found = self.api("GET", f"{BASE}/{side_conversation_id}", None)
        assert status == 200, found
        return found

    def drain(self, until: Callable[[], Any] | None = None, timeout: float = 10.0) -> None:
        """Run the glue (stream → outbox → sender; events queue → processor) until quiet, or until
        `until()` holds. A message held with a visibility delay (Retry-After, backoff) comes back when
        its time has passed on embedded SQS's clock: the clock moves to the next such time instead of
        the test waiting for it, `timeout` seconds of it at most."""
        passed, deadline = 0.0, time.monotonic() + timeout
        while True:
            self.stack.drain()
            if until is None or until():
                return
            wait = queue_clock.next_visible_in()
            if wait is None:  # nothing held: what is left runs outside the queues (the stand-in's threads)
                if time.monotonic() > deadline:
                    raise AssertionError("condition not met while draining")
                time.sleep(0.01)
                continue
            if passed + wait > timeout:
                raise AssertionError(f"condition not met while draining ({passed:.1f}s passed, next in {wait:.1f}s)")
            self.pass_time(wait)
            passed += wait

    def pass_time(self, seconds: float) -> None:
        """Let `seconds` pass for the queues (just past them: SQS shows a message after its time)."""
        queue_clock.advance(seconds + 0.001)

    # The Slack side --------------------------------------------------------------------------

    def post_event(self, envelope: dict[str, Any] | bytes, *, secret: str | None = None,
                   timestamp: int | None = None, headers: dict[str, str] | None = None,
                   retry_num: int | None = None, base64_body: bool = False, signed: bool = True
                   ) -> tuple[int, Any]:
        """POST /v1/slack/events as API Gateway hands it to the function."""
        from functions.slack_events.handler import lambda_handler
        from local.apigw import http_api_event

        body = envelope if isinstance(envelope, bytes) else json.dumps(envelope).encode()
        sent_headers = {"content-type": "application/json"}
        if signed:
            signer = SlackStandIn(signing_secret=secret or self.slack.signing_secret)
            sent_headers.update({k.lower(): v for k, v in signer.sign(body, timestamp).items()})
        if retry_num is not None:
            sent_headers["x-slack-retry-num"] = str(retry_num)
            sent_headers["x-slack-retry-reason"] = "http_timeout"
        sent_headers.update(headers or {})
        event = http_api_event("POST", "/v1/slack/events", headers=sent_headers, body=body.decode())
        if base64_body:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
        response = lambda_handler(event, LambdaContextStub())
        return response["statusCode"], json.loads(response["body"])

    def thread_reply(self, channel: str, thread_ts: str, *, user: str = "U0BOB", text: str = "On it",
                     ts: str | None = None, **extra: Any) -> dict[str, Any]:
        """A message event envelope for a reply in a thread, as Slack sends it."""
        ts = ts or f"{time.time():.6f}"
        event = {"type": "message", "user": user, "text": text, "ts": ts, "thread_ts": thread_ts,
                 "parent_user_id": self.slack.installation.bot_user_id, "channel": channel, "event_ts": ts,
                 "channel_type": "channel", **extra}
        return self.slack.envelope(event)

    def use(self, installation: LocalInstallation) -> None:
        """Install the service (and the stand-in) in another workspace, without new embedded AWS."""
        from local import slack as local_slack

        self.slack.installation = installation
        local_slack._configure(self.stack, self.slack)
        cold_start()

    def clear(self) -> None:
        """Empty the table, the queues and the stand-in's history (a module-scoped world between cases)."""
        import boto3

        self.stack.drain()
        client = boto3.client("dynamodb", region_name="us-east-1")
        for item in self.items():
            client.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})
        sqs = boto3.client("sqs", region_name="us-east-1")
        for url in (self.stack.resources.slack_events_queue_url, *self.stack.resources.outbox_queue_urls.values()):
            # (PurgeQueue is allowed once a minute.)
            while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
                for message in messages:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        self.stack.drain()
        self.slack.posted.clear()
        self.slack.calls.clear()

    # The table -------------------------------------------------------------------------------

    def items(self) -> list[dict[str, Any]]:
        import boto3

        client = boto3.client("dynamodb", region_name="us-east-1")
        return client.scan(TableName=TABLE, ConsistentRead=True)["Items"]  # tests only: no Scan in the service

    def queued_events(self) -> int:
        import boto3

        sqs = boto3.client("sqs", region_name="us-east-1")
        attributes = sqs.get_queue_attributes(QueueUrl=self.stack.resources.slack_events_queue_url,
                                              AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])


@contextmanager
def slack_world(installation: LocalInstallation | None = None, *, post_interval: float = 0.0,
                stand_in_interval: float = 0.0, env: dict[str, str] | None = None) -> Iterator[SlackWorld]:
    """Embedded AWS + the stand-in on a free 127.0.0.1 port + the three Slack functions."""
    from moto import mock_aws
    from sideconv.config import from_env

    from local import slack as local_slack
    from local.stack import LocalStack

    installation = installation or LocalInstallation()
    stand_in = SlackStandIn(installation=installation, port=0, min_post_interval=stand_in_interval,
                            echo_own_posts=False)
    stand_in.start()
    # Every variable set here (the stand-in's installation too) is undone on exit.
    # These worlds play the self-hosting single-workspace mode (the environment's installation) unless
    # `env` says otherwise; tests/integration/test_slack_workspaces.py plays workspaces per account.
    environment = {"TABLE_NAME": TABLE, "SLACK_POST_INTERVAL_S": str(post_interval), "SLACK_SINGLE_WORKSPACE": "true",
                   **(env or {})}
    queue_clock.reset()
    try:
        with mock.patch.dict(os.environ, environment), mock_aws():
            cold_start()
            stack = LocalStack(from_env())
            local_slack._configure(stack, stand_in)
            cold_start()
            local_slack.register(stack)
            yield SlackWorld(stack, stand_in)
    finally:
        stand_in.stop()
        queue_clock.reset()
        cold_start()


def function_wiring(function: str) -> Any:
    """The wiring `functions/<function>/handler.py` built (the container's): what its invocations use."""
    import importlib

    return importlib.import_module(f"functions.{function}.handler").wiring


def batch_sender() -> Any:
    """A sender for one batch, on the `send_slack` function's wiring (as its handler makes one)."""
    from sideconv.slack import outbound

    return outbound.sender(function_wiring("send_slack"))


def container_processor() -> Any:
    """The `slack_processor` function's processor (the one its wiring keeps)."""
    from sideconv.slack import inbound

    return inbound.processor(function_wiring("slack_processor"))
