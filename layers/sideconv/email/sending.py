"""Send one outbox record: the stream record of a new outbound e-mail message, as SQS delivers it.

At least once: SQS may deliver a record again, and the message's recorded state decides. `pending`
is sent; anything else was handled before and is skipped, so a redelivery never mails twice once
the send is recorded. (A crash between SES accepting the mail and the record being written is the
one window left, and it can only duplicate, never lose.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sideconv import clock, outcome
from sideconv.context import Quoted
from sideconv.email import mime
from sideconv.email.store import EmailStore
from sideconv.observability import logger
from sideconv.store.models import DeliveryMap, MessageItem, PersonMap, SideConversationItem

# After this many deliveries of one record a transient failure becomes `failed`.
MAX_RECEIVES = 5
# SES error codes that no retry will fix.
PERMANENT_ERRORS = frozenset({
    "MessageRejected", "MailFromDomainNotVerifiedException", "MailFromDomainNotVerified",
    "BadRequestException", "InvalidParameterValue", "NotFoundException", "ConfigurationSetDoesNotExist",
})


class TransientSendError(Exception):
    """SES could not take the mail now; SQS delivers the record again after its visibility timeout."""


@dataclass(frozen=True)
class SenderConfig:
    sender_address: str
    sender_name: str
    inbound_domain: str
    ses_message_id_domain: str
    configuration_set: str | None


@dataclass(frozen=True)
class SendResult:
    status: Literal["sent", "failed", "skipped"]
    detail: str | None = None
    ses_message_id: str | None = None


def recipients(summary: SideConversationItem) -> tuple[list[mime.Recipient], list[mime.Recipient]]:
    """To: the addressed people and anyone who wrote in; Cc: the copied ones, and the customer only
    when the agent chose `cc_customer`. An address someone else put in Cc is never here."""
    to: list[mime.Recipient] = []
    cc: list[mime.Recipient] = []
    seen: set[str] = set()

    def add(into: list[mime.Recipient], person: PersonMap | dict[str, Any]) -> None:
        email = person.get("email") if isinstance(person, dict) else person.email
        name = person.get("name") if isinstance(person, dict) else person.name
        if email and email.lower() not in seen:
            seen.add(email.lower())
            into.append(mime.Recipient(email, name))

    people = [p for p in summary.participants or [] if p.kind == "email"]
    for person in people:
        if person.role == "to":
            add(to, person)
    for person in people:
        if person.role == "cc" or (person.role == "customer" and summary.cc_customer):
            add(cc, person)
    repliers = summary.email.repliers if summary.email is not None else None
    for replier in (repliers.as_dict() if hasattr(repliers, "as_dict") else dict(repliers or {})).values():
        add(to, replier)
    return to, cc


def _error_code(exc: Exception) -> tuple[str, str]:
    response = getattr(exc, "response", None) or {}
    error = response.get("Error", {})
    return str(error.get("Code") or type(exc).__name__), str(error.get("Message") or exc)


def _delivery(status: str, *, detail: str | None = None, provider_id: str | None = None,
              attempts: int) -> DeliveryMap:
    return DeliveryMap(status=status, detail=detail, provider_id=provider_id, updated_at=clock.now_iso(),
                       attempts=attempts)


def sender_of(summary: SideConversationItem, config: SenderConfig,
              may_send_from: Callable[[str, str], str | None] | None) -> tuple[str, str, str | None, str | None]:
    """(address, display name, SES tenant, why the shared address) for this mail: the address chosen at
    create while the account still holds its domain verified (checked now, not only at create), else
    the shared address. Never another account's domain, never an unverified one."""
    email = summary.email
    address = email.from_address if email is not None else None
    if not address or address.lower() == config.sender_address.lower():
        return config.sender_address, config.sender_name, None, None
    tenant = may_send_from(summary.account_id, address) if may_send_from is not None else None
    if tenant is None:
        return (config.sender_address, config.sender_name, None,
                f"sent from the shared address: {address.rpartition('@')[2]} is not verified for this account")
    return address, (email.from_name if email is not None and email.from_name else config.sender_name), tenant, None


def _opener(open_attachment: Callable[[str], Any], location: str) -> Callable[[], Any]:
    return lambda: open_attachment(location)


def send_record(stream_record: dict[str, Any], receive_count: int, *, store: EmailStore, ses: Any,
                config: SenderConfig, open_attachment: Callable[[str], Any] | None = None,
                remaining_seconds: Callable[[], float] = lambda: 30.0,
                may_send_from: Callable[[str, str], str | None] | None = None) -> SendResult:
    image = stream_record["dynamodb"]["NewImage"]
    recorded = MessageItem.from_raw_data(image)
    summary, message = store.load_for_send(recorded.pk, recorded.side_conversation_id, recorded.sk)
    log = {"side_conversation_id": recorded.side_conversation_id, "message_id": recorded.id}
    if message is None or summary is None:
        logger.warning("outbox record without its message or side conversation; skipped", extra=log)
        return SendResult("skipped", "message or side conversation not found")
    if message.delivery is None or message.delivery.status != "pending":
        logger.info("message already handled; skipped", extra={**log, "status": getattr(message.delivery,
                                                                                         "status", None)})
        return SendResult("skipped", "already handled")

    to, cc = recipients(summary)
    if not to:
        store.mark_delivery(message.pk, message.sk, _delivery("failed", detail="no recipients",
                                                              attempts=receive_count))
        return SendResult("failed", "no recipients")
    own_id = mime.own_message_id(message.id, config.inbound_domain)
    from_address, from_name, tenant, fallback = sender_of(summary, config, may_send_from)
    if fallback:
        logger.warning("custom sender refused at send time", extra={**log, "detail": fallback})
    try:
        # Each file is read from S3 once, as the mail is written (mime.build_raw).
        files = [mime.StreamedFile(a.name, a.content_type, _opener(open_attachment, a.location))
                 for a in message.attachments or [] if a.location and open_attachment is not None]
        raw = mime.build_raw(mime.Outbound(
            sender_address=from_address,
            sender_display=mime.sender_display(message.author.name, from_name),
            to=to, cc=cc,
            reply_to=summary.email.reply_to if summary.email is not None and summary.email.reply_to else "",
            subject=summary.subject or "(no subject)",
            body=message.body,
            message_id=own_id,
            references=[str(r) for r in summary.email.references or []] if summary.email is not None else [],
            context=[Quoted(q.author_name, q.author_role, q.sent_at, q.body) for q in message.context or []],
        ), files)
    except ValueError as exc:
        # A CR/LF or control character in a header: refused here, never handed to SES.
        detail = f"not sent: {exc}"
        store.mark_delivery(message.pk, message.sk, _delivery("failed", detail=detail, attempts=receive_count))
        return SendResult("failed", detail)

    request: dict[str, Any] = {
        "FromEmailAddress": from_address,
        "Destination": {"ToAddresses": [r.email for r in to], "CcAddresses": [r.email for r in cc]},
        "Content": {"Raw": {"Data": raw}},
    }
    if config.configuration_set:
        request["ConfigurationSetName"] = config.configuration_set
    if tenant:
        # The account's tenant: its own reputation and suppression list (sideconv.email.senders).
        request["TenantName"] = tenant
    try:
        ses_id = str(ses.send_email(**request)["MessageId"])
    except Exception as exc:
        code, text = _error_code(exc)
        if code in PERMANENT_ERRORS:
            detail = f"SES {code}: {text}"
            store.mark_delivery(message.pk, message.sk, _delivery("failed", detail=detail, attempts=receive_count))
            logger.warning("SES rejected the mail", extra={**log, "code": code})
            return SendResult("failed", detail)
        if receive_count >= MAX_RECEIVES:
            detail = f"SES {code} after {receive_count} attempts: {text}"
            store.mark_delivery(message.pk, message.sk, _delivery("failed", detail=detail, attempts=receive_count))
            logger.error("SES kept failing; gave up", extra={**log, "code": code})
            return SendResult("failed", detail)
        logger.warning("SES failed transiently; SQS will redeliver", extra={**log, "code": code})
        raise TransientSendError(f"{code}: {text}") from exc

    wire_id = f"<{ses_id}@{config.ses_message_id_domain}>"
    # SES took the mail and cannot be asked about it again: a write that fails now would mail it
    # twice on redelivery, so it gets every try the invocation has time for (sideconv.outcome).
    recorded_now = outcome.record(
        lambda: store.mark_sent(message, summary, _delivery("sent", detail=fallback, provider_id=ses_id,
                                                            attempts=receive_count),
                                own_id=own_id, wire_id=wire_id),
        remaining_seconds=remaining_seconds, what="email sent")
    if not recorded_now:
        logger.warning("send recorded by another delivery first", extra=log)
    return SendResult("sent", ses_message_id=ses_id)
