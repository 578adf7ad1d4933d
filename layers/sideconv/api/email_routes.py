"""E-mail routes of the v1 API: the quarantine (admins), a message's full text, attachment links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import ConfigDict, StringConstraints

from sideconv.api import wiring_of
from sideconv.api.results import respond
from sideconv.api.schemas import Message, Model
from sideconv.auth import Caller, caller_from_claims

if TYPE_CHECKING:
    from sideconv.email.store import EmailStore

router = Router()

QuarantineId = Annotated[str, Path(min_length=26, max_length=26, pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
ConversationId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
SideConversationId = Annotated[str, Path(min_length=1, max_length=64)]
ItemId = Annotated[str, Path(min_length=1, max_length=64)]


class QuarantinedMail(Model):
    id: str
    reason: Literal["forged_token", "unknown_token", "unmatched", "spam", "virus", "dmarc", "own_mail",
                    "spoofed_sender"]
    detail: str | None = None
    status: Literal["held", "attached", "discarded"]
    received_at: str
    sender: str | None = None
    subject: str | None = None
    recipients: list[str]
    conversation_id: str | None = None
    side_conversation_id: str | None = None
    resolved_by: str | None = None
    resolved_at: str | None = None
    message_id: str | None = None


class QuarantineList(Model):
    items: list[QuarantinedMail]
    next_token: str | None = None


class AttachQuarantined(Model):
    model_config = ConfigDict(extra="forbid")
    conversation_id: Annotated[str, StringConstraints(min_length=1, max_length=128,
                                                      pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
    side_conversation_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class OriginalText(Model):
    id: str
    body: str
    full_text: str
    has_quoted_text: bool


class AttachmentLink(Model):
    id: str
    name: str
    content_type: str
    size: int
    url: str
    expires_in: int


def _store() -> EmailStore:
    # Loaded on the first of these routes: most of the API's calls never need the e-mail store.
    from sideconv.email.store import configured_store

    return configured_store(wiring_of(router))


def _caller() -> Caller:
    event = cast(APIGatewayProxyEventV2, router.current_event)
    return caller_from_claims(event.request_context.authorizer.jwt_claim)


def _storage() -> Any:
    from sideconv.email.inbound import Storage

    return Storage.of(wiring_of(router))


_ALREADY_RESOLVED: Any = {"description": "The mail was already attached or discarded",
                     "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


@router.get("/v1/quarantine", summary="Mail held back for the caller's account (admins)", responses={
    200: {"description": "Newest first", "content": {"application/json": {"model": QuarantineList}}}})
def list_quarantine(limit: Annotated[int, Query(ge=1, le=100)] = 25,
                    next_token: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
                    ) -> Response[QuarantineList]:
    from sideconv.email import admin

    token_secret = wiring_of(router).settings.token_secret
    return respond(admin.list_quarantine(_store(), _caller(), limit, next_token, token_secret))


@router.post("/v1/quarantine/<quarantine_id>/discard", summary="Discard a quarantined mail (admins)",
             responses={200: {"description": "Discarded",
                              "content": {"application/json": {"model": QuarantinedMail}}},
                        409: _ALREADY_RESOLVED})
def discard(quarantine_id: QuarantineId) -> Response[QuarantinedMail]:
    from sideconv.email import admin

    return respond(admin.discard(_store(), _caller(), quarantine_id))


@router.post("/v1/quarantine/<quarantine_id>/attach",
             summary="Attach a quarantined mail to a side conversation of the account (admins)",
             responses={201: {"description": "Appended as a received message",
                              "content": {"application/json": {"model": Message}}},
                        409: _ALREADY_RESOLVED})
def attach(quarantine_id: QuarantineId, request: Annotated[AttachQuarantined, Body()]) -> Response[Message]:
    from sideconv.email import admin
    from sideconv.email.inbound import InboundConfig

    config = InboundConfig.of(wiring_of(router).settings)
    return respond(admin.attach(_store(), _storage(), config, _caller(), quarantine_id, request.conversation_id,
                                request.side_conversation_id))


MESSAGE = "/v1/conversations/<conversation_id>/side-conversations/<side_conversation_id>/messages/<message_id>"


@router.get(f"{MESSAGE}/original", summary="A received message's full text, quoted history included",
            responses={200: {"description": "The full text",
                             "content": {"application/json": {"model": OriginalText}}}})
def original(conversation_id: ConversationId, side_conversation_id: SideConversationId,
             message_id: ItemId) -> Response[OriginalText]:
    from sideconv.email import admin

    return respond(admin.original(_store(), _storage(), _caller(), conversation_id, side_conversation_id,
                                     message_id))


@router.get(f"{MESSAGE}/attachments/<attachment_id>", summary="A short-lived download link for an attachment",
            responses={200: {"description": "A presigned link, valid a few minutes",
                             "content": {"application/json": {"model": AttachmentLink}}}})
def attachment(conversation_id: ConversationId, side_conversation_id: SideConversationId, message_id: ItemId,
               attachment_id: ItemId) -> Response[AttachmentLink]:
    from sideconv import s3
    from sideconv.email import admin
    from sideconv.uploads import link_signer

    settings = wiring_of(router).settings
    signer = link_signer(settings) if settings.s3_upload_endpoint else s3.client(wiring_of(router))
    return respond(admin.attachment_link(_store(), signer, settings.received_mail_bucket,
                                            _caller(), conversation_id, side_conversation_id, message_id,
                                            attachment_id, uploads_bucket=settings.uploads_bucket))
