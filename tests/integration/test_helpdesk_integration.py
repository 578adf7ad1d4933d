"""Read markers, who the ball is with, and the agent's inbox (issue 8), through the real handler."""

from __future__ import annotations

from typing import Any

import pytest
from sideconv import clock, keys
from sideconv.store import activity
from sideconv.store.models import MessageItem, PersonMap
from sideconv.store.repository import SideConversationStore

from tests.conftest import agent_claims
from tests.factories import email_request, path, slack_request

AGENT_2 = agent_claims(sub="agent-2", name="Sam Agent")


def receive(side: dict[str, Any], text: str = "Approved.", conversation: str = "conv-1") -> str:
    """What the channel ingestors do for a reply: one transaction, message + summary actions."""
    now, message_id = clock.now_iso(), clock.new_id()
    pk = keys.conversation_pk("acme", conversation)
    message = MessageItem(pk, keys.message_sk(side["id"], message_id), id=message_id,
                          side_conversation_id=side["id"], account_id="acme", conversation_id=conversation,
                          channel=side["channel"], direction="inbound",
                          author=PersonMap(kind="email", email="finance@vendor.example"), body=text,
                          attachments=[], created_at=now)
    from sideconv.config import from_env
    from sideconv.store.models import SideConversationItem

    key = SideConversationItem(pk, keys.side_conversation_sk(side["id"]), channel=side["channel"])
    SideConversationStore(from_env().region).append_message(
        key, activity.inbound_actions(side["id"], message_id, now, text), message, None)
    return message_id


def get(api: Any, side: dict[str, Any], claims: dict[str, Any] | None = None) -> dict[str, Any]:
    status, _, body = api("GET", path("conv-1", side["id"]), claims=claims)
    assert status == 200
    return body


class TestWaitingOn:
    def test_the_ball_moves_with_each_message(self, api: Any) -> None:
        side = api("POST", path(), email_request())[2]
        assert (side["waiting_on"], side["waiting_since"]) == ("external", side["created_at"])
        receive(side)
        after_reply = get(api, side)
        assert after_reply["waiting_on"] == "agent"
        assert after_reply["waiting_since"] == after_reply["last_message_at"]
        api("POST", path("conv-1", side["id"], "messages"), {"body": "Thanks!"})
        assert get(api, side)["waiting_on"] == "external"
        api("PATCH", path("conv-1", side["id"]), {"state": "closed"})
        closed = get(api, side)
        assert (closed["waiting_on"], closed["waiting_since"]) == (None, None)

    def test_an_inbound_reply_reopens_a_closed_side_conversation(self, api: Any) -> None:
        side = api("POST", path(), slack_request())[2]
        api("PATCH", path("conv-1", side["id"]), {"state": "closed"})
        receive(side, "reopening this: it broke again")
        body = get(api, side)
        assert (body["state"], body["waiting_on"]) == ("open", "agent")


class TestReadMarkers:
    def test_unread_counts_are_per_agent(self, api: Any) -> None:
        side = api("POST", path(), email_request())[2]
        assert side["unread_count"] == 0
        receive(side, "first")
        last = receive(side, "second")
        assert get(api, side)["unread_count"] == 2
        assert get(api, side, AGENT_2)["unread_count"] == 2
        status, _, marked = api("PUT", path("conv-1", side["id"], "read"), {"message_id": last})
        assert status == 200
        assert marked["unread_count"] == 0
        assert get(api, side)["unread_count"] == 0
        assert get(api, side, AGENT_2)["unread_count"] == 2
        receive(side, "third")
        assert get(api, side)["unread_count"] == 1
        assert get(api, side, AGENT_2)["unread_count"] == 3
        listing = api("GET", path())[2]["items"]
        assert [i["unread_count"] for i in listing] == [1]

    def test_a_marker_older_than_the_newest_reply_is_refused(self, api: Any) -> None:
        side = api("POST", path(), email_request())[2]
        seen = receive(side, "first")
        receive(side, "arrived while the agent was reading")
        status, _, problem = api("PUT", path("conv-1", side["id"], "read"), {"message_id": seen})
        assert status == 409
        assert problem["errors"][0]["field"] == "message_id"
        assert get(api, side)["unread_count"] == 2

    def test_marking_read_with_no_replies_yet(self, api: Any) -> None:
        side = api("POST", path(), email_request())[2]
        status, _, marked = api("PUT", path("conv-1", side["id"], "read"), {"message_id": side["messages"][0]["id"]})
        assert status == 200
        assert marked["unread_count"] == 0

    @pytest.mark.parametrize("body", [{}, {"message_id": "nope"}, {"message_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "x": 1}])
    def test_bad_markers_are_named(self, api: Any, body: dict[str, Any]) -> None:
        side = api("POST", path(), email_request())[2]
        status, _, problem = api("PUT", path("conv-1", side["id"], "read"), body)
        assert status == 422
        assert problem["errors"][0]["field"] in ("message_id", "x")

    def test_another_accounts_side_conversation_cannot_be_marked(self, api: Any) -> None:
        side = api("POST", path(), email_request())[2]
        status, _, _ = api("PUT", path("conv-1", side["id"], "read"), {"message_id": side["messages"][0]["id"]},
                           claims=agent_claims(account="globex"))
        assert status == 404


class TestInbox:
    def test_lists_what_waits_on_the_calling_agent_newest_reply_first(self, api: Any) -> None:
        first = api("POST", path("conv-1"), email_request())[2]
        second = api("POST", path("conv-2"), slack_request())[2]
        quiet = api("POST", path("conv-3"), email_request())[2]
        someone_elses = api("POST", path("conv-4"), email_request(), claims=AGENT_2)[2]
        receive(first, "one", "conv-1")
        receive(second, "two", "conv-2")
        receive(someone_elses, "not mine", "conv-4")
        status, _, inbox = api("GET", "/v1/side-conversations", query={"mine": "true", "waiting_on": "agent"})
        assert status == 200
        assert [i["id"] for i in inbox["items"]] == [second["id"], first["id"]]
        _, _, waiting_external = api("GET", "/v1/side-conversations", query={"mine": "true", "waiting_on": "external"})
        assert [i["id"] for i in waiting_external["items"]] == [quiet["id"]]

    def test_closed_ones_leave_the_inbox(self, api: Any) -> None:
        side = api("POST", path(), email_request())[2]
        receive(side)
        api("PATCH", path("conv-1", side["id"]), {"state": "closed"})
        _, _, inbox = api("GET", "/v1/side-conversations", query={"mine": "true"})
        assert inbox["items"] == []

    def test_inbox_pages(self, api: Any) -> None:
        sides = [api("POST", path(f"conv-{i}"), email_request())[2] for i in range(5)]
        for i, side in enumerate(sides):
            receive(side, f"reply {i}", f"conv-{i}")
        seen, token = [], None
        while True:
            query = {"mine": "true", "limit": "2", **({"next_token": token} if token else {})}
            _, _, page = api("GET", "/v1/side-conversations", query=query)
            seen += [i["id"] for i in page["items"]]
            token = page["next_token"]
            if not token:
                break
        assert seen == [s["id"] for s in reversed(sides)]

    def test_mine_is_required(self, api: Any) -> None:
        status, _, problem = api("GET", "/v1/side-conversations")
        assert status == 422
        assert problem["errors"][0]["field"] == "mine"

    def test_a_customer_token_has_no_inbox(self, api: Any) -> None:
        status, _, _ = api("GET", "/v1/side-conversations", query={"mine": "true"},
                           claims=agent_claims(role="customer"))
        assert status == 403
