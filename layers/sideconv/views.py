"""Items as the API shows them. The only place that decides what leaves the service."""

from __future__ import annotations

from typing import Any

from sideconv.store.models import MessageItem, PersonMap, SideConversationItem

PREVIEW_LENGTH = 140


def preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_LENGTH else flat[: PREVIEW_LENGTH - 1] + "…"


def _person(person: PersonMap, *, with_role: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": person.kind, "id": person.id, "name": person.name, "email": person.email}
    if with_role:
        out["role"] = person.role
    return out


def side_conversation(item: SideConversationItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": item.id,
        "conversation_id": item.conversation_id,
        "channel": item.channel,
        "subject": item.subject,
        "state": item.state,
        "participants": [_person(p, with_role=True) for p in item.participants or []],
        "preview_text": item.preview_text,
        "message_count": int(item.message_count or 0),
        "created_by": _person(item.created_by, with_role=False),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "last_message_at": item.last_message_at,
        "cc_customer": bool(item.cc_customer),
        "external_ids": dict(item.external_ids.as_dict()) if item.external_ids else {},
    }
    if item.email is not None:
        out["email"] = {"reply_to": item.email.reply_to}
    if item.slack is not None:
        out["slack"] = {
            "target": item.slack.target,
            "user_ids": list(item.slack.user_ids) if item.slack.user_ids else None,
            "channel_id": item.slack.channel_id,
            "thread_ts": item.slack.thread_ts,
            "permalink": item.slack.permalink,
        }
    return out


def message(item: MessageItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": item.id,
        "side_conversation_id": item.side_conversation_id,
        "direction": item.direction,
        "author": _person(item.author, with_role=False),
        "body": item.body,
        "attachments": [
            {"id": a.id, "name": a.name, "content_type": a.content_type, "size": int(a.size)}
            for a in item.attachments or []
        ],
        "created_at": item.created_at,
    }
    if item.delivery is not None:
        out["delivery"] = {
            "status": item.delivery.status,
            "detail": item.delivery.detail,
            "updated_at": item.delivery.updated_at,
        }
    return out
