"""The stand-in's conversations.history and conversations.replies, through the real slack_sdk client over
HTTP: metadata kept with each post and returned only with include_all_metadata, cursor pages, and the
oldest/latest/inclusive window, as Slack documents them. The sender's look before a repeated post
relies on exactly these."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from local.slack_api import SlackStandIn

META = {"event_type": "atender_side_conversation_message", "event_payload": {"message_id": "m-1"}}


@pytest.fixture
def stand_in() -> Iterator[SlackStandIn]:
    server = SlackStandIn(port=0, echo_own_posts=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(stand_in: SlackStandIn) -> WebClient:
    return WebClient(token=stand_in.installation.token, base_url=stand_in.url)


def _post(client: WebClient, text: str, *, thread_ts: str | None = None, n: int = 0) -> str:
    metadata = {"event_type": META["event_type"], "event_payload": {"message_id": f"m-{n}"}}
    return str(client.chat_postMessage(channel="C0ONCALL", text=text, thread_ts=thread_ts, metadata=metadata)["ts"])


def _all_pages(call: Any, **kwargs: Any) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        answer = call(cursor=cursor, **kwargs)
        pages.append(answer["messages"])
        cursor = (answer.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            assert answer["has_more"] is False
            return pages
        assert answer["has_more"] is True


def test_history_keeps_metadata_and_returns_it_only_when_asked(client: WebClient) -> None:
    # Given a root posted with metadata
    ts = _post(client, "root", n=1)
    # When the channel's history is read with and without include_all_metadata
    plain = client.conversations_history(channel="C0ONCALL")["messages"]
    full = client.conversations_history(channel="C0ONCALL", include_all_metadata=True)["messages"]
    # Then the metadata comes back only when asked for, as it was posted, with the bot's ids
    assert [m["ts"] for m in plain] == [ts]
    assert "metadata" not in plain[0]
    assert full[0]["metadata"] == {"event_type": META["event_type"], "event_payload": {"message_id": "m-1"}}
    assert full[0]["bot_id"] == "B0LOCALBOT"
    assert full[0]["app_id"] == "A0LOCALAPP"


def test_history_is_newest_first_top_level_only_and_paged_by_cursor(client: WebClient) -> None:
    # Given five roots, one of them with two thread replies
    roots = [_post(client, f"root {n}", n=n) for n in range(5)]
    _post(client, "reply a", thread_ts=roots[1], n=10)
    _post(client, "reply b", thread_ts=roots[1], n=11)
    # When the history is read two at a time
    pages = _all_pages(client.conversations_history, channel="C0ONCALL", limit=2)
    # Then every root comes once, newest first, and no reply appears
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [m["ts"] for p in pages for m in p] == list(reversed(roots))
    parent = next(m for p in pages for m in p if m["ts"] == roots[1])
    assert parent["reply_count"] == 2
    assert parent["thread_ts"] == roots[1]


def test_history_window_excludes_its_bounds_unless_inclusive(client: WebClient) -> None:
    roots = [_post(client, f"root {n}", n=n) for n in range(4)]
    # oldest and latest are exclusive ...
    inside = client.conversations_history(channel="C0ONCALL", oldest=roots[0], latest=roots[3])["messages"]
    assert [m["ts"] for m in inside] == [roots[2], roots[1]]
    # ... unless inclusive
    both = client.conversations_history(channel="C0ONCALL", oldest=roots[0], latest=roots[3],
                                        inclusive=True)["messages"]
    assert [m["ts"] for m in both] == [roots[3], roots[2], roots[1], roots[0]]
    # and oldest alone reaches up to now
    after = client.conversations_history(channel="C0ONCALL", oldest=roots[1])["messages"]
    assert [m["ts"] for m in after] == [roots[3], roots[2]]


def test_replies_are_the_parent_then_the_thread_oldest_first_in_pages(client: WebClient) -> None:
    # Given a thread of five replies and a reply in another thread
    root = _post(client, "root", n=0)
    other = _post(client, "other root", n=1)
    replies = [_post(client, f"reply {n}", thread_ts=root, n=10 + n) for n in range(5)]
    _post(client, "elsewhere", thread_ts=other, n=20)
    # When the thread is read two replies at a time, with metadata
    pages = _all_pages(client.conversations_replies, channel="C0ONCALL", ts=root, limit=2,
                       include_all_metadata=True)
    # Then each page starts with the parent, the replies come once each in order, with their metadata
    assert all(p[0]["ts"] == root for p in pages)
    found = [m for p in pages for m in p[1:]]
    assert [m["ts"] for m in found] == replies
    assert [m["metadata"]["event_payload"]["message_id"] for m in found] == [f"m-{10 + n}" for n in range(5)]
    assert all(m["thread_ts"] == root for m in found)
    # And oldest bounds the replies (the parent still leads)
    later = client.conversations_replies(channel="C0ONCALL", ts=root, oldest=replies[2])["messages"]
    assert [m["ts"] for m in later] == [root, replies[3], replies[4]]
    # And naming a reply's ts reads its whole thread
    assert client.conversations_replies(channel="C0ONCALL", ts=replies[0])["messages"][0]["ts"] == root


@pytest.mark.parametrize(("method", "kwargs", "error"), [
    ("conversations_history", {"channel": "C0NOPE"}, "channel_not_found"),
    ("conversations_history", {"channel": "C0PRIVATE"}, "not_in_channel"),
    ("conversations_replies", {"channel": "C0ONCALL", "ts": "1.000001"}, "thread_not_found"),
    ("conversations_history", {"channel": "C0ONCALL", "cursor": "not base64!"}, "invalid_cursor"),
])
def test_errors_are_slacks(client: WebClient, method: str, kwargs: dict[str, Any], error: str) -> None:
    with pytest.raises(SlackApiError) as raised:
        getattr(client, method)(**kwargs)
    assert raised.value.response["error"] == error
