"""The API's Slack models: the create request, and the summary's `slack` fields (docs/openapi.json)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from sideconv.requests import Body, ExternalIds, Model, Subject, _FollowUpFields, _Outgoing, _Strict

SlackUserId = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,20}$")]
SlackChannelId = Annotated[str, StringConstraints(pattern=r"^[CGD][A-Z0-9]{2,20}$")]
SlackTeamId = Annotated[str, StringConstraints(pattern=r"^[TE][A-Z0-9]{2,30}$")]


class SlackTarget(_Strict):
    target: Literal["user", "group", "channel"]
    user_ids: Annotated[list[SlackUserId], Field(min_length=1, max_length=8)] | None = None
    channel_id: SlackChannelId | None = None
    # The account's workspace to post in; optional when it has one (issue 14).
    team_id: SlackTeamId | None = None


class CreateSlackSideConversation(_FollowUpFields, _Outgoing):
    channel: Literal["slack"]
    subject: Subject | None = None
    body: Body
    slack: SlackTarget
    external_ids: ExternalIds | None = None


class SlackInfo(Model):
    target: Literal["user", "group", "channel"]
    user_ids: list[str] | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    permalink: str | None = None
    team_id: str | None = None
    team_name: str | None = None
    shared_externally: bool | None = Field(None, description="The channel is shared with another organisation "
                                                             "(Slack Connect)")
