"""Sending domains on `make dev` (issue 15), as the issue's "Done when" has it: acme adds acme.example,
reads its DNS records, marks it verified locally, and a new side conversation's mail at /_local/mail
comes from support@acme.example, DKIM-signed for it; globex, with no domain, still sends from the
shared address; a spoofed reply claiming acme's address, and one failing DMARC, land in the quarantine."""

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


def _start(stack: LocalStackProcess, account: str, conversation: str, **extra: Any) -> dict[str, Any]:
    response = requests.post(
        f"{stack.base_url}/v1/conversations/{conversation}/side-conversations",
        headers=stack.headers(account=account), timeout=10,
        json={"channel": "email", "subject": f"Order for {account}", "body": "Could you confirm the order?",
              "to": [{"email": "vera@partner.example", "name": "Vera Vendor"}], **extra})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _mail_for(stack: LocalStackProcess, reply_to: str) -> dict[str, Any] | None:
    items = requests.get(f"{stack.base_url}/_local/mail", timeout=10).json()["items"]
    return next((m for m in items if m["reply_to"] == reply_to), None)


def _smtp(stack: LocalStackProcess, to: str, sender: str, **headers: str) -> None:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = "Re: Order"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("Confirmed, ship it.")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(msg)


def test_the_account_domain_end_to_end(local_stack: LocalStackProcess) -> None:
    import dkim

    stack = local_stack
    admin = stack.headers(role="admin", account="acme", user="admin-1")
    added = requests.post(f"{stack.base_url}/v1/email/domains", headers=admin, json={"domain": "acme.example"},
                          timeout=10)
    assert added.status_code == 201, added.text
    records = added.json()["dns_records"]
    assert [r["purpose"] for r in records].count("dkim") == 3
    assert "IN\tMX\t10 feedback-smtp.us-east-1.amazonses.com." in added.json()["zone_file"]
    # Not yet verified: the email form's address is the shared one.
    settings = requests.get(f"{stack.base_url}/v1/email/settings", headers=stack.headers(), timeout=10).json()
    assert settings["from"]["shared"] is True

    verified = requests.post(f"{stack.base_url}/_local/ses/verify", json={"domain": "acme.example"}, timeout=10)
    assert verified.status_code == 200, verified.text
    got = requests.get(f"{stack.base_url}/v1/email/domains/acme.example", headers=admin, timeout=10).json()
    assert got["state"] == "verified"
    settings = requests.get(f"{stack.base_url}/v1/email/settings", headers=stack.headers(), timeout=10).json()
    assert settings["from"] == {"email": "support@acme.example", "name": "Atender Support", "shared": False}

    acme = _start(stack, "acme", "conv-domains")
    assert acme["email"]["from"]["email"] == "support@acme.example"
    mail = stack.wait_for(lambda: _mail_for(stack, acme["email"]["reply_to"]))
    assert mail["from"] == "Agent 1 via Atender Support <support@acme.example>"
    head = BytesParser(policy=policy.default).parsebytes(mail["raw"].encode(), headersonly=True)
    token = next(r["name"].split(".")[0] for r in records if r["purpose"] == "dkim")
    signature = " ".join(str(head["DKIM-Signature"]).split())
    assert "d=acme.example;" in signature
    assert f"s={token};" in signature
    key = requests.get(f"{stack.base_url}/_local/ses/dkim", params={"domain": "acme.example"}, timeout=10).json()
    assert dkim.verify(mail["raw"].encode(), dnsfunc=lambda name, timeout=5: key["record"].encode())

    globex = _start(stack, "globex", "conv-globex")
    assert globex["email"]["from"] == {"email": "support@example.com", "name": "Atender Support", "shared": True}
    mail = stack.wait_for(lambda: _mail_for(stack, globex["email"]["reply_to"]))
    assert mail["from"] == "Agent 1 via Atender Support <support@example.com>"

    # A spoofed reply claiming acme's sending address, then one failing DMARC (the local verdicts header).
    _smtp(stack, acme["email"]["reply_to"], "Acme Support <support@acme.example>")
    _smtp(stack, acme["email"]["reply_to"], "Vera Vendor <vera@partner.example>",
          X_Local_SES_Verdicts="spf=FAIL; dkim=FAIL; dmarc=FAIL; dmarc-policy=none")

    def held() -> list[dict[str, Any]] | None:
        items = requests.get(f"{stack.base_url}/v1/quarantine", headers=admin, timeout=10).json()["items"]
        mine = [i for i in items if i.get("side_conversation_id") == acme["id"]]
        return mine if len(mine) >= 2 else None

    reasons = sorted(i["reason"] for i in stack.wait_for(held))
    assert reasons == ["dmarc", "spoofed_sender"]
    thread = requests.get(f"{stack.base_url}/v1/conversations/conv-domains/side-conversations/{acme['id']}",
                          headers=stack.headers(account="acme"), timeout=10).json()
    assert thread["message_count"] == 1


def test_local_verify_names_what_is_missing(local_stack: LocalStackProcess) -> None:
    response = requests.post(f"{local_stack.base_url}/_local/ses/verify", json={}, timeout=10)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "domain"
    response = requests.post(f"{local_stack.base_url}/_local/ses/verify", json={"domain": "nobody.example"},
                             timeout=10)
    assert response.status_code == 404
