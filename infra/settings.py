"""What a deployment is told once, read from CDK context (cdk.json's "context" block or `-c key=value`).

Every key has a placeholder default, so `make synth` works on a machine with no AWS account. The
placeholders are for the `test` environment only: a deployed environment (any other) refuses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constructs import Node
from sideconv.config import LOCAL_ENVIRONMENTS

DEFAULTS: dict[str, Any] = {
    "stackName": "AtenderSideConversations",
    # `test` synthesizes the examples below; set a deployed one (prod, staging, ...) to deploy.
    "environment": "test",
    "senderAddress": "support@example.com",
    "senderName": "Atender Support",
    "inboundDomain": "reply.example.com",
    "sesIdentity": "",
    "slackSecretName": "atender/side-conversations/slack",
    # Workspaces per account (docs/SLACK.md): the OAuth redirect URL registered with the Slack app
    # (https://<api or panel host>/v1/slack/oauth/callback; empty: the app's only one), and where the
    # callback sends the admin back (the panel's Connections view, on the panel's origin).
    "slackRedirectUri": "",
    "slackConnectionsUrl": "/panel/connections.html",
    # The self-hosting mode: the secret's one installation serves accounts without their own.
    "slackSingleWorkspace": False,
    "jwtIssuer": "https://auth.example.com/",
    "jwtAudience": "atender-side-conversations",
    "conversationUrlTemplate": "",
    "alarmEmail": "",
    # Or (and) an SNS topic of your own that the alarms notify.
    "alarmTopicArn": "",
    "retainData": True,
    "rawMailRetentionDays": 365,
    "skipLayerBuild": False,
    # The reference panel on S3 + CloudFront (docs/PANEL.md), and who may frame it.
    "deployPanel": False,
    "panelFrameAncestors": "",
    # Set by `make deploy`: the example environment is for synthesizing, never for a deploy.
    "deploy": False,
}

# cdk.json's examples. A service deployed with them rejects every token (issuer, audience), mails from
# and links to domains nobody owns: a deployed environment refuses each (DeploySettings.refuse_examples).
EXAMPLES: dict[str, str] = {
    "senderAddress": "support@example.com",
    "inboundDomain": "reply.example.com",
    "jwtIssuer": "https://auth.example.com/",
    "jwtAudience": "atender-side-conversations",
    "conversationUrlTemplate": "https://app.example.com/conversations/{conversation_id}",
}
# Reserved for documentation (RFC 2606): no real sender, issuer, link or on-call address uses them.
EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")


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
    slack_redirect_uri: str
    slack_connections_url: str
    slack_single_workspace: bool
    jwt_issuer: str
    jwt_audience: tuple[str, ...]
    conversation_url_template: str
    alarm_email: str | None
    alarm_topic_arn: str | None
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

    @property
    def deployed(self) -> bool:
        return self.environment not in LOCAL_ENVIRONMENTS

    @classmethod
    def from_context(cls, node: Node) -> DeploySettings:
        def get(key: str) -> Any:
            value = node.try_get_context(key)
            return DEFAULTS[key] if value is None else value

        environment = str(get("environment"))
        if environment in LOCAL_ENVIRONMENTS and _bool(get("deploy")):
            raise ValueError(f"context environment is {environment!r}, which only synthesizes the examples: "
                             "set environment (prod, staging, ...) and the settings it needs to deploy "
                             "(docs/DEPLOY.md)")
        if environment not in LOCAL_ENVIRONMENTS:
            refuse_examples(environment, {key: get(key) for key in
                                          (*EXAMPLES, "sesIdentity", "alarmEmail", "alarmTopicArn")})

        sender = str(get("senderAddress"))
        if "@" not in sender:
            raise ValueError(f"context senderAddress must be an e-mail address, got {sender!r}")
        audience = _list(get("jwtAudience"))
        if not audience:
            raise ValueError("context jwtAudience must name at least one audience")
        return cls(
            stack_name=str(get("stackName")),
            environment=environment,
            sender_address=sender,
            sender_name=str(get("senderName")),
            inbound_domain=str(get("inboundDomain")),
            ses_identity=str(get("sesIdentity")) or None,
            slack_secret_name=str(get("slackSecretName")),
            slack_redirect_uri=str(get("slackRedirectUri")),
            slack_connections_url=str(get("slackConnectionsUrl")),
            slack_single_workspace=_bool(get("slackSingleWorkspace")),
            jwt_issuer=str(get("jwtIssuer")),
            jwt_audience=audience,
            conversation_url_template=str(get("conversationUrlTemplate")),
            alarm_email=str(get("alarmEmail")) or None,
            alarm_topic_arn=str(get("alarmTopicArn")) or None,
            retain_data=_bool(get("retainData")),
            raw_mail_retention_days=int(get("rawMailRetentionDays")),
            skip_layer_build=_bool(get("skipLayerBuild")),
            deploy_panel=_bool(get("deployPanel")),
            panel_frame_ancestors=_list(get("panelFrameAncestors")),
        )


def _is_example(key: str, value: Any) -> bool:
    text = ",".join(value) if isinstance(value, list | tuple) else str(value)
    if EXAMPLES.get(key) is not None and text == EXAMPLES[key]:
        return True
    hosts = [part.rsplit("@", 1)[-1] for part in text.lower().replace("/", " ").replace(":", " ").split()]
    return any(host == domain or host.endswith(f".{domain}") for host in hosts for domain in EXAMPLE_DOMAINS)


def refuse_examples(environment: str, values: dict[str, Any]) -> None:
    """A deployed environment with any of cdk.json's examples left fails, naming every one."""
    found = [f"{key} = {value!r}" for key, value in values.items() if value and _is_example(key, value)]
    if found:
        raise ValueError(f"environment {environment!r} is deployed, but these settings still hold an example "
                         f"value: {'; '.join(found)}. Set them in cdk.json or with -c key=value "
                         "(docs/DEPLOY.md); -c environment=test synthesizes the examples.")
