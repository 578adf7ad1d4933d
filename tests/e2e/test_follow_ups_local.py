"""Issue 19, done when: through `make dev` with a controlled clock. A side conversation with a 24-hour
follow-up, the clock moved 24 hours: the Follow-up Due event, the side conversation first in the
agent's inbox, and (opted in) the nudge mail at /_local/mail; a vendor reply before the due time
cancels it; the waiting events reach the bus in order."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LocalStackProcess
from tests.factories import email_request, path

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("follow-ups-e2e")]
DAY = 24 * 3600


def _events(stack: LocalStackProcess, side_id: str) -> list[dict[str, Any]]:
    events = requests.get(stack.base_url + "/_local/events", timeout=10).json()
    return [e for e in reversed(events) if e["detail"].get("side_conversation_id") == side_id]


def _kinds(stack: LocalStackProcess, side_id: str) -> list[str]:
    return [e["detail-type"] for e in _events(stack, side_id)]


def _mails(stack: LocalStackProcess, reply_to: str) -> list[dict[str, Any]]:
    items = requests.get(f"{stack.base_url}/_local/mail", timeout=10).json()["items"]
    return [m for m in items if m["reply_to"] == reply_to]


def _get(stack: LocalStackProcess, conversation: str, side_id: str) -> dict[str, Any]:
    response = requests.get(stack.base_url + path(conversation, side_id), headers=stack.headers(), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _inbox(stack: LocalStackProcess) -> list[str]:
    response = requests.get(stack.base_url + "/v1/side-conversations", params={"mine": "true", "waiting_on": "agent"},
                            headers=stack.headers(), timeout=10)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def _advance(stack: LocalStackProcess, seconds: int) -> dict[str, Any]:
    response = requests.post(stack.base_url + "/_local/clock", json={"advance_seconds": seconds}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _vendor_reply(stack: LocalStackProcess, side: dict[str, Any], text: str) -> None:
    reply = EmailMessage()
    reply["From"] = "Finance Team <finance@vendor.example>"
    reply["To"] = side["email"]["reply_to"]
    reply["Subject"] = "Re: " + side["subject"]
    reply.set_content(text)
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=30) as smtp:
        smtp.send_message(reply)


def _create(stack: LocalStackProcess, conversation: str, **fields: Any) -> dict[str, Any]:
    response = requests.post(stack.base_url + path(conversation), json=email_request(**fields),
                             headers=stack.headers(), timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_24_hour_follow_up_falls_due_when_the_clock_passes_it(local_stack: LocalStackProcess) -> None:
    # Given two side conversations with a 24-hour follow-up (one opted in to the nudge), and a third
    # whose vendor already answered (so it is in the agent's inbox before them)
    nudged = _create(local_stack, "conv-f1", subject="Refund for order 1042", follow_up={"after": "PT24H"},
                     nudge=True)
    answered = _create(local_stack, "conv-f1", subject="Courier pickup", follow_up={"after": "PT24H"})
    for side in (nudged, answered):
        local_stack.wait_for(lambda s=side: _mails(local_stack, s["email"]["reply_to"]), timeout=30)
    assert nudged["follow_up"]["state"] == "scheduled"
    start = requests.get(local_stack.base_url + "/_local/clock", timeout=10).json()
    # When the vendor answers one of them before the due time
    _advance(local_stack, 12 * 3600)
    _vendor_reply(local_stack, answered, "Pickup booked for Monday.")
    local_stack.wait_for(lambda: _get(local_stack, "conv-f1", answered["id"])["follow_up"]["state"] == "cancelled",
                         timeout=30)
    # And the clock passes the 24 hours
    moved = _advance(local_stack, 12 * 3600 + 5)
    assert moved["offset_seconds"] - start["offset_seconds"] == 24 * 3600 + 5
    # Then the event, the due mark first in the agent's inbox, and the nudge mail
    due = local_stack.wait_for(lambda: [e for e in _events(local_stack, nudged["id"])
                                        if e["detail-type"] == "Side Conversation Follow-up Due"], timeout=30)
    assert len(due) == 1
    assert due[0]["detail"]["due_at"] == nudged["follow_up"]["due_at"]
    assert due[0]["detail"]["nudge_sent"] is True
    side = _get(local_stack, "conv-f1", nudged["id"])
    assert side["follow_up"]["state"] == "due"
    assert side["follow_up"]["nudges_sent"] == 1
    inbox = _inbox(local_stack)
    assert inbox[0] == nudged["id"]
    assert answered["id"] in inbox[1:]
    mails = local_stack.wait_for(lambda: len(_mails(local_stack, nudged["email"]["reply_to"])) == 2
                                 and _mails(local_stack, nudged["email"]["reply_to"]), timeout=30)
    nudge_mail = mails[0]  # newest first
    assert "Just checking in on" in nudge_mail["raw"]
    assert nudge_mail["from"].startswith("Agent 1 via")
    assert nudge_mail["in_reply_to"]  # in the thread the vendor already has
    nudge = side["messages"][-1]
    assert nudge["nudge"] is True
    # The answered one stays cancelled: no event, no nudge
    assert "Side Conversation Follow-up Due" not in _kinds(local_stack, answered["id"])
    assert len(_mails(local_stack, answered["email"]["reply_to"])) == 1
    # And the waiting events are on the bus in order
    waiting = [k for k in _kinds(local_stack, answered["id"]) if k.startswith("Side Conversation Waiting")]
    assert waiting == ["Side Conversation Waiting Started", "Side Conversation Waiting Ended"]
    ended = next(e for e in _events(local_stack, answered["id"])
                 if e["detail-type"] == "Side Conversation Waiting Ended")["detail"]
    assert (ended["reason"], ended["ball_with"], ended["since"]) == ("reply", "agent", answered["waiting_since"])


def test_the_clock_refuses_a_bad_move(local_stack: LocalStackProcess) -> None:
    for body in ({}, {"advance_seconds": -1}, {"advance_seconds": "soon"}, {"advance_seconds": True}):
        response = requests.post(local_stack.base_url + "/_local/clock", json=body, timeout=10)
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"] == "advance_seconds"


def test_a_slack_nudge_goes_in_the_thread_under_the_agents_name(local_stack: LocalStackProcess) -> None:
    # Given a Slack side conversation to a channel with a 4-hour follow-up and the nudge, its root posted
    request = {"channel": "slack", "subject": "Checkout 500s", "body": "Is the fix deployed?",
               "slack": {"target": "channel", "channel_id": "C0ONCALL"}, "follow_up": {"after": "PT4H"},
               "nudge": True}
    response = requests.post(local_stack.base_url + path("conv-f2"), json=request, headers=local_stack.headers(),
                             timeout=10)
    assert response.status_code == 201, response.text
    side = response.json()
    thread = local_stack.wait_for(lambda: _get(local_stack, "conv-f2", side["id"])["slack"]["thread_ts"], timeout=30)
    # When four hours pass on the local clock
    _advance(local_stack, 4 * 3600 + 5)

    # Then the nudge is a reply in the Slack thread, posted as the agent
    def nudges() -> list[dict[str, Any]]:
        posted = requests.get(local_stack.base_url + "/_local/slack/messages", timeout=10).json()["messages"]
        return [m for m in posted if m["thread_ts"] == thread and "Just checking in on" in m["text"]]

    [nudge] = local_stack.wait_for(nudges, timeout=30)
    assert nudge["username"] == "Agent 1"
    assert _get(local_stack, "conv-f2", side["id"])["follow_up"]["nudges_sent"] == 1
