"""Every DynamoDB request of the Slack events endpoint, one method per access pattern: with botocore's
low-level client, since that endpoint imports no PynamoDB (docs/ARCHITECTURE.md, "Cold start"). What
they write is declared on `SlackEventItem`; what they read on `SlackWorkspaceRefItem`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sideconv import keys
from sideconv.store.conditions import condition_failed


class SlackEventStore:
    def __init__(self, dynamodb: Callable[[], Any], table: str) -> None:
        self._dynamodb = dynamodb  # the client, built on the first request that needs it
        self._table = table

    def workspace_account(self, team_id: str, enterprise_id: str | None) -> tuple[str, str] | None:
        """(account, state) of the workspace's routing item, or None when no account holds it: one GetItem."""
        ref = keys.slack_workspace_ref(enterprise_id, team_id)
        item = self._dynamodb().get_item(TableName=self._table, Key={keys.PK: {"S": ref}, keys.SK: {"S": ref}},
                                         ProjectionExpression="account_id, #state",
                                         ExpressionAttributeNames={"#state": "state"}).get("Item")
        if item and "account_id" in item:
            return item["account_id"]["S"], item.get("state", {}).get("S", "active")
        return None

    def record_event_id(self, event_id: str, ttl_seconds: int) -> bool:
        """One conditional PutItem of the event id; False when Slack already delivered it."""
        from botocore.exceptions import ClientError

        ref = keys.slack_event_ref(event_id)
        now = time.time()
        try:
            self._dynamodb().put_item(
                TableName=self._table,
                Item={
                    keys.PK: {"S": ref},
                    keys.SK: {"S": ref},
                    "kind": {"S": "slack_event"},
                    "received_at": {"S": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))},
                    keys.TTL_ATTRIBUTE: {"N": str(int(now) + ttl_seconds)},
                },
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": keys.PK},
            )
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def forget_event_id(self, event_id: str) -> None:
        """The event was not handed off: Slack's retry must go through."""
        ref = keys.slack_event_ref(event_id)
        self._dynamodb().delete_item(TableName=self._table, Key={keys.PK: {"S": ref}, keys.SK: {"S": ref}})
