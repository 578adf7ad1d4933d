"""Alarms that page someone, and one dashboard to look at when they do.

Alarm when a dead-letter queue holds anything, when a function errs or is throttled, when a reader of
the table's stream falls behind or fails (the outbox pipe's failed executions, `publish_events`'
iterator age), when inbound mail is quarantined and when a sender gives up on a message. Metrics the
code emits are EMF metrics in `Atender/SideConversations` with Powertools' `service` dimension. What
to do when one fires: docs/RUNBOOK.md.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from aws_cdk import Annotations, Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

NAMESPACE = "Atender/SideConversations"
SERVICE = "side-conversations"
PERIOD = Duration.minutes(5)
# A sender or the re-drive that gives up on a message counts it once in SendFailed (any channel, the
# alarm) and once in EmailFailed or SlackFailed (the dashboard): sideconv.observability.count_delivery.
SEND_FAILED = "SendFailed"
FAILED_PER_CHANNEL = ("EmailFailed", "SlackFailed")
NO_ALARM_DESTINATION = "atender:noAlarmDestination"
# A pipe's executions that failed outright, those whose target (the router) failed, and those whose
# target reported some records it could not queue (batchItemFailures: a partial failure, which the two
# others do not count; without it a channel's queue refusing sends would show only when the pipe's
# retries end in its dead-letter queue).
PIPE_FAILURES = ("ExecutionFailed", "TargetStageFailed", "TargetStagePartiallyFailed")
PIPES_NAMESPACE = "AWS/EventBridge/Pipes"
# publish_events is behind when its oldest record waited longer than this (normally under a second).
ITERATOR_AGE_MS = 60_000


def service_metric(name: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(namespace=NAMESPACE, metric_name=name, dimensions_map={"service": SERVICE},
                             statistic=cloudwatch.Stats.SUM, period=PERIOD)


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, functions: Sequence[lambda_.Function],
                 dead_letter_queues: Sequence[tuple[str, sqs.IQueue]], http_api: apigwv2.HttpApi,
                 notification_key: kms.IKey, alarm_email: str | None, alarm_topic_arn: str | None = None,
                 pipes: Sequence[tuple[str, str]] = (), stream_functions: Sequence[lambda_.Function] = ()) -> None:
        """`pipes` are (label, pipe name) of the stream's pipes; `stream_functions` read it through an
        event source mapping."""
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "AlarmTopic", master_key=notification_key, enforce_ssl=True,
                               display_name="Side conversations alarms")
        # The topic's policy (TLS only) replaces SNS's default one, so CloudWatch is allowed by name.
        self.topic.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowCloudWatchAlarms", principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["sns:Publish"], resources=[self.topic.topic_arn],
            conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}}))
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        alarm_actions = [actions.SnsAction(self.topic)]
        if alarm_topic_arn:
            alarm_actions.append(actions.SnsAction(sns.Topic.from_topic_arn(self, "OnCallTopic", alarm_topic_arn)))
        if not (alarm_email or alarm_topic_arn):
            warning = ("No alarm destination: set alarmEmail or alarmTopicArn, or every alarm of this stack "
                       "notifies a topic nobody subscribes to (docs/DEPLOY.md).")
            Annotations.of(self).add_warning_v2(NO_ALARM_DESTINATION, warning)
            print(f"WARNING: {warning}", file=sys.stderr)
        self.alarms: list[cloudwatch.Alarm] = []

        def alarm(construct_id: str, metric: cloudwatch.Metric, description: str,
                  threshold: float = 0) -> cloudwatch.Alarm:
            created = metric.create_alarm(
                self, construct_id, alarm_description=description, threshold=threshold, evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
            created.add_alarm_action(*alarm_actions)
            self.alarms.append(created)
            return created

        dlq_widgets: list[cloudwatch.IMetric] = []
        for name, queue in dead_letter_queues:
            metric = queue.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM)
            dlq_widgets.append(metric.with_(label=name))
            alarm(f"DeadLetters-{name}", metric,
                  f"Messages wait in the {name} dead-letter queue; fix the cause, then redrive (DEPLOY.md).")

        for function in functions:
            fid = function.node.id
            alarm(f"{fid}Errors", function.metric_errors(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                  f"{fid} raised errors.")
            alarm(f"{fid}Throttles", function.metric_throttles(period=PERIOD, statistic=cloudwatch.Stats.SUM),
                  f"{fid} was throttled.")

        reader_widgets: list[cloudwatch.IMetric] = []
        for label, pipe_name in pipes:
            for name in PIPE_FAILURES:
                metric = cloudwatch.Metric(namespace=PIPES_NAMESPACE, metric_name=name,
                                           dimensions_map={"PipeName": pipe_name},
                                           statistic=cloudwatch.Stats.SUM, period=PERIOD)
                reader_widgets.append(metric.with_(label=f"{label} {name}"))
                alarm(f"Pipe-{label}-{name}", metric,
                      f"The {label} pipe (a reader of the table's stream) failed to hand records to its target; "
                      "it retries, then dead-letters them. RUNBOOK.md: an unhealthy stream reader.")
        for function in stream_functions:
            fid = function.node.id
            metric = function.metric("IteratorAge", statistic=cloudwatch.Stats.MAXIMUM, period=PERIOD)
            reader_widgets.append(metric.with_(label=f"{fid} iterator age"))
            alarm(f"{fid}IteratorAge", metric,
                  f"{fid} (a reader of the table's stream) is more than {ITERATOR_AGE_MS // 1000} s behind. "
                  "RUNBOOK.md: an unhealthy stream reader.", threshold=ITERATOR_AGE_MS)

        alarm("Quarantined", service_metric("Quarantined"),
              "Inbound mail was quarantined: it matched no side conversation, or it was spam, a virus or "
              "forged. Admins attach or discard it (GET /v1/quarantine).")
        alarm(SEND_FAILED, service_metric(SEND_FAILED),
              "A message was not delivered: SES or Slack refused it, or it stayed pending past the re-drive's "
              "give-up age. Its delivery detail says why.")

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.hours(6))
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="API requests and errors", width=12, left=[
                http_api.metric_count(period=PERIOD), http_api.metric_client_error(period=PERIOD),
                http_api.metric_server_error(period=PERIOD)]),
            cloudwatch.GraphWidget(title="API latency (p90)", width=12,
                                   left=[http_api.metric_latency(period=PERIOD, statistic="p90")]),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Function errors", width=12,
                                   left=[f.metric_errors(period=PERIOD, label=f.node.id) for f in functions]),
            cloudwatch.GraphWidget(title="Function duration (p90)", width=12, left=[
                f.metric_duration(period=PERIOD, statistic="p90", label=f.node.id) for f in functions]),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Dead-letter queues", width=12, left=dlq_widgets),
            cloudwatch.GraphWidget(title="Quarantined and failed sends", width=12, left=[
                service_metric(name) for name in ("Quarantined", SEND_FAILED, *FAILED_PER_CHANNEL)]),
            cloudwatch.GraphWidget(title="Stream readers", width=24, left=reader_widgets),
            cloudwatch.AlarmStatusWidget(title="Alarms", width=24, alarms=self.alarms),
        )
