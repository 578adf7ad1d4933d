"""A follow-up's schedule fired: is the side conversation still waiting on the other party?

One read (BatchGetItem: the summary and the account's settings) and at most one write before the
event: the summary marked due (the inbox lists it first), with the nudge message in the same
transaction when the agent opted in and the account's `max_nudges` allows. The event itself is
published from the stream (Side Conversation Follow-up Due), the nudge goes out by the channel's
outbox like any message the agent writes, under their name. A firing that no longer matches the
summary (a reply came, it was moved or cleared) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sideconv import clock, follow_up_settings, follow_ups, keys
from sideconv.store.follow_up_store import FollowUpStore
from sideconv.store.models import DeliveryMap, MessageItem

# `at()` has whole seconds and the Scheduler's clock is not ours: a firing this close before its time
# is the one it was armed for (a one-time schedule runs once; only a change of the summary moves it).
EARLY_TOLERANCE_S = 60


@dataclass(frozen=True)
class Firing:
    account_id: str
    conversation_id: str
    side_conversation_id: str
    next_fire: str

    @classmethod
    def parse(cls, event: dict[str, Any]) -> Firing:
        values = [event.get(k) for k in ("account_id", "conversation_id", "side_conversation_id", "next_fire")]
        if not all(isinstance(v, str) and v for v in values):
            raise ValueError("a follow-up firing names account_id, conversation_id, side_conversation_id, next_fire")
        if not keys.SIDE_CONVERSATION_ID.match(str(values[2])):
            raise ValueError("not a side conversation id")
        return cls(*values)  # type: ignore[arg-type]


def fire(store: FollowUpStore, event: dict[str, Any]) -> str:
    """What the firing did: `due`, `nudged`, `auto_closed`, or why nothing (`gone`, `stale`, `early`)."""
    firing = Firing.parse(event)
    summary, settings_item = store.read_for_firing(firing.account_id, firing.conversation_id,
                                                   firing.side_conversation_id)
    if summary is None:
        return "gone"
    settings = follow_up_settings.from_item(settings_item)
    now = clock.now_iso()
    attributes = follow_ups.attributes_of(summary)
    closes_at = follow_ups.auto_close_at(attributes)
    if closes_at is not None and closes_at <= now:
        return "auto_closed" if store.close_for_inactivity(summary, now) else "stale"
    current = follow_ups.plan(attributes)
    if current is None or current.next_fire is None or current.next_fire != firing.next_fire:
        return "stale"
    if current.next_fire > follow_ups.shift(now, EARLY_TOLERANCE_S):
        return "early"
    if not (current.nudge and current.nudges_sent < settings.max_nudges):
        return "due" if store.mark_due(summary, current.due_at, now) else "stale"
    sent = current.nudges_sent + 1
    message_id = clock.new_id()
    message = MessageItem.new(
        account_id=firing.account_id, conversation_id=firing.conversation_id,
        side_conversation_id=summary.id, message_id=message_id, direction="outbound",
        author=summary.created_by, body=follow_ups.nudge_text(summary.subject), created_at=now, nudge=True,
        delivery=DeliveryMap(status="pending", updated_at=now, attempts=0),
        gsi2pk=keys.pending_pk(summary.channel), gsi2sk=keys.pending_sk(now, message_id))
    nudged = store.nudge(summary, current.due_at, now, message, nudges_sent=sent,
                         repeat=sent < settings.max_nudges)
    return "nudged" if nudged else "stale"
