"""Hostile input through the real inbound handlers (property-based, hypothesis): every mail ends appended
or quarantined (stored raw first, never dropped), every Slack event ends appended, ignored or duplicate,
HTML from outside never comes back from the API as HTML, and text is returned as the text it was.

The pure parsers are fuzzed harder, without AWS, in tests/unit/test_fuzz_mime.py and test_fuzz_slack.py.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import nh3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import LambdaContextStub
from tests.reliability.harness import BASE, World, world
from tests.unit.test_fuzz_mime import _header_line, mime_entity

pytestmark = [pytest.mark.xdist_group("reliability"), pytest.mark.filterwarnings("ignore::UserWarning")]

HANDLER_FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                        suppress_health_check=list(HealthCheck))
COUNTER = itertools.count()
MARKUP = ["<script>alert(document.cookie)</script>", "<img src=x onerror=alert(1)>",
          "<a href=\"javascript:alert(1)\">click</a>", "<iframe src=//evil.example></iframe>",
          "<svg onload=alert(1)>", "<style>*{display:none}</style>", "&lt;script&gt;alert(1)&lt;/script&gt;"]


@pytest.fixture(scope="module")
def hostile() -> Iterator[tuple[World, dict[str, Any]]]:
    with world() as w:
        created = w.start_email("Please approve msg-h", key="h")
        markup = w.start_email("Please approve msg-hm", key="hm")
        slack = w.start_slack("Is it fixed? msg-hs", key="hs")
        w.pump()
        yield w, {"email": created, "markup": markup, "slack": w.api("GET", f"{BASE}/{slack['id']}")[1]}


def _ingest(w: World, raw: bytes, recipients: list[str]) -> dict[str, Any]:
    import boto3

    from functions.ingest_email.handler import lambda_handler
    from local.email import receipt_event

    ses_id = f"hostile{next(COUNTER):06d}"
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=w.stack.settings.received_mail_bucket, Key=f"{w.stack.settings.raw_mail_prefix}{ses_id}", Body=raw)
    try:
        event = receipt_event(raw, message_id=ses_id, recipients=recipients, mail_from="x@partner.example")
    except Exception:  # the event is SES's to build; a header it could not render still reaches us
        event = receipt_event(b"Subject: x\r\n\r\n", message_id=ses_id, recipients=recipients,
                              mail_from="x@partner.example")
    answer = lambda_handler(event, LambdaContextStub())
    [result] = answer["results"]
    return dict(result)


def _assert_no_markup(text: str) -> None:
    # (nh3.is_html reports a bare NUL as HTML; a NUL is no markup)
    assert not nh3.is_html(text.replace("\x00", "")), text


def _thread(w: World, side_conversation_id: str) -> dict[str, Any]:
    """The side conversation with every page of its messages."""
    query = {"limit": "100"}
    status, body = w.api("GET", f"{BASE}/{side_conversation_id}", query=query)
    assert status == 200, body
    thread = dict(body)
    while body.get("next_token"):
        status, body = w.api("GET", f"{BASE}/{side_conversation_id}", query={**query,
                                                                            "next_token": body["next_token"]})
        assert status == 200, body
        thread["messages"] += body["messages"]
    return thread


@HANDLER_FUZZ
@given(headers=st.lists(_header_line(), max_size=8), body=mime_entity(), to_thread=st.booleans())
def test_every_mail_is_appended_or_quarantined(hostile: tuple[World, dict[str, Any]], headers: list[bytes],
                                               body: bytes, to_thread: bool) -> None:
    w, created = hostile
    reply_to = created["email"]["email"]["reply_to"]
    # Given a hostile mail, to the side conversation's reply address or to a made-up one
    recipients = [reply_to if to_thread else "sc.01h0000000000000000000000.forged@reply.example.com"]
    # When SES hands it to the function
    result = _ingest(w, b"\r\n".join(headers) + b"\r\n" + body, recipients)
    # Then it is appended (reply address) or quarantined with a reason (anything else), never dropped
    if to_thread:
        assert result["outcome"] == "appended", result
    else:
        assert result["outcome"] == "quarantined", result
        assert result["reason"]


TAGS = [m for m in MARKUP if m.startswith("<")]


@HANDLER_FUZZ
@given(markup=st.lists(st.sampled_from(TAGS), min_size=1, max_size=3),
       text=st.text(alphabet=st.characters(codec="utf-8", exclude_characters="<>&()"), max_size=40))
def test_html_in_mail_never_comes_back_as_html(hostile: tuple[World, dict[str, Any]], markup: list[str],
                                               text: str) -> None:
    from email.message import EmailMessage

    w, created = hostile
    side = created["markup"]
    # Given an HTML-only reply carrying script, event handlers, frames and styles
    mail = EmailMessage()
    mail["From"] = "Mallory <mallory@partner.example>"
    mail["To"] = side["email"]["reply_to"]
    mail["Subject"] = "Re: refund"
    mail.set_content(f"<html><body><p>{text} {' '.join(markup)} approved</p></body></html>", subtype="html")
    result = _ingest(w, mail.as_bytes(), [side["email"]["reply_to"]])
    assert result["outcome"] == "appended"
    # When an agent opens the thread
    thread = _thread(w, side["id"])
    received = [m for m in thread["messages"] if m["id"] == result["message_id"]]
    assert received, "the reply is in the thread"
    # Then what the API returns is text: no element, no handler, no script body
    body = received[0]["body"]
    _assert_no_markup(body)
    assert "alert(" not in body
    assert "approved" in body
    _assert_no_markup(thread.get("preview_text") or "")


def test_text_that_looks_like_markup_comes_back_as_the_same_text(hostile: tuple[World, dict[str, Any]]) -> None:
    from email.message import EmailMessage

    w, created = hostile
    side = created["markup"]
    # Given a plain-text reply that quotes code (an engineer writing about a <Header> component)
    typed = "The <Header> component breaks when a & b; try <script src=x> in staging"
    mail = EmailMessage()
    mail["From"] = "Eve Engineer <eve@partner.example>"
    mail["To"] = side["email"]["reply_to"]
    mail["Subject"] = "Re: refund"
    mail.set_content(typed)
    result = _ingest(w, mail.as_bytes(), [side["email"]["reply_to"]])
    # When the agent opens the thread, then the text is exactly what was typed, as text (a JSON string
    # the API documents as plain text; the panel renders it with textContent, see tests/browser)
    [received] = [m for m in _thread(w, side["id"])["messages"] if m["id"] == result["message_id"]]
    assert received["body"] == typed


def _slack_event(w: World, event: dict[str, Any]) -> str:
    from functions.slack_processor.handler import lambda_handler

    envelope = w.slack.envelope(event)
    record = {"messageId": f"m{next(COUNTER)}", "receiptHandle": "r", "body": json.dumps(envelope),
              "attributes": {"MessageGroupId": "g", "ApproximateReceiveCount": "1",
                             "MessageDeduplicationId": envelope["event_id"], "SequenceNumber": "1"},
              "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
              "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:side-conversations-slack-events.fifo",
              "awsRegion": "us-east-1"}
    answer = lambda_handler({"Records": [record]}, LambdaContextStub())
    return "failed" if answer["batchItemFailures"] else "processed"


@HANDLER_FUZZ
@given(text=st.one_of(st.text(max_size=200), st.sampled_from(MARKUP)), user=st.sampled_from(["U0ALICE", "U0NOBODY"]),
       subtype=st.sampled_from([None, "thread_broadcast", "file_share", "bot_message", "message_changed",
                                "message_deleted"]))
def test_every_slack_reply_edit_or_deletion_is_processed(hostile: tuple[World, dict[str, Any]],
                                                                 text: str, user: str, subtype: str | None) -> None:
    w, created = hostile
    side = created["slack"]
    channel, thread_ts = side["slack"]["channel_id"], side["slack"]["thread_ts"]
    ts = f"17000{next(COUNTER):05d}.000100"
    # Given a reply, an edit or a deletion in the thread, with any text
    event: dict[str, Any] = {"type": "message", "channel": channel, "channel_type": "channel"}
    inner = {"type": "message", "user": user, "text": text, "ts": ts, "thread_ts": thread_ts}
    if subtype == "message_changed":
        event.update(subtype=subtype, message=inner, ts=ts, event_ts=ts)
    elif subtype == "message_deleted":
        event.update(subtype=subtype, deleted_ts=ts, previous_message=inner, ts=ts)
    else:
        event.update(inner)
        if subtype:
            event["subtype"] = subtype
    # When the processor gets it from the events queue
    outcome = _slack_event(w, event)
    # Then it was processed (appended, updated, deleted, ignored or a duplicate), never left failing
    assert outcome == "processed"
    assert all(isinstance(m["body"], str) for m in _thread(w, side["id"])["messages"])
