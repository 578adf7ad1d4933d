"""Domain events from the table's stream: every change the helpdesk may react to, published to
EventBridge after it is written, so a function failing after its write cannot lose one.

Each event carries the account, the conversation, the side conversation and the message ids, a
short preview at most, and `event_id` (the stream record's id): a consumer deduplicates on it, and
the publisher skips a record it has already published when the stream redelivers. No event says
the customer was answered: side conversations never touch the customer conversation's engagement.
"""

from __future__ import annotations

from typing import Any

SOURCE = "atender.side-conversations"
CREATED = "Side Conversation Created"
CLOSED = "Side Conversation Closed"
REOPENED = "Side Conversation Reopened"
SENT = "Message Sent"
FAILED = "Message Failed"
BOUNCED = "Message Bounced"
RECEIVED = "Message Received"
QUARANTINED = "Email Quarantined"
FOLLOW_UP_DUE = "Side Conversation Follow-up Due"
WAITING_STARTED = "Side Conversation Waiting Started"
WAITING_ENDED = "Side Conversation Waiting Ended"
AUTO_CLOSED = "Side Conversation Auto-closed"
DETAIL_TYPES = (CREATED, CLOSED, REOPENED, SENT, FAILED, BOUNCED, RECEIVED, QUARANTINED,
                FOLLOW_UP_DUE, WAITING_STARTED, WAITING_ENDED, AUTO_CLOSED)
_DELIVERY_EVENTS = {"sent": SENT, "failed": FAILED, "bounced": BOUNCED}
PREVIEW_LENGTH = 140


def _preview(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_LENGTH else flat[: PREVIEW_LENGTH - 1] + "…"


def _base(event_id: str, image: dict[str, Any], occurred_at: Any) -> dict[str, Any]:
    side_conversation_id = image.get("side_conversation_id") or image.get("id")
    return {
        "event_id": event_id,
        "account_id": image.get("account_id"),
        "conversation_id": image.get("conversation_id"),
        "side_conversation_id": side_conversation_id,
        "channel": image.get("channel") or (str(side_conversation_id).split("-", 1)[0]
                                            if side_conversation_id else None),
        "occurred_at": occurred_at,
    }


def _person(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    return {k: value.get(k) for k in ("kind", "id", "name", "email")}


def from_change(event_id: str, event_name: str, new: dict[str, Any],
                old: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The event a table change means, as (detail type, detail), or None when it means none.

    `new`/`old` are the deserialized stream images.
    """
    kind = new.get("kind") or old.get("kind")
    if kind == "side_conversation":
        if event_name == "INSERT":
            detail = _base(event_id, new, new.get("created_at"))
            detail["created_by"] = _person(new.get("created_by"))
            detail["subject"] = new.get("subject")
            return CREATED, detail
        if event_name == "MODIFY" and old.get("state") != new.get("state") and new.get("state") in ("open", "closed"):
            return (CLOSED if new["state"] == "closed" else REOPENED), _base(event_id, new, new.get("updated_at"))
        return None
    if kind == "message":
        if event_name == "INSERT" and new.get("direction") == "inbound":
            detail = _base(event_id, new, new.get("created_at"))
            detail |= {"message_id": new.get("id"), "author": _person(new.get("author")),
                       "preview": _preview(new.get("body")), "auto_reply": bool(new.get("auto_reply"))}
            return RECEIVED, detail
        status = (new.get("delivery") or {}).get("status")
        before = (old.get("delivery") or {}).get("status")
        if event_name == "MODIFY" and status != before and status in _DELIVERY_EVENTS:
            delivery = new["delivery"]
            detail = _base(event_id, new, delivery.get("updated_at"))
            detail |= {"message_id": new.get("id"), "author": _person(new.get("author")),
                       "preview": _preview(new.get("body")), "detail": delivery.get("detail")}
            return _DELIVERY_EVENTS[status], detail
        return None
    if kind == "quarantine" and event_name == "INSERT":
        return QUARANTINED, {
            "event_id": event_id, "account_id": new.get("account_id"), "conversation_id": None,
            "side_conversation_id": None, "channel": "email", "occurred_at": new.get("received_at"),
            "quarantine_id": new.get("id"), "reason": new.get("reason"),
        }
    return None


def _ball(image: dict[str, Any]) -> str | None:
    """Who the ball is with: `external` after a message out, `agent` after one in; None when closed."""
    if image.get("state") != "open":
        return None
    return {"outbound": "external", "inbound": "agent"}.get(str(image.get("last_direction")))


def _follow_up_and_waiting(event_id: str, event_name: str, new: dict[str, Any],
                           old: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    from sideconv import follow_ups

    out: list[tuple[str, dict[str, Any]]] = []
    fired, fired_before = new.get("follow_up_fired_at"), old.get("follow_up_fired_at")
    if fired and fired != fired_before:
        current = follow_ups.plan(new)
        detail = _base(event_id, new, fired)
        detail |= {"created_by": _person(new.get("created_by")), "subject": new.get("subject"),
                   "due_at": current.due_at if current else None, "waiting_since": new.get("waiting_since"),
                   "nudge_sent": int(new.get("follow_up_nudges") or 0) > int(old.get("follow_up_nudges") or 0),
                   "nudges_sent": int(new.get("follow_up_nudges") or 0)}
        out.append((FOLLOW_UP_DUE, detail))
    ball, ball_before = _ball(new), (None if event_name == "INSERT" else _ball(old))
    if ball == "external" and ball_before != "external":
        detail = _base(event_id, new, new.get("waiting_since"))
        detail |= {"waiting_on": "external", "since": new.get("waiting_since")}
        out.append((WAITING_STARTED, detail))
    elif ball_before == "external" and ball != "external":
        ended_at = new.get("waiting_since") if ball == "agent" else new.get("updated_at")
        detail = _base(event_id, new, ended_at)
        detail |= {"waiting_on": "external", "since": old.get("waiting_since"), "ended_at": ended_at,
                   "reason": "reply" if ball == "agent" else "closed", "ball_with": ball}
        out.append((WAITING_ENDED, detail))
    if event_name == "MODIFY" and new.get("state") == "closed" and old.get("state") == "open" \
            and new.get("closed_reason") == "inactivity":
        detail = _base(event_id, new, new.get("updated_at"))
        detail |= {"last_message_at": new.get("last_message_at"), "auto_close_after": new.get("auto_close_after")}
        out.append((AUTO_CLOSED, detail))
    return out


def from_change_all(event_id: str, event_name: str, new: dict[str, Any],
                    old: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every event a change means, in order: the one of `from_change` first, then the follow-up's and
    the waiting ones. The first carries the stream record's id as `event_id`; each further one that id
    and its position (`<id>:1`, ...), so every event can be deduplicated on its own."""
    first = from_change(event_id, event_name, new, old)
    out = [first] if first else []
    if (new.get("kind") or old.get("kind")) == "side_conversation":
        out += _follow_up_and_waiting(event_id, event_name, new, old)
    for position, (_, detail) in enumerate(out[1:], start=1):
        detail["event_id"] = f"{event_id}:{position}"
    return out
