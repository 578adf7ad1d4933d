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
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from sideconv import channels
from sideconv.outbox import MAX_BATCH
from sideconv.store.schema import outbox_filter

from infra.components.function import FunctionFactory
from infra.components.queues import ConsumedQueue, dead_letter_queue
from infra.components.store import Store


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


@dataclass(frozen=True)
class SenderWiring:
    """What the stack gives one channel's sender besides the table: its environment and its grants."""

    environment: Mapping[str, str]
    grant: Callable[[lambda_.Function], None]


class Senders(Construct):
    """An outbox queue and a sender per channel (sideconv.channels: its declaration's `outbox`), and the
    one pipe and router in front of them. `wiring` holds each channel's environment and grants."""

    def __init__(self, scope: Construct, construct_id: str, *, factory: FunctionFactory, store: Store,
                 wiring: Mapping[str, SenderWiring]) -> None:
        super().__init__(scope, construct_id)
        timeout = Duration.seconds(30)
        installed = channels.all_channels()
        unwired = [channel.name for channel in installed if channel.name not in wiring]
        if unwired:
            raise ValueError(f"no sender wiring for the channels {unwired} (infra/stack.py, Senders)")
        # The queue keeps a message for `max_receives` receives (above its sender's own limit, so the
        # sender, not the queue, decides when a message has failed: e.g. Slack's rate-limit waits).
        self.channels = {channel.name: OutboxChannel(self, f"{channel.name.title()}Outbox", sender_timeout=timeout,
                                                     max_receive_count=channel.outbox.max_receives)
                         for channel in installed}

        queues = {channel: outbox.queue.queue for channel, outbox in self.channels.items()}
        self.route_outbox = factory.create(
            self, "route_outbox", description="Puts each new outbound message on its channel's outbox queue",
            timeout=Duration.seconds(30),
            environment={channels.queue_url_variable(channel): q.queue_url for channel, q in queues.items()})
        # SendMessage authorizes SendMessageBatch; the router needs nothing else.
        self.route_outbox.add_to_role_policy(iam.PolicyStatement(
            actions=["sqs:SendMessage"], resources=[q.queue_arn for q in queues.values()]))
        self.pipe = OutboxPipe(self, "OutboxPipe", store=store, router=self.route_outbox)

        self.senders: dict[str, lambda_.Function] = {}
        for channel in installed:
            sender = factory.create(self, channel.outbox.function, description=channel.outbox.description,
                                    timeout=timeout, environment=wiring[channel.name].environment)
            store.grant_read_write(sender)
            wiring[channel.name].grant(sender)
            self.channels[channel.name].queue.feed(sender, batch_size=channel.outbox.batch_size)
            self.senders[channel.name] = sender

    @property
    def functions(self) -> list[lambda_.Function]:
        return [self.route_outbox, *self.senders.values()]

    @property
    def dead_letter_queues(self) -> list[tuple[str, sqs.IQueue]]:
        return [*((f"{channel}-queue", outbox.queue.dead_letter_queue) for channel, outbox in self.channels.items()),
                ("outbox-pipe", self.pipe.dead_letter_queue)]
