"""SES event publishing (configuration set → SNS): bounces mark the message `bounced` with the
bounce type and recipients; complaints are recorded on it. Found by the Message-ID lookup of the
id SES put on the wire: 1 GetItem, 1 UpdateItem."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sideconv import clock, keys
from sideconv.email.store import EmailStore
from sideconv.observability import logger
from sideconv.store.models import DeliveryMap


@dataclass(frozen=True)
class EventResult:
    outcome: Literal["bounced", "complaint", "suppressed", "ignored", "unknown_message"]
    message_id: str | None = None


def _recipients(items: list[dict[str, Any]]) -> str:
    parts = []
    for item in items:
        address = str(item.get("emailAddress", "?"))
        code = item.get("diagnosticCode")
        parts.append(f"{address} ({code})" if code else address)
    return ", ".join(parts)


# SES's bounce subtypes for a recipient it did not even try: on the account's (or tenant's) suppression list.
SUPPRESSED = frozenset({"OnAccountSuppressionList", "OnSuppressionList"})


def record_ses_event(sns_message: str | dict[str, Any], *, store: EmailStore, ses_message_id_domain: str,
                     count: Callable[[str, str], None] | None = None) -> EventResult:
    """`count(account, counter)` keeps the account's bounces, complaints and suppressed recipients
    (sideconv.email.sender_store): one account's deliverability is its own to see."""
    event = json.loads(sns_message) if isinstance(sns_message, str) else sns_message
    kind = event.get("eventType") or event.get("notificationType")
    if kind not in ("Bounce", "Complaint"):
        return EventResult("ignored")
    ses_id = str(event.get("mail", {}).get("messageId", ""))
    ref = store.ref_of_message_id(f"<{ses_id}@{ses_message_id_domain}>") if ses_id else None
    if ref is None or ref.message_id is None:
        logger.warning("SES event for a message this service does not know", extra={"ses_message_id": ses_id})
        return EventResult("unknown_message")
    sk = keys.message_sk(ref.side_conversation_id, ref.message_id)
    now = clock.now_iso()
    if kind == "Bounce":
        bounce = event.get("bounce", {})
        if bounce.get("bounceSubType") in SUPPRESSED:
            # Not a bounce of this mail: SES never sent it to that recipient. Failed, with the reason.
            detail = (f"not sent: on the SES suppression list ({bounce.get('bounceSubType')}): "
                      f"{_recipients(bounce.get('bouncedRecipients', []))}")
            store.mark_delivery(ref.pk, sk, DeliveryMap(status="failed", detail=detail[:1000], updated_at=now,
                                                        provider_id=ses_id), only_if=None)
            _count(count, ref.account_id, "suppressed_count")
            logger.info("suppressed recipient recorded", extra={"message_id": ref.message_id})
            return EventResult("suppressed", ref.message_id)
        detail = (f"{bounce.get('bounceType', 'Undetermined')}/{bounce.get('bounceSubType', 'Undetermined')}: "
                  f"{_recipients(bounce.get('bouncedRecipients', []))}")
        store.mark_delivery(ref.pk, sk, DeliveryMap(status="bounced", detail=detail[:1000], updated_at=now,
                                                    provider_id=ses_id), only_if=None)
        _count(count, ref.account_id, "bounce_count")
        logger.info("bounce recorded", extra={"message_id": ref.message_id, "detail": detail})
        return EventResult("bounced", ref.message_id)
    complaint = event.get("complaint", {})
    detail = (f"{complaint.get('complaintFeedbackType', 'complaint')}: "
              f"{_recipients(complaint.get('complainedRecipients', []))} at {complaint.get('timestamp', now)}")
    store.record_complaint(ref.pk, sk, detail[:1000])
    _count(count, ref.account_id, "complaint_count")
    logger.info("complaint recorded", extra={"message_id": ref.message_id})
    return EventResult("complaint", ref.message_id)


def _count(count: Callable[[str, str], None] | None, account_id: str, counter: str) -> None:
    if count is None:
        return
    try:
        count(account_id, counter)
    except Exception:
        # The message's own record is written; a lost count must not make SNS deliver the event again.
        logger.exception("account counter not updated", extra={"account_id": account_id, "counter": counter})
