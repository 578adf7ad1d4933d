"""The scheduled re-drive: no outbound message stays `pending` forever.

The outbox hand-off (stream → pipe → FIFO queue → sender) is at least once, but each hop gives up at
some point: the pipe after its retry window, the queue after maxReceiveCount (to its DLQ), a sender
that crashed on every receive. Every outbound message is written with the keys of the sparse GSI
`pending_outbound` (`PENDING#<channel>`, `<created_at>#<id>`); this job reads the messages older than
a deadline from it (one Query per channel and page, no Scan) and, for each:

- if it is no longer `pending` (the index is eventually consistent, or a sender recorded the outcome
  without clearing the keys), the keys are removed so it leaves the index;
- if it is still `pending`, it is re-driven at most once per deadline period: its re-drive count and
  time go up (a conditional UpdateItem: the consistent check that it is still pending; the count
  also tells the sender that an earlier attempt may have reached the channel, since the re-queued copy
  is a new SQS message with a receive count of 1: the Slack sender then looks before posting) and it is put
  back on its channel's FIFO queue as the stream record the pipe would have sent, with the same group
  (its side conversation, so it waits behind anything of the thread still in flight) and a new
  deduplication id;
- once it was re-driven `max_redrives` times and is older than `give_up_seconds` (longer than any
  sender keeps retrying: Slack's rate limits can hold a message for hours), it ends `failed` with a
  reason the agent can read. A sender still holding it then finds it no longer pending.

Why re-enqueue rather than touch the item for the pipe to see: the pipe filters on INSERT (a MODIFY
of every delivery update would otherwise go to the senders), and the queue is where a sender reads
from anyway; the sender's own check (`delivery.status == pending`, read consistently) is what keeps
a message that was sent meanwhile from being sent again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sideconv import clock
from sideconv.observability import logger
from sideconv.store.pending import PendingOutbound, item_key


@dataclass
class RedriveReport:
    redriven: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (channel, message id)
    cleared: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"redriven": len(self.redriven), "failed": len(self.failed), "cleared": len(self.cleared)}


@dataclass(frozen=True)
class RedriveConfig:
    table_name: str
    stream_arn: str
    queue_urls: dict[str, str]
    after_seconds: int
    max_redrives: int
    give_up_seconds: int = 6 * 3600


def cutoff(now: datetime, after_seconds: int) -> str:
    """The sort key below which a pending message is overdue (ISO timestamps sort as text)."""
    moment = now - timedelta(seconds=after_seconds)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def stream_record(item: dict[str, Any], stream_arn: str, event_id: str) -> dict[str, Any]:
    """The item as the pipe hands an INSERT to the queue (what the senders parse)."""
    return {"eventID": event_id, "eventName": "INSERT", "eventSource": "aws:dynamodb", "eventVersion": "1.1",
            "eventSourceARN": stream_arn,
            "dynamodb": {"Keys": item_key(item), "NewImage": item, "StreamViewType": "NEW_AND_OLD_IMAGES"}}


def redrive(dynamodb: Any, sqs: Any, config: RedriveConfig, *, now: datetime | None = None,
            new_id: Callable[[], str] = clock.new_id) -> RedriveReport:
    report = RedriveReport()
    moment = now or datetime.now(UTC)
    before = cutoff(moment, config.after_seconds)
    too_old = cutoff(moment, config.give_up_seconds)
    stamp = cutoff(moment, 0)
    pending = PendingOutbound(dynamodb, config.table_name)
    for channel, queue_url in sorted(config.queue_urls.items()):
        for item in pending.overdue(channel, before):
            message_id = item.get("id", {}).get("S", "?")
            log = {"message_id": message_id, "channel": channel}
            if item.get("delivery", {}).get("M", {}).get("status", {}).get("S") != "pending":
                if pending.clear(item):
                    report.cleared.append(message_id)
                continue
            done = int(item.get("redrives", {}).get("N", "0"))
            if item.get("redriven_at", {}).get("S", "") > before:
                continue  # re-driven within this deadline period: give that copy its time
            if done >= config.max_redrives and item.get("created_at", {}).get("S", "") <= too_old:
                detail = (f"not delivered: still pending after {done} re-drives "
                          f"({config.after_seconds} s apart); the channel never answered")
                if pending.give_up(item, detail, stamp):
                    report.failed.append((channel, message_id))
                    logger.error("outbound message given up", extra=log)
                continue
            current = pending.count_redrive(item, before, stamp)
            if current is None:
                if pending.clear(item):
                    report.cleared.append(message_id)
                continue
            redrives = current.get("redrives", {}).get("N", "1")
            sqs.send_message(
                QueueUrl=queue_url,
                MessageBody=json.dumps(stream_record(current, config.stream_arn, f"redrive-{new_id()}")),
                MessageGroupId=current["side_conversation_id"]["S"],
                MessageDeduplicationId=f"{message_id}-redrive-{redrives}")
            report.redriven.append(message_id)
            logger.warning("outbound message re-driven", extra={**log, "redrives": redrives})
    return report
