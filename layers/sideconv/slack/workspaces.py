"""What the sender and the processor ask for: an account's Slack workspace, its token decrypted (and
rotated when the app has token rotation on), cached per container for a minute.

Light on purpose: the stores (`sideconv.slack.installations`, which load slack-sdk's OAuth models) and
the KMS client load on the first workspace a container meets, not on its cold start.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sideconv.wiring import Wiring, built

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from sideconv.slack.installations import AccountInstallationStore, TokenCipher

# How long a container trusts what it read about a workspace (its token, whether it is revoked).
CACHE_SECONDS = 60.0
# Rotate a token this long before it expires (Slack's rotating tokens live 12 hours).
ROTATE_BEFORE_MINUTES = 30


class Disconnected(Exception):
    """The side conversation's workspace is not (or no longer) connected: sends fail `workspace_disconnected`."""


@dataclass
class Workspace:
    """A connected workspace as a sender or processor uses it: the Web client holds the token."""

    account_id: str
    team_id: str
    team_name: str | None
    enterprise_id: str | None
    bot_user_id: str | None
    bot_id: str | None
    app_id: str | None
    client: WebClient

    def __repr__(self) -> str:
        return f"Workspace(account_id={self.account_id!r}, team_id={self.team_id!r})"


@dataclass
class Workspaces:
    """An account's workspace by team, read (1 GetItem + 1 KMS Decrypt) at most once a minute per
    container and workspace; rotated first when its token is about to expire."""

    store: Callable[[str], AccountInstallationStore]
    client_for: Callable[[str], WebClient]
    rotator: Callable[[], Any] | None = None
    ttl: float = CACHE_SECONDS
    now: Callable[[], float] = time.monotonic
    _cache: dict[tuple[str, str], tuple[float, Workspace | None]] = field(default_factory=dict)

    def get(self, account_id: str, team_id: str) -> Workspace:
        """The workspace, or `Disconnected` (never installed, uninstalled, revoked, or another account's)."""
        key = (account_id, team_id)
        cached = self._cache.get(key)
        if cached is None or cached[0] <= self.now():
            cached = (self.now() + self.ttl, self._load(account_id, team_id))
            self._cache[key] = cached
        if cached[1] is None:
            raise Disconnected(f"workspace {team_id} is not connected to account {account_id}")
        return cached[1]

    def forget(self, account_id: str, team_id: str) -> None:
        self._cache.pop((account_id, team_id), None)

    def _load(self, account_id: str, team_id: str) -> Workspace | None:
        store = self.store(account_id)
        item = store.item(team_id)
        if item is None or item.state != "active":
            return None
        installation = store.to_installation(item)
        if installation.bot_refresh_token and self.rotator is not None:
            rotated = self.rotator().perform_token_rotation(installation=installation,
                                                            minutes_before_expiration=ROTATE_BEFORE_MINUTES)
            if rotated is not None:
                store.save_bot(rotated.to_bot())
                installation = rotated
        assert installation.bot_token is not None
        return Workspace(account_id, team_id, installation.team_name, installation.enterprise_id,
                         installation.bot_user_id, installation.bot_id, installation.app_id,
                         self.client_for(installation.bot_token))


@built
def kms(wiring: Wiring) -> Any:
    """KMS, for the workspaces' bot tokens (sideconv.slack.installations.TokenCipher)."""
    import boto3

    return boto3.client("kms", region_name=wiring.settings.region)


@built
def cipher(wiring: Wiring) -> TokenCipher:
    from sideconv.slack.installations import TokenCipher

    return TokenCipher(lambda: kms(wiring), wiring.settings.slack_token_key_id)


@built
def workspaces(wiring: Wiring) -> Workspaces:
    """The container's view of the accounts' workspaces (the sender's and the processor's wiring)."""
    from sideconv.slack.client import app_client, workspace_client
    from sideconv.slack.installation import get_installation
    from sideconv.slack.installations import AccountInstallationStore
    from sideconv.store import models

    connection, settings = models.connection(wiring), wiring.settings
    app = get_installation(wiring)

    def rotator() -> Any:
        from slack_sdk.oauth.token_rotation import TokenRotator

        return TokenRotator(client_id=app.client_id or "", client_secret=app.client_secret or "",
                            client=app_client(settings, None))

    return Workspaces(store=lambda account_id: AccountInstallationStore(account_id, cipher(wiring), connection),
                      client_for=lambda token: workspace_client(wiring, token),
                      rotator=rotator if app.client_id and app.client_secret else None)
