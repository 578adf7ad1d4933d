"""The e-mail side of `make dev`, as a new user tries it: start an e-mail side conversation over
HTTP, read the real MIME at /_local/mail, answer its Reply-To by SMTP on the local port, and see
only the new text in the thread; a forged reply address lands in quarantine."""

from __future__ import annotations

import smtplib
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LocalStackProcess

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local_stack")]

BASE = "/v1/conversations/conv-e2e/side-conversations"


def _start(stack: LocalStackProcess) -> dict[str, Any]:
    response = requests.post(f"{stack.base_url}{BASE}", headers=stack.headers(), timeout=10, json={
        "channel": "email", "subject": "Replacement part for order 1042",
        "body": "Hello Vera,\n\ncould you ship a replacement part for order 1042?",
        "to": [{"email": "vera@partner.example", "name": "Vera Vendor"}]})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _mail_for(stack: LocalStackProcess, reply_to: str) -> dict[str, Any] | None:
    items = requests.get(f"{stack.base_url}/_local/mail", timeout=10).json()["items"]
    return next((m for m in items if m["reply_to"] == reply_to), None)


def _thread(stack: LocalStackProcess, side_conversation_id: str) -> dict[str, Any]:
    response = requests.get(f"{stack.base_url}{BASE}/{side_conversation_id}", headers=stack.headers(), timeout=10)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _outlook_reply(original: EmailMessage, to: str, text: str) -> EmailMessage:
    """What Outlook sends back: new text on top, the original under a From/Sent header block."""
    reply = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    reply["From"] = "Vera Vendor <vera@partner.example>"
    reply["To"] = to
    reply["Subject"] = "RE: " + str(original["Subject"])
    reply["Message-ID"] = "<DB9PR01MB0001.outlook-e2e@partner.example>"
    reply["In-Reply-To"] = str(original["Message-ID"])
    reply["References"] = f"{original['References']} {original['Message-ID']}"
    reply["Thread-Topic"] = str(original["Subject"])
    quoted = original.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    reply.set_content(f"{text}\n\nFrom: {original['From']}\nSent: Friday, November 27, 2026 12:00 PM\n"
                      f"To: Vera Vendor <vera@partner.example>\nSubject: {original['Subject']}\n\n{quoted}")
    return reply


def test_email_round_trip_through_the_local_stack(local_stack: LocalStackProcess) -> None:
    # Given a new e-mail side conversation
    started = _start(local_stack)
    reply_to = started["email"]["reply_to"]
    # When the outbox delivers it, the real MIME shows at /_local/mail
    sent = local_stack.wait_for(lambda: _mail_for(local_stack, reply_to))
    assert sent["to"] == ["Vera Vendor <vera@partner.example>"]
    assert sent["from"] == "Agent 1 via Atender Support <support@example.com>"
    original = BytesParser(policy=policy.default).parsebytes(sent["raw"].replace("\r\n", "\n").encode())
    assert isinstance(original, EmailMessage)
    assert original["Message-ID"] == sent["message_id"]
    assert original.get_content_type() == "multipart/alternative"
    # When Vera answers its Reply-To from Outlook, by SMTP on the local port
    reply = _outlook_reply(original, reply_to, "Yes, it ships tomorrow.")
    with smtplib.SMTP("127.0.0.1", local_stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(reply, from_addr="vera@partner.example", to_addrs=[reply_to])
    # Then only the new text appears in the thread
    thread = local_stack.wait_for(lambda: (t := _thread(local_stack, started["id"]))["message_count"] == 2 and t)
    inbound = [m for m in thread["messages"] if m["direction"] == "inbound"]
    assert [m["body"] for m in inbound] == ["Yes, it ships tomorrow."]
    assert thread["messages"][0]["delivery"]["status"] == "sent"


def test_forged_reply_address_lands_in_quarantine(local_stack: LocalStackProcess) -> None:
    # Given a side conversation whose mail went out
    started = _start(local_stack)
    reply_to = started["email"]["reply_to"]
    sent = local_stack.wait_for(lambda: _mail_for(local_stack, reply_to))
    # When someone answers its thread at a reply address with a tampered token
    local, _, domain = reply_to.partition("@")
    forged = f"{local[:-2]}{'zz' if not local.endswith('zz') else 'yy'}@{domain}"
    message = EmailMessage()
    message["From"] = "Mallory <mallory@evil.example>"
    message["To"] = forged
    message["Subject"] = "Re: Replacement part for order 1042"
    message["In-Reply-To"] = sent["message_id"]
    message.set_content("Please wire the money to this account instead.")
    with smtplib.SMTP("127.0.0.1", local_stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(message, from_addr="mallory@evil.example", to_addrs=[forged])
    # Then it is not in the thread, and the account's admins find it in quarantine with the reason
    thread = _thread(local_stack, started["id"])
    assert all(m["direction"] == "outbound" for m in thread["messages"])
    admin = local_stack.headers(role="admin", user="admin-1")
    listing = requests.get(f"{local_stack.base_url}/v1/quarantine", headers=admin, timeout=10)
    assert listing.status_code == 200
    held = [q for q in listing.json()["items"] if q["sender"] == "mallory@evil.example"]
    assert [(q["reason"], q["side_conversation_id"]) for q in held] == [("forged_token", started["id"])]


def test_smtp_refuses_mail_for_other_domains(local_stack: LocalStackProcess) -> None:
    with smtplib.SMTP("127.0.0.1", local_stack.smtp_port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.mail("someone@partner.example")
        code, _ = smtp.rcpt("victim@elsewhere.example")
    assert code == 550
