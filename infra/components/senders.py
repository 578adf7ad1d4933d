"""The outbox: one EventBridge Pipe reads the table's stream, filtered to new outbound messages of every
channel, and hands them to `route_outbox`, which puts each on its channel's FIFO queue; that channel's
sender consumes the queue.

Recording a message and queueing its delivery is one DynamoDB write; the pipe turns the write into a
queue message, so nothing is sent that was not recorded, and nothing recorded is lost. One pipe for
every channel, not one each: a DynamoDB stream serves two readers (this pipe and `publish_events`)
and throttles a third (docs/ARCHITECTURE.md, "Infrastructure").
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from sideconv.outbox import MAX_BATCH
from sideconv.store.schema import outbox_filter

from infra.components.email import ATTACHMENTS_PREFIX, Email
from infra.components.function import FunctionFactory
from infra.components.queues import ConsumedQueue, dead_letter_queue
from infra.components.slack import Slack
from infra.components.store import Store

# Above the sender's own limit on receives (sideconv.slack.outbound), so the sender, not the queue,
# decides when a message has failed.
SLACK_MAX_RECEIVES = 25


class OutboxChannel(Construct):
    """The FIFO queue that the channel's sender reads (group: side conversation, dedup: message id)."""

    def __init__(self, scope: Construct, construct_id: str, *, sender_timeout: Duration,
                 max_receive_count: int = 5) -> None:
        super().__init__(scope, construct_id)
        self.queue = ConsumedQueue(self, "Queue", fifo=True, consumer_timeout=sender_timeout,
                                   max_receive_count=max_receive_count)


class OutboxPipe(Construct):
    """Stream → `outbox_filter()` → `route_outbox` (batches of up to ten, as SendMessageBatch takes)."""

    def __init__(self, scope: Construct, construct_id: str, *, store: Store, router: lambda_.IFunction) -> None:
        super().__init__(scope, construct_id)
        # Stream batches the pipe could not deliver (after its retries) land here, as pointers
        # into the stream (shard and sequence numbers), not as the records themselves.
        self.dead_letter_queue = dead_letter_queue(self, "DeadLetterQueue")
        role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("pipes.amazonaws.com"),
                        description="side conversations: the outbox pipe")
        role.add_to_policy(iam.PolicyStatement(
            actions=["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                     "dynamodb:ListStreams"],
            resources=[store.stream_arn]))
        role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"],
                                               resources=[self.dead_letter_queue.queue_arn]))
        role.add_to_policy(iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[router.function_arn]))
        self.pipe = pipes.CfnPipe(
            self, "Pipe",
            description="Outbox: new outbound messages of every channel to the router, then their queue",
            role_arn=role.role_arn,
            source=store.stream_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                dynamo_db_stream_parameters=pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
                    # LATEST: a re-created pipe must not re-send a day of already delivered mail.
                    starting_position="LATEST",
                    batch_size=MAX_BATCH,
                    # No batching window: a message waits for no other.
                    maximum_batching_window_in_seconds=0,
                    maximum_retry_attempts=10,
                    dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(
                        arn=self.dead_letter_queue.queue_arn),
                ),
                filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(filters=[
                    pipes.CfnPipe.FilterProperty(pattern=json.dumps(outbox_filter()))]),
            ),
            target=router.function_arn,
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                # Synchronous: the router's batchItemFailures tell the pipe what to retry.
                lambda_function_parameters=pipes.CfnPipe.PipeTargetLambdaFunctionParametersProperty(
                    invocation_type="REQUEST_RESPONSE")),
        )
        # The role's policy must exist before the pipe starts reading, or its first polls fail.
        self.pipe.node.add_dependency(role.node.find_child("DefaultPolicy"))

    @property
    def pipe_name(self) -> str:
        return self.pipe.ref


class Senders(Construct):
    """Outbox channels and their senders: `send_email` (SES) and `send_slack` (Slack Web API)."""

    def __init__(self, scope: Construct, construct_id: str, *, factory: FunctionFactory, store: Store,
                 email: Email, slack: Slack, token_secret: secretsmanager.ISecret,
                 email_environment: Mapping[str, str], slack_environment: Mapping[str, str]) -> None:
        super().__init__(scope, construct_id)
        timeout = Duration.seconds(30)
        self.email = OutboxChannel(self, "EmailOutbox", sender_timeout=timeout)
        # Every receive counts towards the dead-letter queue, including the ones that only wait out a
        # Slack rate limit (the sender allows 20 of those before it gives up with a reason), so the
        # queue must keep a message longer than the sender does: it always ends `sent` or `failed`.
        self.slack = OutboxChannel(self, "SlackOutbox", sender_timeout=timeout, max_receive_count=SLACK_MAX_RECEIVES)
        self.channels = {"email": self.email, "slack": self.slack}

        queues = {channel: outbox.queue.queue for channel, outbox in self.channels.items()}
        self.route_outbox = factory.create(
            self, "route_outbox", description="Puts each new outbound message on its channel's outbox queue",
            timeout=Duration.seconds(30),
            environment={f"OUTBOX_{channel.upper()}_QUEUE_URL": q.queue_url for channel, q in queues.items()})
        # SendMessage authorizes SendMessageBatch; the router needs nothing else.
        self.route_outbox.add_to_role_policy(iam.PolicyStatement(
            actions=["sqs:SendMessage"], resources=[q.queue_arn for q in queues.values()]))
        self.pipe = OutboxPipe(self, "OutboxPipe", store=store, router=self.route_outbox)

        self.send_email = factory.create(
            self, "send_email", description="Sends outbound side-conversation mail through SES",
            timeout=timeout, environment=email_environment)
        store.grant_read_write(self.send_email)
        email.grant_send(self.send_email)
        # Forwards the attachments of received mail that an agent re-sends.
        email.grant_read_mail(self.send_email, ATTACHMENTS_PREFIX)
        token_secret.grant_read(self.send_email)
        self.email.queue.feed(self.send_email)

        self.send_slack = factory.create(
            self, "send_slack", description="Posts outbound side-conversation messages to Slack",
            timeout=timeout, environment=slack_environment)
        store.grant_read_write(self.send_slack)
        slack.grant_read_secret(self.send_slack)
        # Consuming the queue already allows ChangeMessageVisibility, which the sender uses to hold a
        # message for Slack's Retry-After. One message a batch: messages received behind a held one
        # would each spend a receive for nothing.
        self.slack.queue.feed(self.send_slack, batch_size=1)

    @property
    def functions(self) -> list[lambda_.Function]:
        return [self.route_outbox, self.send_email, self.send_slack]

    @property
    def dead_letter_queues(self) -> list[tuple[str, sqs.IQueue]]:
        return [*((f"{channel}-queue", outbox.queue.dead_letter_queue) for channel, outbox in self.channels.items()),
                ("outbox-pipe", self.pipe.dead_letter_queue)]
