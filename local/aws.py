"""Resources the stack declares in AWS, created on embedded AWS (moto) from the same definitions."""

from __future__ import annotations

from dataclasses import dataclass

import boto3

from sideconv.config import Settings
from sideconv.store.schema import table_definition

OUTBOX_QUEUES = {"email": "side-conversations-outbox-email.fifo", "slack": "side-conversations-outbox-slack.fifo"}


@dataclass(frozen=True)
class LocalResources:
    stream_arn: str
    outbox_queue_urls: dict[str, str]


def create_resources(settings: Settings) -> LocalResources:
    dynamodb = boto3.client("dynamodb", region_name=settings.region)
    table = dynamodb.create_table(**table_definition(settings.table_name))["TableDescription"]
    dynamodb.update_time_to_live(
        TableName=settings.table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )
    s3 = boto3.client("s3", region_name=settings.region)
    s3.create_bucket(Bucket=settings.raw_mail_bucket)
    sqs = boto3.client("sqs", region_name=settings.region)
    urls = {
        channel: sqs.create_queue(
            QueueName=name, Attributes={"FifoQueue": "true", "VisibilityTimeout": "60"}
        )["QueueUrl"]
        for channel, name in OUTBOX_QUEUES.items()
    }
    return LocalResources(stream_arn=table["LatestStreamArn"], outbox_queue_urls=urls)
