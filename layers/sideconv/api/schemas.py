"""Request and response models of the HTTP API. The OpenAPI document is generated from these."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field, create_model

from sideconv import channels

# The request models and their fields live in `sideconv.requests` (the use cases take them; a channel's
# create request is built from them); imported here, they are the API's as before (the OpenAPI document
# and the routes' imports are unchanged).
from sideconv.requests import (  # noqa: F401 - re-exported for the routes and the channel packages
    Body,
    ContextAuthor,
    ContextMessage,
    CreateMessage,
    DisplayName,
    Duration,
    EmailAddressText,
    ExternalIds,
    FollowUpRequest,
    MarkRead,
    Model,
    SingleLine,
    Subject,
    UpdateSideConversation,
    UploadId,
    _FollowUpFields,
    _Outgoing,
    _Strict,
)

# Responses


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


class FollowUp(Model):
    due_at: str
    state: Literal["scheduled", "due", "cancelled"] = Field(description=(
        "`scheduled` while the other party has the ball; `due` once the time passed without their reply; "
        "`cancelled` after their reply or a close (the agent's reply and reopening arm it again)"))
    nudges_sent: int = Field(description="Nudges sent since the other party last wrote")
    nudge: bool


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


# What varies by channel (sideconv.channels): the create request's union, the `channel` and people's
# `kind` values, the summary's and the messages' channel fields. Built from the registry when first
# imported, and again after it changes.


# The fields every channel's Message and SideConversation have, in the document's order; `None` marks
# where a field the registry decides goes (set by _build). Field definitions, not base models: each
# model class costs the API's cold start its construction.
_MESSAGE_FIELDS: dict[str, Any] = {
    "id": (str, ...),
    "side_conversation_id": (str, ...),
    "direction": (Literal["outbound", "inbound"], ...),
    "author": None,  # the registry's Author
    "body": (str, ...),
    "attachments": (list[Attachment], ...),
    "created_at": (str, ...),
    "delivery": (Delivery | None, None),
    # Outbound: the quoted context as it was sent (masked), and what was masked in it.
    "context": (list[QuotedMessage] | None, None),
    "redactions": (list[Redaction] | None, None),
    # Sent by the follow-up under the agent's name, not typed by them.
    "nudge": (bool | None, None),
}

_SIDE_CONVERSATION_FIELDS: dict[str, Any] = {
    "id": (str, ...),
    "conversation_id": (str, ...),
    "channel": None,  # the registry's names
    "subject": (str | None, None),
    "state": (Literal["open", "closed"], ...),
    "participants": None,  # list[Person]
    "preview_text": (str | None, None),
    "message_count": (int, ...),
    "created_by": None,  # Author
    "created_at": (str, ...),
    "updated_at": (str, ...),
    "last_message_at": (str | None, None),
    "cc_customer": (bool, ...),
    "external_ids": (dict[str, str], ...),
    "inbound_count": (int, Field(0, description="Messages received from outside (email or Slack replies)")),
    "unread_count": (int, Field(0, description="Received messages the calling agent has not read")),
    "waiting_on": (Literal["agent", "external"] | None, Field(
        None, description="Who the ball is with: `agent` after a reply came in, `external` after a message "
                          "went out; null when closed")),
    "waiting_since": (str | None, None),
    "follow_up": (FollowUp | None, None),
}


def _fields(common: dict[str, Any], **chosen: Any) -> dict[str, Any]:
    return {name: chosen[name] if spec is None else spec for name, spec in common.items()}


_BY_CHANNEL = ("ChannelName", "CreateSideConversation", "Person", "Author", "Message", "SideConversation",
               "SideConversationWithMessages", "SideConversationList")


def _build() -> dict[str, Any]:
    installed = channels.all_channels()
    channel_name: Any = Literal[tuple(c.name for c in installed)]
    requests = tuple(c.request_model() for c in installed)
    create: Any = Annotated[Union[requests], Field(discriminator="channel")] if len(requests) > 1 \
        else requests[0]  # noqa: UP007 - a union of a run-time tuple
    participant_kinds: Any = Literal[("agent", *(k for c in installed for k in c.participant_kinds))]
    author_kinds: Any = Literal[("agent", *(k for c in installed for k in c.author_kinds))]
    person = create_model("Person", __base__=Model, kind=(participant_kinds, ...), role=(str | None, None),
                          id=(str | None, None), name=(str | None, None), email=(str | None, None))
    author = create_model("Author", __base__=Model, kind=(author_kinds, ...), id=(str | None, None),
                          name=(str | None, None), email=(str | None, None))
    message_fields: dict[str, Any] = {name: spec for c in installed for name, spec in c.message_fields(author).items()}
    message = create_model("Message", __base__=Model, **_fields(_MESSAGE_FIELDS, author=(author, ...)),
                           **message_fields)
    summary_fields: dict[str, Any] = {c.summary_field: (c.summary_model() | None, None)  # type: ignore[operator]
                                      for c in installed if c.summary_field}
    side_conversation = create_model("SideConversation", __base__=Model, **_fields(
        _SIDE_CONVERSATION_FIELDS, channel=(channel_name, ...),
        participants=(list[person], ...),  # type: ignore[valid-type]
        created_by=(author, ...)), **summary_fields)
    with_messages = create_model("SideConversationWithMessages", __base__=side_conversation,
                                 messages=(list[message], ...),  # type: ignore[valid-type]
                                 next_token=(str | None, None))
    listing = create_model("SideConversationList", __base__=Model,
                           items=(list[side_conversation], ...),  # type: ignore[valid-type]
                           next_token=(str | None, None))
    return {"ChannelName": channel_name, "CreateSideConversation": create, "Person": person, "Author": author,
            "Message": message, "SideConversation": side_conversation,
            "SideConversationWithMessages": with_messages, "SideConversationList": listing}


def __getattr__(name: str) -> Any:
    if name in _BY_CHANNEL:
        built = _build()
        globals().update(built)
        return built[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _forget_channel_models() -> None:
    for name in _BY_CHANNEL:
        globals().pop(name, None)


channels.on_change(_forget_channel_models)
