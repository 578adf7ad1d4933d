"""Figures 3 and 4: 1,000 inbound mails and 1,000 Slack thread replies through the real handlers, each
against the same requests sent directly with boto3 (the floor), interleaved chunk by chunk, in one
process on embedded AWS. The Slack events endpoint's per-call times give the acknowledgement figure."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from bench import counting, scenario
from bench.core import Figure, broken, check, missing, ms, percentile, ratio
from bench.env import Aws, Context, Missing, handler, slack_request
from bench.replay import Replayer, copy_table

BUDGET = 2.0
ACK_P99_S = 0.050
CHUNK = 50
SIDE_CONVERSATIONS = 50
HOW = ("1,000 items per channel through the real handlers, in one process on embedded AWS (moto). Mail: "
       "corpus replies grown with quoted history to sizes spread log-uniformly over 5–100 KB, stored in S3 "
       "first (the receipt rule's S3 action, not timed), then `ingest_email` with the SES receipt event. "
       "Slack: signed thread replies through `slack_events`, then the queued messages in batches of 10 through "
       "`slack_processor` (the queue receive/delete is Lambda's work, not timed). Floor: every AWS request the "
       "handlers made, recorded with its parameters by the event hook and replayed with boto3 against a twin "
       "table (and queue) holding the same items, chunk by chunk (50) interleaved with the handlers so both "
       "see the same machine. Ratio = handler time / floor time.")
HOW_ACK = ("Warm per-call time of the `slack_events` handler (verify the signature, record the event id, queue "
           "the event) over the 1,000 Slack replies above; floor: its PutItem + SendMessage replayed.")


@dataclass
class Totals:
    handler_s: float = 0.0
    floor_s: float = 0.0
    calls: int = 0
    per_call_s: list[float] = field(default_factory=list)
    floor_per_call_s: list[float] = field(default_factory=list)


def _progress(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


def email(aws: Aws, count: int) -> tuple[Totals, dict[str, Any]]:
    import boto3

    ingest = handler("ingest_email")
    s3 = boto3.client("s3", region_name=aws.settings.region)
    created = [scenario.create_email("conv-throughput-mail", n) for n in range(SIDE_CONVERSATIONS)]
    mails = list(scenario.mail_shapes(count))
    events = []
    for n, raw in enumerate(mails):
        message_id = f"benchmail{n:06d}"
        scenario.put_raw_mail(s3, aws.settings, message_id, raw)
        events.append(scenario.receipt_event(raw, message_id, created[n % len(created)]["email"]["reply_to"]))
    twin = f"{aws.settings.table_name}-floor-mail"
    copy_table(aws.settings.region, aws.settings.table_name, twin)
    replayer = Replayer(aws.settings.region, twin)
    totals = Totals()
    outcomes: dict[str, int] = {}
    ingest(events[0], Context("ingest_email"))  # warm-up (its own mail: counted once below)
    del events[0]
    for start in range(0, len(events), CHUNK):
        with counting.recording(keep_params=True) as recorder:
            for event in events[start:start + CHUNK]:
                began = time.perf_counter()
                result = ingest(event, Context("ingest_email"))
                totals.handler_s += time.perf_counter() - began
                for item in result.get("results", []):
                    outcomes[item.get("outcome")] = outcomes.get(item.get("outcome"), 0) + 1
        totals.calls += len(recorder.calls)
        totals.floor_s += replayer.replay(recorder.calls)
    _progress(f"mail: {len(events)} handled, outcomes {outcomes}")
    sizes = sorted(len(m) for m in mails)
    return totals, {"outcomes": outcomes, "mails": len(events), "replay_errors": replayer.errors,
                    "size_min": sizes[0], "size_median": sizes[len(sizes) // 2], "size_max": sizes[-1]}


def slack(aws: Aws, count: int) -> tuple[Totals, Totals, dict[str, Any]]:
    import boto3

    events_handler = handler("slack_events")
    processor = handler("slack_processor")
    sqs = boto3.client("sqs", region_name=aws.settings.region)
    queue_url = aws.resources.slack_events_queue_url
    if not queue_url:
        raise Missing("local/aws.py creates no Slack events queue")
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    created = [scenario.create_slack("conv-throughput-slack", n) for n in range(SIDE_CONVERSATIONS)]
    for n, item in enumerate(created):
        scenario.seed_slack_thread(item, scenario.thread_ts_for(n))
    envelopes = [scenario.slack_reply(scenario.thread_ts_for(n % len(created)), n) for n in range(count + 1)]
    twin = f"{aws.settings.table_name}-floor-slack"
    copy_table(aws.settings.region, aws.settings.table_name, twin)
    twin_queue = _twin_queue(sqs, 0)
    replayer = Replayer(aws.settings.region, twin, twin_queue)
    endpoint, worker = Totals(), Totals()

    def drain() -> int:
        handled = 0
        while True:
            got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return handled
            batch = scenario.sqs_event([(m["MessageId"], m["Body"]) for m in got], queue_arn)
            with counting.recording(keep_params=True) as recorder:
                began = time.perf_counter()
                result = processor(batch, Context("slack_processor"))
                worker.handler_s += time.perf_counter() - began
            if (result or {}).get("batchItemFailures"):
                raise AssertionError(f"the processor failed replies: {result}")
            worker.calls += len(recorder.calls)
            worker.floor_s += replayer.replay(recorder.calls)
            for message in got:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            handled += len(got)

    events_handler(slack_request(envelopes[0]), Context("slack_events"))  # warm-up
    drain()
    worker.handler_s = worker.floor_s = 0.0
    worker.calls = 0
    handled = 0
    for start in range(1, len(envelopes), CHUNK):
        for envelope in envelopes[start:start + CHUNK]:
            request = slack_request(envelope)
            with counting.recording(keep_params=True) as recorder:
                began = time.perf_counter()
                answer = events_handler(request, Context("slack_events"))
                took = time.perf_counter() - began
            if answer.get("statusCode") != 200 or json.loads(answer["body"]).get("ok") is not True:
                raise AssertionError(f"the events endpoint refused a reply: {answer}")
            endpoint.handler_s += took
            endpoint.per_call_s.append(took)
            endpoint.calls += len(recorder.calls)
            floor = replayer.replay(recorder.calls)
            endpoint.floor_s += floor
            endpoint.floor_per_call_s.append(floor)
        handled += drain()
        # A fresh twin queue per chunk, as the real one is drained (harness work, not timed): a FIFO
        # queue that only grows makes moto's SendMessage slower and would flatter the handler.
        sqs.delete_queue(QueueUrl=twin_queue)
        twin_queue = _twin_queue(sqs, start)
        replayer.queue_url = twin_queue
    recorded = _inbound_slack_messages(aws)
    _progress(f"slack: {count} acknowledged, {handled} processed, {recorded} recorded")
    return endpoint, worker, {"replies": count, "processed": handled, "recorded_inbound": recorded,
                              "replay_errors": replayer.errors}


def _twin_queue(sqs: Any, n: int) -> str:
    return str(sqs.create_queue(QueueName=f"bench-floor-slack-events-{n}.fifo",
                                Attributes={"FifoQueue": "true"})["QueueUrl"])


def _inbound_slack_messages(aws: Aws) -> int:
    import boto3

    dynamodb = boto3.client("dynamodb", region_name=aws.settings.region)
    total = 0
    for page in dynamodb.get_paginator("scan").paginate(
            TableName=aws.settings.table_name, Select="COUNT",
            FilterExpression="#k = :m AND channel = :c AND direction = :d",
            ExpressionAttributeNames={"#k": "kind"},
            ExpressionAttributeValues={":m": {"S": "message"}, ":c": {"S": "slack"}, ":d": {"S": "inbound"}}):
        total += int(page["Count"])
    return total


def _throughput_figure(name: str, totals: Totals, items: int, raw: dict[str, Any], note: str = "") -> Figure:
    r = ratio(totals.handler_s, totals.floor_s)
    per_item = totals.handler_s / items
    return Figure("3", name, f"≤ {BUDGET}× floor", f"{totals.handler_s:.2f} s ({per_item * 1000:.1f} ms/item, "
                  f"{items / totals.handler_s:.0f}/s)", check(r, BUDGET),
                  floor=f"{totals.floor_s:.2f} s ({totals.calls} requests)", ratio=r, note=note,
                  raw={**raw, "handler_s": totals.handler_s, "floor_s": totals.floor_s, "requests": totals.calls})


def run(aws: Aws, count: int) -> list[Figure]:
    figures: list[Figure] = []
    name = f"throughput: {count} inbound emails (ingest_email)"
    try:
        totals, raw = email(aws, count)
        done = sum(raw["outcomes"].values())
        note = (f"sizes {raw['size_min'] // 1024}–{raw['size_max'] // 1024} KB (median "
                f"{raw['size_median'] // 1024} KB); outcomes {raw['outcomes']}")
        figure = _throughput_figure(name, totals, done, raw, note)
        if raw["outcomes"].get("appended") != done:
            figure.verdict = "FAIL"
            figure.note += "; not every mail was appended"
        figures.append(figure)
    except Missing as exc:
        figures.append(missing("3", name, f"≤ {BUDGET}× floor", str(exc)))
    except Exception as exc:
        figures.append(broken("3", name, f"≤ {BUDGET}× floor", exc))

    name = f"throughput: {count} Slack thread replies (slack_events + slack_processor)"
    ack = "Slack acknowledgement (slack_events, warm)"
    try:
        endpoint, worker, raw = slack(aws, count)
        both = Totals(endpoint.handler_s + worker.handler_s, endpoint.floor_s + worker.floor_s,
                      endpoint.calls + worker.calls)
        figure = _throughput_figure(name, both, count, raw,
                                    f"endpoint {endpoint.handler_s:.2f} s vs floor {endpoint.floor_s:.2f} s; "
                                    f"processor {worker.handler_s:.2f} s vs floor {worker.floor_s:.2f} s")
        if raw["recorded_inbound"] < count:
            figure.verdict = "FAIL"
            figure.note += f"; only {raw['recorded_inbound']} of {count} replies recorded"
        figures.append(figure)
        p50, p99 = percentile(endpoint.per_call_s, 50), percentile(endpoint.per_call_s, 99)
        f50, f99 = percentile(endpoint.floor_per_call_s, 50), percentile(endpoint.floor_per_call_s, 99)
        figures.append(Figure("4", ack, f"p99 ≤ {ACK_P99_S * 1000:.0f} ms", f"p50 {ms(p50)}, p99 {ms(p99)}",
                              check(p99, ACK_P99_S), floor=f"p50 {ms(f50)}, p99 {ms(f99)}",
                              ratio=ratio(p99, f99) if f99 > 0 else None,
                              raw={"per_call_s": endpoint.per_call_s, "floor_per_call_s": endpoint.floor_per_call_s}))
    except Missing as exc:
        figures.append(missing("3", name, f"≤ {BUDGET}× floor", str(exc)))
        figures.append(missing("4", ack, f"p99 ≤ {ACK_P99_S * 1000:.0f} ms", str(exc)))
    except Exception as exc:
        figures.append(broken("3", name, f"≤ {BUDGET}× floor", exc))
        figures.append(broken("4", ack, f"p99 ≤ {ACK_P99_S * 1000:.0f} ms", exc))
    return figures
