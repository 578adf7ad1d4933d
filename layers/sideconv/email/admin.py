"""What the API does for e-mail beyond the shared routes: the quarantine (admins of the account),
a received message's full text, and short-lived attachment links. Use cases like `sideconv.usecases`:
domain results out (`sideconv.results`), writes through the e-mail store's methods."""

from __future__ import annotations

from typing import Any

from sideconv import clock, keys, pagination, views
from sideconv.auth import Caller
from sideconv.email.inbound import (
    InboundConfig,
    Storage,
    build_message,
    original_text,
    store_attachments,
)
from sideconv.email.parse import parse
from sideconv.email.store import EmailStore, Ref
from sideconv.errors import Forbidden, InvalidRequest, NotFound
from sideconv.results import Changed, Created, Found
from sideconv.store.models import MessageItem, QuarantineItem

LINK_SECONDS = 300


def _admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise Forbidden("only the account's admins may see quarantined mail")


def quarantine_view(item: QuarantineItem) -> dict[str, Any]:
    return {
        "id": item.id, "reason": item.reason, "detail": item.detail, "status": item.status,
        "received_at": item.received_at, "sender": item.sender, "subject": item.subject,
        "recipients": list(item.recipients or []), "conversation_id": item.conversation_id,
        "side_conversation_id": item.side_conversation_id, "resolved_by": item.resolved_by,
        "resolved_at": item.resolved_at, "message_id": item.resolved_message_id,
    }


def list_quarantine(store: EmailStore, caller: Caller, limit: int, next_token: str | None,
                    secret: str) -> Found:
    _admin(caller)
    scope = f"quarantine\0{caller.account_id}"
    start = pagination.decode(next_token, scope=scope, secret=secret)
    items, last = store.list_quarantine(caller.account_id, limit, start)
    return Found({"items": [quarantine_view(i) for i in items],
                  "next_token": pagination.encode(last, scope=scope, secret=secret)})


def discard(store: EmailStore, caller: Caller, quarantine_id: str) -> Changed:
    _admin(caller)
    item = store.get_quarantined(caller.account_id, quarantine_id)
    now = clock.now_iso()
    store.discard_quarantined(item, by=caller.agent_id, at=now)
    item.status, item.resolved_by, item.resolved_at = "discarded", caller.agent_id, now
    return Changed(quarantine_view(item))


def attach(store: EmailStore, storage: Storage, config: InboundConfig, caller: Caller, quarantine_id: str,
           conversation_id: str, side_conversation_id: str) -> Created:
    """An admin vouches for a quarantined mail: it joins the side conversation they name, in their
    account, as any reply would (quoted text stripped, attachments kept)."""
    _admin(caller)
    if not keys.SIDE_CONVERSATION_ID.match(side_conversation_id) \
            or keys.channel_of(side_conversation_id) != "email":
        raise NotFound("side conversation not found")
    try:
        ref = Ref(caller.account_id, conversation_id, side_conversation_id)
        _ = ref.pk
    except ValueError as exc:
        raise InvalidRequest(str(exc), field="conversation_id") from exc
    item = store.get_quarantined(caller.account_id, quarantine_id)
    mail = parse(storage.read(item.raw_location))
    attachments = store_attachments(mail, item.ses_message_id, storage)
    now = clock.now_iso()
    message = build_message(ref, mail, ses_message_id=item.ses_message_id, raw_location=item.raw_location,
                            attachments=attachments, config=config, now=now)
    store.attach_quarantined(item, message, mail, by=caller.agent_id, at=now)
    return Created(views.message(message))


def _message(store: EmailStore, caller: Caller, conversation_id: str, side_conversation_id: str,
             message_id: str) -> MessageItem:
    if not keys.SIDE_CONVERSATION_ID.match(side_conversation_id):
        raise NotFound("message not found")
    try:
        pk = keys.conversation_pk(caller.account_id, conversation_id)
    except ValueError as exc:
        raise InvalidRequest(str(exc), field="conversation_id") from exc
    return store.get_message(pk, side_conversation_id, message_id)


def original(store: EmailStore, storage: Storage, caller: Caller, conversation_id: str,
             side_conversation_id: str, message_id: str) -> Found:
    message = _message(store, caller, conversation_id, side_conversation_id, message_id)
    return Found({"id": message.id, "body": message.body, "full_text": original_text(message, storage),
                  "has_quoted_text": bool(message.has_quoted_text)})


def content_disposition(name: str) -> str:
    """RFC 6266: an ASCII `filename` for old clients and `filename*` (RFC 5987, UTF-8) for the real name:
    S3 answers the header as given, and a raw "März.pdf" in it reads as mojibake (or breaks the header)."""
    from urllib.parse import quote

    ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in name)
    if ascii_name == name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment_link(store: EmailStore, s3: Any, bucket: str, caller: Caller, conversation_id: str,
                    side_conversation_id: str, message_id: str, attachment_id: str, *,
                    uploads_bucket: str | None = None) -> Found:
    """A received file (the mail bucket) or an agent's outbound one (the uploads bucket)."""
    from sideconv.uploads import bucket_for

    message = _message(store, caller, conversation_id, side_conversation_id, message_id)
    found = next((a for a in message.attachments or [] if a.id == attachment_id and a.location), None)
    if found is None:
        raise NotFound("attachment not found")
    url = s3.generate_presigned_url("get_object", ExpiresIn=LINK_SECONDS, Params={
        "Bucket": bucket_for(found.location, uploads_bucket or bucket, bucket), "Key": found.location,
        "ResponseContentType": found.content_type,
        "ResponseContentDisposition": content_disposition(found.name)})
    return Found({"id": found.id, "name": found.name, "content_type": found.content_type, "size": int(found.size),
                  "url": url, "expires_in": LINK_SECONDS})
