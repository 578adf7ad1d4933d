"""Issue 16's "done when" on the local stack over HTTP: an agent quotes two of the customer's messages
with the phone redacted, uploads a 5 MB PDF and a screenshot through the presigned POST (to the stack's
S3 POST route, checked as S3 checks it), and sends by e-mail and by Slack; /_local/mail and
/_local/slack/messages carry the quote, masked, and both files."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LocalStackProcess

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local_stack")]

CONVERSATION = "conv-e2e-16"
BASE = f"/v1/conversations/{CONVERSATION}"
PDF = b"%PDF-1.7\n" + os.urandom(5 * 1024 * 1024) + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(200 * 1024)
CONTEXT = [
    {"author": {"name": "Maya Lopez", "role": "customer"}, "sent_at": "2026-12-02T09:12:00Z",
     "body": "The parcel never arrived. You can reach me on +1 (415) 555-0134."},
    {"author": {"name": "Maya Lopez", "role": "customer"}, "sent_at": "2026-12-02T09:20:00Z",
     "body": "Order 1042, paid with card 4242 4242 4242 4242. <b>Please</b> hurry."},
]


def _upload(stack: LocalStackProcess, name: str, content_type: str, data: bytes) -> str:
    response = requests.post(f"{stack.base_url}{BASE}/uploads", headers=stack.headers(), timeout=10,
                             json={"filename": name, "content_type": content_type, "size": len(data)})
    assert response.status_code == 201, response.text
    form = response.json()
    assert form["url"].startswith(f"{stack.base_url}/_local/s3/")
    posted = requests.post(form["url"], data=form["fields"], files={"file": (name, data, content_type)}, timeout=30)
    assert posted.status_code == 204, posted.text
    return str(form["upload_id"])


def _create(stack: LocalStackProcess, request: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(f"{stack.base_url}{BASE}/side-conversations", headers=stack.headers(), timeout=30,
                             json={**request, "context": CONTEXT, "redact": ["phone"]})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_s3_post_outside_the_policy_is_refused(local_stack: LocalStackProcess) -> None:
    response = requests.post(f"{local_stack.base_url}{BASE}/uploads", headers=local_stack.headers(), timeout=10,
                             json={"filename": "a.pdf", "content_type": "application/pdf", "size": 10})
    form = response.json()
    too_big = requests.post(form["url"], data=form["fields"], files={"file": ("a.pdf", b"x" * 11)}, timeout=10)
    assert too_big.status_code == 400
    assert "<Code>EntityTooLarge</Code>" in too_big.text
    other_type = {**form["fields"], "Content-Type": "text/html"}
    refused = requests.post(form["url"], data=other_type, files={"file": ("a.pdf", b"x" * 10)}, timeout=10)
    assert refused.status_code == 403


def test_quote_redact_and_attach_by_email_and_slack(local_stack: LocalStackProcess) -> None:
    pdf, png = _upload(local_stack, "shipping-label.pdf", "application/pdf", PDF), \
        _upload(local_stack, "screenshot.png", "image/png", PNG)
    # By e-mail
    created = _create(local_stack, {"channel": "email", "subject": "Lost parcel, order 1042",
                                    "body": "Can you trace this parcel?", "to": [{"email": "courier@partner.example"}],
                                    "attachments": [pdf, png]})
    reply_to = created["email"]["reply_to"]

    def mail() -> dict[str, Any] | None:
        items = requests.get(f"{local_stack.base_url}/_local/mail", timeout=10).json()["items"]
        return next((m for m in items if m["reply_to"] == reply_to), None)

    sent = local_stack.wait_for(mail, timeout=20)
    assert "On 2 Dec 2026 09:12, Maya Lopez (customer) wrote:" in sent["raw"]
    assert "[phone removed]" in sent["raw"]
    assert "555-0134" not in sent["raw"]
    assert "4242 4242" not in sent["raw"]
    assert [(a["name"], a["content_type"], a["sha256"]) for a in sent["attachments"]] == [
        ("shipping-label.pdf", "application/pdf", hashlib.sha256(PDF).hexdigest()),
        ("screenshot.png", "image/png", hashlib.sha256(PNG).hexdigest())]
    # And the message's download link opens on the local stack (signed for it, checked as S3 checks it)
    message_id = created["messages"][0]["id"]
    link = requests.get(f"{local_stack.base_url}{BASE}/side-conversations/{created['id']}/messages/{message_id}"
                        f"/attachments/{pdf}", headers=local_stack.headers(), timeout=10).json()
    assert link["url"].startswith(f"{local_stack.base_url}/_local/s3/")
    downloaded = requests.get(link["url"], timeout=30)
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content == PDF
    assert downloaded.headers["Content-Type"] == "application/pdf"
    assert downloaded.headers["Content-Disposition"] == 'attachment; filename="shipping-label.pdf"'
    tampered = requests.get(link["url"].replace("shipping", "x").replace(pdf, png), timeout=10)
    assert tampered.status_code == 403
    assert requests.get(link["url"].split("?")[0], timeout=10).status_code == 403

    # By Slack: the same quote in the root post, the files in its thread
    pdf2, png2 = _upload(local_stack, "shipping-label.pdf", "application/pdf", PDF), \
        _upload(local_stack, "screenshot.png", "image/png", PNG)
    _create(local_stack, {"channel": "slack", "subject": "Lost parcel", "body": "Can you trace this parcel?",
                          "slack": {"target": "channel", "channel_id": "C0BILLING"}, "attachments": [pdf2, png2]})

    def thread() -> list[dict[str, Any]] | None:
        posted = requests.get(f"{local_stack.base_url}/_local/slack/messages", params={"channel": "C0BILLING"},
                              timeout=10).json()["messages"]
        roots = [m for m in posted if "Lost parcel" in (m["text"] or "")]
        if not roots:
            return None
        shared = [m for m in posted if m.get("files") and m["thread_ts"] == roots[-1]["ts"]]
        return [roots[-1], *shared] if shared else None

    root, files = local_stack.wait_for(thread, timeout=20)
    assert "_On 2 Dec 2026 09:12, Maya Lopez (customer) wrote:_" in root["text"]
    assert ">The parcel never arrived. You can reach me on [phone removed]." in root["text"]
    assert "&lt;b&gt;Please&lt;/b&gt;" in root["text"]
    assert [(f["name"], f["sha256"]) for f in files["files"]] == [
        ("shipping-label.pdf", hashlib.sha256(PDF).hexdigest()), ("screenshot.png", hashlib.sha256(PNG).hexdigest())]
