"""Every reply in the shared corpus, re-addressed to a live reply address and delivered through the
receiving path (raw mail in S3 + SES receipt event → ingest_email), must thread to its side
conversation with a sensible extracted body."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.email_support import CORPUS, EmailWorld, shared_email_world_fixture  # noqa: F401

EMAIL_CORPUS = CORPUS / "email"
FILES = sorted(EMAIL_CORPUS.glob("*.eml")) if EMAIL_CORPUS.is_dir() else []

pytestmark = [
    pytest.mark.skipif(not FILES, reason=f"shared e-mail corpus not found at {EMAIL_CORPUS.resolve()}"),
]

# What each corpus mail must read as (shared with `make bench`, bench/email_conformance.py):
# `expect` exactly the new text, else `contains` / `lacks`; `attachments` as (name, type).
EXPECTED = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "email" / "corpus.json").read_text())


def readdress(raw: bytes, address: str) -> bytes:
    """Point the mail's To at the reply address (the envelope recipient is what SES matches on)."""
    return re.sub(rb"(?mi)^To:[^\n]*\n(?:[ \t][^\n]*\n)*", b"To: " + address.encode() + b"\n", raw, count=1)


def test_every_corpus_mail_has_an_expectation() -> None:
    assert {f.name for f in FILES} == set(EXPECTED)


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_corpus_reply_threads_with_its_new_text(path: Path, shared_email_world: EmailWorld) -> None:
    email_world = shared_email_world
    # Given a side conversation whose first mail went out
    started = email_world.start()
    email_world.send()
    assert email_world.sent(limit=1)[0]["reply_to"] == started["email"]["reply_to"]
    reply_to = started["email"]["reply_to"]
    # When the corpus mail arrives for its reply address
    result = email_world.deliver(readdress(path.read_bytes(), reply_to), [reply_to])
    # Then it threads to that side conversation
    assert result["outcome"] == "appended", result
    assert result["side_conversation_id"] == started["id"]
    [reply] = [m for m in email_world.thread(started["id"])["messages"] if m["direction"] == "inbound"]
    body = reply["body"].replace("\u00a0", " ")
    # With the expected new text
    expected = EXPECTED[path.name]
    if "expect" in expected:
        assert body == expected["expect"]
    else:
        assert expected["contains"] in body
        assert expected["lacks"] not in body
    assert not re.search(r"(?m)^>", body), "quoted lines left in the body"
    # And the attachments it carries, never taken for the reply
    attachments = [tuple(a) for a in expected.get("attachments", [])]
    assert [(a["name"], a["content_type"]) for a in reply["attachments"]] == attachments


SES_CORPUS = CORPUS / "ses"
SES_EVENTS = sorted(p for p in SES_CORPUS.glob("*.json") if '"type": "Lambda"' in p.read_text()) \
    if SES_CORPUS.is_dir() else []


@pytest.mark.skipif(not SES_EVENTS, reason=f"shared SES corpus not found at {SES_CORPUS.resolve()}")
@pytest.mark.parametrize("path", SES_EVENTS, ids=[p.name for p in SES_EVENTS])
def test_published_receipt_events_are_read_by_message_id(path: Path, shared_email_world: EmailWorld) -> None:
    """The Lambda-action events AWS publishes: the raw mail is found by `mail.messageId` under the rule's
    prefix, and a mail for an address that is not ours is quarantined, not dropped."""
    import boto3

    from functions.ingest_email.handler import lambda_handler
    from tests.conftest import LambdaContextStub

    world = shared_email_world
    event = json.loads(path.read_text())
    mail = event["Records"][0]["ses"]["mail"]
    raw = EMAIL_CORPUS / "talon_gmail_reply.eml"
    boto3.client("s3", region_name=world.settings.region).put_object(
        Bucket=world.settings.received_mail_bucket, Key=f"{world.settings.raw_mail_prefix}{mail['messageId']}",
        Body=raw.read_bytes())
    result = lambda_handler(event, LambdaContextStub())
    assert [(r["outcome"], r["reason"]) for r in result["results"]] == [("quarantined", "unmatched")]
