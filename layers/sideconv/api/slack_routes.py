"""Slack routes of the v1 API: the account's workspaces (admins), the OAuth callback, the directory.

Loaded with the API, but slack-sdk's OAuth pieces, the installation store and the KMS client load on
the first of these routes (most of the API's calls never need them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from sideconv.api import wiring_of
from sideconv.api.schemas import Model
from sideconv.auth import Caller, caller_from_claims
from sideconv.wiring import Wiring, built

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from sideconv.slack.installations import AccountInstallationStore, TableStateStore
    from sideconv.slack.oauth import OAuthConfig

router = Router()

TeamId = Annotated[str, Path(min_length=3, max_length=32, pattern=r"^[TE][A-Z0-9]{2,30}$")]
TeamIdQuery = Annotated[str | None, Query(min_length=3, max_length=32, pattern=r"^[TE][A-Z0-9]{2,30}$")]


class InstallStarted(Model):
    authorize_url: str
    state_expires_at: str


class Workspace(Model):
    team_id: str
    team_name: str | None = None
    enterprise_id: str | None = None
    state: Literal["active", "revoked"]
    installed_by: str
    installed_at: str


class WorkspaceList(Model):
    items: list[Workspace]


class WorkspaceChoice(Model):
    team_id: str
    team_name: str | None = None
    state: Literal["active", "revoked"]


class WorkspaceChoices(Model):
    items: list[WorkspaceChoice]


class DirectoryEntry(Model):
    id: str
    kind: Literal["user", "channel"]
    name: str
    real_name: str | None = None
    avatar_url: str | None = None
    is_private: bool | None = None
    is_member: bool | None = None
    is_shared_externally: bool | None = None


class DirectoryPage(Model):
    items: list[DirectoryEntry]
    next_token: str | None = None


def _caller() -> Caller:
    event = cast(APIGatewayProxyEventV2, router.current_event)
    return caller_from_claims(event.request_context.authorizer.jwt_claim)


def installation_store(wiring: Wiring, account_id: str, installed_by: str | None = None) -> AccountInstallationStore:
    from sideconv.slack.installations import AccountInstallationStore
    from sideconv.slack.workspaces import cipher
    from sideconv.store import models

    return AccountInstallationStore(account_id, cipher(wiring), models.connection(wiring), installed_by=installed_by)


def store_for(account_id: str, installed_by: str | None = None) -> AccountInstallationStore:
    return installation_store(wiring_of(router), account_id, installed_by)


@built
def _table_states(wiring: Wiring) -> TableStateStore:
    from sideconv.slack.installations import TableStateStore
    from sideconv.store import models

    return TableStateStore(models.connection(wiring))


def _states() -> TableStateStore:
    return _table_states(wiring_of(router))


@built
def _oauth_app_client(wiring: Wiring) -> WebClient:
    from sideconv.slack.client import TIMEOUT_SECONDS, app_client

    return app_client(wiring.settings, None, TIMEOUT_SECONDS)


def _oauth_client() -> WebClient:
    return _oauth_app_client(wiring_of(router))


def _config() -> OAuthConfig:
    from sideconv.slack.installation import get_installation
    from sideconv.slack.oauth import OAuthConfig

    wiring = wiring_of(router)
    settings, app = wiring.settings, get_installation(wiring)
    return OAuthConfig(client_id=app.client_id, client_secret=app.client_secret,
                       redirect_uri=settings.slack_redirect_uri, authorize_url=settings.slack_authorize_url,
                       connections_url=settings.slack_connections_url)


def _json(status: int, body: dict[str, Any]) -> Response[Any]:
    return Response(status_code=status, content_type="application/json", body=body)


@router.post("/v1/slack/installations", summary="Start adding a Slack workspace to the account (admins)",
             responses={201: {"description": "Send the admin to `authorize_url`; its state expires in 10 minutes",
                              "content": {"application/json": {"model": InstallStarted}}}})
def start_install() -> Response[InstallStarted]:
    from sideconv.slack import oauth

    return _json(201, oauth.start(_caller(), _config(), _states()))


@router.get("/v1/slack/oauth/callback", summary="Where Slack sends the admin back (no token: the state is the proof)",
            responses={302: {"description": "To the panel's Connections view, with the result in the query"},
                       400: {"description": "The state is forged, expired or already used; nothing was installed",
                             "content": {"application/problem+json": {
                                 "schema": {"$ref": "#/components/schemas/Problem"}}}}})
def oauth_callback(code: Annotated[str | None, Query(max_length=512)] = None,
                   state: Annotated[str | None, Query(max_length=512)] = None,
                   error: Annotated[str | None, Query(max_length=200)] = None) -> Response[Any]:
    from sideconv.slack import oauth

    location = oauth.callback(code, state, error, _config(), _states(), store_for, _oauth_client,
                              connected=_queue_directory_refresh)
    return Response(status_code=302, headers={"Location": location, "Cache-Control": "no-store"},
                    content_type="text/plain", body="")


@router.get("/v1/slack/installations", summary="The account's Slack workspaces (admins)",
            responses={200: {"description": "Every connected workspace, with its state",
                             "content": {"application/json": {"model": WorkspaceList}}}})
def list_installations() -> Response[WorkspaceList]:
    from sideconv.slack import oauth

    caller = _caller()
    return _json(200, oauth.listing(caller, store_for(caller.account_id)))


@router.get("/v1/slack/workspaces", summary="The account's Slack workspaces to post in (agents)",
            responses={200: {"description": "Each connected workspace's id, name and state (one Query)",
                             "content": {"application/json": {"model": WorkspaceChoices}}}})
def list_workspaces() -> Response[WorkspaceChoices]:
    caller = _caller()
    items = store_for(caller.account_id).items()
    return _json(200, {"items": [{"team_id": i.team_id, "team_name": i.team_name, "state": i.state} for i in items]})


@router.delete("/v1/slack/installations/<team_id>", summary="Disconnect a Slack workspace (admins)",
               responses={204: {"description": "Revoked in Slack and deleted"}})
def delete_installation(team_id: TeamId) -> Response[Any]:
    from sideconv.slack import oauth

    caller = _caller()
    oauth.disconnect(caller, team_id, store_for(caller.account_id), _oauth_client)
    return Response(status_code=204, content_type="application/json", body="")


@router.get("/v1/slack/directory", summary="People or channels of a connected workspace, by name prefix",
            responses={200: {"description": "A page, by name", "content": {"application/json": {
                "model": DirectoryPage}}}, 400: {"description": "next_token is not valid for this lookup"}})
def directory(kind: Annotated[Literal["user", "channel"], Query()],
              team_id: TeamIdQuery = None,
              q: Annotated[str, Query(max_length=80)] = "",
              limit: Annotated[int, Query(ge=1, le=50)] = 20,
              next_token: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
              ) -> Response[DirectoryPage]:
    from sideconv.slack import directory as slack_directory

    caller, wiring = _caller(), wiring_of(router)
    return _json(200, slack_directory.lookup(caller, slack_directory.table_directory(wiring), team_id, kind, q, limit,
                                             next_token, wiring.settings.token_secret,
                                             workspaces=_active_teams, refresh=_queue_directory_refresh))


def _active_teams(account_id: str) -> list[str]:
    return [item.team_id for item in store_for(account_id).items() if item.state == "active"]


def _queue_directory_refresh(account_id: str, team_id: str) -> None:
    from sideconv.slack.directory import queue_refresh

    queue_refresh(wiring_of(router), account_id, team_id)
