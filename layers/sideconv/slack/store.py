"""Every DynamoDB request of the Slack sender and processor, one method per access pattern.

Sender, per outbound message: 1 BatchGetItem (summary + message) and 1 write (the root's
TransactWriteItems, or one UpdateItem; a reply found posted as a root of its own, a TransactWriteItems).
Processor, per thread reply: 1 GetItem (thread lookup) and 1 TransactWriteItems (summary, message,
message lookup).
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.connection import Connection

from sideconv import keys
from sideconv.store import activity, models
from sideconv.store.models import (
    DeliveryMap,
    MessageItem,
    SideConversationItem,
    SideConversationRefItem,
    SlackInfoMap,
    TableItem,
)
from sideconv.store.transactions import ConditionFailed
from sideconv.store.transactions import Transaction as TransactWrite


@dataclass(frozen=True)
class ThreadRoot:
    team_id: str
    channel_id: str
    thread_ts: str
    permalink: str | None
    # The account whose own installation sent it: the thread lookup is keyed by it too.
    account_id: str | None = None


# The outcome is recorded: the message leaves the sparse pending index the re-drive reads.
LEAVE_PENDING_INDEX = (MessageItem.gsi2pk.remove(), MessageItem.gsi2sk.remove())


class SlackStore:
    def __init__(self, region: str, host: str | None = None) -> None:
        self._connection = Connection(region=region, host=host)

    # Sender -----------------------------------------------------------------------------------

    def summary_and_message(self, pk: str, side_conversation_id: str, message_sk: str
                            ) -> tuple[SideConversationItem | None, MessageItem | None]:
        """One consistent BatchGetItem: a redelivered message already sent is skipped, and a reply
        needs the thread its root started."""
        summary: SideConversationItem | None = None
        message: MessageItem | None = None
        wanted = [(pk, keys.side_conversation_sk(side_conversation_id)), (pk, message_sk)]
        for item in TableItem.batch_get(wanted, consistent_read=True):
            if isinstance(item, SideConversationItem):
                summary = item
            elif isinstance(item, MessageItem):
                message = item
        return summary, message

    def mark_root_sent(self, message: MessageItem, slack: SlackInfoMap, root: ThreadRoot, now: str,
                       attempts: int, detail: str | None = None) -> None:
        """The root is out: the message is sent, the summary knows its thread, and the thread lookup
        exists, all in one request, so a reply in the thread can always be routed."""
        ref = keys.slack_thread_ref(root.team_id, root.channel_id, root.thread_ts, root.account_id)
        summary = SideConversationItem(message.pk, keys.side_conversation_sk(message.side_conversation_id))
        with TransactWrite(connection=self._connection) as tx:
            tx.update(message, [MessageItem.delivery.set(DeliveryMap(
                status="sent", updated_at=now, provider_id=root.thread_ts, attempts=attempts, detail=detail)),
                *LEAVE_PENDING_INDEX], condition=MessageItem.pk.exists())
            tx.update(summary, [
                SideConversationItem.slack.set(SlackInfoMap(
                    target=slack.target, user_ids=slack.user_ids, channel_id=root.channel_id,
                    thread_ts=root.thread_ts, permalink=root.permalink, team_id=root.team_id,
                    team_name=slack.team_name, shared_externally=slack.shared_externally, source=slack.source,
                    thread_recorded_at=now)),
                SideConversationItem.version.add(1),
            ], condition=SideConversationItem.pk.exists())
            tx.save(SideConversationRefItem(
                ref, ref, account_id=message.account_id, conversation_id=message.conversation_id,
                side_conversation_id=message.side_conversation_id,
            ), condition=SideConversationRefItem.pk.does_not_exist())

    def mark_stray_root_sent(self, message: MessageItem, root: ThreadRoot, now: str, attempts: int) -> None:
        """A reply found posted as a root of its own (tried before the side conversation's thread was
        recorded): it is sent, and replies under that post are routed here too; the summary keeps its
        thread."""
        ref = keys.slack_thread_ref(root.team_id, root.channel_id, root.thread_ts, root.account_id)
        with TransactWrite(connection=self._connection) as tx:
            tx.update(message, [MessageItem.delivery.set(DeliveryMap(
                status="sent", updated_at=now, provider_id=root.thread_ts, attempts=attempts)),
                *LEAVE_PENDING_INDEX], condition=MessageItem.pk.exists())
            tx.save(SideConversationRefItem(
                ref, ref, account_id=message.account_id, conversation_id=message.conversation_id,
                side_conversation_id=message.side_conversation_id,
            ), condition=SideConversationRefItem.pk.does_not_exist())

    def mark_delivery(self, message: MessageItem, status: str, now: str, attempts: int, *,
                      provider_id: str | None = None, detail: str | None = None) -> None:
        message.update([MessageItem.delivery.set(DeliveryMap(
            status=status, updated_at=now, provider_id=provider_id, detail=detail, attempts=attempts)),
            *LEAVE_PENDING_INDEX], condition=MessageItem.pk.exists(), add_version_condition=False)

    # Processor --------------------------------------------------------------------------------

    def lookup(self, ref: str) -> SideConversationRefItem | None:
        try:
            return SideConversationRefItem.get(ref, ref, consistent_read=True)
        except SideConversationRefItem.DoesNotExist:
            return None

    def append_inbound(self, message: MessageItem, message_ref: SideConversationRefItem, now: str,
                       preview: str) -> bool:
        """Record a reply from Slack and update its summary in one request. False: already recorded."""
        summary = SideConversationItem(message.pk, keys.side_conversation_sk(message.side_conversation_id))
        try:
            with TransactWrite(connection=self._connection) as tx:
                # Reopens a closed side conversation and gives the agent the ball (sideconv.store.activity).
                tx.update(summary, activity.inbound_actions(message.side_conversation_id, message.id, now,
                                                            preview),
                          condition=SideConversationItem.pk.exists())
                tx.save(message, condition=MessageItem.pk.does_not_exist())
                tx.save(message_ref, condition=SideConversationRefItem.pk.does_not_exist())
        except ConditionFailed:
            # The message or its lookup is there already, or the summary is gone: nothing to add.
            return False
        return True

    def edit_inbound(self, pk: str, sk: str, text: str, now: str) -> bool:
        not_deleted = MessageItem.deleted.does_not_exist() | (MessageItem.deleted == False)  # noqa: E712
        return models.update_if(MessageItem(pk, sk), [MessageItem.body.set(text), MessageItem.edited.set(True)],
                                MessageItem.pk.exists() & not_deleted)

    def delete_inbound(self, pk: str, sk: str) -> bool:
        """Slack's author deleted it: keep the item (the thread's shape), drop what it said."""
        actions = [MessageItem.deleted.set(True), MessageItem.body.set(""), MessageItem.attachments.set([])]
        return models.update_if(MessageItem(pk, sk), actions, MessageItem.pk.exists())
