"""Every DynamoDB request of a follow-up: its firing (`sideconv.follow_up_fire`) and its inbox key
(`sideconv.follow_up_schedules`), one method per intent.

A firing reads once (one consistent BatchGetItem) and writes at most once. Every write is conditional
on the summary still being what the firing read, so a write that lost a race (a reply came, it was
moved, closed or cleared) changes nothing and answers False.
"""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from sideconv import keys
from sideconv.store import activity, models
from sideconv.store.models import FollowUpSettingsItem, MessageItem, SideConversationItem, TableItem
from sideconv.store.transactions import ConditionFailed, Transaction
from sideconv.wiring import Wiring, built

Summary = SideConversationItem


def _still_waiting(summary: SideConversationItem) -> Condition:
    """Open, the ball still with the other party since the same message, not marked since the read."""
    fired = Summary.follow_up_fired_at == summary.follow_up_fired_at if summary.follow_up_fired_at \
        else Summary.follow_up_fired_at.does_not_exist()
    return (Summary.state == "open") & (Summary.last_direction == "outbound") \
        & (Summary.waiting_since == summary.waiting_since) & fired


def _due(summary: SideConversationItem, due_at: str, now: str) -> list[Action]:
    # The inbox lists a due follow-up first (keys.inbox_due_sk).
    return [Summary.follow_up_fired_at.set(now), Summary.version.add(1),
            Summary.gsi1sk.set(keys.inbox_due_sk(due_at, summary.id))]


class FollowUpStore:
    def __init__(self, region: str, host: str | None = None) -> None:
        self._connection = Connection(region=region, host=host)

    def read_for_firing(self, account_id: str, conversation_id: str, side_conversation_id: str
                        ) -> tuple[SideConversationItem | None, FollowUpSettingsItem | None]:
        """1 BatchGetItem, consistent: the summary and the account's follow-up settings (None: absent)."""
        pk = keys.conversation_pk(account_id, conversation_id)
        settings_key = keys.follow_up_settings_ref(account_id)
        summary, settings = None, None
        for item in TableItem.batch_get([(pk, keys.side_conversation_sk(side_conversation_id)),
                                         (settings_key, settings_key)], consistent_read=True):
            if isinstance(item, SideConversationItem):
                summary = item
            elif isinstance(item, FollowUpSettingsItem):
                settings = item
        return summary, settings

    def close_for_inactivity(self, summary: SideConversationItem, now: str) -> bool:
        """1 UpdateItem: closed (`closed_reason: inactivity`) if still open with no message since the read."""
        return models.update_if(summary, [
            Summary.state.set("closed"), Summary.closed_reason.set("inactivity"), Summary.updated_at.set(now),
            Summary.lsi1sk.set(keys.by_activity_sk("closed", now, summary.id)), Summary.version.add(1),
        ], (Summary.state == "open") & (Summary.last_message_at == summary.last_message_at))

    def mark_due(self, summary: SideConversationItem, due_at: str, now: str) -> bool:
        """1 UpdateItem: due (fired at `now`, first in the inbox), no nudge to repeat; if still waiting."""
        return models.update_if(summary, [*_due(summary, due_at, now), Summary.follow_up_repeat.set(False)],
                                _still_waiting(summary))

    def nudge(self, summary: SideConversationItem, due_at: str, now: str, message: MessageItem, *,
              nudges_sent: int, repeat: bool) -> bool:
        """1 TransactWriteItems: marked due as `mark_due`, with the nudge `message` (an outbound message,
        create-if-absent) and the summary moved as that message moves it; if still waiting."""
        actions = [*_due(summary, due_at, now), Summary.follow_up_nudges.set(nudges_sent),
                   Summary.follow_up_repeat.set(repeat), Summary.message_count.add(1),
                   Summary.preview_text.set(activity.preview(message.body)),
                   Summary.last_message_at.set(now), Summary.updated_at.set(now),
                   # Listed by its newest message, as any message out moves it (sideconv.store.activity)
                   Summary.lsi1sk.set(keys.by_activity_sk("open", now, summary.id))]
        try:
            with Transaction(connection=self._connection) as tx:
                tx.update(summary, actions, condition=_still_waiting(summary), add_version_condition=False)
                tx.save(message, condition=TableItem.pk.does_not_exist())
        except ConditionFailed:
            return False
        return True

    def unmark_inbox_due(self, pk: str, sk: str, due_sort_key: str, sort_key: str) -> bool:
        """1 UpdateItem: the inbox key back to `sort_key` if it is still `due_sort_key` (no message moved it)."""
        return models.update_if(SideConversationItem(pk, sk), [Summary.gsi1sk.set(sort_key)],
                                Summary.gsi1sk == due_sort_key)


@built
def configured_store(wiring: Wiring) -> FollowUpStore:
    """This container's follow-up store, on the table it is configured for."""
    return models.open_store(wiring, FollowUpStore)
