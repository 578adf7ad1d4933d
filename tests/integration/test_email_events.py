"""email_events against embedded AWS: SES event publishing (SNS) → bounce/complaint on the message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import LambdaContextStub
from tests.email_support import EmailWorld, email_world_fixture, load_event  # noqa: F401

pytestmark = pytest.mark.usefixtures("aws")


def _event(name: str, ses_message_id: str) -> dict[str, Any]:
    event = load_event(name)
    for record in event["Records"]:
        message = json.loads(record["Sns"]["Message"])
        message["mail"]["messageId"] = ses_message_id
        record["Sns"]["Message"] = json.dumps(message)
    return event


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    from functions.email_events.handler import lambda_handler

    return dict(lambda_handler(event, LambdaContextStub()))


def test_bounce_marks_the_message_bounced_with_type_and_recipient(email_world: EmailWorld) -> None:
    # Given a sent message
    started = email_world.start()
    email_world.send()
    ses_id = email_world.sent()[0]["ses_message_id"]
    # When SES publishes a permanent bounce for it
    result = _invoke(_event("ses_event_bounce.json", ses_id))
    # Then the message shows bounced, with the bounce type and who bounced
    assert result == {"outcomes": ["bounced"]}
    [message] = email_world.thread(started["id"])["messages"]
    assert message["delivery"]["status"] == "bounced"
    assert message["delivery"]["detail"].startswith("Permanent/General: nobody@partner.example")
    assert "550 5.1.1" in message["delivery"]["detail"]


def test_complaint_is_recorded_on_the_message(email_world: EmailWorld) -> None:
    started = email_world.start()
    email_world.send()
    ses_id = email_world.sent()[0]["ses_message_id"]
    result = _invoke(_event("ses_event_complaint.json", ses_id))
    assert result == {"outcomes": ["complaint"]}
    [message] = email_world.thread(started["id"])["messages"]
    assert message["complaint"].startswith("abuse: vendor@partner.example")
    assert message["delivery"]["status"] == "sent"


def test_event_for_an_unknown_mail_changes_nothing(email_world: EmailWorld) -> None:
    started = email_world.start()
    email_world.send()
    result = _invoke(load_event("ses_event_bounce.json"))
    assert result == {"outcomes": ["unknown_message"]}
    [message] = email_world.thread(started["id"])["messages"]
    assert message["delivery"]["status"] == "sent"
