"""Follow-ups (issue 19) through the real handlers on embedded AWS: the API writes the rule, the real
`publish_events` arms, moves and deletes the one schedule in moto's Scheduler, the local scheduler
fires it on a moved clock through the real `follow_up` handler."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from sideconv import clock, events, follow_ups

from tests.conftest import LambdaContextStub, agent_claims
from tests.factories import email_request, path, slack_request
from tests.integration.test_events import published  # noqa: F401 - the fixture
from tests.integration.test_helpdesk_integration import receive

DAY = 24 * 3600
ADMIN = agent_claims(sub="admin-1", role="admin")


@pytest.fixture
def scheduler(stack: Any, published: Any, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811
    from local.scheduler import install

    monkeypatch.setattr(clock, "_offset", timedelta(0))
    local = install(stack)
    local.published = published  # type: ignore[attr-defined]
    return local


def _schedules() -> dict[str, dict[str, Any]]:
    client = boto3.client("scheduler")
    names = [s["Name"] for s in client.list_schedules(GroupName="side-conversations-follow-ups")["Schedules"]]
    return {n: client.get_schedule(Name=n, GroupName="side-conversations-follow-ups") for n in names}


def _advance(scheduler: Any, seconds: float) -> None:
    clock.advance(seconds)
    scheduler.stack.drain()


def _get(api: Any, side: dict[str, Any]) -> dict[str, Any]:
    status, _, body = api("GET", path("conv-1", side["id"]))
    assert status == 200, body
    return body


def _inbox(api: Any) -> list[str]:
    status, _, body = api("GET", "/v1/side-conversations", query={"mine": "true", "waiting_on": "agent"})
    assert status == 200, body
    return [item["id"] for item in body["items"]]


def test_a_follow_up_falls_due_marks_the_inbox_first_and_nudges_by_the_channel(api: Any, scheduler: Any) -> None:
    # Given a side conversation with a 24-hour follow-up, nudge opted in, and an older one the vendor answered
    older = api("POST", path(), email_request(subject="Older"))[2]
    side = api("POST", path(), email_request(follow_up={"after": "PT24H"}, nudge=True))[2]
    assert side["follow_up"] == {"due_at": follow_ups.shift(side["created_at"], DAY), "state": "scheduled",
                                 "nudges_sent": 0, "nudge": True}
    scheduler.published()
    schedule = _schedules()[f"follow-up-{side['id']}"]
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    due = follow_ups.parse_time(side["follow_up"]["due_at"])
    rounded_up = due.replace(microsecond=0) + timedelta(seconds=1 if due.microsecond else 0)
    assert schedule["ScheduleExpression"] == f"at({rounded_up:%Y-%m-%dT%H:%M:%S})"
    assert schedule["Target"]["DeadLetterConfig"]["Arn"].endswith("side-conversations-follow-ups-dlq")
    assert json.loads(schedule["Target"]["Input"])["side_conversation_id"] == side["id"]
    receive(older, "Done.")
    # When 23 hours pass nothing fires; at 24 hours it falls due
    _advance(scheduler, 23 * 3600)
    assert _get(api, side)["follow_up"]["state"] == "scheduled"
    _advance(scheduler, 3600 + 1)
    # Then it is due, first in the agent's inbox, with a nudge in the thread under the agent's name
    after = _get(api, side)
    assert after["follow_up"]["state"] == "due"
    assert after["follow_up"]["nudges_sent"] == 1
    assert _inbox(api)[:2] == [side["id"], older["id"]]
    nudge = after["messages"][-1]
    assert nudge["nudge"] is True
    assert nudge["direction"] == "outbound"
    assert nudge["author"]["id"] == "agent-1"
    assert "Just checking in" in nudge["body"]
    assert nudge["delivery"]["status"] == "pending"  # the outbox carries it like any message
    due = [e for e in scheduler.published() if e["detail-type"] == events.FOLLOW_UP_DUE]
    assert [e["detail"]["side_conversation_id"] for e in due] == [side["id"]]
    from local.event_schemas import MODELS

    for event in scheduler.published():  # each as docs/events/ documents it
        MODELS[event["detail-type"]].model_validate(event["detail"])
    assert due[0]["detail"]["nudge_sent"] is True
    assert due[0]["detail"]["due_at"] == after["follow_up"]["due_at"]
    # And the next nudge is armed a day later
    assert f"follow-up-{side['id']}" in _schedules()


def test_nudges_stop_at_the_accounts_max_and_without_the_opt_in_none_is_sent(api: Any, scheduler: Any) -> None:
    status, _, body = api("PUT", "/v1/settings/follow-ups", {"max_nudges": 2}, claims=ADMIN)
    assert status == 200, body
    nudged = api("POST", path(), slack_request(follow_up={"after": "PT4H"}, nudge=True))[2]
    quiet = api("POST", path(), email_request(follow_up={"after": "PT4H"}))[2]
    scheduler.stack.drain()
    for _ in range(4):
        _advance(scheduler, 4 * 3600 + 1)
    assert _get(api, nudged)["follow_up"]["nudges_sent"] == 2
    assert sum(1 for m in _get(api, nudged)["messages"] if m.get("nudge")) == 2
    assert _get(api, quiet)["follow_up"] == {"due_at": follow_ups.shift(quiet["created_at"], 4 * 3600),
                                            "state": "due", "nudges_sent": 0, "nudge": False}
    assert not any(m.get("nudge") for m in _get(api, quiet)["messages"])
    assert _schedules() == {}  # nothing left to fire


def test_a_vendor_reply_before_due_cancels_and_the_agents_reply_re_arms(api: Any, scheduler: Any) -> None:
    side = api("POST", path(), email_request(follow_up={"after": "PT24H"}, nudge=True))[2]
    scheduler.stack.drain()
    _advance(scheduler, 12 * 3600)
    receive(side, "Looking into it.")
    scheduler.stack.drain()
    assert _get(api, side)["follow_up"]["state"] == "cancelled"
    assert _schedules() == {}
    _advance(scheduler, 2 * DAY)
    assert scheduler.fired == []
    # The agent answers: armed again, a day from their message
    api("POST", path("conv-1", side["id"], "messages"), {"body": "Thanks, any ETA?"})
    scheduler.stack.drain()
    again = _get(api, side)
    assert again["follow_up"]["state"] == "scheduled"
    assert again["follow_up"]["due_at"] == follow_ups.shift(again["waiting_since"], DAY)
    assert list(_schedules()) == [f"follow-up-{side['id']}"]
    # Waiting events follow the ball, in order
    kinds = [(e["detail-type"], e["detail"]["side_conversation_id"]) for e in scheduler.published()
             if e["detail-type"] in (events.WAITING_STARTED, events.WAITING_ENDED)]
    assert kinds == [(events.WAITING_STARTED, side["id"]), (events.WAITING_ENDED, side["id"]),
                     (events.WAITING_STARTED, side["id"])]


def test_closing_cancels_reopening_re_arms_and_null_clears(api: Any, scheduler: Any) -> None:
    side = api("POST", path(), email_request(follow_up={"after": "P1D"}))[2]
    scheduler.stack.drain()
    closed = api("PATCH", path("conv-1", side["id"]), {"state": "closed"})[2]
    assert closed["follow_up"]["state"] == "cancelled"
    scheduler.stack.drain()
    assert _schedules() == {}
    _advance(scheduler, 3600)
    reopened = api("PATCH", path("conv-1", side["id"]), {"state": "open"})[2]
    assert reopened["follow_up"]["state"] == "scheduled"
    assert reopened["follow_up"]["due_at"] == follow_ups.shift(reopened["updated_at"], DAY)
    scheduler.stack.drain()
    assert len(_schedules()) == 1
    moved = api("PATCH", path("conv-1", side["id"]), {"follow_up": {"after": "PT4H"}})[2]
    assert moved["follow_up"]["due_at"] == follow_ups.shift(moved["updated_at"], 4 * 3600)
    scheduler.stack.drain()
    cleared = api("PATCH", path("conv-1", side["id"]), {"follow_up": None})[2]
    assert cleared["follow_up"] is None
    scheduler.stack.drain()
    assert _schedules() == {}


def test_the_accounts_default_applies_to_a_side_conversation_created_without_one(api: Any, scheduler: Any) -> None:
    assert api("GET", "/v1/settings/follow-ups", claims=ADMIN)[2] == {
        "default_after": None, "max_nudges": 3, "auto_close_after": None}
    status, _, body = api("PUT", "/v1/settings/follow-ups", {"default_after": "PT4H", "max_nudges": 1},
                          claims=ADMIN)
    assert (status, body) == (200, {"default_after": "PT4H", "max_nudges": 1, "auto_close_after": None})
    with_default = api("POST", path(), email_request())[2]
    without = api("POST", path(), email_request(follow_up=None))[2]
    scheduler.stack.drain()
    assert _get(api, with_default)["follow_up"]["due_at"] == follow_ups.shift(with_default["created_at"], 4 * 3600)
    assert _get(api, without)["follow_up"] is None
    # Another account's settings are its own
    other = agent_claims(account="globex", sub="admin-9", role="admin")
    assert api("GET", "/v1/settings/follow-ups", claims=other)[2]["default_after"] is None


def test_an_agent_may_not_read_or_change_the_settings(api: Any) -> None:
    for method, body in (("GET", None), ("PUT", {"max_nudges": 1})):
        status, headers, problem = api(method, "/v1/settings/follow-ups", body)
        assert status == 403, problem
        assert headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(("follow_up", "field"), [
    ({"after": "P1M"}, "follow_up.after"),
    ({"after": "PT10S"}, "follow_up.after"),
    ({}, "follow_up"),
    ({"after": "PT1H", "at": "2030-01-01T00:00:00Z"}, "follow_up"),
    ({"at": "2001-01-01T00:00:00Z"}, "follow_up.at"),
    ({"at": "2030-01-01T00:00:00"}, "follow_up.at"),
    ({"every": "PT1H"}, "follow_up.every"),
])
def test_a_bad_follow_up_is_a_problem_naming_the_field(api: Any, follow_up: Any, field: str) -> None:
    status, headers, problem = api("POST", path(), email_request(follow_up=follow_up))
    assert status == 422, problem
    assert headers["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in problem["errors"]], problem


def test_a_follow_up_at_a_time_falls_due_then(api: Any, scheduler: Any) -> None:
    at = follow_ups.shift(clock.now_iso(), 2 * 3600)
    side = api("POST", path(), email_request(follow_up={"at": at}))[2]
    assert side["follow_up"]["due_at"] == at
    scheduler.stack.drain()
    _advance(scheduler, 2 * 3600 + 1)
    assert _get(api, side)["follow_up"]["state"] == "due"


def test_auto_close_after_inactivity_is_off_by_default_and_raises_its_event(api: Any, scheduler: Any) -> None:
    idle = api("POST", path(), email_request())[2]
    scheduler.stack.drain()
    api("PUT", "/v1/settings/follow-ups", {"auto_close_after": "P7D"}, claims=ADMIN)
    side = api("POST", path(), email_request())[2]
    scheduler.stack.drain()
    _advance(scheduler, 7 * DAY + 1)
    assert _get(api, side)["state"] == "closed"
    assert _get(api, idle)["state"] == "open"  # created before the setting
    kinds = [e["detail-type"] for e in scheduler.published() if e["detail"]["side_conversation_id"] == side["id"]]
    assert kinds[-3:] == [events.CLOSED, events.WAITING_ENDED, events.AUTO_CLOSED]
    from local.event_schemas import MODELS

    for event in scheduler.published():
        MODELS[event["detail-type"]].model_validate(event["detail"])


def test_a_firing_delivered_twice_or_late_after_a_move_changes_nothing(api: Any, scheduler: Any) -> None:
    from functions.follow_up.handler import lambda_handler
    side = api("POST", path(), email_request(follow_up={"after": "PT1H"}, nudge=True))[2]
    scheduler.stack.drain()
    firing = json.loads(_schedules()[f"follow-up-{side['id']}"]["Target"]["Input"])
    assert lambda_handler(firing, LambdaContextStub()) == {"outcome": "early"}
    clock.advance(3600 - 90)
    assert lambda_handler(firing, LambdaContextStub()) == {"outcome": "early"}
    clock.advance(90 - 30)  # within the Scheduler's second of rounding and its clock: this is the firing
    assert lambda_handler(firing, LambdaContextStub()) == {"outcome": "nudged"}
    assert lambda_handler(firing, LambdaContextStub()) == {"outcome": "stale"}  # the Scheduler's redelivery
    assert sum(1 for m in _get(api, side)["messages"] if m.get("nudge")) == 1


def test_a_redelivered_stream_batch_arms_the_same_one_schedule(api: Any, scheduler: Any) -> None:
    from functions.publish_events.handler import lambda_handler
    side = api("POST", path(), email_request(follow_up={"after": "PT24H"}))[2]
    scheduler.published()
    before = _schedules()
    for batch in scheduler.published.batches:  # the stream hands the same records again
        assert lambda_handler(batch, LambdaContextStub()) == {"batchItemFailures": []}
    after = _schedules()
    assert list(after) == [f"follow-up-{side['id']}"]
    assert after[f"follow-up-{side['id']}"]["ScheduleExpression"] == before[f"follow-up-{side['id']}"][
        "ScheduleExpression"]


def test_a_due_follow_up_moved_by_patch_leaves_the_top_of_the_inbox(api: Any, scheduler: Any) -> None:
    side = api("POST", path(), email_request(follow_up={"after": "PT1H"}))[2]
    scheduler.stack.drain()
    _advance(scheduler, 3600 + 1)
    assert _inbox(api) == [side["id"]]
    moved = api("PATCH", path("conv-1", side["id"]), {"follow_up": {"after": "PT4H"}})[2]
    assert moved["follow_up"]["state"] == "scheduled"
    scheduler.stack.drain()
    # The stream put its inbox key back: waiting on the vendor again, not listed as the agent's
    assert _inbox(api) == []
    _advance(scheduler, 4 * 3600 + 1)
    assert _inbox(api) == [side["id"]]
