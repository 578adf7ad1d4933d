"""An in-memory stand-in for `sideconv.store.repository.Store`: what the use cases need of it.

It keeps PynamoDB model instances in a dict by (pk, sk) and never opens a connection, so a use-case
test runs without embedded AWS. It answers as the real store does where the use cases can tell:
the same items and pages (one extra item asked for: a next page; page keys as DynamoDB gives them),
the same errors (NotFound, Conflict, IdempotentReplay with the first record), each write
all-or-nothing. The real store keeps its own tests against moto (tests/integration/test_api.py and
tests/integration/test_request_counts.py); `requests` counts what the real one would send.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from sideconv import keys
from sideconv.errors import Conflict, NotFound
from sideconv.store import activity
from sideconv.store.models import IdempotencyItem, MessageItem, SideConversationItem, TableItem
from sideconv.store.repository import Idempotency, IdempotentReplay, Page

Key = tuple[str, str]


def _key(item: TableItem) -> Key:
    return item.pk, item.sk


def _last_key(item: TableItem, *index_attrs: str) -> dict[str, Any]:
    key = {keys.PK: {"S": item.pk}, keys.SK: {"S": item.sk}}
    for attr in index_attrs:
        key[attr] = {"S": getattr(item, attr)}
    return key


def _after(items: list[Any], start: dict[str, Any] | None) -> list[Any]:
    if not start:
        return items
    wanted = (start[keys.PK]["S"], start[keys.SK]["S"])
    for index, item in enumerate(items):
        if _key(item) == wanted:
            return items[index + 1:]
    return []


def _page(items: list[Any], limit: int, *index_attrs: str) -> Page:
    if len(items) > limit:
        return Page(items[:limit], _last_key(items[limit - 1], *index_attrs))
    return Page(items, None)


class FakeStore:
    def __init__(self) -> None:
        self.items: dict[Key, TableItem] = {}
        self.requests: list[str] = []

    # What the tests arrange and look at

    def put(self, *items: TableItem) -> None:
        for item in items:
            self.items[_key(item)] = copy.deepcopy(item)

    def summary(self, pk: str, side_conversation_id: str) -> SideConversationItem | None:
        found = self.items.get((pk, keys.side_conversation_sk(side_conversation_id)))
        return copy.deepcopy(found) if isinstance(found, SideConversationItem) else None

    def messages(self, pk: str, side_conversation_id: str) -> list[MessageItem]:
        prefix = keys.messages_prefix(side_conversation_id)
        return [copy.deepcopy(item) for key, item in sorted(self.items.items())
                if key[0] == pk and key[1].startswith(prefix) and isinstance(item, MessageItem)]

    # Writes

    def _record(self, idempotency: Idempotency | None) -> IdempotencyItem | None:
        if idempotency is None:
            return None
        return IdempotencyItem(idempotency.pk, idempotency.sk, request_hash=idempotency.request_hash,
                               status_code=201, response=json.dumps(idempotency.view, separators=(",", ":")),
                               expires_at=idempotency.expires_at)

    def _check_idempotency(self, record: IdempotencyItem | None) -> None:
        if record is not None and _key(record) in self.items:
            first = self.items[_key(record)]
            raise IdempotentReplay(copy.deepcopy(first))  # type: ignore[arg-type]

    def create_side_conversation(self, summary: SideConversationItem, first_message: MessageItem,
                                 lookups: Sequence[TableItem], idempotency: Idempotency | None) -> None:
        self.requests.append("TransactWriteItems")
        record = self._record(idempotency)
        puts = [summary, first_message, *lookups]
        self._check_idempotency(record)
        if any(_key(item) in self.items for item in puts):
            raise AssertionError("an item of a new side conversation exists already")
        self.put(*puts, *([record] if record is not None else []))

    def append_outbound(self, message: MessageItem, idempotency: Idempotency | None) -> None:
        self.requests.append("TransactWriteItems")
        record = self._record(idempotency)
        self._check_idempotency(record)
        summary = self.items.get((message.pk, keys.side_conversation_sk(message.side_conversation_id)))
        if not isinstance(summary, SideConversationItem) or summary.channel != message.channel:
            raise NotFound("side conversation not found")
        changed = copy.deepcopy(summary)
        now, side_id = message.created_at, message.side_conversation_id
        # As sideconv.store.activity's outbound actions change it.
        changed.message_count = int(changed.message_count or 0) + 1
        changed.preview_text = activity.preview(message.body)
        changed.last_message_at = changed.updated_at = changed.waiting_since = now
        changed.state = "open"
        changed.lsi1sk = keys.by_activity_sk("open", now, side_id)
        changed.last_direction = activity.OUTBOUND
        changed.gsi1sk = keys.inbox_sk(activity.WAITING_ON[activity.OUTBOUND], now, side_id)
        changed.version = int(changed.version or 0) + 1
        self.put(changed, message, *([record] if record is not None else []))

    def update_side_conversation(self, pk: str, side_conversation_id: str,
                                 changes: dict[str, Any]) -> SideConversationItem:
        self.requests.append("UpdateItem")
        current = self.summary(pk, side_conversation_id)
        if current is None:
            raise NotFound("side conversation not found")
        for name, value in changes.items():
            setattr(current, name, value)
        current.version = int(current.version or 0) + 1
        self.put(current)
        return copy.deepcopy(current)

    def mark_read(self, pk: str, side_conversation_id: str, agent_id: str, message_id: str) -> SideConversationItem:
        self.requests.append("UpdateItem")
        current = self.summary(pk, side_conversation_id)
        if current is None:
            self.requests.append("GetItem")
            raise NotFound("side conversation not found")
        if current.last_inbound_id is not None and current.last_inbound_id > message_id:
            self.requests.append("GetItem")
            raise Conflict("a newer message arrived after the one you read; refresh and mark again",
                           field="message_id")
        current.read_counts = {**current.read_counts.as_dict(), agent_id: int(current.inbound_count or 0)}
        current.read_messages = {**current.read_messages.as_dict(), agent_id: message_id}
        self.put(current)
        return copy.deepcopy(current)

    # Reads

    def get_idempotency(self, pk: str, sk: str) -> IdempotencyItem | None:
        self.requests.append("GetItem")
        found = self.items.get((pk, sk))
        return copy.deepcopy(found) if isinstance(found, IdempotencyItem) else None

    def get_side_conversation(self, pk: str, side_conversation_id: str) -> SideConversationItem:
        self.requests.append("GetItem")
        found = self.summary(pk, side_conversation_id)
        if found is None:
            raise NotFound("side conversation not found")
        return found

    def side_conversation_with_messages(self, pk: str, side_conversation_id: str,
                                        limit: int) -> tuple[SideConversationItem, Page]:
        self.requests.append("Query")
        found = self.summary(pk, side_conversation_id)
        if found is None:
            raise NotFound("side conversation not found")
        return found, _page(self.messages(pk, side_conversation_id), limit)

    def messages_page(self, pk: str, side_conversation_id: str, limit: int, start: dict[str, Any]) -> Page:
        self.requests.append("Query")
        return _page(_after(self.messages(pk, side_conversation_id), start), limit)

    def list_side_conversations(self, pk: str, state: str | None, limit: int,
                                start: dict[str, Any] | None) -> Page:
        self.requests.append("Query")
        prefix = keys.by_activity_prefix(state) if state else ""
        found = sorted((copy.deepcopy(item) for key, item in self.items.items()
                        if key[0] == pk and isinstance(item, SideConversationItem)
                        and item.lsi1sk.startswith(prefix)), key=lambda item: item.lsi1sk, reverse=True)
        return _page(_after(found, start), limit, keys.LSI_BY_ACTIVITY_SK)

    def inbox(self, inbox_pk: str, waiting_on: str, limit: int, start: dict[str, Any] | None) -> Page:
        self.requests.append("Query")
        prefix = keys.inbox_prefix(waiting_on)
        found = sorted((copy.deepcopy(item) for item in self.items.values()
                        if isinstance(item, SideConversationItem) and item.gsi1pk == inbox_pk
                        and (item.gsi1sk or "").startswith(prefix) and item.state == "open"),
                       key=lambda item: item.gsi1sk or "", reverse=True)
        return _page(_after(found, start), limit, keys.GSI_INBOX_PK, keys.GSI_INBOX_SK)
