"""The smoke check's logic, against a fake API (the real one needs a deployed stack)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.smoke import Api, SmokeFailed, run, stack_api_url

pytestmark = pytest.mark.xdist_group("cdk")


class FakeApi:
    """Answers like the deployed API: create, reply, read back (optionally losing the reply)."""

    def __init__(self, *, lose_reply: bool = False) -> None:
        self.lose_reply = lose_reply
        self.calls: list[tuple[str, str, dict[str, str]]] = []

    def __call__(self, method: str, url: str, headers: dict[str, str], body: bytes | None) -> tuple[int, bytes]:
        self.calls.append((method, url, headers))
        data: Any = json.loads(body) if body else None
        if method == "POST" and url.endswith("/side-conversations"):
            assert data["channel"] == "email"
            return 201, json.dumps({"id": "email-1", "messages": [{"id": "m1"}]}).encode()
        if method == "POST" and url.endswith("/messages"):
            return 201, json.dumps({"id": "m2"}).encode()
        messages = [{"id": "m1"}] + ([] if self.lose_reply else [{"id": "m2"}])
        return 200, json.dumps({"id": "email-1", "messages": messages}).encode()


def test_create_reply_and_read_back() -> None:
    # Given a deployed API that behaves
    fake = FakeApi()
    said: list[str] = []
    # When the smoke check runs
    run(Api("https://api.example/", "jwt", fake), conversation_id="c1", recipient="x@example.com", say=said.append)
    # Then it made the three calls, with the token and an idempotency key on each write
    assert [(m, u) for m, u, _ in fake.calls] == [
        ("POST", "https://api.example/v1/conversations/c1/side-conversations"),
        ("POST", "https://api.example/v1/conversations/c1/side-conversations/email-1/messages"),
        ("GET", "https://api.example/v1/conversations/c1/side-conversations/email-1"),
    ]
    assert all(h["Authorization"] == "Bearer jwt" for _, _, h in fake.calls)
    assert all("Idempotency-Key" in h for m, _, h in fake.calls if m == "POST")
    assert said[-1] == "read back 2 messages"


def test_a_missing_reply_fails_the_check() -> None:
    with pytest.raises(SmokeFailed, match="read back"):
        run(Api("https://api.example", "jwt", FakeApi(lose_reply=True)), conversation_id="c1",
            recipient="x@example.com", say=lambda _: None)


def test_an_unexpected_status_fails_the_check() -> None:
    def unauthorized(*_: Any) -> tuple[int, bytes]:
        return 401, b'{"title": "Unauthorized"}'

    with pytest.raises(SmokeFailed, match="expected 201, got 401"):
        run(Api("https://api.example", "jwt", unauthorized), conversation_id="c1", recipient="x@example.com")


def test_the_url_comes_from_the_stack_outputs() -> None:
    class CloudFormation:
        def describe_stacks(self, StackName: str) -> dict[str, Any]:
            return {"Stacks": [{"Outputs": [{"OutputKey": "ApiUrl", "OutputValue": f"https://{StackName}/"}]}]}

    assert stack_api_url("S", CloudFormation()) == "https://S/"
