"""The Slack installation: from the environment locally, from one Secrets Manager secret in AWS."""

from __future__ import annotations

import json

import pytest
from sideconv.wiring import Wiring

from local.containers import cold_start

pytestmark = pytest.mark.xdist_group("slack")


def test_the_secret_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws
    from sideconv.slack.installation import get_installation

    with mock_aws():
        arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="side-conversations/slack", SecretString=json.dumps({
                "bot_token": "xoxb-from-secret", "signing_secret": "s3cret", "team_id": "T0PROD",
                "app_id": "A0PROD"}))["ARN"]
        monkeypatch.setenv("SLACK_SECRET_ARN", arn)
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
        monkeypatch.setenv("SLACK_BOT_USER_ID", "U0FROMENV")
        monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
        cold_start()
        try:
            installation = get_installation(Wiring.from_env())
        finally:
            monkeypatch.delenv("SLACK_SECRET_ARN")
            cold_start()
    assert installation.bot_token == "xoxb-from-secret"
    assert installation.signing_secret == "s3cret"
    assert (installation.team_id, installation.app_id) == ("T0PROD", "A0PROD")
    assert installation.bot_user_id == "U0FROMENV"  # not in the secret: the environment's stays


def test_locally_the_environment_and_the_documented_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from sideconv.slack.installation import get_installation

    monkeypatch.delenv("SLACK_SECRET_ARN", raising=False)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.setenv("SLACK_TEAM_ID", "T0LOCAL01")
    cold_start()
    try:
        installation = get_installation(Wiring.from_env())
    finally:
        cold_start()
    assert installation.signing_secret == "dev-signing-secret"
    assert installation.team_id == "T0LOCAL01"


def test_bot_ids_come_from_auth_test_when_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    from sideconv.slack.client import bot_identity

    from local.slack_api import SlackStandIn

    stand_in = SlackStandIn(port=0)
    stand_in.start()
    try:
        monkeypatch.setenv("SLACK_API_URL", stand_in.url)
        monkeypatch.setenv("SLACK_BOT_TOKEN", stand_in.installation.token)
        monkeypatch.setenv("SLACK_APP_ID", "A0LOCALAPP")
        monkeypatch.delenv("SLACK_BOT_USER_ID", raising=False)
        monkeypatch.delenv("SLACK_BOT_ID", raising=False)
        monkeypatch.delenv("SLACK_SECRET_ARN", raising=False)
        cold_start()
        identity = bot_identity(Wiring.from_env())
    finally:
        stand_in.stop()
        cold_start()
    assert (identity.user_id, identity.bot_id, identity.app_id) == ("U0LOCALBOT", "B0LOCALBOT", "A0LOCALAPP")
    assert len(stand_in.calls_of("auth.test")) == 1
