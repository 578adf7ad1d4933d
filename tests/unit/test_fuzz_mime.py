"""Property-based fuzzing of the inbound MIME parser (sideconv.email.parse): whatever arrives, it parses.

A crash here would fail the SES invocation for that mail (retried, then lost), so the parser must
turn every input into a ParsedMail whose strings DynamoDB can store (valid UTF-8, no lone surrogates).
The ingest outcome for the same kind of input (appended or quarantined, never lost) is fuzzed against
the real handler in tests/reliability/test_hostile_inbound.py.
"""

from __future__ import annotations

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sideconv.email.parse import ParsedMail, parse

FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])

HEADER_NAMES = ["From", "To", "Cc", "Reply-To", "Subject", "Message-ID", "In-Reply-To", "References",
                "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "MIME-Version",
                "Auto-Submitted", "Precedence", "X-Autoreply", "Date", "Sender"]
CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "koi8-r", "shift_jis", "gb2312", "utf-16", "x-unknown",
            "", "utf-8\"; x=\"", "../../etc/passwd"]
CONTENT_TYPES = ["text/plain", "text/html", "multipart/mixed", "multipart/alternative", "multipart/related",
                 "message/rfc822", "application/pdf", "image/png", "text/calendar", "multipart/weird", "",
                 "text/plain; format=flowed", "multipart/mixed; boundary=\"\""]
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "binary", "x-uuencode", "bogus", ""]
ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
NASTY_TEXT = st.one_of(
    ANY_TEXT,
    st.sampled_from(["<script>alert(1)</script>", "=?utf-8?b?PHNjcmlwdD4=?=", "=?x-bad?q?=FF=FE?=",
                     "a\r\nBcc: victim@example.com", "\x00\x01\x7f", "\udcff".encode("utf-8", "surrogatepass")
                     .decode("utf-8", "replace"), "<" * 40, "\"Eve\" <eve@evil.example>, ,,<>",
                     "=?utf-8?q?Re:_=F0=9F=98=80?=", "sc.01h0000000000000000000000.x@reply.example.com"]),
)


def _header_line() -> st.SearchStrategy[bytes]:
    value = st.one_of(NASTY_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=60))
    return st.tuples(st.sampled_from(HEADER_NAMES), value).map(lambda hv: hv[0].encode() + b": " + hv[1])


@st.composite
def mime_entity(draw: st.DrawFn, depth: int = 0) -> bytes:
    """A MIME entity built to break parsers: bad charsets, encodings and boundaries, deep nesting."""
    ctype = draw(st.sampled_from(CONTENT_TYPES))
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(ENCODINGS))
    headers = [b"Content-Type: " + f"{ctype}; charset=\"{charset}\"".encode()]
    if encoding:
        headers.append(b"Content-Transfer-Encoding: " + encoding.encode())
    if draw(st.booleans()):
        name = draw(NASTY_TEXT).encode("utf-8", "surrogatepass")
        headers.append(b"Content-Disposition: " + draw(st.sampled_from([b"attachment", b"inline", b"x"]))
                       + b"; filename=\"" + name + b"\"")
    headers += draw(st.lists(_header_line(), max_size=3))
    if ctype.startswith("multipart") and depth < 4:
        boundary = draw(st.sampled_from([b"b1", b"b2", b"", b"--", b"b1 b1"]))
        headers[0] = f"{ctype}; boundary=\"".encode() + boundary + b"\""
        parts = draw(st.lists(mime_entity(depth + 1), max_size=3))
        closing = draw(st.booleans())
        body = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts)
        body += (b"--" + boundary + b"--\r\n") if closing else b""
    elif ctype == "message/rfc822" and depth < 4:
        body = draw(mime_entity(depth + 1))
    else:
        raw = draw(st.one_of(NASTY_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=200)))
        body = base64.encodebytes(raw) if encoding == "base64" and draw(st.booleans()) else raw
    return b"\r\n".join(headers) + b"\r\n\r\n" + body


def _storable(value: object) -> bool:
    """What DynamoDB and JSON can hold: str that encodes to UTF-8 (no lone surrogates)."""
    if value is None or isinstance(value, bool | int | bytes):
        return True
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, list | tuple):
        return all(_storable(v) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return all(_storable(getattr(value, f)) for f in value.__dataclass_fields__)
    return False


def _check(mail: ParsedMail) -> None:
    assert isinstance(mail, ParsedMail)
    assert _storable(mail), mail
    assert all(isinstance(m, str) and m for m in mail.thread_ids())
    assert "\r" not in mail.subject
    assert "\n" not in mail.subject
    for part in mail.attachments:
        assert part.name
        assert isinstance(part.payload, bytes)


@FUZZ
@given(raw=st.binary(max_size=2000))
def test_any_bytes_parse(raw: bytes) -> None:
    # Given any bytes at all, when parsed, then a mail comes back with storable text
    _check(parse(raw))


@FUZZ
@given(headers=st.lists(_header_line(), max_size=12), body=mime_entity())
def test_hostile_mime_parses(headers: list[bytes], body: bytes) -> None:
    # Given a message with hostile headers around a hostile MIME tree, when parsed
    mail = parse(b"\r\n".join(headers) + b"\r\n" + body)
    # Then it is a mail with storable fields and single-line headers
    _check(mail)


@FUZZ
@given(subject=NASTY_TEXT, sender=NASTY_TEXT)
def test_header_values_never_carry_line_breaks(subject: str, sender: str) -> None:
    # Given header values with CR/LF and encoded words, when parsed
    raw = (f"From: {sender}\r\nSubject: {subject}\r\nTo: a@reply.example.com\r\n\r\nhello").encode(
        "utf-8", "surrogatepass")
    mail = parse(raw)
    # Then what was kept of them is one line each
    assert "\n" not in mail.subject
    assert "\r" not in mail.subject
    if mail.sender is not None:
        assert "\n" not in mail.sender.email
        assert "\r" not in mail.sender.email


@FUZZ
@given(raw=st.binary(max_size=600), label=st.sampled_from([None, "utf-8", "iso-8859-1", "shift_jis", "big5",
                                                            "iso-2022-jp", "utf-7", "windows-1250", "x-unknown"]))
def test_any_part_decodes_to_text(raw: bytes, label: str | None) -> None:
    from sideconv.email.charsets import decode_bytes

    # Given any bytes under any label, when decoded, then text comes back (a bad byte costs a U+FFFD)
    text = decode_bytes(raw, label)
    assert isinstance(text, str)
    text.encode("utf-8")


_MARKUP = st.lists(st.sampled_from([
    "<div>", "</div>", "<blockquote>", "</blockquote>", "<blockquote type=cite>", '<div class="gmail_quote">',
    '<div class="gmail_signature">', '<div id="divRplyFwdMsg">', "<pre>", "</pre>", "<p>", "</p>", "<br>", "<td>",
    "On Mon, Dana <d@x.example> wrote:", "Sent from my iPhone", "new words", "&lt;b&gt;", "&amp;", "\n", "  ",
    "<span id=x>", "</span>", "<table><tr><td>", "</td></tr></table>", "<div name=messageReplySection>"]),
    max_size=40)


@FUZZ
@given(pieces=_MARKUP)
def test_any_html_reads_as_text(pieces: list[str]) -> None:
    from sideconv.email.html_text import html_text
    from sideconv.email.reply_text import new_text
    from sideconv.sanitize import html_for_text

    # Given any arrangement of quote containers, signatures and text, when read
    read = html_text(html_for_text("".join(pieces)))
    # Then the full text and the reply's are text: no tag survives, and stripping never fails
    for text in (read.full, read.reply):
        assert "<div" not in text
        assert "<blockquote" not in text
    assert isinstance(new_text(read.reply), str)
