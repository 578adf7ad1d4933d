"""Makes moto's TransactWriteItems cost what the transaction touches, not what the table holds.

moto backs up every table a transaction names with `copy.deepcopy(table)` (items and stream records)
before running it, so each transaction costs O(table) and 1,000 of them O(n²): minutes spent copying,
in the handlers and the floor alike, which would drown the figure in an artefact of the emulator.
Within the bench process only, the backup becomes a snapshot that shares the untouched items and
deep-copies the ones the transaction names (the only ones it can change). A cancelled transaction
rolls back to the same state as before; tests/unit/test_bench_moto_speed.py checks that.
"""

from __future__ import annotations

import contextvars
import copy
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

_touched: contextvars.ContextVar[dict[str, list[Any]] | None] = contextvars.ContextVar("touched", default=None)
_installed = False
_originals: dict[str, Any] = {}


def _key(table: Any, op: dict[str, Any]) -> dict[str, Any]:
    if "Key" in op:
        return dict(op["Key"])
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _shallow(obj: Any) -> Any:
    # Not copy.copy: moto's models record every instance __new__ makes (its model registry), so
    # each snapshot would live as long as the process.
    clone = object.__new__(type(obj))
    clone.__dict__.update(obj.__dict__)
    return clone


def snapshot(table: Any, live_items: list[Any]) -> Any:
    """A table that shares untouched items with `table` and holds copies of `live_items`."""
    clone = _shallow(table)
    ranged = table.range_key_attr is not None
    clone.items = defaultdict(dict, {h: (dict(v) if ranged else v) for h, v in table.items.items()})
    for item in live_items:
        duplicate = copy.deepcopy(item)
        if ranged:
            clone.items[item.hash_key][item.range_key] = duplicate
        else:
            clone.items[item.hash_key] = duplicate
    if getattr(table, "stream_shard", None) is not None:
        shard = _shallow(table.stream_shard)
        shard.items = list(table.stream_shard.items)
        # The copy keeps pointing at the live table (same stream settings): a clone ↔ shard cycle
        # would keep every snapshot alive until a full garbage collection.
        clone.stream_shard = shard
    return clone


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    real_deepcopy = copy.deepcopy

    def deepcopy(value: Any, memo: Any = None) -> Any:
        touched = _touched.get()
        if touched is not None and isinstance(value, Table):
            return snapshot(value, touched.get(value.name, []))
        return real_deepcopy(value, memo)

    _originals.update(copy=models.copy, transact=models.DynamoDBBackend.transact_write_items)
    models.copy = SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)  # type: ignore[assignment]
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        touched: dict[str, list[Any]] = {}
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            name = op.get("TableName")
            if name not in self.tables:
                continue
            try:
                live = self.get_item(name, _key(self.tables[name], op))
            except Exception:  # an invalid key: moto's own code reports it
                live = None
            if live is not None:
                touched.setdefault(name, []).append(live)
        token = _touched.set(touched)
        try:
            original(self, transact_items)
        finally:
            _touched.reset(token)

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _installed = True


def uninstall() -> None:
    """Put moto back as it was (tests)."""
    global _installed
    if not _installed:
        return
    from moto.dynamodb import models

    models.copy = _originals["copy"]
    models.DynamoDBBackend.transact_write_items = _originals["transact"]  # type: ignore[method-assign]
    _installed = False
