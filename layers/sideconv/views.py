"""Items as the API shows them. The only place that decides what leaves the service."""

from __future__ import annotations

from typing import Any

from sideconv import activity, follow_ups
from sideconv.store.models import MessageItem, PersonMap, SideConversationItem


def _person(person: PersonMap, *, with_role: bool) -> dict[str, Any]:
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
        "participants": [_person(p, with_role=True) for p in item.participants or []],
        "preview_text": item.preview_text,
        "message_count": int(item.message_count or 0),
        "created_by": _person(item.created_by, with_role=False),
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
    if item.email is not None:
        out["email"] = {"reply_to": item.email.reply_to}
        if item.email.from_address:
            out["email"]["from"] = {"email": item.email.from_address, "name": item.email.from_name or "",
                                    "shared": bool(item.email.from_shared)}
        # People who wrote in unaddressed (a vendor's colleague) take part from then on.
        known = {(p.get("email") or "").lower() for p in out["participants"]}
        for replier in (item.email.repliers.as_dict() if item.email.repliers else {}).values():
            if str(replier.get("email", "")).lower() not in known:
                out["participants"].append({"kind": "email", "role": "replier", "id": None,
                                            "name": replier.get("name"), "email": replier.get("email")})
    if item.slack is not None:
        out["slack"] = {
            "target": item.slack.target,
            "user_ids": list(item.slack.user_ids) if item.slack.user_ids else None,
            "channel_id": item.slack.channel_id,
            "thread_ts": item.slack.thread_ts,
            "permalink": item.slack.permalink,
            "team_id": item.slack.team_id,
            "team_name": item.slack.team_name,
            "shared_externally": bool(item.slack.shared_externally),
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
    if item.channel == "email":
        out["auto_reply"] = item.auto_reply
        out["has_quoted_text"] = item.has_quoted_text
        out["cc"] = [_person(p, with_role=False) for p in item.email_cc] if item.email_cc else None
        out["complaint"] = item.complaint
    if item.channel == "slack":
        out["edited"] = bool(item.edited)
        out["deleted"] = bool(item.deleted)
        out["bot"] = bool(item.from_bot)
        out["external"] = bool(item.external)
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
