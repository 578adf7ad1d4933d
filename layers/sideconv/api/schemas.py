"""Request and response models of the HTTP API. The OpenAPI document is generated from these."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

# The request models live in `sideconv.requests` (the use cases take them); imported here, they are
# the API's as before (the OpenAPI document and the routes' imports are unchanged).
from sideconv.requests import (  # noqa: F401 - re-exported for the routes
    ContextAuthor,
    CreateEmailSideConversation,
    CreateMessage,
    CreateSlackSideConversation,
    DisplayName,
    Duration,
    MarkRead,
    Model,
    UpdateSideConversation,
    _Strict,
)

CreateSideConversation = Annotated[
    CreateEmailSideConversation | CreateSlackSideConversation, Field(discriminator="channel")
]


# Responses


class Person(Model):
    kind: Literal["agent", "email", "slack", "slack_channel"]
    role: str | None = None
    id: str | None = None
    name: str | None = None
    email: str | None = None


class Author(Model):
    kind: Literal["agent", "email", "slack"]
    id: str | None = None
    name: str | None = None
    email: str | None = None


class Attachment(Model):
    id: str
    name: str
    content_type: str
    size: int


class QuotedMessage(Model):
    author: ContextAuthor
    sent_at: str
    body: str = Field(description="As sent: masked")


class Redaction(Model):
    kind: Literal["email", "phone", "card", "iban"]
    count: int


class Delivery(Model):
    status: Literal["pending", "sent", "failed", "bounced"]
    detail: str | None = None
    updated_at: str


class Message(Model):
    id: str
    side_conversation_id: str
    direction: Literal["outbound", "inbound"]
    author: Author
    body: str
    attachments: list[Attachment]
    created_at: str
    delivery: Delivery | None = None
    # Slack: edited or deleted by its author in Slack after it arrived; `bot` when an app wrote it.
    edited: bool | None = None
    deleted: bool | None = None
    bot: bool | None = None
    # Slack Connect: written by a member of another organisation.
    external: bool | None = None
    # E-mail: an auto-reply (kept, never a person's answer); quoted history was stripped from `body`
    # (GET .../messages/{id}/original has the full text); who the sender copied (shown, never mailed);
    # a recipient's complaint.
    auto_reply: bool | None = None
    has_quoted_text: bool | None = None
    cc: list[Author] | None = None
    complaint: str | None = None
    # Outbound: the quoted context as it was sent (masked), and what was masked in it.
    context: list[QuotedMessage] | None = None
    redactions: list[Redaction] | None = None
    # Sent by the follow-up under the agent's name, not typed by them.
    nudge: bool | None = None


class EmailFrom(Model):
    email: str
    name: str
    shared: bool = Field(description="The service's shared address: the account has no verified domain")


class EmailInfo(Model):
    model_config = ConfigDict(populate_by_name=True)
    reply_to: str | None = None
    from_: EmailFrom | None = Field(None, alias="from", description="The address the thread's mail comes from")


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


class FollowUp(Model):
    due_at: str
    state: Literal["scheduled", "due", "cancelled"] = Field(description=(
        "`scheduled` while the other party has the ball; `due` once the time passed without their reply; "
        "`cancelled` after their reply or a close (the agent's reply and reopening arm it again)"))
    nudges_sent: int = Field(description="Nudges sent since the other party last wrote")
    nudge: bool


class SideConversation(Model):
    id: str
    conversation_id: str
    channel: Literal["email", "slack"]
    subject: str | None = None
    state: Literal["open", "closed"]
    participants: list[Person]
    preview_text: str | None = None
    message_count: int
    created_by: Author
    created_at: str
    updated_at: str
    last_message_at: str | None = None
    cc_customer: bool
    external_ids: dict[str, str]
    inbound_count: int = Field(0, description="Messages received from outside (email or Slack replies)")
    unread_count: int = Field(0, description="Received messages the calling agent has not read")
    waiting_on: Literal["agent", "external"] | None = Field(
        None, description="Who the ball is with: `agent` after a reply came in, `external` after a message "
                          "went out; null when closed")
    waiting_since: str | None = None
    email: EmailInfo | None = None
    slack: SlackInfo | None = None
    follow_up: FollowUp | None = None


class SideConversationWithMessages(SideConversation):
    messages: list[Message]
    next_token: str | None = None


class SideConversationList(Model):
    items: list[SideConversation]
    next_token: str | None = None


class FollowUpSettings(_Strict):
    default_after: Duration | None = Field(None, description=(
        "The follow-up of a side conversation created without one; null: none. A change reaches every "
        "create within a minute"))
    max_nudges: Annotated[int, Field(ge=0, le=10)] = Field(3, description="Nudges at most, per silence")
    auto_close_after: Duration | None = Field(None, description=(
        "Close a side conversation after this long without a message; null (the default): never. Applies "
        "to side conversations created after it is set (within a minute)"))


class ProblemFieldError(Model):
    # Problem and this describe errors in the OpenAPI document; nothing validates with them at run time.
    field: str = Field(description="The offending field, e.g. 'to.0.email', 'limit', 'idempotency-key'")
    in_: Literal["body", "query", "path", "header"] = Field(alias="in")
    pointer: str | None = Field(None, description="For body fields: a JSON pointer, e.g. '#/to/0/email'")
    detail: str


class Problem(Model):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[ProblemFieldError] | None = None
