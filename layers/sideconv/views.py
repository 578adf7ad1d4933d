"""Items as the API shows them. The only place that decides what leaves the service."""

from __future__ import annotations

from typing import Any

from sideconv import channels, follow_ups
from sideconv.store import activity
from sideconv.store.models import MessageItem, PersonMap, SideConversationItem


def person(person: PersonMap, *, with_role: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": person.kind, "id": person.id, "name": person.name, "email": person.email}
    if with_role:
        out["role"] = person.role
    return out


def side_conversation(item: SideConversationItem, viewer: str | None = None) -> dict[str, Any]:
    """`viewer` is the calling agent's id: unread counts are theirs."""
    waiting_on, waiting_since = activity.waiting_on(item)
    out: dict[str, Any] = {
        "id": item.id,
        "conversation_id": item.conversation_id,
        "channel": item.channel,
        "subject": item.subject,
        "state": item.state,
        "participants": [person(p, with_role=True) for p in item.participants or []],
        "preview_text": item.preview_text,
        "message_count": int(item.message_count or 0),
        "created_by": person(item.created_by, with_role=False),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "last_message_at": item.last_message_at,
        "cc_customer": bool(item.cc_customer),
        "external_ids": dict(item.external_ids.as_dict()) if item.external_ids else {},
        "inbound_count": int(item.inbound_count or 0),
        "unread_count": activity.unread_count(item, viewer),
        "waiting_on": waiting_on,
        "waiting_since": waiting_since,
        "follow_up": follow_ups.view(item),
    }
    channel = channels.find(item.channel)
    if channel is not None:
        channel.view_summary(item, out)
    return out


def message(item: MessageItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": item.id,
        "side_conversation_id": item.side_conversation_id,
        "direction": item.direction,
        "author": person(item.author, with_role=False),
        "body": item.body,
        "attachments": [
            {"id": a.id, "name": a.name, "content_type": a.content_type, "size": int(a.size)}
            for a in item.attachments or []
        ],
        "created_at": item.created_at,
    }
    channel = channels.find(item.channel)
    if channel is not None:
        channel.view_message(item, out)
    if item.context:
        out["context"] = [{"author": {"name": q.author_name, "role": q.author_role}, "sent_at": q.sent_at,
                           "body": q.body} for q in item.context]
    if item.redactions is not None:
        out["redactions"] = [{"kind": r.kind, "count": int(r.count)} for r in item.redactions]
    if item.nudge:
        out["nudge"] = True
    if item.delivery is not None:
        out["delivery"] = {
            "status": item.delivery.status,
            "detail": item.delivery.detail,
            "updated_at": item.delivery.updated_at,
        }
    return out
