"""The result write after a channel took a message: retried within the invocation, never past it."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from sideconv import outcome


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"}}, "TransactWriteItems")


class Flaky:
    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "recorded"


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(outcome, "sleep", waits.append)
    return waits


def test_a_write_that_fails_a_few_times_is_recorded_within_the_invocation(slept: list[float]) -> None:
    # Given a write refused three times (after the SDK's own retries)
    write = Flaky(3, _client_error("InternalServerError"))
    # When it is recorded with time to spare
    assert outcome.record(write, remaining_seconds=lambda: 30.0, what="test") == "recorded"
    # Then it was tried again after growing waits
    assert write.calls == 4
    assert slept == list(outcome.DELAYS[:3])


def test_a_condition_that_does_not_hold_is_raised_at_once(slept: list[float]) -> None:
    write = Flaky(1, _client_error("ConditionalCheckFailedException"))
    with pytest.raises(ClientError):
        outcome.record(write, remaining_seconds=lambda: 30.0, what="test")
    assert write.calls == 1
    assert slept == []


def test_a_transaction_cancelled_by_a_condition_is_a_condition_failure() -> None:
    class Reason:
        code = "ConditionalCheckFailed"

    error: Any = Exception("cancelled")
    error.cancellation_reasons = [None, Reason()]
    assert outcome.condition_failed(error)
    assert not outcome.condition_failed(_client_error("ThrottlingException"))


def test_the_last_error_is_raised_when_the_invocation_runs_out_of_time(slept: list[float]) -> None:
    # Given a write that keeps failing and an invocation with 3 s left
    write = Flaky(100, _client_error("InternalServerError"))
    with pytest.raises(ClientError):
        outcome.record(write, remaining_seconds=lambda: 3.0, what="test")
    # Then only the waits that leave the margin were spent
    assert all(delay + outcome.MARGIN_SECONDS <= 3.0 for delay in slept)
    assert write.calls == len(slept) + 1


def test_a_write_that_never_succeeds_is_given_up_after_the_last_delay(slept: list[float]) -> None:
    write = Flaky(100, _client_error("InternalServerError"))
    with pytest.raises(ClientError):
        outcome.record(write, remaining_seconds=lambda: 900.0, what="test")
    assert write.calls == len(outcome.DELAYS) + 1
