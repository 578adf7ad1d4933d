"""Starting a Slack side conversation: the target's checks, who it reaches, the workspace it goes to."""

from __future__ import annotations

from typing import Any

from sideconv.errors import InvalidRequest
from sideconv.slack.api_models import CreateSlackSideConversation
from sideconv.store.models import PersonMap, SideConversationItem, SlackInfoMap

GROUP_DM_SIZE = (2, 8)


def validate(request: CreateSlackSideConversation) -> None:
    target = request.slack
    if target.target == "channel":
        if target.channel_id is None:
            raise InvalidRequest("channel_id is required for a channel target", field="slack.channel_id")
        if target.user_ids is not None:
            raise InvalidRequest("user_ids is not accepted for a channel target", field="slack.user_ids")
        return
    if target.channel_id is not None:
        raise InvalidRequest("channel_id is only accepted for a channel target", field="slack.channel_id")
    users = target.user_ids or []
    if target.target == "user" and len(users) != 1:
        raise InvalidRequest("a user target takes exactly one user id", field="slack.user_ids")
    low, high = GROUP_DM_SIZE
    if target.target == "group" and not low <= len(set(users)) <= high:
        raise InvalidRequest(f"a group target takes {low} to {high} distinct user ids", field="slack.user_ids")


def start(ctx: Any, request: CreateSlackSideConversation, summary: SideConversationItem) -> list[Any]:
    """The summary's target and `slack` fields (the workspace chosen now); no lookup yet: the thread's
    is written when the root is posted."""
    validate(request)
    target = request.slack
    summary.cc_customer = False
    if target.target == "channel":
        summary.participants = [PersonMap(kind="slack_channel", role="to", id=target.channel_id)]
    else:
        summary.participants = [PersonMap(kind="slack", role="to", id=u) for u in target.user_ids or []]
    if ctx.slack_workspace is None:
        raise InvalidRequest("no Slack workspace is connected to this account", field="slack.team_id")
    chosen = ctx.slack_workspace(ctx.caller.account_id, target.team_id, target.channel_id)
    summary.slack = SlackInfoMap(target=target.target, user_ids=target.user_ids,
                                 channel_id=target.channel_id, team_id=chosen.team_id,
                                 team_name=chosen.team_name, shared_externally=chosen.shared_externally,
                                 source=chosen.source)
    return []
