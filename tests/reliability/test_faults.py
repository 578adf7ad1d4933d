"""Fault injection over whole runs of the service: many side conversations on both channels, every fault on.

Each round is the whole service in one process (tests/reliability/harness.py): the API, the stream
relay, the FIFO outbox queues with their dead-letter queues, both senders, the Slack stand-in, embedded
SES and S3, the inbound mail function, and the scheduled re-drive. A round starts side conversations,
replies in them, receives vendor mail, drains, and re-drives what is still pending. Then every message
is accounted for: delivered once, or failed with a reason the agent can read; never duplicated, never
lost. `make test` runs a quick round (~100 messages); `make chaos` runs the long one (≥ 1,000 messages,
CHAOS_MESSAGES to change it) and prints the figures.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest

from tests.reliability.harness import Faults, World, world

pytestmark = [pytest.mark.xdist_group("reliability"),
              pytest.mark.filterwarnings("ignore::UserWarning")]

PER_ROUND = 100


@dataclass
class Figures:
    accepted: int = 0
    delivered: int = 0
    failed: int = 0
    duplicated: int = 0
    lost: int = 0
    dead_letters: int = 0
    redriven: int = 0
    inbound_received: int = 0
    inbound_appended: int = 0
    inbound_quarantined: int = 0
    inbound_dead_lettered: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def add(self, other: Figures) -> None:
        for name in ("accepted", "delivered", "failed", "duplicated", "lost", "dead_letters", "redriven",
                     "inbound_received", "inbound_appended", "inbound_quarantined", "inbound_dead_lettered"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.reasons.update(other.reasons)
        self.faults.update(other.faults)
        self.problems += other.problems

    def render(self, seconds: float) -> str:
        lines = [
            f"outbound messages accepted     {self.accepted}",
            f"  delivered exactly once       {self.delivered}",
            f"  failed with a reason         {self.failed}",
            f"  duplicated (must be 0)       {self.duplicated}",
            f"  lost (must be 0)             {self.lost}",
            f"  re-driven by the schedule    {self.redriven}",
            f"  records in dead-letter queues {self.dead_letters}",
            f"inbound mails received         {self.inbound_received}",
            f"  appended                     {self.inbound_appended}",
            f"  quarantined                  {self.inbound_quarantined}",
            f"  to the on-failure destination {self.inbound_dead_lettered}",
            "failure reasons: " + ", ".join(f"{r} ×{n}" for r, n in self.reasons.most_common(8)),
            "faults injected: " + ", ".join(f"{f} ×{n}" for f, n in sorted(self.faults.items())),
            f"({seconds:.0f} s)",
        ]
        return "\n".join(lines)


def _vendor_mail(to: str, marker: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Vera Vendor <vendor@partner.example>"
    mail["To"] = to
    mail["Subject"] = "Re: Refund"
    mail["Message-ID"] = f"<{marker}@partner.example>"
    mail.set_content(f"Approved. {marker}")
    return mail.as_bytes()


def _receive(w: World, to: str, marker: str, figures: Figures) -> None:
    """SES stores the raw mail (S3 action), then invokes the function asynchronously: two retries on error,
    then the on-failure destination."""
    import boto3

    from functions.ingest_email.handler import lambda_handler
    from local.email import receipt_event
    from tests.conftest import LambdaContextStub

    raw = _vendor_mail(to, marker)
    ses_id = f"{marker}-ses".replace("-", "x")
    with w.faults_off():
        boto3.client("s3", region_name="us-east-1").put_object(
            Bucket=w.stack.settings.received_mail_bucket, Key=f"{w.stack.settings.raw_mail_prefix}{ses_id}", Body=raw)
    event = receipt_event(raw, message_id=ses_id, recipients=[to], mail_from="vendor@partner.example")
    figures.inbound_received += 1
    outcomes = []
    for _ in range(3):
        try:
            answer = lambda_handler(event, LambdaContextStub())
        except Exception:
            w.restart()
            continue
        outcomes = [r["outcome"] for r in answer["results"]]
        break
    if not outcomes:
        figures.inbound_dead_lettered += 1
    elif outcomes[0] in ("appended", "duplicate"):
        figures.inbound_appended += 1
    elif outcomes[0] == "quarantined":
        figures.inbound_quarantined += 1
    else:
        figures.problems.append(f"inbound {marker}: {outcomes}")


def run_round(faults: Faults, messages: int, round_no: int) -> Figures:
    figures = Figures()
    with world(faults) as w:
        started: list[tuple[str, dict[str, Any]]] = []
        markers: dict[str, str] = {}  # message id → marker
        conversations = messages // 2
        for n in range(conversations):
            marker = f"msg-{round_no}-{n}-a"
            if n % 2 == 0:
                created = w.start_email(f"Please approve {marker}", key=marker,
                                        to=f"vendor{n}@partner.example")
            else:
                # Every tenth Slack one goes where the bot was never invited: a permanent failure.
                channel = "C0PRIVATE" if n % 10 == 1 else "C0ONCALL"
                created = w.start_slack(f"Is it fixed? {marker}", key=marker, channel_id=channel)
            started.append(("email" if n % 2 == 0 else "slack", created))
            markers[created["messages"][0]["id"]] = marker
            if n % 10 == 9:
                w.pump()
        w.pump()
        for n, (channel, created) in enumerate(started):
            marker = f"msg-{round_no}-{n}-b"
            reply = w.reply(created["id"], f"And one more thing {marker}", key=marker)
            markers[reply["id"]] = marker
            if channel == "email" and n % 5 == 0:
                _receive(w, created["email"]["reply_to"], f"in-{round_no}-{n}", figures)
            if n % 10 == 9:
                w.pump()
        w.settle()
        figures.accepted = len(markers)
        _account(w, markers, figures)
        figures.faults.update(w.faults.injected)
    return figures


def _account(w: World, markers: dict[str, str], figures: Figures) -> None:
    deliveries = w.ses_deliveries() + w.slack_deliveries()
    items = {m["id"]["S"]: m for m in w.messages()}
    figures.redriven = sum(int(m.get("redrives", {}).get("N", "0")) for m in items.values())
    figures.dead_letters = sum(w.dead_letters().values())
    for message_id, marker in markers.items():
        item = items.get(message_id)
        count = deliveries[marker]
        status = item["delivery"]["M"]["status"]["S"] if item else "missing"
        detail = item["delivery"]["M"].get("detail", {}).get("S") if item else None
        if count > 1:
            figures.duplicated += 1
            figures.problems.append(f"{marker} delivered {count} times")
        elif status == "sent" and count == 1:
            figures.delivered += 1
        elif status == "failed" and count == 0 and detail:
            figures.failed += 1
            figures.reasons[detail.split(":")[0][:40]] += 1
        else:
            figures.lost += 1
            figures.problems.append(f"{marker}: status {status}, {count} deliveries, detail {detail!r}")


def run(total: int, seed: int, slack_accepted_unrecorded: float = 0.1) -> tuple[Figures, float]:
    started = time.monotonic()
    figures = Figures()
    rounds = max(1, -(-total // PER_ROUND))
    for round_no in range(rounds):
        faults = Faults.everything(seed=seed + round_no, slack_accepted_unrecorded=slack_accepted_unrecorded)
        figures.add(run_round(faults, PER_ROUND, round_no))
    return figures, time.monotonic() - started


def _assert_guarantees(figures: Figures) -> None:
    assert figures.duplicated == 0, figures.problems
    assert figures.lost == 0, figures.problems
    assert not figures.problems, figures.problems
    assert figures.delivered + figures.failed == figures.accepted
    assert figures.inbound_appended + figures.inbound_quarantined + figures.inbound_dead_lettered \
        == figures.inbound_received


def test_quick_fault_run_loses_and_duplicates_nothing() -> None:
    # Given ~100 messages on both channels with every fault on, Slack posts often left unrecorded
    figures, seconds = run(PER_ROUND, seed=11, slack_accepted_unrecorded=0.3)
    print("\n" + figures.render(seconds))
    # Then each is delivered once or failed with a reason, none duplicated, none lost
    _assert_guarantees(figures)
    assert figures.accepted >= 100
    # and the faults did happen, enough to matter; what the queues lost, the schedule re-drove
    assert sum(figures.faults.values()) >= 25, figures.faults
    assert figures.failed >= 1  # SES rejections and the uninvited channel
    if figures.faults["pipe_loss"] or figures.faults["dead_letter"]:
        assert figures.redriven >= 1
    # a post Slack took whose result was lost was found again, not posted twice
    assert figures.faults["slack_accepted_unrecorded"] >= 3, figures.faults


@pytest.mark.skipif(not os.environ.get("CHAOS"), reason="the long run: `make chaos` (CHAOS=1)")
def test_chaos() -> None:
    total = int(os.environ.get("CHAOS_MESSAGES") or 1000)
    unrecorded = float(os.environ.get("CHAOS_SLACK_UNRECORDED") or 0.3)
    figures, seconds = run(total, seed=int(os.environ.get("CHAOS_SEED") or 2026), slack_accepted_unrecorded=unrecorded)
    print(f"\n\nmake chaos: every fault on (Slack accepted, result not recorded: {unrecorded:.0%} of posts)\n"
          + figures.render(seconds) + "\n")
    _assert_guarantees(figures)
    assert figures.accepted >= total
    expected = {"dynamodb_throttle", "dynamodb_5xx", "ses_throttle", "ses_reject", "ses_5xx", "s3_5xx",
                "slack_429", "slack_5xx", "slack_timeout", "queue_redelivery", "pipe_duplicate", "pipe_loss",
                "dead_letter", "slack_accepted_unrecorded"}
    assert expected <= set(figures.faults), figures.faults
