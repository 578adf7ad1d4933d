"""Figure 2's follow-up rows (issue 19): a reply costs no extra DynamoDB request for its follow-up; each
change of a summary costs one Scheduler call when it moves the firing time and none otherwise (counted
in `publish_events` on the real stream); a due follow-up costs at most one read and one write before
its event (the real `follow_up` handler, fired by the local scheduler on a moved clock)."""

from __future__ import annotations

import json
from typing import Any

from bench import counting, scenario
from bench.env import Aws, Context, handler

# Each change, and how many Scheduler calls it should cost (1: it moves the firing time).
CHANGES = (("create", 1), ("reply", 1), ("vendor reply", 1), ("mark read", 0), ("agent reply", 1),
           ("rename", 0), ("close", 1))


def _stack(aws: Aws, per_record: list[counting.Recorder]) -> Any:
    from sideconv.store.schema import events_filter

    from local.stack import LocalStack

    publish = handler("publish_events")

    def counted(event: dict[str, Any], context: Any) -> Any:
        out = None
        for record in event["Records"]:  # one recorder per change
            with counting.recording() as recorder:
                out = publish({"Records": [record]}, context)
            per_record.append(recorder)
        return out

    stack = LocalStack(aws.settings, resources=aws.resources)
    stack.add_stream_consumer("publish_events", counted, events_filter())
    return stack


def _receive(created: dict[str, Any]) -> None:
    from sideconv import clock, keys
    from sideconv.config import from_env
    from sideconv.store import activity
    from sideconv.store.models import MessageItem, PersonMap, SideConversationItem
    from sideconv.store.repository import SideConversationStore

    now, message_id = clock.now_iso(), clock.new_id()
    pk = keys.conversation_pk(scenario.ACCOUNT, created["conversation_id"])
    message = MessageItem.new(account_id=scenario.ACCOUNT, conversation_id=created["conversation_id"],
                              side_conversation_id=created["id"], message_id=message_id, direction="inbound",
                              author=PersonMap(kind="email", email="finance@vendor.example"), body="Soon.",
                              created_at=now)
    key = SideConversationItem(pk, keys.side_conversation_sk(created["id"]), channel="email")
    SideConversationStore(from_env().region).append_message(
        key, activity.inbound_actions(created["id"], message_id, now, "Soon."), message, None)


def measure(aws: Aws) -> dict[str, Any]:
    """{"reply with a follow-up": Recorder, "schedule per change": [(change, expected, Recorder)],
    "follow-up due": Recorder}."""
    from sideconv import clock

    per_record: list[counting.Recorder] = []
    stack = _stack(aws, per_record)
    conversation = "conv-follow-up-counts"
    body = {"channel": "email", "subject": "Refund approval", "body": "Can you approve 42 EUR?",
            "to": [{"email": "finance@vendor.example"}], "follow_up": {"after": "PT24H"}, "nudge": True}
    scenario.api_json("POST", scenario.base(conversation), body, expect=201)  # warm-up
    stack.drain()
    per_record.clear()
    changes: list[tuple[str, int, counting.Recorder]] = []
    out: dict[str, Any] = {"schedule per change": changes}

    def change(name: str, expected: int, act: Any) -> Any:
        result = act()
        stack.drain()
        summaries = [r for r in per_record if r.total()]
        scheduler = counting.Recorder()
        for recorder in summaries:
            scheduler.calls += [c for c in recorder.calls if c.service == "scheduler"]
        changes.append((name, expected, scheduler))
        per_record.clear()
        return result

    created = change("create", 1, lambda: scenario.api_json("POST", scenario.base(conversation), body, expect=201))
    path = f"{scenario.base(conversation)}/{created['id']}"

    def reply() -> None:
        with counting.recording() as out["reply with a follow-up"]:
            scenario.api_json("POST", f"{path}/messages", {"body": "One more detail."}, expect=201)

    change("reply", 1, reply)
    change("vendor reply", 1, lambda: _receive(created))
    newest = scenario.api_json("GET", path)["messages"][-1]["id"]
    change("mark read", 0, lambda: scenario.api_json("PUT", f"{path}/read", {"message_id": newest}))
    change("agent reply", 1, lambda: scenario.api_json("POST", f"{path}/messages", {"body": "Any news?"}, expect=201))
    change("rename", 0, lambda: scenario.api_json("PATCH", path, {"subject": "Refund approval (order 1042)"}))
    # The follow-up falls due: the schedule's own input through the real follow_up handler
    schedule = _schedule(created["id"])
    clock.advance(24 * 3600 + 1)
    try:
        fire = handler("follow_up")
        with counting.recording() as out["follow-up due"]:
            result = fire(json.loads(schedule["Target"]["Input"]), Context("follow_up"))
        if result.get("outcome") != "nudged":
            raise AssertionError(f"the follow-up did not fall due: {result}")
        stack.drain()
        due = scenario.api_json("GET", path)
        if due["follow_up"]["state"] != "due":
            raise AssertionError(f"not marked due: {due['follow_up']}")
        per_record.clear()
        change("close", 1, lambda: scenario.api_json("PATCH", path, {"state": "closed"}))
    finally:
        clock.advance(-(24 * 3600 + 1))
    return out


def _schedule(side_conversation_id: str) -> dict[str, Any]:
    import boto3
    from sideconv import follow_ups

    from local.aws import FOLLOW_UP_GROUP

    return dict(boto3.client("scheduler").get_schedule(Name=follow_ups.schedule_name(side_conversation_id),
                                                        GroupName=FOLLOW_UP_GROUP))
