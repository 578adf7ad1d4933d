"""Request and response models of the HTTP API. The OpenAPI document is generated from these."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints


def _single_line(value: str) -> str:
    # A CR or LF in a display name or subject would let a caller write their own mail headers.
    if "\r" in value or "\n" in value:
        raise ValueError("must be a single line: CR and LF are not allowed")
    return value


SingleLine = Annotated[str, AfterValidator(_single_line)]
DisplayName = Annotated[SingleLine, StringConstraints(max_length=200)]
Subject = Annotated[SingleLine, StringConstraints(min_length=1, max_length=250)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=50_000)]
SlackUserId = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,20}$")]
SlackChannelId = Annotated[str, StringConstraints(pattern=r"^[CGD][A-Z0-9]{2,20}$")]
ExternalIds = Annotated[
    dict[
        Annotated[str, StringConstraints(min_length=1, max_length=64)],
        Annotated[str, StringConstraints(max_length=256)],
    ],
    Field(max_length=20),
]


class _Strict(BaseModel):
    # Unknown fields are rejected, not ignored: a Slack field on an e-mail request is a mistake.
    model_config = ConfigDict(extra="forbid")


class EmailAddress(_Strict):
    email: EmailStr
    name: DisplayName | None = None


class SlackTarget(_Strict):
    target: Literal["user", "group", "channel"]
    user_ids: Annotated[list[SlackUserId], Field(min_length=1, max_length=8)] | None = None
    channel_id: SlackChannelId | None = None


class CreateEmailSideConversation(_Strict):
    channel: Literal["email"]
    subject: Subject
    body: Body
    to: Annotated[list[EmailAddress], Field(min_length=1, max_length=50)]
    cc: Annotated[list[EmailAddress], Field(max_length=50)] = []
    cc_customer: bool = False
    customer: EmailAddress | None = None
    external_ids: ExternalIds | None = None


class CreateSlackSideConversation(_Strict):
    channel: Literal["slack"]
    subject: Subject | None = None
    body: Body
    slack: SlackTarget
    external_ids: ExternalIds | None = None


CreateSideConversation = Annotated[
    CreateEmailSideConversation | CreateSlackSideConversation, Field(discriminator="channel")
]


class CreateMessage(_Strict):
    body: Body


class UpdateSideConversation(_Strict):
    state: Literal["open", "closed"] | None = None
    subject: Subject | None = None


# Responses


class Person(BaseModel):
    kind: Literal["agent", "email", "slack", "slack_channel"]
    role: str | None = None
    id: str | None = None
    name: str | None = None
    email: str | None = None


class Author(BaseModel):
    kind: Literal["agent", "email", "slack"]
    id: str | None = None
    name: str | None = None
    email: str | None = None


class Attachment(BaseModel):
    id: str
    name: str
    content_type: str
    size: int


class Delivery(BaseModel):
    status: Literal["pending", "sent", "failed", "bounced"]
    detail: str | None = None
    updated_at: str


class Message(BaseModel):
    id: str
    side_conversation_id: str
    direction: Literal["outbound", "inbound"]
    author: Author
    body: str
    attachments: list[Attachment]
    created_at: str
    delivery: Delivery | None = None


class EmailInfo(BaseModel):
    reply_to: str | None = None


class SlackInfo(BaseModel):
    target: Literal["user", "group", "channel"]
    user_ids: list[str] | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    permalink: str | None = None


class SideConversation(BaseModel):
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
    email: EmailInfo | None = None
    slack: SlackInfo | None = None


class SideConversationWithMessages(SideConversation):
    messages: list[Message]
    next_token: str | None = None


class SideConversationList(BaseModel):
    items: list[SideConversation]
    next_token: str | None = None


class ProblemFieldError(BaseModel):
    pointer: str = Field(description="JSON pointer to the offending field, e.g. '#/to/0/email'")
    detail: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[ProblemFieldError] | None = None
