"""The scheduled re-drive: outbound messages left `pending` past a deadline go back on their outbox
queue, or end `failed` with a reason (sideconv.redrive). It reads the sparse `pending_outbound` index,
never the whole table."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from sideconv import channels, keys

from infra.components.function import FunctionFactory
from infra.components.queues import dead_letter_queue
from infra.components.senders import Senders
from infra.components.store import Store

# Every few minutes; a message is re-driven once it has been pending for REDRIVE_AFTER_SECONDS.
SCHEDULE = Duration.minutes(5)
REDRIVE_AFTER_SECONDS = 900


class Redrive(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, factory: FunctionFactory, store: Store,
                 senders: Senders, common_environment: dict[str, str]) -> None:
        super().__init__(scope, construct_id)
        # A run that fails is kept here: one the schedule could not invoke (the rule's dead-letter queue)
        # and one that failed in the function after Lambda's retry of the asynchronous invocation.
        self.dead_letter_queue = dead_letter_queue(self, "DeadLetterQueue")
        self.function = factory.create(
            self, "redrive", description="Re-drives outbound messages left pending past their deadline",
            timeout=Duration.minutes(2), dead_letter_queue=self.dead_letter_queue, retry_attempts=1,
            environment={**common_environment,
                         **{channels.queue_url_variable(channel): outbox.queue.queue.queue_url
                            for channel, outbox in senders.channels.items()},
                         "REDRIVE_AFTER_SECONDS": str(REDRIVE_AFTER_SECONDS)})
        # Query the pending index; update (re-drive, fail or clear) the messages it names. No Scan.
        self.function.add_to_role_policy(iam.PolicyStatement(
            actions=["dynamodb:Query"],
            resources=[f"{store.table.table_arn}/index/{keys.GSI_PENDING}"]))
        self.function.add_to_role_policy(iam.PolicyStatement(
            actions=["dynamodb:UpdateItem"], resources=[store.table.table_arn]))
        for outbox in senders.channels.values():
            outbox.queue.queue.grant_send_messages(self.function)
        events.Rule(self, "Schedule", description="Re-drive pending outbound messages",
                    schedule=events.Schedule.rate(SCHEDULE),
                    targets=[targets.LambdaFunction(self.function, dead_letter_queue=self.dead_letter_queue,
                                                    retry_attempts=2)])

    @property
    def functions(self) -> list[lambda_.Function]:
        return [self.function]

    @property
    def dead_letter_queues(self) -> list[tuple[str, sqs.IQueue]]:
        return [("redrive", self.dead_letter_queue)]
