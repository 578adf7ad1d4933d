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


def outbox_filter(channel: str) -> dict[str, Any]:
    """The event pattern that routes a newly recorded outbound message to its channel's sender.

    The same pattern filters the EventBridge Pipe in AWS and the local stack's stream relay.
    """
    return {
        "eventName": ["INSERT"],
        "dynamodb": {
            "NewImage": {
                "kind": {"S": ["message"]},
                "direction": {"S": ["outbound"]},
                "channel": {"S": [channel]},
            }
        },
    }


def events_filter() -> dict[str, Any]:
    """The stream records `publish_events` reads: new or changed summaries, messages, quarantined mail."""
    return {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {"NewImage": {"kind": {"S": ["side_conversation", "message", "quarantine"]}}},
    }


# Pipe target parameters: one FIFO group per side conversation keeps a thread's messages in order;
# the message id deduplicates a record relayed twice.
OUTBOX_GROUP_PATH = "$.dynamodb.NewImage.side_conversation_id.S"
OUTBOX_DEDUP_PATH = "$.dynamodb.NewImage.id.S"
