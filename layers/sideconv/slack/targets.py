"""Which workspace a new Slack side conversation goes to, checked before anything is written.

The account's own workspaces (one Query of `A#<account>#SLACK`) decide: the one named by `slack.team_id`,
or the only one. A channel target is checked in the directory (one GetItem): a private channel the app
is not in is a 409 (invite the app), and a channel shared with another organisation is flagged. Only an
account with no workspace of its own may use the environment's installation, and only in the
self-hosting mode (`SLACK_SINGLE_WORKSPACE`); otherwise it is a 422 naming `slack.team_id`.
Imports no slack-sdk: a create never talks to Slack.
"""

from __future__ import annotations

from dataclasses import dataclass

from sideconv.errors import InvalidRequest
from sideconv.wiring import Wiring

FIELD = "slack.team_id"


@dataclass(frozen=True)
class Chosen:
    team_id: str | None
    team_name: str | None
    shared_externally: bool | None
    source: str  # account | environment


def choose(wiring: Wiring, account_id: str, team_id: str | None, channel_id: str | None, *,
           single_workspace: bool, environment_team_id: str | None) -> Chosen:
    from sideconv.store.records import slack_installations

    installed = slack_installations(account_id)
    if not installed:
        if single_workspace and environment_team_id:
            if team_id is not None and team_id != environment_team_id:
                raise InvalidRequest(f"{team_id} is not a Slack workspace of this account", field=FIELD)
            return Chosen(environment_team_id, None, None, "environment")
        raise InvalidRequest("no Slack workspace is connected to this account: an admin adds one "
                             "(Connections, Add to Slack)", field=FIELD)
    if team_id is None:
        active = [item for item in installed if item.state == "active"]
        if len(installed) > 1:
            raise InvalidRequest("the account has several Slack workspaces: name one", field=FIELD)
        chosen = installed[0]
    else:
        matching = [item for item in installed if item.team_id == team_id]
        if not matching:
            raise InvalidRequest(f"{team_id} is not a Slack workspace of this account", field=FIELD)
        chosen = matching[0]
        active = [chosen] if chosen.state == "active" else []
    if chosen not in active:
        raise InvalidRequest(f"the Slack workspace {chosen.team_id} is disconnected (workspace_disconnected): an "
                             "admin connects it again", field=FIELD)
    shared = None
    if channel_id is not None:
        from sideconv.slack import directory

        channel = directory.postable_channel(wiring, account_id, chosen.team_id, channel_id)
        shared = bool(channel.is_shared_externally) if channel is not None else None
    return Chosen(chosen.team_id, chosen.team_name, shared, "account")
