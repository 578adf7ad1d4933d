"""Configuration, read once per cold start into a typed object.

Use cases take plain values; a container reads its settings once, into its wiring (`sideconv.wiring`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Settings:
    table_name: str
    region: str
    # Where DynamoDB is reached; None means the AWS default endpoint (set only by the local stack).
    dynamodb_endpoint: str | None
    # Sending identity and the domain that receives replies (SES inbound).
    sender_address: str
    sender_name: str
    inbound_domain: str
    # The host SES puts after the Message-ID it assigns: "email.amazonses.com" in us-east-1,
    # "<region>.amazonses.com" elsewhere.
    ses_message_id_domain: str
    # Received mail (SES's receipt rule stores it, env RAW_MAIL_BUCKET) and the files cut from it.
    received_mail_bucket: str
    raw_mail_prefix: str
    conversation_url_template: str | None
    slack_api_url: str | None
    slack_secret_arn: str | None
    slack_queue_url: str | None
    environment: str
    # Slack installation. Locally from the environment; in AWS the secret at `slack_secret_arn`
    # (JSON: bot_token, signing_secret, team_id, app_id) overrides them (sideconv.slack.installation).
    slack_bot_token: str | None = None
    slack_signing_secret: str = "dev-signing-secret"  # noqa: S105 - the documented local default
    slack_team_id: str | None = None
    slack_app_id: str | None = None
    # The app's own bot: its posts come back as events and are dropped. Found by auth.test when unset.
    slack_bot_user_id: str | None = None
    slack_bot_id: str | None = None
    # Slack workspaces per account (issue 14, docs/SLACK.md). The app's OAuth client (the secret at
    # `slack_secret_arn` may hold client_id and client_secret too), the KMS key that encrypts the bot
    # tokens, where Slack sends the admin back, Slack's authorize page and the panel's Connections view.
    # `slack_single_workspace` is the self-hosting mode: the environment's installation serves every
    # account that has none of its own; off unless switched on.
    slack_single_workspace: bool = False
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_token_key_id: str | None = None
    slack_redirect_uri: str | None = None
    slack_authorize_url: str = "https://slack.com/oauth/v2/authorize"
    slack_connections_url: str = "/panel/connections.html"
    # Slack takes about one message per second per channel: the sender paces itself to this.
    slack_post_interval_s: float = 1.0
    # SES configuration set whose event destination (SNS) feeds `email_events`; None sends without.
    ses_configuration_set: str | None = None
    # The EventBridge bus that receives the side-conversation events (sideconv.helpdesk_events).
    event_bus_name: str = "side-conversations"
    # The re-drive (sideconv.redrive): how long a message may stay `pending` before it is re-enqueued,
    # and how many re-drives before it ends `failed` (the queues: `outbox_queue_urls`).
    redrive_after_s: int = 900
    redrive_max: int = 3
    redrive_give_up_s: int = 6 * 3600
    # Outbound attachments (sideconv.uploads): their bucket, and locally the endpoint the browser posts
    # them to (the local stack's stand-in for S3's POST; None in AWS, where S3's own URL is signed).
    uploads_bucket: str = "side-conversations-uploads"
    s3_upload_endpoint: str | None = None

    @cached_property
    def outbox_queue_urls(self) -> tuple[tuple[str, str], ...]:
        """(channel, its outbox queue's URL) of each channel (sideconv.channels) whose URL the environment
        holds (`route_outbox`, `redrive`). Read on first use: a function that never routes loads no
        channel declaration at its cold start."""
        from sideconv import channels

        return channels.queue_urls(os.environ)

    @cached_property
    def token_secret(self) -> str:
        """Signs reply-address tokens and page tokens; fetched on first use, so functions that never
        sign or verify one never fetch it."""
        return _token_secret(os.environ, self.environment)


LOCAL_ENVIRONMENTS = frozenset({"local", "test"})


def _ses_domain(region: str) -> str:
    return "email.amazonses.com" if region == "us-east-1" else f"{region}.amazonses.com"


def _token_secret(env: os._Environ[str], environment: str) -> str:
    """In AWS the secret lives in Secrets Manager (TOKEN_SECRET_ARN). Only the local stack and the
    tests may fall back to a known development secret: a deployed function without one fails."""
    arn = env.get("TOKEN_SECRET_ARN")
    if not arn:
        if environment not in LOCAL_ENVIRONMENTS:
            raise RuntimeError("TOKEN_SECRET_ARN is not set: reply addresses and page tokens cannot be signed")
        return env.get("TOKEN_SECRET", "dev-token-secret")
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_secret(arn))


def from_env() -> Settings:
    """The settings the environment gives: read once per cold start, by `sideconv.wiring.Wiring.from_env`."""
    env = os.environ
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    return Settings(
        table_name=env.get("TABLE_NAME", "side-conversations"),
        region=region,
        dynamodb_endpoint=env.get("DYNAMODB_ENDPOINT") or None,
        sender_address=env.get("SENDER_ADDRESS", "support@example.com"),
        sender_name=env.get("SENDER_NAME", "Atender Support"),
        inbound_domain=env.get("INBOUND_DOMAIN", "reply.example.com"),
        ses_message_id_domain=env.get("SES_MESSAGE_ID_DOMAIN") or _ses_domain(region),
        received_mail_bucket=env.get("RAW_MAIL_BUCKET", "side-conversations-raw-mail"),
        raw_mail_prefix=env.get("RAW_MAIL_PREFIX", "inbound/"),
        ses_configuration_set=env.get("SES_CONFIGURATION_SET") or None,
        conversation_url_template=env.get("CONVERSATION_URL_TEMPLATE") or None,
        slack_api_url=env.get("SLACK_API_URL") or None,
        slack_secret_arn=env.get("SLACK_SECRET_ARN") or None,
        slack_queue_url=env.get("SLACK_EVENTS_QUEUE_URL") or None,
        environment=env.get("ENVIRONMENT", "local"),
        event_bus_name=env.get("EVENT_BUS_NAME", "side-conversations"),
        slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
        slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or "dev-signing-secret",
        slack_team_id=env.get("SLACK_TEAM_ID") or None,
        slack_app_id=env.get("SLACK_APP_ID") or None,
        slack_bot_user_id=env.get("SLACK_BOT_USER_ID") or None,
        slack_bot_id=env.get("SLACK_BOT_ID") or None,
        slack_post_interval_s=float(env.get("SLACK_POST_INTERVAL_S") or 1.0),
        slack_single_workspace=(env.get("SLACK_SINGLE_WORKSPACE") or "").lower() in ("1", "true", "yes"),
        slack_client_id=env.get("SLACK_CLIENT_ID") or None,
        slack_client_secret=env.get("SLACK_CLIENT_SECRET") or None,
        slack_token_key_id=env.get("SLACK_TOKEN_KEY_ID") or None,
        slack_redirect_uri=env.get("SLACK_REDIRECT_URI") or None,
        slack_authorize_url=env.get("SLACK_AUTHORIZE_URL") or "https://slack.com/oauth/v2/authorize",
        slack_connections_url=env.get("SLACK_CONNECTIONS_URL") or "/panel/connections.html",
        redrive_after_s=int(env.get("REDRIVE_AFTER_SECONDS") or 900),
        redrive_max=int(env.get("REDRIVE_MAX") or 3),
        redrive_give_up_s=int(env.get("REDRIVE_GIVE_UP_SECONDS") or 6 * 3600),
        uploads_bucket=env.get("UPLOADS_BUCKET", "side-conversations-uploads"),
        s3_upload_endpoint=env.get("S3_UPLOAD_ENDPOINT") or None,
    )
