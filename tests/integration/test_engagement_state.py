"""A side conversation never changes the customer conversation's engagement state.

The service owns no item that describes the customer conversation itself, and nothing it writes or
hands off says the customer was answered: every item it writes in the conversation's partition
belongs to a side conversation, and every hand-off goes to a side conversation's own channel.
"""

from __future__ import annotations

from typing import Any

import boto3

from tests.conftest import TABLE
from tests.factories import email_request, path, slack_request

SIDE_CONVERSATION_KINDS = {"side_conversation", "message", "idempotency", "side_conversation_ref"}
ENGAGEMENT_FIELDS = {"engagement", "engagement_state", "answered", "answered_at", "first_response_at",
                     "last_agent_reply_at", "customer_replied", "awaiting_customer", "status"}


def _all_items() -> list[dict[str, Any]]:
    # A test-only Scan: the service itself never scans.
    return boto3.resource("dynamodb").Table(TABLE).scan()["Items"]


def test_a_full_exchange_writes_nothing_about_the_customer_conversation(api: Any) -> None:
    # Given a customer conversation with an email and a Slack side conversation
    email = api("POST", path("conv-7"), email_request(), headers={"Idempotency-Key": "a"})[2]
    slack = api("POST", path("conv-7"), slack_request("group"))[2]
    # When agents reply, close and reopen them
    for side in (email, slack):
        api("POST", path("conv-7", side["id"], "messages"), {"body": "following up"})
        api("PATCH", path("conv-7", side["id"]), {"state": "closed"})
        api("PATCH", path("conv-7", side["id"]), {"state": "open"})
    # Then every item belongs to a side conversation, none describes the conversation itself
    items = _all_items()
    assert items
    assert {item["kind"] for item in items} <= SIDE_CONVERSATION_KINDS
    partition = [item for item in items if item["pk"] == "A#acme#C#conv-7"]
    assert partition
    assert all(item["sk"].startswith(("SC#", "IDEM#")) for item in partition)
    for item in items:
        assert not ENGAGEMENT_FIELDS & set(item), item
    # And every outbound message is addressed to its side conversation, never the customer
    messages = [item for item in items if item["kind"] == "message"]
    assert {m["direction"] for m in messages} == {"outbound"}
    assert {m["side_conversation_id"] for m in messages} == {email["id"], slack["id"]}


def test_the_customer_is_not_a_recipient_unless_the_agent_chose_it(api: Any) -> None:
    created = api("POST", path("conv-8"), email_request())[2]
    recipients = [p for p in created["participants"] if p["kind"] == "email"]
    assert [p["role"] for p in recipients] == ["to"]
