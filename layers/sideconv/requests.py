"""What a caller asks of the service, as the use cases take it: the request models, their fields and
their checks (a channel's create request is its own, in its package, built from these). The API's schemas
(`sideconv.api.schemas`) use these as they are, so the OpenAPI document is generated from them; the use
cases take them without knowing the HTTP layer."""

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
Duration = Annotated[str, StringConstraints(max_length=32), AfterValidator(_duration),
                     WithJsonSchema({"type": "string", "maxLength": 32, "examples": ["PT24H", "P1D", "PT4H"],
                                     "description": "ISO 8601 duration (weeks, days, hours, minutes, seconds)"})]
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


class CreateMessage(_Outgoing):
    body: Body


class MarkRead(_Strict):
    message_id: Annotated[str, StringConstraints(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")] = Field(
        description="The newest message the agent has seen")


class UpdateSideConversation(_FollowUpFields):
    state: Literal["open", "closed"] | None = None
    subject: Subject | None = None
