"""The API's e-mail models: the create request, and the summary's `email` fields (docs/openapi.json)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from sideconv.requests import (
    Body,
    DisplayName,
    EmailAddressText,
    ExternalIds,
    Model,
    Subject,
    _FollowUpFields,
    _Outgoing,
    _Strict,
)


class EmailAddress(_Strict):
    email: EmailAddressText
    name: DisplayName | None = None


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


class EmailFrom(Model):
    email: str
    name: str
    shared: bool = Field(description="The service's shared address: the account has no verified domain")


class EmailInfo(Model):
    model_config = ConfigDict(populate_by_name=True)
    reply_to: str | None = None
    from_: EmailFrom | None = Field(None, alias="from", description="The address the thread's mail comes from")
