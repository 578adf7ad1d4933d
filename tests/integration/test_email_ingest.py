"""ingest_email against embedded AWS: raw mail in S3 + the SES receipt event → the thread."""

from __future__ import annotations

import tracemalloc
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.email_support import (  # noqa: F401
    ADMIN,
    BASE,
    EmailWorld,
    email_world_fixture,
    reply_mail,
    start_request,
)

pytestmark = pytest.mark.usefixtures("aws")


def _started_and_sent(world: EmailWorld, **overrides: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    started = world.start(**overrides)
    world.send()
    return started, world.sent()[0]


def _inbound(world: EmailWorld, side_conversation_id: str) -> list[dict[str, Any]]:
    return [m for m in world.thread(side_conversation_id)["messages"] if m["direction"] == "inbound"]


def _quarantine(world: EmailWorld) -> list[dict[str, Any]]:
    status, _, body = world.api("GET", "/v1/quarantine", claims=ADMIN)
    assert status == 200, body
    return list(body["items"])


def test_reply_to_the_reply_address_threads_with_only_the_new_text(email_world: EmailWorld) -> None:
    # Given a sent side conversation
    started, sent = _started_and_sent(email_world)
    reply_to = started["email"]["reply_to"]
    # When the vendor answers it (Gmail-shaped: new text above the quoted original)
    result = email_world.deliver(reply_mail(to=reply_to, in_reply_to=sent["message_id"]), [reply_to])
    # Then the reply is appended with only its new text, from the vendor
    assert result["outcome"] == "appended"
    [reply] = _inbound(email_world, started["id"])
    assert reply["body"] == "Sure, shipping it tomorrow."
    assert reply["author"]["email"] == "vendor@partner.example"
    assert reply["has_quoted_text"] is True
    assert reply["auto_reply"] is False
    # And the full original stays reachable ("show quoted text")
    status, _, original = email_world.api("GET", f"{BASE}/{started['id']}/messages/{reply['id']}/original")
    assert status == 200
    assert "> could you ship a replacement part" in original["full_text"]
    # And the summary moved on
    summary = email_world.thread(started["id"])
    assert summary["message_count"] == 2
    assert summary["preview_text"] == "Sure, shipping it tomorrow."


def test_html_only_reply_keeps_its_quoted_text_reachable(email_world: EmailWorld) -> None:
    started, _ = _started_and_sent(email_world)
    reply_to = started["email"]["reply_to"]
    html = ("<html><body><div dir=ltr>Shipped, tracking 1Z999.</div><div class=gmail_quote>On Fri, Dana wrote:"
            "<blockquote>could you ship a replacement part?</blockquote></div></body></html>")
    raw = (f"From: Vera <vendor@partner.example>\nTo: {reply_to}\nSubject: Re: part\nMIME-Version: 1.0\n"
           f"Content-Type: text/html; charset=utf-8\n\n{html}").encode()
    email_world.deliver(raw, [reply_to])
    [reply] = _inbound(email_world, started["id"])
    assert (reply["body"], reply["has_quoted_text"]) == ("Shipped, tracking 1Z999.", True)
    status, _, original = email_world.api("GET", f"{BASE}/{started['id']}/messages/{reply['id']}/original")
    assert status == 200
    assert "> could you ship a replacement part?" in original["full_text"]


def test_the_sample_receipt_event_is_handled(email_world: EmailWorld) -> None:
    # Given the sample SES receipt event (events/ses_receipt_reply.json) aimed at a live reply address
    import boto3

    from functions.ingest_email.handler import lambda_handler
    from tests.conftest import LambdaContextStub
    from tests.email_support import load_event

    started, _ = _started_and_sent(email_world)
    reply_to = started["email"]["reply_to"]
    event = load_event("ses_receipt_reply.json")
    event["Records"][0]["ses"]["receipt"]["recipients"] = [reply_to]
    ses_id = event["Records"][0]["ses"]["mail"]["messageId"]
    settings = email_world.settings
    boto3.client("s3", region_name=settings.region).put_object(
        Bucket=settings.received_mail_bucket, Key=f"{settings.raw_mail_prefix}{ses_id}", Body=reply_mail(to=reply_to))
    # When SES invokes the function with it
    result = lambda_handler(event, LambdaContextStub())
    # Then the mail read from S3 by its messageId is appended
    assert [r["outcome"] for r in result["results"]] == ["appended"]
    assert result["disposition"] == "STOP_RULE"


def test_next_outbound_answers_the_reply(email_world: EmailWorld) -> None:
    # Given a reply received
    started, sent = _started_and_sent(email_world)
    reply_to = started["email"]["reply_to"]
    email_world.deliver(reply_mail(to=reply_to, message_id="<vendor-1@mail.partner.example>"), [reply_to])
    # When the agent answers
    email_world.reply(started["id"], "Thanks!")
    email_world.send()
    # Then the new mail is In-Reply-To the vendor's message and keeps the whole thread in References
    latest = email_world.sent()[0]
    assert latest["in_reply_to"] == "<vendor-1@mail.partner.example>"
    assert sent["message_id"] in latest["references"]


def test_forged_token_is_quarantined_and_listed_for_admins(email_world: EmailWorld) -> None:
    # Given a real reply address whose MAC someone altered
    started, sent = _started_and_sent(email_world)
    real = started["email"]["reply_to"]
    local, _, domain = real.partition("@")
    forged = local[:-4] + ("aaaa" if not local.endswith("aaaa") else "bbbb") + "@" + domain
    # When mail arrives for it (carrying the thread's ids, so the account is known)
    result = email_world.deliver(reply_mail(to=forged, in_reply_to=sent["message_id"]), [forged])
    # Then it is quarantined, not appended, and the account's admins see it with the reason
    assert result["outcome"] == "quarantined"
    assert result["reason"] == "forged_token"
    assert _inbound(email_world, started["id"]) == []
    [held] = _quarantine(email_world)
    assert held["reason"] == "forged_token"
    assert held["status"] == "held"
    assert held["sender"] == "vendor@partner.example"
    # And an agent (not admin) may not list it
    assert email_world.api("GET", "/v1/quarantine")[0] == 403


@pytest.mark.parametrize("origin", ["the sending address", "a reply address"])
def test_mail_this_service_sent_is_held_not_threaded(email_world: EmailWorld, origin: str) -> None:
    # Given a sent side conversation
    started, sent = _started_and_sent(email_world)
    reply_to = started["email"]["reply_to"]
    # When mail from this service itself arrives at its reply address (forwarded back, or a reply address
    # among a mail's recipients)
    sender = ("Dana Agent via Atender Support <support@example.com>" if origin == "the sending address"
              else reply_to)
    result = email_world.deliver(reply_mail(to=reply_to, sender=sender, in_reply_to=sent["message_id"]),
                                 [reply_to])
    # Then it is held for the admins with its reason, and the agent's own words are not shown as a reply
    assert (result["outcome"], result["reason"]) == ("quarantined", "own_mail")
    assert _inbound(email_world, started["id"]) == []
    [held] = _quarantine(email_world)
    assert (held["reason"], held["side_conversation_id"]) == ("own_mail", started["id"])


@pytest.mark.parametrize("field", ["to", "cc", "customer"])
def test_a_reply_address_is_refused_as_a_recipient(email_world: EmailWorld, field: str) -> None:
    # Given another side conversation's reply address
    reply_to = email_world.start()["email"]["reply_to"]
    person = {"email": reply_to.upper(), "name": "Another thread"}
    overrides: dict[str, Any] = {"customer": person, "cc_customer": True} if field == "customer" else {
        field: [person]}
    # When an agent starts a side conversation that would mail it
    status, _, problem = email_world.api("POST", BASE, start_request(**overrides))
    # Then it is a 422 naming the field: the mail would land in a thread, not with a person
    assert status == 422, problem
    expected = "customer.email" if field == "customer" else f"{field}.0.email"
    assert [e["field"] for e in problem["errors"]] == [expected]
    assert "reply address" in problem["detail"]


def test_unknown_token_is_quarantined(email_world: EmailWorld) -> None:
    # Given a well-signed reply address of a side conversation that does not exist
    from sideconv.reply_address import reply_address

    address = reply_address("email-01JDQ7X2W3K4M5N6P7Q8R9S0T1", secret=email_world.settings.token_secret,
                            domain=email_world.settings.inbound_domain)
    # When mail arrives for it
    result = email_world.deliver(reply_mail(to=address), [address])
    # Then it is quarantined as unknown, with no account to show it to
    assert (result["outcome"], result["reason"]) == ("quarantined", "unknown_token")


def test_spam_verdict_is_quarantined_for_the_account(email_world: EmailWorld) -> None:
    started, _ = _started_and_sent(email_world)
    reply_to = started["email"]["reply_to"]
    # When SES says the reply is spam
    result = email_world.deliver(reply_mail(to=reply_to), [reply_to], verdicts={"spam": "FAIL"})
    # Then it is held back, listed for the admins with the side conversation it was aimed at
    assert (result["outcome"], result["reason"]) == ("quarantined", "spam")
    assert _inbound(email_world, started["id"]) == []
    [held] = _quarantine(email_world)
    assert held["side_conversation_id"] == started["id"]


def test_dmarc_failure_with_reject_policy_is_quarantined(email_world: EmailWorld) -> None:
    started, _ = _started_and_sent(email_world)
    reply_to = started["email"]["reply_to"]
    result = email_world.deliver(reply_mail(to=reply_to), [reply_to], verdicts={"dmarc": "FAIL"},
                                 dmarc_policy="reject")
    assert (result["outcome"], result["reason"]) == ("quarantined", "dmarc")


def test_duplicate_delivery_adds_nothing(email_world: EmailWorld) -> None:
    started, _ = _started_and_sent(email_world)
    reply_to = started["email"]["reply_to"]
    raw = reply_mail(to=reply_to)
    # When SES invokes the function twice for the same mail
    first = email_world.deliver(raw, [reply_to], ses_message_id="dup0000000000000000000000001")
    second = email_world.deliver(raw, [reply_to], ses_message_id="dup0000000000000000000000001")
    # Then one message exists
    assert (first["outcome"], second["outcome"]) == ("appended", "duplicate")
    assert len(_inbound(email_world, started["id"])) == 1
    assert email_world.thread(started["id"])["message_count"] == 2


def test_subject_changed_by_the_replier_still_threads(email_world: EmailWorld) -> None:
    started, _ = _started_and_sent(email_world)
    reply_to = started["email"]["reply_to"]
    result = email_world.deliver(reply_mail(to=reply_to, subject="Totally different topic"), [reply_to])
    assert result["outcome"] == "appended"
    assert result["side_conversation_id"] == started["id"]


def test_reply_with_only_references_threads(email_world: EmailWorld) -> None:
    # Given a sent mail, whose own id travels in References
    started, sent = _started_and_sent(email_world)
    own_id = sent["references"].split()[-1]
    # When a reply reaches the inbound domain without the token (a generic address), References only
    generic = f"support@{email_world.settings.inbound_domain}"
    raw = reply_mail(to=generic, references=f"<unrelated@elsewhere.example> {own_id}", subject="Fwd: part")
    result = email_world.deliver(raw, [generic])
    # Then it threads by References
    assert result["outcome"] == "appended"
    assert result["side_conversation_id"] == started["id"]


def test_reply_with_nothing_to_match_is_quarantined(email_world: EmailWorld) -> None:
    generic = f"support@{email_world.settings.inbound_domain}"
    result = email_world.deliver(reply_mail(to=generic), [generic])
    assert (result["outcome"], result["reason"]) == ("quarantined", "unmatched")


def test_auto_reply_is_kept_but_not_an_answer(email_world: EmailWorld) -> None:
    started, _ = _started_and_sent(email_world)
    reply_to = started["email"]["reply_to"]
    email_world.api("PATCH", f"{BASE}/{started['id']}", {"state": "closed"})
    # When an out-of-office answer arrives
    raw = reply_mail(to=reply_to, text="I am out of the office until Monday.", subject="Automatic reply: part",
                     extra_headers={"Auto-Submitted": "auto-replied"}, sender="Ooo Bot <ooo@partner.example>")
    email_world.deliver(raw, [reply_to])
    # Then it is kept and marked, but does not reopen the thread nor make its sender a participant
    [auto] = _inbound(email_world, started["id"])
    assert auto["auto_reply"] is True
    summary = email_world.thread(started["id"])
    assert summary["state"] == "closed"
    assert all(p.get("email") != "ooo@partner.example" for p in summary["participants"])


def test_new_sender_joins_and_cc_never_gets_mail(email_world: EmailWorld) -> None:
    # Given a sent side conversation without cc_customer
    started, _ = _started_and_sent(email_world, cc=[])
    reply_to = started["email"]["reply_to"]
    # When the vendor's colleague answers with reply-all that copies the customer
    raw = reply_mail(to=reply_to, sender="Colin Colleague <colin@partner.example>",
                     cc="Carla <carla@customer.example>")
    email_world.deliver(raw, [reply_to])
    # Then the colleague is a participant; the customer is only shown on that message
    summary = email_world.thread(started["id"])
    assert {"kind": "email", "role": "replier", "id": None, "name": "Colin Colleague",
            "email": "colin@partner.example"} in summary["participants"]
    [reply] = _inbound(email_world, started["id"])
    assert reply["cc"] == [{"kind": "email", "id": None, "name": "Carla", "email": "carla@customer.example"}]
    # And the next mail goes to the colleague, never to the customer
    email_world.reply(started["id"], "Thanks Colin")
    email_world.send()
    latest = email_world.sent()[0]
    assert "colin@partner.example" in " ".join(latest["to"])
    assert "carla@customer.example" not in latest["raw"]
    assert "carla@customer.example" not in latest["destinations"]


def _big_mail(to: str, size_mb: int) -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = "Vera Vendor <vendor@partner.example>"
    msg["To"] = to
    msg["Subject"] = "Re: part photos"
    msg["Message-ID"] = "<big-1@mail.partner.example>"
    msg.set_content("Photos attached.\n\n> could you ship a replacement part?\n")
    chunk = bytes(range(256)) * 4096  # 1 MiB of every byte value
    for index in range(size_mb // 2):
        msg.add_attachment(chunk * 2, maintype="image", subtype="jpeg", filename=f"photo-{index}.jpg")
    return msg.as_bytes()


def test_twenty_megabyte_message_with_attachments(email_world: EmailWorld) -> None:
    started, _ = _started_and_sent(email_world)
    reply_to = started["email"]["reply_to"]
    raw = _big_mail(reply_to, 20)
    assert len(raw) > 20 * 1024 * 1024
    # When it is received
    tracemalloc.start()
    result = email_world.deliver(raw, [reply_to])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # Then it is appended with its ten attachments listed, each stored with its size
    assert result["outcome"] == "appended"
    assert peak < 512 * 1024 * 1024
    [reply] = _inbound(email_world, started["id"])
    assert reply["body"] == "Photos attached."
    assert [a["name"] for a in reply["attachments"]] == [f"photo-{i}.jpg" for i in range(10)]
    assert {a["size"] for a in reply["attachments"]} == {2 * 1024 * 1024}
    # And an attachment is handed out as a short-lived link
    status, _, link = email_world.api(
        "GET", f"{BASE}/{started['id']}/messages/{reply['id']}/attachments/{reply['attachments'][0]['id']}")
    assert status == 200
    assert link["expires_in"] == 300
    assert "X-Amz-Expires=300" in link["url"]
    assert "X-Amz-Signature=" in link["url"]


def test_malformed_mime_is_still_appended(email_world: EmailWorld) -> None:
    started, _ = _started_and_sent(email_world)
    reply_to = started["email"]["reply_to"]
    # A multipart without its closing boundary, a broken header and 8-bit bytes in the subject
    raw = (f"From: Vera <vendor@partner.example>\nTo: {reply_to}\nSubject: Re: caf\xe9 part\n"
           "Content-Type: multipart/mixed; boundary=\"XYZ\"\nMIME-Version: 1.0\nBroken header line\n\n"
           "--XYZ\nContent-Type: text/plain; charset=utf-8\n\nIt works anyway.\n--XYZ\n"
           "Content-Type: application/pdf; name=\"x.pdf\"\nContent-Transfer-Encoding: base64\n\n"
           "JVBERi0xLjQK!!!notbase64").encode("latin-1")
    result = email_world.deliver(raw, [reply_to])
    assert result["outcome"] == "appended"
    [reply] = _inbound(email_world, started["id"])
    assert reply["body"] == "It works anyway."


def test_admin_attaches_or_discards_a_quarantined_mail(email_world: EmailWorld) -> None:
    started, _ = _started_and_sent(email_world)
    reply_to = started["email"]["reply_to"]
    email_world.deliver(reply_mail(to=reply_to, text="Looks spammy but is real."), [reply_to],
                        verdicts={"spam": "FAIL"})
    email_world.deliver(reply_mail(to=reply_to, text="Real spam."), [reply_to], verdicts={"spam": "FAIL"})
    real, spam = sorted(_quarantine(email_world), key=lambda q: q["received_at"])
    # When the admin attaches one and discards the other
    status, _, message = email_world.api("POST", f"/v1/quarantine/{real['id']}/attach",
                                         {"conversation_id": "conv-1", "side_conversation_id": started["id"]},
                                         claims=ADMIN)
    assert status == 201, message
    status, _, discarded = email_world.api("POST", f"/v1/quarantine/{spam['id']}/discard", claims=ADMIN)
    assert status == 200
    # Then the attached one is in the thread, the discarded one is not, and neither can be resolved again
    assert [m["body"] for m in _inbound(email_world, started["id"])] == ["Looks spammy but is real."]
    assert discarded["status"] == "discarded"
    assert email_world.api("POST", f"/v1/quarantine/{real['id']}/discard", claims=ADMIN)[0] == 409


BOUNCE_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email" / "bounce"


def test_the_same_bounce_delivered_twice_is_recorded_once(email_world: EmailWorld) -> None:
    started, sent = _started_and_sent(email_world)
    # Given a sent mail and a bounce for it
    raw = (BOUNCE_FIXTURES / "postfix_dsn_report.eml").read_bytes().replace(
        b"<ORIGINAL-MESSAGE-ID@email.amazonses.com>", sent["message_id"].encode())
    # When SES delivers the notice twice, then the second adds nothing
    first = email_world.deliver(raw, ["bounces@reply.example.com"], ses_message_id="bounce-once")
    again = email_world.deliver(raw, ["bounces@reply.example.com"], ses_message_id="bounce-once")
    assert (first["outcome"], again["outcome"]) == ("bounced", "duplicate")
    [message] = email_world.thread(started["id"])["messages"]
    assert message["delivery"]["status"] == "bounced"
