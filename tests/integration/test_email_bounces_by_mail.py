"""Delivery failures that come back by mail (tests/fixtures/email/bounce) through the receiving path:
raw mail in S3 + SES receipt event → ingest_email. Each marks the outbound message it returns
`bounced` with the failed recipient and the server's diagnostic, and is never appended as a reply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.email_support import EmailWorld, shared_email_world_fixture  # noqa: F401

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email" / "bounce"
# The fixtures name the returned mail by this id; a test puts the wire id of the mail it sent there.
PLACEHOLDER = b"<ORIGINAL-MESSAGE-ID@email.amazonses.com>"
BOUNCES = sorted(p for p in FIXTURES.glob("*.eml") if not p.name.startswith("not_a_bounce"))


def _sent(world: EmailWorld) -> tuple[dict[str, Any], dict[str, Any]]:
    started = world.start()
    world.send()
    return started, world.sent(limit=1)[0]


def _messages(world: EmailWorld, side_conversation_id: str) -> list[dict[str, Any]]:
    return list(world.thread(side_conversation_id)["messages"])


@pytest.mark.parametrize("path", BOUNCES, ids=[p.stem for p in BOUNCES])
def test_a_bounce_by_mail_marks_the_returned_message_bounced(path: Path, shared_email_world: EmailWorld) -> None:
    world = shared_email_world
    # Given a side conversation whose first mail went out
    started, sent = _sent(world)
    # When the receiving server's notice comes back, naming that mail's wire Message-ID
    raw = path.read_bytes().replace(PLACEHOLDER, sent["message_id"].encode())
    result = world.deliver(raw, ["bounces@reply.example.com"])
    # Then the outbound message is bounced with who failed and why; nothing was appended
    assert result["outcome"] == "bounced", result
    [message] = _messages(world, started["id"])
    assert message["direction"] == "outbound"
    assert message["delivery"]["status"] == "bounced"
    detail = message["delivery"]["detail"]
    assert detail.startswith("Permanent/mail: vera@nowhere.example ("), detail
    assert "550" in detail or "554" in detail or "no mailbox" in detail


def test_a_bounce_to_the_reply_address_without_ids_marks_the_newest_outbound(shared_email_world: EmailWorld) -> None:
    world = shared_email_world
    # Given a side conversation with two mails out
    started, _ = _sent(world)
    world.reply(started["id"], "A second question.")
    world.send()
    # When a notice that quotes no Message-ID comes back to its reply address
    reply_to = started["email"]["reply_to"]
    raw = (b"From: MAILER-DAEMON@mail.nowhere.example\nTo: " + reply_to.encode() + b"\nSubject: failure notice\n\n"
           b"Hi. This is the qmail-send program at mail.nowhere.example.\n"
           b"I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
           b"<vera@nowhere.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n")
    result = world.deliver(raw, [reply_to])
    # Then the newest outbound message is the one bounced, and no reply was added
    assert result["outcome"] == "bounced", result
    first, second = _messages(world, started["id"])
    assert (first["delivery"]["status"], second["delivery"]["status"]) == ("sent", "bounced")
    assert "Sorry, no mailbox here by that name. (#5.1.1)" in second["delivery"]["detail"]


def test_a_bounce_for_mail_this_service_does_not_know_is_quarantined(shared_email_world: EmailWorld) -> None:
    world = shared_email_world
    raw = (FIXTURES / "qmail_failure_notice.eml").read_bytes()
    result = world.deliver(raw, ["bounces@reply.example.com"])
    assert (result["outcome"], result["reason"]) == ("quarantined", "unmatched")


@pytest.mark.parametrize("name", ["not_a_bounce_delay_warning.eml", "not_a_bounce_out_of_office.eml"])
def test_a_delay_warning_or_an_out_of_office_is_no_bounce(name: str, shared_email_world: EmailWorld) -> None:
    world = shared_email_world
    started, sent = _sent(world)
    raw = (FIXTURES / name).read_bytes().replace(PLACEHOLDER, sent["message_id"].encode())
    result = world.deliver(raw, [started["email"]["reply_to"]])
    # Kept as an automatic reply, as today; the outbound message stays sent
    assert result["outcome"] == "appended", result
    outbound, inbound = _messages(world, started["id"])
    assert outbound["delivery"]["status"] == "sent"
    assert inbound["auto_reply"] is True
