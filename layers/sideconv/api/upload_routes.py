"""Outbound attachments: `POST .../uploads` answers a presigned S3 POST (sideconv.uploads)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, cast

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import ConfigDict, Field, StringConstraints

from sideconv import keys
from sideconv.api import wiring_of
from sideconv.api.schemas import Model
from sideconv.auth import caller_from_claims
from sideconv.errors import InvalidRequest

if TYPE_CHECKING:
    from sideconv.uploads import Uploads

router = Router()

ConversationId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]


class CreateUpload(Model):
    model_config = ConfigDict(extra="forbid")
    filename: Annotated[str, StringConstraints(min_length=1, max_length=1000)] = Field(
        description="As the agent's computer names it; the service sanitises it")
    content_type: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    size: Annotated[int, Field(ge=1, description="Bytes; at most 25 MB")]


class UploadForm(Model):
    upload_id: str
    url: str = Field(description="POST `fields` and then the file (as `file`) to this URL, multipart/form-data")
    fields: dict[str, str]
    expires_at: str
    name: str = Field(description="The file name as it will be sent")
    max_bytes: int


def uploads() -> Uploads:
    """The container's uploads service (on the API's wiring), built on the first request that needs it."""
    from sideconv.uploads import configured

    return configured(wiring_of(router))


@router.post("/v1/conversations/<conversation_id>/uploads", summary="Start an upload of a file to attach",
             responses={201: {"description": "A presigned POST, valid 15 minutes",
                              "content": {"application/json": {"model": UploadForm}}}})
def create_upload(conversation_id: ConversationId, request: Annotated[CreateUpload, Body()]) -> Response[UploadForm]:
    event = cast(APIGatewayProxyEventV2, router.current_event)
    caller = caller_from_claims(event.request_context.authorizer.jwt_claim)
    try:
        keys.conversation_pk(caller.account_id, conversation_id)
    except ValueError as exc:
        raise InvalidRequest(str(exc), field="conversation_id") from exc
    item, form = uploads().start(account_id=caller.account_id, conversation_id=conversation_id,
                                 agent_id=caller.agent_id, filename=request.filename,
                                 content_type=request.content_type, size=request.size)
    from sideconv.store.records import start_upload

    start_upload(item)
    response: Response[Any] = Response(status_code=201, content_type="application/json", body=form)
    return response
