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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sideconv import clock, keys
from sideconv.observability import logger

PAGE_SIZE = 100


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


def overdue(dynamodb: Any, table: str, channel: str, before: str) -> Iterable[dict[str, Any]]:
    """Pending messages of a channel created before `before`, oldest first (the sparse index)."""
    start: dict[str, Any] | None = None
    while True:
        request: dict[str, Any] = {
            "TableName": table, "IndexName": keys.GSI_PENDING, "Limit": PAGE_SIZE,
            "KeyConditionExpression": "#pk = :pk AND #sk < :before",
            "ExpressionAttributeNames": {"#pk": keys.GSI_PENDING_PK, "#sk": keys.GSI_PENDING_SK},
            "ExpressionAttributeValues": {":pk": {"S": keys.pending_pk(channel)}, ":before": {"S": before}},
        }
        if start:
            request["ExclusiveStartKey"] = start
        page = dynamodb.query(**request)
        yield from page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def _key(item: dict[str, Any]) -> dict[str, Any]:
    return {keys.PK: item[keys.PK], keys.SK: item[keys.SK]}


def _conditional_failed(exc: Exception) -> bool:
    return getattr(exc, "response", {}).get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _clear(dynamodb: Any, table: str, item: dict[str, Any]) -> bool:
    """Take a message that is no longer pending off the index."""
    try:
        dynamodb.update_item(
            TableName=table, Key=_key(item),
            UpdateExpression="REMOVE #gpk, #gsk",
            ConditionExpression="attribute_exists(#pk) AND #delivery.#status <> :pending",
            ExpressionAttributeNames={"#gpk": keys.GSI_PENDING_PK, "#gsk": keys.GSI_PENDING_SK, "#pk": keys.PK,
                                      "#delivery": "delivery", "#status": "status"},
            ExpressionAttributeValues={":pending": {"S": "pending"}})
    except Exception as exc:
        if _conditional_failed(exc):
            return False
        raise
    return True


def _count(dynamodb: Any, table: str, item: dict[str, Any], before: str, now: str) -> dict[str, Any] | None:
    """One more re-drive, only while still pending and not re-driven since `before`; the new item, or
    None when the condition does not hold."""
    try:
        answer = dynamodb.update_item(
            TableName=table, Key=_key(item),
            UpdateExpression="SET #at = :now ADD #redrives :one",
            ConditionExpression="#delivery.#status = :pending AND (attribute_not_exists(#at) OR #at <= :before)",
            ExpressionAttributeNames={"#redrives": "redrives", "#delivery": "delivery", "#status": "status",
                                      "#at": "redriven_at"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":pending": {"S": "pending"}, ":before": {"S": before},
                                       ":now": {"S": now}},
            ReturnValues="ALL_NEW")
    except Exception as exc:
        if _conditional_failed(exc):
            return None
        raise
    return dict(answer["Attributes"])


def _fail(dynamodb: Any, table: str, item: dict[str, Any], detail: str, now: str) -> bool:
    attempts = item.get("delivery", {}).get("M", {}).get("attempts", {"N": "0"})
    try:
        dynamodb.update_item(
            TableName=table, Key=_key(item),
            UpdateExpression="SET #delivery = :delivery REMOVE #gpk, #gsk",
            ConditionExpression="#delivery.#status = :pending",
            ExpressionAttributeNames={"#delivery": "delivery", "#status": "status", "#gpk": keys.GSI_PENDING_PK,
                                      "#gsk": keys.GSI_PENDING_SK},
            ExpressionAttributeValues={":pending": {"S": "pending"}, ":delivery": {"M": {
                "status": {"S": "failed"}, "detail": {"S": detail}, "updated_at": {"S": now},
                "attempts": attempts}}})
    except Exception as exc:
        if _conditional_failed(exc):
            return False
        raise
    return True


def stream_record(item: dict[str, Any], stream_arn: str, event_id: str) -> dict[str, Any]:
    """The item as the pipe hands an INSERT to the queue (what the senders parse)."""
    return {"eventID": event_id, "eventName": "INSERT", "eventSource": "aws:dynamodb", "eventVersion": "1.1",
            "eventSourceARN": stream_arn,
            "dynamodb": {"Keys": _key(item), "NewImage": item, "StreamViewType": "NEW_AND_OLD_IMAGES"}}


def redrive(dynamodb: Any, sqs: Any, config: RedriveConfig, *, now: datetime | None = None,
            new_id: Callable[[], str] = clock.new_id) -> RedriveReport:
    report = RedriveReport()
    moment = now or datetime.now(UTC)
    before = cutoff(moment, config.after_seconds)
    too_old = cutoff(moment, config.give_up_seconds)
    stamp = cutoff(moment, 0)
    for channel, queue_url in sorted(config.queue_urls.items()):
        for item in overdue(dynamodb, config.table_name, channel, before):
            message_id = item.get("id", {}).get("S", "?")
            log = {"message_id": message_id, "channel": channel}
            if item.get("delivery", {}).get("M", {}).get("status", {}).get("S") != "pending":
                if _clear(dynamodb, config.table_name, item):
                    report.cleared.append(message_id)
                continue
            done = int(item.get("redrives", {}).get("N", "0"))
            if item.get("redriven_at", {}).get("S", "") > before:
                continue  # re-driven within this deadline period: give that copy its time
            if done >= config.max_redrives and item.get("created_at", {}).get("S", "") <= too_old:
                detail = (f"not delivered: still pending after {done} re-drives "
                          f"({config.after_seconds} s apart); the channel never answered")
                if _fail(dynamodb, config.table_name, item, detail, stamp):
                    report.failed.append((channel, message_id))
                    logger.error("outbound message given up", extra=log)
                continue
            current = _count(dynamodb, config.table_name, item, before, stamp)
            if current is None:
                if _clear(dynamodb, config.table_name, item):
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
