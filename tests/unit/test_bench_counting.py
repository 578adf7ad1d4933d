"""Request counting through botocore's event hooks, on real botocore clients answered by its Stubber
(in-process, no network)."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber

from bench import counting


def _client(service: str) -> Any:
    return botocore.session.get_session().create_client(
        service, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")


@pytest.fixture(autouse=True)
def hooked() -> None:
    counting.install()


def test_a_client_of_a_session_created_after_install_is_counted_per_operation() -> None:
    client = _client("dynamodb")
    with Stubber(client) as stub:
        stub.add_response("get_item", {})
        stub.add_response("query", {"Items": [], "Count": 0, "ScannedCount": 0})
        stub.add_response("transact_write_items", {})
        with counting.recording() as recorder:
            client.get_item(TableName="t", Key={"pk": {"S": "a"}})
            client.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}})
            client.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}}}}])
    assert recorder.summary() == "dynamodb.GetItem=1, dynamodb.Query=1, dynamodb.TransactWriteItems=1"
    assert (recorder.dynamodb_reads, recorder.dynamodb_writes) == (2, 1)


def test_calls_outside_a_recording_are_not_counted_and_recordings_nest() -> None:
    client = _client("sqs")
    with Stubber(client) as stub:
        for _ in range(3):
            stub.add_response("send_message", {"MessageId": "m", "MD5OfMessageBody": "x"})
        client.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/1/q", MessageBody="{}")
        with counting.recording() as outer:
            client.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/1/q", MessageBody="{}")
            with counting.recording() as inner:
                client.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/1/q", MessageBody="{}")
    assert outer.operations("sqs") == {"SendMessage": 1}
    assert inner.operations("sqs") == {"SendMessage": 1}


def test_a_watched_client_is_counted_once_even_when_its_session_is_hooked_too() -> None:
    client = counting.watch(_client("dynamodb"))
    with Stubber(client) as stub:
        stub.add_response("put_item", {})
        with counting.recording() as recorder:
            client.put_item(TableName="t", Item={"pk": {"S": "a"}})
    assert recorder.total() == 1


def test_parameters_are_kept_for_a_replay_only_when_asked() -> None:
    client = _client("dynamodb")
    key = {"pk": {"S": "REF#x"}, "sk": {"S": "REF#x"}}
    with Stubber(client) as stub:
        stub.add_response("get_item", {})
        stub.add_response("get_item", {})
        with counting.recording(keep_params=True) as kept:
            client.get_item(TableName="t", Key=key)
        with counting.recording() as plain:
            client.get_item(TableName="t", Key=key)
    assert kept.calls[0].params == {"TableName": "t", "Key": key}
    assert plain.calls[0].params is None


def test_response_sizes_are_recorded_for_the_page_limit() -> None:
    recorder = counting.Recorder([counting.Call("dynamodb", "Query", response_bytes=900),
                                  counting.Call("dynamodb", "Query", response_bytes=1200),
                                  counting.Call("s3", "GetObject", response_bytes=None)])
    assert recorder.max_response_bytes() == 1200
    assert recorder.max_response_bytes("s3") == 0
