"""A failed condition is told in one place (sideconv.store.conditions), by the reason's code and the
item it belongs to; and what the low-level writers write is declared on the models. No AWS: the
transactions' own behaviour on embedded DynamoDB is in the integration tests (replays, duplicate mail,
a workspace another account holds)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import CancellationReason, TransactWriteError, UpdateError, VerboseClientError
from sideconv import keys
from sideconv.slack.event_store import SlackEventStore
from sideconv.store.conditions import condition_failed, failed_keys
from sideconv.store.models import (
    EmailSenderItem,
    IdempotencyItem,
    MessageItem,
    SideConversationItem,
    SlackEventItem,
)
from sideconv.store.pending import PendingOutbound
from sideconv.store.transactions import ConditionFailed, Transaction

PK = "A#acme#C#conv-1"


def _client_error(code: str, operation: str = "UpdateItem") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "no"}}, operation)


def _record(sk: str) -> IdempotencyItem:
    return IdempotencyItem(PK, sk, request_hash="h", status_code=201, response="{}")


class _Cancelling:
    """A connection whose TransactWriteItems is cancelled with `reasons`; it keeps what was sent."""

    def __init__(self, *codes: str | None) -> None:
        self.codes = codes
        self.sent: dict[str, Any] = {}

    def transact_write_items(self, **kwargs: Any) -> Any:
        self.sent = kwargs
        reasons = [CancellationReason(code=c) if c else None for c in self.codes]
        cause = VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}},
                                   "TransactWriteItems", cancellation_reasons=reasons)
        raise TransactWriteError("Failed to write transaction items", cause)


def test_the_failed_items_are_named_by_their_keys_whatever_their_position() -> None:
    # PynamoDB sends condition checks, then puts, then updates, whatever order they were added in.
    connection = _Cancelling(None, None, "ConditionalCheckFailed", "ConditionalCheckFailed")
    summary = SideConversationItem(PK, "SC#email-1", channel="email")
    message = _record("SC#email-1#M#01")
    record = IdempotencyItem(PK, "IDEM#create#agent-1#abc", request_hash="h", status_code=201, response="{}")

    def write() -> None:
        with Transaction(connection=connection) as tx:  # type: ignore[arg-type]
            tx.update(summary, [SideConversationItem.version.add(1)], condition=SideConversationItem.pk.exists())
            tx.save(message, condition=MessageItem.pk.does_not_exist())
            tx.save(record, condition=IdempotencyItem.pk.does_not_exist())
            tx.condition_check(EmailSenderItem, "A#acme#EMAIL", "SENDER#x",
                               condition=EmailSenderItem.pk.does_not_exist())

    with pytest.raises(ConditionFailed) as cancelled:
        write()

    # Sent: the condition check, the message, the record, the summary; reasons 2 and 3 failed.
    assert cancelled.value.failed == {(record.pk, record.sk), (summary.pk, summary.sk)}
    assert cancelled.value.of(record.pk, record.sk)
    assert not cancelled.value.of(message.pk, message.sk)
    assert cancelled.value.of(summary.pk, summary.sk)
    assert not cancelled.value.of("A#acme#EMAIL", "SENDER#x")
    assert condition_failed(cancelled.value)
    assert isinstance(cancelled.value, TransactWriteError)  # callers that catch PynamoDB's error still do


def test_a_cancellation_for_another_reason_is_not_a_failed_condition() -> None:
    connection = _Cancelling("TransactionConflict", None)

    def write() -> None:
        with Transaction(connection=connection) as tx:  # type: ignore[arg-type]
            tx.save(_record("IDEM#1"))
            tx.save(_record("IDEM#2"))

    with pytest.raises(TransactWriteError) as cancelled:
        write()

    assert not isinstance(cancelled.value, ConditionFailed)
    assert not condition_failed(cancelled.value)


def test_reasons_are_read_by_code_in_either_shape() -> None:
    item_keys = [("a", "1"), ("b", "2"), ("c", "3")]
    reasons: list[Any] = [{"Code": "None"}, {"Code": "ConditionalCheckFailed"},
                          CancellationReason(code="ConditionalCheckFailed")]

    assert failed_keys(reasons, item_keys) == {("b", "2"), ("c", "3")}


def test_a_single_writes_failed_condition_is_told_from_botocore_and_pynamodb() -> None:
    assert condition_failed(_client_error("ConditionalCheckFailedException"))
    assert condition_failed(UpdateError("no", _client_error("ConditionalCheckFailedException")))
    assert not condition_failed(_client_error("ProvisionedThroughputExceededException"))
    assert not condition_failed(UpdateError("no", _client_error("ThrottlingException")))


class _Recording:
    """A low-level DynamoDB client that records each request and answers as if it was written."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, operation: str) -> Any:
        def call(**kwargs: Any) -> dict[str, Any]:
            self.calls.append((operation, kwargs))
            return {"Attributes": {**kwargs.get("Key", {}), "side_conversation_id": {"S": "email-1"}}}
        return call


def _written(kwargs: dict[str, Any]) -> set[str]:
    names = set(kwargs.get("Item", {})) | set(kwargs.get("ExpressionAttributeNames", {}).values())
    for value in kwargs.get("ExpressionAttributeValues", {}).values():
        names |= set(value.get("M", {}))  # a map's own attributes, written whole
    return names


def _declared(model: Any) -> set[str]:
    names = set(model.get_attributes())
    for attribute in model.get_attributes().values():
        names |= set(getattr(attribute, "get_attributes", dict)())
    return names


def test_what_the_redrive_writes_is_declared_on_the_message() -> None:
    client = _Recording()
    pending = PendingOutbound(client, "table")
    item = {keys.PK: {"S": PK}, keys.SK: {"S": "SC#email-1#M#01"}, "delivery": {"M": {"attempts": {"N": "1"}}}}

    pending.clear(item)
    pending.count_redrive(item, "2030-01-01T00:00:00.000Z", "2030-01-01T00:05:00.000Z")
    pending.give_up(item, "never answered", "2030-01-01T00:05:00.000Z")

    assert [operation for operation, _ in client.calls] == ["update_item"] * 3
    for _, kwargs in client.calls:
        assert _written(kwargs) <= _declared(MessageItem), kwargs


def test_what_the_slack_events_endpoint_writes_is_declared_on_its_item() -> None:
    client = _Recording()

    assert SlackEventStore(lambda: client, "table").record_event_id("Ev0001", 3600)

    (operation, kwargs), = client.calls
    assert operation == "put_item"
    assert _written(kwargs) <= _declared(SlackEventItem)
