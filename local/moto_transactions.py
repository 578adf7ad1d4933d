"""Embedded DynamoDB's TransactWriteItems at the cost of the items it touches, not of the table.

moto 5.2.5 backs a transaction up with `copy.deepcopy(table)` once for every item that names the
table, and rolls back by putting that copy in the table's place. A create, a reply and an inbound mail
are each one transaction, so every write cost time proportional to everything stored (a create took
6.6 s at the 100th side conversation on `make dev`), and after a cancelled one the live table was a
different object from the one the stream relay's shard iterator reads: the relay went deaf.

Here the backup is the touched items alone (deep-copied: an update changes its item in place) and
the length of the table's stream; a cancelled transaction puts those items back, removes the ones
it created, and drops the stream records it wrote. moto's own method still runs every check and
raises the same errors with the same cancellation reasons; its whole-table copy becomes the table
itself, so its own "rollback" is a no-op. The local stack, the tests' embedded AWS and the bench
install it; it refuses any moto but the one `uv.lock` pins, whose internals it was written against.
"""

from __future__ import annotations

import contextvars
import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

MOTO_VERSION = "5.2.5"  # what uv.lock pins; tests/unit/test_moto_transactions.py checks they agree

_in_transaction: contextvars.ContextVar[bool] = contextvars.ContextVar("in_transaction", default=False)
_originals: dict[str, Any] = {}


class UnsupportedMotoVersion(RuntimeError):
    """The installed moto is not the one this patch was written against."""


def check_version(found: str) -> None:
    if found != MOTO_VERSION:
        raise UnsupportedMotoVersion(
            f"local.moto_transactions patches moto {MOTO_VERSION}'s DynamoDB transactions, but moto {found} "
            f"is installed: check that moto {found} still copies whole tables in transact_write_items, then "
            "update the patch and MOTO_VERSION (or remove the patch if moto fixed it)")


@dataclass
class _Saved:
    table: Any
    hash_key: Any
    range_key: Any
    item: Any  # a deep copy of the item before the transaction, or None when it did not exist


def _saved_items(backend: Any, transact_items: list[dict[str, Any]]) -> tuple[list[_Saved], dict[str, int]]:
    """Copies of the items the transaction names, and each named table's stream length."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    saved: list[_Saved] = []
    streams: dict[str, int] = {}
    for entry in transact_items:
        op = next(iter(entry.values()), None)
        if not isinstance(op, dict) or op.get("TableName") not in backend.tables:
            continue  # moto reports it
        name = op["TableName"]
        table = backend.tables[name]
        if name not in streams and table.stream_shard is not None:
            streams[name] = len(table.stream_shard.items)
        attrs: Any = op.get("Key") if "Key" in op else op.get("Item")
        try:
            hash_key = DynamoType(attrs[table.hash_key_attr])
            range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
        except (KeyError, TypeError):
            continue  # no key, so moto cannot write it (it reports the error)
        current = table.get_item(hash_key, range_key)
        saved.append(_Saved(table, hash_key, range_key, None if current is None else _copy_item(current)))
    return saved, streams


def _copy_item(item: Any) -> Any:
    # Not copy.deepcopy(item): moto's models keep every instance their __new__ makes (a registry for
    # its reset), so each transaction's backup would live as long as the process.
    clone = object.__new__(type(item))
    clone.__dict__.update(copy.deepcopy(item.__dict__))
    return clone


def _restore(backend: Any, saved: list[_Saved], streams: dict[str, int]) -> None:
    for entry in saved:  # each copy was taken before the transaction ran, so any of them is the original
        items = entry.table.items
        if entry.range_key is not None:
            partition = items[entry.hash_key]
            if entry.item is None:
                partition.pop(entry.range_key, None)
            else:
                partition[entry.range_key] = entry.item
            if not partition:
                items.pop(entry.hash_key, None)
        elif entry.item is None:
            items.pop(entry.hash_key, None)
        else:
            items[entry.hash_key] = entry.item
    for name, length in streams.items():
        shard = backend.tables[name].stream_shard
        if shard is not None:
            del shard.items[length:]


@contextmanager
def _no_table_copies() -> Iterator[None]:
    token = _in_transaction.set(True)
    try:
        yield
    finally:
        _in_transaction.reset(token)


def install() -> None:
    """Patch moto's DynamoDB backend (idempotent); refuses another moto version."""
    import moto

    check_version(moto.__version__)
    if _originals:
        return
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    real_deepcopy = copy.deepcopy

    def deepcopy(value: Any, memo: Any = None) -> Any:
        # Inside a transaction moto's whole-table backup is the live table: our backup is _Saved.
        if isinstance(value, Table) and _in_transaction.get():
            return value
        return real_deepcopy(value, memo)

    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved, streams = _saved_items(self, transact_items) if len(transact_items) <= 100 else ([], {})
        try:
            with _no_table_copies():
                original(self, transact_items)
        except BaseException:
            _restore(self, saved, streams)
            raise

    _originals.update(copy=models.copy, transact=original)
    models.copy = SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)  # type: ignore[assignment]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def uninstall() -> None:
    """Put moto back as it was (tests)."""
    if not _originals:
        return
    from moto.dynamodb import models

    models.copy = _originals.pop("copy")
    models.DynamoDBBackend.transact_write_items = _originals.pop("transact")  # type: ignore[method-assign]
