"""send_email against embedded AWS: the API's outbox record → real MIME through SES v2."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import agent_claims
from tests.email_support import BASE, EmailWorld, email_world_fixture, parse_raw  # noqa: F401

pytestmark = pytest.mark.usefixtures("aws")


def _message_item(side_conversation_id: str, message_id: str) -> Any:
    from sideconv import keys
    from sideconv.store.models import MessageItem

    return MessageItem.get(keys.conversation_pk("acme", "conv-1"), keys.message_sk(side_conversation_id,
                                                                                    message_id))


def test_first_message_goes_out_as_real_mime(email_world: EmailWorld) -> None:
    # Given an e-mail side conversation started by Dana, to a vendor with a colleague in Cc
    started = email_world.start()
    # When the sender consumes the outbox record
    result = email_world.send()
    # Then SES sent one mail, with the agent's name, the recipients' names and the reply address
    assert result == {"batchItemFailures": []}
    [mail] = email_world.sent()
    message = parse_raw(mail["raw"])
    assert str(message["From"]) == "Dana Agent via Atender Support <support@example.com>"
    assert [str(a) for a in message["To"].addresses] == ["Vera Vendor <vendor@partner.example>"]
    assert [str(a) for a in message["Cc"].addresses] == ["Partner Ops <ops@partner.example>"]
    assert str(message["Reply-To"]) == started["email"]["reply_to"]
    assert str(message["Subject"]) == "Replacement part for order 1042"
    assert message["In-Reply-To"] is None
    # And a text part with an HTML alternative
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().startswith("Hello,\n\ncould you ship")  # type: ignore[union-attr]
    assert "<p>Hello,</p>" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    # And the message is recorded sent with SES's id, and the thread knows both Message-IDs
    first = started["messages"][0]
    item = _message_item(started["id"], first["id"])
    assert item.delivery.status == "sent"
    assert item.delivery.provider_id == mail["ses_message_id"]
    assert item.wire_message_id == mail["message_id"] == f"<{mail['ses_message_id']}@email.amazonses.com>"
    assert item.email_message_id == f"<{first['id'].lower()}@reply.example.com>"
    # And it left the index of pending outbound messages
    assert (item.gsi2pk, item.gsi2sk) == (None, None)
    # Our own stable id is the last entry of References, so a reply brings it back
    assert str(message["References"]).split()[-1] == item.email_message_id


def test_customer_is_copied_only_when_chosen(email_world: EmailWorld) -> None:
    # Given one side conversation with cc_customer and one without
    email_world.start(cc_customer=True, customer={"email": "carla@customer.example", "name": "Carla"})
    email_world.start(cc=[])
    # When both are sent
    email_world.send()
    # Then the customer is in Cc of the first only, and never in To
    with_customer, without = email_world.sent()[1], email_world.sent()[0]
    assert "Carla <carla@customer.example>" in with_customer["cc"]
    assert "carla@customer.example" not in json.dumps(without)
    assert all("carla" not in to for to in with_customer["to"])


def test_later_messages_carry_the_thread(email_world: EmailWorld) -> None:
    # Given a sent first message
    started = email_world.start()
    email_world.send()
    [first] = email_world.sent()
    first_own = str(parse_raw(first["raw"])["References"]).split()[-1]
    # When the agent replies and the reply is sent
    email_world.reply(started["id"], "One more thing: the serial is 77-A.")
    email_world.send()
    second = parse_raw(email_world.sent()[0]["raw"])
    # Then it answers the first mail as the recipients saw it, and References keeps every id
    assert str(second["In-Reply-To"]) == first["message_id"]
    references = str(second["References"]).split()
    assert references[:2] == [first_own, first["message_id"]]
    assert references[-1].endswith("@reply.example.com>")
    assert str(second["Subject"]) == "Replacement part for order 1042"


def test_redelivered_record_sends_nothing_twice(email_world: EmailWorld) -> None:
    # Given a record that was sent
    email_world.start()
    records = email_world.outbox_records()
    email_world.send(records)
    # When SQS delivers the same record again
    result = email_world.send(records, receive_count=2)
    # Then no second mail goes out and the batch succeeds
    assert result == {"batchItemFailures": []}
    assert len(email_world.sent()) == 1


def test_permanent_rejection_is_failed_with_the_reason_and_not_retried(
        email_world: EmailWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a sending address whose domain SES has not verified
    from local.containers import cold_start

    started = email_world.start()
    monkeypatch.setenv("SENDER_ADDRESS", "support@unverified.example")
    cold_start()
    # When the sender consumes the record
    result = email_world.send()
    # Then the record is done (not redelivered) and the message failed with SES's reason
    assert result == {"batchItemFailures": []}
    item = _message_item(started["id"], started["messages"][0]["id"])
    assert item.delivery.status == "failed"
    assert "MessageRejected" in item.delivery.detail
    assert email_world.sent() == []


def _throttle(client: Any, calls: list[str]) -> None:
    """Make SES answer every SendEmail with HTTP 429 Throttling, through botocore's real retry path."""
    from botocore.awsrequest import AWSResponse

    class Raw:
        def stream(self, **_: Any) -> Any:
            yield b'{"message": "Maximum sending rate exceeded."}'

    def before_send(request: Any, **_: Any) -> AWSResponse:
        calls.append(request.url)
        response = AWSResponse(request.url, 429, {"x-amzn-ErrorType": "TooManyRequestsException",
                                                  "Content-Type": "application/json"}, Raw())
        response._content = b'{"message": "Maximum sending rate exceeded."}'
        return response

    client.meta.events.register_first("before-send.sesv2.SendEmail", before_send)


def test_throttling_is_retried_then_left_to_sqs_then_failed(email_world: EmailWorld) -> None:
    from sideconv.email import clients

    from functions.send_email import handler

    # Given SES that throttles every call (the client the sender's wiring holds)
    started = email_world.start()
    calls: list[str] = []
    _throttle(clients.sesv2(handler.wiring), calls)
    records = email_world.outbox_records()
    # When the record is delivered the first time
    result = email_world.send(records, receive_count=1)
    # Then botocore retried with backoff, and the record is reported failed for SQS to redeliver
    assert len(calls) == 3
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] != []
    item = _message_item(started["id"], started["messages"][0]["id"])
    assert item.delivery.status == "pending"
    # When SQS has delivered it the maximum number of times
    result = email_world.send(records, receive_count=5)
    # Then the message ends failed with the reason, and the batch is done
    assert result == {"batchItemFailures": []}
    item = _message_item(started["id"], started["messages"][0]["id"])
    assert item.delivery.status == "failed"
    assert "TooManyRequestsException" in item.delivery.detail


def test_crlf_in_subject_or_name_never_reaches_ses(email_world: EmailWorld) -> None:
    # When a start request carries CR/LF in the subject or a display name
    status_subject, _, subject_problem = email_world.api(
        "POST", BASE, {"channel": "email", "subject": "Hi\r\nBcc: victim@example.com", "body": "x",
                       "to": [{"email": "vendor@partner.example"}]})
    status_name, _, _ = email_world.api(
        "POST", BASE, {"channel": "email", "subject": "Hi", "body": "x",
                       "to": [{"email": "vendor@partner.example", "name": "V\nBcc: victim@example.com"}]})
    # Then both are refused and nothing is queued or sent
    assert (status_subject, status_name) == (422, 422)
    assert subject_problem["status"] == 422
    assert email_world.outbox_records() == []
    assert email_world.sent() == []


def test_agent_role_claims_without_name_still_send(email_world: EmailWorld) -> None:
    # Given an agent token without a display name
    status, _, started = email_world.api("POST", BASE, {
        "channel": "email", "subject": "Hi", "body": "x", "to": [{"email": "vendor@partner.example"}]},
        claims=agent_claims(name=None))
    assert status == 201, started
    # When sent
    email_world.send()
    # Then the From carries the sender name alone
    assert email_world.sent()[0]["from"] == "Atender Support <support@example.com>"
