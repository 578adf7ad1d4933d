"""Add to Slack: an admin starts an install, Slack sends them back with a code, the installation is stored.

slack-sdk's pieces do the protocol: `AuthorizeUrlGenerator` builds Slack's authorize URL, the table's
`TableStateStore` issues and consumes the state, `oauth.v2.access` trades the code, and the account's
`AccountInstallationStore` keeps the result. The callback carries no JWT: the state is the proof, bound
to the account and the admin who started, single use, 10 minutes. Whatever happens after the state is
accepted, the admin is sent back to the panel's Connections view with the result in the query.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from slack_sdk.oauth import AuthorizeUrlGenerator
from slack_sdk.oauth.installation_store.models.installation import Installation

from sideconv.auth import Caller
from sideconv.errors import BadRequest, Forbidden, InvalidRequest
from sideconv.observability import logger
from sideconv.slack.installations import AccountInstallationStore, TableStateStore, WorkspaceTaken

if TYPE_CHECKING:
    from slack_sdk import WebClient

# What the bot needs: post (as the agent), open DMs and group DMs, read the threads' replies, names
# and avatars (users.list), channels (conversations.list, public and private the bot is in), join a
# public channel, the team's own name, and share an agent's files in the thread (files_upload_v2).
# docs/slack-app-manifest.yaml lists the same.
BOT_SCOPES = ("chat:write", "chat:write.customize", "im:write", "mpim:write", "channels:history",
              "groups:history", "im:history", "mpim:history", "users:read", "channels:read", "groups:read",
              "channels:join", "team:read", "files:write")


class BadState(BadRequest):
    title = "Invalid OAuth state"


@dataclass(frozen=True)
class OAuthConfig:
    client_id: str | None
    client_secret: str | None
    redirect_uri: str | None
    authorize_url: str
    connections_url: str


def require_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise Forbidden("only an admin of the account may connect or disconnect Slack workspaces")


def start(caller: Caller, config: OAuthConfig, states: TableStateStore) -> dict[str, Any]:
    """POST /v1/slack/installations: Slack's authorize URL with a fresh state bound to the caller."""
    require_admin(caller)
    if not config.client_id:
        raise InvalidRequest("this deployment has no Slack app client id (SLACK_CLIENT_ID)")
    state = states.issue(account_id=caller.account_id, admin_id=caller.agent_id)
    generator = AuthorizeUrlGenerator(client_id=config.client_id, redirect_uri=config.redirect_uri,
                                      scopes=list(BOT_SCOPES), authorization_url=config.authorize_url)
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(states.valid_until(state)))
    return {"authorize_url": generator.generate(state), "state_expires_at": expires}


def _installation_from(answer: Any, installer: str) -> Installation:
    """oauth.v2.access's answer as slack-sdk's model (as slack-sdk's own OAuth flow builds it)."""
    team = answer.get("team") or {}
    enterprise = answer.get("enterprise") or {}
    return Installation(
        app_id=answer.get("app_id"), enterprise_id=enterprise.get("id"), enterprise_name=enterprise.get("name"),
        team_id=team.get("id"), team_name=team.get("name"), bot_token=answer.get("access_token"),
        bot_id=answer.get("bot_id"), bot_user_id=answer.get("bot_user_id"), bot_scopes=answer.get("scope") or "",
        bot_refresh_token=answer.get("refresh_token"), bot_token_expires_in=answer.get("expires_in"),
        user_id=installer, is_enterprise_install=bool(answer.get("is_enterprise_install")),
        token_type=answer.get("token_type"),
    )


def _back(config: OAuthConfig, **result: str | None) -> str:
    query = urlencode({f"slack_{k}" if k != "slack" else k: v for k, v in result.items() if v})
    separator = "&" if "?" in config.connections_url else "?"
    return f"{config.connections_url}{separator}{query}"


def callback(code: str | None, state: str | None, error: str | None, config: OAuthConfig,
             states: TableStateStore, store_for: Callable[[str, str], AccountInstallationStore],
             client: Callable[[], WebClient], connected: Callable[[str, str], None] | None = None) -> str:
    """GET /v1/slack/oauth/callback: the URL to send the admin back to. A forged, expired or replayed
    state is `BadState` (a 400 problem) and nothing is installed."""
    from slack_sdk.errors import SlackApiError

    binding = states.consume_binding(state or "")
    if binding is None:
        raise BadState("the install link is not valid (expired, already used, or not ours): start again",
                       field="state")
    if error:
        return _back(config, slack="error", error=error[:64])
    if not code or len(code) > 256:
        return _back(config, slack="error", error="missing_code")
    try:
        answer = client().oauth_v2_access(client_id=config.client_id or "", client_secret=config.client_secret or "",
                                          code=code, redirect_uri=config.redirect_uri)
    except SlackApiError as exc:
        reason = str((exc.response.data or {}).get("error") if isinstance(exc.response.data, dict) else "") or "failed"
        logger.info("slack oauth.v2.access refused", extra={"error": reason, "account_id": binding.account_id})
        return _back(config, slack="error", error=reason)
    installation = _installation_from(answer, binding.admin_id)
    if installation.is_enterprise_install or not installation.team_id:
        # An org-wide (Enterprise Grid) install: not supported. Its token is given back at once.
        _revoke_quietly(client, installation.bot_token)
        return _back(config, slack="error", error="enterprise_install_not_supported")
    store = store_for(binding.account_id, binding.admin_id)
    try:
        store.save(installation)
    except WorkspaceTaken:
        logger.info("slack workspace held by another account", extra={"account_id": binding.account_id,
                                                                      "team_id": installation.team_id})
        return _back(config, slack="error", error="workspace_connected_elsewhere", team_id=installation.team_id)
    logger.info("slack workspace connected", extra={"account_id": binding.account_id,
                                                    "team_id": installation.team_id})
    if connected is not None:
        try:
            connected(binding.account_id, installation.team_id)
        except Exception:  # the directory fills on its next refresh; the install stands
            logger.warning("directory refresh not queued", extra={"team_id": installation.team_id})
    return _back(config, slack="connected", team_id=installation.team_id, team_name=installation.team_name)


def _revoke_quietly(client: Callable[[], WebClient], token: str | None) -> None:
    if not token:
        return
    try:
        client().auth_revoke(token=token)
    except Exception:
        logger.warning("could not revoke a refused installation's token")


def disconnect(caller: Caller, team_id: str, store: AccountInstallationStore, client: Callable[[], WebClient]) -> None:
    """DELETE /v1/slack/installations/{team_id}: auth.revoke (best effort: Slack may have revoked it
    already), then the installation and its routing item are deleted. Another account's workspace
    is not found."""
    from sideconv.errors import NotFound

    require_admin(caller)
    item = store.item(team_id)
    if item is None:
        raise NotFound("no such Slack workspace in this account")
    if item.state == "active":
        installation = store.to_installation(item)
        _revoke_quietly(client, installation.bot_token)
    store.delete_installation(enterprise_id=item.enterprise_id, team_id=team_id)
    logger.info("slack workspace disconnected", extra={"account_id": caller.account_id, "team_id": team_id})


def listing(caller: Caller, store: AccountInstallationStore) -> dict[str, Any]:
    require_admin(caller)
    return {"items": [{"team_id": i.team_id, "team_name": i.team_name, "enterprise_id": i.enterprise_id,
                       "state": i.state, "installed_by": i.installed_by, "installed_at": i.installed_at}
                      for i in store.items()]}
