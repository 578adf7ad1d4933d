"""Outbound mail as MIME, built with `email.message.EmailMessage` (policy.SMTP: CRLF, folded headers,
RFC 2047 for non-ASCII names and subjects).

Header values come from the API, which refuses CR/LF in names and subjects; the policy refuses them
again here, so a value that slipped through fails the build instead of reaching SES.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

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


def _address(recipient: Recipient) -> Address:
    name = _safe(recipient.name or "", "a recipient's name")
    username, _, domain = recipient.email.rpartition("@")
    return Address(display_name=name, username=_safe(username, "an address"), domain=_safe(domain, "an address"))


def _html(body: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
    inner = "\n".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
            f'<body style="font-family:sans-serif">{inner}</body></html>')


def thread_references(earlier: Sequence[str], own_id: str) -> list[str]:
    refs = [r for r in earlier if r != own_id]
    if len(refs) > MAX_REFERENCES - 1:
        refs = [refs[0], *refs[-(MAX_REFERENCES - 2):]]
    return [*refs, own_id]


def build(out: Outbound, *, now: datetime | None = None) -> EmailMessage:
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = Address(display_name=_safe(out.sender_display, "the sender's name"),
                          addr_spec=out.sender_address)
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
    text = out.body if out.body.endswith("\n") else out.body + "\n"
    cte = "7bit" if text.isascii() and max((len(x) for x in text.splitlines()), default=0) < 900 \
        else "quoted-printable"
    msg.set_content(text, subtype="plain", charset="utf-8", cte=cte)
    msg.add_alternative(_html(out.body), subtype="html", charset="utf-8", cte="quoted-printable")
    for attachment in out.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        msg.add_attachment(attachment.data, maintype=maintype or "application",
                           subtype=subtype or "octet-stream", filename=_safe(attachment.name, "a file name"))
    return msg


