"""Slack: the app's secret (created by the operator, referenced here), the events queue that lets
`slack_events` answer Slack within its three seconds, and `slack_processor` behind that queue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from sideconv import keys

from infra.components.function import FunctionFactory
from infra.components.nag import acknowledge, role_policy
from infra.components.queues import ConsumedQueue
from infra.components.senders import SenderWiring
from infra.components.store import Store
from infra.settings import DeploySettings


class Slack(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, factory: FunctionFactory, store: Store,
                 settings: DeploySettings, common_environment: dict[str, str]) -> None:
        super().__init__(scope, construct_id)
        # JSON: signing_secret, app_id, client_id, client_secret; bot_token and team_id only for the
        # self-hosting single-workspace mode (docs/SLACK.md, docs/DEPLOY.md).
        self.secret = secretsmanager.Secret.from_secret_name_v2(self, "Secret", settings.slack_secret_name)
        secret_env = {"SLACK_SECRET_ARN": self.secret.secret_arn}
        # Encrypts each account's workspace tokens at rest (sideconv.slack.installations.TokenCipher).
        self.token_key = kms.Key(self, "TokenKey", enable_key_rotation=True,
                                 description="Slack bot tokens of the accounts' workspaces (side conversations)",
                                 removal_policy=RemovalPolicy.RETAIN)
        # Every function that decides whose token a workspace uses: the mode goes with the key.
        mode = {"SLACK_SINGLE_WORKSPACE": "true"} if settings.slack_single_workspace else {}
        self.token_environment = {"SLACK_TOKEN_KEY_ID": self.token_key.key_arn, **mode}

        processor_timeout = Duration.seconds(30)
        # FIFO: one group per Slack channel keeps a thread's reply, edit and deletion in order, and
        # the event id deduplicates Slack's retries.
        self.events = ConsumedQueue(self, "Events", fifo=True, consumer_timeout=processor_timeout)

        self.slack_events = factory.create(
            self, "slack_events", description="Verifies a Slack event, records its id and queues it",
            timeout=Duration.seconds(5),
            environment={**common_environment, **secret_env, **mode,
                         "SLACK_EVENTS_QUEUE_URL": self.events.queue.queue_url})
        # Records (and, when the hand-off fails, forgets) Slack event ids; no other item.
        store.grant_own_items(self.slack_events, keys.slack_event_ref(""))
        # Routes an event by its workspace: reads the routing items, nothing else, and no token.
        store.grant_get_items(self.slack_events, keys.SLACK_WORKSPACE_PREFIX)
        self.events.queue.grant_send_messages(self.slack_events)
        self.grant_read_secret(self.slack_events)

        self.slack_processor = factory.create(
            self, "slack_processor", description="Files a Slack thread reply on its side conversation",
            timeout=processor_timeout,
            # The events queue it consumes is also where a directory refresh is asked for (sideconv.slack.directory).
            environment={**common_environment, **secret_env, **self.token_environment,
                         "SLACK_EVENTS_QUEUE_URL": self.events.queue.queue_url})
        store.grant_read_write(self.slack_processor)
        self.grant_read_secret(self.slack_processor)
        self.grant_tokens(self.slack_processor)
        self.events.feed(self.slack_processor)

    def grant_read_secret(self, function: lambda_.Function) -> None:
        self.secret.grant_read(function)
        # A secret referenced by name has an ARN whose last six characters AWS chose.
        region, account = Stack.of(self).region, Stack.of(self).account
        acknowledge(role_policy(function), "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:"
                    f"{_nag(region, 'AWS::Region')}:{_nag(account, 'AWS::AccountId')}:secret:"
                    f"{self.secret.secret_name}-??????]",
                    "The Slack secret is referenced by name; '-??????' matches the suffix AWS "
                    "appends, so the grant covers exactly that one secret.")

    def grant_tokens(self, function: lambda_.Function) -> None:
        """Encrypt and decrypt with the token key, only under this service's encryption context (a
        rotated token is encrypted again by whoever rotates it)."""
        function.add_to_role_policy(iam.PolicyStatement(
            actions=["kms:Encrypt", "kms:Decrypt"], resources=[self.token_key.key_arn],
            conditions={"StringEquals": {"kms:EncryptionContext:service": "atender-side-conversations"}}))

    def grant_api(self, function: lambda_.Function) -> None:
        """The API's Slack routes: the app's OAuth client (the secret), the tokens (an install encrypts,
        a disconnect decrypts to revoke), and a directory refresh queued to the processor."""
        self.grant_read_secret(function)
        self.grant_tokens(function)
        self.events.queue.grant_send_messages(function)

    def api_environment(self, settings: DeploySettings) -> dict[str, str]:
        env = {"SLACK_SECRET_ARN": self.secret.secret_arn, "SLACK_EVENTS_QUEUE_URL": self.events.queue.queue_url,
               "SLACK_CONNECTIONS_URL": settings.slack_connections_url, **self.token_environment}
        if settings.slack_redirect_uri:
            env["SLACK_REDIRECT_URI"] = settings.slack_redirect_uri
        return env

    @property
    def functions(self) -> list[lambda_.Function]:
        return [self.slack_events, self.slack_processor]

    @property
    def dead_letter_queues(self) -> list[tuple[str, sqs.IQueue]]:
        return [("slack-events", self.events.dead_letter_queue)]


def _nag(value: str, pseudo: str) -> str:
    """How cdk-nag prints a pseudo parameter in a finding id when the stack is environment-agnostic."""
    return f"<{pseudo}>" if value.startswith("${Token") else value


def sender_wiring(stack: Any, common_environment: Mapping[str, str]) -> SenderWiring:
    """`send_slack`'s environment and grants (sideconv.slack.channel names this as its `infra`)."""
    slack, uploads = stack.slack, stack.uploads

    def grant(function: lambda_.Function) -> None:
        slack.grant_read_secret(function)
        uploads.grant_read(function)
        slack.grant_tokens(function)

    return SenderWiring({**common_environment, "SLACK_SECRET_ARN": slack.secret.secret_arn,
                         **uploads.environment, **slack.token_environment}, grant)
