"""The side conversation's one EventBridge Scheduler schedule, kept in step from the table's stream.

`publish_events` already sees every change of a summary, so it also arms, moves and deletes the
schedule: nothing on the API's write path, and no third reader on the stream. A change calls the
Scheduler only when the firing time changed (`follow_ups.next_fire` of the old and new image), once.
The schedule is named by the side conversation (`follow_ups.schedule_name`), one-time (`at()`), with
no flexible window, and keeps what it could not deliver in a dead-letter queue. It does not delete
itself after it ran (`ActionAfterCompletion: NONE`): the firing's own change of the summary comes back
here, and either moves it to the next nudge (UpdateSchedule) or deletes it (DeleteSchedule), one call
either way. A schedule that deleted itself would race that re-arm: the Scheduler's deletion could land
after the UpdateSchedule of the same name and drop the next nudge. Its target is the follow-up
function with the side conversation's keys and the time it was armed for: a firing that no longer
matches the summary is ignored there.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sideconv import clock, follow_ups, keys
from sideconv.observability import logger
from sideconv.wiring import Wiring, built

# Scheduler refuses nothing in the past, but a time a moment away is what a late change means.
EARLIEST_SECONDS = 5


@dataclass(frozen=True)
class Target:
    group: str
    function_arn: str
    role_arn: str
    dead_letter_arn: str


@built
def scheduler_client(wiring: Wiring) -> Any:
    import boto3

    return boto3.client("scheduler", region_name=wiring.settings.region)


@built
def configured_target(wiring: Wiring) -> Target | None:
    import os

    arn = os.environ.get("FOLLOW_UP_FUNCTION_ARN")
    if not arn:
        return None
    return Target(os.environ.get("FOLLOW_UP_SCHEDULE_GROUP", "side-conversations"), arn,
                  os.environ.get("FOLLOW_UP_SCHEDULER_ROLE_ARN", ""), os.environ.get("FOLLOW_UP_DLQ_ARN", ""))


def sync(wiring: Wiring, event_name: str, new: dict[str, Any], old: dict[str, Any], target: Target) -> str | None:
    """Arm, move or delete the schedule for this change of a summary; the Scheduler call made, if any."""
    if (new.get("kind") or old.get("kind")) != "side_conversation":
        return None
    before = None if event_name == "INSERT" else follow_ups.next_fire(old)
    after = None if event_name == "REMOVE" else follow_ups.next_fire(new)
    if before == after:
        return None
    image = new or old
    name = follow_ups.schedule_name(str(image["id"]))
    scheduler = scheduler_client(wiring)
    if after is None:
        with contextlib.suppress(scheduler.exceptions.ResourceNotFoundException):  # never created (an outage)
            scheduler.delete_schedule(Name=name, GroupName=target.group)
        return "DeleteSchedule"
    earliest = clock.now() + timedelta(seconds=EARLIEST_SECONDS)
    # at() takes whole seconds: round up, so the firing is never before the time it was armed for.
    at = max(follow_ups.parse_time(after), earliest)
    at = at.replace(microsecond=0) + timedelta(seconds=1 if at.microsecond else 0)
    request = {
        "Name": name, "GroupName": target.group,
        "ScheduleExpression": f"at({at:%Y-%m-%dT%H:%M:%S})", "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"}, "ActionAfterCompletion": "NONE",
        "Target": {"Arn": target.function_arn, "RoleArn": target.role_arn,
                   "Input": json.dumps({"account_id": image["account_id"],
                                        "conversation_id": image["conversation_id"],
                                        "side_conversation_id": image["id"], "next_fire": after}),
                   "DeadLetterConfig": {"Arn": target.dead_letter_arn},
                   "RetryPolicy": {"MaximumRetryAttempts": 5, "MaximumEventAgeInSeconds": 3600}},
    }
    # One exists when the old image had a time (one that ran stays until moved or deleted here).
    exists = before is not None
    try:
        (scheduler.update_schedule if exists else scheduler.create_schedule)(**request)
    except scheduler.exceptions.ResourceNotFoundException:
        scheduler.create_schedule(**request)
    except scheduler.exceptions.ConflictException:
        scheduler.update_schedule(**request)
    logger.info("follow-up schedule armed", extra={"side_conversation_id": image["id"], "at": after})
    return "UpdateSchedule" if exists else "CreateSchedule"


def unmark_inbox(wiring: Wiring, new: dict[str, Any]) -> bool:
    """The inbox shows a due follow-up first (`keys.inbox_due_sk`); when it is no longer due and no
    message moved the summary's inbox key (a PATCH changed the follow-up, a reopen), put it back
    where waiting on the other party sorts. One conditional UpdateItem, only then."""
    if not keys.is_inbox_due(new.get(keys.GSI_INBOX_SK)):
        return False
    current = follow_ups.plan(new)
    if current is not None and current.state == follow_ups.DUE:
        return False
    if new.get("state") != "open" or new.get("last_direction") != "outbound":
        return False
    # Imported here: the stream's other changes never reach it (its transactions module is not loaded).
    from sideconv.store import follow_up_store

    sort_key = keys.inbox_sk("external", str(new["waiting_since"]), str(new["id"]))
    return follow_up_store.configured_store(wiring).unmark_inbox_due(
        new["pk"], new["sk"], new[keys.GSI_INBOX_SK], sort_key)
