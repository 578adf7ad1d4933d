"""The Slack app and the environment's installation: signing secret, OAuth client, and (in the
self-hosting single-workspace mode, `SLACK_SINGLE_WORKSPACE`) the one workspace's token and ids.
Workspaces connected per account are in `sideconv.slack.installations`.

Locally these come from the environment (Settings); in AWS from one Secrets Manager secret (JSON with
bot_token, signing_secret, team_id, app_id, optionally bot_user_id and bot_id), fetched once per cold
start. This module imports nothing heavy: the events endpoint reads it on its cold path.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sideconv.wiring import Wiring, built

_SECRET_FIELDS = ("bot_token", "signing_secret", "team_id", "app_id", "bot_user_id", "bot_id", "client_id",
                  "client_secret")


@dataclass(frozen=True)
class Installation:
    bot_token: str | None
    signing_secret: str
    team_id: str | None
    app_id: str | None
    bot_user_id: str | None
    bot_id: str | None
    client_id: str | None = None
    client_secret: str | None = None
    # The environment's workspace serves accounts without their own (docs/SLACK.md, "Self-hosting").
    single_workspace: bool = False

    def __repr__(self) -> str:  # never a token or a secret in a log line
        return f"Installation(team_id={self.team_id!r}, app_id={self.app_id!r})"


@built
def get_installation(wiring: Wiring) -> Installation:
    settings = wiring.settings
    installation = Installation(
        bot_token=settings.slack_bot_token,
        signing_secret=settings.slack_signing_secret,
        team_id=settings.slack_team_id,
        app_id=settings.slack_app_id,
        bot_user_id=settings.slack_bot_user_id,
        bot_id=settings.slack_bot_id,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        single_workspace=settings.slack_single_workspace,
    )
    if settings.slack_secret_arn:
        from aws_lambda_powertools.utilities import parameters

        secret: Any = parameters.get_secret(settings.slack_secret_arn, transform="json")
        values: dict[str, Any] = {name: str(secret[name]) for name in _SECRET_FIELDS
                                  if isinstance(secret, dict) and secret.get(name)}
        installation = replace(installation, **values)
    return installation
