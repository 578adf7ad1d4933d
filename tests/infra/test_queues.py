"""Every asynchronous consumer: a dead-letter queue, partial batch failures, an alarm on the
dead-letter queue; the one outbox pipe hands every channel's new outbound messages to the router, which
feeds each channel's FIFO queue."""

from __future__ import annotations

import json

import pytest
from sideconv.outbox import MAX_BATCH
from sideconv.store.schema import events_filter, outbox_filter

from tests.infra.conftest import Synthesized, refs

pytestmark = pytest.mark.xdist_group("cdk")


def _dead_letter_queues(synthesized: Synthesized) -> set[str]:
    """Every queue that receives failures: SQS redrive targets, Lambda async DLQs, pipe DLQs."""
    found: set[str] = set()
    for queue in synthesized.of_type("AWS::SQS::Queue").values():
        found |= refs(queue["Properties"].get("RedrivePolicy", {}))
    for function in synthesized.of_type("AWS::Lambda::Function").values():
        found |= refs(function["Properties"].get("DeadLetterConfig", {}))
        # Schedules a function creates at run time (the follow-ups') name their dead-letter queue from it.
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        found |= refs({k: v for k, v in variables.items() if k.endswith("_DLQ_ARN")})
    for pipe in synthesized.of_type("AWS::Pipes::Pipe").values():
        found |= refs(pipe["Properties"]["SourceParameters"]["DynamoDBStreamParameters"]["DeadLetterConfig"])
    for mapping in synthesized.of_type("AWS::Lambda::EventSourceMapping").values():
        found |= refs(mapping["Properties"].get("DestinationConfig", {}))
    for rule in synthesized.of_type("AWS::Events::Rule").values():
        for target in rule["Properties"].get("Targets", []):
            found |= refs(target.get("DeadLetterConfig", {}))
    return found


def _alarmed_queues(synthesized: Synthesized) -> set[str]:
    found: set[str] = set()
    for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if props.get("MetricName") == "ApproximateNumberOfMessagesVisible":
            assert props["Threshold"] == 0
            assert props["ComparisonOperator"] == "GreaterThanThreshold"
            assert props["AlarmActions"], "an alarm nobody hears is not an alarm"
            found |= refs(props["Dimensions"])
    return found


def test_every_queue_that_is_not_a_dead_letter_queue_has_one(synthesized: Synthesized) -> None:
    dead_letter = _dead_letter_queues(synthesized)
    for name, queue in synthesized.of_type("AWS::SQS::Queue").items():
        if name in dead_letter:
            continue
        policy = queue["Properties"]["RedrivePolicy"]
        assert policy["maxReceiveCount"] >= 3, name
        target = refs(policy["deadLetterTargetArn"]).pop()
        assert queue["Properties"].get("FifoQueue") == synthesized.resources[target]["Properties"].get("FifoQueue")


def test_every_dead_letter_queue_has_an_alarm(synthesized: Synthesized) -> None:
    dead_letter = _dead_letter_queues(synthesized)
    # 2 outbox queues, the outbox pipe, Slack events, 3 async functions (2 mail, the re-drive), the stream
    # publisher, the follow-ups' schedules
    assert len(dead_letter) == 9
    assert dead_letter <= _alarmed_queues(synthesized)


def test_queues_are_encrypted_tls_only_and_dead_letters_kept_14_days(synthesized: Synthesized) -> None:
    dead_letter = _dead_letter_queues(synthesized)
    policies = synthesized.of_type("AWS::SQS::QueuePolicy").values()
    tls_only = {q for p in policies for q in refs(p["Properties"]["Queues"])
                if any(s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
                       for s in p["Properties"]["PolicyDocument"]["Statement"])}
    for name, queue in synthesized.of_type("AWS::SQS::Queue").items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True, name
        assert name in tls_only, name
        if name in dead_letter:
            assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_every_queue_consumer_reports_partial_batch_failures(synthesized: Synthesized) -> None:
    mappings = synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
    assert len(mappings) == 4  # send_email, send_slack, slack_processor, publish_events
    for mapping in mappings:
        assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_stream_publisher_bisects_retries_then_dead_letters(synthesized: Synthesized) -> None:
    function_id = synthesized.logical_id(synthesized.stack.publishing.function)
    (mapping,) = [m["Properties"] for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
                  if refs(m["Properties"]["FunctionName"]) == {function_id}]
    assert mapping["EventSourceArn"] == {
        "Fn::GetAtt": [synthesized.logical_id(synthesized.stack.store.table), "StreamArn"]}
    assert [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]] == [events_filter()]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] > 0
    assert refs(mapping["DestinationConfig"]["OnFailure"]["Destination"]) == {
        synthesized.logical_id(synthesized.stack.publishing.dead_letter_queue)}


def test_asynchronously_invoked_functions_retry_then_dead_letter(synthesized: Synthesized) -> None:
    email = synthesized.stack.email
    for function in (email.ingest_email, email.email_events):
        function_id = synthesized.logical_id(function)
        assert refs(synthesized.resources[function_id]["Properties"]["DeadLetterConfig"])
        (config,) = [c for c in synthesized.of_type("AWS::Lambda::EventInvokeConfig").values()
                     if refs(c["Properties"]["FunctionName"]) == {function_id}]
        assert config["Properties"]["MaximumRetryAttempts"] == 2


def test_one_outbox_pipe_hands_every_channel_to_the_router(synthesized: Synthesized) -> None:
    stack = synthesized.stack
    (pipe,) = [p["Properties"] for p in synthesized.of_type("AWS::Pipes::Pipe").values()]
    source = pipe["SourceParameters"]
    assert [json.loads(f["Pattern"]) for f in source["FilterCriteria"]["Filters"]] == [outbox_filter()]
    assert pipe["Source"] == {"Fn::GetAtt": [synthesized.logical_id(stack.store.table), "StreamArn"]}
    assert source["DynamoDBStreamParameters"]["BatchSize"] == MAX_BATCH
    assert source["DynamoDBStreamParameters"]["StartingPosition"] == "LATEST"
    assert refs(pipe["Target"]) == {synthesized.logical_id(stack.senders.route_outbox)}
    # Synchronous, so the router's batchItemFailures reach the pipe.
    assert pipe["TargetParameters"] == {"LambdaFunctionParameters": {"InvocationType": "REQUEST_RESPONSE"}}


@pytest.mark.parametrize("channel", ["email", "slack"])
def test_the_router_feeds_each_channels_fifo_queue_to_its_sender(synthesized: Synthesized, channel: str) -> None:
    stack = synthesized.stack
    queue = stack.senders.channels[channel].queue.queue
    target = synthesized.logical_id(queue)
    assert synthesized.resources[target]["Properties"]["FifoQueue"] is True
    assert synthesized.resources[target]["Properties"]["ContentBasedDeduplication"] is False
    router = synthesized.resources[synthesized.logical_id(stack.senders.route_outbox)]["Properties"]
    assert refs(router["Environment"]["Variables"][f"OUTBOX_{channel.upper()}_QUEUE_URL"]) == {target}
    sender = stack.senders.senders[channel]
    consumers = [m["Properties"] for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
                 if refs(m["Properties"]["EventSourceArn"]) == {target}]
    assert [refs(c["FunctionName"]) for c in consumers] == [{synthesized.logical_id(sender)}]


def test_the_slack_outbox_keeps_a_message_longer_than_the_sender_waits_out_rate_limits(
        synthesized: Synthesized) -> None:
    """A message held for Slack's Retry-After spends a receive each time; it must end `sent` or
    `failed` by the sender's hand, never sit `pending` in a dead-letter queue."""
    from sideconv.slack.outbound import MAX_RATE_LIMITED_RECEIVES

    stack = synthesized.stack
    queue = stack.resolve(stack.senders.channels["slack"].queue.queue.node.default_child.redrive_policy)
    assert queue["maxReceiveCount"] > MAX_RATE_LIMITED_RECEIVES
    mappings = [m for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
                if synthesized.logical_id(stack.senders.senders["slack"]) in json.dumps(m)]
    assert [m["Properties"]["BatchSize"] for m in mappings] == [1]


def test_the_redrive_runs_on_a_schedule_and_reads_only_the_pending_index(synthesized: Synthesized) -> None:
    from sideconv import keys

    stack = synthesized.stack
    function_id = synthesized.logical_id(stack.redrive.function)
    rules = [r for r in synthesized.of_type("AWS::Events::Rule").values()
             if function_id in json.dumps(r["Properties"].get("Targets", []))]
    assert [r["Properties"]["ScheduleExpression"] for r in rules] == ["rate(5 minutes)"]
    policies = [p for p in synthesized.of_type("AWS::IAM::Policy").values()
                if synthesized.logical_id(stack.redrive.function.role) in json.dumps(p["Properties"]["Roles"])]
    queries = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]
               if s["Action"] == "dynamodb:Query"]
    assert len(queries) == 1
    assert f"/index/{keys.GSI_PENDING}" in json.dumps(queries[0]["Resource"])
