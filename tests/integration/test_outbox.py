"""The outbox hand-off: a recorded outbound message reaches its channel's queue, once, in order."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

from tests.factories import email_request, path, slack_request


def _received(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    out = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                    AttributeNames=["All"]).get("Messages", [])
        if not batch:
            return out
        for message in batch:
            out.append(message)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_each_outbound_message_reaches_its_channels_queue(api: Any, stack: Any) -> None:
    # Given an email and a Slack side conversation, each with a reply
    email = api("POST", path(), email_request())[2]
    slack = api("POST", path(), slack_request("user"))[2]
    api("POST", path("conv-1", email["id"], "messages"), {"body": "email reply"})
    api("POST", path("conv-1", slack["id"], "messages"), {"body": "slack reply"})
    # When the stream is relayed
    stack.pump()
    # Then each queue holds its channel's messages, grouped by side conversation, deduplicated by id
    email_queue = _received(stack.resources.outbox_queue_urls["email"])
    slack_queue = _received(stack.resources.outbox_queue_urls["slack"])
    for queue, side in ((email_queue, email), (slack_queue, slack)):
        records = [json.loads(m["Body"]) for m in queue]
        assert [r["dynamodb"]["NewImage"]["side_conversation_id"]["S"] for r in records] == [side["id"]] * 2
        assert {m["Attributes"]["MessageGroupId"] for m in queue} == {side["id"]}
        assert [m["Attributes"]["MessageDeduplicationId"] for m in queue] == \
            [r["dynamodb"]["NewImage"]["id"]["S"] for r in records]
        assert records[0]["dynamodb"]["NewImage"]["delivery"]["M"]["status"]["S"] == "pending"
        assert records[0]["eventName"] == "INSERT"


def test_summaries_closes_and_replays_are_not_handed_off(api: Any, stack: Any) -> None:
    headers = {"Idempotency-Key": "k-1"}
    created = api("POST", path(), email_request(), headers=headers)[2]
    api("POST", path(), email_request(), headers=headers)  # replay: no new message
    api("PATCH", path("conv-1", created["id"]), {"state": "closed"})
    stack.pump()
    queued = _received(stack.resources.outbox_queue_urls["email"])
    assert len(queued) == 1
    assert _received(stack.resources.outbox_queue_urls["slack"]) == []


def test_a_record_relayed_twice_is_queued_once(api: Any, stack: Any) -> None:
    api("POST", path(), email_request())
    stack.pump()
    stack._shard_iterators.clear()  # a relay that restarts from the trim horizon sends everything again
    stack.pump()
    assert len(_received(stack.resources.outbox_queue_urls["email"])) == 1


def test_consumers_get_sqs_batches_and_failed_items_stay_queued(api: Any, stack: Any) -> None:
    batches: list[list[str]] = []

    def consumer(event: dict[str, Any], _: Any) -> dict[str, Any]:
        ids = [r["messageId"] for r in event["Records"]]
        batches.append(ids)
        assert all(r["eventSource"] == "aws:sqs" for r in event["Records"])
        # Fail the first delivery of everything: Lambda's partial batch response.
        return {"batchItemFailures": [{"itemIdentifier": i} for i in ids]} if len(batches) == 1 else {}

    queue = stack.resources.outbox_queue_urls["email"]
    boto3.client("sqs").set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": "0"})
    stack.add_consumer("send_email", queue, consumer)
    api("POST", path(), email_request())
    stack.drain()
    assert len(batches) == 2
    assert batches[0] == batches[1]
    assert _received(queue) == []


def test_the_table_definition_streams_for_the_pipes() -> None:
    from sideconv.store.schema import table_definition

    spec = table_definition(os.environ.get("TABLE_NAME", "t"))["StreamSpecification"]
    assert spec == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
