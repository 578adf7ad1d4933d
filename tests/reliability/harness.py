"""A whole side-conversation service in one process, with faults injected at its boundaries.

- embedded AWS (moto) with the real table, bucket and outbox queues, each with a dead-letter queue;
- the local stack's glue (`LocalStack.pump()`): the table stream through the outbox pipe's filter to the
  real router, which puts each message on its channel's FIFO queue, and SQS batches to the real
  `send_email` and `send_slack` handlers;
- the Slack Web API stand-in on 127.0.0.1, wrapped to answer 429, 5xx or stall past the client timeout;
- faults below botocore's retries (a `before-send` answer instead of moto's): DynamoDB throttling and
  5xx, SES throttling, rejection and 5xx, S3 errors. botocore and PynamoDB retry them as they would in
  AWS; what survives the retries reaches the service's code;
- queue redeliveries (an invocation's outcome lost, as when a function times out after its work) and
  pipe redeliveries (a batch of stream records handed to the outbox router twice);
- "provider accepted, result write failed" for Slack: chat.postMessage posted, then the process dies
  before the result is recorded (as when DynamoDB refuses the write past every retry and the
  invocation ends); the redelivery must find the post instead of posting again;
- crash points: `Crash` (a BaseException, so no `except Exception` swallows it) raised at a chosen
  AWS or Slack call, before or after it took effect, kills the "process"; `restart()` forgets every
  cached client, store and setting as a new Lambda container would.

Time is compressed: botocore's retry sleeps, the result write's own retry sleeps and the Slack
sender's re-queue delays are zero.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any
from unittest import mock

from local.containers import cold_start
from local.slack_api import SlackStandIn
from tests.conftest import TABLE, LambdaContextStub, agent_claims

CONVERSATION = "conv-rel"
BASE = f"/v1/conversations/{CONVERSATION}/side-conversations"
MAX_RECEIVE_COUNT = 25  # above both senders' own give-up counts (5 and 20), as infra must set it


class Crash(BaseException):
    """The process dies here: not an Exception, so no handler, processor or retry loop catches it."""


@dataclass
class Faults:
    """Probabilities per call (0 = off). `seed` makes a run repeatable."""

    seed: int = 7
    dynamodb_throttle: float = 0.0
    dynamodb_5xx: float = 0.0
    ses_throttle: float = 0.0
    ses_reject: float = 0.0
    ses_5xx: float = 0.0
    s3_5xx: float = 0.0
    slack_429: float = 0.0
    slack_5xx: float = 0.0
    slack_timeout: float = 0.0
    queue_redelivery: float = 0.0
    pipe_duplicate: float = 0.0
    # The pipe gave up on a record (its retries ran out), or a record went to the dead-letter queue
    # unprocessed (its receives ran out while the sender was down): only the re-drive can save these.
    pipe_loss: float = 0.0
    dead_letter: float = 0.0
    # Slack took the post, and its result was never recorded (SES has no counterpart here: it cannot
    # be asked what it sent, so that window stays open; test_crash_points shows it).
    slack_accepted_unrecorded: float = 0.0
    injected: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def roll(self, name: str) -> bool:
        p = float(getattr(self, name))
        if p and self.rng.random() < p:
            self.injected[name] += 1
            return True
        return False

    @classmethod
    def everything(cls, seed: int = 7, slack_accepted_unrecorded: float = 0.1) -> Faults:
        return cls(seed=seed, dynamodb_throttle=0.04, dynamodb_5xx=0.02, ses_throttle=0.08, ses_reject=0.02,
                   ses_5xx=0.04, s3_5xx=0.1, slack_429=0.08, slack_5xx=0.05, slack_timeout=0.03,
                   queue_redelivery=0.05, pipe_duplicate=0.05, pipe_loss=0.02, dead_letter=0.02,
                   slack_accepted_unrecorded=slack_accepted_unrecorded)


@dataclass
class CrashPoint:
    """Crash at the `nth` call matching `service`/`operation` (botocore names, or `slack` and the Web API
    method), `before` or `after` the call took effect."""

    service: str
    operation: str
    when: str = "before"
    nth: int = 1
    seen: int = 0
    fired: bool = False

    def matches(self, service: str, operation: str) -> bool:
        if self.fired or service != self.service or operation != self.operation:
            return False
        self.seen += 1
        if self.seen == self.nth:
            self.fired = True
            return True
        return False


def _error(status: int, headers: dict[str, str], body: str) -> tuple[int, dict[str, str], str]:
    return status, headers, body


def _fault_for(faults: Faults, service: str, operation: str) -> tuple[int, dict[str, str], str] | None:
    if service == "dynamodb":
        if faults.roll("dynamodb_throttle"):
            kind = faults.rng.choice(["ThrottlingException", "ProvisionedThroughputExceededException"])
            return _error(400, {"Content-Type": "application/x-amz-json-1.0"},
                          json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{kind}", "message": "slow down"}))
        if faults.roll("dynamodb_5xx"):
            return _error(500, {"Content-Type": "application/x-amz-json-1.0"},
                          json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                                      "message": "Internal server error"}))
    if service == "sesv2" and operation == "SendEmail":
        if faults.roll("ses_throttle"):
            return _error(429, {"x-amzn-ErrorType": "TooManyRequestsException"},
                          json.dumps({"message": "Maximum sending rate exceeded."}))
        if faults.roll("ses_reject"):
            return _error(400, {"x-amzn-ErrorType": "MessageRejected"},
                          json.dumps({"message": "Email address is on the account-level suppression list."}))
        if faults.roll("ses_5xx"):
            return _error(500, {"x-amzn-ErrorType": "InternalFailure"}, json.dumps({"message": "internal"}))
    if service == "s3" and faults.roll("s3_5xx"):
        code = faults.rng.choice(["SlowDown", "InternalError"])
        return _error(503 if code == "SlowDown" else 500, {},
                      f"<Error><Code>{code}</Code><Message>try again</Message></Error>")
    return None


class FaultySlack(SlackStandIn):
    """The stand-in, answering 429 (with Retry-After), 5xx, or stalling past the client's timeout on the
    calls that change something; a stalled call never took effect (the window where it did is tested on
    its own, see test_crash_points)."""

    faults: Faults | None = None
    stall_seconds: float = 0.5

    def handle(self, method_verb: str, path: str, query: str, headers: dict[str, str], body: bytes
               ) -> tuple[int, dict[str, str], dict[str, Any]]:
        method = path.removeprefix("/api/")
        faults = self.faults
        if faults is not None and method in ("chat.postMessage", "conversations.open", "conversations.history",
                                             "conversations.replies"):
            if faults.roll("slack_429"):
                return 429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}
            if faults.roll("slack_5xx"):
                return faults.rng.choice([500, 502, 503]), {}, {"ok": False, "error": "internal_error"}
            if faults.roll("slack_timeout"):
                time.sleep(self.stall_seconds)
                return 504, {}, {"ok": False, "error": "request_timeout"}
        return super().handle(method_verb, path, query, headers, body)


@dataclass
class World:
    stack: Any
    slack: FaultySlack
    faults: Faults
    dlq_urls: dict[str, str]
    crash: CrashPoint | None = None
    api_attempts: int = 0

    # The helpdesk side ------------------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
            query: dict[str, str] | None = None) -> tuple[int, Any]:
        from functions.api.handler import lambda_handler
        from local.apigw import http_api_event

        event = http_api_event(method, path, query=query,
                               headers={"content-type": "application/json", **(headers or {})},
                               body=json.dumps(body) if body is not None else None,
                               claims=agent_claims(name="Dana Agent"))
        self.api_attempts += 1
        response = lambda_handler(event, LambdaContextStub())
        text = response.get("body") or ""
        return response["statusCode"], json.loads(text) if text else None

    def accepted(self, method: str, path: str, body: Any, key: str, attempts: int = 20) -> dict[str, Any]:
        """What a well-behaved client does: retry a 5xx or a crash with the same Idempotency-Key."""
        for _ in range(attempts):
            try:
                status, answer = self.api(method, path, body, headers={"Idempotency-Key": key})
            except Crash:
                self.restart()
                continue
            if status == 201:
                return dict(answer)
            assert status >= 500 or status == 409, (status, answer)
        raise AssertionError(f"not accepted after {attempts} attempts")

    def start_email(self, body: str, key: str, to: str = "vendor@partner.example") -> dict[str, Any]:
        return self.accepted("POST", BASE, {"channel": "email", "subject": "Refund", "body": body,
                                            "to": [{"email": to, "name": "Vera Vendor"}]}, key)

    def start_slack(self, body: str, key: str, channel_id: str = "C0ONCALL") -> dict[str, Any]:
        return self.accepted("POST", BASE, {"channel": "slack", "subject": "Outage", "body": body,
                                            "slack": {"target": "channel", "channel_id": channel_id}}, key)

    def reply(self, side_conversation_id: str, body: str, key: str) -> dict[str, Any]:
        return self.accepted("POST", f"{BASE}/{side_conversation_id}/messages", {"body": body}, key)

    # The glue ----------------------------------------------------------------------------------

    @contextmanager
    def outbox_records_lost(self) -> Iterator[None]:
        """Meanwhile the outbox pipe reads the stream but never hands a record to the router (as when
        its retries ran out): only the re-drive can still send those messages."""
        targets = [pipe.target for pipe in self.stack._pipes]
        for pipe in self.stack._pipes:
            pipe.target = lambda records, context: {}
        try:
            yield
        finally:
            for pipe, target in zip(self.stack._pipes, targets, strict=True):
                pipe.target = target

    def pump(self, rounds: int = 400) -> None:
        """Run the glue until quiet; a Crash restarts the 'process' and goes on (redelivery)."""
        for _ in range(rounds):
            try:
                if self.stack.pump() == 0:
                    return
            except Crash:
                self.restart()

    def redrive(self, after_seconds: int = 0, give_up_seconds: int = 0) -> dict[str, int]:
        """One run of the schedule (time compressed: the deadline and the give-up age are seconds)."""
        from functions.redrive.handler import lambda_handler

        os.environ["REDRIVE_AFTER_SECONDS"] = str(after_seconds)
        os.environ["REDRIVE_GIVE_UP_SECONDS"] = str(give_up_seconds)
        cold_start()
        try:
            return dict(lambda_handler({"stream_arn": self.stack.resources.stream_arn}, LambdaContextStub()))
        finally:
            os.environ.pop("REDRIVE_AFTER_SECONDS", None)
            os.environ.pop("REDRIVE_GIVE_UP_SECONDS", None)
            cold_start()

    def settle(self, redrives: int = 6) -> None:
        """Drain; then, as the schedule would, re-drive what is still pending and drain again."""
        self.pump()
        for _ in range(redrives):
            if not self.pending():
                return
            self.redrive()
            self.pump()

    def restart(self) -> None:
        cold_start()

    # What happened ----------------------------------------------------------------------------

    def messages(self) -> list[dict[str, Any]]:
        """Every outbound message item (tests only: a Scan)."""
        import boto3

        client = boto3.client("dynamodb", region_name="us-east-1")
        items: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        with self.faults_off():
            while True:
                more = {"ExclusiveStartKey": start} if start else {}
                page = client.scan(TableName=TABLE, ConsistentRead=True, **more)
                items += [i for i in page["Items"] if i.get("kind", {}).get("S") == "message"
                          and i.get("direction", {}).get("S") == "outbound"]
                start = page.get("LastEvaluatedKey")
                if not start:
                    return items

    def pending(self) -> list[str]:
        return [m["id"]["S"] for m in self.messages() if m["delivery"]["M"]["status"]["S"] == "pending"]

    def ses_deliveries(self) -> Counter[str]:
        """Mail SES accepted, by our message id (the ULID in our own Message-ID, carried in References)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        counts: Counter[str] = Counter()
        for sent in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages:
            raw = getattr(sent, "raw_data", None)
            if raw is None:
                continue
            parsed = BytesParser(policy=policy.default).parsebytes(raw.encode("utf-8", "surrogateescape"))
            counts[_marker(parsed.get_body(("plain",)))] += 1
        return counts

    def slack_deliveries(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for message in self.slack.messages():
            counts[_marker_text(str(message.get("text") or ""))] += 1
        return counts

    def dead_letters(self) -> dict[str, int]:
        import boto3

        sqs = boto3.client("sqs", region_name="us-east-1")
        out = {}
        with self.faults_off():
            for channel, url in self.dlq_urls.items():
                attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
                out[channel] = int(attributes["ApproximateNumberOfMessages"]) + int(
                    attributes["ApproximateNumberOfMessagesNotVisible"])
        return out

    @contextmanager
    def faults_off(self) -> Iterator[None]:
        saved = {name: getattr(self.faults, name) for name in _FAULT_NAMES}
        for name in _FAULT_NAMES:
            setattr(self.faults, name, 0.0)
        try:
            yield
        finally:
            for name, value in saved.items():
                setattr(self.faults, name, value)


_FAULT_NAMES = ["dynamodb_throttle", "dynamodb_5xx", "ses_throttle", "ses_reject", "ses_5xx", "s3_5xx",
                "slack_429", "slack_5xx", "slack_timeout", "queue_redelivery", "pipe_duplicate", "pipe_loss",
                "dead_letter", "slack_accepted_unrecorded"]


def _marker_text(text: str) -> str:
    import re

    found = re.search(r"msg-[0-9a-z-]+", text)
    return found.group(0) if found else ""


def _marker(part: Any) -> str:
    return _marker_text(part.get_content() if part is not None else "")


def _service_and_operation(event_name: str) -> tuple[str, str]:
    # before-send.<service-id>.<Operation>
    _, service, operation = event_name.split(".", 2)
    return {"dynamodb": "dynamodb", "sesv2": "sesv2", "s3": "s3", "sqs": "sqs"}.get(service, service), operation


@contextmanager
def world(faults: Faults | None = None, crash: CrashPoint | None = None) -> Iterator[World]:
    """The service in one process, with `faults` and an optional `crash` point."""
    import botocore.endpoint
    from botocore.awsrequest import AWSResponse
    from moto import mock_aws
    from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse
    from sideconv.slack import client as slack_client
    from sideconv.slack import outbound
    from slack_sdk import WebClient

    from local import moto_dynamodb
    from local import slack as local_slack
    from local.stack import LocalStack

    faults = faults or Faults()
    # Every variable set from here on (queue URLs, the stand-in's installation) is undone on exit.
    environment = mock.patch.dict(os.environ, {"TABLE_NAME": TABLE, "SLACK_POST_INTERVAL_S": "0",
                                                # the self-hosting mode: the environment's installation
                                                "SLACK_SINGLE_WORKSPACE": "true"})
    environment.start()
    stand_in = FaultySlack(port=0, echo_own_posts=False)
    stand_in.faults = faults
    stand_in.start()
    # A stalled answer's client is gone by the time it is written: not worth a traceback.
    if stand_in._server is not None:
        stand_in._server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    # Transactions cost what they touch, as on the local stack (else quadratic in the run's length).
    moto_dynamodb.install()
    # Time compression: no retry sleeps, no re-queue delays, a short Slack client timeout.
    from sideconv import outcome

    saved = (botocore.endpoint.time, outbound.MAX_DELAY_SECONDS, slack_client.TIMEOUT_SECONDS,
             BotocoreStubber.__call__, WebClient.api_call, outcome.sleep)
    original_call = BotocoreStubber.__call__
    original_api_call = WebClient.api_call
    holder: dict[str, World] = {}

    def faulty_call(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        if not self.enabled:
            return None
        service, operation = _service_and_operation(event_name)
        current = holder.get("world")
        point = current.crash if current else None
        if point is not None and point.when == "before" and point.matches(service, operation):
            raise Crash(f"before {service}.{operation}")
        fault = _fault_for(faults, service, operation)
        if fault is not None:
            status, headers, body = fault
            return AWSResponse(request.url, status, headers, MockRawResponse(body))
        response = original_call(self, event_name, request, **kwargs)
        if point is not None and point.when == "after" and point.matches(service, operation):
            raise Crash(f"after {service}.{operation}")
        return response

    def slack_call(self: Any, api_method: str, **kwargs: Any) -> Any:
        current = holder.get("world")
        point = current.crash if current else None
        if point is not None and point.when == "before" and point.matches("slack", api_method):
            raise Crash(f"before slack {api_method}")
        answer = original_api_call(self, api_method, **kwargs)
        if point is not None and point.when == "after" and point.matches("slack", api_method):
            raise Crash(f"after slack {api_method}")
        if api_method == "chat.postMessage" and answer.get("ok") and faults.roll("slack_accepted_unrecorded"):
            raise Crash("slack accepted the post; its result was never recorded")
        return answer

    botocore.endpoint.time = _NoSleep()  # type: ignore[attr-defined]
    outbound.MAX_DELAY_SECONDS = 0
    slack_client.TIMEOUT_SECONDS = 0.25
    BotocoreStubber.__call__ = faulty_call  # type: ignore[method-assign]
    WebClient.api_call = slack_call  # type: ignore[method-assign]
    outcome.sleep = _NoSleep.sleep
    try:
        with mock_aws():
            cold_start()
            stack = LocalStack(_settings())
            dlqs = _dead_letter_queues(stack)
            os.environ["OUTBOX_EMAIL_QUEUE_URL"] = stack.resources.outbox_queue_urls["email"]
            os.environ["OUTBOX_SLACK_QUEUE_URL"] = stack.resources.outbox_queue_urls["slack"]
            local_slack._configure(stack, stand_in)
            cold_start()
            local_slack.register(stack)
            from functions.send_email.handler import lambda_handler as send_email

            stack.add_consumer("send_email", stack.resources.outbox_queue_urls["email"], send_email)
            _unreliable_glue(stack, faults, dlqs)
            current = World(stack, stand_in, faults, dlqs, crash)
            holder["world"] = current
            yield current
    finally:
        botocore.endpoint.time, outbound.MAX_DELAY_SECONDS, slack_client.TIMEOUT_SECONDS, \
            BotocoreStubber.__call__, WebClient.api_call, outcome.sleep = saved
        stand_in.stop()
        environment.stop()
        cold_start()


class _NoSleep:
    """botocore's view of the `time` module, without the retry back-off sleeps."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        return None


def _settings() -> Any:
    from sideconv.config import from_env

    return from_env()


def _dead_letter_queues(stack: Any) -> dict[str, str]:
    """What infra declares: each outbox queue redrives to a DLQ after MAX_RECEIVE_COUNT receives. The
    visibility timeout is 0 here (time compression): a failed record is back on the next pump."""
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    out = {}
    for channel, url in stack.resources.outbox_queue_urls.items():
        dlq = sqs.create_queue(QueueName=f"side-conversations-outbox-{channel}-dlq.fifo",
                               Attributes={"FifoQueue": "true"})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)})})
        out[channel] = dlq
    return out


def _unreliable_glue(stack: Any, faults: Faults, dlqs: dict[str, str]) -> None:
    """Queue redeliveries (an invocation's outcome lost: every record comes back), pipe duplicates
    (records handed to the router again: they are queued again under the same deduplication ids),
    records the pipe gave up on and records that ended in the dead-letter queue without a sender
    seeing them."""
    dlq_of = {url: dlqs[channel] for channel, url in stack.resources.outbox_queue_urls.items()}
    sqs = stack._sqs
    for consumer in stack._consumers:
        handler = consumer.handler
        dead_letters = dlq_of.get(consumer.queue_url)

        def lossy(event: dict[str, Any], context: Any, _handler: Callable[..., Any] = handler,
                  _dlq: str | None = dead_letters) -> Any:
            records = event["Records"]
            if _dlq is not None:
                moved = [r for r in records if faults.roll("dead_letter")]
                for record in moved:
                    sqs.send_message(QueueUrl=_dlq, MessageBody=record["body"],
                                     MessageGroupId=record["attributes"]["MessageGroupId"],
                                     MessageDeduplicationId=record["attributes"]["MessageDeduplicationId"])
                records = [r for r in records if r not in moved]
                if not records:
                    return {}
            result = _handler({**event, "Records": records}, context)
            if faults.roll("queue_redelivery"):
                return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records]}
            return result

        consumer.handler = lossy
    for pipe in stack._pipes:
        target = pipe.target

        def lossy_pipe(records: list[dict[str, Any]], context: Any, _target: Callable[..., Any] = target) -> Any:
            kept = [r for r in records if not faults.roll("pipe_loss")]
            answer = _target(kept, context)
            # Records handed over again (a retried batch): the router queues them under the same ids.
            again = [r for r in kept if faults.roll("pipe_duplicate")]
            if again:
                _target(again, context)
            return answer

        pipe.target = lossy_pipe
