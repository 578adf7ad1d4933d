"""Follow-ups (issue 19) through the real handlers on embedded AWS: the API writes the rule, the real
`publish_events` arms, moves and deletes the one schedule in moto's Scheduler, the local scheduler
fires it on a moved clock through the real `follow_up` handler."""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from typing import Any

import boto3
import pytest
from sideconv import clock, follow_ups, helpdesk_events
from sideconv.store.follow_up_store import FollowUpStore

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
    assert schedule["ActionAfterCompletion"] == "NONE"  # the stream moves or deletes it after it ran
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
    due = [e for e in scheduler.published() if e["detail-type"] == helpdesk_events.FOLLOW_UP_DUE]
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
             if e["detail-type"] in (helpdesk_events.WAITING_STARTED, helpdesk_events.WAITING_ENDED)]
    assert kinds == [(helpdesk_events.WAITING_STARTED, side["id"]), (helpdesk_events.WAITING_ENDED, side["id"]),
                     (helpdesk_events.WAITING_STARTED, side["id"])]


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
    # The create's answer already shows it, as the side conversation will
    due_at = follow_ups.shift(with_default["created_at"], 4 * 3600)
    assert with_default["follow_up"] == {"due_at": due_at, "state": "scheduled", "nudges_sent": 0, "nudge": False}
    assert without["follow_up"] is None
    scheduler.stack.drain()
    assert _get(api, with_default)["follow_up"]["due_at"] == due_at
    assert _get(api, without)["follow_up"] is None
    assert list(_schedules()) == [f"follow-up-{with_default['id']}"]
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
    assert kinds[-3:] == [helpdesk_events.CLOSED, helpdesk_events.WAITING_ENDED, helpdesk_events.AUTO_CLOSED]
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


# Cases a review tried beyond the ones above: durations and times at the edges, a PATCH right after a
# create with the account's default, the settings' validation and access, the bus's order on a vendor reply after due,
# a vendor reply racing the firing, and no nudge allowed.


@pytest.mark.parametrize("after", ["PT0S", "-PT1H", "abc", "P", "PT", "P1Y", "PT1.5H", "P1DT", "pt1h", "P366D", 3600])
def test_a_duration_outside_weeks_to_seconds_or_a_minute_to_a_year_is_refused(api: Any, after: Any) -> None:
    status, _, problem = api("POST", path(), email_request(follow_up={"after": after}))
    assert status == 422, problem
    assert "follow_up.after" in [e["field"] for e in problem["errors"]], problem


def test_a_day_in_days_and_a_time_with_an_offset(api: Any, scheduler: Any) -> None:
    side = api("POST", path(), email_request(follow_up={"after": "P1D"}))[2]
    assert side["follow_up"]["due_at"] == follow_ups.shift(side["created_at"], DAY)
    at = follow_ups.parse_time(follow_ups.shift(clock.now_iso(), 3 * 3600))
    local = at.astimezone(timezone(timedelta(hours=2))).isoformat()
    side2 = api("POST", path(), email_request(follow_up={"at": local}))[2]
    assert side2["follow_up"]["due_at"] == follow_ups.iso(at)


def test_a_follow_up_set_on_a_closed_one_waits_for_the_reopen(api: Any, scheduler: Any) -> None:
    side = api("POST", path(), email_request())[2]
    api("PATCH", path("conv-1", side["id"]), {"state": "closed"})
    scheduler.stack.drain()
    status, _, body = api("PATCH", path("conv-1", side["id"]), {"follow_up": {"after": "PT1H"}})
    assert status == 200, body
    assert body["follow_up"]["state"] == "cancelled"
    scheduler.stack.drain()
    assert _schedules() == {}
    _advance(scheduler, 2 * 3600)
    reopened = api("PATCH", path("conv-1", side["id"]), {"state": "open"})[2]
    assert reopened["follow_up"]["due_at"] == follow_ups.shift(reopened["updated_at"], 3600)
    scheduler.stack.drain()
    assert len(_schedules()) == 1


def test_a_nudge_without_a_follow_up_schedules_nothing(api: Any, scheduler: Any) -> None:
    side = api("POST", path(), email_request(follow_up=None, nudge=True))[2]
    assert side["follow_up"] is None
    scheduler.stack.drain()
    assert _schedules() == {}


def test_a_clear_right_after_a_create_with_the_default_stays_cleared(api: Any, scheduler: Any) -> None:
    api("PUT", "/v1/settings/follow-ups", {"default_after": "PT4H"}, claims=ADMIN)
    side = api("POST", path(), email_request())[2]
    cleared = api("PATCH", path("conv-1", side["id"]), {"follow_up": None})[2]
    assert cleared["follow_up"] is None
    scheduler.stack.drain()
    assert _get(api, side)["follow_up"] is None
    assert _schedules() == {}


def test_a_follow_up_set_right_after_a_create_with_the_default_stays(api: Any, scheduler: Any) -> None:
    api("PUT", "/v1/settings/follow-ups", {"default_after": "PT4H", "auto_close_after": "P7D"}, claims=ADMIN)
    side = api("POST", path(), email_request())[2]
    moved = api("PATCH", path("conv-1", side["id"]), {"follow_up": {"after": "PT1H"}})[2]
    scheduler.stack.drain()
    got = _get(api, side)
    assert got["follow_up"]["due_at"] == moved["follow_up"]["due_at"]


@pytest.mark.parametrize(("body", "field"), [
    ({"max_nudges": 11}, "max_nudges"), ({"max_nudges": -1}, "max_nudges"), ({"max_nudges": 2.5}, "max_nudges"),
    ({"default_after": "P1M"}, "default_after"), ({"auto_close_after": "PT0S"}, "auto_close_after"),
    ({"nudges": 1}, "nudges"),
])
def test_a_bad_setting_is_a_problem_naming_the_field(api: Any, body: Any, field: str) -> None:
    status, headers, problem = api("PUT", "/v1/settings/follow-ups", body, claims=ADMIN)
    assert status == 422, problem
    assert headers["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in problem["errors"]], problem


def test_a_customer_or_another_account_reads_and_touches_nothing(api: Any) -> None:
    customer = agent_claims(sub="cust-1", role="customer")
    for method, body in (("GET", None), ("PUT", {"max_nudges": 1})):
        assert api(method, "/v1/settings/follow-ups", body, claims=customer)[0] == 403
    other = agent_claims(account="globex", sub="admin-9", role="admin")
    assert api("PUT", "/v1/settings/follow-ups", {"max_nudges": 1, "default_after": "PT1H"}, claims=other)[0] == 200
    assert api("GET", "/v1/settings/follow-ups", claims=ADMIN)[2] == {
        "default_after": None, "max_nudges": 3, "auto_close_after": None}
    side = api("POST", path(), email_request())[2]
    status, _, body = api("PATCH", path("conv-1", side["id"]), {"follow_up": {"after": "PT1H"}}, claims=other)
    assert status == 404, body
    status, _, body = api("PATCH", path("conv-1", side["id"]), {"nudge": True}, claims=customer)
    assert status == 403, body
    assert _get(api, side)["follow_up"] is None


def test_started_due_ended_in_order_when_the_vendor_answers_after_due(api: Any, scheduler: Any) -> None:
    side = api("POST", path(), email_request(follow_up={"after": "PT1H"}))[2]
    scheduler.stack.drain()
    _advance(scheduler, 3600 + 1)
    assert _get(api, side)["follow_up"]["state"] == "due"
    receive(side, "Sorry, here it is.")
    scheduler.stack.drain()
    kinds = [e["detail-type"] for e in scheduler.published() if e["detail"].get("side_conversation_id") == side["id"]]
    kinds = [k for k in kinds
             if k in (helpdesk_events.WAITING_STARTED, helpdesk_events.FOLLOW_UP_DUE, helpdesk_events.WAITING_ENDED)]
    assert kinds == [helpdesk_events.WAITING_STARTED, helpdesk_events.FOLLOW_UP_DUE, helpdesk_events.WAITING_ENDED]
    after = _get(api, side)
    assert after["follow_up"]["state"] == "cancelled"
    assert after["follow_up"]["nudges_sent"] == 0
    assert _schedules() == {}


def test_a_vendor_reply_between_the_firings_read_and_write_sends_no_nudge(api: Any, scheduler: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    side = api("POST", path(), email_request(follow_up={"after": "PT1H"}, nudge=True))[2]
    scheduler.stack.drain()
    real = FollowUpStore.read_for_firing

    def read_then_reply(store: FollowUpStore, *ids: str) -> Any:
        out = real(store, *ids)
        receive(side, "Here!")  # lands after the firing read the summary, before it writes
        return out

    monkeypatch.setattr(FollowUpStore, "read_for_firing", read_then_reply)
    _advance(scheduler, 3600 + 1)
    got = _get(api, side)
    assert not any(m.get("nudge") for m in got["messages"])
    assert got["follow_up"]["state"] == "cancelled"
    assert [e for e in scheduler.published() if e["detail-type"] == helpdesk_events.FOLLOW_UP_DUE] == []


def test_max_nudges_zero_marks_due_and_sends_none(api: Any, scheduler: Any) -> None:
    api("PUT", "/v1/settings/follow-ups", {"max_nudges": 0}, claims=ADMIN)
    side = api("POST", path(), email_request(follow_up={"after": "PT1H"}, nudge=True))[2]
    scheduler.stack.drain()
    _advance(scheduler, 3600 + 1)
    got = _get(api, side)
    assert got["follow_up"]["state"] == "due"
    assert not any(m.get("nudge") for m in got["messages"])
    assert _inbox(api) == [side["id"]]


def test_a_firing_that_keeps_failing_lands_in_the_dead_letter_queue(api: Any, scheduler: Any) -> None:
    side = api("POST", path(), email_request(follow_up={"after": "PT1H"}))[2]
    scheduler.stack.drain()
    expected = json.loads(_schedules()[f"follow-up-{side['id']}"]["Target"]["Input"])

    def failing(event: Any, context: Any) -> Any:
        raise RuntimeError("the table is unreachable")

    scheduler.handler = failing
    _advance(scheduler, 3600 + 1)
    sqs = boto3.client("sqs")
    queue = sqs.get_queue_url(QueueName="side-conversations-follow-ups-dlq")["QueueUrl"]
    kept = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"]) for m in kept] == [expected]
    assert _get(api, side)["follow_up"]["state"] == "scheduled"  # nothing was marked


def test_a_create_reads_its_accounts_defaults_at_most_once_a_minute(api: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from sideconv import follow_up_settings

    reads: list[str] = []
    real = follow_up_settings.get

    def counted(account_id: str, **options: Any) -> Any:
        reads.append(account_id)
        return real(account_id, **options)

    monkeypatch.setattr(follow_up_settings, "get", counted)
    for _ in range(2):
        assert api("POST", path(), email_request())[0] == 201
    assert reads == ["acme"]
    assert api("POST", path(), email_request(), claims=agent_claims(account="globex"))[0] == 201
    assert reads == ["acme", "globex"]  # each account its own
    # An admin's change is what the next create in this container takes, without a read
    api("PUT", "/v1/settings/follow-ups", {"default_after": "PT2H"}, claims=ADMIN)
    side = api("POST", path(), email_request())[2]
    assert side["follow_up"]["due_at"] == follow_ups.shift(side["created_at"], 2 * 3600)
    assert reads == ["acme", "globex"]
    # A minute on, it is read again
    monkeypatch.setattr(follow_up_settings, "CACHE_SECONDS", 0.0)
    api("POST", path(), email_request())
    assert reads == ["acme", "globex", "acme"]


def test_a_nudge_lists_its_side_conversation_as_the_most_recently_active(api: Any, scheduler: Any) -> None:
    nudged = api("POST", path(), email_request(follow_up={"after": "PT1H"}, nudge=True))[2]
    later = api("POST", path(), email_request(subject="Later"))[2]
    scheduler.stack.drain()
    _advance(scheduler, 3600 + 1)
    listed = api("GET", path())[2]["items"]
    assert [s["id"] for s in listed] == [nudged["id"], later["id"]]
    assert listed[0]["last_message_at"] > later["last_message_at"]
