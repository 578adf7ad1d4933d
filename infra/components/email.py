"""E-mail: the sending identity, the configuration set whose bounces and complaints reach
`email_events`, and inbound mail — an SES receipt rule that stores the raw message in an encrypted,
TLS-only bucket and then invokes `ingest_email`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import jsii
from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.components.buckets import private_bucket
from infra.components.function import FunctionFactory
from infra.components.nag import acknowledge, logical_id, role_policy
from infra.components.queues import dead_letter_queue
from infra.components.senders import SenderWiring
from infra.components.store import Store
from infra.settings import DeploySettings

RAW_MAIL_PREFIX = "inbound/"
# Where ingest_email puts the attachments it cuts from a received mail (sideconv.email.inbound).
ATTACHMENTS_PREFIX = "attachments/"
RULE_NAME = "store-then-ingest"
# How long an overwritten or deleted raw mail can still be restored.
NONCURRENT_DAYS = 30
# Sending domains (issue 15): the tag on every identity the API creates, and the tenants' name prefix
# (sideconv.email.domains says the same; tests/infra checks they agree).
ACCOUNT_TAG = "sideconv:account"
TENANT_PREFIX = "sc-"
ACCOUNT_TAGGED = {"Null": {f"aws:ResourceTag/{ACCOUNT_TAG}": "false"}}


class Email(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, factory: FunctionFactory, store: Store,
                 settings: DeploySettings, notification_key: kms.IKey, token_secret: secretsmanager.ISecret,
                 common_environment: dict[str, str]) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        removal = RemovalPolicy.RETAIN if settings.retain_data else RemovalPolicy.DESTROY

        # Sending.
        self.configuration_set = ses.ConfigurationSet(
            self, "ConfigurationSet",
            reputation_metrics=True,
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
        )
        if settings.ses_identity:
            self.identity: ses.IEmailIdentity = ses.EmailIdentity.from_email_identity_name(
                self, "Identity", settings.ses_identity)
        else:
            # DKIM records to publish are in the console (and the stack's DkimRecords output).
            self.identity = ses.EmailIdentity(
                self, "Identity", identity=ses.Identity.domain(settings.sender_domain),
                configuration_set=self.configuration_set)
        self.identity_arn = stack.format_arn(service="ses", resource="identity",
                                             resource_name=settings.identity_name)
        self.configuration_set_arn = stack.format_arn(
            service="ses", resource="configuration-set",
            resource_name=self.configuration_set.configuration_set_name)

        # Bounces and complaints.
        self.events_topic = sns.Topic(self, "EventsTopic", master_key=notification_key, enforce_ssl=True,
                                      display_name="SES bounces and complaints of side conversations")
        self.configuration_set.add_event_destination(
            "BouncesAndComplaints",
            destination=ses.EventDestination.sns_topic(self.events_topic),
            events=[ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT,
                    ses.EmailSendingEvent.REJECT, ses.EmailSendingEvent.DELIVERY_DELAY],
        )
        self.events_dead_letter_queue = dead_letter_queue(self, "EmailEventsDeadLetterQueue")
        self.email_events = factory.create(
            self, "email_events", description="Records SES bounces and complaints on their messages",
            timeout=Duration.seconds(30), environment=common_environment,
            dead_letter_queue=self.events_dead_letter_queue, retry_attempts=2)
        store.grant_read_write(self.email_events)
        self.events_topic.add_subscription(subscriptions.LambdaSubscription(self.email_events))

        # Inbound mail.
        self.access_logs = private_bucket(
            self, "AccessLogs",
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            removal_policy=removal,
        )
        acknowledge(self.access_logs, "AwsSolutions-S1",
                    "This bucket receives the raw-mail bucket's access logs; logging it would recurse.")
        # The only copy of every inbound mail: versioned, so an overwrite or a delete can be undone for
        # NONCURRENT_DAYS.
        self.raw_mail = private_bucket(
            self, "RawMail",
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="raw-mail/",
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-raw-mail", prefix=RAW_MAIL_PREFIX,
                                 expiration=Duration.days(settings.raw_mail_retention_days)),
                # Attachments are cut from the raw mail and go with it.
                s3.LifecycleRule(id="expire-attachments", prefix=ATTACHMENTS_PREFIX,
                                 expiration=Duration.days(settings.raw_mail_retention_days)),
                s3.LifecycleRule(id="abort-uploads",
                                 abort_incomplete_multipart_upload_after=Duration.days(1)),
                # Old versions (and the delete markers the expirations above leave) go after a grace period.
                s3.LifecycleRule(id="expire-old-versions",
                                 noncurrent_version_expiration=Duration.days(NONCURRENT_DAYS),
                                 expired_object_delete_marker=True),
            ],
            removal_policy=removal,
        )
        self.ingest_dead_letter_queue = dead_letter_queue(self, "IngestEmailDeadLetterQueue")
        self.ingest_email = factory.create(
            self, "ingest_email", description="Reads a received mail from S3 and files it as a reply",
            timeout=Duration.seconds(60), memory_size=1024,
            environment={**common_environment, **self.mail_environment,
                         "TOKEN_SECRET_ARN": token_secret.secret_arn, "INBOUND_DOMAIN": settings.inbound_domain,
                         # Mail From it is this service's own, come back: held as own_mail.
                         "SENDER_ADDRESS": settings.sender_address},
            dead_letter_queue=self.ingest_dead_letter_queue, retry_attempts=2)
        store.grant_read_write(self.ingest_email)
        token_secret.grant_read(self.ingest_email)
        self.grant_read_mail(self.ingest_email, RAW_MAIL_PREFIX)
        self.grant_write_attachments(self.ingest_email)

        rule_set_name = f"{settings.stack_name}-inbound"
        rule_arn = stack.format_arn(service="ses", resource="receipt-rule-set",
                                    resource_name=f"{rule_set_name}:receipt-rule/{RULE_NAME}")
        self.rule_set = ses.ReceiptRuleSet(self, "ReceiptRuleSet", receipt_rule_set_name=rule_set_name)
        self.rule = self.rule_set.add_rule(
            "StoreThenIngest",
            receipt_rule_name=RULE_NAME,
            recipients=[settings.inbound_domain],
            scan_enabled=True,
            actions=[
                cast(ses.IReceiptRuleAction, _StoreRawMail(self.raw_mail, RAW_MAIL_PREFIX, rule_arn)),
                cast(ses.IReceiptRuleAction, _InvokeAsync(self.ingest_email, rule_arn)),
            ],
        )

    @property
    def mail_environment(self) -> dict[str, str]:
        return {"RAW_MAIL_BUCKET": self.raw_mail.bucket_name, "RAW_MAIL_PREFIX": RAW_MAIL_PREFIX}

    def grant_read_mail(self, function: lambda_.Function, *prefixes: str) -> None:
        """GetObject under the given prefixes of the mail bucket (raw mail, attachments)."""
        function.add_to_role_policy(iam.PolicyStatement(
            actions=["s3:GetObject"], resources=[self.raw_mail.arn_for_objects(f"{p}*") for p in prefixes]))
        bucket = logical_id(self.raw_mail)
        for prefix in prefixes:
            acknowledge(role_policy(function), f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/{prefix}*]",
                        f"Objects under {prefix} of its own bucket are named by SES's message id, known only "
                        "when a mail arrives.")

    def grant_write_attachments(self, function: lambda_.Function) -> None:
        function.add_to_role_policy(iam.PolicyStatement(
            actions=["s3:PutObject"], resources=[self.raw_mail.arn_for_objects(f"{ATTACHMENTS_PREFIX}*")]))
        acknowledge(role_policy(function),
                    f"AwsSolutions-IAM5[Resource::<{logical_id(self.raw_mail)}.Arn>/{ATTACHMENTS_PREFIX}*]",
                    "Writes the attachments it cuts from a received mail, one key per mail and part.")

    def grant_send(self, function: lambda_.Function) -> None:
        """Send from the shared identity through the configuration set; and from the accounts' own
        domains (identities the API created and tagged, sideconv.email.senders) in their tenants
        (`sc-*`), which it checks are verified (GetEmailIdentity) before each mail."""
        function.add_to_role_policy(iam.PolicyStatement(
            actions=["ses:SendEmail", "ses:SendRawEmail"],
            resources=[self.identity_arn, self.configuration_set_arn]))
        function.add_to_role_policy(iam.PolicyStatement(
            actions=["ses:SendEmail", "ses:SendRawEmail", "ses:GetEmailIdentity"],
            resources=[self.account_identities_arn], conditions=ACCOUNT_TAGGED))
        function.add_to_role_policy(iam.PolicyStatement(
            actions=["ses:SendEmail", "ses:SendRawEmail"], resources=[self.tenants_arn]))
        acknowledge(role_policy(function), f"AwsSolutions-IAM5[Resource::{self._finding(self.account_identities_arn)}]",
                    "An account's sending domain is named by the account, known only when its admin adds it: "
                    f"the grant holds only identities tagged {ACCOUNT_TAG} (the API tags what it creates).")
        acknowledge(role_policy(function), f"AwsSolutions-IAM5[Resource::{self._finding(self.tenants_arn)}]",
                    "One SES tenant per account, created when the account adds its first domain; the stack "
                    f"names them {TENANT_PREFIX}<account>-<hash> (sideconv.email.domains.tenant_name).")

    def grant_manage_domains(self, function: lambda_.Function) -> None:
        """What the sending-domain use cases do (sideconv.email.senders), and no more: create tagged
        domain identities and manage only tagged ones, and the accounts' tenants."""
        function.add_to_role_policy(iam.PolicyStatement(
            actions=["ses:CreateEmailIdentity", "ses:TagResource"], resources=[self.account_identities_arn],
            conditions={"Null": {f"aws:RequestTag/{ACCOUNT_TAG}": "false"},
                        "ForAllValues:StringEquals": {"aws:TagKeys": [ACCOUNT_TAG]}}))
        function.add_to_role_policy(iam.PolicyStatement(
            actions=["ses:GetEmailIdentity", "ses:DeleteEmailIdentity", "ses:PutEmailIdentityMailFromAttributes",
                     "ses:CreateTenantResourceAssociation"],
            resources=[self.account_identities_arn], conditions=ACCOUNT_TAGGED))
        function.add_to_role_policy(iam.PolicyStatement(
            actions=["ses:CreateTenant", "ses:GetTenant", "ses:TagResource", "ses:CreateTenantResourceAssociation"],
            resources=[self.tenants_arn]))
        function.add_to_role_policy(iam.PolicyStatement(
            actions=["ses:CreateTenantResourceAssociation"], resources=[self.configuration_set_arn]))
        acknowledge(role_policy(function), f"AwsSolutions-IAM5[Resource::{self._finding(self.account_identities_arn)}]",
                    "An account's sending domain is named by its admin: identities are created only with the "
                    f"{ACCOUNT_TAG} tag and managed only when they carry it, never the shared identity.")
        acknowledge(role_policy(function), f"AwsSolutions-IAM5[Resource::{self._finding(self.tenants_arn)}]",
                    f"The accounts' SES tenants, named {TENANT_PREFIX}<account>-<hash> by the stack.")

    def _finding(self, arn: str) -> str:
        """The resource as cdk-nag names it in a finding: pseudo parameters as `<AWS::Region>`, or the
        values an environment-bound stack has."""
        resolved = Stack.of(self).resolve(arn)
        if isinstance(resolved, str):
            return resolved
        parts = resolved["Fn::Join"][1]
        return "".join(p if isinstance(p, str) else f"<{p['Ref']}>" for p in parts)

    @property
    def account_identities_arn(self) -> str:
        return Stack.of(self).format_arn(service="ses", resource="identity", resource_name="*")

    @property
    def tenants_arn(self) -> str:
        return Stack.of(self).format_arn(service="ses", resource="tenant", resource_name=f"{TENANT_PREFIX}*")

    @property
    def functions(self) -> list[lambda_.Function]:
        return [self.ingest_email, self.email_events]

    @property
    def dead_letter_queues(self) -> list[tuple[str, sqs.IQueue]]:
        return [("ingest-email", self.ingest_dead_letter_queue),
                ("email-events", self.events_dead_letter_queue)]


@jsii.implements(ses.IReceiptRuleAction)
class _StoreRawMail:
    """SES's S3 action, with a bucket policy narrower than CDK's: only this account's one rule may
    write, and only under the prefix."""

    def __init__(self, bucket: s3.Bucket, prefix: str, rule_arn: str) -> None:
        self._bucket, self._prefix, self._rule_arn = bucket, prefix, rule_arn

    def bind(self, receipt_rule: ses.IReceiptRule) -> ses.ReceiptRuleActionConfig:
        stack = Stack.of(receipt_rule)
        self._bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowSesReceiptRulePutObject",
            principals=[iam.ServicePrincipal("ses.amazonaws.com")],
            actions=["s3:PutObject"],
            resources=[self._bucket.arn_for_objects(f"{self._prefix}*")],
            conditions={"StringEquals": {"aws:SourceAccount": stack.account,
                                         "aws:SourceArn": self._rule_arn}},
        ))
        # SES checks it may write when the rule is created, so the policy must exist first.
        if self._bucket.policy is not None:
            receipt_rule.node.add_dependency(self._bucket.policy)
        return ses.ReceiptRuleActionConfig(s3_action=ses.S3ActionConfig(
            bucket_name=self._bucket.bucket_name, object_key_prefix=self._prefix))


@jsii.implements(ses.IReceiptRuleAction)
class _InvokeAsync:
    """SES's Lambda action (asynchronous: the function's retries and dead-letter queue apply), which
    only this account's one rule may trigger."""

    def __init__(self, function: lambda_.Function, rule_arn: str) -> None:
        self._function, self._rule_arn = function, rule_arn

    def bind(self, receipt_rule: ses.IReceiptRule) -> ses.ReceiptRuleActionConfig:
        stack = Stack.of(receipt_rule)
        self._function.add_permission(
            "AllowSesReceiptRule", principal=iam.ServicePrincipal("ses.amazonaws.com"),
            source_account=stack.account, source_arn=self._rule_arn)
        permission = self._function.node.find_child("AllowSesReceiptRule")
        receipt_rule.node.add_dependency(permission)
        return ses.ReceiptRuleActionConfig(lambda_action=ses.LambdaActionConfig(
            function_arn=self._function.function_arn, invocation_type="Event"))


def sender_wiring(stack: Any, common_environment: Mapping[str, str]) -> SenderWiring:
    """`send_email`'s environment and grants (sideconv.email.channel names this as its `infra`)."""
    email, uploads, settings = stack.email, stack.uploads, stack.settings

    def grant(function: lambda_.Function) -> None:
        email.grant_send(function)
        # Forwards the attachments of received mail that an agent re-sends.
        email.grant_read_mail(function, ATTACHMENTS_PREFIX)
        stack.token_secret.grant_read(function)
        uploads.grant_read(function)

    return SenderWiring({
        **common_environment,
        "TOKEN_SECRET_ARN": stack.token_secret.secret_arn,
        "SENDER_ADDRESS": settings.sender_address,
        "SENDER_NAME": settings.sender_name,
        "INBOUND_DOMAIN": settings.inbound_domain,
        "SES_CONFIGURATION_SET": email.configuration_set.configuration_set_name,
        "RAW_MAIL_BUCKET": email.raw_mail.bucket_name,
        **uploads.environment,
    }, grant)
