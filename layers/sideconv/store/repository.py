"""Every DynamoDB request the API makes, one method per access pattern (docs/ARCHITECTURE.md).

Each write states its invariant as a condition; each read is one Query or one GetItem.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.connection import Connection
from pynamodb.expressions.update import Action

from sideconv import keys
from sideconv.errors import Conflict, NotFound
from sideconv.store import activity, models
from sideconv.store.models import (
    IdempotencyItem,
    MessageItem,
    SideConversationItem,
    TableItem,
)
from sideconv.store.transactions import ConditionFailed, Transaction


class IdempotentReplay(Exception):
    """The request's Idempotency-Key was seen before; `record` holds the first result."""

    def __init__(self, record: IdempotencyItem | None) -> None:
        super().__init__("idempotency key already used")
        self.record = record


@dataclass(frozen=True)
class Idempotency:
    """Remember a request's first result under its Idempotency-Key (`sk`) for a replay until `expires_at`."""

    pk: str
    sk: str
    request_hash: str
    view: dict[str, Any]
    expires_at: Any


# The record's `status_code` as it has always been stored: every idempotent operation (a create, a
# reply) answers a creation, and a replay answers it again (records written before keep theirs).
_RECORDED_STATUS = 201


def _record(idempotency: Idempotency) -> IdempotencyItem:
    return IdempotencyItem(idempotency.pk, idempotency.sk, request_hash=idempotency.request_hash,
                           status_code=_RECORDED_STATUS,
                           response=json.dumps(idempotency.view, separators=(",", ":")),
                           expires_at=idempotency.expires_at)


@dataclass
class Page:
    items: list[Any]
    last_key: dict[str, Any] | None


def _key_of(item: TableItem, *index_attrs: str) -> dict[str, Any]:
    key = {keys.PK: {"S": item.pk}, keys.SK: {"S": item.sk}}
    for attr in index_attrs:
        key[attr] = {"S": getattr(item, attr)}
    return key


# An API response stays under 1 MB whatever the messages hold (up to 100,000 characters each).
RESPONSE_BUDGET_BYTES = 900_000


def _one_request(results: Any, model: type[TableItem]) -> tuple[list[Any], dict[str, Any] | None]:
    """The items of the first Query page only. PynamoDB's iterator would send more Queries to reach
    `limit` when DynamoDB stops a response at 1 MB; a page here is one request, the caller follows
    next_token."""
    page = next(results.page_iter, None)
    raw = page.get("Items", []) if page else []
    return [model.from_raw_data(item) for item in raw], results.page_iter.last_evaluated_key


def _size_estimate(item: Any) -> int:
    body = getattr(item, "body", None)
    participants = getattr(item, "participants", None) or []
    return 1024 + 200 * len(participants) + (len(json.dumps(body)) if isinstance(body, str) else 0)


def _within_budget(items: list[Any]) -> list[Any]:
    """The leading items whose response fits RESPONSE_BUDGET_BYTES (always at least one)."""
    used = 0
    for index, item in enumerate(items):
        used += _size_estimate(item)
        if used > RESPONSE_BUDGET_BYTES and index > 0:
            return items[:index]
    return items


class SideConversationStore:
    def __init__(self, region: str, host: str | None = None) -> None:
        self._connection = Connection(region=region, host=host)

    def _transaction(self) -> Transaction:
        return Transaction(connection=self._connection)

    def _commit(
        self,
        puts: Sequence[TableItem],
        idempotency: IdempotencyItem | None,
        update: tuple[SideConversationItem, list[Action]] | None = None,
    ) -> None:
        """One TransactWriteItems. A failed condition is told by the item it belongs to: the
        idempotency record (a replay), the summary (no such side conversation)."""
        try:
            with self._transaction() as tx:
                for put in puts:
                    tx.save(put, condition=TableItem.pk.does_not_exist())
                if idempotency is not None:
                    tx.save(idempotency, condition=IdempotencyItem.pk.does_not_exist())
                if update is not None:
                    item, actions = update
                    tx.update(item, actions, add_version_condition=False,
                              condition=SideConversationItem.pk.exists()
                              & (SideConversationItem.channel == item.channel))
        except ConditionFailed as exc:
            if idempotency is not None and exc.of(idempotency.pk, idempotency.sk):
                raise IdempotentReplay(self.get_idempotency(idempotency.pk, idempotency.sk)) from exc
            if update is not None and exc.of(update[0].pk, update[0].sk):
                raise NotFound("side conversation not found") from exc
            raise

    def create_side_conversation(
        self,
        summary: SideConversationItem,
        first_message: MessageItem,
        lookups: Sequence[TableItem],
        idempotency: Idempotency | None,
    ) -> None:
        self._commit([summary, first_message, *lookups], _record(idempotency) if idempotency else None)

    def append_outbound(self, message: MessageItem, idempotency: Idempotency | None) -> None:
        """An agent's message: recorded, and its summary moved as every message out moves it (reopened,
        the ball with the other party: `sideconv.store.activity`), in one write request. NotFound when the
        side conversation does not exist (or is of another channel)."""
        summary_key = SideConversationItem(message.pk, keys.side_conversation_sk(message.side_conversation_id),
                                           channel=message.channel)
        actions = activity.outbound_actions(message.side_conversation_id, message.created_at, message.body)
        self.append_message(summary_key, actions, message, _record(idempotency) if idempotency else None)

    def append_message(
        self,
        summary_key: SideConversationItem,
        summary_actions: list[Action],
        message: MessageItem,
        idempotency: IdempotencyItem | None,
    ) -> None:
        """Record a message and update the summary it belongs to, in one write request."""
        self._commit([message], idempotency, update=(summary_key, summary_actions))

    def get_idempotency(self, pk: str, sk: str) -> IdempotencyItem | None:
        try:
            return IdempotencyItem.get(pk, sk, consistent_read=True)
        except IdempotencyItem.DoesNotExist:
            return None

    def get_side_conversation(self, pk: str, side_conversation_id: str) -> SideConversationItem:
        try:
            item = SideConversationItem.get(pk, keys.side_conversation_sk(side_conversation_id),
                                            consistent_read=True)
        except SideConversationItem.DoesNotExist as exc:
            raise NotFound("side conversation not found") from exc
        return item

    def side_conversation_with_messages(
        self, pk: str, side_conversation_id: str, limit: int
    ) -> tuple[SideConversationItem, Page]:
        """The summary and the first page of its messages in one Query: the summary's sort key is the
        prefix of its messages' keys, so it sorts first."""
        results = TableItem.query(
            pk,
            TableItem.sk.startswith(keys.side_conversation_sk(side_conversation_id)),
            consistent_read=True,
            limit=limit + 2,
        )
        items, last_key = _one_request(results, TableItem)
        if not items or not isinstance(items[0], SideConversationItem) \
                or items[0].id != side_conversation_id:
            raise NotFound("side conversation not found")
        summary, messages = items[0], items[1:]
        return summary, self._page(messages, limit, last_key)

    def messages_page(
        self, pk: str, side_conversation_id: str, limit: int, start: dict[str, Any]
    ) -> Page:
        results = MessageItem.query(
            pk,
            MessageItem.sk.startswith(keys.messages_prefix(side_conversation_id)),
            consistent_read=True,
            limit=limit + 1,
            last_evaluated_key=start,
        )
        items, last_key = _one_request(results, MessageItem)
        return self._page(items, limit, last_key)

    def list_side_conversations(
        self, pk: str, state: str | None, limit: int, start: dict[str, Any] | None
    ) -> Page:
        condition = (
            SideConversationItem.lsi1sk.startswith(keys.by_activity_prefix(state)) if state else None
        )
        results = SideConversationItem.by_activity.query(
            pk,
            condition,
            scan_index_forward=False,
            consistent_read=True,
            limit=limit + 1,
            last_evaluated_key=start,
        )
        items, last_key = _one_request(results, SideConversationItem)
        return self._page(items, limit, last_key, keys.LSI_BY_ACTIVITY_SK)

    @staticmethod
    def _page(items: list[Any], limit: int, last_key: dict[str, Any] | None, *index_attrs: str) -> Page:
        # One extra item was asked for: if it came, there is a next page and it starts after `limit`.
        # A page also stops before its response would pass RESPONSE_BUDGET_BYTES (long mails).
        kept = _within_budget(items[:limit])
        if len(kept) < len(items):
            return Page(kept, _key_of(kept[-1], *index_attrs))
        return Page(items, last_key)

    def update_side_conversation(
        self, pk: str, side_conversation_id: str, changes: dict[str, Any]
    ) -> SideConversationItem:
        """Set the summary's attributes named in `changes` (None: removed) and count a version, in one
        UpdateItem; NotFound when there is no such side conversation."""
        item = SideConversationItem(pk, keys.side_conversation_sk(side_conversation_id))
        actions: list[Action] = [SideConversationItem.version.add(1)]
        for name, value in changes.items():
            attribute = getattr(SideConversationItem, name)
            actions.append(attribute.remove() if value is None else attribute.set(value))
        if not models.update_if(item, actions, SideConversationItem.pk.exists()):
            raise NotFound("side conversation not found")
        return item

    def mark_read(self, pk: str, side_conversation_id: str, agent_id: str, message_id: str) -> SideConversationItem:
        item = SideConversationItem(pk, keys.side_conversation_sk(side_conversation_id))
        summary = SideConversationItem
        condition = summary.pk.exists() & (
            summary.last_inbound_id.does_not_exist() | (summary.last_inbound_id <= message_id))
        if not models.update_if(item, [summary.read_counts[agent_id].set(summary.inbound_count),
                                       summary.read_messages[agent_id].set(message_id)], condition):
            # Rare: find out which half of the condition failed (one more read, only on refusal).
            self.get_side_conversation(pk, side_conversation_id)
            raise Conflict("a newer message arrived after the one you read; refresh and mark again",
                           field="message_id")
        return item

    def inbox(self, inbox_pk: str, waiting_on: str, limit: int, start: dict[str, Any] | None) -> Page:
        """One Query on the sparse `inbox` index; closed side conversations are filtered out."""
        results = SideConversationItem.inbox.query(
            inbox_pk,
            SideConversationItem.gsi1sk.startswith(keys.inbox_prefix(waiting_on)),
            filter_condition=SideConversationItem.state == "open",
            scan_index_forward=False,
            limit=limit + 1,
            last_evaluated_key=start,
        )
        return self._page(list(results), limit, results.last_evaluated_key, keys.GSI_INBOX_PK, keys.GSI_INBOX_SK)

