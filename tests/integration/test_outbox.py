"""The outbox hand-off: a recorded outbound message reaches its channel's queue through the one pipe and
the router (functions/route_outbox), once, in order."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

from tests.conftest import LambdaContextStub
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


def test_the_table_definition_streams_for_the_pipe() -> None:
    from sideconv.store.schema import table_definition

    spec = table_definition(os.environ.get("TABLE_NAME", "t"))["StreamSpecification"]
    assert spec == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


# The router (functions/route_outbox, sideconv.outbox): what the one outbox pipe hands over --------------


def _record(channel: str, group: str, message_id: str, event_id: str) -> dict[str, Any]:
    image = {"kind": {"S": "message"}, "direction": {"S": "outbound"}, "channel": {"S": channel},
             "side_conversation_id": {"S": group}, "id": {"S": message_id},
             "delivery": {"M": {"status": {"S": "pending"}}}}
    return {"eventID": event_id, "eventName": "INSERT", "eventSource": "aws:dynamodb",
            "dynamodb": {"NewImage": image, "SequenceNumber": event_id}}


def _sends(client: Any) -> list[str]:
    """Every SQS operation the client makes from now on."""
    calls: list[str] = []
    client.meta.events.register("before-call.sqs.*", lambda model, **_: calls.append(model.name))
    return calls


class _FailingEntries:
    """The real (embedded) SQS, except that the named messages fail in SendMessageBatch, as a throttled
    or internally failed entry does."""

    def __init__(self, sqs: Any, fail: set[str]) -> None:
        self._sqs, self._fail = sqs, fail

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        kept = [e for e in Entries if e["MessageDeduplicationId"] not in self._fail]
        answer = self._sqs.send_message_batch(QueueUrl=QueueUrl, Entries=kept) if kept else {}
        failed = [{"Id": e["Id"], "Code": "InternalError", "SenderFault": False} for e in Entries
                  if e["MessageDeduplicationId"] in self._fail]
        return {"Successful": answer.get("Successful", []), "Failed": failed}


def test_the_sample_pipe_batch_is_routed_to_each_channels_queue(stack: Any) -> None:
    from functions.route_outbox.handler import _sqs, lambda_handler, wiring
    from tests.email_support import load_event

    # Given the batch the pipe passes (a JSON array of stream records, both channels)
    batch = load_event("route_outbox_batch.json")
    calls = _sends(_sqs(wiring))
    # When the router gets it
    answer = lambda_handler(batch, LambdaContextStub())
    # Then nothing is to be retried, each message is on its channel's queue, one batch request each
    assert answer == {"batchItemFailures": []}
    assert calls == ["SendMessageBatch", "SendMessageBatch"]
    for record in batch:
        image = record["dynamodb"]["NewImage"]
        (queued,) = _received(stack.resources.outbox_queue_urls[image["channel"]["S"]])
        assert json.loads(queued["Body"]) == record
        assert queued["Attributes"]["MessageGroupId"] == image["side_conversation_id"]["S"]
        assert queued["Attributes"]["MessageDeduplicationId"] == image["id"]["S"]


def test_the_local_pipe_hands_the_records_to_the_real_router_in_batches(api: Any, stack: Any) -> None:
    from functions.route_outbox.handler import _sqs, lambda_handler, wiring

    (pipe,) = stack._pipes
    assert pipe.target is lambda_handler
    calls = _sends(_sqs(wiring))
    # Given twelve side conversations started before the stream is relayed
    for _ in range(12):
        api("POST", path(), email_request())
    stack.pump()
    # Then the pipe's batches of ten became two SendMessageBatch requests, and every message is queued
    assert calls == ["SendMessageBatch", "SendMessageBatch"]
    assert len(_received(stack.resources.outbox_queue_urls["email"])) == 12


def test_a_failed_entry_is_retried_and_nothing_of_its_thread_overtakes_it(stack: Any) -> None:
    from sideconv.outbox import route

    urls = stack.resources.outbox_queue_urls
    sqs = boto3.client("sqs")
    # Given two messages of one thread and one of another; the thread's first fails once
    records = [_record("email", "email-A", "m1", "1"), _record("email", "email-A", "m2", "2"),
               _record("email", "email-B", "m3", "3"), _record("slack", "slack-C", "m4", "4")]
    failed = route(records, _FailingEntries(sqs, {"m1"}), urls)
    # Then it and everything of its channel after it are reported; the other channel is queued
    assert failed == ["1", "2", "3"]
    assert [json.loads(m["Body"])["eventID"] for m in _received(urls["slack"])] == ["4"]
    # When the pipe retries from the first failed record, Then the thread is queued in order, once each
    assert route(records[failed.index("1"):], sqs, urls) == []
    queued = _received(urls["email"])
    by_group: dict[str, list[str]] = {}
    for message in queued:
        by_group.setdefault(message["Attributes"]["MessageGroupId"], []).append(
            message["Attributes"]["MessageDeduplicationId"])
    assert by_group == {"email-A": ["m1", "m2"], "email-B": ["m3"]}


def test_a_retried_batch_queues_what_was_sent_already_once(stack: Any) -> None:
    from sideconv.outbox import route

    urls = stack.resources.outbox_queue_urls
    sqs = boto3.client("sqs")
    records = [_record("email", f"email-{n}", f"m{n}", str(n)) for n in range(3)]
    # Given the middle one of three threads' messages fails in one batch
    assert route(records, _FailingEntries(sqs, {"m1"}), urls) == ["1"]
    # When the pipe retries from it (the one after it was sent already)
    assert route(records[1:], sqs, urls) == []
    # Then each message is queued once
    assert sorted(m["Attributes"]["MessageDeduplicationId"] for m in _received(urls["email"])) == ["m0", "m1", "m2"]


def test_a_channel_without_a_queue_stays_on_the_stream(stack: Any) -> None:
    from sideconv.outbox import route

    urls = stack.resources.outbox_queue_urls
    records = [_record("sms", "sms-A", "m1", "1"), _record("email", "email-A", "m2", "2")]
    assert route(records, boto3.client("sqs"), urls) == ["1"]
    assert len(_received(urls["email"])) == 1
