"""Configuration, read once per cold start into a typed object.

Use cases take plain values; only handlers and adapters call `get_settings()`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    table_name: str
    region: str
    # Where DynamoDB is reached; None means the AWS default endpoint (set only by the local stack).
    dynamodb_endpoint: str | None
    # Signs reply-address tokens and pagination tokens. In AWS it comes from Secrets Manager.
    token_secret: str
    # Sending identity and the domain that receives replies (SES inbound).
    sender_address: str
    sender_name: str
    inbound_domain: str
    # The host SES puts after the Message-ID it assigns: "email.amazonses.com" in us-east-1,
    # "<region>.amazonses.com" elsewhere.
    ses_message_id_domain: str
    raw_mail_bucket: str
    raw_mail_prefix: str
    conversation_url_template: str | None
    slack_api_url: str | None
    slack_secret_arn: str | None
    slack_queue_url: str | None
    environment: str


def _ses_domain(region: str) -> str:
    return "email.amazonses.com" if region == "us-east-1" else f"{region}.amazonses.com"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    return Settings(
        table_name=env.get("TABLE_NAME", "side-conversations"),
        region=region,
        dynamodb_endpoint=env.get("DYNAMODB_ENDPOINT") or None,
        token_secret=env.get("TOKEN_SECRET", "dev-token-secret"),
        sender_address=env.get("SENDER_ADDRESS", "support@example.com"),
        sender_name=env.get("SENDER_NAME", "Atender Support"),
        inbound_domain=env.get("INBOUND_DOMAIN", "reply.example.com"),
        ses_message_id_domain=env.get("SES_MESSAGE_ID_DOMAIN") or _ses_domain(region),
        raw_mail_bucket=env.get("RAW_MAIL_BUCKET", "side-conversations-raw-mail"),
        raw_mail_prefix=env.get("RAW_MAIL_PREFIX", "inbound/"),
        conversation_url_template=env.get("CONVERSATION_URL_TEMPLATE") or None,
        slack_api_url=env.get("SLACK_API_URL") or None,
        slack_secret_arn=env.get("SLACK_SECRET_ARN") or None,
        slack_queue_url=env.get("SLACK_EVENTS_QUEUE_URL") or None,
        environment=env.get("ENVIRONMENT", "local"),
    )
