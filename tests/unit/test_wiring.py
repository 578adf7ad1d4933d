"""The wiring: what a container builds once (per wiring, never per process), and what a batch builds for
itself (the Slack sender's held groups end with their batch)."""

from __future__ import annotations

from typing import Any

from sideconv.config import from_env
from sideconv.wiring import Wiring, built


def test_a_factory_builds_once_per_wiring_and_a_new_wiring_is_a_new_container() -> None:
    made: list[object] = []

    @built
    def client(wiring: Wiring) -> object:
        made.append(object())
        return made[-1]

    first = Wiring(from_env())
    assert client(first) is client(first)
    second = Wiring(from_env())
    assert client(second) is not client(first)
    assert len(made) == 2


def test_a_test_provides_a_fake_in_place_of_what_a_factory_builds() -> None:
    @built
    def client(wiring: Wiring) -> object:
        raise AssertionError("not built: the fake stands in")

    wiring = Wiring(from_env())
    fake = object()
    wiring.provide(client, fake)
    assert client(wiring) is fake


def test_a_wiring_shows_no_setting_in_a_log_line(monkeypatch: Any) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-token")
    wiring = Wiring.from_env()
    assert wiring.settings.slack_bot_token == "xoxb-secret-token"
    assert "xoxb" not in repr(wiring)


class _Sqs:
    def __init__(self) -> None:
        self.held: list[tuple[str, int]] = []

    def change_message_visibility(self, *, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int) -> None:
        self.held.append((ReceiptHandle, VisibilityTimeout))


def _raw(message_id: str, group: str) -> dict[str, Any]:
    return {"messageId": message_id, "receiptHandle": f"rh-{message_id}", "attributes": {"MessageGroupId": group},
            "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:side-conversations-slack.fifo"}


def test_each_batch_has_its_own_slack_sender_and_the_container_keeps_its_pacing() -> None:
    from sideconv.slack import outbound

    wiring = Wiring(from_env())
    sqs = _Sqs()
    wiring.provide(outbound._sqs, sqs)
    wiring.provide(outbound._store, object())  # never read: no record is delivered here
    # Given a batch whose group g was held for 7 s (a 429), and which ended before holding the rest
    first = outbound.sender(wiring)
    first._held["g"] = 7  # what deliver_record records when Slack says to wait
    # When the next batch's messages of group g fail (skipped behind a message of their own)
    second = outbound.sender(wiring)
    event = {"Records": [_raw("m1", "g"), _raw("m2", "g")]}
    second.hold_skipped(event, {"batchItemFailures": [{"itemIdentifier": "m2"}]})
    # Then nothing of the first batch holds them back: that hold was the first batch's alone
    assert sqs.held == []
    assert second is not first
    # And the pacing (a channel's last post) is the container's, shared by both batches
    assert second._pacer is first._pacer
    # While within one batch, a held group holds back the messages skipped behind it
    first.hold_skipped(event, {"batchItemFailures": [{"itemIdentifier": "m2"}]})
    assert sqs.held == [("rh-m2", 7)]
