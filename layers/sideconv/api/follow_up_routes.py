"""Follow-up routes of the v1 API: the account's defaults (admins)."""

from __future__ import annotations

from typing import Annotated, Any, cast

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from sideconv.api import wiring_of
from sideconv.api.schemas import FollowUpSettings
from sideconv.auth import Caller, caller_from_claims
from sideconv.errors import Forbidden

router = Router()
PATH = "/v1/settings/follow-ups"


def _admin() -> Caller:
    event = cast(APIGatewayProxyEventV2, router.current_event)
    caller = caller_from_claims(event.request_context.authorizer.jwt_claim)
    if not caller.is_admin:
        raise Forbidden("only an admin of the account may read or change its follow-up settings")
    return caller


def _bound() -> None:
    from sideconv.store import models

    models.bound(wiring_of(router))  # binds the models to the configured table, once per container


def _json(body: dict[str, Any]) -> Response[Any]:
    return Response(status_code=200, content_type="application/json", body=body)


_OK: Any = {200: {"description": "The account's follow-up settings",
                  "content": {"application/json": {"model": FollowUpSettings}}}}


@router.get(PATH, summary="The account's follow-up defaults (admins)", responses=_OK)
def get_follow_up_settings() -> Response[FollowUpSettings]:
    from sideconv import follow_up_settings

    caller = _admin()
    _bound()
    return _json(follow_up_settings.get(caller.account_id).as_dict())


@router.put(PATH, summary="Set the account's follow-up defaults (admins)", responses=_OK)
def put_follow_up_settings(request: Annotated[FollowUpSettings, Body()]) -> Response[FollowUpSettings]:
    from sideconv import follow_up_settings, follow_ups

    caller = _admin()
    _bound()

    def seconds(text: str | None) -> int | None:
        return None if text is None else follow_ups.parse_duration(text)

    settings = follow_up_settings.Settings(seconds(request.default_after), request.max_nudges,
                                           seconds(request.auto_close_after))
    cache = follow_up_settings.remembered(wiring_of(router))
    return _json(follow_up_settings.put(cache, caller.account_id, settings, caller.agent_id).as_dict())
