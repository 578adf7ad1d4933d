"""Sending: the real API, the outbox relay and the real send_slack handler against embedded AWS, and
slack_sdk over HTTP to the Web API stand-in."""

from __future__ import annotations

import json

import boto3
import pytest
from sideconv import keys

from tests.slack_support import CONVERSATION, batch_sender, counting_aws_requests, slack_world

pytestmark = pytest.mark.xdist_group("slack")


def _sent(world, sc_id: str) -> bool:  # type: ignore[no-untyped-def]
    messages = world.get(sc_id)["messages"]
    return all(m["delivery"]["status"] != "pending" for m in messages if m["direction"] == "outbound")


def test_root_post_to_a_channel_records_thread_and_permalink() -> None:
    with slack_world(env={"CONVERSATION_URL_TEMPLATE":
                          "https://app.atender.example/{account_id}/conversations/{conversation_id}"}) as world:
        # Given an agent starts a Slack side conversation to the on-call channel
        created = world.start("channel", channel_id="C0ONCALL", subject="Refund stuck",
                              body="Order 42 was charged twice")
        # When the outbox is relayed to the sender
        world.drain()
        # Then the root post is in the channel, under the agent's name, with subject, text and link
        [root] = world.slack.messages("C0ONCALL")
        assert root["thread_ts"] is None
        assert root["username"] == "Dana Agent"
        assert root["text"].startswith("*Refund stuck*\n\nOrder 42 was charged twice")
        assert "<https://app.atender.example/acme/conversations/conv-1|Open the conversation>" in root["text"]
        # And the side conversation knows its thread and permalink, and the message is sent
        found = world.get(created["id"])
        assert found["slack"]["channel_id"] == "C0ONCALL"
        assert found["slack"]["thread_ts"] == root["ts"]
        assert found["slack"]["permalink"] == \
            f"https://atender-local.slack.com/archives/C0ONCALL/p{root['ts'].replace('.', '')}"
        assert found["messages"][0]["delivery"]["status"] == "sent"
        # And a reply in that thread can be routed back: the thread lookup exists
        ref = keys.slack_thread_ref(world.slack.installation.team_id, "C0ONCALL", root["ts"])
        assert any(item["pk"]["S"] == ref for item in world.items())


def test_user_target_opens_a_dm_and_group_target_a_group_dm() -> None:
    with slack_world() as world:
        # Given a side conversation to one person and one to three people
        dm = world.start("user", user_ids=["U0ALICE"], subject=None, body="Quick question")
        group = world.start("group", user_ids=["U0ALICE", "U0BOB", "U0CAROL"], body="Group question")
        # When both are sent
        world.drain()
        # Then conversations.open was called with those users, and the roots went to the DM and group DM
        opened = [call["users"] for call in world.slack.calls_of("conversations.open")]
        assert opened == ["U0ALICE", "U0ALICE,U0BOB,U0CAROL"]
        dm_channel = world.get(dm["id"])["slack"]["channel_id"]
        group_channel = world.get(group["id"])["slack"]["channel_id"]
        assert dm_channel.startswith("D")
        assert group_channel.startswith("G")
        assert [m["text"].split("\n")[0] for m in world.slack.messages(dm_channel)] == ["Quick question"]
        assert len(world.slack.messages(group_channel)) == 1


def test_a_group_of_nine_is_refused_at_create_time() -> None:
    with slack_world() as world:
        nine = ["U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0ERIN", "U0FRANK", "U0GRACE", "U0HEIDI", "U0IVAN"]
        # When an agent asks for a group DM with nine people
        status, problem = world.api("POST", f"/v1/conversations/{CONVERSATION}/side-conversations",
                                    {"channel": "slack", "body": "hi", "slack": {"target": "group",
                                                                                 "user_ids": nine}})
        # Then it is a 422 and nothing reaches Slack
        assert status == 422, problem
        world.drain()
        assert world.slack.messages() == []


def test_replies_go_in_the_thread_under_the_agents_name_in_order_and_escaped() -> None:
    with slack_world() as world:
        created = world.start("channel", channel_id="C0GENERAL")
        world.drain()
        root_ts = world.get(created["id"])["slack"]["thread_ts"]
        # When the agent replies three times, once typing Slack control sequences
        world.reply(created["id"], "first")
        world.reply(created["id"], "ping <!channel> <!here> <@U0BOB> & <#C0GENERAL>")
        world.reply(created["id"], "third")
        world.drain()
        # Then the replies are in the thread, in order, under the agent's name, and inert
        replies = [m for m in world.slack.messages("C0GENERAL") if m["thread_ts"] == root_ts]
        assert [m["username"] for m in replies] == ["Dana Agent"] * 3
        assert [m["text"] for m in replies] == [
            "first", "ping &lt;!channel&gt; &lt;!here&gt; &lt;@U0BOB&gt; &amp; &lt;#C0GENERAL&gt;", "third"]
        # And Slack was asked not to link names either
        assert all(call.get("link_names") is False for call in world.slack.calls_of("chat.postMessage"))
        statuses = [m["delivery"]["status"] for m in world.get(created["id"])["messages"]]
        assert statuses == ["sent"] * 4


@pytest.mark.parametrize(("target", "kwargs", "code"), [
    ("channel", {"channel_id": "C0PRIVATE"}, "not_in_channel"),
    ("channel", {"channel_id": "C0NOSUCH"}, "channel_not_found"),
    ("user", {"user_ids": ["U0GHOST"]}, "user_not_found"),
])
def test_ok_false_ends_the_message_failed_with_slacks_code(target: str, kwargs: dict, code: str) -> None:
    with slack_world() as world:
        created = world.start(target, **kwargs)
        # When Slack answers ok: false
        world.drain()
        # Then the message is failed with Slack's error code, and not retried
        [message] = world.get(created["id"])["messages"]
        assert message["delivery"]["status"] == "failed"
        assert message["delivery"]["detail"] == code
        assert world.get(created["id"])["slack"]["thread_ts"] is None


def test_429_is_retried_after_retry_after_and_then_sent() -> None:
    with slack_world() as world:
        # Given Slack rate-limits the first post with Retry-After: 1
        world.slack.fail_next("chat.postMessage", status=429, retry_after=1)
        created = world.start("channel", channel_id="C0ONCALL")
        # When the sender runs: the message is held (visibility = Retry-After), not slept on
        world.drain()
        assert world.get(created["id"])["messages"][0]["delivery"]["status"] == "pending"
        assert world.slack.messages() == []
        # Then after Retry-After it goes out once
        world.drain(until=lambda: _sent(world, created["id"]), timeout=5)
        assert world.get(created["id"])["messages"][0]["delivery"]["status"] == "sent"
        assert len(world.slack.messages("C0ONCALL")) == 1
        assert world.slack.rate_limited == 1


def test_5xx_is_retried_with_backoff_then_sent() -> None:
    with slack_world() as world:
        world.slack.fail_next("chat.postMessage", status=503)
        created = world.start("channel", channel_id="C0ONCALL")
        world.drain()
        assert world.get(created["id"])["messages"][0]["delivery"]["status"] == "pending"
        # The first backoff is 2 s (2 ** receive count)
        world.drain(until=lambda: _sent(world, created["id"]), timeout=6)
        assert world.get(created["id"])["messages"][0]["delivery"]["status"] == "sent"


def test_5xx_on_the_last_allowed_receive_ends_failed_with_a_reason() -> None:
    from sideconv.slack import outbound

    with slack_world() as world:
        created = world.start("channel", channel_id="C0ONCALL")
        world.stack._relay_stream()  # the outbox record, as the pipe would queue it
        record = _outbox_record(world)
        world.slack.fail_next("chat.postMessage", status=500)
        # When the message has already been received the maximum number of times
        outcome = batch_sender().deliver(record, receive_count=outbound.MAX_TRANSIENT_RECEIVES)
        # Then it ends failed, with the reason
        assert outcome == "failed"
        delivery = world.get(created["id"])["messages"][0]["delivery"]
        assert delivery["status"] == "failed"
        assert delivery["detail"].startswith("slack_unavailable: HTTP 500 internal_error")


def test_a_timeout_is_retried_not_failed() -> None:
    from sideconv.slack import outbound

    with slack_world() as world:
        world.start("channel", channel_id="C0ONCALL")
        world.stack._relay_stream()
        record = _outbox_record(world)
        world.slack.fail_next("chat.postMessage", delay=6)  # longer than the client's 5 s timeout
        with pytest.raises(outbound.RetryLater) as held:
            batch_sender().deliver(record, receive_count=1)
        assert "timed out" in held.value.reason.lower()
        assert held.value.delay == 2


def test_a_redelivered_message_already_sent_is_not_posted_again() -> None:

    with slack_world() as world:
        world.start("channel", channel_id="C0ONCALL")
        world.stack._relay_stream()
        record = _outbox_record(world)
        # When the same outbox record is delivered twice (SQS at-least-once)
        assert batch_sender().deliver(record) == "sent"
        assert batch_sender().deliver(record) == "skipped"
        # Then Slack got one post
        assert len(world.slack.messages("C0ONCALL")) == 1


def test_a_burst_of_twenty_replies_arrives_in_order_without_a_storm_of_429s() -> None:
    # Slack's ~1 message/s per channel, scaled down 20x: the stand-in refuses posts closer than 50 ms
    with slack_world(post_interval=0.05, stand_in_interval=0.05) as world:
        created = world.start("channel", channel_id="C0BILLING", body="root")
        for n in range(20):
            world.reply(created["id"], f"reply {n:02d}")
        world.drain(until=lambda: _sent(world, created["id"]), timeout=30)
        texts = [m["text"] for m in world.slack.messages("C0BILLING")][1:]
        assert texts == [f"reply {n:02d}" for n in range(20)]
        assert world.slack.rate_limited <= 1


def test_each_message_costs_one_read_and_one_write() -> None:

    with slack_world() as world:
        created = world.start("channel", channel_id="C0ONCALL")
        world.stack._relay_stream()
        root = _outbox_record(world)
        with counting_aws_requests() as counter:
            batch_sender().deliver(root)
        root_calls = counter.of("dynamodb")
        world.reply(created["id"], "second")
        world.stack._relay_stream()
        reply = _outbox_record(world)
        with counting_aws_requests() as counter:
            batch_sender().deliver(reply)
        assert root_calls == ["BatchGetItem", "TransactWriteItems"]
        assert counter.of("dynamodb") == ["BatchGetItem", "UpdateItem"]


def _outbox_record(world) -> dict:  # type: ignore[no-untyped-def]
    """Take the next outbox record off the Slack queue (what the sender's event would carry)."""
    import json

    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = world.stack.resources.outbox_queue_urls["slack"]
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return json.loads(message["Body"])


def test_a_held_message_holds_the_rest_of_its_thread_for_the_same_time_only() -> None:
    import boto3

    from functions.send_slack.handler import lambda_handler
    from local.stack import _sqs_record
    from tests.conftest import LambdaContextStub

    with slack_world() as world:
        created = world.start("channel", channel_id="C0ONCALL")
        world.reply(created["id"], "second")
        world.reply(created["id"], "third")
        world.stack._relay_stream()
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = world.stack.resources.outbox_queue_urls["slack"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
        assert len(received) == 3
        # Given Slack rate-limits the root with Retry-After: 1
        world.slack.fail_next("chat.postMessage", status=429, retry_after=1)
        # When the batch of the thread's three messages is handled
        with counting_aws_requests() as counter:
            result = lambda_handler({"Records": [_sqs_record(m, arn, "us-east-1") for m in received]},
                                    LambdaContextStub())
        # Then all three are batch failures (order holds) and nothing was posted, without failing the
        # invocation...
        assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [m["MessageId"] for m in received]
        assert world.slack.messages() == []
        # ...and all three come back after Retry-After, not after the queue's 60 s visibility timeout
        held = counter.params_of("ChangeMessageVisibility")
        assert sorted(p["ReceiptHandle"] for p in held) == sorted(m["ReceiptHandle"] for m in received)
        assert {p["VisibilityTimeout"] for p in held} == {1}


def test_a_dm_root_posted_but_not_recorded_is_found_on_the_next_receive(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError
    from sideconv import outcome
    from sideconv.slack.store import SlackStore

    real = SlackStore.mark_root_sent
    refused: list[str] = []

    def refuse_once(self: SlackStore, *args: object, **kwargs: object) -> None:
        if not refused:
            refused.append("refused")
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "x"}}, "TransactWriteItems")
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SlackStore, "mark_root_sent", refuse_once)
    monkeypatch.setattr(outcome, "DELAYS", ())  # DynamoDB refuses past every retry of the invocation
    with slack_world() as world:
        # Given a DM root Slack took, whose result write was refused
        created = world.start("user", user_ids=["U0ALICE"], subject=None, body="Quick question")
        # When the queue gives it back and it is received again
        world.drain(until=lambda: _sent(world, created["id"]), timeout=15)
        # Then the sender looked in the DM, found its own post by the metadata, and recorded it: one post
        assert refused == ["refused"]
        found = world.get(created["id"])
        [post] = world.slack.messages(found["slack"]["channel_id"])
        assert found["slack"]["thread_ts"] == post["ts"]
        assert found["messages"][0]["delivery"]["status"] == "sent"
        assert len(world.slack.calls_of("chat.postMessage")) == 1
        [look] = world.slack.calls_of("conversations.history")
        assert look["channel"] == found["slack"]["channel_id"]
        assert look["include_all_metadata"] in ("1", "true", True)
        assert float(look["oldest"]) <= float(post["ts"])


def test_a_look_that_cannot_answer_does_not_end_the_message_failed_early() -> None:
    from sideconv.slack import outbound

    with slack_world() as world:
        # Given a root whose earlier attempt may have reached Slack, and Slack failing the look
        created = world.start("channel", channel_id="C0ONCALL", body="Is the fix out?")
        world.stack._relay_stream()
        sqs = boto3.client("sqs", region_name="us-east-1")
        [queued] = sqs.receive_message(QueueUrl=world.stack.resources.outbox_queue_urls["slack"])["Messages"]
        record = json.loads(queued["Body"])
        world.slack.fail_next("conversations.history", status=503, times=1)
        # When it is received for the 5th time, the count at which a plain 5xx gives up
        with pytest.raises(outbound.RetryLater):
            batch_sender().deliver(record, receive_count=outbound.MAX_TRANSIENT_RECEIVES)
        # Then it is held, not failed: the look never said whether it was posted
        assert world.get(created["id"])["messages"][0]["delivery"]["status"] == "pending"
        # And on the 20th it gives up, saying why
        world.slack.fail_next("conversations.history", status=503, times=1)
        assert batch_sender().deliver(record, receive_count=outbound.MAX_RATE_LIMITED_RECEIVES) == "failed"
        detail = world.get(created["id"])["messages"][0]["delivery"]["detail"]
        assert "may have been posted" in detail
        assert world.slack.messages() == []


def _queued_record(world) -> dict:  # type: ignore[no-untyped-def]
    """The outbox record of the one message waiting on the Slack queue, as the sender receives it."""
    world.stack._relay_stream()
    sqs = boto3.client("sqs", region_name="us-east-1")
    [queued] = sqs.receive_message(QueueUrl=world.stack.resources.outbox_queue_urls["slack"])["Messages"]
    return dict(json.loads(queued["Body"]))


def test_a_root_whose_permalink_fails_is_recorded_once_without_it() -> None:
    with slack_world() as world:
        # Given Slack takes the root post but cannot give its permalink
        world.slack.fail_next("chat.getPermalink", error="internal_error")
        created = world.start("channel", channel_id="C0ONCALL", body="Is the fix out?")
        # When the sender runs
        world.drain(until=lambda: _sent(world, created["id"]), timeout=10)
        # Then the post went out once and is recorded with its thread, only the link is missing
        [root] = world.slack.messages("C0ONCALL")
        found = world.get(created["id"])
        assert found["messages"][0]["delivery"]["status"] == "sent"
        assert found["slack"]["thread_ts"] == root["ts"]
        assert not found["slack"].get("permalink")
        assert len(world.slack.calls_of("chat.postMessage")) == 1


def test_a_rate_limited_look_holds_the_message_then_finds_the_post() -> None:
    from sideconv.slack import outbound

    with slack_world() as world:
        # Given a root Slack took on an attempt whose result was never recorded
        created = world.start("channel", channel_id="C0ONCALL", body="Is the fix out?")
        record = _queued_record(world)
        image = record["dynamodb"]["NewImage"]
        world.slack.posted.append({
            "channel": "C0ONCALL", "ts": world.slack._next_ts(), "thread_ts": None, "text": "Is the fix out?",
            "username": "Dana Agent", "user": world.slack.installation.bot_user_id,
            "bot_id": world.slack.installation.bot_id, "app_id": world.slack.installation.app_id,
            "metadata": {"event_type": outbound.METADATA_EVENT_TYPE,
                         "event_payload": {"side_conversation_id": image["side_conversation_id"]["S"],
                                           "message_id": image["id"]["S"]}}})
        # When the redelivery's look is rate limited
        world.slack.fail_next("conversations.history", status=429, retry_after=7)
        with pytest.raises(outbound.RetryLater) as held:
            batch_sender().deliver(record, receive_count=2)
        # Then the message waits Slack's Retry-After, neither failed nor posted again
        assert held.value.delay == 7
        assert world.get(created["id"])["messages"][0]["delivery"]["status"] == "pending"
        assert world.slack.calls_of("chat.postMessage") == []
        # And the next receive finds the post and records it
        assert batch_sender().deliver(record, receive_count=3) == "sent"
        [post] = world.slack.messages("C0ONCALL")
        assert world.get(created["id"])["slack"]["thread_ts"] == post["ts"]
        assert world.slack.calls_of("chat.postMessage") == []


def test_a_post_of_another_app_carrying_our_message_id_is_not_taken_for_ours() -> None:
    from sideconv.slack import outbound

    with slack_world() as world:
        # Given another app's message in the channel that carries this message's id in the same metadata
        created = world.start("channel", channel_id="C0ONCALL", body="Is the fix out?")
        record = _queued_record(world)
        image = record["dynamodb"]["NewImage"]
        forged_ts = world.slack._next_ts()
        world.slack.posted.append({
            "channel": "C0ONCALL", "ts": forged_ts, "thread_ts": None, "text": "not ours", "username": None,
            "user": "U0OTHERBOT", "bot_id": "B0OTHERBOT", "app_id": "A0OTHERAPP",
            "metadata": {"event_type": outbound.METADATA_EVENT_TYPE,
                         "event_payload": {"side_conversation_id": image["side_conversation_id"]["S"],
                                           "message_id": image["id"]["S"]}}})
        # When a redelivery looks before posting
        assert batch_sender().deliver(record, receive_count=2) == "sent"
        # Then it looked, did not adopt the other app's message, and posted its own
        assert world.slack.calls_of("conversations.history")
        assert len(world.slack.calls_of("chat.postMessage")) == 1
        thread_ts = world.get(created["id"])["slack"]["thread_ts"]
        assert thread_ts != forged_ts
        assert thread_ts in {m["ts"] for m in world.slack.messages("C0ONCALL")}


def test_a_look_refused_for_good_fails_saying_the_post_may_be_out() -> None:
    from sideconv.slack import outbound

    with slack_world() as world:
        # Given a redelivered root, and Slack refusing the look for good (an installation without the scope)
        created = world.start("channel", channel_id="C0ONCALL", body="Is the fix out?")
        record = _queued_record(world)
        world.slack.fail_next("conversations.history", error="missing_scope")
        # When it is received again
        assert batch_sender().deliver(record, receive_count=2) == "failed"
        # Then it is not posted blindly, and its reason says Slack's code and that it may be in Slack
        detail = world.get(created["id"])["messages"][0]["delivery"]["detail"]
        assert detail.startswith("missing_scope")
        assert detail.endswith(outbound.MAYBE_POSTED)
        assert world.slack.calls_of("chat.postMessage") == []


@pytest.mark.parametrize("thread_recorded", ["just before the reply", "an hour before the reply"])
def test_a_reply_not_found_in_its_thread_nor_at_the_top_level_is_posted_once_in_the_thread(
        thread_recorded: str) -> None:
    with slack_world() as world:
        # Given a thread, and a reply whose first post Slack refused with a 429
        created = world.start("channel", channel_id="C0GENERAL")
        world.drain()
        root_ts = world.get(created["id"])["slack"]["thread_ts"]
        [summary] = [i for i in world.items() if i.get("kind", {}).get("S") == "side_conversation"]
        assert summary["slack"]["M"]["thread_recorded_at"]["S"]  # the root's `sent` says when
        if thread_recorded == "an hour before the reply":
            _thread_recorded_at(world, created["id"], "2020-01-01T00:00:00.000Z")
        world.slack.fail_next("chat.postMessage", status=429, retry_after=1)
        world.reply(created["id"], "second")
        # When its redelivery looks before posting
        world.drain(until=lambda: _sent(world, created["id"]), timeout=10)
        # Then it looked in the thread, from the message's creation on
        [in_thread] = world.slack.calls_of("conversations.replies")
        assert (in_thread["channel"], in_thread["ts"]) == ("C0GENERAL", root_ts)
        top_level = world.slack.calls_of("conversations.history")
        if thread_recorded == "just before the reply":
            # and, since an attempt may have read the summary before the thread was recorded (and posted a
            # root of its own), at the channel's top level too
            [look] = top_level
            assert (look["channel"], look["oldest"]) == ("C0GENERAL", in_thread["oldest"])
        else:
            # written long after the thread was recorded, it was never tried as a root: one look only
            assert top_level == []
        # and it was posted once, in the thread
        posts = [m for m in world.slack.messages("C0GENERAL") if m["text"] == "second"]
        assert [m["thread_ts"] for m in posts] == [root_ts]
        [_, reply] = world.get(created["id"])["messages"]
        assert reply["delivery"]["status"] == "sent"


def _thread_recorded_at(world, side_conversation_id: str, moment: str) -> None:  # type: ignore[no-untyped-def]
    [summary] = [i for i in world.items() if i.get("kind", {}).get("S") == "side_conversation"
                 and i["id"]["S"] == side_conversation_id]
    boto3.client("dynamodb", region_name="us-east-1").update_item(
        TableName=world.stack.settings.table_name, Key={"pk": summary["pk"], "sk": summary["sk"]},
        UpdateExpression="SET slack.thread_recorded_at = :at", ExpressionAttributeValues={":at": {"S": moment}})
