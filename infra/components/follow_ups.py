"""Follow-ups: one EventBridge Scheduler schedule per side conversation, in this stack's schedule group,
armed, moved and deleted by `publish_events` from the table's stream (no third stream reader), firing
the `follow_up` function (sideconv.follow_up_fire). A firing the Scheduler could not deliver after its
retries is kept in a dead-letter queue, which has an alarm."""

from __future__ import annotations

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.components.function import FunctionFactory
from infra.components.nag import acknowledge, role_policy
from infra.components.queues import dead_letter_queue
from infra.components.store import Store


class FollowUps(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, factory: FunctionFactory, store: Store,
                 publisher: lambda_.Function, stack_name: str, common_environment: dict[str, str]) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        group_name = f"{stack_name}-follow-ups"
        self.group = scheduler.CfnScheduleGroup(self, "Group", name=group_name)
        self.dead_letter_queue = dead_letter_queue(self, "DeadLetterQueue")
        self.function = factory.create(
            self, "follow_up", description="A side conversation's follow-up fell due: mark it, nudge if opted in",
            timeout=Duration.seconds(30), environment=common_environment)
        # One BatchGetItem (summary + the account's settings), one write: an UpdateItem, or a transaction
        # of that update and the nudge message's PutItem.
        self.function.add_to_role_policy(iam.PolicyStatement(
            actions=["dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"],
            resources=[store.table.table_arn]))

        # The Scheduler assumes this role to invoke the function and to keep what it could not deliver.
        self.scheduler_role = iam.Role(
            self, "SchedulerRole", description="side conversations: follow-up schedules invoke follow_up",
            assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": stack.account}}))
        self.scheduler_role.add_to_policy(iam.PolicyStatement(
            actions=["lambda:InvokeFunction"], resources=[self.function.function_arn]))
        self.scheduler_role.add_to_policy(iam.PolicyStatement(
            actions=["sqs:SendMessage"], resources=[self.dead_letter_queue.queue_arn]))

        # publish_events keeps each schedule in step with its summary, in this group only.
        schedules = stack.format_arn(service="scheduler", resource="schedule", resource_name=f"{group_name}/*")
        publisher.add_to_role_policy(iam.PolicyStatement(
            actions=["scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"],
            resources=[schedules]))
        publisher.add_to_role_policy(iam.PolicyStatement(
            actions=["iam:PassRole"], resources=[self.scheduler_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}))
        # cdk-nag names the resource as synthesized: with the stack's account and region when it has them.
        bound = not (Token.is_unresolved(stack.region) or Token.is_unresolved(stack.account))
        where = f"aws:scheduler:{stack.region}:{stack.account}" if bound \
            else "<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>"
        acknowledge(role_policy(publisher), f"AwsSolutions-IAM5[Resource::arn:{where}:schedule/{group_name}/*]",
                    "One schedule per side conversation, named by its id: they exist only in this group.")
        for name, value in (("FOLLOW_UP_SCHEDULE_GROUP", group_name),
                            ("FOLLOW_UP_FUNCTION_ARN", self.function.function_arn),
                            ("FOLLOW_UP_SCHEDULER_ROLE_ARN", self.scheduler_role.role_arn),
                            ("FOLLOW_UP_DLQ_ARN", self.dead_letter_queue.queue_arn)):
            publisher.add_environment(name, value)

    @property
    def functions(self) -> list[lambda_.Function]:
        return [self.function]

    @property
    def dead_letter_queues(self) -> list[tuple[str, sqs.IQueue]]:
        return [("follow-ups", self.dead_letter_queue)]
