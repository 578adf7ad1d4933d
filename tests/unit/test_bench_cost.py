"""The cost model's arithmetic (bench/cost.py, bench/prices.py): item sizes, capacity units, billing
chunks, Lambda GB-seconds, pricing, and which line dominates. No AWS here: the figures' inputs are given."""

from __future__ import annotations

import pytest

from bench import cost, latency
from bench.counting import Call
from bench.prices import PRICES, READ_ON, REGION


def _item(**extra: dict[str, object]) -> dict[str, object]:
    return {"pk": {"S": "A#acme#C#c1"}, "sk": {"S": "SC#x#M#1"}, **extra}


class TestItemSize:
    def test_strings_numbers_and_flags_count_as_dynamodb_counts_them(self) -> None:
        assert cost.value_size({"S": "héllo"}) == 6  # UTF-8 bytes
        assert cost.value_size({"N": "12345"}) == 4  # ceil(5 digits / 2) + 1
        assert cost.value_size({"N": "-0.5"}) == 2
        assert cost.value_size({"BOOL": True}) == 1
        assert cost.value_size({"NULL": True}) == 1

    def test_maps_and_lists_add_three_bytes_and_one_per_element(self) -> None:
        assert cost.value_size({"L": [{"S": "ab"}, {"S": "c"}]}) == 3 + (2 + 1) + (1 + 1)
        assert cost.value_size({"M": {"status": {"S": "sent"}}}) == 3 + 6 + 4 + 1

    def test_an_item_is_its_names_plus_its_values(self) -> None:
        assert cost.item_size({"pk": {"S": "abc"}, "n": {"N": "7"}}) == (2 + 3) + (1 + 2)


class TestCapacityUnits:
    @pytest.mark.parametrize(("size", "units"), [(1, 1), (1024, 1), (1025, 2), (3000, 3)])
    def test_writes_are_1_kb_steps(self, size: int, units: int) -> None:
        assert cost.write_units(size) == units
        assert cost.write_units(size, transactional=True) == 2 * units

    def test_reads_are_4_kb_steps_halved_when_eventually_consistent(self) -> None:
        assert cost.read_units(4096) == 1.0
        assert cost.read_units(4097) == 2.0
        assert cost.read_units(100, consistent=False) == 0.5
        assert cost.read_units(5000, transactional=True) == 4.0

    def test_payloads_are_billed_in_chunks(self) -> None:
        assert cost.chunks(0, 64 * 1024) == 1
        assert cost.chunks(64 * 1024, 64 * 1024) == 1
        assert cost.chunks(64 * 1024 + 1, 64 * 1024) == 2


class TestDynamodbUnits:
    def test_a_put_into_an_index_writes_the_index_too(self) -> None:
        item = _item(gsi2pk={"S": "PENDING#slack"})
        # one write for the item, one for its copy in pending_outbound
        assert cost.dynamodb_units([Call("dynamodb", "PutItem", {"Item": item})], {}) == (2.0, 0.0)

    def test_a_transaction_counts_twice_and_an_update_that_leaves_an_index_writes_it(self) -> None:
        message = _item(body={"S": "x" * 1500})  # 2 KB steps
        table = {("A#acme#C#c1", "SC#x#M#1"): message}
        call = Call("dynamodb", "TransactWriteItems", {"TransactItems": [
            {"Update": {"Key": {"pk": message["pk"], "sk": message["sk"]},
                        "UpdateExpression": "SET delivery = :d REMOVE gsi2pk, gsi2sk"}}]})
        wru, rru = cost.dynamodb_units([call], table)
        assert wru == 2 * 2 + 2  # transactional item write + the index write of leaving pending_outbound
        assert rru == 0.0

    def test_reads_follow_consistency_and_transactions(self) -> None:
        key = {"pk": {"S": "A#acme#C#c1"}, "sk": {"S": "SC#x#M#1"}}
        calls = [Call("dynamodb", "GetItem", {"Key": key, "ConsistentRead": True}),
                 Call("dynamodb", "GetItem", {"Key": key}),
                 Call("dynamodb", "TransactGetItems", {"TransactItems": [{"Get": {"Key": key}}] * 2}),
                 Call("dynamodb", "Query", {"ConsistentRead": True}, response_bytes=9000)]
        wru, rru = cost.dynamodb_units(calls, {("A#acme#C#c1", "SC#x#M#1"): _item()})
        assert wru == 0.0
        assert rru == 1 + 0.5 + 2 * 2 + 3

    def test_other_services_are_not_dynamodb_units(self) -> None:
        assert cost.dynamodb_units([Call("sqs", "SendMessage", {"MessageBody": "x"})], {}) == (0.0, 0.0)


class TestFlowUsage:
    def test_lambda_is_billed_per_ms_at_the_configured_memory(self) -> None:
        flow = cost.Flow("t", messages=2, invocations=[cost.Invocation("api", 0.1004, 2048, 1),
                                                        cost.Invocation("ingest_email", 0.2, 0, 1)])
        used = flow.usage({}, {"api": 512, "ingest_email": 1024})
        assert used["lambda.requests"] == 2
        assert used["lambda.arm64_gb_s"] == pytest.approx(0.101 * 0.5 + 0.2 * 1.0)
        assert used["logs.ingest_gb"] == pytest.approx(2048 / 1024 ** 3)
        assert used["xray.traces"] == 2

    def test_queue_events_and_mail_requests_are_counted_from_the_calls(self) -> None:
        flow = cost.Flow("t", messages=1, calls=[
            Call("sqs", "SendMessage", {"MessageBody": "x" * (70 * 1024)}),  # two 64 KB chunks
            Call("events", "PutEvents", {"Entries": [{"Detail": "{}"}, {"Detail": "{}"}]}),
            Call("sesv2", "SendEmail", {}), Call("s3", "GetObject", {}), Call("s3", "PutObject", {})])
        flow.extra["pipes.requests"] += 1
        used = flow.usage({}, {})
        assert used["sqs.fifo_requests"] == 2
        assert used["eventbridge.events"] == 2
        assert used["ses.outbound_messages"] == 1
        assert (used["s3.get"], used["s3.put"]) == (1, 1)
        assert used["pipes.requests"] == 1

    def test_a_follow_up_firing_is_one_scheduler_invocation_and_its_schedule_calls_are_free(self) -> None:
        flow = cost.Flow("t", messages=1, invocations=[cost.Invocation("follow_up", 0.01, 0, 1),
                                                        cost.Invocation("publish_events", 0.01, 0, 1)],
                         calls=[Call("scheduler", "CreateSchedule", {}), Call("scheduler", "DeleteSchedule", {})])
        used = flow.usage({}, {})
        assert used["scheduler.invocations"] == 1
        assert used["scheduler.api_requests"] == 2
        lines = cost.grouped(cost.cost_lines(used))
        assert lines["EventBridge Scheduler"] == pytest.approx(PRICES["scheduler.invocations"].of(1))
        assert PRICES["scheduler.invocations"].of(1e6) == pytest.approx(1.00)


class TestPricing:
    def test_prices_are_one_table_with_region_and_date(self) -> None:
        assert REGION == "us-east-1"
        assert READ_ON.count("-") == 2
        assert PRICES["lambda.arm64_gb_s"].of(1) == pytest.approx(0.0000133334)
        assert PRICES["dynamodb.wru"].of(1e6) == pytest.approx(0.625)
        assert PRICES["ses.outbound_messages"].of(1000) == pytest.approx(0.10)
        assert all(p.source.startswith("https://aws.amazon.com/") for p in PRICES.values())

    def test_every_meter_of_the_model_has_a_price_and_a_line(self) -> None:
        assert set(cost.LINE_OF) == set(PRICES)

    def test_per_thousand_scales_and_lines_group_by_service(self) -> None:
        usage = cost.per_thousand({"ses.inbound_messages": 40, "ses.inbound_chunks": 40, "s3.put": 40}, 40)
        assert usage == {"ses.inbound_messages": 1000, "ses.inbound_chunks": 1000, "s3.put": 1000}
        lines = cost.grouped(cost.cost_lines(usage))
        assert lines == pytest.approx({"SES": 0.19, "S3 requests": 0.005})

    def test_the_dominant_line_and_its_share(self) -> None:
        priced = cost.FlowCost("t", 0.2, {"SES": 0.15, "Lambda compute": 0.05}, {}, {}, {})
        line, share = priced.dominant
        assert line == "SES"
        assert share == pytest.approx(0.75)

    def test_a_send_message_batch_is_billed_per_64_kb_of_its_entries(self) -> None:
        def batch(*sizes: int) -> Call:
            entries = [{"Id": str(n), "MessageBody": "x" * size} for n, size in enumerate(sizes)]
            return Call("sqs", "SendMessageBatch", params={"QueueUrl": "q", "Entries": entries})

        flow = cost.Flow("t", calls=[batch(100, 200), batch(40 * 1024, 40 * 1024)])
        assert flow.usage({}, {})["sqs.fifo_requests"] == 1 + 2


def test_memory_comes_from_the_infrastructure_code() -> None:
    default, overrides = cost.configured_memory()
    assert default == 512
    assert overrides.get("ingest_email") == 1024


def test_the_aws_expectation_is_the_sum_of_its_documented_hops() -> None:
    typical, tail = latency.aws_expected()
    assert typical == pytest.approx(sum(h[1] for h in latency.AWS_HOPS))
    assert tail >= typical > 0
    assert all("https://" in h[3] or "one " in h[3] for h in latency.AWS_HOPS)
