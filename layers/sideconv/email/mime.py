"""Outbound mail as MIME, built with `email.message.EmailMessage` (policy.SMTP: CRLF, folded headers,
RFC 2047 for non-ASCII names and subjects).

Header values come from the API, which refuses CR/LF in names and subjects; the policy refuses them
again here, so a value that slipped through fails the build instead of reaching SES.
"""

from __future__ import annotations

import base64
import html
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, BinaryIO

from sideconv.context import Quoted, as_text

# CRLF line ends, and lines up to RFC 5322's 998: at the default 78, the standard library writes a
# long Message-ID in In-Reply-To (an unstructured header to it) as RFC 2047 encoded-words, which
# mail clients then fail to match. Long headers still fold at whitespace.
_POLICY = policy.SMTP.clone(max_line_length=998)

# Keep References bounded (RFC 5322 3.6.4 allows trimming): the first id and the newest ones.
MAX_REFERENCES = 20


class UnsafeHeader(ValueError):
    """A header value would carry CR/LF or another control character."""


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None = None


@dataclass(frozen=True)
class OutboundAttachment:
    name: str
    content_type: str
    data: bytes


@dataclass
class Outbound:
    sender_address: str
    sender_display: str
    to: Sequence[Recipient]
    cc: Sequence[Recipient]
    reply_to: str
    subject: str
    body: str
    message_id: str
    references: Sequence[str] = ()
    attachments: Sequence[OutboundAttachment] = field(default_factory=list)
    # Quoted messages of the customer conversation, below the agent's text (as stored: masked).
    context: Sequence[Quoted] = ()


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _safe(value: str, what: str) -> str:
    if _CONTROL.search(value):
        raise UnsafeHeader(f"{what} contains a control character")
    return value


def own_message_id(message_id: str, domain: str) -> str:
    """Our stable Message-ID for an outbound message. SES replaces the header on the wire, so this
    id travels in References instead, where replies carry it back."""
    return f"<{message_id.lower()}@{domain}>"


def sender_display(agent_name: str | None, sender_name: str) -> str:
    return f"{agent_name} via {sender_name}" if agent_name else sender_name


def from_header(display: str, address: str) -> str | Address:
    """`"Dana via Acme Support" <support@acme.example>`: an ASCII name always quoted (so a comma or a
    "via" reads as one name in every client); a name beyond ASCII as RFC 2047 encoded words."""
    display = _safe(display, "the sender's name")
    if not address.isascii():
        raise UnsafeHeader("the sender's address is not ASCII")
    if not display.isascii():
        return Address(display_name=display, addr_spec=address)
    quoted = display.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{address}>'


def _address(recipient: Recipient) -> Address:
    name = _safe(recipient.name or "", "a recipient's name")
    username, _, domain = recipient.email.rpartition("@")
    return Address(display_name=name, username=_safe(username, "an address"), domain=_safe(domain, "an address"))


def _paragraphs(text: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "\n".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _html(body: str, context: Sequence[Quoted] = ()) -> str:
    inner = _paragraphs(body)
    # Every quoted value is escaped: a customer's "<script>" arrives as the text it is.
    for quoted in context:
        inner += (f'\n<p style="color:#555;margin:16px 0 4px">{html.escape(quoted.attribution())}</p>'
                  '\n<blockquote type="cite" style="margin:0 0 0 8px;padding-left:8px;border-left:2px solid '
                  f'#ccc;color:#333">{_paragraphs(quoted.body)}</blockquote>')
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
            f'<body style="font-family:sans-serif">{inner}</body></html>')


def text_with_context(body: str, context: Sequence[Quoted]) -> str:
    return f"{body.rstrip()}\n\n{as_text(context)}" if context else body


def thread_references(earlier: Sequence[str], own_id: str) -> list[str]:
    refs = [r for r in earlier if r != own_id]
    if len(refs) > MAX_REFERENCES - 1:
        refs = [refs[0], *refs[-(MAX_REFERENCES - 2):]]
    return [*refs, own_id]


def build(out: Outbound, *, now: datetime | None = None) -> EmailMessage:
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = from_header(out.sender_display, out.sender_address)
    msg["To"] = [_address(r) for r in out.to]
    if out.cc:
        msg["Cc"] = [_address(r) for r in out.cc]
    msg["Reply-To"] = out.reply_to
    msg["Subject"] = _safe(out.subject, "the subject")
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = out.message_id
    earlier = [r for r in out.references if r != out.message_id]
    if earlier:
        msg["In-Reply-To"] = earlier[-1]
    # Our own id goes last in References: SES rewrites Message-ID, and a reply's References is its
    # parent's References plus the parent's Message-ID, so the reply brings our id back.
    msg["References"] = " ".join(thread_references(earlier, out.message_id))
    # Tell auto-responders not to answer and mailing lists to leave us alone.
    msg["Auto-Submitted"] = "no"
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    body = text_with_context(out.body, out.context)
    text = body if body.endswith("\n") else body + "\n"
    cte = "7bit" if text.isascii() and max((len(x) for x in text.splitlines()), default=0) < 900 \
        else "quoted-printable"
    msg.set_content(text, subtype="plain", charset="utf-8", cte=cte)
    msg.add_alternative(_html(out.body, out.context), subtype="html", charset="utf-8", cte="quoted-printable")
    for attachment in out.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        msg.add_attachment(attachment.data, maintype=maintype or "application",
                           subtype=subtype or "octet-stream", filename=_safe(attachment.name, "a file name"))
    return msg


@dataclass(frozen=True)
class StreamedFile:
    """An attachment whose bytes are read when the mail is written: `open()` gives a stream (S3's body)."""

    name: str
    content_type: str
    open: Callable[[], BinaryIO | Any]


# 57 bytes of input are one 76-character base64 line; a chunk is a whole number of lines.
_LINE_BYTES = 57
_CHUNK_BYTES = _LINE_BYTES * 16 * 1024  # about 0.9 MB read at a time


def _base64_lines(stream: Any) -> Iterator[bytes]:
    """The stream as base64 in CRLF-ended 76-character lines, one chunk at a time."""
    pending = b""
    while True:
        chunk = stream.read(_CHUNK_BYTES)
        if not chunk:
            break
        pending += chunk
        whole = len(pending) - len(pending) % _LINE_BYTES
        if whole:
            encoded = base64.b64encode(pending[:whole])
            yield b"\r\n".join(encoded[i:i + 76] for i in range(0, len(encoded), 76)) + b"\r\n"
            pending = pending[whole:]
    if pending:
        yield base64.b64encode(pending) + b"\r\n"


def build_raw(out: Outbound, files: Sequence[StreamedFile], *, now: datetime | None = None) -> bytes:
    """The wire bytes of `out` with `files` attached, each read once from its stream and base64-encoded
    a chunk at a time: a 25 MB file is held once, encoded (34 MB), never also whole as bytes."""
    msg = build(out, now=now)
    if not files:
        return msg.as_bytes()
    markers: list[bytes] = []
    msg.make_mixed()
    for index, file in enumerate(files):
        maintype, _, subtype = file.content_type.partition("/")
        part = EmailMessage(policy=_POLICY)
        placeholder = f"sideconv-file-{uuid.uuid4().hex}-{index}"
        part.set_content(b"", maintype=maintype or "application", subtype=subtype or "octet-stream",
                         filename=_safe(file.name, "a file name"), cte="base64")
        part.set_payload(placeholder)
        msg.attach(part)
        markers.append(placeholder.encode())
    head = msg.as_bytes()
    pieces: list[bytes] = []
    for marker, file in zip(markers, files, strict=True):
        before, _, head = head.partition(marker)
        pieces.append(before.rstrip(b"\r\n") + b"\r\n")
        stream = file.open()
        try:
            pieces.extend(_base64_lines(stream))
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        head = head.lstrip(b"\r\n")
    pieces.append(head)
    raw = b"".join(pieces)
    pieces.clear()
    return raw
