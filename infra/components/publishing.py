"""Publishing: the table's stream, read by `publish_events`, becomes side-conversation events on an
EventBridge bus the helpdesk subscribes to."""

from __future__ import annotations

import json

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from sideconv.store.schema import events_filter

from infra.components.function import FunctionFactory
from infra.components.queues import dead_letter_queue
from infra.components.store import Store
from infra.settings import DeploySettings


class Publishing(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, factory: FunctionFactory, store: Store,
                 settings: DeploySettings, common_environment: dict[str, str]) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=f"{settings.stack_name}-events",
                                   description="Side-conversation events for the helpdesk")
        # Stream batches that still fail after the retries: a pointer to the shard range to replay.
        self.dead_letter_queue = dead_letter_queue(self, "DeadLetterQueue")
        self.function = factory.create(
            self, "publish_events", description="Publishes table changes as side-conversation events",
            timeout=Duration.seconds(30),
            environment={**common_environment, "EVENT_BUS_NAME": self.bus.event_bus_name})
        store.grant_read_write(self.function)
        self.bus.grant_put_events_to(self.function)
        # Granted by hand: the L2 event source would also allow dynamodb:ListStreams on '*'.
        self.function.add_to_role_policy(iam.PolicyStatement(
            actions=["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                     "dynamodb:ListStreams"],
            resources=[store.stream_arn]))
        lambda_.EventSourceMapping(
            self, "StreamSource",
            target=self.function,
            event_source_arn=store.stream_arn,
            starting_position=lambda_.StartingPosition.LATEST,
            batch_size=100,
            bisect_batch_on_error=True,
            retry_attempts=5,
            max_record_age=Duration.days(1),
            report_batch_item_failures=True,
            filters=[{"pattern": json.dumps(events_filter())}],
            on_failure=sources.SqsDlq(self.dead_letter_queue),
        )

    @property
    def functions(self) -> list[lambda_.Function]:
        return [self.function]

    @property
    def dead_letter_queues(self) -> list[tuple[str, sqs.IQueue]]:
        return [("publish-events", self.dead_letter_queue)]

