"""The API on the local stack over real HTTP, as a new user drives it with the README's commands."""

from __future__ import annotations

import time

import pytest
import requests

from tests.e2e.conftest import LocalStackProcess
from tests.factories import email_request, path, slack_request

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local-stack-api")]


def test_health_answers_once_up(local_stack: LocalStackProcess) -> None:
    response = requests.get(f"{local_stack.base_url}/_local/health", timeout=5)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_the_running_stack_collects_garbage_when_idle_and_says_so(local_stack: LocalStackProcess) -> None:
    # local.collector, as `python -m local` turns it on: a collection and a freeze on the glue's quiet
    # rounds (tests/unit/test_local_collector.py: not while a request is served).
    def collector() -> dict[str, float]:
        return requests.get(f"{local_stack.base_url}/_local/health", timeout=5).json()["collector"]

    before = collector()
    response = requests.post(local_stack.base_url + path(), json=email_request(),
                             headers=local_stack.headers(), timeout=10)
    assert response.status_code == 201
    after = local_stack.wait_for(lambda: (now := collector())["collections"] > before["collections"] and now)
    assert after["frozen"] > 0
    assert after["longest_ms"] > 0


@pytest.mark.parametrize("authorization", [
    None, "Bearer", "Bearer not.a.jwt", "Basic dXNlcjpwYXNz",
])
def test_missing_or_malformed_tokens_are_a_401(local_stack: LocalStackProcess, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = requests.get(local_stack.base_url + path(), headers=headers, timeout=5)
    assert response.status_code == 401


def test_badly_signed_and_expired_tokens_are_a_401(local_stack: LocalStackProcess) -> None:
    forged = local_stack.token(key="not-the-dev-secret")
    expired = local_stack.token(issued_at=time.time() - 7200, ttl=60)
    for token in (forged, expired):
        response = requests.get(local_stack.base_url + path(), headers={"Authorization": f"Bearer {token}"},
                                timeout=5)
        assert response.status_code == 401


def test_a_customer_token_reads_nothing(local_stack: LocalStackProcess) -> None:
    requests.post(local_stack.base_url + path("conv-cust"), json=email_request(),
                  headers=local_stack.headers(), timeout=5).raise_for_status()
    response = requests.get(local_stack.base_url + path("conv-cust"), headers=local_stack.headers(role="customer"),
                            timeout=5)
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "items" not in response.json()


def test_start_reply_read_close_reopen(local_stack: LocalStackProcess) -> None:
    base, headers = local_stack.base_url, local_stack.headers()
    # A channel of acme's workspace (the stand-in's first): the directory knows every channel the app can see
    created = requests.post(base + path("conv-e2e"), headers=headers, timeout=5,
                            json=slack_request("channel", slack={"target": "channel", "channel_id": "C0ONCALL"}))
    assert created.status_code == 201
    side = created.json()
    reply = requests.post(base + path("conv-e2e", side["id"], "messages"), json={"body": "any update?"},
                          headers={**headers, "Idempotency-Key": "e2e-reply"}, timeout=5)
    again = requests.post(base + path("conv-e2e", side["id"], "messages"), json={"body": "any update?"},
                          headers={**headers, "Idempotency-Key": "e2e-reply"}, timeout=5)
    assert reply.status_code == again.status_code == 201
    assert reply.json() == again.json()
    closed = requests.patch(base + path("conv-e2e", side["id"]), json={"state": "closed"}, headers=headers,
                            timeout=5)
    assert closed.json()["state"] == "closed"
    listing = requests.get(base + path("conv-e2e"), params={"state": "closed"}, headers=headers, timeout=5).json()
    assert [i["id"] for i in listing["items"]] == [side["id"]]
    thread = requests.get(base + path("conv-e2e", side["id"]), headers=headers, timeout=5).json()
    assert [m["body"] for m in thread["messages"]] == ["Is the fix deployed?", "any update?"]
    other_account = requests.get(base + path("conv-e2e", side["id"]), headers=local_stack.headers(account="globex"),
                                 timeout=5)
    assert other_account.status_code == 404


def test_a_bad_field_is_named(local_stack: LocalStackProcess) -> None:
    response = requests.post(local_stack.base_url + path(), json=email_request(subject="a\r\nBcc: x@y.example"),
                             headers=local_stack.headers(), timeout=5)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "subject"


def test_local_routes_are_not_api_routes(local_stack: LocalStackProcess) -> None:
    response = requests.get(f"{local_stack.base_url}/_local/nothing-here", timeout=5)
    assert response.status_code == 404
