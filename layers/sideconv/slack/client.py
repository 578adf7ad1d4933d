"""The Slack Web API client and the bot's own identity, built once per wiring, on first use."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sideconv.config import Settings
from sideconv.slack.installation import get_installation
from sideconv.wiring import Wiring, built

if TYPE_CHECKING:
    from slack_sdk import WebClient

# Slack answers in well under a second; a call that takes longer is retried from the queue instead of
# holding the function.
TIMEOUT_SECONDS = 5


# slack-sdk logs every request's parameters and every answer at DEBUG (tokens, oauth.v2.access's
# access_token): its clients get a logger of their own that never goes below INFO, whatever the
# function's log level.
_WEB_LOGGER = logging.getLogger("sideconv.slack.web")
_WEB_LOGGER.setLevel(logging.INFO)


def app_client(settings: Settings, token: str | None, timeout: int = TIMEOUT_SECONDS) -> WebClient:
    """A Web API client with `token` (None: the OAuth calls, which carry the app's client secret),
    pointed at the configured Slack (the stand-in locally)."""
    from slack_sdk import WebClient

    # The default retry handlers retry a refused connection once; 429s and 5xx are retried through
    # the queue (with a delay), never by sleeping inside the function.
    client = WebClient(token=token, timeout=timeout, logger=_WEB_LOGGER)
    if settings.slack_api_url:
        client.base_url = settings.slack_api_url  # must end with "/"
    return client


@built
def web_client(wiring: Wiring) -> WebClient:
    """The environment's installation (the self-hosting single-workspace mode)."""
    return app_client(wiring.settings, get_installation(wiring).bot_token)


WORKSPACE_CLIENTS = 64


@built
def _workspace_clients(wiring: Wiring) -> dict[str, WebClient]:
    return {}


def workspace_client(wiring: Wiring, token: str) -> WebClient:
    """One client per workspace token this container uses (an account's own installation), at most
    `WORKSPACE_CLIENTS` (a rotated token's old client is dropped with the rest when that fills up)."""
    clients = _workspace_clients(wiring)
    client = clients.get(token)
    if client is None:
        if len(clients) >= WORKSPACE_CLIENTS:
            clients.clear()
        client = clients[token] = app_client(wiring.settings, token)
    return client


@dataclass(frozen=True)
class BotIdentity:
    """Who the app posts as: its posts come back as message events, and are dropped by these ids."""

    user_id: str | None
    bot_id: str | None
    app_id: str | None


@built
def bot_identity(wiring: Wiring) -> BotIdentity:
    installation = get_installation(wiring)
    user_id, bot_id = installation.bot_user_id, installation.bot_id
    if user_id is None or bot_id is None:
        answer = web_client(wiring).auth_test()
        user_id = user_id or answer.get("user_id")
        bot_id = bot_id or answer.get("bot_id")
    return BotIdentity(user_id=user_id, bot_id=bot_id, app_id=installation.app_id)
