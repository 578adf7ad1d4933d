"""The follow-up's rule as pure functions: durations, the plan (state, due time, next firing) and the
waiting events a change of the ball means."""

from __future__ import annotations

from typing import Any

import pytest
from sideconv import follow_ups, helpdesk_events

T0 = "2026-12-01T09:00:00.000Z"


@pytest.mark.parametrize(("text", "seconds"), [
    ("PT24H", 86400), ("P1D", 86400), ("P1W", 7 * 86400), ("PT90M", 5400), ("P1DT2H30M", 95400),
    ("PT60S", 60), ("P365D", 365 * 86400),
])
def test_durations_in_weeks_days_hours_minutes_seconds(text: str, seconds: int) -> None:
    assert follow_ups.parse_duration(text) == seconds
    assert follow_ups.parse_duration(follow_ups.format_duration(seconds)) == seconds


@pytest.mark.parametrize("text", ["P1M", "P1Y", "PT", "P", "24h", "PT1.5H", "PT59S", "P366D", "-PT1H", "PT1H "])
def test_a_duration_that_is_not_one_or_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        follow_ups.parse_duration(text)


def _summary(**overrides: Any) -> dict[str, Any]:
    return {"follow_up_after": 3600, "follow_up_set_at": T0, "waiting_since": T0, "created_at": T0,
            "state": "open", "last_direction": "outbound", **overrides}


def test_scheduled_from_the_last_message_out_or_when_set_whichever_is_later() -> None:
    assert follow_ups.plan(_summary()) == follow_ups.Plan("2026-12-01T10:00:00.000Z", "scheduled", 0, False,
                                                          "2026-12-01T10:00:00.000Z")
    later_reply = follow_ups.plan(_summary(waiting_since="2026-12-01T12:00:00.000Z"))
    assert later_reply is not None
    assert later_reply.due_at == "2026-12-01T13:00:00.000Z"
    set_later = follow_ups.plan(_summary(follow_up_set_at="2026-12-02T00:00:00.000Z"))
    assert set_later is not None
    assert set_later.due_at == "2026-12-02T01:00:00.000Z"


@pytest.mark.parametrize("change", [{"last_direction": "inbound"}, {"state": "closed"}])
def test_the_other_partys_reply_or_a_close_cancels(change: dict[str, Any]) -> None:
    current = follow_ups.plan(_summary(**change))
    assert current is not None
    assert (current.state, current.next_fire) == ("cancelled", None)


def test_due_once_fired_in_this_wait_and_armed_again_only_while_nudges_remain() -> None:
    fired = "2026-12-01T10:00:01.000Z"
    due = follow_ups.plan(_summary(follow_up_fired_at=fired, follow_up_nudges=1, follow_up_repeat=True))
    assert due == follow_ups.Plan("2026-12-01T10:00:00.000Z", "due", 1, False, "2026-12-01T11:00:01.000Z")
    last = follow_ups.plan(_summary(follow_up_fired_at=fired, follow_up_repeat=False))
    assert last is not None
    assert (last.state, last.next_fire) == ("due", None)
    # The agent's reply after it fired starts a new wait: scheduled again
    rearmed = follow_ups.plan(_summary(follow_up_fired_at=fired, waiting_since="2026-12-01T11:00:00.000Z"))
    assert rearmed is not None
    assert (rearmed.state, rearmed.next_fire) == ("scheduled", "2026-12-01T12:00:00.000Z")


def test_no_follow_up_and_no_auto_close_means_no_schedule() -> None:
    assert follow_ups.plan(_summary(follow_up_after=None)) is None
    assert follow_ups.next_fire(_summary(follow_up_after=None)) is None
    closing = _summary(follow_up_after=None, auto_close_after=600, last_message_at=T0)
    assert follow_ups.next_fire(closing) == "2026-12-01T09:10:00.000Z"
    assert follow_ups.next_fire({**closing, "follow_up_after": 60}) == "2026-12-01T09:01:00.000Z"


def _image(**overrides: Any) -> dict[str, Any]:
    return {"kind": "side_conversation", "id": "email-01JD0000000000000000000000", "account_id": "acme",
            "conversation_id": "conv-1", "channel": "email", **_summary(follow_up_after=None), **overrides}


def test_waiting_events_follow_the_ball_and_the_extra_ones_get_their_own_ids() -> None:
    started = helpdesk_events.from_change_all("e1", "INSERT", _image(), {})
    assert [t for t, _ in started] == [helpdesk_events.CREATED, helpdesk_events.WAITING_STARTED]
    assert [d["event_id"] for _, d in started] == ["e1", "e1:1"]
    assert started[1][1]["since"] == T0
    replied = _image(last_direction="inbound", waiting_since="2026-12-01T10:00:00.000Z")
    [(kind, detail)] = helpdesk_events.from_change_all("e2", "MODIFY", replied, _image())
    assert kind == helpdesk_events.WAITING_ENDED
    assert (detail["since"], detail["ended_at"], detail["reason"], detail["ball_with"]) == (
        T0, "2026-12-01T10:00:00.000Z", "reply", "agent")
    # The agent writing again while the vendor has the ball is not a new wait
    assert helpdesk_events.from_change_all("e3", "MODIFY", _image(waiting_since="2026-12-01T11:00:00.000Z"),
                                           _image()) == []
