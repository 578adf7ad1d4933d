"""Slack as a channel (sideconv.channels): a DM, a group DM or a channel post, replies from its thread.

The declaration imports nothing heavy (no Slack Web client, no PynamoDB): every function's
configuration reads it. What a create or a view needs loads inside the method that uses it.
"""

from __future__ import annotations

from typing import Any

from sideconv.channels import Labels, Outbox

# Slack refuses a post of more than 40,000 characters (msg_too_long); the root's subject, footer and link
# take the rest of this allowance.
SLACK_TEXT_LIMIT = 40_000
SLACK_ROOT_ALLOWANCE = 2_000


class SlackChannel:
    name = "slack"
    id_prefix = "slack"
    participant_kinds = ("slack", "slack_channel")
    author_kinds = ("slack",)
    summary_field = "slack"
    # Every receive counts towards the dead-letter queue, including the ones that only wait out a
    # Slack rate limit (the sender allows 20 of those before it gives up with a reason), so the queue
    # must keep a message longer than the sender does: it always ends `sent` or `failed`. One message a
    # batch: messages received behind a held one would each spend a receive for nothing (and the
    # sender's pacing gap never holds the local stack's lock for long).
    outbox = Outbox(function="send_slack", description="Posts outbound side-conversation messages to Slack",
                    batch_size=1, max_receives=25)
    local = "local.slack"
    infra = "infra.components.slack:sender_wiring"
    labels = Labels(label="Slack", icon="#", new_label="New Slack")

    def request_model(self) -> type[Any]:
        from sideconv.slack.api_models import CreateSlackSideConversation

        return CreateSlackSideConversation

    def summary_model(self) -> type[Any]:
        from sideconv.slack.api_models import SlackInfo

        return SlackInfo

    def message_fields(self, author: type[Any]) -> dict[str, Any]:
        # Edited or deleted by its author in Slack after it arrived; `bot` when an app wrote it;
        # `external`: written by a member of another organisation (Slack Connect).
        return {name: (bool | None, None) for name in ("edited", "deleted", "bot", "external")}

    def start(self, ctx: Any, request: Any, summary: Any) -> list[Any]:
        from sideconv.slack.create import start

        return start(ctx, request, summary)

    def view_summary(self, item: Any, out: dict[str, Any]) -> None:
        if item.slack is None:
            return
        out["slack"] = {
            "target": item.slack.target,
            "user_ids": list(item.slack.user_ids) if item.slack.user_ids else None,
            "channel_id": item.slack.channel_id,
            "thread_ts": item.slack.thread_ts,
            "permalink": item.slack.permalink,
            "team_id": item.slack.team_id,
            "team_name": item.slack.team_name,
            "shared_externally": bool(item.slack.shared_externally),
        }

    def check_quoted(self, body: str, quoted: list[Any]) -> None:
        """A quote that would make the post longer than Slack takes is refused now (422), not `failed` later."""
        from sideconv.errors import InvalidRequest
        from sideconv.slack import formatting

        if len(formatting.reply_text(body, quoted)) > SLACK_TEXT_LIMIT - SLACK_ROOT_ALLOWANCE:
            raise InvalidRequest(f"the text and its quote, as Slack shows them, hold more than "
                                 f"{SLACK_TEXT_LIMIT - SLACK_ROOT_ALLOWANCE} characters: quote less", field="context")

    def check_attachments(self, total_bytes: int) -> None:
        pass  # each file is checked as it is shared; Slack sets no total

    def view_message(self, item: Any, out: dict[str, Any]) -> None:
        out["edited"] = bool(item.edited)
        out["deleted"] = bool(item.deleted)
        out["bot"] = bool(item.from_bot)
        out["external"] = bool(item.external)


CHANNEL = SlackChannel()
