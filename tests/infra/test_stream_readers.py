"""At most two readers per DynamoDB stream (DynamoDB Streams throttles a third reader of a shard), and
every reader has an alarm that says when it falls behind or fails."""

from __future__ import annotations

from typing import Any

import pytest

from infra.components.monitoring import ITERATOR_AGE_MS, PIPE_FAILURES, PIPES_NAMESPACE
from tests.infra.conftest import Synthesized, refs

pytestmark = pytest.mark.xdist_group("cdk")

MAX_READERS = 2


def _stream(synthesized: Synthesized, arn: Any) -> str | None:
    """The resource whose stream `arn` names, or None when it is no stream (a queue, say)."""
    if isinstance(arn, dict) and "Fn::GetAtt" in arn and arn["Fn::GetAtt"][1] == "StreamArn":
        return str(arn["Fn::GetAtt"][0])
    kinds = {synthesized.resources[r]["Type"] for r in refs(arn) if r in synthesized.resources}
    if "AWS::Kinesis::Stream" in kinds or (isinstance(arn, str) and ":dynamodb:" in arn and "/stream/" in arn):
        return str(arn)
    return None


def _readers(synthesized: Synthesized) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Each stream and its readers: pipes (Source) and event source mappings (EventSourceArn)."""
    readers: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, resource in synthesized.resources.items():
        props = resource.get("Properties", {})
        source = {"AWS::Pipes::Pipe": props.get("Source"),
                  "AWS::Lambda::EventSourceMapping": props.get("EventSourceArn")}.get(resource["Type"])
        stream = _stream(synthesized, source) if source is not None else None
        if stream is not None:
            readers.setdefault(stream, []).append((name, resource))
    return readers


def _alarms(synthesized: Synthesized) -> list[dict[str, Any]]:
    return [a["Properties"] for a in synthesized.of_type("AWS::CloudWatch::Alarm").values()]


def test_no_stream_has_more_than_two_readers(every_variant: Synthesized) -> None:
    readers = _readers(every_variant)
    table = every_variant.logical_id(every_variant.stack.store.table)
    assert set(readers) == {table}, "the table's stream is the only one"
    for stream, found in readers.items():
        assert len(found) <= MAX_READERS, f"{stream} has {len(found)} readers: {[name for name, _ in found]}"
    # The outbox pipe and publish_events.
    assert sorted(r["Type"] for _, r in readers[table]) == ["AWS::Lambda::EventSourceMapping", "AWS::Pipes::Pipe"]


def test_every_stream_reader_has_an_alarm(every_variant: Synthesized) -> None:
    alarms = _alarms(every_variant)
    for _, found in _readers(every_variant).items():
        for name, reader in found:
            if reader["Type"] == "AWS::Pipes::Pipe":
                watched = {a["MetricName"] for a in alarms if a.get("Namespace") == PIPES_NAMESPACE
                           and a["Dimensions"] == [{"Name": "PipeName", "Value": {"Ref": name}}]}
                assert watched == set(PIPE_FAILURES), name
                # The router answers a queue that refuses sends with batchItemFailures, which Pipes counts
                # only as a partial failure of the target stage.
                assert "TargetStagePartiallyFailed" in watched, name
                assert all(a["AlarmActions"] for a in alarms if a.get("Namespace") == PIPES_NAMESPACE)
                # The pipe's target, the router, has its own errors alarm.
                (target,) = refs(reader["Properties"]["Target"])
                assert any(a.get("MetricName") == "Errors" and target in refs(a["Dimensions"]) for a in alarms)
            else:
                function = refs(reader["Properties"]["FunctionName"])
                ages = [a for a in alarms if a.get("MetricName") == "IteratorAge"
                        and refs(a["Dimensions"]) == function]
                assert len(ages) == 1, name
                assert ages[0]["Statistic"] == "Maximum"
                assert ages[0]["Threshold"] == ITERATOR_AGE_MS
                assert ages[0]["AlarmActions"]
