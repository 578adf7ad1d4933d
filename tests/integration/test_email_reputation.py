"""Isolation per account (issue 15): bounces, complaints and suppressed recipients from SES event
publishing are counted for the account the mail was sent for, and a suppressed recipient fails the message."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import LambdaContextStub, agent_claims
from tests.email_support import EmailWorld, email_world_fixture, load_event  # noqa: F401 - fixture

ACME_ADMIN = agent_claims(account="acme", sub="admin-1", role="admin")
GLOBEX_ADMIN = agent_claims(account="globex", sub="admin-9", role="admin")


def _event(name: str, ses_message_id: str, **bounce: str) -> dict[str, Any]:
    event = load_event(name)
    for record in event["Records"]:
        message = json.loads(record["Sns"]["Message"])
        message["mail"]["messageId"] = ses_message_id
        message.get("bounce", {}).update(bounce)
        record["Sns"]["Message"] = json.dumps(message)
    return event


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    from functions.email_events.handler import lambda_handler

    return dict(lambda_handler(event, LambdaContextStub()))


def _settings(api: Any, claims: dict[str, Any]) -> dict[str, Any]:
    status, _, body = api("GET", "/v1/email/settings", claims=claims)
    assert status == 200
    return dict(body)


def test_a_suppressed_recipient_fails_the_message_with_the_reason(email_world: EmailWorld) -> None:
    started = email_world.start()
    email_world.send()
    ses_id = email_world.sent()[0]["ses_message_id"]
    result = _invoke(_event("ses_event_bounce.json", ses_id, bounceSubType="OnAccountSuppressionList"))
    assert result == {"outcomes": ["suppressed"]}
    [message] = email_world.thread(started["id"])["messages"]
    assert message["delivery"]["status"] == "failed"
    assert message["delivery"]["detail"].startswith("not sent: on the SES suppression list")
    assert "nobody@partner.example" in message["delivery"]["detail"]
    assert _settings(email_world.api, ACME_ADMIN)["suppressed_count"] == 1


def test_bounces_and_complaints_are_counted_per_account(email_world: EmailWorld) -> None:
    email_world.start()
    email_world.send()
    ses_id = email_world.sent()[0]["ses_message_id"]
    _invoke(_event("ses_event_bounce.json", ses_id))
    _invoke(_event("ses_event_complaint.json", ses_id))
    _invoke(_event("ses_event_bounce.json", ses_id))
    acme = _settings(email_world.api, ACME_ADMIN)
    assert (acme["bounce_count"], acme["complaint_count"], acme["suppressed_count"]) == (2, 1, 0)
    globex = _settings(email_world.api, GLOBEX_ADMIN)
    assert (globex["bounce_count"], globex["complaint_count"]) == (0, 0)
