"""What a deployment is told once, read from CDK context (cdk.json's "context" block or `-c key=value`).

Every key has a placeholder default, so `make synth` works on a machine with no AWS account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constructs import Node

DEFAULTS: dict[str, Any] = {
    "stackName": "AtenderSideConversations",
    "environment": "prod",
    "senderAddress": "support@example.com",
    "senderName": "Atender Support",
    "inboundDomain": "reply.example.com",
    "sesIdentity": "",
    "slackSecretName": "atender/side-conversations/slack",
    "jwtIssuer": "https://auth.example.com/",
    "jwtAudience": "atender-side-conversations",
    "conversationUrlTemplate": "",
    "alarmEmail": "",
    "retainData": True,
    "rawMailRetentionDays": 365,
    "skipLayerBuild": False,
    # The reference panel on S3 + CloudFront (docs/PANEL.md), and who may frame it.
    "deployPanel": False,
    "panelFrameAncestors": "",
}


def _bool(value: Any) -> bool:
    # `-c retainData=false` arrives as the string "false".
    if isinstance(value, str):
        return value.strip().lower() not in {"", "0", "false", "no", "off"}
    return bool(value)


def _list(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())


@dataclass(frozen=True)
class DeploySettings:
    stack_name: str
    environment: str
    sender_address: str
    sender_name: str
    inbound_domain: str
    # An SES identity that already exists (a domain or an address) is referenced, never re-created.
    ses_identity: str | None
    slack_secret_name: str
    jwt_issuer: str
    jwt_audience: tuple[str, ...]
    conversation_url_template: str
    alarm_email: str | None
    # True keeps the table, the raw-mail bucket and the token secret when the stack is deleted.
    retain_data: bool
    raw_mail_retention_days: int
    # Tests synthesize with an empty layer instead of the built one (no pip, no Python 3.12 needed).
    skip_layer_build: bool
    deploy_panel: bool = False
    panel_frame_ancestors: tuple[str, ...] = ()

    @property
    def sender_domain(self) -> str:
        return self.sender_address.rsplit("@", 1)[-1]

    @property
    def identity_name(self) -> str:
        """The SES identity mail is sent from: the one named, else the sender's domain."""
        return self.ses_identity or self.sender_domain

    @classmethod
    def from_context(cls, node: Node) -> DeploySettings:
        def get(key: str) -> Any:
            value = node.try_get_context(key)
            return DEFAULTS[key] if value is None else value

        sender = str(get("senderAddress"))
        if "@" not in sender:
            raise ValueError(f"context senderAddress must be an e-mail address, got {sender!r}")
        audience = _list(get("jwtAudience"))
        if not audience:
            raise ValueError("context jwtAudience must name at least one audience")
        return cls(
            stack_name=str(get("stackName")),
            environment=str(get("environment")),
            sender_address=sender,
            sender_name=str(get("senderName")),
            inbound_domain=str(get("inboundDomain")),
            ses_identity=str(get("sesIdentity")) or None,
            slack_secret_name=str(get("slackSecretName")),
            jwt_issuer=str(get("jwtIssuer")),
            jwt_audience=audience,
            conversation_url_template=str(get("conversationUrlTemplate")),
            alarm_email=str(get("alarmEmail")) or None,
            retain_data=_bool(get("retainData")),
            raw_mail_retention_days=int(get("rawMailRetentionDays")),
            skip_layer_build=_bool(get("skipLayerBuild")),
            deploy_panel=_bool(get("deployPanel")),
            panel_frame_ancestors=_list(get("panelFrameAncestors")),
        )
