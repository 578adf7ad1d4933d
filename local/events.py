"""Events on the local stack: the stream feeds `publish_events`; what reaches the bus is kept for
`GET /_local/events` (newest first), copied there by an EventBridge rule to a queue."""

from __future__ import annotations

import json
from typing import Any

import boto3
from sideconv.store.schema import events_filter

from local.stack import LocalStack, Reply, Request


def install(stack: LocalStack) -> None:
    from functions.publish_events.handler import lambda_handler

    stack.add_stream_consumer("publish_events", lambda_handler, events_filter())
    captured: list[dict[str, Any]] = []
    sqs = boto3.client("sqs", region_name=stack.settings.region)
    queue_url = stack.resources.events_capture_queue_url

    def list_events(_: Request) -> Reply:
        with stack.lock:
            while True:
                batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
                if not batch:
                    break
                for message in batch:
                    captured.append(json.loads(message["Body"]))
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            return Reply.json(200, list(reversed(captured)))

    stack.add_route("GET", "/_local/events", list_events)
