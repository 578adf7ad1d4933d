"""Figure 9b: delivery latency, from the API's write to the provider call, on the local stack.

The local stack runs in this process as `make dev` runs it (`local.app.build()`, real HTTP on free
127.0.0.1 ports, its glue thread polling the stream and the queues every 50 ms). Each message is a
new side conversation created with `POST` over HTTP; its clock starts when that request returns
(the write is committed) and stops when the provider sees the call: SES `SendRawEmail` reaching
embedded SES (moto's backend, hooked), or the Slack stand-in receiving `chat.postMessage` (the
`ts` it gives the post is its clock at that moment). Reusable: `local_stack()` starts a stack (seed
it as you like) and `delivery_latency()` measures one channel on it.

Beside it, what AWS documents for the same pipeline, and the end-to-end figure to expect there.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from bench.core import Figure, broken, check, percentile
from local.process import free_port

BUDGET_P99_S = 2.0
MESSAGES = 200
GAP_S = 0.25
HOW = (f"{MESSAGES} side conversations per channel created over HTTP on the local stack started in-process "
       f"(`bench.latency.local_stack`, the stack `make dev` runs, glue polling every 50 ms), one every "
       f"{GAP_S * 1000:.0f} ms (the local stack runs every consumer under one lock, one at a time: faster arrivals "
       "would measure its queue, not the pipeline); "
       "latency = the provider call (SES SendRawEmail reaching embedded SES; the Slack stand-in receiving "
       "chat.postMessage) minus the moment the create request returned. AWS figures: documented polling and "
       "batching of the same hops, with sources.")

# What AWS documents for each hop of the outbox (seconds: typical, and what adds to the tail).
AWS_HOPS: list[tuple[str, float, float, str]] = [
    ("DynamoDB write → stream record", 0.0, 0.1, "stream records appear in near real time (DynamoDB "
     "developer guide, Streams: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html)"),
    ("stream → EventBridge Pipe (shard polling)", 0.125, 0.25, "Lambda's stream source polls each shard 4 times "
     "a second (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html); the Pipes page documents no rate "
     "of its own, so the same is assumed (https://docs.aws.amazon.com/eventbridge/latest/userguide/"
     "eb-pipes-dynamodb.html)"),
    ("Pipe batching window", 0.0, 0.0, "batch size up to 10 with MaximumBatchingWindowInSeconds 0: a poll's "
     "records go at once (range 0–300 s: "
     "https://docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_PipeSourceDynamoDBStreamParameters.html)"),
    ("Pipe → route_outbox → SQS FIFO SendMessageBatch", 0.03, 0.5, "one synchronous invoke of the router (warm: "
     "about 10 ms; cold: its init, botocore only, measured by group 1) and one SendMessageBatch per channel "
     "(tens of ms; https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html)"),
    ("SQS FIFO → Lambda event source mapping", 0.02, 0.2, "pollers long-poll; the batching window is not "
     "supported for FIFO queues, so a message is handed over when received "
     "(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html)"),
    ("sender Lambda invoke (warm / cold)", 0.01, 1.0, "a cold start adds the runtime's and the handler's init "
     "(measured by `make bench` group 1; https://docs.aws.amazon.com/lambda/latest/dg/"
     "lambda-runtime-environment.html)"),
    ("sender's own work (read, call, record)", 0.05, 0.3, "one DynamoDB read, the provider's call, one write"),
]


def aws_expected() -> tuple[float, float]:
    """(typical, tail) seconds from the API's write to the provider call in AWS."""
    return sum(h[1] for h in AWS_HOPS), sum(h[2] for h in AWS_HOPS)


@dataclass
class RunningStack:
    base_url: str
    stack: Any
    slack: Any
    ses_calls: list[tuple[float, str]] = field(default_factory=list)  # (time.time(), raw mail)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def headers(self) -> dict[str, str]:
        from local.token import mint

        return {"Authorization": f"Bearer {mint('agent', 'acme', 'agent-1')}"}


@contextlib.contextmanager
def local_stack(**env: str) -> Iterator[RunningStack]:
    """The local stack as `make dev` builds it, serving on free 127.0.0.1 ports in this process, with
    embedded SES's sends timestamped; everything (environment, embedded AWS, servers) undone on exit."""
    from moto import mock_aws
    from moto.ses.models import SESBackend

    from local import app
    from local.containers import cold_start

    saved = dict(os.environ)
    port = free_port()
    os.environ.update({"PORT": str(port), "SMTP_PORT": str(free_port()), "SLACK_API_PORT": str(free_port()),
                       "POWERTOOLS_LOG_LEVEL": "WARNING", **env})
    for name in ("SLACK_API_URL", "SLACK_BOT_TOKEN", "TABLE_NAME"):
        os.environ.pop(name, None)
    embedded = mock_aws()
    original = SESBackend.send_raw_email
    holder: dict[str, RunningStack] = {}

    def timed_send(self: Any, source: Any, destinations: Any, raw_data: str, *args: Any, **kwargs: Any) -> Any:
        running = holder.get("running")
        if running is not None:
            with running._lock:
                running.ses_calls.append((time.time(), raw_data))
        return original(self, source, destinations, raw_data, *args, **kwargs)

    quiet = contextlib.redirect_stdout(open(os.devnull, "w"))  # noqa: SIM115 - EMF metrics print per call
    stack = None
    try:
        quiet.__enter__()
        cold_start()
        with mock.patch("moto.mock_aws", return_value=embedded):
            stack = app.build()  # starts `embedded`
        SESBackend.send_raw_email = timed_send  # type: ignore[method-assign]
        stack.serve("127.0.0.1", port, stack.api_route)  # type: ignore[attr-defined]
        running = RunningStack(f"http://127.0.0.1:{port}", stack, getattr(stack, "slack", None))
        holder["running"] = running
        yield running
    finally:
        SESBackend.send_raw_email = original  # type: ignore[method-assign]
        if stack is not None:
            stack.shutdown()
        with contextlib.suppress(RuntimeError):
            embedded.stop()
        quiet.__exit__(None, None, None)
        os.environ.clear()
        os.environ.update(saved)
        cold_start()


def delivery_latency(running: RunningStack, channel: str, count: int = MESSAGES, *, gap_s: float = GAP_S,
                     conversation: str | None = None, timeout_s: float = 120.0) -> list[float]:
    """Seconds from each create request returning to its provider call, for `count` new side
    conversations on `channel` ("email" or "slack"), one every `gap_s`."""
    import requests

    conversation = conversation or f"conv-latency-{uuid.uuid4().hex[:8]}"
    url = f"{running.base_url}/v1/conversations/{conversation}/side-conversations"
    session = requests.Session()
    headers = running.headers()
    written: dict[str, float] = {}
    for n in range(count):
        marker = f"lat{uuid.uuid4().hex[:12]}"
        body: dict[str, Any] = {"channel": channel, "subject": f"Latency {n}", "body": f"Please check {marker}"}
        if channel == "email":
            body["to"] = [{"email": f"vendor{n}@partner.example", "name": "Vera Vendor"}]
        else:
            body["slack"] = {"target": "channel", "channel_id": "C0ONCALL"}
        answer = session.post(url, json=body, headers=headers, timeout=30)
        written[marker] = time.time()
        if answer.status_code != 201:
            raise AssertionError(f"create refused: {answer.status_code} {answer.text[:300]}")
        time.sleep(gap_s)
    deadline = time.monotonic() + timeout_s
    while True:
        seen = _provider_times(running, channel, set(written))
        if len(seen) == len(written):
            return [seen[m] - written[m] for m in written]
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(written) - len(seen)} of {count} {channel} messages never reached the provider")
        time.sleep(0.1)


def _provider_times(running: RunningStack, channel: str, markers: set[str]) -> dict[str, float]:
    found: dict[str, float] = {}
    if channel == "email":
        with running._lock:
            calls = list(running.ses_calls)
        for at, raw in calls:
            for marker in markers - set(found):
                if marker in raw:
                    found[marker] = at
    else:
        for post in running.slack.messages():
            text = str(post.get("text") or "")
            for marker in markers - set(found):
                if marker in text:
                    found[marker] = float(post["ts"])  # the stand-in's clock when the post arrived
    return found


def run() -> list[Figure]:
    typical, tail = aws_expected()
    hops = "; ".join(f"{name}: {low * 1000:.0f}–{high * 1000:.0f} ms ({source})"
                     for name, low, high, source in AWS_HOPS)
    aws_text = (f"expected on AWS, write → provider call: about {typical:.2f} s typical, up to {tail:.1f} s with a "
                f"cold router and sender (sum of the documented hops)")
    figures: list[Figure] = []
    try:
        with local_stack() as running:
            results = {channel: delivery_latency(running, channel) for channel in ("email", "slack")}
    except Exception as exc:
        return [broken("9", "delivery latency (local stack)", f"p99 ≤ {BUDGET_P99_S:.0f} s", exc)]
    for channel, samples in results.items():
        p50, p99 = percentile(samples, 50), percentile(samples, 99)
        figures.append(Figure(
            "9", f"delivery latency, API write → {'SES SendRawEmail' if channel == 'email' else 'chat.postMessage'} "
                 f"(local stack, {len(samples)} messages)",
            f"p99 ≤ {BUDGET_P99_S:.0f} s", f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max "
            f"{max(samples) * 1000:.0f} ms", check(p99, BUDGET_P99_S), floor=aws_text,
            note=f"AWS hops: {hops}" if channel == "email" else "", raw={"samples_s": samples}))
    return figures
