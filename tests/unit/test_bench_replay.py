"""The throughput floor replays a handler's requests against a twin table: the retargeting."""

from __future__ import annotations

from bench.replay import retarget


def test_single_item_requests_go_to_the_twin_table() -> None:
    params = {"TableName": "side-conversations", "Key": {"pk": {"S": "REF#x"}, "sk": {"S": "REF#x"}}}
    assert retarget(params, "twin") == {"TableName": "twin", "Key": params["Key"]}
    assert params["TableName"] == "side-conversations"  # the recorded request is not changed


def test_every_part_of_a_transaction_goes_to_the_twin_table() -> None:
    params = {"TransactItems": [{"Put": {"TableName": "main", "Item": {}}},
                                {"Update": {"TableName": "main", "Key": {}, "UpdateExpression": "SET a = :a"}}]}
    out = retarget(params, "twin")
    assert [next(iter(item.values()))["TableName"] for item in out["TransactItems"]] == ["twin", "twin"]


def test_batch_requests_are_keyed_by_the_twin_table() -> None:
    out = retarget({"RequestItems": {"main": {"Keys": [{"pk": {"S": "a"}}]}}}, "twin")
    assert out == {"RequestItems": {"twin": {"Keys": [{"pk": {"S": "a"}}]}}}


def test_queue_sends_go_to_the_twin_queue_and_s3_requests_are_unchanged() -> None:
    assert retarget({"QueueUrl": "q1", "MessageBody": "{}"}, "twin", "q2") == {"QueueUrl": "q2", "MessageBody": "{}"}
    s3 = {"Bucket": "raw-mail", "Key": "inbound/abc"}
    assert retarget(s3, "twin", "q2") == s3
