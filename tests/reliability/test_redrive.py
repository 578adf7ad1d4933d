"""The scheduled re-drive (functions/redrive, sideconv.redrive): nothing stays `pending` forever.

Real handlers against embedded AWS; the outbox record is lost on purpose (the pipe's hand-off to the
queue fails for good, or the record goes to the dead-letter queue) and the schedule's run finds the
message on the sparse `pending_outbound` index, with Queries only.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from sideconv import keys

from tests.reliability.harness import CrashPoint, World, world

pytestmark = [pytest.mark.xdist_group("reliability"), pytest.mark.filterwarnings("ignore::UserWarning")]


def _lose_the_outbox_record(w: World) -> None:
    """The pipe reads the stream record but never hands it to the router (its retries ran out)."""
    with w.outbox_records_lost():
        w.pump()


def _status(w: World) -> list[tuple[str, str]]:
    return [(m["delivery"]["M"]["status"]["S"], m["delivery"]["M"].get("detail", {}).get("S", ""))
            for m in w.messages()]


def _on_index(w: World) -> list[dict[str, Any]]:
    return [m for m in w.messages() if keys.GSI_PENDING_PK in m]


@pytest.mark.parametrize("channel", ["email", "slack"])
def test_a_message_whose_record_was_lost_is_redriven_and_sent_once(channel: str) -> None:
    with world() as w:
        # Given an accepted message whose outbox record never reached the queue
        if channel == "email":
            w.start_email("Please approve msg-lost", key="lost")
        else:
            w.start_slack("Is it fixed? msg-lost", key="lost")
        _lose_the_outbox_record(w)
        assert _status(w) == [("pending", "")]
        # When the schedule runs before the deadline, nothing happens; after it, the message is re-driven
        assert w.redrive(after_seconds=3600) == {"redriven": 0, "failed": 0, "cleared": 0}
        assert w.redrive(after_seconds=0) == {"redriven": 1, "failed": 0, "cleared": 0}
        w.pump()
        # Then it was delivered exactly once, is recorded sent, and left the pending index
        deliveries = w.ses_deliveries() if channel == "email" else w.slack_deliveries()
        assert deliveries["msg-lost"] == 1
        assert [s for s, _ in _status(w)] == ["sent"]
        w.redrive(after_seconds=0)
        assert _on_index(w) == []


def test_a_message_sent_meanwhile_is_not_sent_again() -> None:
    with world() as w:
        # Given a message delivered normally (the sender's write does not clear the index keys itself)
        w.start_email("Please approve msg-done", key="done")
        w.pump()
        assert w.ses_deliveries()["msg-done"] == 1
        # When the schedule runs
        report = w.redrive(after_seconds=0)
        w.pump()
        # Then nothing is re-sent: at most its index entry is cleared
        assert report["redriven"] == 0
        assert w.ses_deliveries()["msg-done"] == 1
        assert _on_index(w) == []


def test_a_redrive_racing_a_slow_first_delivery_sends_once() -> None:
    with world() as w:
        # Given a message whose record is on the queue but not yet consumed, and the schedule firing anyway
        w.start_slack("Is it fixed? msg-race", key="race")
        w.stack._relay_stream()
        assert w.redrive(after_seconds=0)["redriven"] == 1
        # When both copies are consumed (same FIFO group: one after the other)
        w.pump()
        # Then Slack got it once
        assert w.slack_deliveries()["msg-race"] == 1
        assert [s for s, _ in _status(w)] == ["sent"]


def test_a_message_that_never_goes_out_ends_failed_with_a_reason() -> None:
    with world() as w:
        # Given a message whose record is lost at every hand-off (re-drives included), two re-drives allowed
        os.environ["REDRIVE_MAX"] = "2"
        w.start_email("Please approve msg-never", key="never")
        _lose_the_outbox_record(w)
        for _ in range(2):
            sqs = w.stack._sqs
            w.redrive(after_seconds=0)
            # the re-driven copies are dropped before a sender sees them
            url = w.stack.resources.outbox_queue_urls["email"]
            while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
                for message in messages:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        report = w.redrive(after_seconds=0)
        # Then after the last re-drive it ends failed, with a reason the agent can read, and nothing was sent
        assert report["failed"] == 1
        [(status, detail)] = _status(w)
        assert status == "failed"
        assert "not delivered" in detail
        assert w.ses_deliveries()["msg-never"] == 0
        assert _on_index(w) == []


def test_the_redrive_reads_the_index_never_the_table() -> None:
    from tests.slack_support import counting_aws_requests

    with world() as w:
        # Given a few pending messages and many settled ones
        for n in range(6):
            w.start_email(f"Please approve msg-q{n}", key=f"q{n}")
        w.pump()
        w.start_email("Please approve msg-p", key="p")
        _lose_the_outbox_record(w)
        w.redrive(after_seconds=0)  # clears the settled ones off the index
        w.pump()
        # When the schedule runs with one message overdue
        w.start_slack("Is it fixed? msg-p2", key="p2")
        _lose_the_outbox_record(w)
        with counting_aws_requests() as calls:
            report = w.redrive(after_seconds=0)
        # Then it made one Query per channel, one conditional UpdateItem per message it touched and one
        # SendMessage: no Scan, no GetItem
        assert report["redriven"] == 1
        assert report["failed"] == 0
        touched = 1 + report["cleared"]
        assert sorted(calls.of("dynamodb")) == ["Query", "Query", *["UpdateItem"] * touched]
        assert calls.of("sqs") == ["SendMessage"]


def test_a_crash_in_the_redrive_itself_loses_nothing() -> None:
    point = CrashPoint("sqs", "SendMessage", "before", 1)
    with world() as w:
        w.start_email("Please approve msg-rc", key="rc")
        _lose_the_outbox_record(w)
        # Given the schedule's run dies between counting the re-drive and enqueueing it
        w.crash = point
        with pytest.raises(BaseException, match=r"before sqs\.SendMessage"):
            w.redrive(after_seconds=0)
        w.restart()
        # When the next run comes
        w.redrive(after_seconds=0)
        w.pump()
        # Then the message goes out once
        assert point.fired
        assert w.ses_deliveries()["msg-rc"] == 1


def test_a_slow_message_is_redriven_once_per_period_and_failed_only_when_old() -> None:
    from datetime import UTC, datetime, timedelta

    import boto3
    from sideconv.redrive import RedriveConfig, redrive

    with world() as w:
        # Given a pending message (its record lost) and a schedule: 60 s deadline, 1 re-drive, give up at 1 h
        w.start_slack("Is it fixed? msg-slow", key="slow")
        _lose_the_outbox_record(w)
        config = RedriveConfig(table_name="side-conversations-test", stream_arn="arn", max_redrives=1,
                               queue_urls=dict(w.stack.resources.outbox_queue_urls), after_seconds=60,
                               give_up_seconds=3600)
        dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
        start = datetime.now(UTC)

        def run(after: int) -> dict[str, int]:
            return redrive(dynamodb, sqs, config, now=start + timedelta(seconds=after)).as_dict()

        # When the schedule runs every 30 s while a sender is still holding the message (not consumed here)
        # Then it is re-driven once per deadline period, never failed while young, failed once old
        assert run(30) == {"redriven": 0, "failed": 0, "cleared": 0}  # not overdue yet
        assert run(120) == {"redriven": 1, "failed": 0, "cleared": 0}
        assert run(150) == {"redriven": 0, "failed": 0, "cleared": 0}  # its copy is still within its period
        assert run(200) == {"redriven": 1, "failed": 0, "cleared": 0}  # over the count, but young: once more
        assert run(4000) == {"redriven": 0, "failed": 1, "cleared": 0}
        [(status, detail)] = _status(w)
        assert status == "failed"
        assert "not delivered" in detail
        # and a sender that gets one of the copies now finds it no longer pending: nothing is posted
        w.pump()
        assert w.slack_deliveries()["msg-slow"] == 0
