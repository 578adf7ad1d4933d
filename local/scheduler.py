"""EventBridge Scheduler on the local stack, with a clock the tests can move.

The follow-ups' one-time schedules are created, moved and deleted in embedded AWS by the real
`publish_events` (sideconv.follow_up_schedules); here each round of the glue fires those whose `at()`
time has passed on the local clock (`sideconv.clock`): the real `follow_up` handler with the schedule's
input, then the schedule deleted, as `ActionAfterCompletion: DELETE` does. A firing that fails three
times goes to the schedule's dead-letter queue, as the Scheduler's retry policy would end.

`POST /_local/clock {"advance_seconds": n}` moves the clock (and fires what fell due);
`GET /_local/clock` reads it.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import boto3
from sideconv import clock

from local.aws import FOLLOW_UP_GROUP
from local.stack import LambdaContext, LocalStack, Reply, Request

MAX_ADVANCE_SECONDS = 366 * 24 * 3600
ATTEMPTS = 3
# The glue runs a round every 50 ms and more often when busy; the schedules are looked at this often,
# and at once when the clock was moved.
LOOK_EVERY_S = 0.25


def _at(expression: str) -> datetime | None:
    if not (expression.startswith("at(") and expression.endswith(")")):
        return None
    return datetime.fromisoformat(expression[3:-1]).replace(tzinfo=UTC)


class LocalScheduler:
    def __init__(self, stack: LocalStack) -> None:
        from functions.follow_up.handler import lambda_handler

        self.stack = stack
        self.handler: Any = lambda_handler
        self.client = boto3.client("scheduler", region_name=stack.settings.region)
        self.sqs = boto3.client("sqs", region_name=stack.settings.region)
        self.fired: list[dict[str, Any]] = []
        # Schedule name → (its last modification, the time it fires): a schedule is read once per change.
        self._times: dict[str, tuple[Any, datetime | None, dict[str, Any]]] = {}
        self._next_look = 0.0
        self._offset_seen = clock.offset_seconds()

    def _due(self) -> list[tuple[str, dict[str, Any]]]:
        now = clock.now()
        due = []
        pages = self.client.get_paginator("list_schedules").paginate(GroupName=FOLLOW_UP_GROUP)
        names = set()
        for page in pages:
            for summary in page["Schedules"]:
                name, modified = summary["Name"], summary.get("LastModificationDate")
                names.add(name)
                known = self._times.get(name)
                if known is None or known[0] != modified:
                    schedule = self.client.get_schedule(Name=name, GroupName=FOLLOW_UP_GROUP)
                    known = (modified, _at(schedule["ScheduleExpression"]), schedule["Target"])
                    self._times[name] = known
                if known[1] is not None and known[1] <= now:
                    due.append((name, known[2]))
        for gone in set(self._times) - names:
            del self._times[gone]
        return due

    def tick(self) -> int:
        moved = clock.offset_seconds() != self._offset_seen
        if not moved and time.monotonic() < self._next_look:
            return 0
        self._next_look, self._offset_seen = time.monotonic() + LOOK_EVERY_S, clock.offset_seconds()
        with self.stack.lock:
            due = self._due()
            for name, target in due:
                self._fire(name, target)
        return len(due)

    def _fire(self, name: str, target: dict[str, Any]) -> None:
        event = json.loads(target.get("Input") or "{}")
        for _ in range(ATTEMPTS):
            try:
                result = self.handler(event, LambdaContext("follow_up"))
                self.fired.append({"schedule": name, **event, **(result or {})})
                break
            except Exception:
                logging.getLogger("local").exception("follow-up schedule %s failed", name)
        else:
            dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn", "")
            queue = self.sqs.get_queue_url(QueueName=dead_letter.rpartition(":")[2])["QueueUrl"]
            self.sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(event))
        self.client.delete_schedule(Name=name, GroupName=FOLLOW_UP_GROUP)
        self._times.pop(name, None)

    def read_clock(self, _: Request) -> Reply:
        return Reply.json(200, self._clock())

    def _clock(self) -> dict[str, Any]:
        with self.stack.lock:
            schedules = sum(1 for _ in self._times)
        return {"now": clock.now_iso(), "offset_seconds": clock.offset_seconds(), "schedules": schedules,
                "fired": len(self.fired)}

    def move_clock(self, request: Request) -> Reply:
        try:
            body = json.loads(request.body or b"{}")
            seconds = body["advance_seconds"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) \
                    or not 0 <= seconds <= MAX_ADVANCE_SECONDS:
                raise ValueError
        except (ValueError, KeyError, TypeError, AttributeError):
            detail = f"a number of seconds from 0 to {MAX_ADVANCE_SECONDS}"
            return Reply(422, json.dumps({
                "type": "https://atender.dev/problems/validation", "title": "Request validation failed",
                "status": 422, "detail": f"advance_seconds: {detail}",
                "errors": [{"field": "advance_seconds", "in": "body", "pointer": "#/advance_seconds",
                            "detail": detail}]}).encode(), {"Content-Type": "application/problem+json"})
        with self.stack.lock:
            clock.advance(float(seconds))
        self.tick()
        return Reply.json(200, self._clock())


def install(stack: LocalStack) -> LocalScheduler:
    scheduler = LocalScheduler(stack)
    stack.add_ticker(scheduler.tick)
    stack.add_route("GET", "/_local/clock", scheduler.read_clock)
    stack.add_route("POST", "/_local/clock", scheduler.move_clock)
    return scheduler
