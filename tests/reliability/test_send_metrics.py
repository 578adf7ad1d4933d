"""Every outbound message that ends counts once in the metrics, and every failure in the alarmed one.

`SendFailed` is what the `SendFailed` alarm watches (infra/components/monitoring.py), for any channel;
`EmailSent`/`EmailFailed` and `SlackSent`/`SlackFailed` break it down. Read from the EMF documents the
real handlers print, as CloudWatch would.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.reliability.harness import Faults, World, world

pytestmark = [pytest.mark.xdist_group("reliability"), pytest.mark.filterwarnings("ignore::UserWarning")]


def _emitted(capsys: pytest.CaptureFixture[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in capsys.readouterr().out.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if not isinstance(document, dict) or "_aws" not in document:
            continue
        assert document["service"] == "side-conversations"  # the alarms' dimension
        for directive in document["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "Atender/SideConversations"
            for metric in directive["Metrics"]:
                value = document[metric["Name"]]
                counts[metric["Name"]] += int(sum(value) if isinstance(value, list) else value)
    return counts


def _statuses(w: World) -> list[str]:
    return sorted(m["delivery"]["M"]["status"]["S"] for m in w.messages())


def test_sent_and_refused_messages_count_per_channel_and_every_refusal_in_send_failed(
        capsys: pytest.CaptureFixture[str]) -> None:
    with world(Faults(ses_reject=1.0)) as w:
        # Given one mail SES refuses and one Slack post to a channel the app is not in
        w.start_email("Please approve msg-refused", key="refused-mail")
        w.start_slack("Is it fixed? msg-refused", key="refused-post", channel_id="C0PRIVATE")
        capsys.readouterr()  # only what the senders print from here
        w.pump()
        # And one of each that goes through
        with w.faults_off():
            w.start_email("Please approve msg-ok", key="ok-mail")
            w.start_slack("Is it fixed? msg-ok", key="ok-post")
            w.pump()
        # Then every message ended, and each counted once where the alarm and the dashboard look
        assert _statuses(w) == ["failed", "failed", "sent", "sent"]
        emitted = _emitted(capsys)
        assert {name: emitted[name] for name in
                ("EmailSent", "EmailFailed", "SlackSent", "SlackFailed", "SendFailed")} == {
            "EmailSent": 1, "EmailFailed": 1, "SlackSent": 1, "SlackFailed": 1, "SendFailed": 2}
        # And a redelivery of an ended message counts nothing again
        w.redrive(after_seconds=0)
        w.pump()
        assert not {"EmailSent", "EmailFailed", "SlackSent", "SlackFailed", "SendFailed"} & set(_emitted(capsys))


def test_a_message_the_redrive_gives_up_on_counts_in_send_failed(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDRIVE_MAX", "1")
    with world() as w:
        # Given a Slack message whose outbox record never reached the queue, and a sender that is down
        w.start_slack("Is it fixed? msg-lost", key="lost")
        with w.outbox_records_lost():
            w.pump()
            capsys.readouterr()
            # When the schedule re-drives it once, and then finds it still pending past its give-up age
            assert w.redrive(after_seconds=0, give_up_seconds=0)["redriven"] == 1
        assert w.redrive(after_seconds=0, give_up_seconds=0)["failed"] == 1
        # Then it counts as a failed send of its channel
        emitted = _emitted(capsys)
        assert (emitted["SendFailed"], emitted["SlackFailed"], emitted["SlackSent"]) == (1, 1, 0)
        assert _statuses(w) == ["failed"]
