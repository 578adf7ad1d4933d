"""Fixtures and factories for the e-mail tests: real handlers on embedded AWS, real MIME.

`email_world` drives the path a mail takes in AWS: the API records a message, the table stream
carries it (read from moto's stream, filtered as the pipe filters it) to `send_email` as an SQS
batch; a reply is stored raw in S3 as the receipt rule's S3 action does and `ingest_email` gets the
Lambda action's event.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from local.containers import cold_start
from tests.conftest import LambdaContextStub, agent_claims

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
CORPUS = ROOT / ".." / "shared" / "corpus"
CONVERSATION = "conv-1"
BASE = f"/v1/conversations/{CONVERSATION}/side-conversations"
ADMIN = agent_claims(sub="admin-1", role="admin", name="Ada Admin")


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def start_request(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "email",
        "subject": "Replacement part for order 1042",
        "body": "Hello,\n\ncould you ship a replacement part for order 1042?\n\nThanks",
        "to": [{"email": "vendor@partner.example", "name": "Vera Vendor"}],
        "cc": [{"email": "ops@partner.example", "name": "Partner Ops"}],
    }
    body.update(overrides)
    return body


class EmailWorld:
    def __init__(self, api: Any) -> None:
        import boto3
        from sideconv.config import from_env

        self.api = api
        self.settings = from_env()
        self._iterators: dict[str, str] = {}
        self._streams = boto3.client("dynamodbstreams", region_name=self.settings.region)
        self._s3 = boto3.client("s3", region_name=self.settings.region)
        table = boto3.client("dynamodb", region_name=self.settings.region).describe_table(
            TableName=self.settings.table_name)["Table"]
        self._stream_arn = table["LatestStreamArn"]

    # The API -------------------------------------------------------------------------------------

    def start(self, **overrides: Any) -> dict[str, Any]:
        status, _, body = self.api("POST", BASE, start_request(**overrides))
        assert status == 201, body
        return dict(body)

    def reply(self, side_conversation_id: str, text: str) -> dict[str, Any]:
        status, _, body = self.api("POST", f"{BASE}/{side_conversation_id}/messages", {"body": text})
        assert status == 201, body
        return dict(body)

    def thread(self, side_conversation_id: str) -> dict[str, Any]:
        status, _, body = self.api("GET", f"{BASE}/{side_conversation_id}")
        assert status == 200, body
        return dict(body)

    # Sending -------------------------------------------------------------------------------------

    def outbox_records(self) -> list[dict[str, Any]]:
        """New stream records the email pipe would pass (same filter as AWS and the local stack)."""
        from sideconv.store.schema import outbox_filter

        from local.pipes import matches

        out = []
        description = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]
        for shard in description["Shards"]:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._streams.get_shard_iterator(
                    StreamArn=self._stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            page = self._streams.get_records(ShardIterator=self._iterators[shard_id], Limit=1000)
            self._iterators[shard_id] = page["NextShardIterator"]
            for record in page["Records"]:
                record = {**record, "eventSourceARN": self._stream_arn, "awsRegion": self.settings.region}
                if matches(outbox_filter("email"), record):
                    out.append(record)
        return out

    def sqs_event(self, records: list[dict[str, Any]], receive_count: int = 1) -> dict[str, Any]:
        template = load_event("outbox_email_insert.json")["Records"][0]
        event_records = []
        for record in records:
            image = record["dynamodb"]["NewImage"]
            sqs = copy.deepcopy(template)
            sqs["messageId"] = str(uuid.uuid4())
            sqs["body"] = json.dumps(record, default=str)
            sqs["attributes"]["ApproximateReceiveCount"] = str(receive_count)
            sqs["attributes"]["MessageGroupId"] = image["side_conversation_id"]["S"]
            sqs["attributes"]["MessageDeduplicationId"] = image["id"]["S"]
            event_records.append(sqs)
        return {"Records": event_records}

    def send(self, records: list[dict[str, Any]] | None = None, receive_count: int = 1) -> dict[str, Any]:
        from functions.send_email.handler import lambda_handler

        event = self.sqs_event(self.outbox_records() if records is None else records, receive_count)
        return dict(lambda_handler(event, LambdaContextStub()))

    def sent(self, limit: int | None = None) -> list[dict[str, Any]]:
        """What SES sent, newest first, as on the wire (the local stack's /_local/mail view)."""
        from local.email import sent_mail

        return sent_mail(self.settings, limit=limit)

    # Receiving -----------------------------------------------------------------------------------

    def deliver(self, raw: bytes, recipients: list[str], *, ses_message_id: str | None = None,
                verdicts: dict[str, str] | None = None, dmarc_policy: str | None = None) -> dict[str, Any]:
        """What SES receiving does: store the raw mail (S3 action), then invoke ingest_email."""
        from functions.ingest_email.handler import lambda_handler
        from local.email import receipt_event
        from local.email import ses_message_id as new_ses_id

        message_id = ses_message_id or new_ses_id()
        key = f"{self.settings.raw_mail_prefix}{message_id}"
        self._s3.put_object(Bucket=self.settings.received_mail_bucket, Key=key, Body=raw)
        event = receipt_event(raw, message_id=message_id, recipients=recipients, mail_from="sender@partner.example",
                              verdicts=verdicts, dmarc_policy=dmarc_policy)
        result = dict(lambda_handler(event, LambdaContextStub()))
        return dict(result["results"][0])


@pytest.fixture(name="email_world")
def email_world_fixture(api: Any) -> Iterator[EmailWorld]:
    """Import it into a test module (`email_world_fixture`) to use `email_world`."""
    cold_start()
    yield EmailWorld(api)
    cold_start()


class ApiClient:
    """The real API handler called with API Gateway HTTP API events (as conftest's `api`)."""

    def __call__(self, method: str, path: str, body: Any = None, *, claims: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
        from functions.api.handler import lambda_handler
        from local.apigw import http_api_event

        event = http_api_event(method, path, headers={"content-type": "application/json", **(headers or {})},
                               body=json.dumps(body) if body is not None else None,
                               claims=agent_claims() if claims is None else claims)
        response = lambda_handler(event, LambdaContextStub())
        text = response.get("body") or ""
        return response["statusCode"], response.get("headers", {}), json.loads(text) if text else None


@pytest.fixture(scope="module", name="shared_email_world")
def shared_email_world_fixture() -> Iterator[EmailWorld]:
    """One embedded AWS for a whole module whose tests each use their own side conversation: the
    corpus suite runs a case per mail, and setting AWS up again for each would be most of its time."""
    import os

    from moto import mock_aws
    from sideconv.config import from_env

    from local.aws import create_resources

    with mock.patch.dict(os.environ, {"TABLE_NAME": "side-conversations-email-module"}), mock_aws():
        cold_start()
        create_resources(from_env())
        yield EmailWorld(ApiClient())
    cold_start()


def reply_mail(*, to: str, text: str = "Sure, shipping it tomorrow.",
               quote: str = "> could you ship a replacement part for order 1042?",
               sender: str = "Vera Vendor <vendor@partner.example>", subject: str = "Re: Replacement part",
               in_reply_to: str | None = None, references: str | None = None, cc: str | None = None,
               extra_headers: dict[str, str] | None = None, message_id: str | None = None) -> bytes:
    """A Gmail-shaped reply: new text, attribution line, quoted original."""
    msg = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@mail.partner.example>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (extra_headers or {}).items():
        msg[name] = value
    msg.set_content(f"{text}\n\nOn Fri, Nov 27, 2026 at 12:00 PM Dana via Atender Support "
                    f"<support@example.com> wrote:\n\n{quote}\n")
    return msg.as_bytes()


def parse_raw(raw: str) -> EmailMessage:
    # As a mail client stores it: the wire's CRLF line ends become LF.
    data = raw.replace("\r\n", "\n").encode("utf-8", "surrogateescape")
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message
