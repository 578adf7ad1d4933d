"""E-mail on the local stack: the sender on the email outbox queue, SES capture at /_local/mail and
the inbound SMTP server that does what the SES receipt rule does in AWS (issue 3).

SMTP on 127.0.0.1:SMTP_PORT (2525) accepts mail for the inbound domain only, stores the raw message
in the embedded S3 bucket under the rule's prefix (key = prefix + an SES-style message id), then
invokes `ingest_email` with the receipt event SES would send (recipients from the envelope, every
verdict PASS). A person can answer a side conversation from any mail client or `swaks`.

To play a mail SES would judge otherwise, give it the header `X-Local-SES-Verdicts` (read by the local
stack alone; in AWS it is only a header): `spf=FAIL; dkim=FAIL; dmarc=FAIL; dmarc-policy=reject`, any of
spam, virus, spf, dkim, dmarc (PASS, FAIL, GRAY, PROCESSING_FAILED) and dmarc-policy (none, quarantine,
reject).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import time
from email import policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qsl

import boto3
from sideconv.config import Settings

from local.stack import LocalStack, Reply, Request

DEFAULT_SMTP_PORT = 2525
VERDICTS_HEADER = "X-Local-SES-Verdicts"
_VERDICT_NAMES = frozenset({"spam", "virus", "spf", "dkim", "dmarc"})
_VERDICT_VALUES = frozenset({"PASS", "FAIL", "GRAY", "PROCESSING_FAILED"})


def local_verdicts(raw: bytes) -> tuple[dict[str, str], str | None]:
    """The verdicts (and DMARC policy) a mail asks the local stack to play, from `X-Local-SES-Verdicts`."""
    parsed = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    verdicts: dict[str, str] = {}
    dmarc_policy = None
    for part in str(parsed.get(VERDICTS_HEADER, "")).split(";"):
        name, _, value = part.strip().partition("=")
        name, value = name.strip().lower(), value.strip()
        if name in _VERDICT_NAMES and value.upper() in _VERDICT_VALUES:
            verdicts[name] = value.upper()
        elif name == "dmarc-policy" and value.lower() in ("none", "quarantine", "reject"):
            dmarc_policy = value.lower()
    return verdicts, dmarc_policy


def ses_message_id() -> str:
    """Shaped like the ids SES receiving assigns (lower-case base32-ish, 20+ characters)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(32))


def _iso(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at * 1000) % 1000:03d}Z"


def receipt_event(raw: bytes, *, message_id: str, recipients: list[str], mail_from: str,
                  verdicts: dict[str, str] | None = None, dmarc_policy: str | None = None,
                  function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:ingest_email",
                  ) -> dict[str, Any]:
    """The SES receipt-rule Lambda action event for one mail (no body in it, as in AWS)."""
    parsed = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    headers = [{"name": name, "value": str(value)} for name, value in parsed.items()]
    common: dict[str, Any] = {
        "from": [str(v) for v in parsed.get_all("From", [])],
        "to": [str(v) for v in parsed.get_all("To", [])],
        "messageId": str(parsed.get("Message-ID", "")),
        "subject": str(parsed.get("Subject", "")),
        "date": str(parsed.get("Date", "")),
        "returnPath": mail_from,
    }
    if parsed.get_all("Cc"):
        common["cc"] = [str(v) for v in parsed.get_all("Cc", [])]
    now = time.time()
    status = {"spam": "PASS", "virus": "PASS", "spf": "PASS", "dkim": "PASS", "dmarc": "PASS", **(verdicts or {})}
    receipt: dict[str, Any] = {
        "timestamp": _iso(now),
        "processingTimeMillis": 42,
        "recipients": recipients,
        "spamVerdict": {"status": status["spam"]},
        "virusVerdict": {"status": status["virus"]},
        "spfVerdict": {"status": status["spf"]},
        "dkimVerdict": {"status": status["dkim"]},
        "dmarcVerdict": {"status": status["dmarc"]},
        "action": {"type": "Lambda", "functionArn": function_arn, "invocationType": "Event"},
    }
    if dmarc_policy:
        receipt["dmarcPolicy"] = dmarc_policy
    return {"Records": [{
        "eventSource": "aws:ses",
        "eventVersion": "1.0",
        "ses": {
            "mail": {
                "timestamp": _iso(now),
                "source": mail_from,
                "messageId": message_id,
                "destination": recipients,
                "headersTruncated": False,
                "headers": headers,
                "commonHeaders": common,
            },
            "receipt": receipt,
        },
    }]}


# What /_local/mail shows of each mail embedded SES sent, by SES message id: parsed once, not on every
# look (tests poll it under the stack's lock, and it grows with every mail sent).
_on_the_wire: dict[str, dict[str, Any]] = {}


def sent_mail(settings: Settings, limit: int | None = None) -> list[dict[str, Any]]:
    """What embedded SES sent, newest first, as it went on the wire: SES replaces Message-ID with
    `<SES message id@ses domain>`, so the raw text here carries that id too."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID][settings.region]
    out: list[dict[str, Any]] = []
    for sent in reversed(backend.sent_messages):
        if limit is not None and len(out) >= limit:
            break
        raw_data = getattr(sent, "raw_data", None)
        if raw_data is None:
            continue
        shown = _on_the_wire.get(sent.id)
        if shown is None:
            shown = _on_the_wire[sent.id] = _as_sent(sent, raw_data, settings)
        out.append(shown)
    return out


def _as_sent(sent: Any, raw_data: str, settings: Settings) -> dict[str, Any]:
    wire_id = f"<{sent.id}@{settings.ses_message_id_domain}>"
    message = BytesParser(policy=policy.default).parsebytes(raw_data.encode("utf-8", "surrogateescape"))
    del message["Message-ID"]
    message["Message-ID"] = wire_id
    return {
        "ses_message_id": sent.id,
        "message_id": wire_id,
        "from": str(message.get("From", "")),
        "to": [str(a) for a in getattr(message.get("To"), "addresses", ())],
        "cc": [str(a) for a in getattr(message.get("Cc"), "addresses", ())],
        "reply_to": str(message.get("Reply-To", "")),
        "subject": str(message.get("Subject", "")),
        "in_reply_to": str(message.get("In-Reply-To", "")) or None,
        "references": str(message.get("References", "")) or None,
        "destinations": list(sent.destinations),
        # Each file the mail carries, with a digest to compare with what was uploaded.
        "attachments": [_attachment(part) for part in message.iter_attachments()],
        "raw": message.as_string(policy=policy.SMTP),
    }


def _attachment(part: Any) -> dict[str, Any]:
    data = part.get_payload(decode=True)
    data = data if isinstance(data, bytes) else b""
    return {"name": part.get_filename(), "content_type": part.get_content_type(), "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


class InboundSMTP:
    """aiosmtpd handler: the SES receiving endpoint for the inbound domain."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.settings = stack.settings
        # One client for the server's life, as SES's S3 action has: building one per mail cost 7 ms,
        # and up to 75 ms, under the stack's lock.
        self._s3 = boto3.client("s3", region_name=self.settings.region)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.rpartition("@")[2].lower() != self.settings.inbound_domain.lower():
            return "550 5.7.1 Relaying denied: this server only accepts mail for " + self.settings.inbound_domain
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        raw = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        with self.stack.serving():
            message_id = await loop.run_in_executor(None, self.deliver, raw, list(envelope.rcpt_tos),
                                                    str(envelope.mail_from or ""))
        return f"250 Ok {message_id}"

    def deliver(self, raw: bytes, recipients: list[str], mail_from: str) -> str:
        from functions.ingest_email.handler import lambda_handler

        message_id = ses_message_id()
        with self.stack.lock:  # S3 action first: the raw mail is stored before anything reads it
            self._s3.put_object(
                Bucket=self.settings.received_mail_bucket, Key=f"{self.settings.raw_mail_prefix}{message_id}", Body=raw)
        verdicts, dmarc_policy = local_verdicts(raw)
        event = receipt_event(raw, message_id=message_id, recipients=recipients, mail_from=mail_from,
                              verdicts=verdicts, dmarc_policy=dmarc_policy)
        self.stack.invoke("ingest_email", lambda_handler, event)
        return message_id


def install(stack: LocalStack) -> None:
    """Register the e-mail sender, the inbound SMTP server and /_local/mail on the stack."""
    stack.add_outbox_sender("email")

    def mail(request: Request) -> Reply:
        limit = dict(parse_qsl(request.query)).get("limit")
        with stack.lock:
            return Reply.json(200, {"items": sent_mail(stack.settings, int(limit) if limit and limit.isdigit()
                                                       else None)})

    stack.add_route("GET", "/_local/mail", mail)

    port = int(os.environ.get("SMTP_PORT") or DEFAULT_SMTP_PORT)
    holder: dict[str, Any] = {}

    def start() -> None:
        from aiosmtpd.controller import Controller

        controller = Controller(InboundSMTP(stack), hostname="127.0.0.1", port=port,
                                data_size_limit=40 * 1024 * 1024)
        controller.start()
        holder["controller"] = controller
        print(f"  SMTP:    127.0.0.1:{port} (mail for *@{stack.settings.inbound_domain})", flush=True)

    def stop() -> None:
        controller = holder.pop("controller", None)
        if controller is not None:
            controller.stop()

    stack.add_server(start, stop)
