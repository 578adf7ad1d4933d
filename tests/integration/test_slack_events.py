"""The events endpoint: the real slack_events handler with API Gateway HTTP API events, on embedded AWS."""

from __future__ import annotations

import json
import time

import pytest

from tests.slack_support import counting_aws_requests, slack_world

pytestmark = pytest.mark.xdist_group("slack")


def _event_items(world) -> list:  # type: ignore[no-untyped-def]
    return [i for i in world.items() if i["pk"]["S"].startswith("SLACKEVT#")]


def test_url_verification_answers_the_challenge() -> None:
    with slack_world() as world:
        status, body = world.post_event({"token": "x", "challenge": "3eZbrw1aBm2r", "type": "url_verification"})
        assert (status, body) == (200, {"challenge": "3eZbrw1aBm2r"})
        assert _event_items(world) == []


def test_a_signed_event_is_recorded_once_and_handed_off() -> None:
    with slack_world() as world:
        envelope = world.thread_reply("C0ONCALL", "1700000000.000100")
        with counting_aws_requests() as counter:
            status, _ = world.post_event(envelope)
            # The workspace's routing lookup: once per container and workspace, then remembered
            status_2, _ = world.post_event(world.thread_reply("C0ONCALL", "1700000000.000100"))
        assert (status, status_2) == (200, 200)
        # At most one write (the event id) and one queue send per event
        assert counter.of("dynamodb") == ["GetItem", "PutItem", "PutItem"]
        assert counter.of("sqs") == ["SendMessage", "SendMessage"]
        [item, _] = sorted(_event_items(world), key=lambda i: i["pk"]["S"] != f"SLACKEVT#{envelope['event_id']}")
        assert item["pk"]["S"] == f"SLACKEVT#{envelope['event_id']}"
        assert int(item["expires_at"]["N"]) > time.time()
        assert world.queued_events() == 2


def test_slack_retries_of_one_event_create_nothing_twice() -> None:
    with slack_world() as world:
        envelope = world.thread_reply("C0ONCALL", "1700000000.000100")
        # When Slack delivers the same event four times (the first, then X-Slack-Retry-Num 1..3)
        answers = [world.post_event(envelope, retry_num=n or None)[0] for n in range(4)]
        # Then every delivery is answered 200, and one event is recorded and queued
        assert answers == [200, 200, 200, 200]
        assert len(_event_items(world)) == 1
        assert world.queued_events() == 1


def test_a_base64_encoded_body_is_verified_on_its_bytes() -> None:
    with slack_world() as world:
        envelope = world.thread_reply("C0ONCALL", "1700000000.000100", text="héllo ✓")
        status, _ = world.post_event(envelope, base64_body=True)
        assert status == 200
        assert world.queued_events() == 1


@pytest.mark.parametrize("forgery", ["tampered body", "wrong secret", "stale", "future", "no signature",
                                     "no timestamp", "unsigned", "garbage signature"])
def test_forged_stale_or_unsigned_requests_get_401_and_write_nothing(forgery: str) -> None:
    with slack_world() as world:
        envelope = world.thread_reply("C0ONCALL", "1700000000.000100")
        body = json.dumps(envelope).encode()
        signed = world.slack.sign(body)
        kwargs: dict = {}
        if forgery == "tampered body":
            body = body.replace(b"On it", b"Pwned")
            kwargs = {"signed": False, "headers": {k.lower(): v for k, v in signed.items()}}
        elif forgery == "wrong secret":
            kwargs = {"secret": "not-the-secret"}
        elif forgery == "stale":
            kwargs = {"timestamp": int(time.time()) - 6 * 60}
        elif forgery == "future":
            kwargs = {"timestamp": int(time.time()) + 6 * 60}
        elif forgery == "no signature":
            kwargs = {"signed": False, "headers": {"x-slack-request-timestamp": signed["X-Slack-Request-Timestamp"]}}
        elif forgery == "no timestamp":
            kwargs = {"signed": False, "headers": {"x-slack-signature": signed["X-Slack-Signature"]}}
        elif forgery == "unsigned":
            kwargs = {"signed": False}
        elif forgery == "garbage signature":
            kwargs = {"headers": {"x-slack-signature": "v0=" + "0" * 64}}
        with counting_aws_requests() as counter:
            status, answer = world.post_event(body, **kwargs)
        assert status == 401, answer
        assert counter.calls == []
        assert _event_items(world) == []
        assert world.queued_events() == 0


def test_an_unknown_workspace_gets_200_and_writes_nothing() -> None:
    with slack_world() as world:
        envelope = world.thread_reply("C0ONCALL", "1700000000.000100")
        envelope["team_id"] = "T0SOMEONEELSE"
        with counting_aws_requests() as counter:
            status, answer = world.post_event(envelope)
        # Signed by the app, but no account holds the workspace: acknowledged, so Slack stops retrying
        assert (status, answer) == (200, {"ok": True})
        assert "PutItem" not in counter.of("dynamodb")
        assert _event_items(world) == []
        assert world.queued_events() == 0


def test_another_apps_event_gets_403() -> None:
    with slack_world() as world:
        envelope = world.thread_reply("C0ONCALL", "1700000000.000100")
        envelope["api_app_id"] = "A0OTHERAPP"
        status, answer = world.post_event(envelope)
        assert (status, answer["error"]) == (403, "foreign_app")
        assert world.queued_events() == 0


def test_a_failed_hand_off_forgets_the_event_so_slacks_retry_goes_through(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from local.containers import cold_start

    with slack_world() as world:
        envelope = world.thread_reply("C0ONCALL", "1700000000.000100")
        monkeypatch.setenv("SLACK_EVENTS_QUEUE_URL", world.stack.resources.slack_events_queue_url + "-gone")
        cold_start()
        with pytest.raises(Exception):
            world.post_event(envelope)
        assert _event_items(world) == []
        monkeypatch.setenv("SLACK_EVENTS_QUEUE_URL", world.stack.resources.slack_events_queue_url)
        cold_start()
        status, _ = world.post_event(envelope, retry_num=1)
        assert status == 200
        assert world.queued_events() == 1


def test_the_endpoint_imports_neither_pynamodb_nor_pydantic_nor_the_web_client() -> None:
    import subprocess
    import sys

    code = ("import sys, functions.slack_events.handler; "
            "print(sorted(m for m in ('pynamodb', 'pydantic', 'slack_sdk', 'slack_sdk.web', "
            "'aws_lambda_powertools.event_handler', 'boto3', 's3transfer') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
