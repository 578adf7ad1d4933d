"""Outbound MIME: headers a mail client can thread and read, in any language."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest
from sideconv.email import mime


def _outbound(**overrides: object) -> mime.Outbound:
    values: dict[str, object] = {
        "sender_address": "support@example.com",
        "sender_display": mime.sender_display("Zoë Ñúñez", "Acme Support"),
        "to": [mime.Recipient("vendor@partner.example", "Müller, Jörg")],
        "cc": [mime.Recipient("ops@partner.example")],
        "reply_to": "sc.01jdq7x2w3k4m5n6p7q8r9s0t1.abcdefghijklmnop@reply.example.com",
        "subject": "Ersatzteil für Bestellung 1042 — 注文",
        "body": "Grüße aus Köln.\n\nこんにちは",
        "message_id": "<01jdq7x2w3k4m5n6p7q8r9s0t2@reply.example.com>",
    }
    values.update(overrides)
    return mime.Outbound(**values)  # type: ignore[arg-type]


def _roundtrip(out: mime.Outbound) -> tuple[bytes, object]:
    raw = mime.build(out).as_bytes()
    return raw, BytesParser(policy=policy.default).parsebytes(raw)


def test_non_ascii_names_subject_and_body_survive_the_wire() -> None:
    raw, parsed = _roundtrip(_outbound())
    # Then the wire form is 7-bit (RFC 2047 headers, quoted-printable parts) and reads back intact
    assert raw.isascii()
    assert str(parsed["From"]) == "Zoë Ñúñez via Acme Support <support@example.com>"  # type: ignore[index]
    assert str(parsed["To"]) == '"Müller, Jörg" <vendor@partner.example>'  # type: ignore[index]
    assert str(parsed["Subject"]) == "Ersatzteil für Bestellung 1042 — 注文"  # type: ignore[index]
    plain = parsed.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    assert plain.replace("\r\n", "\n") == "Grüße aus Köln.\n\nこんにちは\n"


@pytest.mark.parametrize(("agent", "sender", "wire"), [
    ("Dana", "Acme Support", '"Dana via Acme Support" <support@acme.example>'),
    ('Dana "DJ" Lee', "Acme, Inc.", '"Dana \\"DJ\\" Lee via Acme, Inc." <support@acme.example>'),
    ("Ana", "Acme \\ Co", '"Ana via Acme \\\\ Co" <support@acme.example>'),
])
def test_an_ascii_from_name_is_one_quoted_string_on_the_wire(agent: str, sender: str, wire: str) -> None:
    raw, parsed = _roundtrip(_outbound(sender_address="support@acme.example",
                                       sender_display=mime.sender_display(agent, sender)))
    assert f"From: {wire}\r\n".encode() in raw
    got = parsed["From"].addresses[0]  # type: ignore[index]
    assert (got.display_name, got.addr_spec) == (f"{agent} via {sender}", "support@acme.example")
    assert "Grüße aus Köln.</p>" in parsed.get_body(("html",)).get_content()  # type: ignore[attr-defined]


def test_long_message_ids_are_never_encoded_words() -> None:
    # Given a thread whose ids are as long as SES's
    wire = "<0100018c1b2c3d4e-aaaa-bbbb-cccc-000000000000-000000@email.amazonses.com>"
    raw, parsed = _roundtrip(_outbound(references=["<first@reply.example.com>", wire]))
    # Then In-Reply-To and References carry them verbatim (an encoded-word would break threading)
    assert b"=?utf-8?" not in raw.split(b"\r\n\r\n", 1)[0].split(b"Subject:", 1)[1].split(b"\r\n", 1)[1]
    assert str(parsed["In-Reply-To"]) == wire  # type: ignore[index]
    assert str(parsed["References"]).split() == ["<first@reply.example.com>", wire,  # type: ignore[index]
                                                 "<01jdq7x2w3k4m5n6p7q8r9s0t2@reply.example.com>"]


def test_references_stay_bounded_keeping_the_first_and_newest() -> None:
    earlier = [f"<m{i}@x>" for i in range(40)]
    refs = mime.thread_references(earlier, "<own@x>")
    assert len(refs) == mime.MAX_REFERENCES
    assert refs[0] == "<m0@x>"
    assert refs[-2:] == ["<m39@x>", "<own@x>"]


@pytest.mark.parametrize("field", ["subject", "sender_display"])
def test_crlf_in_a_header_value_is_refused(field: str) -> None:
    with pytest.raises(ValueError, match="control character"):
        mime.build(_outbound(**{field: "Hello\r\nBcc: victim@example.com"}))


def test_attachments_are_added_as_parts() -> None:
    out = _outbound(attachments=[mime.OutboundAttachment("report.pdf", "application/pdf", b"%PDF-1.4 ...")])
    _, parsed = _roundtrip(out)
    [attachment] = list(parsed.iter_attachments())  # type: ignore[attr-defined]
    assert attachment.get_filename() == "report.pdf"
    assert attachment.get_content() == b"%PDF-1.4 ..."


def test_a_from_address_beyond_ascii_is_refused_not_mangled() -> None:
    with pytest.raises(mime.UnsafeHeader):
        mime.build(_outbound(sender_address="zoë@acme.example"))
