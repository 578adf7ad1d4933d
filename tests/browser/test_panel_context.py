"""Issue 16 in the panel, in Chromium against the local stack: the agent ticks two of the customer's
messages on the demo page, sees the preview with the phone hidden, attaches a 5 MB PDF and a screenshot
(each uploaded by the browser through the presigned POST, with a progress bar), removes one too many,
and sends by email and by Slack; the mail and the Slack thread carry the quote and both files."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import Demo, Screenshots
from tests.browser.test_panel_flows import open_demo

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

PDF = b"%PDF-1.7\n" + os.urandom(5 * 1024 * 1024) + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(100 * 1024)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {"label.pdf": PDF, "screenshot.png": PNG, "tool.exe": b"MZ" + b"\0" * 100,
           "huge.pdf": b"%PDF" + b"\0" * (25 * 1024 * 1024 + 1)}
    for name, data in out.items():
        (tmp_path / name).write_bytes(data)
    return {name: tmp_path / name for name in out}


def choose_context(rail: Any) -> None:
    picker = rail.get_by_role("group", name="Include messages from this conversation")
    picker.get_by_label(re.compile(r"^Maya Lopez \(customer\): Hi, my blender")).check()
    picker.get_by_label(re.compile(r"^Maya Lopez \(customer\): Thanks\. If the courier")).check()
    # Only the phone is hidden: the e-mail address stays visible to the recipient
    picker.get_by_label("Email addresses").uncheck()
    preview = rail.locator(".sc-context-preview")
    expect(preview).to_contain_text("On 2 Dec 2026 09:31, Maya Lopez (customer) wrote:")
    expect(preview).to_contain_text("my phone is [phone removed] (maya@customer.example)")
    expect(preview).not_to_contain_text("7946")


def attach(rail: Any, files: dict[str, Path]) -> None:
    chooser = rail.get_by_label("choose files")
    # Refused before anything is uploaded: too big, and an executable
    chooser.set_input_files([str(files["huge.pdf"])])
    expect(rail.get_by_role("alert").filter(has_text="a file may be at most 25 MB")).to_be_visible()
    chooser.set_input_files([str(files["tool.exe"])])
    expect(rail.get_by_role("alert").filter(has_text="cannot be sent")).to_be_visible()
    # Three files, one removed before sending
    chooser.set_input_files([str(files["label.pdf"]), str(files["screenshot.png"])])
    chooser.set_input_files([str(files["label.pdf"])])
    listing = rail.get_by_role("list", name="Files to send")
    expect(listing.get_by_role("listitem")).to_have_count(3)
    expect(listing.locator("progress").first).to_be_visible()
    listing.get_by_role("button", name="Remove label.pdf").last.click()
    expect(listing.get_by_role("listitem")).to_have_count(2)
    expect(listing.get_by_text("ready")).to_have_count(2)


def test_quote_redact_and_attach_by_email(page: Any, demo: Demo, files: dict[str, Path], shots: Screenshots) -> None:
    rail = open_demo(page, demo)
    rail.get_by_role("button", name="New email").click()
    rail.get_by_label("To 1 email").fill("courier@partner.example")
    rail.get_by_label("Subject").fill("Damaged parcel, order 1042")
    rail.get_by_label("Message", exact=True).fill("Was the parcel damaged in transit?")
    choose_context(rail)
    attach(rail, files)
    shots(page, "email-with-context-and-files")
    rail.get_by_role("button", name="Send email").click()

    expect(rail.get_by_role("heading", name="Damaged parcel, order 1042")).to_be_focused()
    sent = rail.get_by_role("article", name="Sent by Agent 1")
    expect(sent.get_by_text("Quoted 2 messages from the conversation")).to_be_visible()
    expect(sent.get_by_text("Hidden from the recipient: 1 phone number.")).to_be_hidden()  # collapsed
    sent.get_by_text("Quoted 2 messages from the conversation").click()
    expect(sent.get_by_text("Hidden from the recipient: 1 phone number.")).to_be_visible()
    expect(sent.get_by_role("button", name="Download label.pdf")).to_be_visible()
    shots(page, "sent-with-quote-open")

    def mail() -> dict[str, Any] | None:
        items = requests.get(f"{demo.stack.base_url}/_local/mail", timeout=30).json()["items"]
        return next((m for m in items if m["subject"] == "Damaged parcel, order 1042"), None)

    delivered = demo.wait_for(mail)
    assert "[phone removed]" in delivered["raw"]
    assert "7946 0958" not in delivered["raw"]
    assert sorted((a["name"], a["sha256"]) for a in delivered["attachments"]) == [
        ("label.pdf", hashlib.sha256(PDF).hexdigest()), ("screenshot.png", hashlib.sha256(PNG).hexdigest())]


def test_quote_and_attach_by_slack(page: Any, demo: Demo, files: dict[str, Path], shots: Screenshots) -> None:
    rail = open_demo(page, demo)
    rail.get_by_role("button", name="New Slack").click()
    rail.get_by_label("A channel").check()
    rail.get_by_label("Slack channel").fill("C0GENERAL")
    rail.get_by_label("Subject (optional)").fill(f"Courier check {demo.conversation_id}")
    rail.get_by_label("Message", exact=True).fill("Can the courier confirm?")
    choose_context(rail)
    attach(rail, files)
    rail.get_by_role("button", name="Post to Slack").click()
    expect(rail.get_by_role("article", name="Sent by Agent 1")).to_be_visible()

    def thread() -> list[dict[str, Any]] | None:
        posted = requests.get(f"{demo.stack.base_url}/_local/slack/messages", params={"channel": "C0GENERAL"},
                              timeout=30).json()["messages"]
        root = next((m for m in posted if demo.conversation_id in (m["text"] or "")), None)
        shared = [m for m in posted if root and m.get("files") and m["thread_ts"] == root["ts"]]
        return [root, *shared] if shared else None

    root, shared = demo.wait_for(thread)
    assert "[phone removed]" in root["text"]
    assert "7946 0958" not in root["text"]
    assert sorted(f["name"] for f in shared["files"]) == ["label.pdf", "screenshot.png"]
    shots(page, "slack-sent")


def test_use_in_reply_hands_a_received_message_to_the_customer_composer(page: Any, demo: Demo,
                                                                         shots: Screenshots) -> None:
    from tests.browser.test_panel_flows import slack_reply

    # Given a Slack side conversation with an answer from the courier
    demo.create({"channel": "slack", "subject": "Courier trace", "body": "Where is the parcel?",
                 "slack": {"target": "channel", "channel_id": "C0ONCALL"}})
    side = demo.wait_for(lambda: (s := demo.only_side_conversation())["slack"].get("thread_ts") and s)
    slack_reply(demo, side, "It was <b>dropped</b> at the depot; a new one ships today.")
    rail = open_demo(page, demo)
    rail.get_by_role("button", name=re.compile("Courier trace")).click()
    received = rail.get_by_role("article", name=re.compile("Received from"))
    expect(received).to_contain_text("a new one ships today")
    # When the agent uses it in the reply to the customer
    received.get_by_role("button", name="Use in reply").click()
    # Then the demo page's composer holds it, attributed, as text; nothing was sent to anyone
    composer = page.get_by_label("Reply to Maya")
    expect(composer).to_have_value(re.compile(r"^On \d+ \w{3} \d{4} \d\d:\d\d, .+ \(side conversation\) wrote:\n"
                                              r"It was <b>dropped</b> at the depot; a new one ships today\.$"))
    shots(page, "used-in-reply")


def test_a_reply_quotes_and_attaches_too(page: Any, demo: Demo, files: dict[str, Path]) -> None:
    demo.create({"channel": "email", "subject": "Follow-up on 1042", "body": "First message.",
                 "to": [{"email": "courier@partner.example"}]})
    rail = open_demo(page, demo)
    rail.get_by_role("button", name=re.compile("Follow-up on 1042")).click()
    rail.get_by_text("Quote messages or attach files").click()
    rail.get_by_label(re.compile(r"^Maya Lopez \(customer\): Thanks\. If the courier")).check()
    rail.get_by_label("choose files").set_input_files([str(files["screenshot.png"])])
    expect(rail.get_by_role("list", name="Files to send").get_by_text("ready")).to_have_count(1)
    rail.get_by_label("Reply", exact=True).fill("Here is what she wrote, and her screenshot.")
    rail.get_by_role("button", name="Send reply").click()
    expect(rail.get_by_role("article", name="Sent by Agent 1").filter(
        has_text="Here is what she wrote")).to_contain_text("Quoted 1 message from the conversation")

    def mail() -> dict[str, Any] | None:
        items = requests.get(f"{demo.stack.base_url}/_local/mail", timeout=30).json()["items"]
        return next((m for m in items if "Here is what she wrote" in m["raw"]), None)

    delivered = demo.wait_for(mail)
    assert "[phone removed]" in delivered["raw"]
    assert "[email removed]" in delivered["raw"]
    assert [a["name"] for a in delivered["attachments"]] == ["screenshot.png"]
