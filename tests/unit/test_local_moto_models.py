"""The local stack's moto keeps no model instance nobody else holds (local.moto_models); S3's keys,
which moto's reset disposes of from its list, are still tracked. Embedded AWS in process."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local import moto_models
from tests.conftest import TABLE


@pytest.fixture
def untracked(aws: None) -> Iterator[None]:
    moto_models.install()
    try:
        yield
    finally:
        moto_models.uninstall()


def _write_and_read(client: Any, n: int) -> None:
    for m in range(n):
        key = {"pk": {"S": "A#acme#C#conv-1"}, "sk": {"S": f"SC#email-{m}"}}
        client.put_item(TableName=TABLE, Item={**key, "body": {"S": "x" * 100}})
        client.update_item(TableName=TABLE, Key=key, UpdateExpression="SET n = :n",
                           ExpressionAttributeValues={":n": {"N": str(m)}})
        client.query(TableName=TABLE, KeyConditionExpression="pk = :pk",
                     ExpressionAttributeValues={":pk": key["pk"]})


def test_items_written_and_answered_are_not_kept_by_moto(untracked: None) -> None:
    from moto.dynamodb.models.dynamo_type import Item

    before = len(Item.instances_tracked)
    _write_and_read(boto3.client("dynamodb"), 20)
    assert len(Item.instances_tracked) == before
    # An item that left the table is freed: nothing of moto's holds it.
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    client = boto3.client("dynamodb")
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(TABLE)
    gone = weakref.ref(table.get_item(DynamoType({"S": "A#acme#C#conv-1"}), DynamoType({"S": "SC#email-0"})))
    client.delete_item(TableName=TABLE, Key={"pk": {"S": "A#acme#C#conv-1"}, "sk": {"S": "SC#email-0"}})
    gc.collect()
    assert gone() is None
    assert len(client.scan(TableName=TABLE)["Items"]) == 19  # the rest are where they were


def test_s3_keys_are_still_tracked_for_moto_s_reset(untracked: None) -> None:
    from moto.s3.models import FakeKey

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="kept")
    before = len(FakeKey.instances_tracked)
    s3.put_object(Bucket="kept", Key="raw/1", Body=b"mail")
    assert len(FakeKey.instances_tracked) == before + 1
    assert s3.get_object(Bucket="kept", Key="raw/1")["Body"].read() == b"mail"


def test_uninstall_gives_moto_its_own_tracking_back(aws: None) -> None:
    from moto.dynamodb.models.dynamo_type import Item

    moto_models.install()
    moto_models.uninstall()
    before = len(Item.instances_tracked)
    _write_and_read(boto3.client("dynamodb"), 2)
    assert len(Item.instances_tracked) > before
