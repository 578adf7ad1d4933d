"""`make dev SEED=n`: seeded side conversations read back through the real API handler like any other,
take replies, and leave nothing on the stream (no mail or Slack post goes out for history).

Embedded AWS in process, the service's own table."""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3

from local import seed

BASE = f"/v1/conversations/{seed.DEMO_CONVERSATION}/side-conversations"


def _stream_records() -> int:
    streams = boto3.client("dynamodbstreams")
    from sideconv.config import from_env

    arn = boto3.client("dynamodb").describe_table(TableName=from_env().table_name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return len(streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"])


def test_seeded_side_conversations_read_back_as_the_api_wrote_them(api: Any) -> None:
    from sideconv.config import from_env

    # Given 60 seeded side conversations
    seeded = seed.seed(from_env(), 60)
    assert seeded.side_conversations == 60
    assert len(seeded.ids) == 60
    # When the demo conversation is listed through the API
    status, _, listing = api("GET", BASE, query={"limit": "100"})
    # Then it holds the first 12, of both channels, open and closed, some unread, newest first
    assert status == 200
    items = listing["items"]
    assert len(items) == 12
    assert {i["id"] for i in items} == {side for conversation, side in seeded.ids[:12]}
    assert Counter(i["channel"] for i in items).keys() == {"email", "slack"}
    assert Counter(i["state"] for i in items).keys() == {"open", "closed"}
    assert any(i["unread_count"] > 0 for i in items)
    assert any(i["unread_count"] == 0 for i in items)
    opened = [i for i in items if i["state"] == "open"]
    assert [i["updated_at"] for i in opened] == sorted((i["updated_at"] for i in opened), reverse=True)
    # ...each opens with its messages, in order, the other side's answers among them
    replied = next(i for i in items if i["message_count"] > 1)
    status, _, thread = api("GET", f"{BASE}/{replied['id']}")
    assert status == 200
    assert len(thread["messages"]) == replied["message_count"]
    assert {m["direction"] for m in thread["messages"]} == {"inbound", "outbound"}
    assert [m["id"] for m in thread["messages"]] == sorted(m["id"] for m in thread["messages"])
    assert all(m["delivery"]["status"] == "sent" for m in thread["messages"] if m["direction"] == "outbound")
    # ...and the other conversations hold three each
    status, _, other = api("GET", f"/v1/conversations/{seeded.ids[12][0]}/side-conversations")
    assert status == 200
    assert len(other["items"]) == 3


def test_a_seeded_side_conversation_takes_a_reply_and_the_seed_left_the_stream_empty(api: Any) -> None:
    from sideconv.config import from_env

    seeded = seed.seed(from_env(), 12, messages=120)
    assert seeded.messages == 120
    assert _stream_records() == 0
    conversation, side = seeded.ids[0]
    base = f"/v1/conversations/{conversation}/side-conversations/{side}"
    status, _, before = api("GET", base)
    assert status == 200
    assert before["message_count"] == 10
    status, _, _ = api("POST", f"{base}/messages", {"body": "Any news?"})
    assert status == 201
    status, _, after = api("GET", base)
    assert after["message_count"] == 11
    assert after["state"] == "open"
    assert after["messages"][-1]["body"] == "Any news?"
    assert _stream_records() > 0  # the reply, unlike the seed, is on its way out


def test_seeded_side_conversations_fill_each_agent_s_inbox(api: Any) -> None:
    from sideconv.config import from_env

    from tests.conftest import agent_claims

    # Given 40 seeded side conversations, every other one started by agent-1
    seeded = seed.seed(from_env(), 40)
    mine = {side for n, (_, side) in enumerate(seeded.ids) if seed.AGENTS[n % 2][0] == "agent-1"}
    # When agent-1 and agent-2 read their inboxes, both ways the ball can be
    inboxes = {}
    for agent in ("agent-1", "agent-2"):
        for waiting_on in ("agent", "external"):
            status, _, page = api("GET", "/v1/side-conversations", claims=agent_claims(sub=agent),
                                  query={"mine": "true", "waiting_on": waiting_on, "limit": "100"})
            assert status == 200
            inboxes[agent, waiting_on] = page["items"]
    # Then agent-1's hold only its own, some waiting on it (answered) and some on the other side
    assert inboxes["agent-1", "agent"]
    assert inboxes["agent-1", "external"]
    for waiting_on in ("agent", "external"):
        assert {i["id"] for i in inboxes["agent-1", waiting_on]} <= mine
        assert all(i["waiting_on"] == waiting_on for i in inboxes["agent-1", waiting_on])
    # ...and agent-2's only the others
    theirs = {i["id"] for waiting_on in ("agent", "external") for i in inboxes["agent-2", waiting_on]}
    assert theirs
    assert not theirs & mine


def test_seeded_history_is_all_in_the_past(aws: None) -> None:
    import time

    from sideconv.config import from_env

    # Given 300 seeded side conversations of up to six messages, then one written now
    now = time.time()
    seed.seed(from_env(), 300)
    table = boto3.resource("dynamodb").Table(from_env().table_name)
    items = table.scan()["Items"]
    # Then no seeded time is later than when the seeding ran, nor before the last 30 days
    stamps = [item[name] for item in items for name in ("created_at", "updated_at", "last_message_at")
              if name in item]
    assert len(stamps) > 300
    latest = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now + 60))
    earliest = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now - seed.SECONDS_BACK - 60))
    assert max(stamps) < latest
    assert min(stamps) > earliest
