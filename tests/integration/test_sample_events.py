"""The sample events in events/ are real inputs: each one runs through its handler."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import LambdaContextStub

EVENTS = Path(__file__).resolve().parents[2] / "events"


def test_api_sample_event_creates_a_side_conversation(api: Any) -> None:
    from functions.api.handler import lambda_handler

    event = json.loads((EVENTS / "api_create_side_conversation.json").read_text())
    response = lambda_handler(event, LambdaContextStub())
    assert response["statusCode"] == 201, response
    created = json.loads(response["body"])
    assert created["conversation_id"] == "conv-1042"
    assert created["messages"][0]["delivery"]["status"] == "pending"
    # Invoking it again is a client retry with the same Idempotency-Key: the same answer, nothing new.
    assert json.loads(lambda_handler(event, LambdaContextStub())["body"]) == created


def test_follow_up_sample_event_is_a_schedules_input(aws: None) -> None:
    from functions.follow_up.handler import lambda_handler

    # What a follow-up schedule invokes the function with; this side conversation does not exist
    event = json.loads((EVENTS / "follow_up_schedule.json").read_text())
    assert lambda_handler(event, LambdaContextStub()) == {"outcome": "gone"}
