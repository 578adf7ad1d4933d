"""Issue 8 through `make dev`: a vendor's email reply and a Slack reply each produce one `received`
event at /_local/events, raise the agent's unread count until they mark it read, and put the side
conversation in that agent's `waiting_on=agent` inbox."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LocalStackProcess
from tests.factories import email_request, path, slack_request

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("helpdesk-e2e")]


def _get(stack: LocalStackProcess, conversation: str, side_id: str) -> dict[str, Any]:
    response = requests.get(stack.base_url + path(conversation, side_id), headers=stack.headers(), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _received_events(stack: LocalStackProcess, side_id: str) -> list[dict[str, Any]]:
    events = requests.get(stack.base_url + "/_local/events", timeout=10).json()
    return [e for e in events if e["detail-type"] == "Message Received"
            and e["detail"]["side_conversation_id"] == side_id]


def _inbox(stack: LocalStackProcess) -> list[str]:
    response = requests.get(stack.base_url + "/v1/side-conversations", params={"mine": "true", "waiting_on": "agent"},
                            headers=stack.headers(), timeout=10)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def _mark_read(stack: LocalStackProcess, conversation: str, side: dict[str, Any]) -> dict[str, Any]:
    newest = side["messages"][-1]["id"]
    response = requests.put(stack.base_url + path(conversation, side["id"], "read"), json={"message_id": newest},
                            headers=stack.headers(), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_email_reply_is_an_event_an_unread_message_and_an_inbox_entry(local_stack: LocalStackProcess) -> None:
    # Given an email side conversation whose first mail went out
    created = requests.post(local_stack.base_url + path("conv-h1"), json=email_request(),
                            headers=local_stack.headers(), timeout=10).json()
    local_stack.wait_for(lambda: _get(local_stack, "conv-h1", created["id"])["messages"][0]["delivery"]["status"]
                         == "sent", timeout=30)
    assert created["id"] not in _inbox(local_stack)
    # When the vendor replies by mail
    reply = EmailMessage()
    reply["From"] = "Finance Team <finance@vendor.example>"
    reply["To"] = created["email"]["reply_to"]
    reply["Subject"] = "Re: " + created["subject"]
    reply.set_content("Approved, refund away.")
    with smtplib.SMTP("127.0.0.1", local_stack.smtp_port, timeout=30) as smtp:
        smtp.send_message(reply)
    # Then one `received` event, one unread message, and the side conversation waits on the agent
    [event] = local_stack.wait_for(lambda: _received_events(local_stack, created["id"]), timeout=30)
    assert event["detail"]["channel"] == "email"
    assert event["detail"]["author"]["email"] == "finance@vendor.example"
    side = _get(local_stack, "conv-h1", created["id"])
    assert (side["unread_count"], side["waiting_on"]) == (1, "agent")
    assert created["id"] in _inbox(local_stack)
    # When the agent reads it
    assert _mark_read(local_stack, "conv-h1", side)["unread_count"] == 0
    assert _get(local_stack, "conv-h1", created["id"])["unread_count"] == 0
    assert len(_received_events(local_stack, created["id"])) == 1


def test_a_slack_reply_is_an_event_an_unread_message_and_an_inbox_entry(local_stack: LocalStackProcess) -> None:
    # (C0ONCALL is a channel the local Slack stand-in knows; see local/slack_api.py)
    request = slack_request("channel", slack={"target": "channel", "channel_id": "C0ONCALL"})
    created = requests.post(local_stack.base_url + path("conv-h2"), json=request,
                            headers=local_stack.headers(), timeout=10).json()
    thread = local_stack.wait_for(lambda: _get(local_stack, "conv-h2", created["id"])["slack"]["thread_ts"]
                                  and _get(local_stack, "conv-h2", created["id"])["slack"], timeout=30)
    answer = requests.post(local_stack.base_url + "/_local/slack/reply", timeout=10, json={
        "channel": thread["channel_id"], "thread_ts": thread["thread_ts"], "user": "U0BOB", "text": "Deployed."})
    assert answer.status_code == 200, answer.text
    [event] = local_stack.wait_for(lambda: _received_events(local_stack, created["id"]), timeout=30)
    assert event["detail"]["channel"] == "slack"
    assert event["detail"]["author"]["id"] == "U0BOB"
    side = _get(local_stack, "conv-h2", created["id"])
    assert (side["unread_count"], side["waiting_on"]) == (1, "agent")
    assert created["id"] in _inbox(local_stack)
    assert _mark_read(local_stack, "conv-h2", side)["unread_count"] == 0
    assert len(_received_events(local_stack, created["id"])) == 1
