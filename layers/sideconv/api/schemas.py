"""Request and response models of the HTTP API. The OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)


def _single_line(value: str) -> str:
    # A CR or LF in a display name or subject would let a caller write their own mail headers.
    if "\r" in value or "\n" in value:
        raise ValueError("must be a single line: CR and LF are not allowed")
    return value


def _email_address(value: str) -> str:
    # email-validator builds large tables at import: load it on the first address, not on every
    # cold start of the API (pydantic's EmailStr imports it with the model).
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"value is not a valid email address: {exc}") from None


def _duration(value: str) -> str:
    from sideconv.follow_ups import parse_duration

    parse_duration(value)
    return value


SingleLine = Annotated[str, AfterValidator(_single_line)]
EmailAddressText = Annotated[str, StringConstraints(max_length=320), AfterValidator(_email_address),
                             WithJsonSchema({"type": "string", "format": "email", "maxLength": 320})]
DisplayName = Annotated[SingleLine, StringConstraints(max_length=200)]
Subject = Annotated[SingleLine, StringConstraints(min_length=1, max_length=250)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=50_000)]
SlackUserId = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,20}$")]
SlackChannelId = Annotated[str, StringConstraints(pattern=r"^[CGD][A-Z0-9]{2,20}$")]
Duration = Annotated[str, StringConstraints(max_length=32), AfterValidator(_duration),
                     WithJsonSchema({"type": "string", "maxLength": 32, "examples": ["PT24H", "P1D", "PT4H"],
                                     "description": "ISO 8601 duration (weeks, days, hours, minutes, seconds)"})]
SlackTeamId = Annotated[str, StringConstraints(pattern=r"^[TE][A-Z0-9]{2,30}$")]
ExternalIds = Annotated[
    dict[
        Annotated[str, StringConstraints(min_length=1, max_length=64)],
        Annotated[str, StringConstraints(max_length=256)],
    ],
    Field(max_length=20),
]


class Model(BaseModel):
    """Every model of the API. Each is built (its validator and serializer) when a request first needs it,
    so a cold start builds only its own route's models: about 8 ms less import for the API, about 5 ms
    more on a first create, none more on a first list (docs/ARCHITECTURE.md, "Cold start")."""

    model_config = ConfigDict(defer_build=True)


class _Strict(Model):
    # Unknown fields are rejected, not ignored: a Slack field on an e-mail request is a mistake.
    model_config = ConfigDict(extra="forbid")


class ContextAuthor(_Strict):
    name: Annotated[DisplayName, StringConstraints(min_length=1)]
    role: Literal["customer", "agent"]


class ContextMessage(_Strict):
    """A message of the customer conversation, quoted below the agent's text (sideconv.context)."""

    author: ContextAuthor
    sent_at: datetime
    body: Annotated[str, StringConstraints(min_length=1, max_length=50_000)]


UploadId = Annotated[str, StringConstraints(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]


class _Outgoing(_Strict):
    """What a new outbound message may carry besides its text: quoted context, what to mask in it, files."""

    context: Annotated[list[ContextMessage], Field(max_length=20)] = []
    redact: Annotated[list[Literal["email", "phone", "card", "iban"]], Field(max_length=4)] = Field(
        [], description="Masked in the context before it leaves; card numbers are masked always")
    attachments: Annotated[list[UploadId], Field(max_length=10)] = Field(
        [], description="Upload ids from POST .../uploads, each completed")


class EmailAddress(_Strict):
    email: EmailAddressText
    name: DisplayName | None = None


class SlackTarget(_Strict):
    target: Literal["user", "group", "channel"]
    user_ids: Annotated[list[SlackUserId], Field(min_length=1, max_length=8)] | None = None
    channel_id: SlackChannelId | None = None
    # The account's workspace to post in; optional when it has one (issue 14).
    team_id: SlackTeamId | None = None


class FollowUpRequest(_Strict):
    """Exactly one of `after` (from the last message out) or `at` (a time)."""

    after: Duration | None = None
    at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one(self) -> FollowUpRequest:
        if (self.after is None) == (self.at is None):
            raise ValueError("give exactly one of after (an ISO 8601 duration) or at (a time)")
        return self


class _FollowUpFields(_Strict):
    # Absent on create: the account's default (GET /v1/settings/follow-ups); null: none.
    follow_up: FollowUpRequest | None = Field(None, description=(
        "A reminder while the other party has the ball: `{after: \"PT24H\"}`, `{at: \"<time>\"}` or null "
        "(none). Left out on create, the account's `default_after` applies"))
    nudge: bool | None = Field(None, description="When it falls due, send a short nudge by the channel "
                                                 "under the agent's name (at most the account's max_nudges)")


class CreateEmailSideConversation(_FollowUpFields, _Outgoing):
    channel: Literal["email"]
    subject: Subject
    body: Body
    to: Annotated[list[EmailAddress], Field(min_length=1, max_length=50)]
    cc: Annotated[list[EmailAddress], Field(max_length=50)] = []
    cc_customer: bool = False
    customer: EmailAddress | None = None
    external_ids: ExternalIds | None = None
    # A sender address of the account on a verified domain; the default sender (or the shared address)
    # when absent (GET /v1/email/settings tells which).
    from_: EmailAddressText | None = Field(None, alias="from")


class CreateSlackSideConversation(_FollowUpFields, _Outgoing):
    channel: Literal["slack"]
    subject: Subject | None = None
    body: Body
    slack: SlackTarget
    external_ids: ExternalIds | None = None


CreateSideConversation = Annotated[
    CreateEmailSideConversation | CreateSlackSideConversation, Field(discriminator="channel")
]


class CreateMessage(_Outgoing):
    body: Body


class MarkRead(_Strict):
    message_id: Annotated[str, StringConstraints(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")] = Field(
        description="The newest message the agent has seen")


class UpdateSideConversation(_FollowUpFields):
    state: Literal["open", "closed"] | None = None
    subject: Subject | None = None


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
