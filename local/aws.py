"""Resources the stack declares in AWS, created on embedded AWS (moto) from the same definitions."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from sideconv import channels
from sideconv.config import Settings
from sideconv.helpdesk_events import SOURCE as EVENT_SOURCE
from sideconv.store.schema import table_definition


def share_botocore_loader() -> None:
    """Every botocore session in this process reads the service models and endpoints through one loader.

    Each new session (each `mock_aws()` in the tests; each PynamoDB model's connection, and each
    handler's clients, in the local stack) otherwise read and decoded the JSON again: about 0.2 s of
    CPU, and in `python -m local` some 9 MB of endpoint data for each of its two dozen sessions. The
    files never change while the process runs; botocore already shares its models between the clients
    of one session. Not in AWS: a Lambda's few sessions are made once, at its cold start."""
    import functools

    import botocore.loaders
    import botocore.session

    if not hasattr(botocore.session.create_loader, "cache_info"):
        botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)


class _OutboxQueues(Mapping[str, str]):
    """Each installed channel's outbox queue name, by channel (sideconv.channels, read on use)."""

    def __getitem__(self, channel: str) -> str:
        return channels.QUEUE_NAME.format(channel=channels.get(channel).name)

    def __iter__(self) -> Iterator[str]:
        return iter(channels.names())

    def __len__(self) -> int:
        return len(channels.names())


OUTBOX_QUEUES: Mapping[str, str] = _OutboxQueues()
# Slack events, from the events endpoint to the processor (FIFO: one group per channel, dedup by event id).
SLACK_EVENTS_QUEUE = "side-conversations-slack-events.fifo"
# The follow-ups' schedule group and what its schedules name (infra/components/follow_ups.py); the local
# stack plays the Scheduler (local/scheduler.py), so the function and role ARNs are only names here.
FOLLOW_UP_GROUP = "side-conversations-follow-ups"
FOLLOW_UP_FUNCTION_ARN = "arn:aws:lambda:us-east-1:000000000000:function:follow_up"
FOLLOW_UP_ROLE_ARN = "arn:aws:iam::000000000000:role/follow-up-scheduler"
FOLLOW_UP_DLQ = "side-conversations-follow-ups-dlq"


@dataclass(frozen=True)
class LocalResources:
    stream_arn: str
    outbox_queue_urls: dict[str, str]
    slack_events_queue_url: str = ""
    # Where the local stack captures what is published to the event bus (GET /_local/events).
    events_capture_queue_url: str = ""


def create_resources(settings: Settings) -> LocalResources:
    dynamodb = boto3.client("dynamodb", region_name=settings.region)
    table = dynamodb.create_table(**table_definition(settings.table_name))["TableDescription"]
    dynamodb.update_time_to_live(
        TableName=settings.table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )
    s3 = boto3.client("s3", region_name=settings.region)
    s3.create_bucket(Bucket=settings.received_mail_bucket)
    s3.create_bucket(Bucket=settings.uploads_bucket)
    # SES sends only from a verified identity; the shared sending domain is verified in the stack.
    from local import moto_sesv2

    moto_sesv2.install()  # SES v2 as sending domains need it (identities, MAIL FROM, tenants, DKIM)
    shared_domain = settings.sender_address.rpartition("@")[2]
    boto3.client("sesv2", region_name=settings.region).create_email_identity(EmailIdentity=shared_domain)
    moto_sesv2.verify(shared_domain, region=settings.region)
    sqs = boto3.client("sqs", region_name=settings.region)
    urls = {
        channel: sqs.create_queue(
            QueueName=name, Attributes={"FifoQueue": "true", "VisibilityTimeout": "60"}
        )["QueueUrl"]
        for channel, name in OUTBOX_QUEUES.items()
    }
    slack_events = sqs.create_queue(
        QueueName=SLACK_EVENTS_QUEUE, Attributes={"FifoQueue": "true", "VisibilityTimeout": "60"}
    )["QueueUrl"]
    _follow_up_schedules(settings, sqs)
    return LocalResources(stream_arn=table["LatestStreamArn"], outbox_queue_urls=urls,
                          slack_events_queue_url=slack_events,
                          events_capture_queue_url=_event_bus_with_capture(settings, sqs))


def _follow_up_schedules(settings: Settings, sqs: Any) -> None:
    """The schedule group and its dead-letter queue; `publish_events` finds them in its environment,
    as the stack configures it in AWS."""
    import os

    boto3.client("scheduler", region_name=settings.region).create_schedule_group(Name=FOLLOW_UP_GROUP)
    dlq = sqs.create_queue(QueueName=FOLLOW_UP_DLQ)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    os.environ.update({"FOLLOW_UP_SCHEDULE_GROUP": FOLLOW_UP_GROUP, "FOLLOW_UP_FUNCTION_ARN": FOLLOW_UP_FUNCTION_ARN,
                       "FOLLOW_UP_SCHEDULER_ROLE_ARN": FOLLOW_UP_ROLE_ARN, "FOLLOW_UP_DLQ_ARN": arn})


def _event_bus_with_capture(settings: Settings, sqs: Any) -> str:
    """The bus the events go to, and a rule that copies every event to a queue the stack reads."""
    events = boto3.client("events", region_name=settings.region)
    events.create_event_bus(Name=settings.event_bus_name)
    queue_url = sqs.create_queue(QueueName="side-conversations-local-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="local-capture", EventBusName=settings.event_bus_name,
                    EventPattern=json.dumps({"source": [EVENT_SOURCE]}))
    events.put_targets(Rule="local-capture", EventBusName=settings.event_bus_name,
                       Targets=[{"Id": "capture", "Arn": queue_arn}])
    return str(queue_url)
