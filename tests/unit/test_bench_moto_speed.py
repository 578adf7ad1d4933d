"""The bench's cheaper TransactWriteItems backup for moto must roll back exactly as moto's own does.

Embedded AWS in process (no network); moto is put back as it was after each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from bench import moto_speed

TABLE = "bench-moto-speed"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    from moto import mock_aws

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    moto_speed.install()
    try:
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1")
            client.create_table(
                TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                      {"AttributeName": "sk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
            yield client
    finally:
        moto_speed.uninstall()


def _item(client: Any, sk: str) -> dict[str, Any] | None:
    return client.get_item(TableName=TABLE, Key={"pk": {"S": "p"}, "sk": {"S": sk}}, ConsistentRead=True).get("Item")


def test_a_cancelled_transaction_leaves_every_item_as_it_was(dynamodb: Any) -> None:
    # Given a summary with a counter and an unrelated item in the same partition
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "p"}, "sk": {"S": "summary"}, "n": {"N": "1"}})
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "p"}, "sk": {"S": "other"}, "n": {"N": "7"}})
    # When a transaction updates the summary and puts a new message, then fails on an existing record
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[
            {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "p"}, "sk": {"S": "summary"}},
                        "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "p"}, "sk": {"S": "message"}}}},
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "p"}, "sk": {"S": "other"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        ])
    # Then nothing it did remains: the counter, the new message, the other item
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _item(dynamodb, "summary") == {"pk": {"S": "p"}, "sk": {"S": "summary"}, "n": {"N": "1"}}
    assert _item(dynamodb, "message") is None
    assert _item(dynamodb, "other") == {"pk": {"S": "p"}, "sk": {"S": "other"}, "n": {"N": "7"}}


def test_a_committed_transaction_writes_everything(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "p"}, "sk": {"S": "summary"}, "n": {"N": "1"}})
    dynamodb.transact_write_items(TransactItems=[
        {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "p"}, "sk": {"S": "summary"}},
                    "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}},
                    "ConditionExpression": "attribute_exists(pk)"}},
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "p"}, "sk": {"S": "message"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
    ])
    assert _item(dynamodb, "summary") == {"pk": {"S": "p"}, "sk": {"S": "summary"}, "n": {"N": "2"}}
    assert _item(dynamodb, "message") == {"pk": {"S": "p"}, "sk": {"S": "message"}}


def test_the_backup_shares_untouched_items_and_copies_touched_ones() -> None:
    class Item:
        def __init__(self, hash_key: str, range_key: str) -> None:
            self.hash_key, self.range_key = hash_key, range_key

    class Table:
        range_key_attr = "sk"
        stream_shard = None

        def __init__(self) -> None:
            self.items = {"p": {"a": Item("p", "a"), "b": Item("p", "b")}}

    table = Table()
    touched = table.items["p"]["a"]
    clone = moto_speed.snapshot(table, [touched])
    assert clone.items["p"]["b"] is table.items["p"]["b"]
    assert clone.items["p"]["a"] is not touched
    assert clone.items["p"] is not table.items["p"]
