"""Events on EventBridge from the table stream: one per change, even when the stream redelivers."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from sideconv import helpdesk_events

from tests.conftest import LambdaContextStub
from tests.factories import email_request, path, slack_request
from tests.integration.test_helpdesk_integration import receive

FORBIDDEN_WORDS = ("answered", "engagement", "customer_replied", "solved")


@pytest.fixture
def published(stack: Any) -> Any:
    """Runs the real publish_events handler on the stream; returns a reader of what reached the bus."""
    from sideconv.store.schema import events_filter

    from functions.publish_events.handler import lambda_handler

    batches: list[dict[str, Any]] = []

    def recording_handler(event: dict[str, Any], context: Any) -> Any:
        batches.append(event)
        return lambda_handler(event, context)

    stack.add_stream_consumer("publish_events", recording_handler, events_filter())
    sqs = boto3.client("sqs")
    seen: list[dict[str, Any]] = []

    def read() -> list[dict[str, Any]]:
        stack.drain()
        while True:
            batch = sqs.receive_message(QueueUrl=stack.resources.events_capture_queue_url,
                                        MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return seen
            for message in batch:
                seen.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=stack.resources.events_capture_queue_url,
                                   ReceiptHandle=message["ReceiptHandle"])

    read.batches = batches  # type: ignore[attr-defined]
    return read


def test_each_change_publishes_its_event(api: Any, published: Any) -> None:
    side = api("POST", path(), email_request())[2]
    receive(side, "Approved, go ahead.")
    api("PATCH", path("conv-1", side["id"]), {"state": "closed"})
    api("PATCH", path("conv-1", side["id"]), {"state": "open"})
    out = published()
    waiting = (helpdesk_events.WAITING_STARTED, helpdesk_events.WAITING_ENDED)
    assert [e["detail-type"] for e in out if e["detail-type"] not in waiting] == [
        helpdesk_events.CREATED, helpdesk_events.RECEIVED, helpdesk_events.CLOSED, helpdesk_events.REOPENED]
    # The vendor had the ball from the start until their reply: one wait, in order.
    assert [e["detail-type"] for e in out if e["detail-type"] in waiting] == list(waiting)
    for event in out:
        assert event["source"] == helpdesk_events.SOURCE
        detail = event["detail"]
        assert (detail["account_id"], detail["conversation_id"], detail["side_conversation_id"]) == \
            ("acme", "conv-1", side["id"])
        assert detail["event_id"]
    received = next(e for e in out if e["detail-type"] == helpdesk_events.RECEIVED)["detail"]
    assert received["channel"] == "email"
    assert received["author"]["email"] == "finance@vendor.example"
    assert received["preview"] == "Approved, go ahead."
    assert received["message_id"]


def test_delivery_outcomes_publish_sent_failed_bounced(api: Any, published: Any) -> None:
    from sideconv import keys
    from sideconv.store.models import MessageItem

    side = api("POST", path(), slack_request())[2]
    message_id = side["messages"][0]["id"]
    item = MessageItem.get(keys.conversation_pk("acme", "conv-1"), keys.message_sk(side["id"], message_id))
    for status, detail in (("sent", None), ("failed", "channel_not_found")):
        item.update([MessageItem.delivery.status.set(status), MessageItem.delivery.detail.set(detail)])
    kinds = [e["detail-type"] for e in published()]
    assert kinds == [helpdesk_events.CREATED, helpdesk_events.WAITING_STARTED, helpdesk_events.SENT,
                     helpdesk_events.FAILED]
    assert published()[-1]["detail"]["detail"] == "channel_not_found"


def test_a_redelivered_stream_batch_publishes_nothing_twice(api: Any, published: Any) -> None:
    from functions.publish_events.handler import lambda_handler

    api("POST", path(), email_request())
    first = list(published())
    assert [e["detail-type"] for e in first] == [helpdesk_events.CREATED, helpdesk_events.WAITING_STARTED]
    assert first[1]["detail"]["event_id"] == first[0]["detail"]["event_id"] + ":1"
    for batch in published.batches:  # the stream hands the same records again
        assert lambda_handler(batch, LambdaContextStub()) == {"batchItemFailures": []}
    assert published() == first


def test_bodies_never_leave_beyond_a_preview_and_nothing_says_the_customer_was_answered(
        api: Any, published: Any) -> None:
    long_text = "word " * 500
    side = api("POST", path(), email_request(body=long_text))[2]
    receive(side, long_text)
    for event in published():
        text = json.dumps(event)
        assert long_text.strip() not in text
        assert not any(word in text.lower() for word in FORBIDDEN_WORDS), event
        preview = event["detail"].get("preview")
        assert preview is None or len(preview) <= helpdesk_events.PREVIEW_LENGTH


def test_publishing_failure_is_reported_for_retry(api: Any, stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from sideconv import publishing

    from functions.publish_events import handler

    class Refusing:
        def put_events(self, **_: Any) -> dict[str, Any]:
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "x"}]}

    from sideconv.wiring import Wiring

    wiring = Wiring.from_env()  # a container whose EventBridge refuses
    wiring.provide(publishing.eventbridge, Refusing())
    monkeypatch.setattr(handler, "wiring", wiring)
    api("POST", path(), email_request())
    batches: list[Any] = []
    stack.add_stream_consumer("publish_events",
                              lambda e, c: batches.append(handler.lambda_handler(e, c)) or batches[-1],
                              {"eventName": ["INSERT"]})
    stack.pump()
    assert batches, "the stream consumer ran"
    assert batches[0]["batchItemFailures"], "the failed record must be reported for retry"


def test_every_event_matches_its_documented_schema(api: Any, published: Any) -> None:
    from local.event_schemas import DOCS, MODELS, file_name, schemas

    for name, schema in schemas().items():
        drift = f"docs/events/{name} drifted: run python -m local.event_schemas"
        assert json.loads((DOCS / name).read_text()) == schema, drift
    side = api("POST", path(), email_request())[2]
    receive(side)
    api("PATCH", path("conv-1", side["id"]), {"state": "closed"})
    out = published()
    assert [e["detail-type"] for e in out] == [helpdesk_events.CREATED, helpdesk_events.WAITING_STARTED,
                                                helpdesk_events.RECEIVED, helpdesk_events.WAITING_ENDED,
                                                helpdesk_events.CLOSED]
    for event in out:
        MODELS[event["detail-type"]].model_validate(event["detail"])
        assert (DOCS / file_name(event["detail-type"])).exists()
