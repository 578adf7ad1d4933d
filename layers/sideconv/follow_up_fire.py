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

from pynamodb.connection import Connection
from pynamodb.expressions.update import Action

from sideconv import clock, follow_up_settings, follow_ups, keys
from sideconv.store import activity, models
from sideconv.store.models import (
    DeliveryMap,
    FollowUpSettingsItem,
    MessageItem,
    SideConversationItem,
    TableItem,
)
from sideconv.store.transactions import ConditionFailed, Transaction

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


def _read(firing: Firing) -> tuple[SideConversationItem | None, follow_up_settings.Settings]:
    pk = keys.conversation_pk(firing.account_id, firing.conversation_id)
    settings_key = keys.follow_up_settings_ref(firing.account_id)
    summary, settings = None, None
    for item in TableItem.batch_get([(pk, keys.side_conversation_sk(firing.side_conversation_id)),
                                     (settings_key, settings_key)], consistent_read=True):
        if isinstance(item, SideConversationItem):
            summary = item
        elif isinstance(item, FollowUpSettingsItem):
            settings = item
    return summary, follow_up_settings.from_item(settings)


def _close(summary: SideConversationItem, now: str) -> bool:
    item = SideConversationItem
    return models.update_if(summary, [
        item.state.set("closed"), item.closed_reason.set("inactivity"), item.updated_at.set(now),
        item.lsi1sk.set(keys.by_activity_sk("closed", now, summary.id)), item.version.add(1),
    ], (item.state == "open") & (item.last_message_at == summary.last_message_at))


def fire(connection: Connection, event: dict[str, Any]) -> str:
    """What the firing did: `due`, `nudged`, `auto_closed`, or why nothing (`gone`, `stale`, `early`)."""
    firing = Firing.parse(event)
    summary, settings = _read(firing)
    if summary is None:
        return "gone"
    now = clock.now_iso()
    attributes = follow_ups.attributes_of(summary)
    closes_at = follow_ups.auto_close_at(attributes)
    if closes_at is not None and closes_at <= now:
        return "auto_closed" if _close(summary, now) else "stale"
    current = follow_ups.plan(attributes)
    if current is None or current.next_fire is None or current.next_fire != firing.next_fire:
        return "stale"
    if current.next_fire > follow_ups.shift(now, EARLY_TOLERANCE_S):
        return "early"
    item = SideConversationItem
    nudge = current.nudge and current.nudges_sent < settings.max_nudges
    actions: list[Action] = [item.follow_up_fired_at.set(now), item.version.add(1),
               item.gsi1sk.set(keys.inbox_due_sk(current.due_at, summary.id))]
    fired = item.follow_up_fired_at == summary.follow_up_fired_at if summary.follow_up_fired_at \
        else item.follow_up_fired_at.does_not_exist()
    condition = (item.state == "open") & (item.last_direction == "outbound") \
        & (item.waiting_since == summary.waiting_since) & fired
    if not nudge:
        return "due" if models.update_if(summary, [*actions, item.follow_up_repeat.set(False)], condition) \
            else "stale"
    sent = current.nudges_sent + 1
    text = follow_ups.nudge_text(summary.subject)
    message_id = clock.new_id()
    message = MessageItem.new(
        account_id=firing.account_id, conversation_id=firing.conversation_id,
        side_conversation_id=summary.id, message_id=message_id, direction="outbound",
        author=summary.created_by, body=text, created_at=now, nudge=True,
        delivery=DeliveryMap(status="pending", updated_at=now, attempts=0),
        gsi2pk=keys.pending_pk(summary.channel), gsi2sk=keys.pending_sk(now, message_id))
    actions += [item.follow_up_nudges.set(sent), item.follow_up_repeat.set(sent < settings.max_nudges),
                item.message_count.add(1), item.preview_text.set(activity.preview(text)),
                item.last_message_at.set(now), item.updated_at.set(now),
                # Listed by its newest message, as any message out moves it (sideconv.store.activity)
                item.lsi1sk.set(keys.by_activity_sk("open", now, summary.id))]
    try:
        with Transaction(connection=connection) as tx:
            tx.update(summary, actions, condition=condition, add_version_condition=False)
            tx.save(message, condition=TableItem.pk.does_not_exist())
    except ConditionFailed:
        return "stale"
    return "nudged"
