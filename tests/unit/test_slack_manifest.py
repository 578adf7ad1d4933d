"""The app manifest asks for exactly the scopes the install asks for, and names the OAuth redirect."""

from __future__ import annotations

from pathlib import Path

import yaml
from sideconv.slack.oauth import BOT_SCOPES

MANIFEST = Path(__file__).resolve().parents[2] / "docs" / "slack-app-manifest.yaml"


def test_the_manifest_and_the_install_ask_for_the_same_scopes() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def test_the_manifest_names_the_redirect_and_the_events_the_service_handles() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert [url.rsplit("/v1/", 1)[1] for url in manifest["oauth_config"]["redirect_urls"]] == ["slack/oauth/callback"]
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_uninstalled", "tokens_revoked", "user_change", "channel_shared"} <= events
