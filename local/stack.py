"""The local stack: embedded AWS plus the glue AWS provides between the handlers.

Everything goes through a real handler with the event AWS would send it: API Gateway HTTP API
events for requests, the table stream's new outbound messages to the outbox router as the EventBridge
Pipe would (the router puts them on the outbox queues), and SQS batches to the consumers. One lock
serialises every touch of embedded AWS, because moto's conditional writes are not atomic across threads.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import boto3
from sideconv import channels
from sideconv.config import Settings
from sideconv.outbox import MAX_BATCH as OUTBOX_PIPE_BATCH
from sideconv.store.schema import outbox_filter

from local.apigw import http_api_event
from local.aws import LocalResources, create_resources
from local.collector import IdleCollector
from local.pipes import matches

Handler = Callable[[dict[str, Any], Any], Any]
# Pipes invoke a Lambda target with the batch as a JSON array.
PipeTarget = Callable[[list[dict[str, Any]], Any], Any]


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any) -> Reply:
        return cls(status, json.dumps(payload, indent=2, default=str).encode(),
                   {"Content-Type": "application/json"})


Route = Callable[[Request], Reply]


class LambdaContext:
    """What a handler reads from the Lambda context object."""

    def __init__(self, name: str, timeout_s: float = 30.0) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class _StreamConsumer:
    name: str
    handler: Handler
    pattern: dict[str, Any]


@dataclass
class _Pipe:
    """An EventBridge Pipe from the table stream: filter, batches of `batch_size`, a Lambda target."""

    name: str
    pattern: dict[str, Any]
    target: PipeTarget
    batch_size: int


@dataclass
class _Consumer:
    name: str
    queue_url: str
    handler: Handler
    batch_size: int


class LocalStack:
    def __init__(self, settings: Settings, resources: LocalResources | None = None) -> None:
        self.settings = settings
        self.lock = threading.RLock()
        self.resources: LocalResources = resources or create_resources(settings)
        self._routes: list[tuple[str, str, bool, Route]] = []
        self._consumers: list[_Consumer] = []
        self._stream_consumers: list[_StreamConsumer] = []
        # What else AWS does on its own between the handlers each round (the Scheduler's firings).
        self._tickers: list[Callable[[], int]] = []
        self._pipes: list[_Pipe] = [self._outbox_pipe()]
        self._servers: list[tuple[Callable[[], None], Callable[[], None]]] = []
        self._stop = threading.Event()
        self._shard_iterators: dict[str, str | None] = {}
        self._streams = boto3.client("dynamodbstreams", region_name=settings.region)
        self._sqs = boto3.client("sqs", region_name=settings.region)
        self.ready = threading.Event()
        # The glue thread's rounds, for settle(): how many have begun, the last that moved nothing.
        self._rounds = threading.Condition()
        self._round_begun = self._round_quiet = 0
        self._wake = threading.Event()
        # `python -m local` sets one (local.collector): full collections between requests, not in them.
        self.collector: IdleCollector | None = None

    # Registration -------------------------------------------------------------------------

    def add_route(self, method: str, path: str, route: Route, *, prefix: bool = False) -> None:
        """Serve `path` (or every path under it) before the /v1 API; used for /_local/* and Slack."""
        self._routes.append((method.upper(), path, prefix, route))

    def add_consumer(self, name: str, queue_url: str, handler: Handler, *, batch_size: int = 10) -> None:
        """Feed an SQS queue to a handler as Lambda's event source mapping would."""
        self._consumers.append(_Consumer(name, queue_url, handler, batch_size))

    def add_outbox_sender(self, channel_name: str) -> None:
        """A channel's sender on its outbox queue, as its declaration says (sideconv.channels.Outbox)."""
        import importlib

        outbox = channels.get(channel_name).outbox
        module, attribute = outbox.handler_path()
        handler = getattr(importlib.import_module(module), attribute)
        self.add_consumer(outbox.function, self.resources.outbox_queue_urls[channel_name], handler,
                          batch_size=outbox.batch_size)

    def add_stream_consumer(self, name: str, handler: Handler, pattern: dict[str, Any]) -> None:
        """Feed the table stream to a handler as a filtered DynamoDB event source mapping would."""
        self._stream_consumers.append(_StreamConsumer(name, handler, pattern))

    def add_ticker(self, tick: Callable[[], int]) -> None:
        """Run `tick` each round of the glue (it returns how much it moved)."""
        self._tickers.append(tick)

    def add_server(self, start: Callable[[], None], stop: Callable[[], None]) -> None:
        self._servers.append((start, stop))

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Around a request or a mail from outside: the idle collector waits until it is answered."""
        if self.collector is None:
            yield
        else:
            with self.collector.serving():
                yield

    def invoke(self, name: str, handler: Handler, event: dict[str, Any]) -> Any:
        with self.lock:
            return handler(event, LambdaContext(name))

    # The AWS glue ----------------------------------------------------------------------------

    def pump(self) -> int:
        """One round of the glue: relay new stream records, then deliver queued messages.

        Returns how many records and messages moved, so tests can drain until quiet.
        """
        moved = self._relay_stream()
        for tick in self._tickers:
            moved += tick()
        for consumer in self._consumers:
            moved += self._deliver(consumer)
        return moved

    def drain(self, rounds: int = 50) -> None:
        for _ in range(rounds):
            if self.pump() == 0:
                return

    def _relay_stream(self) -> int:
        """EventBridge Pipes: table stream → filter → FIFO outbox queue (group and dedup ids)."""
        moved = 0
        with self.lock:
            description = self._streams.describe_stream(StreamArn=self.resources.stream_arn)["StreamDescription"]
            for shard in description["Shards"]:
                shard_id = shard["ShardId"]
                if shard_id not in self._shard_iterators:
                    self._shard_iterators[shard_id] = self._streams.get_shard_iterator(
                        StreamArn=self.resources.stream_arn, ShardId=shard_id,
                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                iterator = self._shard_iterators[shard_id]
                if iterator is None:
                    continue
                page = self._streams.get_records(ShardIterator=iterator, Limit=100)
                self._shard_iterators[shard_id] = page.get("NextShardIterator")
                records = [_lambda_stream_record(r, self.resources.stream_arn, self.settings.region)
                           for r in page["Records"]]
                for consumer in self._stream_consumers:
                    batch = [r for r in records if matches(consumer.pattern, r)]
                    if batch:
                        self._invoke_stream_consumer(consumer, batch)
                        moved += len(batch)
                for pipe in self._pipes:
                    moved += self._play_pipe(pipe, [r for r in records if matches(pipe.pattern, r)])
        return moved

    def _outbox_pipe(self) -> _Pipe:
        """The outbox pipe (infra/components/senders.py): every channel's new outbound messages to
        `route_outbox`, given the queue URLs as its environment, as in AWS."""
        from sideconv.wiring import Wiring

        from functions.route_outbox import handler

        for channel, url in self.resources.outbox_queue_urls.items():
            os.environ[channels.queue_url_variable(channel)] = url
        handler.wiring = Wiring.from_env()  # a cold start with that environment
        return _Pipe("route_outbox", outbox_filter(), handler.lambda_handler, OUTBOX_PIPE_BATCH)

    def _play_pipe(self, pipe: _Pipe, records: list[dict[str, Any]]) -> int:
        """Batches of the filtered records to the target (a JSON array, as Pipes invokes Lambda). A batch
        whose target reports failures (by eventID) is retried from the first of them, a bounded number
        of times; what is left is logged, as the pipe's dead-letter queue would keep it."""
        import logging

        for start in range(0, len(records), pipe.batch_size):
            pending = records[start:start + pipe.batch_size]
            for _ in range(3):
                try:
                    result = pipe.target(pending, LambdaContext(pipe.name))
                except Exception:
                    logging.getLogger("local").exception("pipe target %s failed", pipe.name)
                    continue
                failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
                if not failed:
                    pending = []
                    break
                first = next(n for n, r in enumerate(pending) if r["eventID"] in failed)
                pending = pending[first:]
            if pending:
                logging.getLogger("local").error("pipe %s gave up on %d records", pipe.name, len(pending))
        return len(records)

    def _invoke_stream_consumer(self, consumer: _StreamConsumer, batch: list[dict[str, Any]]) -> None:
        """Lambda retries a stream batch until it succeeds (or reports the records that failed):
        a bounded number of retries here, then the records are logged, as a DLQ would keep them."""
        import logging

        pending = batch
        for _ in range(3):
            try:
                result = consumer.handler({"Records": pending}, LambdaContext(consumer.name))
            except Exception:
                logging.getLogger("local").exception("stream consumer %s failed", consumer.name)
                continue
            failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
            if not failed:
                return
            # Lambda retries from the first failed sequence number.
            first = min(int(r["dynamodb"]["SequenceNumber"]) for r in pending
                        if r["dynamodb"]["SequenceNumber"] in failed)
            pending = [r for r in pending if int(r["dynamodb"]["SequenceNumber"]) >= first]
        logging.getLogger("local").error("stream consumer %s gave up on %d records", consumer.name, len(pending))

    def _deliver(self, consumer: _Consumer) -> int:
        with self.lock:
            received = self._sqs.receive_message(
                QueueUrl=consumer.queue_url, MaxNumberOfMessages=consumer.batch_size,
                AttributeNames=["All"], MessageAttributeNames=["All"])
            messages = received.get("Messages", [])
            if not messages:
                return 0
            arn = self._sqs.get_queue_attributes(QueueUrl=consumer.queue_url,
                                                 AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            event = {"Records": [_sqs_record(m, arn, self.settings.region) for m in messages]}
            try:
                result = consumer.handler(event, LambdaContext(consumer.name))
            except Exception:  # the whole batch failed: Lambda leaves it to the visibility timeout
                import logging

                logging.getLogger("local").exception("consumer %s failed", consumer.name)
                return len(messages)
            failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
            for message in messages:
                if message["MessageId"] not in failed:
                    self._sqs.delete_message(QueueUrl=consumer.queue_url,
                                             ReceiptHandle=message["ReceiptHandle"])
            return len(messages)

    def _run_glue(self, interval: float) -> None:
        while not self._stop.is_set():
            with self._rounds:
                self._round_begun += 1
                number = self._round_begun
            try:
                moved = self.pump()
            except Exception:
                import logging

                logging.getLogger("local").exception("glue round failed")
                moved = 0
            with self._rounds:
                if not moved:
                    self._round_quiet = number
                self._rounds.notify_all()
            if not moved:
                if self.collector is not None:
                    self.collector.idle()
                self._wake.wait(interval)
                self._wake.clear()

    def settle(self, timeout: float = 10.0) -> bool:
        """Wake the glue and wait for a round of it that began after this call and moved nothing:
        what the handlers had written by then has gone through every hop (a test's hook instead of
        polling; `POST /_local/settle`). False if the glue is still busy after `timeout` seconds."""
        with self._rounds:
            after = self._round_begun
            self._wake.set()
            return self._rounds.wait_for(lambda: self._round_quiet > after, timeout)

    # Serving ---------------------------------------------------------------------------------

    def route_for(self, method: str, path: str) -> Route | None:
        for route_method, route_path, prefix, route in self._routes:
            if route_method not in (method, "ANY"):
                continue
            if path == route_path or (prefix and path.startswith(route_path)):
                return route
        return None

    def serve(self, host: str, port: int, api: Route, *, glue_interval: float = 0.05) -> ThreadingHTTPServer:
        stack = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as separate writes: without this, a kept-alive connection waits
            # for the client's delayed ACK (~40 ms) on every answer.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                with stack.serving():
                    self._serve()

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, parts.path, parts.query,
                                  {k.lower(): v for k, v in self.headers.items()},
                                  self.rfile.read(length) if length else b"")
                route = stack.route_for(self.command, parts.path)
                if route is None and parts.path == "/_local/health":
                    health: dict[str, Any] = {"status": "ok" if stack.ready.is_set() else "starting"}
                    if stack.collector is not None:
                        health["collector"] = stack.collector.stats()
                    reply = Reply.json(200 if stack.ready.is_set() else 503, health)
                elif route is None and parts.path == "/_local/settle" and self.command == "POST":
                    settled = stack.settle()
                    reply = Reply.json(200 if settled else 504, {"settled": settled})
                elif route is None and parts.path.startswith("/v1/"):
                    reply = api(request)
                elif route is None:
                    reply = Reply.json(404, {"title": "Not found", "status": 404})
                else:
                    reply = route(request)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        server = ThreadingHTTPServer((host, port), RequestHandler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
        for start, _ in self._servers:
            start()
        threading.Thread(target=self._run_glue, args=(glue_interval,), name="glue", daemon=True).start()
        self.ready.set()
        self._http = server
        return server

    def shutdown(self) -> None:
        self._stop.set()
        self._wake.set()
        for _, stop in self._servers:
            stop()
        if getattr(self, "_http", None) is not None:
            self._http.shutdown()


def _lambda_stream_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A GetRecords record in the shape Lambda and Pipes hand to a target."""
    stream = dict(record["dynamodb"])
    created = stream.get("ApproximateCreationDateTime")
    if created is not None and hasattr(created, "timestamp"):
        stream["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": stream, "eventSource": "aws:dynamodb", "eventSourceARN": stream_arn,
            "awsRegion": region}


def _sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: {"stringValue": value.get("StringValue"), "dataType": value.get("DataType")}
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def lambda_proxy_reply(response: dict[str, Any]) -> Reply:
    """An API Gateway proxy integration's answer as HTTP."""
    body = response.get("body") or ""
    raw = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
    headers = dict(response.get("headers") or {})
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(values)
    return Reply(int(response.get("statusCode", 200)), raw, headers)


def api_event_from(request: Request, claims: dict[str, Any] | None) -> dict[str, Any]:
    return http_api_event(request.method, request.path, query=request.query, headers=request.headers,
                          body=request.body if request.body else None, claims=claims)


__all__ = ["HTTPStatus", "LocalStack", "Reply", "Request", "api_event_from", "lambda_proxy_reply"]
