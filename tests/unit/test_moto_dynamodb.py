"""Embedded DynamoDB's cheaper TransactWriteItems rolls back exactly as moto's own and leaves the rest
alone; its cheaper Query answers exactly as moto's own and reads only the partition it names.

Embedded AWS in process (no network), on the service's own table (stream on).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local import moto_dynamodb
from tests.conftest import TABLE

ROOT = Path(__file__).resolve().parents[2]
PK = {"S": "A#acme#C#conv-1"}


def _key(sk: str, pk: dict[str, str] = PK) -> dict[str, Any]:
    return {"pk": pk, "sk": {"S": sk}}


@pytest.fixture
def dynamodb(aws: None) -> Any:
    moto_dynamodb.install()
    return boto3.client("dynamodb")


def _everything(client: Any) -> list[dict[str, Any]]:
    items = client.scan(TableName=TABLE, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


class Stream:
    """The table's stream read as the local stack's relay reads it: one iterator, kept."""

    def __init__(self) -> None:
        self.client = boto3.client("dynamodbstreams")
        arn = boto3.client("dynamodb").describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
        shard = self.client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self.iterator = self.client.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                                       ShardIteratorType="LATEST")["ShardIterator"]

    def read(self) -> list[str]:
        page = self.client.get_records(ShardIterator=self.iterator)
        self.iterator = page["NextShardIterator"]
        return [f"{r['eventName']} {r['dynamodb']['Keys']['sk']['S']}" for r in page["Records"]]


def _seed(client: Any) -> None:
    client.put_item(TableName=TABLE, Item={**_key("SC#email-1"), "message_count": {"N": "1"}})
    client.put_item(TableName=TABLE, Item={**_key("SC#email-1#M#01"), "body": {"S": "first"}})
    client.put_item(TableName=TABLE, Item={**_key("IDEM#create#agent-1#abc"), "status": {"N": "201"}})
    for n in range(20):  # other partitions the transaction never names
        client.put_item(TableName=TABLE, Item={**_key(f"SC#slack-{n}", {"S": f"A#acme#C#other-{n}"}),
                                               "message_count": {"N": str(n)}})


def _reply_that_fails(client: Any) -> ClientError:
    """A reply as the API writes it: summary update, new message, idempotency record (already there)."""
    with pytest.raises(ClientError) as refused:
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": TABLE, "Key": _key("SC#email-1"),
                        "UpdateExpression": "ADD message_count :one",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            {"Put": {"TableName": TABLE, "Item": {**_key("SC#email-1#M#02"), "body": {"S": "second"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": TABLE, "Item": {**_key("IDEM#create#agent-1#abc"), "status": {"N": "201"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        ])
    return refused.value


def test_a_cancelled_transaction_leaves_nothing_behind_and_the_rest_untouched(dynamodb: Any) -> None:
    # Given a side conversation, its message, an idempotency record and 20 unrelated items
    _seed(dynamodb)
    before = _everything(dynamodb)
    stream = Stream()
    # When a reply's transaction fails on its last condition
    error = _reply_that_fails(dynamodb)
    # Then it is cancelled for that reason alone, and the table is exactly as it was
    assert error.response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in error.response["CancellationReasons"]] == ["None", "None", "ConditionalCheckFailed"]
    assert _everything(dynamodb) == before
    # ...and none of its stream records appear, while a later write's record does (the relay is not deaf)
    assert stream.read() == []
    dynamodb.put_item(TableName=TABLE, Item=_key("SC#email-2"))
    assert stream.read() == ["INSERT SC#email-2"]


def test_the_rollback_neither_copies_nor_replaces_the_table(dynamodb: Any) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    named = {"SC#email-1", "SC#email-1#M#02", "IDEM#create#agent-1#abc"}
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]

    def unnamed() -> dict[tuple[str, str], Any]:
        return {(h.value, r.value): item for h, part in backend.tables[TABLE].items.items()
                for r, item in part.items() if r.value not in named}

    _seed(dynamodb)
    table, before = backend.tables[TABLE], unnamed()
    _reply_that_fails(dynamodb)
    # The live table is the same object, and the items the transaction did not name are the very same
    # objects: nothing was copied or put back but what it named.
    assert backend.tables[TABLE] is table
    after = unnamed()
    assert after.keys() == before.keys()
    assert all(after[key] is item for key, item in before.items())


def test_the_cancellation_reasons_and_the_result_are_moto_s_own(dynamodb: Any) -> None:
    def run() -> tuple[Any, list[dict[str, Any]]]:
        for item in _everything(dynamodb):
            dynamodb.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})
        _seed(dynamodb)
        error = _reply_that_fails(dynamodb)
        return (error.response["Error"], error.response["CancellationReasons"]), _everything(dynamodb)

    patched = run()
    moto_dynamodb.uninstall()
    try:
        stock = run()
    finally:
        moto_dynamodb.install()
    assert patched == stock


def test_a_committed_transaction_writes_everything_and_streams_it(dynamodb: Any) -> None:
    _seed(dynamodb)
    stream = Stream()
    dynamodb.transact_write_items(TransactItems=[
        {"Update": {"TableName": TABLE, "Key": _key("SC#email-1"), "UpdateExpression": "ADD message_count :one",
                    "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Put": {"TableName": TABLE, "Item": {**_key("SC#email-1#M#02"), "body": {"S": "second"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
    ])
    summary = dynamodb.get_item(TableName=TABLE, Key=_key("SC#email-1"), ConsistentRead=True)["Item"]
    assert summary["message_count"] == {"N": "2"}
    assert dynamodb.get_item(TableName=TABLE, Key=_key("SC#email-1#M#02"))["Item"]["body"] == {"S": "second"}
    assert stream.read() == ["MODIFY SC#email-1", "INSERT SC#email-1#M#02"]


def test_an_invalid_transaction_is_refused_and_writes_nothing(dynamodb: Any) -> None:
    _seed(dynamodb)
    before = _everything(dynamodb)
    with pytest.raises(ClientError) as refused:  # the same item twice: a ValidationException, not a cancellation
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {**_key("SC#email-9"), "n": {"N": "1"}}}},
            {"Put": {"TableName": TABLE, "Item": {**_key("SC#email-9"), "n": {"N": "2"}}}},
        ])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert _everything(dynamodb) == before


def _queries(client: Any) -> list[Any]:
    """Every shape of Query the service makes: table, local index (paged, descending), global index."""
    answers = []
    table = {"TableName": TABLE, "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sc)",
             "ExpressionAttributeValues": {":pk": PK, ":sc": {"S": "SC#email-1"}}, "ConsistentRead": True}
    answers.append(client.query(**table)["Items"])
    listing = {"TableName": TABLE, "IndexName": "by_activity", "ScanIndexForward": False, "Limit": 3,
               "KeyConditionExpression": "pk = :pk AND begins_with(lsi1sk, :open)",
               "ExpressionAttributeValues": {":pk": PK, ":open": {"S": "open#"}}}
    page = client.query(**listing)
    answers += [page["Items"], page["LastEvaluatedKey"]]
    answers.append(client.query(**listing, ExclusiveStartKey=page["LastEvaluatedKey"])["Items"])
    answers.append(client.query(TableName=TABLE, IndexName="inbox", KeyConditionExpression="gsi1pk = :inbox",
                                ExpressionAttributeValues={":inbox": {"S": "INBOX#acme#agent-1"}})["Items"])
    return answers


def _listing_seed(client: Any) -> None:
    _seed(client)
    for n in range(8):  # summaries on both indexes, in two partitions
        for pk in (PK, {"S": "A#acme#C#conv-2"}):
            client.put_item(TableName=TABLE, Item={
                **_key(f"SC#email-{n:02d}", pk), "lsi1sk": {"S": f"{'open' if n % 3 else 'closed'}#2026-0{n + 1}"},
                "gsi1pk": {"S": "INBOX#acme#agent-1"}, "gsi1sk": {"S": f"agent#{n}#{pk['S']}"}})


def _count_gathered(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many items each Query gathers (moto's Table.all_items, patched), from now until undone."""
    from moto.dynamodb.models.table import Table

    read: list[int] = []
    patched_all_items = Table.all_items

    def spy(self: Any) -> list[Any]:
        found = patched_all_items(self)
        read.append(len(found))
        return found

    monkeypatch.setattr(Table, "all_items", spy)
    return read


def test_a_query_answers_as_moto_s_own_and_reads_only_its_partition(dynamodb: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    _listing_seed(dynamodb)
    read = _count_gathered(monkeypatch)
    patched = _queries(dynamodb)
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables[TABLE]
    in_table = sum(len(partition) for partition in table.items.values())
    # The table and local-index queries gathered one partition (11 items); the global index, its own (16).
    assert read == [11, 11, 11, 16]
    assert in_table > 16
    monkeypatch.undo()
    moto_dynamodb.uninstall()
    try:
        stock = _queries(dynamodb)
    finally:
        moto_dynamodb.install()
    assert patched == stock
    assert [len(answer) for answer in patched] == [2, 3, 3, 2, 16]  # (the key has pk, sk and lsi1sk)


INBOXES = [{"S": f"INBOX#acme#agent-{n}"} for n in range(3)]


def _global_queries(client: Any) -> list[Any]:
    """Every shape of Query on the global indexes: key conditions, filters, order, pages, limits, projections."""
    answers: list[Any] = []
    for inbox in INBOXES:
        base = {"TableName": TABLE, "IndexName": "inbox", "KeyConditionExpression": "gsi1pk = :inbox",
                "ExpressionAttributeValues": {":inbox": inbox}}
        answers.append(client.query(**base)["Items"])
        answers.append(client.query(**base, ScanIndexForward=False, ProjectionExpression="sk, gsi1sk")["Items"])
        answers.append(client.query(**{**base, "KeyConditionExpression": "gsi1pk = :inbox AND begins_with(gsi1sk, :w)",
                                       "ExpressionAttributeValues": {":inbox": inbox, ":w": {"S": "agent#"}}})["Items"])
        answers.append(client.query(**{**base, "FilterExpression": "n > :two",
                                       "ExpressionAttributeValues": {":inbox": inbox, ":two": {"N": "2"}}})["Items"])
        pages, start = [], None
        while True:  # two at a time, each page starting where the last ended
            page = client.query(**base, Limit=2, **({"ExclusiveStartKey": start} if start else {}))
            pages.append((page["Items"], page.get("LastEvaluatedKey")))
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        answers.append(pages)
        answers.append(_pages(client, {  # the agent's inbox as the API pages it: newest first, a prefix, a filter
            **base, "KeyConditionExpression": "gsi1pk = :inbox AND begins_with(gsi1sk, :w)",
            "FilterExpression": "n > :one", "ScanIndexForward": False,
            "ExpressionAttributeValues": {":inbox": inbox, ":w": {"S": "agent#"}, ":one": {"N": "1"}}}, limit=3))
        customer = {":inbox": inbox, ":w": {"S": "customer#"}}
        answers.append(_pages(client, {**base, "KeyConditionExpression": "gsi1pk = :inbox AND begins_with(gsi1sk, :w)",
                                       "ExpressionAttributeValues": customer}, limit=2))
        answers.append(_pages(client, {**base, "KeyConditionExpression": "gsi1pk = :inbox AND gsi1sk > :c",
                                       "ExpressionAttributeValues": {":inbox": inbox, ":c": {"S": "b"}}}, limit=1))
        answers.append(_pages(client, {**base, "ScanIndexForward": False}, limit=4))
    answers.append(client.query(TableName=TABLE, IndexName="pending_outbound", KeyConditionExpression="gsi2pk = :p",
                                ExpressionAttributeValues={":p": {"S": "PENDING#email"}})["Items"])
    return answers


def _pages(client: Any, query: dict[str, Any], limit: int) -> list[Any]:
    pages, start = [], None
    while True:
        page = client.query(**query, Limit=limit, **({"ExclusiveStartKey": start} if start else {}))
        pages.append((page["Items"], page.get("LastEvaluatedKey"), page["Count"], page["ScannedCount"]))
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages


def _global_index_history(client: Any) -> list[Any]:
    """Seeded writes of every kind that move items in and out of index partitions, queried after each."""
    import random

    rng = random.Random(20)
    keys = [_key(f"SC#email-{n:02d}", {"S": f"A#acme#C#conv-{n % 4}"}) for n in range(12)]

    def item(key: dict[str, Any]) -> dict[str, Any]:
        extra = {"gsi1pk": rng.choice(INBOXES), "gsi1sk": {"S": f"{rng.choice(['agent', 'customer'])}#{rng.random()}"}}
        if rng.random() < 0.3:
            extra = {"gsi2pk": {"S": "PENDING#email"}, "gsi2sk": {"S": f"{rng.random()}"}}
        return {**key, **extra, "n": {"N": str(rng.randrange(5))}}

    answers = [_global_queries(client)]
    for step in range(60):
        key, kind = rng.choice(keys), step % 6
        if kind == 0:
            client.put_item(TableName=TABLE, Item=item(key))
        elif kind == 1:  # the index key changes in place, or goes
            if rng.random() < 0.5:
                client.update_item(TableName=TABLE, Key=key, UpdateExpression="SET gsi1pk = :v, gsi1sk = :s",
                                   ExpressionAttributeValues={":v": rng.choice(INBOXES), ":s": {"S": f"agent#{step}"}})
            else:
                client.update_item(TableName=TABLE, Key=key, UpdateExpression="REMOVE gsi1pk")
        elif kind == 2:
            client.delete_item(TableName=TABLE, Key=key)
        elif kind == 3:  # a transaction that commits: a put, an update moving an item, a delete
            other, third = rng.sample([k for k in keys if k != key], 2)
            client.transact_write_items(TransactItems=[
                {"Put": {"TableName": TABLE, "Item": item(key)}},
                {"Update": {"TableName": TABLE, "Key": other, "UpdateExpression": "SET gsi1pk = :v",
                            "ExpressionAttributeValues": {":v": rng.choice(INBOXES)}}},
                {"Delete": {"TableName": TABLE, "Key": third}}])
        elif kind == 4:  # one that is cancelled after moving an item: nothing moves
            with pytest.raises(ClientError):
                client.transact_write_items(TransactItems=[
                    {"Update": {"TableName": TABLE, "Key": key, "UpdateExpression": "SET gsi1pk = :v",
                                "ExpressionAttributeValues": {":v": rng.choice(INBOXES)}}},
                    {"ConditionCheck": {"TableName": TABLE, "Key": _key("nothing-here"),
                                        "ConditionExpression": "attribute_exists(pk)"}}])
        else:
            puts = [{"PutRequest": {"Item": item(k)}} for k in rng.sample(keys, 3)]
            client.batch_write_item(RequestItems={TABLE: [*puts, {"DeleteRequest": {"Key": rng.choice(keys)}}]})
        answers.append(_global_queries(client))
    return answers


def test_a_global_index_query_answers_as_moto_s_own_through_every_write(dynamodb: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables[TABLE]
    _seed(dynamodb)  # 23 items the index queries never hold
    read = _count_gathered(monkeypatch)
    patched = _global_index_history(dynamodb)
    monkeypatch.undo()
    assert max(read) <= 12  # never more than the items that hold an index key (at most 12 here)
    moto_dynamodb.uninstall()
    try:
        table.items.clear()
        _seed(dynamodb)
        stock = _global_index_history(dynamodb)
    finally:
        moto_dynamodb.install()
    assert patched == stock
    inboxes = [[len(answers[n]) for n in (0, 5, 10)] for answers in patched]
    assert len({tuple(sizes) for sizes in inboxes}) > 5  # items did move between the index partitions
    assert any(answers[-1] for answers in patched)  # and in and out of the pending one


def test_a_page_of_a_global_index_hands_moto_only_its_stretch(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(60):  # one agent's inbox: answered and waiting, open and closed
        dynamodb.put_item(TableName=TABLE, Item={
            **_key(f"SC#email-{n:02d}"), "gsi1pk": {"S": "INBOX#acme#agent-1"}, "n": {"N": str(n % 3)},
            "gsi1sk": {"S": f"{'agent' if n % 4 else 'customer'}#2026-12-02T10:{n:02d}"}})
    read = _count_gathered(monkeypatch)
    pages = _pages(dynamodb, {
        "TableName": TABLE, "IndexName": "inbox", "ScanIndexForward": False, "FilterExpression": "n > :zero",
        "KeyConditionExpression": "gsi1pk = :inbox AND begins_with(gsi1sk, :w)",
        "ExpressionAttributeValues": {":inbox": {"S": "INBOX#acme#agent-1"}, ":w": {"S": "agent#"},
                                      ":zero": {"N": "0"}}},
        limit=5)
    assert [int(item["gsi1sk"]["S"][-2:]) for page, *_ in pages for item in page] == [
        n for n in range(59, -1, -1) if n % 4 and n % 3]  # all of them, newest first, filtered
    # Each page walked its five, the one before and the one after: none of those waiting on the customer.
    assert len(pages) == 9
    assert max(read) <= 7, read


EVERY_TYPE = {
    **_key("SC#every-type"), "s": {"S": "text ü"}, "n": {"N": "-12.5"}, "yes": {"BOOL": True}, "none": {"NULL": True},
    "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "b": {"B": b"\x00\xffbytes"}, "bs": {"BS": [b"x", b"y"]},
    "m": {"M": {"person": {"M": {"kind": {"S": "agent"}, "tags": {"L": [{"S": "x"}, {"N": "3"}, {"B": b"z"}]}}},
                "empty": {"M": {}}}},
    "l": {"L": [{"S": "one"}, {"L": [{"BOOL": False}]}, {"M": {"k": {"NULL": True}}}]},
}


def test_answers_are_serialized_as_moto_serializes_them(dynamodb: Any) -> None:
    def answers() -> list[Any]:
        dynamodb.put_item(TableName=TABLE, Item=EVERY_TYPE)
        got = dynamodb.get_item(TableName=TABLE, Key=_key("SC#every-type"), ConsistentRead=True)
        queried = dynamodb.query(TableName=TABLE, KeyConditionExpression="pk = :pk",
                                 ExpressionAttributeValues={":pk": PK})
        updated = dynamodb.update_item(TableName=TABLE, Key=_key("SC#every-type"), UpdateExpression="SET s = :s",
                                       ExpressionAttributeValues={":s": {"S": "new"}}, ReturnValues="ALL_OLD")
        return [got["Item"], queried["Items"], queried["Count"], updated["Attributes"]]

    patched = answers()
    moto_dynamodb.uninstall()
    try:
        stock = answers()
    finally:
        moto_dynamodb.install()
    assert patched == stock
    assert patched[0] == EVERY_TYPE


def test_the_stream_keeps_only_the_newest_shard_iterators(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    monkeypatch.setattr(moto_dynamodb, "SHARD_ITERATORS_KEPT", 5)
    stream = Stream()
    for _ in range(30):  # as the relay polls an idle table
        assert stream.read() == []
    # A write after all that polling is still read from the newest iterator.
    dynamodb.put_item(TableName=TABLE, Item=_key("SC#email-3"))
    assert stream.read() == ["INSERT SC#email-3"]
    assert len(dynamodbstreams_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].shard_iterators) <= 5


def test_the_stream_drops_the_records_no_kept_iterator_can_reach(dynamodb: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    monkeypatch.setattr(moto_dynamodb, "SHARD_ITERATORS_KEPT", 5)
    monkeypatch.setattr(moto_dynamodb, "STREAM_TRIM_AT", 3)
    shard = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(TABLE).stream_shard
    stream = Stream()
    read = []
    for n in range(40):  # the relay: a write, a read, some idle polls
        dynamodb.put_item(TableName=TABLE, Item=_key(f"SC#email-{n:02}"))
        for _ in range(3):
            read += stream.read()
    assert read == [f"INSERT SC#email-{n:02}" for n in range(40)]  # each record read once, in order
    assert len(shard.items) < 10  # what no iterator could read again is gone
    # The horizon moved up: a new TRIM_HORIZON iterator reads what is left, numbered as before.
    client = stream.client
    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    horizon = client.get_shard_iterator(StreamArn=arn, ShardId=shard.id, ShardIteratorType="TRIM_HORIZON")
    left = client.get_records(ShardIterator=horizon["ShardIterator"])["Records"]
    assert [r["dynamodb"]["Keys"]["sk"]["S"] for r in left] == [f"SC#email-{n:02}" for n in range(40 - len(left), 40)]
    assert int(left[-1]["dynamodb"]["SequenceNumber"]) == shard.starting_sequence_number + len(shard.items) - 1
    dynamodb.put_item(TableName=TABLE, Item=_key("SC#email-40"))
    assert stream.read() == ["INSERT SC#email-40"]


def test_another_moto_version_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import moto

    with pytest.raises(moto_dynamodb.UnsupportedMotoVersion, match=r"moto 5\.2\.5.*moto 5\.3\.0"):
        moto_dynamodb.check_version("5.3.0")
    moto_dynamodb.uninstall()
    monkeypatch.setattr(moto, "__version__", "6.0.0")
    try:
        with pytest.raises(moto_dynamodb.UnsupportedMotoVersion, match=r"moto 6\.0\.0 is installed"):
            moto_dynamodb.install()
    finally:
        monkeypatch.undo()
        moto_dynamodb.install()


def test_the_patched_version_is_the_one_the_lock_pins() -> None:
    lock = (ROOT / "uv.lock").read_text()
    pinned = re.search(r'\[\[package\]\]\nname = "moto"\nversion = "([^"]+)"', lock)
    assert pinned is not None, "moto is not in uv.lock"
    assert pinned.group(1) == moto_dynamodb.MOTO_VERSION
