"""The outbound messages still in flight, on the sparse GSI `pending_outbound`, and the re-drive's
writes on them (sideconv.redrive): one method per access pattern, each write conditioned on the
message still being `pending` (or, to clear it, no longer). botocore's low-level client, as the
re-drive's function takes it (no PynamoDB on its cold start); every attribute written is declared on
`MessageItem` (`delivery`, `redrives`, `redriven_at`, the index keys)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sideconv import keys
from sideconv.store.conditions import condition_failed

PAGE_SIZE = 100


def item_key(item: dict[str, Any]) -> dict[str, Any]:
    return {keys.PK: item[keys.PK], keys.SK: item[keys.SK]}


class PendingOutbound:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self._table = table

    def overdue(self, channel: str, before: str) -> Iterable[dict[str, Any]]:
        """Pending messages of a channel created before `before`, oldest first (the sparse index)."""
        start: dict[str, Any] | None = None
        while True:
            request: dict[str, Any] = {
                "TableName": self._table, "IndexName": keys.GSI_PENDING, "Limit": PAGE_SIZE,
                "KeyConditionExpression": "#pk = :pk AND #sk < :before",
                "ExpressionAttributeNames": {"#pk": keys.GSI_PENDING_PK, "#sk": keys.GSI_PENDING_SK},
                "ExpressionAttributeValues": {":pk": {"S": keys.pending_pk(channel)}, ":before": {"S": before}},
            }
            if start:
                request["ExclusiveStartKey"] = start
            page = self._dynamodb.query(**request)
            yield from page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    def clear(self, item: dict[str, Any]) -> bool:
        """Take a message that is no longer pending off the index."""
        try:
            self._dynamodb.update_item(
                TableName=self._table, Key=item_key(item),
                UpdateExpression="REMOVE #gpk, #gsk",
                ConditionExpression="attribute_exists(#pk) AND #delivery.#status <> :pending",
                ExpressionAttributeNames={"#gpk": keys.GSI_PENDING_PK, "#gsk": keys.GSI_PENDING_SK, "#pk": keys.PK,
                                          "#delivery": "delivery", "#status": "status"},
                ExpressionAttributeValues={":pending": {"S": "pending"}})
        except Exception as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def count_redrive(self, item: dict[str, Any], before: str, now: str) -> dict[str, Any] | None:
        """One more re-drive, only while still pending and not re-driven since `before`; the new item, or
        None when the condition does not hold."""
        try:
            answer = self._dynamodb.update_item(
                TableName=self._table, Key=item_key(item),
                UpdateExpression="SET #at = :now ADD #redrives :one",
                ConditionExpression="#delivery.#status = :pending AND (attribute_not_exists(#at) OR #at <= :before)",
                ExpressionAttributeNames={"#redrives": "redrives", "#delivery": "delivery", "#status": "status",
                                          "#at": "redriven_at"},
                ExpressionAttributeValues={":one": {"N": "1"}, ":pending": {"S": "pending"}, ":before": {"S": before},
                                           ":now": {"S": now}},
                ReturnValues="ALL_NEW")
        except Exception as exc:
            if condition_failed(exc):
                return None
            raise
        return dict(answer["Attributes"])

    def give_up(self, item: dict[str, Any], detail: str, now: str) -> bool:
        attempts = item.get("delivery", {}).get("M", {}).get("attempts", {"N": "0"})
        try:
            self._dynamodb.update_item(
                TableName=self._table, Key=item_key(item),
                UpdateExpression="SET #delivery = :delivery REMOVE #gpk, #gsk",
                ConditionExpression="#delivery.#status = :pending",
                ExpressionAttributeNames={"#delivery": "delivery", "#status": "status", "#gpk": keys.GSI_PENDING_PK,
                                          "#gsk": keys.GSI_PENDING_SK},
                ExpressionAttributeValues={":pending": {"S": "pending"}, ":delivery": {"M": {
                    "status": {"S": "failed"}, "detail": {"S": detail}, "updated_at": {"S": now},
                    "attempts": attempts}}})
        except Exception as exc:
            if condition_failed(exc):
                return False
            raise
        return True
