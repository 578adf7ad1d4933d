"""Inbound mail as data: the standard library's parser (bytes in, `policy.default`) plus what real
mail needs on top of it: a charset label that lies, raw 8-bit headers, no Content-Type, blank lines
before the headers, an attached message that is not the reply, inline images.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses
from functools import cached_property

from sideconv.email.bounce import Bounce, from_daemon, looks_like_bounce, read_bounce
from sideconv.email.charsets import decode_bytes
from sideconv.email.html_text import html_to_text, outlook_head, read_html
from sideconv.email.reply_patterns import is_auto_reply_subject

__all__ = ["Bounce", "Mailbox", "ParsedMail", "Part", "decode_bytes", "parse"]

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_LEADING_BLANK_LINES = re.compile(rb"\A(?:[ \t]*\r?\n)+")
_AUTO_PRECEDENCE = frozenset({"bulk", "auto_reply", "junk"})


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
    # The body, in order: each text part as ("plain" | "html", its text). Several when a client
    # interleaves text with inline attachments; HTML is converted to text on first use.
    body: list[tuple[str, str]]
    auto_reply: bool
    attachments: list[Part] = field(default_factory=list)
    # A delivery failure for mail this service sent (`sideconv.email.bounce`), else None.
    bounce: Bounce | None = None

    @cached_property
    def _converted(self) -> dict[int, tuple[str, str]]:
        return {}

    def _piece(self, index: int) -> tuple[str, str]:
        """(full text, reply source) of one body part, converted once."""
        if index not in self._converted:
            kind, content = self.body[index]
            if kind == "html":
                converted = read_html(content)
                self._converted[index] = (converted.full, converted.reply)
            else:
                text = content.replace("\r\n", "\n").replace("\r", "\n")
                self._converted[index] = (text, text)
        return self._converted[index]

    @cached_property
    def text(self) -> str:
        """The full text, quoted history included."""
        fulls = (self._piece(i)[0] for i in range(len(self.body)))
        return "\n\n".join(full.strip("\n") for full in fulls if full.strip())

    def reply_source(self) -> tuple[str, bool]:
        """The text the reply's new words are read from (the full text without the signatures an HTML
        part marks), and whether an HTML part was read only up to where Outlook's quoted original
        starts: that original is most of a long reply and converting it is the slow part, so it is
        left in the raw mail (the full text is read from there on request)."""
        pieces: list[str] = []
        cut = False
        for index, (kind, content) in enumerate(self.body):
            head = outlook_head(content) if kind == "html" else None
            if head is not None:
                pieces.append(read_html(head).reply)
                cut = True
            else:
                pieces.append(self._piece(index)[1])
        return "\n\n".join(piece.strip("\n") for piece in pieces if piece.strip()), cut

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
    return decode_bytes(raw, None, detect=False)


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
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: the bytes as they came
        payload = str(part.get_payload()).encode("ascii", "surrogateescape")
    raw = payload if isinstance(payload, bytes) else b""
    try:
        declared = part.get_content_charset()
    except Exception:
        declared = None
    # Mail travels with CRLF line ends and the decoded payload keeps them: one line end for what reads it.
    return decode_bytes(raw, declared).replace("\r\n", "\n")


_INVISIBLE = re.compile(r"<(style|script|head|title)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_HTML_TEXT = re.compile(r"(?:^|>)(?:\s|&nbsp;|&#160;)*[^\s<]")


def _visible(kind: str, text: str) -> bool:
    """Does the part say anything? (An empty text/plain beside the real HTML does not.)"""
    if kind == "html":
        return _HTML_TEXT.search(_INVISIBLE.sub(" ", text)) is not None
    return bool(text.strip())


def _is_body_text(part: Message) -> bool:
    return part.get_content_type() in ("text/plain", "text/html") and not part.get_filename() \
        and part.get_content_disposition() != "attachment"


_BOUNDARY_USED = re.compile(r"^--([^\s]{1,200}?)[ \t]*\r?\n(?=[A-Za-z-]+:)", re.MULTILINE)
_LOOKS_HTML = re.compile(r"<(?:html|body|div|p|br|table|span|blockquote)\b", re.IGNORECASE)


def _broken_multipart(part: Message) -> list[tuple[str, str]]:
    """A multipart that declares parts but has none the parser could find: its boundary was never
    used (another one was) or it was never split at all. Parse it again with the boundary its body
    uses, or read the body as the text it is."""
    body = str(part.get_payload())
    found = _BOUNDARY_USED.search(body)
    if found is not None and found.group(1) != part.get_param("boundary"):
        header = f"Content-Type: {part.get_content_type()}; boundary=\"{found.group(1)}\"\n\n"
        again = BytesParser(policy=policy.default).parsebytes(
            header.encode() + body.encode("ascii", "surrogateescape"))
        if again.is_multipart():
            return _body(again)
    raw = body.encode("ascii", "surrogateescape")
    charset = part.get_param("charset")
    text = decode_bytes(raw, charset if isinstance(charset, str) else None)
    return [("html" if _LOOKS_HTML.search(text) else "plain", text)] if text.strip() else []


def _body(part: Message) -> list[tuple[str, str]]:
    """The body's text parts in reading order. An alternative gives its plain text when that says
    something (an empty text/plain beside the real HTML gives the HTML); a mixed part gives each of its
    text parts, in order, around inline attachments; a related part gives its root."""
    if part.get_content_maintype() == "multipart":
        payload = part.get_payload()
        if not isinstance(payload, list):
            return _broken_multipart(part)
        subs = [sub for sub in payload if isinstance(sub, Message)]
        subtype = part.get_content_subtype()
        if subtype == "alternative":
            options = [option for option in (_body(sub) for sub in subs) if any(_visible(*p) for p in option)]
            plain = [option for option in options if all(kind == "plain" for kind, _ in option)]
            return plain[0] if plain else (options[-1] if options else [])
        if subtype == "related" and subs:
            return _body(subs[0])
        return [piece for sub in subs for piece in _body(sub)]
    if _is_body_text(part):
        if part.get_content_subtype() == "html":
            return [("html", _text_of(part))]
        text = _text_of(part)
        if str(part.get_param("format") or "").lower() == "flowed":
            text = unflow(text, delsp=str(part.get_param("delsp") or "").lower() == "yes")
        return [("plain", text)]
    return []


def unflow(text: str, *, delsp: bool = False) -> str:
    """A `format=flowed` part (RFC 3676: Thunderbird, Apple Mail) as its writer wrote it: a line that
    ends in a space goes on in the next line of the same quote depth; space-stuffing is undone; the
    signature separator "-- " stays a line of its own."""
    out: list[str] = []
    joining = False
    previous_depth = 0
    for raw_line in text.replace("\r\n", "\n").split("\n"):
        depth = len(raw_line) - len(raw_line.lstrip(">"))
        line = raw_line[depth:]
        if line.startswith(" "):
            line = line[1:]  # space-stuffed (or the space after the quote marks)
        flowed = line.endswith(" ") and line != "-- "
        if delsp and flowed:
            line = line[:-1]
        if joining and depth == previous_depth and out:
            out[-1] += line
        else:
            out.append((">" * depth + " " if depth else "") + line)
        joining, previous_depth = flowed, depth
    return "\n".join(part.rstrip(" ") if not part.endswith("-- ") else part for part in out)


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
    return is_auto_reply_subject(subject)


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


def _leaves(msg: Message) -> Iterator[Message]:
    """Every part, attached messages included (their headers name the mail that bounced)."""
    yield msg
    payload = msg.get_payload()
    if isinstance(payload, list):
        for sub in payload:
            if isinstance(sub, Message):
                yield from _leaves(sub)


def _bounce(msg: Message, sender: Mailbox | None, subject: str, body: list[tuple[str, str]]) -> Bounce | None:
    text = "\n\n".join(content for _, content in body)
    report_type = msg.get_param("report-type")
    if not looks_like_bounce(sender=sender.email if sender else "", display_name=(sender.name or "") if sender else "",
                             subject=subject, content_type=msg.get_content_type(),
                             report_type=report_type if isinstance(report_type, str) else "", text=text):
        return None
    # An HTML-only notice (Exchange's, Microsoft 365's) is read as the text it shows, not its markup
    # (the markup is still searched for the returned mail's Message-ID: `<id>` reads as a tag).
    # Converted only now: most mail is no notice, and converting a long HTML reply is the slow part.
    shown = "\n\n".join(html_to_text(content) if kind == "html" else content for kind, content in body)
    report: str | None = None
    returned: list[str] = []
    for part in _leaves(msg):
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status") and report is None:
            inner = part.get_payload()
            if isinstance(inner, list):  # the email package reads its field groups as header blocks
                report = "\n\n".join("\n".join(f"{k}: {v}" for k, v in block.items()) for block in inner
                                       if isinstance(block, Message))
            else:
                report = str(inner)
        elif ctype in ("message/rfc822", "message/global") and part is not msg:
            inner = part.get_payload()
            nested = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(nested, Message):
                returned.extend(_ids(nested, "Message-ID"))
        elif ctype in ("text/rfc822-headers", "text/global-headers"):
            headers = BytesParser(policy=policy.default).parsebytes(_text_of(part).encode("utf-8", "replace"),
                                                                   headersonly=True)
            returned.extend(_ids(headers, "Message-ID"))
    return read_bounce(text=text, shown=shown, report=report, returned_ids=returned,
                       notice_ids=[*_ids(msg, "In-Reply-To"), *reversed(_ids(msg, "References"))],
                       ignore=frozenset({sender.email.lower()} if sender else set()))


def parse(raw: bytes) -> ParsedMail:
    msg = BytesParser(policy=policy.default).parsebytes(_LEADING_BLANK_LINES.sub(b"", raw, count=1))
    subject = " ".join(_header(msg, "Subject").split())
    senders = _mailboxes(msg, "From")
    body = _body(msg)

    attachments: list[Part] = []
    for index, part in enumerate(_walk(msg)):
        if part.get_content_maintype() == "text" and not part.get_filename() \
                and part.get_content_disposition() != "attachment":
            continue  # the body, or another alternative of it: not an attachment
        if part.get_content_maintype() == "multipart":
            continue  # a multipart without parts: its text is the body
        found = _attachment(part, index)
        if found is not None:
            attachments.append(found)
    own_ids = _ids(msg, "Message-ID")
    sender = senders[0] if senders else None
    bounce = _bounce(msg, sender, subject, body)
    return ParsedMail(
        message_id=own_ids[0] if own_ids else None,
        in_reply_to=_ids(msg, "In-Reply-To"),
        references=_ids(msg, "References"),
        subject=subject,
        sender=sender,
        reply_to=_mailboxes(msg, "Reply-To"),
        to=_mailboxes(msg, "To"),
        cc=_mailboxes(msg, "Cc"),
        body=body,
        # A daemon's notice that is no failure (a delay warning) is automatic too, header or not.
        auto_reply=bounce is not None or _is_auto(msg, subject)
        or (sender is not None and from_daemon(sender.email, sender.name or "")),
        attachments=attachments,
        bounce=bounce,
    )
