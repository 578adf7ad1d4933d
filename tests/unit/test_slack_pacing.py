"""Pacing per channel and the author-name cache, with fake clocks (no network)."""

from __future__ import annotations

from typing import Any

import pytest
from sideconv.slack.inbound import People
from sideconv.slack.outbound import Pacer, RetryLater, _retry_after


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.t += seconds


def test_a_second_post_to_a_channel_waits_out_the_interval() -> None:
    clock = FakeClock()
    pacer = Pacer(1.0, now=clock.now, sleep=clock.sleep)
    pacer.wait("C1", remaining_seconds=30)
    pacer.posted("C1")
    clock.t += 0.25
    pacer.wait("C1", remaining_seconds=30)
    pacer.wait("C2", remaining_seconds=30)  # another channel does not wait
    assert clock.slept == [0.75]


def test_pacing_re_queues_instead_of_sleeping_past_the_functions_budget() -> None:
    clock = FakeClock()
    pacer = Pacer(1.0, now=clock.now, sleep=clock.sleep)
    pacer.posted("C1")
    with pytest.raises(RetryLater) as held:
        pacer.wait("C1", remaining_seconds=2.0)
    assert held.value.delay == 1
    assert clock.slept == []


@pytest.mark.parametrize(("headers", "delay"), [({"Retry-After": "7"}, 7), ({"retry-after": ["3"]}, 3),
                                                 ({}, 1), ({"Retry-After": "soon"}, 1), ({"Retry-After": "0.2"}, 1)])
def test_retry_after_is_read_in_whole_seconds(headers: dict[str, Any], delay: int) -> None:
    assert _retry_after(headers) == delay


def test_author_names_are_cached_for_their_time_to_live() -> None:
    clock = FakeClock()
    calls: list[str] = []

    class FakeClient:
        def users_info(self, user: str) -> dict[str, Any]:
            calls.append(user)
            return {"user": {"id": user, "name": "bob", "profile": {"display_name": "", "real_name": "Bob B"}}}

    people = People(lambda: FakeClient(), ttl=60, now=clock.now)  # type: ignore[arg-type, return-value]
    assert people.name("U1") == "Bob B"
    assert people.name("U1") == "Bob B"
    clock.t += 61
    assert people.name("U1") == "Bob B"
    assert calls == ["U1", "U1"]
