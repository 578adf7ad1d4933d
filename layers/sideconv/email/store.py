"""Every DynamoDB request of the e-mail functions, one method per access pattern.

Sending: 1 TransactGetItems (summary + message), 1 TransactWriteItems (message sent, thread ids on
the summary, Message-ID lookups). Receiving: 1 GetItem (the reply token's lookup) or 1 BatchGetItem
(In-Reply-To/References lookups), then 1 TransactWriteItems (the received-mail record, the message,
the summary). Each write states its invariant as a condition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactGet

from sideconv import keys
from sideconv.errors import Conflict, NotFound
from sideconv.store import activity, models
from sideconv.store.models import (
    DeliveryMap,
    EmailSenderItem,
    InboundMailItem,
    MessageItem,
    QuarantineItem,
    SideConversationItem,
    SideConversationRefItem,
)
from sideconv.store.transactions import ConditionFailed
from sideconv.store.transactions import Transaction as TransactWrite
from sideconv.wiring import Wiring, built


class ParsedMail(Protocol):
    """What the store reads of a received mail (sideconv.email.parse.ParsedMail): its thread id and sender
    (a mailbox with `email` and `name`), for the summary's update. A protocol: a store sits below parsing."""

    @property
    def message_id(self) -> str | None: ...

    @property
    def sender(self) -> Any: ...

# Nested document paths (typed as plain attributes by PynamoDB's stubs).
DELIVERY_STATUS = Path("delivery.status")
DELIVERY_DETAIL = Path("delivery.detail")
DELIVERY_UPDATED_AT = Path("delivery.updated_at")
THREAD_REFERENCES = Path("email.references")

# A message with an outcome leaves the sparse `pending_outbound` index (sideconv.redrive) in the
# same update that records the outcome.
LEAVE_PENDING_INDEX = (MessageItem.gsi2pk.remove(), MessageItem.gsi2sk.remove())

# BatchGetItem takes at most 100 keys; a thread's References is trimmed well below that.
MAX_THREAD_LOOKUPS = 50


class DuplicateMail(Exception):
    """This SES messageId was handled before: nothing more to do."""


class SpoofedSender(Exception):
    """The mail is From one of its account's own sending addresses (sideconv.email.authenticity)."""


@dataclass(frozen=True)
class Ref:
    account_id: str
    conversation_id: str
    side_conversation_id: str
    message_id: str | None = None

    @property
    def pk(self) -> str:
        return keys.conversation_pk(self.account_id, self.conversation_id)


def _ref(item: SideConversationRefItem) -> Ref:
    return Ref(item.account_id, item.conversation_id, item.side_conversation_id, item.message_id)


def summary_actions(message: MessageItem, mail: ParsedMail) -> list[Action]:
    """A person's answer changes the summary as every inbound message does (`sideconv.store.activity`:
    reopens, moves up, the agent has the ball, unread) and makes its sender a participant who gets
    the next mail. An auto-reply is only counted: kept, never taken for an answer."""
    now = message.created_at
    thread: list[Action] = []
    if mail.message_id:
        thread.append(THREAD_REFERENCES.set(THREAD_REFERENCES.append([mail.message_id])))
    if message.auto_reply:
        return [SideConversationItem.message_count.add(1), SideConversationItem.updated_at.set(now),
                SideConversationItem.version.add(1), *thread]
    actions = [*activity.inbound_actions(message.side_conversation_id, message.id, now, message.body), *thread]
    if mail.sender is not None:
        path = SideConversationItem.email.repliers[mail.sender.email.lower()]
        actions.append(path.set(path | {"kind": "email", "role": "replier", "email": mail.sender.email,
                                        "name": mail.sender.name}))
    return actions


class EmailStore:
    def __init__(self, region: str, host: str | None = None) -> None:
        self._connection = Connection(region=region, host=host)

    # Sending -------------------------------------------------------------------------------------

    def load_for_send(self, pk: str, side_conversation_id: str,
                      message_sk: str) -> tuple[SideConversationItem | None, MessageItem | None]:
        """The summary (recipients, subject, thread ids) and the message's current delivery state."""
        with TransactGet(connection=self._connection) as tx:
            summary = tx.get(SideConversationItem, pk, keys.side_conversation_sk(side_conversation_id))
            message = tx.get(MessageItem, pk, message_sk)
        return _value(summary), _value(message)

    def mark_sent(self, message: MessageItem, summary: SideConversationItem, delivery: DeliveryMap,
                  *, own_id: str, wire_id: str) -> bool:
        """Record the send. False when another delivery of the same record got there first."""
        lookups = [SideConversationRefItem(
            keys.email_message_id_ref(mid), keys.email_message_id_ref(mid), account_id=message.account_id,
            conversation_id=message.conversation_id, side_conversation_id=message.side_conversation_id,
            message_id=message.id) for mid in (own_id, wire_id)]
        try:
            with TransactWrite(connection=self._connection) as tx:
                for lookup in lookups:
                    tx.save(lookup, condition=SideConversationRefItem.pk.does_not_exist())
                tx.update(MessageItem(message.pk, message.sk), [
                    MessageItem.delivery.set(delivery),
                    MessageItem.email_message_id.set(own_id),
                    MessageItem.wire_message_id.set(wire_id),
                    *LEAVE_PENDING_INDEX,
                ], condition=DELIVERY_STATUS == "pending")
                tx.update(SideConversationItem(summary.pk, summary.sk), [
                    THREAD_REFERENCES.set(THREAD_REFERENCES.append([own_id, wire_id])),
                ], condition=SideConversationItem.pk.exists())
        except ConditionFailed:
            return False
        return True

    def mark_delivery(self, pk: str, sk: str, delivery: DeliveryMap, *, only_if: str | None = "pending",
                      extra: Sequence[Action] = ()) -> bool:
        condition = MessageItem.pk.exists()
        if only_if is not None:
            condition &= only_if == DELIVERY_STATUS
        actions = [MessageItem.delivery.set(delivery), *LEAVE_PENDING_INDEX, *extra]
        return models.update_if(MessageItem(pk, sk), actions, condition)

    def record_complaint(self, pk: str, sk: str, detail: str) -> bool:
        """The recipient marked the mail as spam (SES's complaint); False when the message is gone."""
        return models.update_if(MessageItem(pk, sk), [MessageItem.complaint.set(detail)], MessageItem.pk.exists())

    # Receiving -----------------------------------------------------------------------------------

    def ref_of(self, side_conversation_id: str) -> Ref | None:
        key = keys.side_conversation_ref(side_conversation_id)
        try:
            return _ref(SideConversationRefItem.get(key, key))
        except DoesNotExist:
            return None

    def ref_of_message_id(self, message_id: str) -> Ref | None:
        key = keys.email_message_id_ref(message_id)
        try:
            return _ref(SideConversationRefItem.get(key, key))
        except DoesNotExist:
            return None

    def thread_of(self, message_ids: Sequence[str]) -> Ref | None:
        """The side conversation the first (most specific) known id belongs to: one BatchGetItem."""
        wanted = [keys.email_message_id_ref(m) for m in message_ids][:MAX_THREAD_LOOKUPS]
        unique = list(dict.fromkeys(wanted))
        if not unique:
            return None
        found = {item.pk: item for item in SideConversationRefItem.batch_get([(k, k) for k in unique])}
        for key in unique:
            if key in found:
                return _ref(found[key])
        return None

    def append_inbound(self, record: InboundMailItem, message: MessageItem, mail: ParsedMail, *,
                       not_a_sender: str | None = None) -> None:
        """The received-mail record, the message and the summary (as `summary_actions`), in one write
        request; with `not_a_sender`, a ConditionCheck that the address is no sender of the account
        (SpoofedSender)."""
        summary = SideConversationItem(message.pk, keys.side_conversation_sk(message.side_conversation_id))
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(record, condition=InboundMailItem.pk.does_not_exist())
                tx.save(message, condition=MessageItem.pk.does_not_exist())
                tx.update(summary, summary_actions(message, mail),
                          condition=SideConversationItem.pk.exists() & (SideConversationItem.channel == "email"))
                if not_a_sender:
                    tx.condition_check(EmailSenderItem, keys.email_account_pk(message.account_id),
                                       keys.email_sender_sk(not_a_sender),
                                       condition=EmailSenderItem.pk.does_not_exist())
        except ConditionFailed as exc:
            if exc.of(record.pk, record.sk):
                raise DuplicateMail(record.pk) from exc
            if exc.of(summary.pk, summary.sk):
                raise NotFound("side conversation not found") from exc
            if not_a_sender and exc.of(keys.email_account_pk(message.account_id),
                                       keys.email_sender_sk(not_a_sender)):
                raise SpoofedSender(not_a_sender) from exc
            raise

    def latest_outbound(self, ref: Ref) -> str | None:
        """The newest outbound message of a side conversation: what a bounce that names no Message-ID
        but came back to the reply address returns. 1 Query, newest first, outbound only."""
        results = MessageItem.query(ref.pk, MessageItem.sk.startswith(keys.messages_prefix(ref.side_conversation_id)),
                                    filter_condition=MessageItem.direction == "outbound", scan_index_forward=False,
                                    page_size=50, attributes_to_get=["id"])
        for item in results:
            return str(item.id)
        return None

    def record_bounce(self, record: InboundMailItem, ref: Ref, *, detail: str, at: str) -> bool:
        """A bounce received by mail: the received-mail record and the outbound message `bounced` with
        its reason (as `email_events` records SES's bounce event; the SES id and attempts of the send
        stay), in one request. False when the message is no outbound message of ours."""
        assert ref.message_id is not None
        message = MessageItem(ref.pk, keys.message_sk(ref.side_conversation_id, ref.message_id))
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(record, condition=InboundMailItem.pk.does_not_exist())
                tx.update(message, [DELIVERY_STATUS.set("bounced"), DELIVERY_DETAIL.set(detail),
                                    DELIVERY_UPDATED_AT.set(at), *LEAVE_PENDING_INDEX],
                          condition=MessageItem.pk.exists() & (MessageItem.direction == "outbound")
                          & MessageItem.delivery.exists())
        except ConditionFailed as exc:
            if exc.of(record.pk, record.sk):
                raise DuplicateMail(record.pk) from exc
            if exc.of(message.pk, message.sk):
                return False
            raise
        return True

    def quarantine(self, record: InboundMailItem, item: QuarantineItem) -> None:
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(record, condition=InboundMailItem.pk.does_not_exist())
                tx.save(item, condition=QuarantineItem.pk.does_not_exist())
        except ConditionFailed as exc:
            if exc.of(record.pk, record.sk):
                raise DuplicateMail(record.pk) from exc
            raise

    # Quarantine administration -------------------------------------------------------------------

    def list_quarantine(self, account_id: str, limit: int,
                        start: dict[str, Any] | None) -> tuple[list[QuarantineItem], dict[str, Any] | None]:
        results = QuarantineItem.query(keys.quarantine_pk(account_id), QuarantineItem.sk.startswith("Q#"),
                                       scan_index_forward=False, limit=limit, last_evaluated_key=start)
        items = list(results)
        return items, results.last_evaluated_key

    def get_quarantined(self, account_id: str, quarantine_id: str) -> QuarantineItem:
        try:
            return QuarantineItem.get(keys.quarantine_pk(account_id), keys.quarantine_sk(quarantine_id),
                                      consistent_read=True)
        except DoesNotExist as exc:
            raise NotFound("no such quarantined mail") from exc

    def discard_quarantined(self, item: QuarantineItem, *, by: str, at: str) -> None:
        """The admin discarded it (Conflict when it was attached or discarded meanwhile)."""
        self._resolve_quarantined(item, [QuarantineItem.status.set("discarded"), QuarantineItem.resolved_by.set(by),
                                         QuarantineItem.resolved_at.set(at)])

    def attach_quarantined(self, item: QuarantineItem, message: MessageItem, mail: ParsedMail, *, by: str,
                           at: str) -> None:
        """The admin vouched for it: the message joins its side conversation as any reply would (the
        summary as `summary_actions`), and the quarantined mail says where, in one request."""
        self._resolve_quarantined(item, [QuarantineItem.status.set("attached"), QuarantineItem.resolved_by.set(by),
                                         QuarantineItem.resolved_at.set(at),
                                         QuarantineItem.resolved_message_id.set(message.id),
                                         QuarantineItem.conversation_id.set(message.conversation_id),
                                         QuarantineItem.side_conversation_id.set(message.side_conversation_id)],
                                  message=message, summary_actions=summary_actions(message, mail))

    def _resolve_quarantined(self, item: QuarantineItem, actions: list[Action],
                            message: MessageItem | None = None,
                            summary_actions: list[Action] | None = None) -> None:
        """Discard, or attach to a side conversation (message and summary in the same request)."""
        try:
            with TransactWrite(connection=self._connection) as tx:
                if message is not None:
                    tx.save(message, condition=MessageItem.pk.does_not_exist())
                tx.update(QuarantineItem(item.pk, item.sk), actions, condition=QuarantineItem.status == "held")
                if message is not None and summary_actions is not None:
                    summary = SideConversationItem(message.pk,
                                                   keys.side_conversation_sk(message.side_conversation_id))
                    tx.update(summary, summary_actions, condition=SideConversationItem.pk.exists()
                              & (SideConversationItem.channel == "email"))
        except ConditionFailed as exc:
            if exc.of(item.pk, item.sk):
                raise Conflict("this mail was already attached or discarded") from exc
            raise NotFound("side conversation not found") from exc

    def get_message(self, pk: str, side_conversation_id: str, message_id: str) -> MessageItem:
        try:
            return MessageItem.get(pk, keys.message_sk(side_conversation_id, message_id), consistent_read=True)
        except DoesNotExist as exc:
            raise NotFound("message not found") from exc


def _value(model: Any) -> Any:
    try:
        return model.get()
    except DoesNotExist:
        return None


@built
def configured_store(wiring: Wiring) -> EmailStore:
    """This container's e-mail store, on the table it is configured for."""
    return models.open_store(wiring, EmailStore)
