"""Slack through `make dev`, as a new user tries it: side conversations to a channel, a person and a
group; root posts and permalinks; a reply from Slack back into the side conversation; a forged request
refused. Everything over HTTP against `python -m local` (the Web API stand-in included)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("slack-e2e")]

BASE = "/v1/conversations/ticket-9001/side-conversations"


def _start(stack: Any, slack: dict[str, Any], body: str, subject: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"channel": "slack", "body": body, "slack": slack}
    if subject:
        payload["subject"] = subject
    response = requests.post(stack.base_url + BASE, json=payload, headers=stack.headers(), timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def _get(stack: Any, sc_id: str) -> dict[str, Any]:
    response = requests.get(f"{stack.base_url}{BASE}/{sc_id}", headers=stack.headers(), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _posted(stack: Any) -> list[dict[str, Any]]:
    return requests.get(stack.base_url + "/_local/slack/messages", timeout=10).json()["messages"]


def _threaded(stack: Any, sc_id: str) -> dict[str, Any] | None:
    found = _get(stack, sc_id)
    return found if found["slack"]["permalink"] else None


def test_slack_side_conversations_round_trip(local_stack: Any) -> None:
    # Given an agent starts side conversations to a channel, a person and a group
    channel = _start(local_stack, {"target": "channel", "channel_id": "C0ONCALL"}, "Refund failed for order 42",
                     subject="Escalation: refund")
    person = _start(local_stack, {"target": "user", "user_ids": ["U0ALICE"]}, "Alice, can you check?")
    group = _start(local_stack, {"target": "group", "user_ids": ["U0ALICE", "U0BOB", "U0CAROL"]}, "Team?")

    # Then each root post appears in Slack and each side conversation shows its permalink
    found = {sc["id"]: local_stack.wait_for(lambda sc=sc: _threaded(local_stack, sc["id"]), timeout=30)
             for sc in (channel, person, group)}
    roots = {m["ts"]: m for m in _posted(local_stack) if m["thread_ts"] is None}
    for sc_id, summary in found.items():
        root = roots[summary["slack"]["thread_ts"]]
        assert root["channel"] == summary["slack"]["channel_id"]
        assert root["username"] == "Agent 1"
        assert summary["slack"]["permalink"].endswith("p" + root["ts"].replace(".", ""))
        assert summary["messages"][0]["delivery"]["status"] == "sent", sc_id
    assert found[channel["id"]]["slack"]["channel_id"] == "C0ONCALL"
    assert found[person["id"]]["slack"]["channel_id"].startswith("D")
    assert found[group["id"]]["slack"]["channel_id"].startswith("G")
    assert roots[found[channel["id"]]["slack"]["thread_ts"]]["text"].startswith("*Escalation: refund*")

    # When Bob answers in the channel's thread
    thread = found[channel["id"]]["slack"]
    answer = requests.post(local_stack.base_url + "/_local/slack/reply", timeout=10, json={
        "channel": thread["channel_id"], "thread_ts": thread["thread_ts"], "user": "U0BOB",
        "text": "Looking now <@U0ALICE> & co"})
    assert answer.status_code == 200, answer.text

    # Then the reply is an inbound message of the side conversation, with Bob's name
    def inbound() -> list[dict[str, Any]]:
        return [m for m in _get(local_stack, channel["id"])["messages"] if m["direction"] == "inbound"]

    [reply] = local_stack.wait_for(inbound, timeout=30)
    assert reply["body"] == "Looking now <@U0ALICE> & co"
    assert reply["author"]["id"] == "U0BOB"
    assert reply["author"]["name"] == "Bob"

    # When the agent answers back, it goes into the same thread under the agent's name
    response = requests.post(f"{local_stack.base_url}{BASE}/{channel['id']}/messages", headers=local_stack.headers(),
                             json={"body": "Thanks Bob <!channel>"}, timeout=10)
    assert response.status_code == 201, response.text
    posted = local_stack.wait_for(lambda: [m for m in _posted(local_stack)
                                           if m["thread_ts"] == thread["thread_ts"] and m["username"] == "Agent 1"],
                                timeout=30)
    assert [m["text"] for m in posted] == ["Thanks Bob &lt;!channel&gt;"]
    # And the echo of the service's own posts (delivered by the stand-in as Slack does) is not a reply
    time.sleep(1.0)
    assert len(inbound()) == 1

    # Every event Slack delivered is answered 200 in the end (under load, perhaps after a retry)
    def last_answers() -> set[int | None]:
        deliveries = requests.get(local_stack.base_url + "/_local/slack/deliveries", timeout=10).json()["deliveries"]
        return set({d["event_id"]: d["status"] for d in deliveries}.values())

    assert local_stack.wait_for(lambda: last_answers() == {200}, timeout=30)


def test_a_forged_or_unsigned_event_is_refused(local_stack: Any) -> None:
    body = json.dumps({"type": "event_callback", "team_id": "T0LOCAL01", "api_app_id": "A0LOCALAPP",
                       "event_id": "EvFORGED1", "event": {"type": "message", "channel": "C0ONCALL",
                                                          "user": "U0BOB", "text": "x", "ts": "1.1",
                                                          "thread_ts": "1.0"}})
    forged = requests.post(local_stack.base_url + "/v1/slack/events", data=body, timeout=10, headers={
        "Content-Type": "application/json", "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0=" + "ab" * 32})
    unsigned = requests.post(local_stack.base_url + "/v1/slack/events", data=body, timeout=10,
                             headers={"Content-Type": "application/json"})
    assert forged.status_code == 401
    assert unsigned.status_code == 401


def test_the_stand_in_speaks_slacks_web_api(local_stack: Any) -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token="xoxb-local-stand-in-token", base_url=local_stack.slack_api_url)
    identity = client.auth_test()
    assert (identity["team_id"], identity["user_id"], identity["bot_id"], identity["app_id"]) == \
        ("T0LOCAL01", "U0LOCALBOT", "B0LOCALBOT", "A0LOCALAPP")
    with pytest.raises(SlackApiError) as refused:
        WebClient(token="xoxb-wrong", base_url=local_stack.slack_api_url).auth_test()
    assert refused.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as missing:
        client.chat_postMessage(channel="C0PRIVATE", text="hi")
    assert missing.value.response["error"] == "not_in_channel"
