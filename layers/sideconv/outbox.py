"""The outbox hand-off: the one pipe on the table's stream passes new outbound messages, of any channel,
to `route_outbox`, which puts each on its channel's FIFO queue.

One pipe instead of one per channel keeps the stream at two readers (DynamoDB Streams throttles a third;
docs/ARCHITECTURE.md, "Infrastructure"). What the per-channel pipes gave is kept:

- the message body is the stream record, as a pipe would have sent it, so the senders read what they read;
- the group is the side conversation, so a thread's messages are sent in order, and the deduplication
  id is the message id, so a record handed over twice (a retried batch) is queued once;
- order within a group survives a partial failure: one `SendMessageBatch` never holds two messages of
  one group, and after a failure nothing later of that channel is sent. The failed records are
  reported (`batchItemFailures`, by eventID) and the pipe retries them; those it had sent already
  are dropped by the queue's deduplication (5 minutes). A retry later than that queues a second copy,
  which waits behind the first in its group and is skipped by the sender: it sends only a message
  still `pending`.

A record for a channel with no queue fails too: it stays on the stream (then the pipe's dead-letter
queue), never silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sideconv.observability import logger

# SendMessageBatch takes at most ten messages.
MAX_BATCH = 10


@dataclass(frozen=True)
class _Message:
    event_id: str
    channel: str
    group: str
    dedup: str
    body: str


def _message(record: Mapping[str, Any]) -> _Message:
    image = record["dynamodb"]["NewImage"]
    return _Message(event_id=str(record["eventID"]), channel=image["channel"]["S"],
                    group=image["side_conversation_id"]["S"], dedup=image["id"]["S"],
                    body=json.dumps(record, default=str))


def _batches(messages: Sequence[_Message]) -> list[list[_Message]]:
    """Consecutive runs of at most MAX_BATCH messages, no two of one group in a run."""
    batches: list[list[_Message]] = []
    groups: set[str] = set()
    for message in messages:
        if not batches or len(batches[-1]) == MAX_BATCH or message.group in groups:
            batches.append([])
            groups = set()
        batches[-1].append(message)
        groups.add(message.group)
    return batches


def _send(sqs: Any, queue_url: str, batch: Sequence[_Message]) -> set[str]:
    """The event ids of the batch that were not queued."""
    try:
        answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(n), "MessageBody": m.body, "MessageGroupId": m.group, "MessageDeduplicationId": m.dedup}
            for n, m in enumerate(batch)])
    except (BotoCoreError, ClientError):  # botocore already retried; the pipe retries the batch
        logger.exception("outbox batch not queued", extra={"queue_url": queue_url, "records": len(batch)})
        return {m.event_id for m in batch}
    failed = answer.get("Failed") or []
    for failure in failed:
        logger.warning("outbox message not queued", extra={
            "code": failure.get("Code"), "sender_fault": failure.get("SenderFault"),
            "message_id": batch[int(failure["Id"])].dedup})
    return {batch[int(f["Id"])].event_id for f in failed}


def route(records: Sequence[Mapping[str, Any]], sqs: Any, queue_urls: Mapping[str, str]) -> list[str]:
    """Queue each record on its channel's queue; the eventIDs to retry, in stream order."""
    by_channel: dict[str, list[_Message]] = {}
    failed: set[str] = set()
    for record in records:
        message = _message(record)
        if message.channel not in queue_urls:
            logger.error("outbox message for a channel without a queue",
                         extra={"channel": message.channel, "message_id": message.dedup})
            failed.add(message.event_id)
            continue
        by_channel.setdefault(message.channel, []).append(message)
    for channel, messages in by_channel.items():
        batches = _batches(messages)
        for n, batch in enumerate(batches):
            not_queued = _send(sqs, queue_urls[channel], batch)
            if not_queued:
                # Nothing after a failure, so nothing overtakes it; the queue drops what this batch did send.
                failed |= not_queued | {m.event_id for later in batches[n + 1:] for m in later}
                break
    return [str(r["eventID"]) for r in records if str(r["eventID"]) in failed]
