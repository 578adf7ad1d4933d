"""The side conversation's one EventBridge Scheduler schedule, kept in step from the table's stream.

`publish_events` already sees every change of a summary, so it also arms, moves and deletes the
schedule: nothing on the API's write path, and no third reader on the stream. A change calls the
Scheduler only when the firing time changed (`follow_ups.next_fire` of the old and new image), once.
The schedule is named by the side conversation (`follow_ups.schedule_name`), one-time (`at()`), with
no flexible window, deletes itself after it ran, and keeps what it could not deliver in a dead-letter
queue. Its target is the follow-up function with the side conversation's keys and the time it was
armed for: a firing that no longer matches the summary is ignored there.

A new summary also gets the account's defaults here (one GetItem and, when the account has any, one
UpdateItem): the create request itself reads nothing.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from sideconv import clock, follow_up_settings, follow_ups, keys
from sideconv.config import get_settings
from sideconv.container import keep
from sideconv.observability import logger
from sideconv.store import models
from sideconv.store.models import SideConversationItem

# Scheduler refuses nothing in the past, but a time a moment away is what a late change means.
EARLIEST_SECONDS = 5


@dataclass(frozen=True)
class Target:
    group: str
    function_arn: str
    role_arn: str
    dead_letter_arn: str


@keep
@lru_cache(maxsize=1)
def _scheduler() -> Any:
    import boto3

    return boto3.client("scheduler", region_name=get_settings().region)


def configured_target() -> Target | None:
    import os

    arn = os.environ.get("FOLLOW_UP_FUNCTION_ARN")
    if not arn:
        return None
    return Target(os.environ.get("FOLLOW_UP_SCHEDULE_GROUP", "side-conversations"), arn,
                  os.environ.get("FOLLOW_UP_SCHEDULER_ROLE_ARN", ""), os.environ.get("FOLLOW_UP_DLQ_ARN", ""))


def apply_defaults(new: dict[str, Any]) -> bool:
    """A new side conversation: the account's default follow-up (when it was created without one)
    and its inactivity limit. True when the summary was updated (its change re-enters the stream)."""
    settings = follow_up_settings.get(str(new["account_id"]))
    summary = SideConversationItem
    actions = []
    if new.get("follow_up_default") and settings.default_after is not None:
        actions.append(summary.follow_up_after.set(summary.follow_up_after | settings.default_after))
    if settings.auto_close_after is not None:
        actions.append(summary.auto_close_after.set(settings.auto_close_after))
    if not actions:
        return False
    item = SideConversationItem(new["pk"], new["sk"])
    return models.update_if(item, [*actions, summary.follow_up_default.remove()], summary.pk.exists())


def sync(event_name: str, new: dict[str, Any], old: dict[str, Any], target: Target) -> str | None:
    """Arm, move or delete the schedule for this change of a summary; the Scheduler call made, if any."""
    if (new.get("kind") or old.get("kind")) != "side_conversation":
        return None
    if event_name == "INSERT":
        models.bind_configured()
        if apply_defaults(new):
            return None  # the update's own stream record arms the schedule
    before = None if event_name == "INSERT" else follow_ups.next_fire(old)
    after = None if event_name == "REMOVE" else follow_ups.next_fire(new)
    if before == after:
        return None
    image = new or old
    name = follow_ups.schedule_name(str(image["id"]))
    scheduler = _scheduler()
    if after is None:
        with contextlib.suppress(scheduler.exceptions.ResourceNotFoundException):  # it ran, deleted itself
            scheduler.delete_schedule(Name=name, GroupName=target.group)
        return "DeleteSchedule"
    earliest = clock.now() + timedelta(seconds=EARLIEST_SECONDS)
    # at() takes whole seconds: round up, so the firing is never before the time it was armed for.
    at = max(follow_ups.parse_time(after), earliest)
    at = at.replace(microsecond=0) + timedelta(seconds=1 if at.microsecond else 0)
    request = {
        "Name": name, "GroupName": target.group,
        "ScheduleExpression": f"at({at:%Y-%m-%dT%H:%M:%S})", "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"}, "ActionAfterCompletion": "DELETE",
        "Target": {"Arn": target.function_arn, "RoleArn": target.role_arn,
                   "Input": json.dumps({"account_id": image["account_id"],
                                        "conversation_id": image["conversation_id"],
                                        "side_conversation_id": image["id"], "next_fire": after}),
                   "DeadLetterConfig": {"Arn": target.dead_letter_arn},
                   "RetryPolicy": {"MaximumRetryAttempts": 5, "MaximumEventAgeInSeconds": 3600}},
    }
    # A schedule that just ran deleted itself; otherwise one exists when the old image had a time.
    ran = new.get("follow_up_fired_at") != old.get("follow_up_fired_at")
    exists = before is not None and not ran
    try:
        (scheduler.update_schedule if exists else scheduler.create_schedule)(**request)
    except scheduler.exceptions.ResourceNotFoundException:
        scheduler.create_schedule(**request)
    except scheduler.exceptions.ConflictException:
        scheduler.update_schedule(**request)
    logger.info("follow-up schedule armed", extra={"side_conversation_id": image["id"], "at": after})
    return "UpdateSchedule" if exists else "CreateSchedule"


def unmark_inbox(new: dict[str, Any]) -> bool:
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
    summary = SideConversationItem
    sort_key = keys.inbox_sk("external", str(new["waiting_since"]), str(new["id"]))
    models.bind_configured()
    return models.update_if(SideConversationItem(new["pk"], new["sk"]), [summary.gsi1sk.set(sort_key)],
                            summary.gsi1sk == new[keys.GSI_INBOX_SK])
