"""Queues with their dead-letter queues, and the wiring of a consumer to one.

Every consumer reports partial batch failures, so one bad record is retried alone, and after
`max_receive_count` attempts it moves to the dead-letter queue. The redrive path is SQS's own:
`aws sqs start-message-move-task --source-arn <dead-letter queue ARN>` moves the messages back to the
queue they came from (docs/DEPLOY.md).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.components.nag import acknowledge

DLQ_RETENTION = Duration.days(14)


def dead_letter_queue(scope: Construct, construct_id: str, *, fifo: bool = False) -> sqs.Queue:
    queue = sqs.Queue(
        scope, construct_id,
        fifo=fifo or None,
        retention_period=DLQ_RETENTION,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
    )
    acknowledge(queue, "AwsSolutions-SQS3", "This queue is itself a dead-letter queue.")
    return queue


class ConsumedQueue(Construct):
    """A queue, its dead-letter queue, and the one function that consumes it."""

    def __init__(self, scope: Construct, construct_id: str, *, consumer_timeout: Duration,
                 fifo: bool = False, max_receive_count: int = 5) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = dead_letter_queue(self, "DeadLetterQueue", fifo=fifo)
        self.queue = sqs.Queue(
            self, "Queue",
            fifo=fifo or None,
            # Pipes set a deduplication id per record; content-based deduplication would drop
            # two distinct messages with the same body.
            content_based_deduplication=False if fifo else None,
            # AWS advises six times the consumer's timeout, so a retried batch is not read twice.
            visibility_timeout=Duration.seconds(consumer_timeout.to_seconds() * 6),
            retention_period=Duration.days(4),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letter_queue,
                                                  max_receive_count=max_receive_count),
        )

    def feed(self, function: lambda_.Function, *, batch_size: int = 10) -> None:
        function.add_event_source(sources.SqsEventSource(
            self.queue, batch_size=batch_size, report_batch_item_failures=True))
