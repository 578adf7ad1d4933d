"""A received mail, as SES delivers it: the raw message is already in S3 (receipt rule, S3 action)
and the function gets the receipt event (Lambda action, no body).

Match by the reply address's token first (1 GetItem), else by In-Reply-To/References against the
Message-IDs this service recorded (1 BatchGetItem); the subject plays no part, so a replier may
change it. What cannot be trusted or matched is quarantined with a reason, never appended. One
transaction writes the outcome with an `INMAIL#<SES messageId>` record, so a second invocation for
the same mail adds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from sideconv import clock, keys
from sideconv.email import authenticity
from sideconv.email.parse import Bounce, Mailbox, ParsedMail, parse
from sideconv.email.reply_text import new_text
from sideconv.email.store import DuplicateMail, EmailStore, Ref, SpoofedSender
from sideconv.observability import logger
from sideconv.reply_address import side_conversation_id_from
from sideconv.store.models import (
    AttachmentMap,
    InboundMailItem,
    MessageItem,
    PersonMap,
    QuarantineItem,
)

if TYPE_CHECKING:
    from sideconv.config import Settings
    from sideconv.wiring import Wiring

# DynamoDB items stop at 400 KB: longer texts stay in the raw mail (S3) and are parsed on request.
MAX_BODY_CHARS = 100_000
MAX_FULL_BODY_CHARS = 150_000
RECORD_TTL_SECONDS = 30 * 24 * 3600
_TOKEN_SHAPE = re.compile(r"^sc\.", re.IGNORECASE)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

Reason = Literal["forged_token", "unknown_token", "unmatched", "spam", "virus", "dmarc", "own_mail",
                 "spoofed_sender"]


@dataclass(frozen=True)
class InboundConfig:
    token_secret: str
    inbound_domain: str
    raw_bucket: str
    raw_prefix: str
    sender_address: str  # what outbound mail is From

    @classmethod
    def of(cls, settings: Settings) -> InboundConfig:
        return cls(token_secret=settings.token_secret, inbound_domain=settings.inbound_domain,
                   raw_bucket=settings.received_mail_bucket, raw_prefix=settings.raw_mail_prefix,
                   sender_address=settings.sender_address)


@dataclass(frozen=True)
class InboundResult:
    outcome: Literal["appended", "quarantined", "duplicate", "bounced"]
    side_conversation_id: str | None = None
    message_id: str | None = None
    reason: str | None = None
    quarantine_id: str | None = None


class Storage:
    """The S3 side: read the raw mail, keep attachments. Keys are deterministic (SES messageId and
    part index), so a retried invocation overwrites rather than leaves orphans."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    @classmethod
    def of(cls, wiring: Wiring) -> Storage:
        """The received-mail bucket, through the wiring's S3 client."""
        from sideconv import s3

        return cls(s3.client(wiring), wiring.settings.received_mail_bucket)

    def read(self, key: str) -> bytes:
        return bytes(self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read())

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)


def attachment_key(ses_message_id: str, index: int, name: str) -> str:
    safe = _UNSAFE_NAME.sub("_", name).strip("._") or "file"
    return f"attachments/{ses_message_id}/{index:02d}-{safe[:100]}"


def _verdict(receipt: dict[str, Any], name: str) -> str:
    return str((receipt.get(name) or {}).get("status", "")).upper()


def _distrust(receipt: dict[str, Any]) -> tuple[Reason, str] | None:
    if _verdict(receipt, "virusVerdict") == "FAIL":
        return "virus", "SES virus verdict FAIL"
    if _verdict(receipt, "spamVerdict") == "FAIL":
        return "spam", "SES spam verdict FAIL"
    return None


def _token(recipients: list[str], config: InboundConfig) -> tuple[str | None, bool]:
    """(side conversation id, forged?) from the envelope recipients on our inbound domain."""
    forged = False
    for address in recipients:
        local, _, host = address.strip().lower().rpartition("@")
        if host != config.inbound_domain.lower() or not _TOKEN_SHAPE.match(local):
            continue
        found = side_conversation_id_from(address, secret=config.token_secret, domain=config.inbound_domain)
        if found is not None:
            return found, False
        forged = True
    return None, forged


def _ours(mailbox: Mailbox, config: InboundConfig) -> bool:
    return mailbox.email.lower().rpartition("@")[2] == config.inbound_domain.lower()


def _own_mail(mail: ParsedMail, config: InboundConfig) -> tuple[Reason, str] | None:
    """Mail this service sent, come back: a reply address was among its recipients, or a forward. As a
    reply it would put the agent's own words in a thread as someone else's; held, an admin decides."""
    sender = mail.sender
    if sender is not None and (_ours(sender, config) or sender.email.lower() == config.sender_address.lower()):
        return "own_mail", f"From {sender.email}: mail this service sent, not a reply to it"
    return None


def _person(mailbox: Mailbox) -> PersonMap:
    return PersonMap(kind="email", email=mailbox.email, name=mailbox.name)


def build_message(ref: Ref, mail: ParsedMail, *, ses_message_id: str, raw_location: str,
                  attachments: list[AttachmentMap], config: InboundConfig, now: str) -> MessageItem:
    source, cut = mail.reply_source()
    body = new_text(source) if source.strip() else ""
    # An HTML mail read only up to Outlook's quoted original keeps its full text in the raw mail.
    full = None if cut else mail.text.strip()
    if not body:
        body = "(no text)" if not attachments else "(attachments only)"
    quoted = cut or body != full
    message_id = clock.new_id()
    sender = mail.sender or Mailbox("unknown@invalid")
    copied = [m for m in [*mail.to, *mail.cc]
              if not _ours(m, config) and m.email.lower() != sender.email.lower()]
    return MessageItem.new(
        account_id=ref.account_id,
        conversation_id=ref.conversation_id,
        side_conversation_id=ref.side_conversation_id,
        message_id=message_id,
        direction="inbound",
        author=_person(sender),
        body=body[:MAX_BODY_CHARS],
        created_at=now,
        attachments=attachments,
        email_message_id=mail.message_id,
        email_cc=[_person(m) for m in copied] or None,
        auto_reply=mail.auto_reply,
        has_quoted_text=quoted,
        full_body=full if quoted and full is not None and len(full) <= MAX_FULL_BODY_CHARS else None,
        raw_location=raw_location,
    )


def store_attachments(mail: ParsedMail, ses_message_id: str, storage: Storage) -> list[AttachmentMap]:
    stored = []
    for index, part in enumerate(mail.attachments):
        key = attachment_key(ses_message_id, index, part.name)
        storage.put(key, part.payload, part.content_type)
        stored.append(AttachmentMap(id=f"{index:02d}", name=part.name[:255], content_type=part.content_type,
                                    size=part.size, location=key))
        part.payload = b""  # let a 20 MB message's parts go as soon as they are stored
    return stored


def ingest(ses_record: dict[str, Any], *, store: EmailStore, storage: Storage, config: InboundConfig,
           on_quarantine: Callable[[str], None] = lambda reason: None, check_senders: bool = True) -> InboundResult:
    """A reply From one of its account's sending addresses is spoofed (sideconv.email.authenticity)
    unless `check_senders` is off."""
    mail_meta, receipt = ses_record["ses"]["mail"], ses_record["ses"]["receipt"]
    ses_message_id = str(mail_meta["messageId"])
    raw_location = f"{config.raw_prefix}{ses_message_id}"
    now = clock.now_iso()
    record_key = keys.inbound_mail_ref(ses_message_id)
    log = {"ses_message_id": ses_message_id}

    mail = parse(storage.read(raw_location))

    side_conversation_id, forged = _token(list(receipt.get("recipients") or []), config)
    ref: Ref | None = None
    reason: tuple[Reason, str] | None = None
    if side_conversation_id is not None:
        ref = store.ref_of(side_conversation_id)
        if ref is None:
            reason = ("unknown_token", f"no side conversation {side_conversation_id}")
    else:
        # No token (or a forged one): the thread ids tell which side conversation, or at least which
        # account's admins should see the quarantined mail.
        ref = store.thread_of(mail.thread_ids())
        if forged:
            reason = ("forged_token", "the reply address's token does not verify")
        elif ref is None:
            reason = ("unmatched", "no reply token and no known In-Reply-To/References")
    from_address = mail.sender.email if mail.sender else None
    forged_from = authenticity.dmarc_failure(receipt, from_address)
    reason = _distrust(receipt) or forged_from or _own_mail(mail, config) or reason
    if mail.bounce is not None and _distrust(receipt) is None and forged_from is None:
        bounced = _record_bounce(mail.bounce, ref if side_conversation_id is not None else None, store=store,
                                 record_key=record_key, now=now, log=log)
        if bounced is not None:
            return bounced
        ref, reason = None, ("unmatched", f"a delivery failure for mail this service does not know: "
                                          f"{mail.bounce.detail}"[:1000])

    record = InboundMailItem(record_key, record_key, received_at=now, expires_at=clock.epoch_after(RECORD_TTL_SECONDS),
                             outcome="quarantined" if reason else "appended",
                             account_id=ref.account_id if ref else None,
                             conversation_id=ref.conversation_id if ref else None,
                             side_conversation_id=ref.side_conversation_id if ref else None)
    def hold(code: str, detail: str) -> InboundResult:
        record.outcome = "quarantined"
        record.message_id = None
        quarantine_id = clock.new_id()
        record.quarantine_id = quarantine_id
        account = ref.account_id if ref else None
        item = QuarantineItem(
            keys.quarantine_pk(account), keys.quarantine_sk(quarantine_id),
            id=quarantine_id, account_id=account, reason=code, detail=detail, raw_location=raw_location,
            ses_message_id=ses_message_id, received_at=now,
            sender=mail.sender.email if mail.sender else None, subject=mail.subject[:500] or None,
            recipients=list(receipt.get("recipients") or [])[:50],
            conversation_id=ref.conversation_id if ref else None,
            side_conversation_id=ref.side_conversation_id if ref else None, status="held",
        )
        try:
            store.quarantine(record, item)
        except DuplicateMail:
            logger.info("mail seen before; nothing added", extra=log)
            return InboundResult("duplicate")
        logger.warning("mail quarantined", extra={**log, "reason": code, "account_id": account})
        on_quarantine(code)
        return InboundResult("quarantined", reason=code, quarantine_id=quarantine_id)

    if reason is not None or ref is None:
        return hold(*(reason or ("unmatched", "no side conversation")))

    attachments = store_attachments(mail, ses_message_id, storage)
    message = build_message(ref, mail, ses_message_id=ses_message_id, raw_location=raw_location,
                            attachments=attachments, config=config, now=now)
    record.message_id = message.id
    try:
        # The account's own sending address is checked in the same write (a ConditionCheck on its sender
        # item): no read more for the mail that is not spoofed, which is nearly all of it.
        store.append_inbound(record, message, mail,
                             not_a_sender=from_address if check_senders else None)
    except DuplicateMail:
        logger.info("mail seen before; nothing added", extra=log)
        return InboundResult("duplicate")
    except SpoofedSender:
        return hold(*authenticity.spoofed(from_address or ""))
    logger.info("reply appended", extra={**log, "side_conversation_id": ref.side_conversation_id,
                                         "auto_reply": bool(message.auto_reply)})
    return InboundResult("appended", ref.side_conversation_id, message.id)


def _record_bounce(bounce: Bounce, token_ref: Ref | None, *, store: EmailStore, record_key: str, now: str,
                   log: dict[str, str]) -> InboundResult | None:
    """Mark the outbound message a bounce returns `bounced`, found by the returned mail's Message-ID
    (then the ids the notice answers), else, for a bounce sent to a reply address, the side
    conversation's newest outbound message. None when it is none of ours: quarantined then."""
    ref = store.thread_of(bounce.original_ids) if bounce.original_ids else None
    if (ref is None or ref.message_id is None) and token_ref is not None:
        latest = store.latest_outbound(token_ref)
        ref = replace(token_ref, message_id=latest) if latest else None
    if ref is None or ref.message_id is None:
        return None
    record = InboundMailItem(record_key, record_key, received_at=now, expires_at=clock.epoch_after(RECORD_TTL_SECONDS),
                             outcome="bounced", account_id=ref.account_id, conversation_id=ref.conversation_id,
                             side_conversation_id=ref.side_conversation_id, message_id=ref.message_id)
    try:
        if not store.record_bounce(record, ref, detail=bounce.detail[:1000], at=now):
            return None
    except DuplicateMail:
        logger.info("mail seen before; nothing added", extra=log)
        return InboundResult("duplicate")
    logger.info("bounce received by mail recorded", extra={**log, "message_id": ref.message_id,
                                                           "detail": bounce.detail})
    return InboundResult("bounced", ref.side_conversation_id, ref.message_id)


def original_text(message: MessageItem, storage: Storage) -> str:
    """The full text of a received message, quoted history included ("show quoted text")."""
    if message.full_body is not None:
        return message.full_body
    if message.raw_location and message.has_quoted_text:
        return parse(storage.read(message.raw_location)).text.strip()
    return message.body
