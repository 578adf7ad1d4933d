"""The table's definition in one place: the local stack and the tests create it from here, and the
CDK stack declares the same keys and indexes (tests/infra checks they agree)."""

from __future__ import annotations

from typing import Any

from sideconv import keys


def table_definition(table_name: str) -> dict[str, Any]:
    """CreateTable arguments (boto3 shape) for the single table, with its stream for the outbox."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": keys.PK, "AttributeType": "S"},
            {"AttributeName": keys.SK, "AttributeType": "S"},
            {"AttributeName": keys.LSI_BY_ACTIVITY_SK, "AttributeType": "S"},
            {"AttributeName": keys.GSI_INBOX_PK, "AttributeType": "S"},
            {"AttributeName": keys.GSI_INBOX_SK, "AttributeType": "S"},
            {"AttributeName": keys.GSI_PENDING_PK, "AttributeType": "S"},
            {"AttributeName": keys.GSI_PENDING_SK, "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": keys.PK, "KeyType": "HASH"},
            {"AttributeName": keys.SK, "KeyType": "RANGE"},
        ],
        "LocalSecondaryIndexes": [
            {
                "IndexName": keys.LSI_BY_ACTIVITY,
                "KeySchema": [
                    {"AttributeName": keys.PK, "KeyType": "HASH"},
                    {"AttributeName": keys.LSI_BY_ACTIVITY_SK, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": keys.GSI_INBOX,
                "KeySchema": [
                    {"AttributeName": keys.GSI_INBOX_PK, "KeyType": "HASH"},
                    {"AttributeName": keys.GSI_INBOX_SK, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                # Sparse (pending outbound messages only), so ALL costs little and the re-drive can
                # re-enqueue the item as its stream record without reading the table again.
                "IndexName": keys.GSI_PENDING,
                "KeySchema": [
                    {"AttributeName": keys.GSI_PENDING_PK, "KeyType": "HASH"},
                    {"AttributeName": keys.GSI_PENDING_SK, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }


def outbox_filter(channel: str | None = None) -> dict[str, Any]:
    """The event pattern of a newly recorded outbound message, still pending (of `channel`, or of any).

    Without a channel it filters the outbox pipe in AWS and the local stack's pipe (sideconv.outbox
    routes by channel after it).
    """
    image: dict[str, Any] = {"kind": {"S": ["message"]}, "direction": {"S": ["outbound"]},
                             "delivery": {"M": {"status": {"S": ["pending"]}}}}
    if channel is not None:
        image["channel"] = {"S": [channel]}
    return {"eventName": ["INSERT"], "dynamodb": {"NewImage": image}}


def events_filter() -> dict[str, Any]:
    """The stream records `publish_events` reads: new or changed summaries, messages, quarantined mail."""
    return {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {"NewImage": {"kind": {"S": ["side_conversation", "message", "quarantine"]}}},
    }
