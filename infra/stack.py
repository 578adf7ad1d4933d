"""The whole service as one stack: store, e-mail, Slack, senders, API and monitoring."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from aws_cdk import App, CfnOutput, Environment, RemovalPolicy, Stack, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct
from sideconv import channels

from infra.components.api import Api
from infra.components.email import ATTACHMENTS_PREFIX, RAW_MAIL_PREFIX, Email
from infra.components.follow_ups import FollowUps
from infra.components.function import ARCHITECTURE, ARCHITECTURES, RUNTIME, FunctionFactory, Layer
from infra.components.monitoring import NAMESPACE, SERVICE, Monitoring
from infra.components.nag import acknowledge
from infra.components.panel import Panel
from infra.components.publishing import Publishing
from infra.components.redrive import Redrive
from infra.components.senders import Senders
from infra.components.slack import Slack
from infra.components.store import Store
from infra.components.uploads import Uploads
from infra.settings import DeploySettings

ROOT = Path(__file__).resolve().parent.parent
LAYER_BUILD = ROOT / "build" / "layers"
PLACEHOLDER = ROOT / "build" / "placeholder"


class SideConversationsStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploySettings,
                 **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="Atender side conversations: private e-mail and "
                         "Slack threads attached to a customer conversation", **kwargs)
        self.settings = settings
        Tags.of(self).add("service", SERVICE)
        removal = RemovalPolicy.RETAIN if settings.retain_data else RemovalPolicy.DESTROY

        self.store = Store(self, "Store", retain_data=settings.retain_data)
        # Signs reply-address tokens and page tokens; losing it orphans every reply address sent.
        self.token_secret = secretsmanager.Secret(
            self, "TokenSecret", description="Signs side-conversation reply addresses and page tokens",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64,
                                                                        exclude_punctuation=True),
            removal_policy=removal)
        acknowledge(self.token_secret, "AwsSolutions-SMG4",
                    "Rotating this key would invalidate every reply address already in people's inboxes; "
                    "it is rotated by hand with a grace period (docs/DEPLOY.md).")
        self.notification_key = self._notification_key()

        factory = FunctionFactory(
            functions_dir=ROOT / "functions",
            layers=self._layers(),
            environment={
                "POWERTOOLS_SERVICE_NAME": SERVICE,
                "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
                "ENVIRONMENT": settings.environment,
            },
            placeholder_dir=_placeholder("function") if settings.skip_layer_build else None,
        )
        table_env = {"TABLE_NAME": self.store.table.table_name}
        token_env = {"TOKEN_SECRET_ARN": self.token_secret.secret_arn}
        url_env = {"CONVERSATION_URL_TEMPLATE": settings.conversation_url_template} \
            if settings.conversation_url_template else {}

        self.email = Email(self, "Email", factory=factory, store=self.store, settings=settings,
                           notification_key=self.notification_key, token_secret=self.token_secret,
                           common_environment=table_env)
        self.slack = Slack(self, "Slack", factory=factory, store=self.store, settings=settings,
                           common_environment=table_env)
        self.uploads = Uploads(self, "Uploads", retention_days=settings.raw_mail_retention_days,
                               access_logs=self.email.access_logs, retain_data=settings.retain_data)
        # Each channel's sender, wired by its own infra module (its declaration's `infra`).
        self.senders = Senders(self, "Senders", factory=factory, store=self.store, wiring={
            channel.name: _load(channel.infra)(self, {**table_env, **url_env}) for channel in channels.all_channels()})

        self.api = Api(self, "Api", factory=factory, store=self.store, token_secret=self.token_secret,
                       slack_events_function=self.slack.slack_events, settings=settings,
                       common_environment={**table_env, **token_env, **self.email.mail_environment,
                                           "SENDER_NAME": settings.sender_name,
                                           "SES_CONFIGURATION_SET":
                                               self.email.configuration_set.configuration_set_name,
                                           **self.uploads.environment, **self.slack.api_environment(settings)})
        self.uploads.grant_sign_and_attach(self.api.function)
        self.slack.grant_api(self.api.function)
        # Admins open a received mail's original, re-file quarantined mail and fetch attachment links.
        self.email.grant_read_mail(self.api.function, RAW_MAIL_PREFIX, ATTACHMENTS_PREFIX)
        self.email.grant_write_attachments(self.api.function)
        # Admins add and remove their account's sending domains (sideconv.email.senders).
        self.email.grant_manage_domains(self.api.function)

        if settings.deploy_panel:
            self.panel = Panel(self, "Panel", http_api=self.api.http_api,
                               frame_ancestors=settings.panel_frame_ancestors,
                               connect_to=[f"https://{self.uploads.bucket.bucket_domain_name}",
                                           f"https://{self.uploads.bucket.bucket_regional_domain_name}"])

        self.publishing = Publishing(self, "Publishing", factory=factory, store=self.store, settings=settings,
                                     common_environment=table_env)

        self.follow_ups = FollowUps(self, "FollowUps", factory=factory, store=self.store,
                                    publisher=self.publishing.function, stack_name=settings.stack_name,
                                    common_environment=table_env)

        self.redrive = Redrive(self, "Redrive", factory=factory, store=self.store, senders=self.senders,
                               common_environment=table_env)

        self.functions = [self.api.function, *self.email.functions, *self.slack.functions,
                          *self.senders.functions, *self.publishing.functions, *self.redrive.functions,
                          *self.follow_ups.functions]
        self.monitoring = Monitoring(
            self, "Monitoring", functions=self.functions,
            dead_letter_queues=[*self.email.dead_letter_queues, *self.slack.dead_letter_queues,
                                *self.senders.dead_letter_queues, *self.publishing.dead_letter_queues,
                                *self.redrive.dead_letter_queues, *self.follow_ups.dead_letter_queues],
            http_api=self.api.http_api, notification_key=self.notification_key,
            alarm_email=settings.alarm_email, alarm_topic_arn=settings.alarm_topic_arn,
            pipes=[("outbox", self.senders.pipe.pipe_name)], stream_functions=self.publishing.functions)

        CfnOutput(self, "ApiUrl", value=self.api.url, description="Base URL of the HTTP API")
        CfnOutput(self, "TableName", value=self.store.table.table_name)
        CfnOutput(self, "RawMailBucket", value=self.email.raw_mail.bucket_name)
        CfnOutput(self, "ReceiptRuleSetName", value=self.email.rule_set.receipt_rule_set_name,
                  description="Activate it once: aws ses set-active-receipt-rule-set --rule-set-name <this>")
        CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn)
        CfnOutput(self, "EventBusName", value=self.publishing.bus.event_bus_name,
                  description="Side-conversation events (source atender.side-conversations)")

    def _notification_key(self) -> kms.Key:
        """Encrypts the SNS topics; SES and CloudWatch must be able to publish to them."""
        key = kms.Key(self, "NotificationKey", enable_key_rotation=True,
                      description="Side conversations: SES event and alarm topics",
                      removal_policy=RemovalPolicy.DESTROY)
        for service in ("ses.amazonaws.com", "cloudwatch.amazonaws.com"):
            key.add_to_resource_policy(iam.PolicyStatement(
                principals=[iam.ServicePrincipal(service)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": self.account}}))
        return key

    def _layers(self) -> list[Layer]:
        layers: list[Layer] = []
        for kind, description in (("deps", "Third-party dependencies (from uv.lock)"),
                                  ("app", "The sideconv domain package")):
            # The app layer is pure Python; the dependency layer holds wheels of one architecture.
            architecture = self._layer_architecture(kind) if kind == "deps" else None
            layers.append(Layer(lambda_.LayerVersion(
                self, f"{kind.capitalize()}Layer", description=f"Side conversations: {description}",
                code=lambda_.Code.from_asset(str(self._layer_dir(kind))),
                compatible_runtimes=[RUNTIME], compatible_architectures=[architecture or ARCHITECTURE],
                removal_policy=RemovalPolicy.DESTROY), architecture))
        return layers

    def _layer_architecture(self, kind: str) -> lambda_.Architecture | None:
        """What layers/build.py recorded beside the layer (None for the placeholder, which holds no code)."""
        if self.settings.skip_layer_build:
            return None
        record = LAYER_BUILD / f"{kind}.architecture"
        if not record.is_file():
            raise FileNotFoundError(f"{record} is missing: run `make layer`, which records the layer's architecture")
        name = record.read_text().strip()
        if name not in ARCHITECTURES:
            raise ValueError(f"{record} names {name!r}, not one of {sorted(ARCHITECTURES)}")
        return ARCHITECTURES[name]

    def _layer_dir(self, kind: str) -> Path:
        if self.settings.skip_layer_build:
            return _placeholder("layer")
        path = LAYER_BUILD / kind
        if not (path / "python").is_dir():
            raise FileNotFoundError(f"{path}/python is missing: run `make layer` (or synth with "
                                    "-c skipLayerBuild=true for a template without dependencies)")
        return path


def _placeholder(kind: str) -> Path:
    """Stand-ins used only with skipLayerBuild: an empty layer, and a handler that only says so."""
    path = PLACEHOLDER / kind
    if kind == "layer":
        target, text = path / "python" / "README.txt", "Placeholder layer: synthesized with skipLayerBuild.\n"
    else:
        target, text = path / "handler.py", ('def lambda_handler(event, context):\n'
                                             '    raise NotImplementedError("placeholder: skipLayerBuild")\n')
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return path


def _load(path: str) -> Any:
    """`module:attribute` (a channel's declaration names its infra wiring so)."""
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


def build_app(context: dict[str, Any] | None = None,
              outdir: str | None = None) -> tuple[App, SideConversationsStack]:
    app = App(context=context, outdir=outdir)
    settings = DeploySettings.from_context(app.node)
    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    env = Environment(account=account, region=region) if account and region else None
    stack = SideConversationsStack(app, settings.stack_name, settings=settings, env=env)
    return app, stack
