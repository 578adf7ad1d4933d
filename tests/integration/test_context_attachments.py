"""Quoted context with redaction and outbound attachments (issue 16): the real API handler, S3's POST
policy as the local stack checks it, real MIME through embedded SES, and the real slack-sdk against
the Slack stand-in."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import agent_claims
from tests.email_support import BASE, EmailWorld, email_world_fixture, parse_raw  # noqa: F401
from tests.slack_support import SlackWorld, counting_aws_requests, slack_world

UPLOADS = "/v1/conversations/conv-1/uploads"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00screen" * 100

CONTEXT = [
    {"author": {"name": "Maya Lopez", "role": "customer"}, "sent_at": "2026-12-02T09:12:00Z",
     "body": "My parcel never came. Call me on +44 20 7946 0958.\nOrder 1042."},
    {"author": {"name": "Maya Lopez", "role": "customer"}, "sent_at": "2026-12-02T09:15:00Z",
     "body": "I paid with 4111 1111 1111 1111 <script>alert('x')</script>"},
]


def upload(api: Any, name: str, content_type: str, data: bytes, *, conversation: str = "conv-1",
           claims: dict[str, Any] | None = None, post: bool = True) -> dict[str, Any]:
    """POST .../uploads, then the file to S3 as the browser would (the policy checked as S3 checks it)."""
    import boto3
    from sideconv.config import from_env

    from local.s3_post import accept

    status, _, form = api("POST", f"/v1/conversations/{conversation}/uploads",
                          {"filename": name, "content_type": content_type, "size": len(data)}, claims=claims)
    assert status == 201, form
    if post:
        accept(boto3.client("s3"), from_env().uploads_bucket, form["fields"], data)
    return dict(form)


def context_request(**overrides: Any) -> dict[str, Any]:
    return {"context": CONTEXT, "redact": ["phone"], **overrides}


class TestContextByEmail:
    def test_the_mail_quotes_the_context_masked_and_carries_both_files(self, email_world: EmailWorld) -> None:
        # Given two uploads, completed
        pdf = upload(email_world.api, "label.pdf", "application/pdf", PDF)
        png = upload(email_world.api, "screenshot.png", "image/png", PNG)
        # When the agent starts an e-mail with two quoted customer messages, the phone redacted
        started = email_world.start(**context_request(attachments=[pdf["upload_id"], png["upload_id"]]))
        [first] = started["messages"]
        # Then the message shows the context as sent: the phone and the card masked, the order number kept
        assert [q["author"] for q in first["context"]] == [{"name": "Maya Lopez", "role": "customer"}] * 2
        assert "7946" not in str(first["context"])
        assert "4111" not in str(first["context"])
        assert "[phone removed]" in first["context"][0]["body"]
        assert "Order 1042." in first["context"][0]["body"]
        assert "[card number removed]" in first["context"][1]["body"]
        assert sorted((r["kind"], r["count"]) for r in first["redactions"]) == [("card", 1), ("phone", 1)]
        assert [(a["name"], a["content_type"], a["size"]) for a in first["attachments"]] == [
            ("label.pdf", "application/pdf", len(PDF)), ("screenshot.png", "image/png", len(PNG))]
        # When the sender sends it
        assert email_world.send() == {"batchItemFailures": []}
        [mail] = email_world.sent()
        message = parse_raw(mail["raw"])
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        markup = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        # Then the quote follows the agent's text, attributed, in both parts; nothing masked left it
        assert text.index("could you ship") < text.index("On 2 Dec 2026 09:12, Maya Lopez (customer) wrote:")
        assert "> My parcel never came. Call me on [phone removed]." in text
        assert "On 2 Dec 2026 09:15, Maya Lopez (customer) wrote:" in markup
        assert "7946" not in mail["raw"]
        assert "4111 1111" not in mail["raw"]
        # And the script tag is text in the HTML part, never markup
        assert "<script>" not in markup
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in markup
        # And both files are attached, byte for byte
        files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
        assert files == {"label.pdf": PDF, "screenshot.png": PNG}
        # And the stored outbound copy is what was sent
        thread = email_world.thread(started["id"])
        assert thread["messages"][0]["context"] == first["context"]
        assert thread["messages"][0]["delivery"]["status"] == "sent"

    def test_an_outbound_attachment_has_a_download_link(self, email_world: EmailWorld) -> None:
        pdf = upload(email_world.api, "label.pdf", "application/pdf", PDF)
        started = email_world.start(attachments=[pdf["upload_id"]])
        message_id = started["messages"][0]["id"]
        status, _, link = email_world.api(
            "GET", f"{BASE}/{started['id']}/messages/{message_id}/attachments/{pdf['upload_id']}")
        assert status == 200, link
        assert "side-conversations-uploads" in link["url"]
        assert link["expires_in"] == 300

    def test_a_download_link_names_a_non_ascii_file_as_rfc_6266_says(self, email_world: EmailWorld) -> None:
        from urllib.parse import parse_qs, urlsplit

        pdf = upload(email_world.api, "Überweisung März.pdf", "application/pdf", PDF)
        started = email_world.start(attachments=[pdf["upload_id"]])
        status, _, link = email_world.api(
            "GET", f"{BASE}/{started['id']}/messages/{started['messages'][0]['id']}/attachments/{pdf['upload_id']}")
        assert status == 200, link
        [disposition] = parse_qs(urlsplit(link["url"]).query)["response-content-disposition"]
        # An ASCII fallback, and the real name in UTF-8: nothing raw outside ASCII in the header
        assert disposition == ("attachment; filename=\"_berweisung M_rz.pdf\"; "
                               "filename*=UTF-8''%C3%9Cberweisung%20M%C3%A4rz.pdf")
        assert link["name"] == "Überweisung März.pdf"

    def test_a_reply_takes_context_and_files_too(self, email_world: EmailWorld) -> None:
        started = email_world.start()
        png = upload(email_world.api, "screenshot.png", "image/png", PNG)
        status, _, reply = email_world.api("POST", f"{BASE}/{started['id']}/messages", {
            "body": "Here is what she saw.", "context": CONTEXT[:1], "redact": [], "attachments": [png["upload_id"]]})
        assert status == 201, reply
        # Phone not asked for: kept; the card rule does not apply to it
        assert "+44 20 7946 0958" in reply["context"][0]["body"]
        assert reply["redactions"] == []
        email_world.send()
        newest = parse_raw(email_world.sent()[0]["raw"])
        assert [p.get_filename() for p in newest.iter_attachments()] == ["screenshot.png"]


class TestUploads:
    def test_the_post_is_bound_to_the_key_size_type_and_tag(self, api: Any) -> None:
        form = upload(api, "label.pdf", "application/pdf", PDF, post=False)
        fields = form["fields"]
        assert fields["key"] == f"uploads/acme/conv-1/{form['upload_id']}"
        assert fields["Content-Type"] == "application/pdf"
        assert form["url"].endswith("side-conversations-uploads.s3.amazonaws.com/")
        assert form["expires_at"].endswith("Z")

    @pytest.mark.parametrize(("change", "code"), [
        ({"data": PDF + b"x"}, "EntityTooLarge"),
        ({"data": PDF[:-1]}, "EntityTooSmall"),
        ({"Content-Type": "text/html"}, "AccessDenied"),
        ({"key": "uploads/other/conv-1/X"}, "AccessDenied"),
        ({"x-amz-meta-extra": "1"}, "AccessDenied"),
        ({"x-amz-signature": "0" * 64}, "SignatureDoesNotMatch"),
    ])
    def test_s3_refuses_a_post_outside_its_policy(self, api: Any, change: dict[str, Any], code: str) -> None:
        import boto3
        from sideconv.config import from_env

        from local.s3_post import Refused, accept

        form = upload(api, "label.pdf", "application/pdf", PDF, post=False)
        fields = {**form["fields"], **{k: v for k, v in change.items() if k != "data"}}
        with pytest.raises(Refused) as refused:
            accept(boto3.client("s3"), from_env().uploads_bucket, fields, change.get("data", PDF))
        assert refused.value.code == code

    def test_an_expired_policy_is_refused(self, api: Any) -> None:
        from datetime import UTC, datetime, timedelta

        from local.s3_post import Refused, check

        form = upload(api, "label.pdf", "application/pdf", PDF, post=False)
        later = datetime.now(UTC) + timedelta(minutes=16)
        fields = {k.lower(): v for k, v in form["fields"].items()}
        with pytest.raises(Refused, match="expired"):
            check("side-conversations-uploads", fields, len(PDF), secret=os.environ["AWS_SECRET_ACCESS_KEY"], now=later)

    @pytest.mark.parametrize(("request_body", "field"), [
        ({"filename": "big.pdf", "content_type": "application/pdf", "size": 25 * 1024 * 1024 + 1}, "size"),
        ({"filename": "setup.exe", "content_type": "application/pdf", "size": 10}, "filename"),
        ({"filename": "invoice.exe.pdf", "content_type": "application/pdf", "size": 10}, "filename"),
        ({"filename": "page.html", "content_type": "text/html", "size": 10}, "filename"),
        ({"filename": "blob", "content_type": "application/octet-stream", "size": 10}, "content_type"),
        ({"filename": "photo.png", "content_type": "application/pdf", "size": 10}, "filename"),
        ({"filename": "a.pdf", "content_type": "application/pdf", "size": 0}, "size"),
    ])
    def test_a_file_the_service_will_not_send_is_refused_before_upload(
            self, api: Any, request_body: dict[str, Any], field: str) -> None:
        status, headers, problem = api("POST", UPLOADS, request_body)
        assert status == 422, problem
        assert headers["Content-Type"] == "application/problem+json"
        assert problem["errors"][0]["field"] == field

    @pytest.mark.parametrize(("raw", "sent"), [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\maya\\label.pdf", "label.pdf"),
        ("label\r\nBcc: x@evil.example.pdf", "labelBcc_ x@evil.example.pdf"),
        ("fdp.\u202eexe.pdf", "fdp.exe.pdf"),
        ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
        ("report", "report.pdf"),
        ('quote".pdf', "quote_.pdf"),
    ])
    def test_hostile_file_names_are_sanitised(self, api: Any, raw: str, sent: str) -> None:
        status, _, form = api("POST", UPLOADS, {"filename": raw, "content_type": "application/pdf", "size": 10})
        if sent == "fdp.exe.pdf":  # the override hid an executable ending inside the name
            assert status == 422
            assert form["errors"][0]["field"] == "filename"
            return
        assert status == 201, form
        assert form["name"] == sent

    def test_an_upload_of_another_conversation_or_account_is_not_found(self, api: Any) -> None:
        here = upload(api, "label.pdf", "application/pdf", PDF)
        other = upload(api, "label.pdf", "application/pdf", PDF, conversation="conv-2")
        elsewhere = upload(api, "label.pdf", "application/pdf", PDF, claims=agent_claims(account="globex"))
        for foreign in (other, elsewhere):
            status, _, problem = api("POST", f"{BASE}", {
                "channel": "email", "subject": "s", "body": "b", "to": [{"email": "v@partner.example"}],
                "attachments": [here["upload_id"], foreign["upload_id"]]})
            assert status == 404, problem
            assert problem["errors"][0]["field"] == "attachments.1"

    @pytest.mark.parametrize(("name", "content_type", "data", "says"), [
        ("label.pdf", "application/pdf", b"MZ\x90\x00" + b"\x00" * 200, "is a program"),
        ("notes.txt", "text/plain", b"\x7fELF\x02\x01" + b"\x00" * 200, "is a program"),
        ("shot.png", "image/png", PDF, "not what its type says"),
        ("label.pdf", "application/pdf", PNG, "not a PDF"),
        ("sheet.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"MZ" + PDF,
         "is a program"),
    ])
    def test_a_file_whose_bytes_lie_about_it_is_refused(self, api: Any, name: str, content_type: str, data: bytes,
                                                        says: str) -> None:
        # Given an upload whose name and type pass, but whose first bytes are a program or another type
        lying = upload(api, name, content_type, data)
        # When a message names it
        status, _, problem = api("POST", BASE, {"channel": "email", "subject": "s", "body": "b",
                                                "to": [{"email": "v@partner.example"}],
                                                "attachments": [lying["upload_id"]]})
        # Then it is refused, naming the attachment, and nothing was written
        assert status == 422, problem
        assert problem["errors"][0]["field"] == "attachments.0"
        assert says in problem["detail"]

    def test_an_upload_never_completed_is_refused(self, api: Any) -> None:
        pending = upload(api, "label.pdf", "application/pdf", PDF, post=False)
        status, _, problem = api("POST", BASE, {"channel": "email", "subject": "s", "body": "b",
                                                "to": [{"email": "v@partner.example"}],
                                                "attachments": [pending["upload_id"]]})
        assert status == 422, problem
        assert problem["errors"][0]["field"] == "attachments.0"
        assert "never completed" in problem["detail"]

    def test_email_takes_at_most_30_mb_of_files(self, api: Any) -> None:
        ids = [upload(api, f"part{i}.pdf", "application/pdf", b"x" * (12 * 1024 * 1024), post=False)["upload_id"]
               for i in range(3)]
        status, _, problem = api("POST", BASE, {"channel": "email", "subject": "s", "body": "b",
                                                "to": [{"email": "v@partner.example"}], "attachments": ids})
        assert status == 422, problem
        assert problem["errors"][0]["field"] == "attachments"

    def test_more_than_ten_files_are_refused(self, api: Any) -> None:
        status, _, problem = api("POST", BASE, {"channel": "email", "subject": "s", "body": "b",
                                                "to": [{"email": "v@partner.example"}],
                                                "attachments": ["01HZZZZZZZZZZZZZZZZZZZZZZZ"] * 11})
        assert status == 422
        assert problem["errors"][0]["field"] == "attachments"


class TestContextLimits:
    @pytest.mark.parametrize(("context", "field"), [
        ([{**CONTEXT[0], "body": "x" * 60 * 1024}], "context.0.body"),
        ([{**CONTEXT[0], "body": "x" * 30_000}, {**CONTEXT[0], "body": "y" * 30_000}], "context.1.body"),
        ([CONTEXT[0]] * 21, "context"),
        ([{**CONTEXT[0], "author": {"name": "Maya", "role": "vendor"}}], "context.0.author.role"),
        ([{**CONTEXT[0], "author": {"name": "Maya\r\nBcc: x", "role": "customer"}}], "context.0.author.name"),
        ([{**CONTEXT[0], "sent_at": "yesterday"}], "context.0.sent_at"),
        ([{**CONTEXT[0], "body": ""}], "context.0.body"),
    ])
    def test_context_beyond_the_limits_is_refused_naming_the_field(
            self, api: Any, context: list[dict[str, Any]], field: str) -> None:
        status, _, problem = api("POST", BASE, {"channel": "email", "subject": "s", "body": "b",
                                                "to": [{"email": "v@partner.example"}], "context": context})
        assert status == 422, problem
        assert problem["errors"][0]["field"] == field

    def test_an_unknown_redaction_kind_is_refused(self, api: Any) -> None:
        status, _, problem = api("POST", BASE, {"channel": "email", "subject": "s", "body": "b",
                                                "to": [{"email": "v@partner.example"}], "redact": ["address"]})
        assert status == 422
        assert problem["errors"][0]["field"] == "redact.0"


def test_create_with_context_and_three_attachments_is_one_write_request(api: Any) -> None:
    ids = [upload(api, f"f{i}.pdf", "application/pdf", PDF)["upload_id"] for i in range(3)]
    with counting_aws_requests() as counter:
        status, _, created = api("POST", BASE, {"channel": "email", "subject": "s", "body": "b",
                                                "to": [{"email": "v@partner.example"}],
                                                **context_request(attachments=ids)})
    assert status == 201, created
    dynamodb = counter.of("dynamodb")
    writes = [op for op in dynamodb if op in ("PutItem", "UpdateItem", "TransactWriteItems", "BatchWriteItem",
                                              "DeleteItem")]
    assert writes == ["TransactWriteItems"]
    assert dynamodb.count("BatchGetItem") == 1
    # Each file's first KB, read once to check it is what it says (not the file: the sender reads that)
    assert counter.of("s3").count("GetObject") == 3


@pytest.fixture
def slack() -> Iterator[SlackWorld]:
    with slack_world() as world:
        yield world


class TestContextBySlack:
    def test_the_root_post_quotes_the_context_and_the_files_go_into_its_thread(self, slack: SlackWorld) -> None:
        import boto3
        from sideconv.config import from_env

        from local.s3_post import accept

        ids = []
        for name, content_type, data in (("label.pdf", "application/pdf", PDF), ("shot.png", "image/png", PNG)):
            status, form = slack.api("POST", UPLOADS, {"filename": name, "content_type": content_type,
                                                       "size": len(data)})
            assert status == 201, form
            accept(boto3.client("s3"), from_env().uploads_bucket, form["fields"], data)
            ids.append(form["upload_id"])
        status, created = slack.api("POST", BASE, {
            "channel": "slack", "subject": "Lost parcel", "body": "Can you trace it?",
            "slack": {"target": "channel", "channel_id": "C0ONCALL"}, **context_request(attachments=ids)})
        assert status == 201, created
        slack.drain(until=lambda: len(slack.slack.messages("C0ONCALL")) >= 2)
        root, files = slack.slack.messages("C0ONCALL")
        # The quote is in the same post, escaped, masked
        assert "_On 2 Dec 2026 09:12, Maya Lopez (customer) wrote:_" in root["text"]
        assert ">My parcel never came. Call me on [phone removed]." in root["text"]
        assert "&lt;script&gt;" in root["text"]
        assert "<script>" not in root["text"]
        assert "7946" not in root["text"]
        assert "4111" not in root["text"]
        # The files, through files.getUploadURLExternal and files.completeUploadExternal, in its thread
        assert files["thread_ts"] == root["ts"]
        assert [(f["name"], f["size"], f["sha256"]) for f in files["files"]] == [
            ("label.pdf", len(PDF), hashlib.sha256(PDF).hexdigest()),
            ("shot.png", len(PNG), hashlib.sha256(PNG).hexdigest())]
        assert len(slack.slack.calls_of("files.getUploadURLExternal")) == 2
        assert len(slack.slack.calls_of("files.completeUploadExternal")) == 1
        assert slack.get(created["id"])["messages"][0]["delivery"]["status"] == "sent"

    def test_a_quote_too_long_for_a_slack_post_is_refused_at_once(self, slack: SlackWorld) -> None:
        # Given a body and a quote within the API's limits, longer together than a Slack post (40,000)
        long_quote = [{**CONTEXT[0], "body": "& " * 8_000}]  # 16,000 characters, 48,000 once escaped
        request = {"channel": "slack", "body": "Context below",
                   "slack": {"target": "channel", "channel_id": "C0ONCALL"}, "context": long_quote}
        # When the agent starts the Slack side conversation
        status, problem = slack.api("POST", BASE, request)
        # Then it is a 422 naming the context, not a 201 that ends failed (msg_too_long)
        assert status == 422, problem
        assert problem["errors"][0]["field"] == "context"
        assert slack.slack.calls_of("chat.postMessage") == []

    def test_a_reply_shares_its_file_in_the_thread_reading_it_once(self, slack: SlackWorld) -> None:
        import boto3
        from sideconv.config import from_env

        from local.s3_post import accept

        created = slack.start(body="Root")
        slack.drain(until=lambda: slack.get(created["id"])["slack"]["thread_ts"])
        status, form = slack.api("POST", UPLOADS, {"filename": "shot.png", "content_type": "image/png",
                                                   "size": len(PNG)})
        accept(boto3.client("s3"), from_env().uploads_bucket, form["fields"], PNG)
        status, reply = slack.api("POST", f"{BASE}/{created['id']}/messages",
                                  {"body": "See the screenshot", "attachments": [form["upload_id"]]})
        assert status == 201, reply
        with counting_aws_requests() as counter:
            slack.drain(until=lambda: any(m.get("files") for m in slack.slack.messages("C0ONCALL")))
        assert counter.of("s3").count("GetObject") == 1
        thread_ts = slack.get(created["id"])["slack"]["thread_ts"]
        [shared] = [m for m in slack.slack.messages("C0ONCALL") if m.get("files")]
        assert shared["thread_ts"] == thread_ts
        assert shared["files"][0]["sha256"] == hashlib.sha256(PNG).hexdigest()

    def test_a_file_slack_refuses_leaves_the_text_sent(self, slack: SlackWorld) -> None:
        import boto3
        from sideconv.config import from_env

        from local.s3_post import accept

        status, form = slack.api("POST", UPLOADS, {"filename": "shot.png", "content_type": "image/png",
                                                   "size": len(PNG)})
        accept(boto3.client("s3"), from_env().uploads_bucket, form["fields"], PNG)
        slack.slack.fail_next("files.getUploadURLExternal", error="invalid_arguments")
        status, created = slack.api("POST", BASE, {"channel": "slack", "body": "With a file",
                                                   "slack": {"target": "channel", "channel_id": "C0ONCALL"},
                                                   "attachments": [form["upload_id"]]})
        assert status == 201, created
        slack.drain(until=lambda: slack.get(created["id"])["messages"][0]["delivery"]["status"] != "pending")
        delivery = slack.get(created["id"])["messages"][0]["delivery"]
        assert delivery["status"] == "sent"
        assert delivery["detail"] == "files not shared: invalid_arguments"
        assert not any(m.get("files") for m in slack.slack.messages("C0ONCALL"))


def _slack_upload(slack: SlackWorld, name: str, content_type: str, data: bytes) -> str:
    import boto3
    from sideconv.config import from_env

    from local.s3_post import accept

    status, form = slack.api("POST", UPLOADS, {"filename": name, "content_type": content_type, "size": len(data)})
    assert status == 201, form
    accept(boto3.client("s3"), from_env().uploads_bucket, form["fields"], data)
    return str(form["upload_id"])


def _delivered(slack: SlackWorld, side_conversation_id: str) -> dict[str, Any]:
    return dict(slack.get(side_conversation_id)["messages"][-1]["delivery"])


class TestSlackFilesAreNotLostSilently:
    def test_a_share_slack_fails_for_now_is_retried_without_posting_the_text_again(self, slack: SlackWorld) -> None:
        # Given a file, and Slack failing the first upload URL with a 500
        upload_id = _slack_upload(slack, "shot.png", "image/png", PNG)
        slack.slack.fail_next("files.getUploadURLExternal", status=500)
        # When the agent starts a thread with it
        status, created = slack.api("POST", BASE, {"channel": "slack", "body": "With a file",
                                                   "slack": {"target": "channel", "channel_id": "C0ONCALL"},
                                                   "attachments": [upload_id]})
        assert status == 201, created
        slack.drain(until=lambda: _delivered(slack, created["id"])["status"] != "pending", timeout=20)
        # Then the text went once, the file once, into its thread, and the message is sent with no caveat
        posts = slack.slack.messages("C0ONCALL")
        [root] = [m for m in posts if not m.get("files")]
        [shared] = [m for m in posts if m.get("files")]
        assert shared["thread_ts"] == root["ts"]
        assert shared["files"][0]["sha256"] == hashlib.sha256(PNG).hexdigest()
        assert len(slack.slack.calls_of("chat.postMessage")) == 1
        delivery = _delivered(slack, created["id"])
        assert delivery["status"] == "sent"
        assert delivery.get("detail") is None

    def test_files_shared_before_an_unrecorded_post_are_not_shared_twice(
            self, slack: SlackWorld, monkeypatch: pytest.MonkeyPatch) -> None:
        from botocore.exceptions import ClientError
        from sideconv import outcome
        from sideconv.slack.store import SlackStore

        created = slack.start(body="Root")
        slack.drain(until=lambda: slack.get(created["id"])["slack"]["thread_ts"])
        real = SlackStore.mark_delivery
        refused: list[str] = []

        def refuse_once(self: SlackStore, *args: Any, **kwargs: Any) -> None:
            if not refused and args[1] == "sent":
                refused.append("refused")
                raise ClientError({"Error": {"Code": "InternalServerError", "Message": "x"}}, "UpdateItem")
            real(self, *args, **kwargs)

        monkeypatch.setattr(SlackStore, "mark_delivery", refuse_once)
        monkeypatch.setattr(outcome, "DELAYS", ())
        # Given a reply with a file, posted and shared, whose record DynamoDB refused
        upload_id = _slack_upload(slack, "label.pdf", "application/pdf", PDF)
        status, reply = slack.api("POST", f"{BASE}/{created['id']}/messages",
                                  {"body": "The label", "attachments": [upload_id]})
        assert status == 201, reply
        # When the queue gives it back
        slack.drain(until=lambda: _delivered(slack, created["id"])["status"] == "sent", timeout=20)
        # Then the look found the text and the file in the thread: neither went twice
        assert refused == ["refused"]
        assert len([m for m in slack.slack.messages("C0ONCALL") if m.get("files")]) == 1
        assert len(slack.slack.calls_of("files.completeUploadExternal")) == 1
        assert len(slack.slack.calls_of("chat.postMessage")) == 2

    def test_a_text_posted_by_an_attempt_that_ended_before_its_share_gets_its_files(
            self, slack: SlackWorld, monkeypatch: pytest.MonkeyPatch) -> None:
        from sideconv.slack import files

        real = files.share
        crashed: list[str] = []

        def crash_once(*args: Any, **kwargs: Any) -> list[str]:
            if not crashed:
                crashed.append("crashed")
                raise TimeoutError("the invocation ended here")
            return real(*args, **kwargs)

        monkeypatch.setattr(files, "share", crash_once)
        # Given a thread whose first attempt posted the text and stopped before the file
        upload_id = _slack_upload(slack, "label.pdf", "application/pdf", PDF)
        status, created = slack.api("POST", BASE, {"channel": "slack", "body": "With a file",
                                                   "slack": {"target": "channel", "channel_id": "C0ONCALL"},
                                                   "attachments": [upload_id]})
        assert status == 201, created
        # When it is received again
        slack.drain(until=lambda: _delivered(slack, created["id"])["status"] != "pending", timeout=20)
        # Then the look found the text (not posted again) and the file went into its thread
        assert crashed == ["crashed"]
        [root] = [m for m in slack.slack.messages("C0ONCALL") if not m.get("files")]
        [shared] = [m for m in slack.slack.messages("C0ONCALL") if m.get("files")]
        assert shared["thread_ts"] == root["ts"]
        delivery = _delivered(slack, created["id"])
        assert (delivery["status"], delivery.get("detail")) == ("sent", None)
        assert len(slack.slack.calls_of("chat.postMessage")) == 1
