"""Inbound parsing of mail as it really arrives, and reply stripping."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sideconv.email.html_text import html_to_text
from sideconv.email.parse import decode_bytes, parse
from sideconv.email.reply_text import new_text


def _best_of(runs: int, work: Callable[[], str]) -> tuple[str, float]:
    """The fastest of a few runs, in ms: the cost of the work, not of whatever else shares the CPU."""
    work()  # imports and regex compilation happen once per cold start, not per mail
    best, result = float("inf"), ""
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, (time.perf_counter() - started) * 1000)
    return result, best


def test_leading_blank_lines_and_a_missing_content_type() -> None:
    raw = b"\n \nFrom: A <a@x.example>\nSubject: Re: hi\nMessage-ID: <1@x>\n\nCaf\xe9 ouvert.\n"
    mail = parse(raw)
    assert mail.sender is not None
    assert mail.sender.email == "a@x.example"
    assert mail.message_id == "<1@x>"
    assert mail.text.strip() == "Café ouvert."


def test_raw_8bit_header_is_decoded_not_replaced() -> None:
    raw = b"From: J\xfcrgen <j@x.example>\nSubject: Gr\xfc\xdfe\n\nhi\n"
    mail = parse(raw)
    assert mail.sender is not None
    assert mail.sender.name == "Jürgen"
    assert mail.subject == "Grüße"


def test_lying_charset_label_falls_back_to_utf8() -> None:
    assert decode_bytes("你今天好吗".encode(), "big5") == "你今天好吗"
    assert decode_bytes(b"Gr\xfc\xdfe", "iso-8859-1") == "Grüße"
    assert decode_bytes(b"x", "no-such-charset") == "x"


def test_attached_message_is_an_attachment_not_the_reply() -> None:
    raw = (b"From: a@x.example\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
           b"--B\nContent-Type: text/plain\n\nSee attached.\n"
           b"--B\nContent-Type: message/rfc822\n\nFrom: b@y.example\nSubject: Old\n\nOld body.\n--B--\n")
    mail = parse(raw)
    assert mail.text.strip() == "See attached."
    assert [(a.name, a.content_type) for a in mail.attachments] == [("Old.eml", "message/rfc822")]


def test_html_only_mail_gives_text_with_quotes_marked() -> None:
    raw = (b"From: a@x.example\nContent-Type: text/html; charset=utf-8\n\n"
           b"<html><head><style>p{}</style></head><body><div>New answer</div>"
           b"<div class=gmail_quote>On Mon, X wrote:<blockquote>old text</blockquote></div></body></html>")
    mail = parse(raw)
    assert "> old text" in mail.text
    assert new_text(mail.text) == "New answer"


def test_inline_image_is_listed() -> None:
    raw = (b"From: a@x.example\nMIME-Version: 1.0\nContent-Type: multipart/related; boundary=R\n\n"
           b"--R\nContent-Type: text/html\n\n<p>Look <img src=cid:i1></p>\n"
           b"--R\nContent-Type: image/png\nContent-ID: <i1>\nContent-Transfer-Encoding: base64\n\n"
           b"iVBORw0KGgo=\n--R--\n")
    mail = parse(raw)
    [image] = mail.attachments
    assert (image.content_type, image.inline, image.payload[:4]) == ("image/png", True, b"\x89PNG")


@pytest.mark.parametrize(("headers", "auto"), [
    ({"Auto-Submitted": "auto-replied"}, True),
    ({"Auto-Submitted": "no"}, False),
    ({"Precedence": "bulk"}, True),
    ({"Precedence": "auto_reply"}, True),
    ({"X-Autoreply": "yes"}, True),
    ({"Subject": "Automatic reply: Your order"}, True),
    ({"Subject": "Out of Office: back Monday"}, True),
    ({"Subject": "Poissaoloviesti: Re: order"}, True),
    ({"Subject": "Automatische Antwort: Re: order"}, True),
    ({"Subject": "[AutoReply] Re: order"}, True),
    ({"From": "Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
      "Subject": "Delivery Status Notification (Delay)"}, True),  # a daemon's notice, no header needed
    ({}, False),
])
def test_auto_replies_are_recognised(headers: dict[str, str], auto: bool) -> None:
    lines = {"From": "a@x.example", "Subject": "Re: order", **headers}
    raw = "".join(f"{k}: {v}\n" for k, v in lines.items()).encode() + b"\nThanks\n"
    assert parse(raw).auto_reply is auto


def test_bottom_posted_reply_keeps_its_new_text() -> None:
    text = "On Mon, 1 Dec 2014, Bob <b@x> wrote:\n> question?\n> more\n\nMy answer is below the quote.\n"
    assert new_text(text) == "My answer is below the quote."


def test_own_words_ending_in_a_colon_above_a_quote_stay() -> None:
    text = "You asked:\n> question?\n\nYes, we do.\n"
    assert new_text(text).startswith("You asked:")


def test_nothing_left_after_stripping_keeps_the_full_text() -> None:
    text = "> only a quote\n> nothing new\n"
    assert new_text(text) == text.strip()


def test_html_to_text_skips_styles_and_scripts() -> None:
    assert html_to_text("<style>.a{}</style><script>x()</script><p>One</p><p>Two</p>") == "One\n\nTwo"


def test_parsing_and_stripping_a_100kb_reply_is_fast() -> None:
    quoted = "".join(f"> line {i} of the earlier conversation, quoted back at us\n" for i in range(1800))
    body = "Here is the new part.\n\nOn Mon, 1 Dec 2026 at 10:00, Dana <d@x> wrote:\n" + quoted
    raw = b"From: a@x.example\nSubject: Re: x\nContent-Type: text/plain; charset=utf-8\n\n" + body.encode()
    assert len(raw) > 100_000
    result, elapsed_ms = _best_of(10, lambda: new_text(parse(raw).text))
    assert result == "Here is the new part."
    assert elapsed_ms < 20, f"{elapsed_ms:.1f} ms per 100 KB reply"


def test_outlook_header_block_in_german_cuts_the_quoted_original() -> None:
    text = ("Passt, danke.\n\nVon: Dana via Acme <support@example.com>\nGesendet: Montag, 1. Dezember 2026\n"
            "An: Vera\nBetreff: Ersatzteil\n\nKönnen Sie das Teil schicken?\n")
    assert new_text(text) == "Passt, danke."


def test_stripping_a_100kb_outlook_reply_without_quote_marks_is_fast() -> None:
    old = "".join(f"old line {i} of the earlier mail, with no quote marks at all\n" for i in range(1800))
    text = "New text here.\n\nFrom: Dana <d@x>\nSent: Monday\nTo: V\nSubject: x\n\n" + old
    assert len(text) > 100_000
    result, elapsed_ms = _best_of(10, lambda: new_text(text))
    assert result == "New text here."
    assert elapsed_ms < 20, f"{elapsed_ms:.1f} ms"


def test_html_only_100kb_reply_is_read_whole() -> None:
    # How fast: make bench, group 5 ("email parse + strip, 100 KB HTML-only reply").
    para = "<p>" + "Earlier text, with a <b>bold</b> word and a <a href='https://x.example'>link</a>. " * 6 + "</p>\n"
    markup = ("<html><body><div dir=ltr>Thanks, shipping tomorrow.</div><div class=gmail_quote>On Mon, Dana "
              "wrote:<blockquote>" + para * 200 + "</blockquote></div></body></html>")
    raw = b"From: a@x.example\nContent-Type: text/html; charset=utf-8\n\n" + markup.encode()
    assert len(raw) > 100_000
    source, cut = parse(raw).reply_source()
    assert (new_text(source), cut) == ("Thanks, shipping tomorrow.", False)
    # The full text is there for "show quoted text"
    assert "> Earlier text, with a bold word" in parse(raw).text


def test_hotmail_header_block_that_starts_with_date_cuts_the_original() -> None:
    text = ("Thanks, Alex\n\nDate: Thu, 26 Jun 2014 13:53:45 +0400\nSubject: Test message\nFrom: abc@example.com\n"
            "To: alex.l@example.com\n\nHello! How are you?\n")
    assert new_text(text) == "Thanks, Alex"


def test_hotmail_html_reply_is_read_up_to_its_stop_spelling_rule() -> None:
    raw = (b"From: a@x.example\nContent-Type: text/html; charset=utf-8\n\n<div dir='ltr'>Hi. I am fine.<div>Alex<br>"
           b"<div><hr id=\"stopSpelling\">Date: Thu, 26 Jun 2014<br>Subject: Test<br>From: abc@example.com<br>"
           b"<div>Hello! How are you?</div></div></div></div>")
    source, cut = parse(raw).reply_source()
    assert (new_text(source), cut) == ("Hi. I am fine.\nAlex", True)


def test_a_postmasters_plain_notice_names_who_failed() -> None:
    raw = (b"From: \"Postmaster\" <postmaster@example.com>\nSubject: Undeliverable Mail\n\n"
           b"Delivery failed 10 attempts: info@example.net\n\n\nOriginal message follows.\n\n"
           b"From: support@afw.example.com\nMessage-ID: <orig.1@afw.example.com>\nSubject: Hey\n\nHey there\n")
    bounce = parse(raw).bounce
    assert bounce is not None
    assert (bounce.recipients, bounce.original_ids) == (["info@example.net"], ["<orig.1@afw.example.com>"])


def test_gmails_older_notice_gives_its_technical_details() -> None:
    raw = (b"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nSubject: Delivery Status Notification "
           b"(Failure)\n\nDelivery to the following recipient failed permanently:\n\n     user@example.comm\n\n"
           b"Technical details of permanent failure:\nDNS Error: Domain name not found\n")
    bounce = parse(raw).bounce
    assert bounce is not None
    assert bounce.detail == "Permanent/mail: user@example.comm (DNS Error: Domain name not found)"


def test_format_flowed_text_reads_as_it_was_written() -> None:
    # Thunderbird wraps at 72 with a trailing space (RFC 3676); the paragraph is one line again
    raw = (b"From: a@x.example\nContent-Type: text/plain; charset=UTF-8; format=flowed\n\n"
           b"The part ships on Thursday, and the invoice follows by mail once \nthe warehouse confirms.\n\n"
           b"-- \nVera\n\nOn 30.11.26 16:12, Dana wrote:\n> Could you ship a replacement part for \n> order 1042?\n")
    mail = parse(raw)
    assert new_text(mail.reply_source()[0]) == ("The part ships on Thursday, and the invoice follows by mail once "
                                                "the warehouse confirms.")
    assert "> Could you ship a replacement part for order 1042?" in mail.text


@pytest.mark.parametrize(("text", "codec"), [
    ("Здравствуйте! Деталь отправим завтра утром, номер пришлю отдельно.", "cp1251"),
    ("Καλημέρα, το ανταλλακτικό φεύγει αύριο το πρωί.", "cp1253"),
    ("Ça marche très bien, à bientôt. Première étape réussie, élève déçu.", "cp1252"),
    ("Grüße aus Köln, die Lieferung kommt am Dienstag.", "cp1252"),
])
def test_a_latin_label_on_another_script_is_not_trusted(text: str, codec: str) -> None:
    assert decode_bytes(text.encode(codec), "iso-8859-1") == text


@pytest.mark.parametrize(("markup", "text"), [
    # Gmail writes a line per div and an empty line as <div><br></div>
    ('<div dir="ltr">Hi. I am fine.<div><br></div><div>Thanks,</div><div>Alex</div></div>',
     "Hi. I am fine.\n\nThanks,\nAlex"),
    ("<p>One</p><p>Two</p>", "One\n\nTwo"),
    ("a<br>b<br><br>c", "a\nb\n\nc"),
    ("<ul><li>x</li><li>y</li></ul>after", "x\ny\n\nafter"),
    # Word (Outlook) writes each line as a margin-less paragraph, an empty one holding a no-break space
    ('<p class="MsoNormal">Kiitos.</p><p class="MsoNormal">&nbsp;</p><p class="MsoNormal">Terveisin</p>'
     '<p class="MsoNormal">Vera</p>', "Kiitos.\n\nTerveisin\nVera"),
    ("<pre>def f():\n    return 1</pre>", "def f():\n    return 1"),
])
def test_html_lines_and_paragraphs_read_as_a_browser_shows_them(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


def _notice(subject: str, text: str, sender: str = "MAILER-DAEMON@mx.example.net") -> bytes:
    return (f"From: {sender}\nTo: bounces@atender.example.com\nSubject: {subject}\n\n{text}\n"
            "----- Original message -----\n\nMessage-ID: <out-1@atender.example.com>\nSubject: Part\n").encode()


def test_a_warning_that_delivery_is_still_tried_is_no_bounce() -> None:
    mail = parse(_notice("Delivery Status Notification (Delay)",
                         "** Message not delivered yet **\n\nThere was a temporary problem delivering your message "
                         "to slow@example.com. Gmail will retry for 46 more hours.\n"))
    assert (mail.bounce, mail.auto_reply) == (None, True)


def test_a_diagnostic_wrapped_onto_indented_lines_is_read_whole() -> None:
    bounce = parse(_notice("Undelivered Mail Returned to Sender",
                           "This is the mail system at host mail.example.org.\n\n"
                           "<x@example.org>: host mx.example.org[192.0.2.5] said: 550 5.1.1\n"
                           "    <x@example.org>: Recipient address rejected: User unknown in local\n"
                           "    recipient table (in reply to RCPT TO command)\n\n")).bounce
    assert bounce is not None
    assert bounce.diagnostic == ("550 5.1.1 <x@example.org>: Recipient address rejected: User unknown in local "
                                 "recipient table (in reply to RCPT TO command)")
    assert (bounce.recipients, bounce.status) == (["x@example.org"], "5.1.1")


def test_a_recipient_named_on_a_recipient_line_is_found() -> None:
    bounce = parse(_notice("Delivery Status Notification - Message Rejected",
                           "Your message couldn't be delivered to the recipients shown below.\n\n"
                           "Recipient: x@example.com\nReason: 550 Rejected by policy\n\n",
                           sender="Postmaster <postmaster@mimecast.example>")).bounce
    assert bounce is not None
    assert (bounce.recipients, bounce.diagnostic) == (["x@example.com"], "550 Rejected by policy")


@pytest.mark.parametrize(("subject", "text"), [
    # Exchange in German: the address alone below the line that says delivery failed
    ("Unzustellbar: Part", "Die Zustellung an folgende Empfänger oder Gruppen ist fehlgeschlagen:\n\nx@example.de\n"
                           "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'\n"),
    # In words no pattern knows, the one address the notice names
    ("Non remis : Part", "Votre message n'a pas pu être remis à x@example.de.\n\n"
                         "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'\n"),
])
def test_a_localised_notice_names_its_recipient(subject: str, text: str) -> None:
    bounce = parse(_notice(subject, text, sender="Microsoft Outlook <postmaster@ex.example.de>")).bounce
    assert bounce is not None
    assert (bounce.recipients, bounce.status, bounce.original_ids) == (
        ["x@example.de"], "5.1.1", ["<out-1@atender.example.com>"])


def test_an_html_only_notice_is_read_as_its_text() -> None:
    raw = (b"From: Microsoft Outlook <postmaster@contoso.example>\nTo: b@atender.example.com\n"
           b"Subject: Undeliverable: Part\nContent-Type: text/html; charset=utf-8\n\n"
           b"<html><body><p>Your message to <a href='mailto:x@contoso.example'>x@contoso.example</a> couldn't be "
           b"delivered.</p><p>Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound'</p>"
           b"<p>Original message headers:</p><pre>Message-ID: &lt;out-1@atender.example.com&gt;</pre></body></html>\n")
    bounce = parse(raw).bounce
    assert bounce is not None
    assert bounce.recipients == ["x@contoso.example"]
    assert bounce.diagnostic == "550 5.1.10 RESOLVER.ADR.RecipientNotFound'"
    assert bounce.original_ids == ["<out-1@atender.example.com>"]


def test_line_ends_of_the_wire_do_not_hide_a_recipient() -> None:
    # SES hands over the mail with CRLF line ends, kept by the decoded 8-bit payload.
    raw = _notice("Unzustellbar: Part", "Die Zustellung an folgende Empfänger ist fehlgeschlagen:\n\nx@example.de\n"
                  "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'\n",
                  sender="Microsoft Outlook <postmaster@ex.example.de>")
    raw = raw.replace(b"Subject:", b"Content-Type: text/plain; charset=utf-8\n"
                                   b"Content-Transfer-Encoding: 8bit\nSubject:")
    mail = parse(raw.replace(b"\n", b"\r\n"))
    assert mail.bounce is not None
    assert mail.bounce.recipients == ["x@example.de"]
    assert "\r" not in mail.body[0][1]
