"""Inbound mail as data: the standard library's parser (bytes in, `policy.default`) plus what real
mail needs on top of it: a charset label that lies, raw 8-bit headers, no Content-Type, blank lines
before the headers, an attached message that is not the reply, inline images.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses
from functools import cached_property

from sideconv import sanitize
from sideconv.email.html_text import cut_html_quote, html_to_text

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_LEADING_BLANK_LINES = re.compile(rb"\A(?:[ \t]*\r?\n)+")
_AUTO_PRECEDENCE = frozenset({"bulk", "auto_reply", "junk"})
_AUTO_SUBJECT = re.compile(r"^\s*(automatic reply|auto(?:matic)?[- ]?response|out of (?:the )?office|"
                           r"autoreply|abwesenheitsnotiz|r[ée]ponse automatique)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Mailbox:
    email: str
    name: str | None = None


@dataclass
class Part:
    """A part that is not the body: an attachment, an inline image or an attached message."""

    name: str
    content_type: str
    payload: bytes
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.payload)


@dataclass
class ParsedMail:
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    subject: str
    sender: Mailbox | None
    reply_to: list[Mailbox]
    to: list[Mailbox]
    cc: list[Mailbox]
    # The body: the text/plain part, else the text/html part (converted to text on first use).
    plain: str | None
    html: str | None
    auto_reply: bool
    attachments: list[Part] = field(default_factory=list)

    @cached_property
    def text(self) -> str:
        """The full text, quoted history included."""
        text = self.plain if self.plain is not None else html_to_text(sanitize.html(self.html or ""))
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def new_text_source(self) -> tuple[str, bool]:
        """The text the reply's new words are in, and whether quoted history was cut from it already.

        An HTML-only mail is cut at its first quote container before conversion: the quoted thread is
        most of a long reply and converting it is the slow part. Its full text stays in the raw mail.
        """
        if self.plain is not None or self.html is None:
            return self.text, False
        head = cut_html_quote(self.html)
        if head is None:
            return self.text, False
        return html_to_text(sanitize.html(head)), True

    def thread_ids(self) -> list[str]:
        """Ids this mail answers, most specific first: In-Reply-To, then References newest first."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.append(mid)
        return seen


def _unescape(value: str) -> str:
    """A header with raw 8-bit bytes comes back with surrogate escapes: decode them as mail does."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    return decode_bytes(raw, None)


def decode_bytes(raw: bytes, declared: str | None) -> str:
    """Text of a part whose charset label may be missing or wrong.

    Valid UTF-8 with non-ASCII bytes is almost never another charset by accident, so it wins over
    the label (mail labelled Big5 or Latin-1 that is really UTF-8 is common). Otherwise the label,
    then Windows-1252, then Latin-1, which cannot fail.
    """
    if not raw.isascii():
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    for charset in (declared, "windows-1252"):
        if not charset:
            continue
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("latin-1")


def _raw_values(msg: Message, name: str) -> list[str]:
    """A header's values as they came, with 8-bit bytes decoded (the header classes would turn them
    into U+FFFD) and encoded-words left for the header classes to decode."""
    wanted = name.lower()
    values = []
    for key, value in msg.raw_items():
        if key.lower() != wanted:
            continue
        value = _unescape(value) if isinstance(value, str) else str(value)
        try:
            values.append(str(policy.default.header_fetch_parse(name, value)))
        except Exception:
            values.append(value)
    return values


def _header(msg: Message, name: str) -> str:
    values = _raw_values(msg, name)
    return values[0] if values else ""


def _mailboxes(msg: Message, name: str) -> list[Mailbox]:
    out: list[Mailbox] = []
    for display, address in getaddresses(_raw_values(msg, name)):
        address = address.strip()
        if "@" in address:
            out.append(Mailbox(address, display.strip() or None))
    return out


def _ids(msg: Message, name: str) -> list[str]:
    return _MESSAGE_ID.findall(_header(msg, name))


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    raw = payload if isinstance(payload, bytes) else b""
    return decode_bytes(raw, part.get_content_charset())


def _is_auto(msg: Message, subject: str) -> bool:
    auto_submitted = _header(msg, "Auto-Submitted").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return True
    if _header(msg, "Precedence").strip().lower() in _AUTO_PRECEDENCE:
        return True
    if any(_header(msg, h) for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply")):
        return True
    if msg.get_content_type() == "multipart/report":
        return True
    return bool(_AUTO_SUBJECT.match(subject))


def _walk(msg: Message) -> Iterator[Message]:
    """Every leaf part, without descending into attached messages (they are attachments)."""
    if msg.is_multipart() and msg.get_content_maintype() == "multipart":
        for sub in msg.get_payload():
            if isinstance(sub, Message):
                yield from _walk(sub)
    else:
        yield msg


def _message_bytes(nested: Message) -> bytes:
    # compat32 writes headers back as they came; policy.default would re-parse (and may choke on) them.
    try:
        return nested.as_bytes(policy=policy.compat32)
    except Exception:
        return str(nested.get_payload()).encode("utf-8", "surrogateescape")


def _attachment(part: Message, index: int) -> Part | None:
    ctype = part.get_content_type()
    filename = _unescape(part.get_filename() or "")
    if ctype == "message/rfc822":
        inner = part.get_payload()
        nested = inner[0] if isinstance(inner, list) and inner else None
        subject = _header(nested, "Subject") if isinstance(nested, Message) else ""
        payload = _message_bytes(nested) if isinstance(nested, Message) else b""
        return Part(filename or f"{subject or 'message'}.eml", ctype, payload)
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return None
    inline = (part.get_content_disposition() or "inline") == "inline"
    return Part(filename or f"part-{index}.{part.get_content_subtype()}", ctype, data, inline)


def parse(raw: bytes) -> ParsedMail:
    msg = BytesParser(policy=policy.default).parsebytes(_LEADING_BLANK_LINES.sub(b"", raw, count=1))
    subject = " ".join(_header(msg, "Subject").split())
    senders = _mailboxes(msg, "From")

    body_parts: list[Message] = []
    if isinstance(msg, EmailMessage):
        chosen = msg.get_body(preferencelist=("plain", "html"))
        if chosen is not None:
            body_parts.append(chosen)
    plain = html = None
    for part in body_parts:
        if part.get_content_type() == "text/html":
            html = _text_of(part)
        else:
            plain = _text_of(part)

    attachments: list[Part] = []
    for index, part in enumerate(_walk(msg)):
        if any(part is chosen for chosen in body_parts):
            continue
        if part.get_content_maintype() == "text" and not part.get_filename() \
                and part.get_content_disposition() != "attachment":
            continue  # the other alternative of the body, not an attachment
        found = _attachment(part, index)
        if found is not None:
            attachments.append(found)
    own_ids = _ids(msg, "Message-ID")
    return ParsedMail(
        message_id=own_ids[0] if own_ids else None,
        in_reply_to=_ids(msg, "In-Reply-To"),
        references=_ids(msg, "References"),
        subject=subject,
        sender=senders[0] if senders else None,
        reply_to=_mailboxes(msg, "Reply-To"),
        to=_mailboxes(msg, "To"),
        cc=_mailboxes(msg, "Cc"),
        plain=plain,
        html=html,
        auto_reply=_is_auto(msg, subject),
        attachments=attachments,
    )
