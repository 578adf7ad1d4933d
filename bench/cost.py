"""Figure 9a: what 1,000 messages cost in AWS, per channel out and in, from what the run measures.

Each flow runs through the real handlers on embedded AWS, with the local stack's glue playing the
parts AWS plays (stream → the outbox pipe → `route_outbox` → FIFO queue → sender; stream →
publish_events; the Slack events queue → processor) and the Slack Web API stand-in over HTTP. Around
every handler invocation the run records each AWS request with its parameters (bench.counting), the
wall time, and the bytes the function wrote to its log (Powertools JSON lines and the EMF metric
documents on stdout, which Lambda ships to CloudWatch Logs alike). The usage model turns that into billable units:

- Lambda: one request per invocation, GB-seconds = measured duration × configured memory
  (infra/components/function.py, arm64); the local machine is not Lambda, so this is indicative;
- DynamoDB on-demand: write units from item sizes (1 KB steps; transactions count twice; each
  index holding the item, or losing it, one more write), read units (4 KB steps; eventually
  consistent half; transactions twice); item sizes from the table after the run (AWS's rules:
  attribute names + values);
- SQS FIFO: what the handlers send (the router's SendMessageBatch: one request per 64 KB of its
  entries), plus what AWS does per batch (the event source mapping's ReceiveMessage and
  DeleteMessageBatch);
- EventBridge Pipes: one request per record after filtering; its DynamoDB Streams reads
  (GetRecords; Lambda's own stream reads are free) one per record at batch size 1;
- EventBridge Scheduler: one invocation per run of the `follow_up` function (a schedule fired); its
  Create/Update/DeleteSchedule calls from `publish_events` counted, not billed;
- EventBridge PutEvents entries; SES messages (and inbound 256 KB chunks); S3 requests and the
  raw mail kept `rawMailRetentionDays`; API Gateway HTTP API requests; CloudWatch Logs ingestion;
  X-Ray traces (active tracing, one per invocation: an upper bound, sampling can only lower it).
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench import counting, scenario
from bench.core import ROOT, Figure, broken
from bench.env import APP_ID, SIGNING_SECRET, TEAM_ID, Aws, Context, embedded_aws, handler, slack_request
from bench.prices import PRICES, READ_ON, REGION

HOW = ("Per channel, 40 messages (after a warm-up; and 40 e-mail nudges of follow-ups falling due together on "
       "the local scheduler's moved clock, so the stream and the outbox take them in batches) through the real "
       "handlers on embedded AWS, with the local stack's glue between them and the Slack stand-in over HTTP; "
       "every AWS request recorded with its parameters, every invocation timed, every log byte counted; then "
       f"priced per 1,000 messages with `bench/prices.py` ({REGION} list prices as of {READ_ON}, each with its "
       "source). Model: `bench/cost.py`.")
MESSAGES = 40
KB = 1024
GB = 1024 ** 3
# The outbox pipe's target (infra/components/senders.py): measured like every other function.
ROUTER = "route_outbox"
# Indexes of the table and the attribute that puts an item in each (sideconv.store.schema).
INDEX_KEYS = {"by_activity": "lsi1sk", "inbox": "gsi1pk", "pending_outbound": "gsi2pk"}


# Item sizes and capacity units (AWS: "Item sizes and formats", "Read/write request units") -----------

def value_size(value: dict[str, Any]) -> int:
    """Bytes DynamoDB counts for one attribute value (typed JSON, as the low-level API carries it)."""
    (kind, raw), = value.items()
    if kind == "S":
        return len(str(raw).encode())
    if kind == "N":
        digits = len(str(raw).lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(base64.b64decode(raw)) if isinstance(raw, str) else len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(value_size({kind[0]: v}) for v in raw)
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in raw)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in raw.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int, *, transactional: bool = False) -> int:
    return math.ceil(max(size, 1) / KB) * (2 if transactional else 1)


def read_units(size: int, *, consistent: bool = True, transactional: bool = False) -> float:
    units = math.ceil(max(size, 1) / (4 * KB))
    if transactional:
        return units * 2.0
    return float(units) if consistent else units / 2


def chunks(size: int, chunk: int) -> int:
    """Requests billed for a payload billed per `chunk` bytes (SQS/Pipes/EventBridge 64 KB, ...)."""
    return max(1, math.ceil(size / chunk))


def _key_of(item_or_key: dict[str, Any]) -> tuple[str, str]:
    return str(item_or_key["pk"]["S"]), str(item_or_key["sk"]["S"])


def _indexes_written(item: dict[str, Any] | None, expression: str = "") -> int:
    """Index writes a table write causes: every index the item is in, or that the write takes it out of."""
    return sum(1 for attribute in INDEX_KEYS.values()
               if (item is not None and attribute in item) or re.search(rf"\b{attribute}\b", expression))


def dynamodb_units(calls: list[counting.Call], table: dict[tuple[str, str], dict[str, Any]]) -> tuple[float, float]:
    """(write units, read units) of the recorded DynamoDB requests; `table` is the items after the run."""
    wru = rru = 0.0

    def size(key: dict[str, Any]) -> int:
        found = table.get(_key_of(key))
        return item_size(found) if found is not None else KB

    def write(item: dict[str, Any] | None, key: dict[str, Any], expression: str, transactional: bool) -> float:
        current = item if item is not None else table.get(_key_of(key))
        units = write_units(item_size(current) if current is not None else KB, transactional=transactional)
        return units + _indexes_written(current, expression) * write_units(
            item_size(current) if current is not None else KB)

    for call in calls:
        if call.service != "dynamodb":
            continue
        p = call.params or {}
        op = call.operation
        if op == "GetItem":
            rru += read_units(size(p["Key"]), consistent=bool(p.get("ConsistentRead")))
        elif op == "BatchGetItem":
            for spec in p["RequestItems"].values():
                for key in spec["Keys"]:
                    rru += read_units(size(key), consistent=bool(spec.get("ConsistentRead")))
        elif op == "TransactGetItems":
            for entry in p["TransactItems"]:
                rru += read_units(size(entry["Get"]["Key"]), transactional=True)
        elif op in ("Query", "Scan"):
            rru += read_units(call.response_bytes or 1, consistent=bool(p.get("ConsistentRead")))
        elif op == "PutItem":
            wru += write(p["Item"], p["Item"], "", False)
        elif op in ("UpdateItem", "DeleteItem"):
            wru += write(None, p["Key"], p.get("UpdateExpression", ""), False)
        elif op == "TransactWriteItems":
            for entry in p["TransactItems"]:
                (kind, spec), = entry.items()
                if kind == "Put":
                    wru += write(spec["Item"], spec["Item"], "", True)
                elif kind in ("Update", "Delete"):
                    wru += write(None, spec["Key"], spec.get("UpdateExpression", ""), True)
                else:  # ConditionCheck: a transactional read
                    rru += read_units(size(spec["Key"]), transactional=True)
        elif op == "BatchWriteItem":
            for requests in p["RequestItems"].values():
                for request in requests:
                    put = request.get("PutRequest")
                    wru += write(put["Item"], put["Item"], "", False) if put else \
                        write(None, request["DeleteRequest"]["Key"], "", False)
    return wru, rru


# What one flow used ---------------------------------------------------------------------------------

@dataclass
class Invocation:
    function: str
    seconds: float
    log_bytes: int
    records: int


@dataclass
class Flow:
    """One channel's run: its invocations, requests and the usage AWS itself adds (queues, pipes)."""

    name: str
    messages: int = 0
    invocations: list[Invocation] = field(default_factory=list)
    calls: list[counting.Call] = field(default_factory=list)
    # meter → quantity AWS adds around the handlers
    extra: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    def usage(self, table: dict[tuple[str, str], dict[str, Any]], memory_mb: dict[str, int]) -> dict[str, float]:
        """Billable units for the whole flow (divide by `messages` for one)."""
        used: defaultdict[str, float] = defaultdict(float, self.extra)
        for invocation in self.invocations:
            used["lambda.requests"] += 1
            if invocation.function == "follow_up":  # only the Scheduler invokes it
                used["scheduler.invocations"] += 1
            billed_ms = math.ceil(invocation.seconds * 1000)  # Lambda bills each invocation by the ms
            used["lambda.arm64_gb_s"] += billed_ms / 1000 * memory_mb.get(invocation.function, 512) / 1024
            used["logs.ingest_gb"] += invocation.log_bytes / GB
            used["xray.traces"] += 1
        wru, rru = dynamodb_units(self.calls, table)
        used["dynamodb.wru"] += wru
        used["dynamodb.rru"] += rru
        for call in self.calls:
            p = call.params or {}
            if call.service == "sqs" and call.operation in ("SendMessage", "ChangeMessageVisibility",
                                                            "DeleteMessage", "ReceiveMessage"):
                used["sqs.fifo_requests"] += chunks(len(str(p.get("MessageBody", "")).encode()), 64 * KB)
            elif call.service == "sqs" and call.operation == "SendMessageBatch":
                # One request per 64 KB of the batch's payload (its entries together).
                used["sqs.fifo_requests"] += chunks(
                    sum(len(str(e.get("MessageBody", "")).encode()) for e in p.get("Entries", [])), 64 * KB)
            elif call.service == "s3":
                used["s3.get" if call.operation in ("GetObject", "HeadObject") else "s3.put"] += 1
            elif call.service == "sesv2" and call.operation == "SendEmail":
                used["ses.outbound_messages"] += 1
            elif call.service == "scheduler":
                used["scheduler.api_requests"] += 1
            elif call.service == "events" and call.operation == "PutEvents":
                for entry in p.get("Entries", []):
                    used["eventbridge.events"] += chunks(len(json.dumps(entry).encode()), 64 * KB)
        return dict(used)


def cost_lines(usage: Mapping[str, float]) -> dict[str, float]:
    """Dollars for each meter of `usage`."""
    return {meter: PRICES[meter].of(quantity) for meter, quantity in usage.items() if quantity}


def per_thousand(flow_usage: Mapping[str, float], messages: int) -> dict[str, float]:
    scale = 1000 / messages
    return {meter: quantity * scale for meter, quantity in flow_usage.items()}


# Lines are grouped for the report by what a reader would call them.
LINE_OF = {
    "lambda.requests": "Lambda requests", "lambda.arm64_gb_s": "Lambda compute",
    "dynamodb.wru": "DynamoDB writes", "dynamodb.rru": "DynamoDB reads",
    "dynamodb.stream_rru": "DynamoDB Streams reads (pipes)", "dynamodb.gb_month": "DynamoDB storage (1 month)",
    "sqs.fifo_requests": "SQS FIFO", "pipes.requests": "EventBridge Pipes", "eventbridge.events": "EventBridge events",
    "scheduler.invocations": "EventBridge Scheduler", "scheduler.api_requests": "EventBridge Scheduler",
    "ses.outbound_messages": "SES", "ses.attachment_gb": "SES", "ses.inbound_messages": "SES",
    "ses.inbound_chunks": "SES", "s3.put": "S3 requests", "s3.get": "S3 requests",
    "s3.gb_month": "S3 storage (raw mail, retention)", "apigw.http_requests": "API Gateway",
    "logs.ingest_gb": "CloudWatch Logs", "xray.traces": "X-Ray traces",
}


def grouped(lines: dict[str, float]) -> dict[str, float]:
    out: defaultdict[str, float] = defaultdict(float)
    for meter, usd in lines.items():
        out[LINE_OF.get(meter, meter)] += usd
    return dict(out)


# The configured memory, read from the infrastructure code itself -------------------------------------

def configured_memory() -> tuple[int, dict[str, int]]:
    """(default MB, {function: MB}) from infra/components: the factory's default and every override."""
    factory = (ROOT / "infra" / "components" / "function.py").read_text()
    default = int(re.search(r"memory_size: int = (\d+)", factory).group(1))  # type: ignore[union-attr]
    overrides: dict[str, int] = {}
    for path in (ROOT / "infra" / "components").glob("*.py"):
        for match in re.finditer(r'factory\.create\(\s*self,\s*"(\w+)"(.*?)\)\n', path.read_text(), re.S):
            size = re.search(r"memory_size=(\d+)", match.group(2))
            if size:
                overrides[match.group(1)] = int(size.group(1))
    return default, overrides


def raw_mail_retention_days() -> int:
    return int(json.loads((ROOT / "cdk.json").read_text())["context"]["rawMailRetentionDays"])


# Running the flows ----------------------------------------------------------------------------------

class _ByteCount(io.TextIOBase):
    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)


@contextmanager
def _logs_counted() -> Iterator[_ByteCount]:
    """Count what the function logs: the Powertools logger's stream and stdout (EMF metrics)."""
    from sideconv.observability import logger

    sink = _ByteCount()
    registered = getattr(logger, "registered_handler", None)
    previous = registered.setStream(sink) if registered is not None else None
    stdout, sys.stdout = sys.stdout, sink
    try:
        yield sink
    finally:
        sys.stdout = stdout
        if registered is not None and previous is not None:
            registered.setStream(previous)


class Meter:
    """Wraps handlers: each invocation is timed, its requests recorded and its log bytes counted into
    the flow being measured (None: not measured, e.g. the setup)."""

    def __init__(self) -> None:
        self.flow: Flow | None = None

    def wrap(self, name: str, fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def measured(event: Any, context: Any) -> Any:
            flow = self.flow
            if flow is None:
                return fn(event, context)
            with counting.recording(keep_params=True) as recorder, _logs_counted() as logs:
                began = time.perf_counter()
                try:
                    return fn(event, context)
                finally:
                    # A pipe passes its batch as a JSON array; SQS and streams as {"Records": [...]}.
                    records = len(event) if isinstance(event, list) else len(event.get("Records", []))
                    flow.invocations.append(Invocation(name, time.perf_counter() - began, logs.bytes,
                                                       records or 1))
                    flow.calls += recorder.calls
        return measured


@dataclass
class World:
    aws: Aws
    stack: Any
    stand_in: Any
    meter: Meter

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        return self.meter.wrap(name, handler(name))(event, Context(name))


@contextmanager
def world() -> Iterator[World]:
    """Embedded AWS, the stack's glue with every consumer wrapped by the meter, the Slack stand-in."""
    from local import events as local_events
    from local import slack as local_slack
    from local.slack_api import LocalInstallation, SlackStandIn
    from local.stack import LocalStack

    with embedded_aws() as aws:
        stand_in = SlackStandIn(signing_secret=SIGNING_SECRET, port=0, echo_own_posts=False, installation=(
            LocalInstallation(team_id=TEAM_ID, app_id=APP_ID, bot_user_id="U0BENCHBOT", bot_id="B0BENCHBOT",
                              token="xoxb-bench")))  # noqa: S106 - the bench installation
        stand_in.channels["C0ONCALL1"] = "oncall"
        stand_in.users.update({f"U0PERSON{n:02d}": f"Person {n}" for n in range(5)})
        stand_in.start()
        try:
            stack = LocalStack(aws.settings, aws.resources)
            local_events.install(stack)
            stack.add_consumer("send_email", aws.resources.outbox_queue_urls["email"], handler("send_email"))
            local_slack._configure(stack, stand_in)
            local_slack.register(stack)
            meter = Meter()
            for consumer in stack._consumers:
                consumer.handler = meter.wrap(consumer.name, consumer.handler)
            for stream_consumer in stack._stream_consumers:
                stream_consumer.handler = meter.wrap(stream_consumer.name, stream_consumer.handler)
            for pipe in stack._pipes:  # the outbox pipe's target, route_outbox
                pipe.target = meter.wrap(pipe.name, pipe.target)
            # The router's client is cached per process: count it even if made before the hooks were.
            from functions.route_outbox import handler as route_outbox

            counting.watch(route_outbox._sqs(route_outbox.wiring))
            yield World(aws, stack, stand_in, meter)
        finally:
            stand_in.stop()


def _table_items(aws: Aws) -> dict[tuple[str, str], dict[str, Any]]:
    import boto3

    client = boto3.client("dynamodb", region_name=aws.settings.region)
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for page in client.get_paginator("scan").paginate(TableName=aws.settings.table_name):  # the bench's own
        for item in page["Items"]:
            items[_key_of(item)] = item
    return items


def _queue_work(flow: Flow, consumer: str) -> None:
    """What AWS does on the queue a consumer reads, per batch: a receive and a delete (the sends into it,
    the router's or slack_events', are recorded requests)."""
    batches = [i for i in flow.invocations if i.function == consumer]
    flow.extra["sqs.fifo_requests"] += 2 * len(batches)


def _outbound(w: World, channel: str) -> Flow:
    conversation = f"conv-cost-{channel}"
    create = scenario.create_email if channel == "email" else scenario.create_slack
    created = [create(conversation, n) for n in range(MESSAGES + 1)]
    w.stack.drain()  # the roots go out first: not measured
    path = scenario.base(conversation)
    flow = Flow(f"{channel} send")
    sender = "send_email" if channel == "email" else "send_slack"
    for n, side_conversation in enumerate(created):
        if n == 1:
            w.meter.flow = flow  # the first reply warmed every function up
        body = {"body": f"One more detail for order {1000 + n}: the refund went to the wrong card."}
        event = _api_event("POST", f"{path}/{side_conversation['id']}/messages", body)
        answer = w.invoke("api", event)
        assert answer["statusCode"] == 201, answer
        w.stack.drain()
    w.meter.flow = None
    flow.messages = MESSAGES
    flow.extra["apigw.http_requests"] += MESSAGES
    # What the pipe handed to the router (after its filter), from the router's measured invocations.
    records = sum(i.records for i in flow.invocations if i.function == ROUTER)
    assert records >= MESSAGES, f"the router saw {records} of {MESSAGES} messages"
    flow.extra["pipes.requests"] += records
    flow.extra["dynamodb.stream_rru"] += sum(1 for i in flow.invocations if i.function == ROUTER)  # GetRecords
    _queue_work(flow, sender)
    return flow


def _api_event(method: str, path: str, body: Any) -> dict[str, Any]:
    from local.apigw import http_api_event

    return http_api_event(method, path, headers={"content-type": "application/json"}, body=json.dumps(body),
                          claims=dict(scenario.CLAIMS))


def _inbound_email(w: World) -> Flow:
    import boto3

    s3 = boto3.client("s3", region_name=w.aws.settings.region)
    created = [scenario.create_email("conv-cost-inbound", n) for n in range(MESSAGES + 1)]
    w.stack.drain()
    mails = list(scenario.mail_shapes(MESSAGES + 1, seed=9))
    flow = Flow("inbound email")
    stored = 0
    for n, (side_conversation, raw) in enumerate(zip(created, mails, strict=True)):
        if n == 1:
            w.meter.flow = flow
        message_id = f"benchcostmail{n:04d}"
        scenario.put_raw_mail(s3, w.aws.settings, message_id, raw)  # the receipt rule's S3 action
        result = w.invoke("ingest_email", scenario.receipt_event(raw, message_id,
                                                                 side_conversation["email"]["reply_to"]))
        assert [r.get("outcome") for r in result.get("results", [])] == ["appended"], result
        w.stack.drain()
        if n:
            stored += len(raw)
            flow.extra["ses.inbound_chunks"] += chunks(len(raw), 256 * KB)
    w.meter.flow = None
    flow.messages = MESSAGES
    flow.extra["ses.inbound_messages"] += MESSAGES
    flow.extra["s3.put"] += MESSAGES  # SES writes each mail to the bucket
    flow.extra["s3.gb_month"] += stored / GB * raw_mail_retention_days() / 30
    return flow


def _slack_replies(w: World) -> Flow:
    created = [scenario.create_slack("conv-cost-slack-in", n) for n in range(MESSAGES + 1)]
    w.stack.drain()  # the roots are posted: their threads exist in the stand-in and in the table
    threads = []
    for side_conversation in created:
        got = w.invoke("api", _api_event_get(f"{scenario.base('conv-cost-slack-in')}/{side_conversation['id']}"))
        threads.append(json.loads(got["body"])["slack"]["thread_ts"])
    flow = Flow("Slack reply in")
    for n, thread_ts in enumerate(threads):
        if n == 1:
            w.meter.flow = flow
        envelope = scenario.slack_reply(thread_ts, n)
        answer = w.invoke("slack_events", slack_request(envelope))
        assert answer["statusCode"] == 200, answer
        w.stack.drain()
    w.meter.flow = None
    flow.messages = MESSAGES
    flow.extra["apigw.http_requests"] += MESSAGES
    _queue_work(flow, "slack_processor")
    return flow


def _follow_up_nudges(w: World) -> Flow:
    """A follow-up falls due and nudges by e-mail: the local scheduler (played on a moved clock) fires
    the real `follow_up` handler, the nudge goes out by the outbox, `publish_events` publishes the event
    and arms the next nudge. Per nudge: the Scheduler's invocation and everything after it. They fall due
    together (one move of the clock), so the stream and the outbox take them in batches, as at a busy hour."""
    from sideconv import clock, follow_up_schedules

    from local.scheduler import install

    scheduler = install(w.stack)
    scheduler.handler = w.meter.wrap("follow_up", scheduler.handler)
    body = {"channel": "email", "subject": "Refund approval", "body": "Hi finance, can you approve 42 EUR?",
            "to": [{"email": "finance@vendor.example"}], "follow_up": {"after": "PT1H"}, "nudge": True}
    path = scenario.base("conv-cost-follow-up")
    moved = 0.0

    def fall_due() -> None:
        nonlocal moved
        clock.advance(3600 + 1)
        moved += 3600 + 1
        w.stack.drain()

    flow = Flow("email nudge (a follow-up due)")
    try:
        warm = scenario.api_json("POST", path, body, expect=201)  # the warm-up: its nudge is not measured
        w.stack.drain()
        fall_due()
        scenario.api_json("PATCH", f"{path}/{warm['id']}", {"state": "closed"})  # no second nudge
        w.stack.drain()
        for _ in range(MESSAGES):
            scenario.api_json("POST", path, body, expect=201)
        w.stack.drain()
        from functions.publish_events import handler as publish_events

        counting.watch(follow_up_schedules.scheduler_client(publish_events.wiring))
        w.meter.flow = flow
        fall_due()
        w.meter.flow = None
    finally:
        clock.advance(-moved)
    fired = sum(1 for i in flow.invocations if i.function == "follow_up")
    assert fired == MESSAGES, f"{fired} of {MESSAGES} follow-ups fell due"
    flow.messages = MESSAGES
    records = sum(i.records for i in flow.invocations if i.function == ROUTER)
    flow.extra["pipes.requests"] += records
    flow.extra["dynamodb.stream_rru"] += sum(1 for i in flow.invocations if i.function == ROUTER)
    _queue_work(flow, "send_email")
    return flow


def _api_event_get(path: str) -> dict[str, Any]:
    from local.apigw import http_api_event

    return http_api_event("GET", path, headers={}, claims=dict(scenario.CLAIMS))


@dataclass
class FlowCost:
    name: str
    per_thousand_usd: float
    lines: dict[str, float]  # grouped line → USD per 1,000
    usage: dict[str, float]  # meter → units per 1,000
    invocations: dict[str, int]
    mean_ms: dict[str, float]

    @property
    def dominant(self) -> tuple[str, float]:
        line = max(self.lines, key=lambda k: self.lines[k])
        return line, self.lines[line] / self.per_thousand_usd


def price(flow: Flow, table: dict[tuple[str, str], dict[str, Any]], memory: tuple[int, dict[str, int]]) -> FlowCost:
    default, overrides = memory
    memory_mb = {name: overrides.get(name, default) for name in {i.function for i in flow.invocations}}
    usage = per_thousand(flow.usage(table, memory_mb), flow.messages)
    lines = grouped(cost_lines(usage))
    by_function: Counter[str] = Counter(i.function for i in flow.invocations)
    seconds: defaultdict[str, float] = defaultdict(float)
    for i in flow.invocations:
        seconds[i.function] += i.seconds
    return FlowCost(flow.name, sum(lines.values()), lines, dict(usage),
                    {k: round(v * 1000 / flow.messages) for k, v in by_function.items()},
                    {k: seconds[k] * 1000 / by_function[k] for k in by_function})


def measure() -> list[FlowCost]:
    memory = configured_memory()
    out = []
    for build in (lambda w: _outbound(w, "email"), lambda w: _outbound(w, "slack"), _inbound_email, _slack_replies,
                  _follow_up_nudges):
        with world() as w:
            flow = build(w)
            out.append(price(flow, _table_items(w.aws), memory))
    return out


def _figure(cost: FlowCost) -> Figure:
    line, share = cost.dominant
    ordered = sorted(cost.lines.items(), key=lambda kv: -kv[1])
    note = ("; ".join(f"{name} ${usd:.4f}" for name, usd in ordered) +
            f". Invocations per 1,000: {dict(sorted(cost.invocations.items()))}; mean ms: "
            + ", ".join(f"{k} {v:.1f}" for k, v in sorted(cost.mean_ms.items())))
    sampled = {k: v for k, v in cost.lines.items() if k != "X-Ray traces"}
    runner_up = max(sampled, key=lambda k: sampled[k])
    note += (f". X-Ray is an upper bound (every invocation traced; the default sampling rule keeps 1 a second "
             f"and 5 % beyond); without it the largest line is {runner_up}")
    return Figure("9", f"cost per 1,000 messages: {cost.name}", "reported (no budget)",
                  f"${cost.per_thousand_usd:.4f} (dominant: {line}, {share:.0%})", "info", note=note,
                  raw={"lines": cost.lines, "usage": cost.usage, "invocations": cost.invocations,
                       "mean_ms": cost.mean_ms})


def fixed_costs_note() -> str:
    """What does not scale with messages: idle polling of the stream by each pipe."""
    polls = 4 * 30 * 24 * 3600  # Pipes polls a DynamoDB stream shard about 4 times a second
    return (f"fixed, not per message: each pipe polls each stream shard ~4×/s even when idle, "
            f"{polls / 1e6:.1f} M stream read units a month ≈ ${PRICES['dynamodb.stream_rru'].of(polls):.2f} per "
            "pipe and shard; the SQS event source mappings long-poll each queue (~$0.05–0.10 a month per queue)")


def run() -> list[Figure]:
    try:
        costs = measure()
    except Exception as exc:
        return [broken("9", "cost per 1,000 messages", "reported", exc)]
    figures = [_figure(cost) for cost in costs]
    figures[0].note += ". " + fixed_costs_note()
    return figures
