"""Embedded DynamoDB (moto) at the cost of what a request touches, not of everything stored.

In moto 5.2.5 requests the local stack makes for every API call, mail and Slack event cost time
proportional to the whole table, or keep memory for ever; on DynamoDB they cost the same at any size.
This module patches those three, and the serializing of DynamoDB's answers (a cost proportional to
the answer, but most of a listing's time), and nothing else.

**TransactWriteItems.** moto backs a transaction up with `copy.deepcopy(table)` once for every item
that names the table, and rolls back by putting that copy in the table's place. A create, a reply
and an inbound mail are each one transaction, so every write cost time proportional to everything
stored (a create took 6.6 s at the 100th side conversation on `make dev`), and after a cancelled one
the live table was another object than the one the stream relay's shard iterator reads: the relay
went deaf.

Here the backup is the touched items alone (deep-copied: an update changes its item in place) and
the length of the table's stream; a cancelled transaction puts those items back, removes the ones
it created, and drops the stream records it wrote. moto's own method still runs every check and
raises the same errors with the same cancellation reasons; its whole-table copy becomes the table
itself, so its own "rollback" is a no-op.

**Query.** moto gathers and sorts every item of the table (`Table.all_items`) for each Query, then keeps
the partition asked for. A Query on the table or on a local secondary index names one partition, so
here it gathers that partition alone. A global secondary index's partition is spread over the table, so
each table keeps, per index hash attribute, which keys hold which value (`_GlobalIndexes`): built by one
pass at the first such Query, then brought up to date at each Query from the keys written since (every
put, delete, update and transaction marks the keys it wrote, after writing). moto's own Query still
checks every key condition on what it is given, so a stale key costs a look-up, never a wrong answer.
moto then sorts the whole index partition (comparing attribute values in Python) and walks it from
the top for every page: half a second for a page of the agent's inbox with 5,000 in it. So each
index partition a page is asked of is kept in moto's order (`_Order`, moved key by key as writes come
in), and moto is handed only the stretch its walk acts on (`_index_page`): from the start key, within
a `begins_with` range, to where it stops. It sorts, walks and filters that as ever.

**GetRecords.** Each call makes a new shard iterator and moto keeps every one for ever; the local
stack's relay asks every 50 ms, so an idle `make dev` grew by about 100 MB an hour. Here only the
newest `SHARD_ITERATORS_KEPT` live on, as DynamoDB's expire after 15 minutes. moto also keeps every
stream record for ever, each write's images as Python objects the garbage collector walks; here the
records no kept iterator can reach are dropped (in batches of `STREAM_TRIM_AT`), as DynamoDB drops
them after 24 hours, and the trim horizon moves up with them.

**Responses.** moto serializes each answer member by member against botocore's shapes: a page of ten
summaries took 90 ms, more than the Query. DynamoDB's JSON is already in its answer as it goes on the
wire, so an attribute value (S, N, BOOL, NULL, SS, NS, and M and L of those) is copied as it is;
anything else (binary) still goes through moto's serializer.

The local stack, the tests' embedded AWS and the bench install it; it refuses any moto but the one
`uv.lock` pins, whose internals it was written against.
"""

from __future__ import annotations

import contextvars
import copy
import threading
import weakref
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, ClassVar

MOTO_VERSION = "5.2.5"  # what uv.lock pins; tests/unit/test_moto_dynamodb.py checks they agree
SHARD_ITERATORS_KEPT = 1_000
STREAM_TRIM_AT = 1_000  # records no kept iterator can reach, dropped once there are this many

_in_transaction: contextvars.ContextVar[bool] = contextvars.ContextVar("in_transaction", default=False)
# (table, partition key) while a Query on the table or a local index runs: all it can return;
# (table, attribute, value) while a Query on a global index runs.
_partition: contextvars.ContextVar[tuple[Any, ...] | None] = contextvars.ContextVar("partition", default=None)
_originals: dict[str, Any] = {}


class UnsupportedMotoVersion(RuntimeError):
    """The installed moto is not the one this patch was written against."""


def check_version(found: str) -> None:
    if found != MOTO_VERSION:
        raise UnsupportedMotoVersion(
            f"local.moto_dynamodb patches moto {MOTO_VERSION}'s DynamoDB internals, but moto {found} is installed: "
            f"check what moto {found} does in each place its docstring names (transact_write_items, Table.query, "
            "Table.all_items, Table.put_item, Table.delete_item, update_item, get_records, the response "
            "serializer), then update the patch and MOTO_VERSION, or drop what moto fixed")


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
        finally:
            _mark_named(self, transact_items)

    _originals.update(copy=models.copy, transact=original, query=Table.query, all_items=Table.all_items,
                      put_item=Table.put_item, delete_item=Table.delete_item,
                      update_item=models.DynamoDBBackend.update_item)
    Table.put_item = _put_item  # type: ignore[method-assign]
    Table.delete_item = _delete_item  # type: ignore[method-assign]
    models.DynamoDBBackend.update_item = _update_item  # type: ignore[method-assign]
    models.copy = SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)  # type: ignore[assignment]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    Table.query = _query  # type: ignore[method-assign]
    Table.all_items = _all_items  # type: ignore[method-assign]
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    _originals["get_records"] = DynamoDBStreamsBackend.get_records
    DynamoDBStreamsBackend.get_records = _get_records  # type: ignore[method-assign]
    from moto.core import serialize

    _originals["serializers"] = serialize.SERVICE_SPECIFIC_SERIALIZERS.get("dynamodb")
    serialize.SERVICE_SPECIFIC_SERIALIZERS["dynamodb"] = {"json": _serializer(serialize.JSONSerializer)}


_PLAIN = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS"})


def _as_sent(value: Any) -> Any:
    """An attribute value as DynamoDB's JSON carries it, or None when moto's serializer must do it."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((kind, inner),) = value.items()
    if kind in _PLAIN:
        return {kind: inner}
    if kind == "M" and isinstance(inner, dict):
        members = {name: _as_sent(member) for name, member in inner.items()}
        return None if any(m is None for m in members.values()) else {"M": members}
    if kind == "L" and isinstance(inner, list):
        elements = [_as_sent(element) for element in inner]
        return None if any(e is None for e in elements) else {"L": elements}
    return None


def _serializer(base: Any) -> Any:
    class DynamoDBSerializer(base):
        def _serialize_type_structure(self, serialized: Any, value: Any, shape: Any, key: str) -> None:
            if key and shape.name == "AttributeValue":
                sent = _as_sent(value)
                if sent is not None:
                    self._default_serialize(serialized, sent, shape, key)
                    return
            super()._serialize_type_structure(serialized, value, shape, key)

    return DynamoDBSerializer


def _get_records(self: Any, iterator_arn: str, limit: int) -> Any:
    from moto.dynamodbstreams.models import ShardIterator

    answer = _originals["get_records"](self, iterator_arn, limit)
    iterators = self.shard_iterators
    while len(iterators) > SHARD_ITERATORS_KEPT:  # oldest first: dicts keep insertion order
        del iterators[next(iter(iterators))]
    # moto's model registry (for its reset) holds every iterator too.
    tracked: list[Any] = ShardIterator.instances_tracked  # type: ignore[attr-defined]
    if len(tracked) > 2 * SHARD_ITERATORS_KEPT:
        del tracked[:-SHARD_ITERATORS_KEPT]
    _trim_streams(iterators.values())
    return answer


def _trim_streams(iterators: Any) -> None:
    """Drop the records below every kept iterator: none can read them again (DynamoDB keeps a record
    24 hours). The trim horizon moves up with them, so sequence numbers go on as before."""
    floors: dict[int, tuple[Any, int]] = {}
    for iterator in iterators:
        shard, position = iterator.stream_shard, int(iterator.sequence_number)
        if id(shard) not in floors or position < floors[id(shard)][1]:
            floors[id(shard)] = (shard, position)
    for shard, floor in floors.values():
        unreachable = min(floor - shard.starting_sequence_number, len(shard.items))
        if unreachable >= STREAM_TRIM_AT:
            del shard.items[:unreachable]
            shard.starting_sequence_number += unreachable


def _query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    # moto's Table.query(hash_key, range_comparison, range_objs, limit, exclusive_start_key,
    # scan_index_forward, projection_expressions, index_name, ...): the backend passes these by position.
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    scope: tuple[Any, ...] | None = (self, hash_key)
    if index_name is not None:
        local = {index.name for index in self.indexes or []}
        named = dict(kwargs.get("hash_key_conditions") or [])
        scope = (self, named.get(self.hash_key_attr, hash_key)) if index_name in local else None
        index = next((index for index in self.global_indexes or [] if index.name == index_name), None)
        hashes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"] if index else []
        if hashes and hashes[0] in named:  # moto matches every hash condition; one narrows the candidates
            scope = (self, hashes[0], named[hashes[0]], _IndexQuery.of(self, index, args, kwargs))
    if scope is not None and scope[1] is None:
        scope = None
    token = _partition.set(scope)
    try:
        return _originals["query"](self, hash_key, *args, **kwargs)
    finally:
        _partition.reset(token)


def _all_items(self: Any) -> list[Any]:
    scope = _partition.get()
    if scope is not None and scope[0] is self and len(scope) == 4:
        indexes, query = _GlobalIndexes.of(self), scope[3]
        page = indexes.page(query, scope[2]) if query.paged else None
        return page if page is not None else _in_moto_order(query, indexes.holding(scope[1], scope[2]))
    if scope is None or scope[0] is not self or not self.range_key_attr:
        return _originals["all_items"](self)
    # What moto's own returns for one partition: its items in key order (hash keys are all equal).
    return sorted(self.items.get(scope[1], {}).values(), key=lambda item: item.range_key)


@dataclass(frozen=True)
class _IndexQuery:
    """What a Query on a global index asks, as moto's `Table.query` is given it."""

    index: Any
    attributes: list[str]  # moto's sort key: the index's hash and range keys, then the table's
    hash_conditions: list[tuple[str, Any]]
    range_attribute: str | None
    range_comparison: str | None
    range_values: list[Any]
    limit: int | None
    start: dict[str, Any] | None
    forward: bool
    paged: bool  # False: a shape not read here (multi-attribute keys, a legacy QueryFilter): no window

    KNOWN: ClassVar[frozenset[str]] = frozenset({
        "range_comparison", "range_objs", "limit", "exclusive_start_key", "scan_index_forward",
        "projection_expressions", "index_name", "consistent_read", "filter_expression",
        "hash_key_conditions", "range_key_conditions"})

    @classmethod
    def of(cls, table: Any, index: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _IndexQuery:
        def given(position: int, name: str, default: Any = None) -> Any:
            return args[position] if len(args) > position else kwargs.get(name, default)

        hashes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
        ranges = [key["AttributeName"] for key in index.schema if key["KeyType"] == "RANGE"]
        conditions = kwargs.get("range_key_conditions") or []
        limit, comparison = given(2, "limit"), given(0, "range_comparison")
        return cls(
            index,
            table._generate_attr_to_sort_by(  # moto's own
                [*hashes, table.hash_key_attr], [*(ranges or [table.range_key_attr]), table.range_key_attr]),
            list(kwargs.get("hash_key_conditions") or []),
            ranges[0] if ranges else None,
            comparison,
            list(given(1, "range_objs") or []),
            limit,
            given(3, "exclusive_start_key"),
            given(4, "scan_index_forward", True) is not False,
            paged=(len(hashes) == 1 and len(ranges) <= 1 and len(conditions) <= 1 and isinstance(limit, int)
                   and limit > 0 and not set(kwargs) - cls.KNOWN and not (comparison and not ranges)),
        )

    def visits(self, item: Any) -> bool:
        """moto's Query walks this candidate: it holds every hash key asked for and the index's range key."""
        for name, expected in self.hash_conditions:
            value = item.attrs.get(name)
            if not value or value != expected:
                return False
        return self.range_attribute is None or bool(item.attrs.get(self.range_attribute))

    def matches(self, item: Any) -> bool:
        """moto's Query keeps this candidate (before any filter expression): its range condition holds."""
        if not self.range_comparison:
            return True
        value = item.attrs.get(self.range_attribute)
        return bool(value) and bool(value.compare(self.range_comparison, self.range_values))


def _plain(value: Any) -> Any:
    """An index key attribute as moto orders it (by `DynamoType.cast_value`), as a str or a number."""
    from decimal import Decimal

    if value.type == "N":
        return Decimal(value.value)
    if value.type not in ("S", "B"):
        raise TypeError(value.type)
    return value.value


def _rank(attributes: list[str], values: Any) -> tuple[Any, ...]:
    """moto's sort key of an item (`values`: its attributes) as plain strings and numbers."""
    return tuple(_plain(values[name]) for name in attributes)


def _in_moto_order(query: _IndexQuery, items: list[Any]) -> list[Any]:
    """A global index's candidates sorted as moto's Query sorts them, so that its own sort (a Python
    comparison of attribute values, several a step) finds them in order in one pass. Unsorted if one
    lacks a key attribute or holds another type there: moto's sort then decides, as it would."""
    try:
        return [item for _, _, item in sorted((_rank(query.attributes, item.attrs), n, item)
                                              for n, item in enumerate(items))]
    except (KeyError, TypeError):
        return items


def _index_page(query: _IndexQuery, order: _Order, item_at: Callable[[int], Any]) -> list[Any]:
    """The candidates moto's Query on a global index walks to make this page, in the order it sorts them.

    moto sorts every candidate of the index partition (comparing attribute values in Python, several
    calls a step), walks past the previous page and past those outside the range condition, keeps
    `limit` and stops at the next one. Here the partition's keys are kept in that order (`_Order`),
    and only what moto's walk acts on is handed to it: the one just before the start (which it skips
    as the previous page's), those from the start, within a `begins_with` range (found by bisection),
    up to the one where it stops (whose predecessor's key becomes LastEvaluatedKey). moto then sorts,
    walks and filters them as ever: a page costs what it holds, not what the partition holds."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    keys = order.keys
    lo, hi = _run(query, keys)
    after = (_rank(query.attributes, {name: DynamoType(query.start[name]) for name in query.attributes})
             if query.start is not None else None)
    if query.forward:
        first = bisect_right(keys, after) if after is not None else 0
        steps = range(max(first, lo), len(keys))
        margin = [first - 1] if first > 0 else []
    else:
        first = bisect_left(keys, after) - 1 if after is not None else len(keys) - 1
        steps = range(min(first, hi - 1), -1, -1)
        margin = [first + 1] if first + 1 < len(keys) else []
    page = [item for item in map(item_at, margin) if item is not None]
    kept = 0
    for at in steps:
        item = item_at(at)
        if item is None or not query.visits(item):
            continue
        page.append(item)
        if kept == query.limit or not lo <= at < hi:
            break  # moto stops here (taking the key of the one before), or keeps nothing more
        kept += query.matches(item)
    return page if query.forward else page[::-1]


def _run(query: _IndexQuery, keys: list[tuple[Any, ...]]) -> tuple[int, int]:
    """Where in `keys` the candidates meeting a `begins_with` range condition are (a string prefix of
    the index's range key, the second of moto's sort attributes); everywhere for any other."""
    hashed = [value for name, value in query.hash_conditions if name == query.attributes[0]]
    if query.range_comparison != "BEGINS_WITH" or not hashed or len(query.range_values) != 1:
        return 0, len(keys)
    partition, prefix = _plain(hashed[0]), _plain(query.range_values[0])
    if not isinstance(prefix, str) or not prefix or ord(prefix[-1]) == 0x10FFFF:
        return 0, len(keys)
    beyond = prefix[:-1] + chr(ord(prefix[-1]) + 1)  # every string starting with `prefix` sorts below this
    return bisect_left(keys, (partition, prefix)), bisect_left(keys, (partition, beyond))


class _Order:
    """The keys of one global index partition in moto's Query order, kept so as each write comes in."""

    def __init__(self, query: _IndexQuery, value: Any) -> None:
        self.attributes = query.attributes
        self.value = value  # the index hash key's value: the partition
        self.keys: list[tuple[Any, ...]] = []  # moto's sort key of each, as plain strings and numbers
        self.table_keys: list[Any] = []  # and the item's table key, in step
        self.of: dict[Any, tuple[Any, ...]] = {}

    def put(self, key: Any, item: Any) -> None:
        """`key` was written (`item` is what it holds now, or None): move it to where it sorts now.
        TypeError if it holds a key attribute of another type (no order of moto's to keep)."""
        was = self.of.pop(key, None)
        if was is not None:
            at = bisect_left(self.keys, was)
            del self.keys[at], self.table_keys[at]
        held = item.attrs.get(self.attributes[0]) if item is not None else None
        if held is None or held != self.value:
            return
        try:
            rank = _rank(self.attributes, item.attrs)
        except KeyError:  # not in this sparse index
            return
        at = bisect_left(self.keys, rank)
        self.keys.insert(at, rank)
        self.table_keys.insert(at, key)
        self.of[key] = rank


class _GlobalIndexes:
    """Which keys of one table hold which value of each global index hash attribute asked for."""

    of_table: ClassVar[weakref.WeakSet[Any]] = weakref.WeakSet()
    lock = threading.Lock()

    def __init__(self, table: Any) -> None:
        self.table = table
        self.items = table.items  # moto replaces it only in a new table's __init__; checked anyway
        self.values: dict[str, dict[Any, set[Any]]] = {}  # attribute -> value -> keys
        self.odd: dict[str, set[Any]] = {}  # attribute -> keys whose value is unhashable: always candidates
        self.of_key: dict[Any, dict[str, Any]] = {}  # key -> attribute -> its indexed value
        self.written: set[Any] = set()  # keys written since the last Query brought this up to date
        self.orders: dict[tuple[str, Any], _Order] = {}  # (index, hash value) -> its partition in order

    @classmethod
    def of(cls, table: Any) -> _GlobalIndexes:
        state = vars(table).get("_local_global_indexes")
        if state is None or state.table is not table or state.items is not table.items:
            state = vars(table)["_local_global_indexes"] = cls(table)
            cls.of_table.add(table)
        return state

    def _item(self, key: Any) -> Any:
        hash_key, range_key = key
        found = self.items.get(hash_key)
        if found is not None and self.table.range_key_attr:
            return found.get(range_key)
        return found

    def _add(self, key: Any, attributes: list[str]) -> None:
        item = self._item(key)
        if item is None:
            return
        for attribute in attributes:
            value = item.attrs.get(attribute)
            if value is None:
                continue
            try:
                self.values[attribute].setdefault(value, set()).add(key)
            except TypeError:
                self.odd[attribute].add(key)
            self.of_key.setdefault(key, {})[attribute] = value

    def _drop(self, key: Any) -> None:
        for attribute, value in self.of_key.pop(key, {}).items():
            self.odd[attribute].discard(key)
            with suppress(TypeError):
                self.values[attribute].get(value, set()).discard(key)

    def _catch_up(self, attribute: str) -> None:
        """Index `attribute` if it is new (one pass over the table), then take in the keys written since."""
        if attribute not in self.values:
            self.values[attribute], self.odd[attribute] = {}, set()
            for item in _originals["all_items"](self.table):
                self._add((item.hash_key, item.range_key if self.table.range_key_attr else None), [attribute])
        written, self.written = self.written, set()
        for key in written:
            self._drop(key)
            self._add(key, list(self.values))
            item = self._item(key)
            for name, order in list(self.orders.items()):
                try:
                    order.put(key, item)
                except TypeError:
                    del self.orders[name]

    def holding(self, attribute: str, value: Any) -> list[Any]:
        """The table's items that may hold `value` in `attribute` (all that do, and perhaps a few more)."""
        with self.lock:
            self._catch_up(attribute)
            try:
                keys = set(self.values[attribute].get(value, ())) | self.odd[attribute]
            except TypeError:
                return _originals["all_items"](self.table)
            return [item for item in map(self._item, keys) if item is not None]

    def page(self, query: _IndexQuery, value: Any) -> list[Any] | None:
        """What moto's Query walks for this page of the index partition `value` (`_index_page`), from
        the partition's order; None where there is none to keep (another type in a key attribute, a
        value the index cannot hold)."""
        attribute = query.attributes[0]
        with self.lock:
            self._catch_up(attribute)
            try:
                order = self.orders.get((query.index.name, value))
                if order is None:
                    if self.odd[attribute]:
                        return None
                    order = _Order(query, value)
                    for key in self.values[attribute].get(value, ()):
                        order.put(key, self._item(key))
                    self.orders[(query.index.name, value)] = order
                return _index_page(query, order, lambda at: self._item(order.table_keys[at]))
            except (KeyError, TypeError):  # a start key without an index attribute, or of another type
                self.orders.pop((query.index.name, value), None)
                return None


def _written(table: Any, hash_key: Any, range_key: Any) -> None:
    state = vars(table).get("_local_global_indexes")
    if state is not None:
        state.written.add((hash_key, range_key if table.range_key_attr else None))


def _key_of(table: Any, attrs: Any) -> tuple[Any, Any] | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    try:
        return (DynamoType(attrs[table.hash_key_attr]),
                DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None)
    except (KeyError, TypeError):
        return None


def _put_item(self: Any, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return _originals["put_item"](self, item_attrs, *args, **kwargs)
    finally:  # after the write: a Query between marking and writing would miss it
        key = _key_of(self, item_attrs)
        if key is not None:
            _written(self, *key)


def _delete_item(self: Any, hash_key: Any, range_key: Any = None, *args: Any, **kwargs: Any) -> Any:
    try:
        return _originals["delete_item"](self, hash_key, range_key, *args, **kwargs)
    finally:
        _written(self, hash_key, range_key)


def _update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    # An update changes its item in place (or puts a new one): mark its key once it is done.
    try:
        return _originals["update_item"](self, table_name, key, *args, **kwargs)
    finally:
        table = self.tables.get(table_name)
        named = _key_of(table, key) if table is not None and isinstance(key, dict) else None
        if named is not None:
            _written(table, *named)


def _mark_named(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    for entry in transact_items:
        op = next(iter(entry.values()), None) if isinstance(entry, dict) else None
        table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        if table is not None and isinstance(op, dict):
            named = _key_of(table, op.get("Key") if "Key" in op else op.get("Item"))
            if named is not None:
                _written(table, *named)


def uninstall() -> None:
    """Put moto back as it was (tests)."""
    if not _originals:
        return
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    models.copy = _originals.pop("copy")
    models.DynamoDBBackend.transact_write_items = _originals.pop("transact")  # type: ignore[method-assign]
    Table.query = _originals.pop("query")  # type: ignore[method-assign]
    Table.all_items = _originals.pop("all_items")  # type: ignore[method-assign]
    Table.put_item = _originals.pop("put_item")  # type: ignore[method-assign]
    Table.delete_item = _originals.pop("delete_item")  # type: ignore[method-assign]
    models.DynamoDBBackend.update_item = _originals.pop("update_item")  # type: ignore[method-assign]
    for table in list(_GlobalIndexes.of_table):
        vars(table).pop("_local_global_indexes", None)
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    DynamoDBStreamsBackend.get_records = _originals.pop("get_records")  # type: ignore[method-assign]
    from moto.core import serialize

    previous = _originals.pop("serializers")
    if previous is None:
        serialize.SERVICE_SPECIFIC_SERIALIZERS.pop("dynamodb", None)
    else:
        serialize.SERVICE_SPECIFIC_SERIALIZERS["dynamodb"] = previous
    _originals.clear()
