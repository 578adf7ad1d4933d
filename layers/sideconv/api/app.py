"""Routes of the HTTP API (v1). Each parses typed input, calls one use case and shapes the answer."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query

from sideconv import usecases
from sideconv.api import domain_routes, email_routes, follow_up_routes, problems, slack_routes, upload_routes, wiring_of
from sideconv.api.results import respond
from sideconv.api.schemas import (
    CreateMessage,
    CreateSideConversation,
    MarkRead,
    Message,
    Problem,
    SideConversation,
    SideConversationList,
    SideConversationWithMessages,
    UpdateSideConversation,
)
from sideconv.auth import caller_from_claims
from sideconv.errors import DomainError
from sideconv.observability import logger
from sideconv.store import models
from sideconv.store.repository import SideConversationStore
from sideconv.wiring import Wiring, built

app = APIGatewayHttpResolver(enable_validation=True)

# The largest body the API reads: a first message and 50 + 50 named recipients fit many times over.
MAX_BODY_BYTES = 256 * 1024




def handle_request(event: dict[str, Any], context: Any, wiring: Wiring) -> dict[str, Any]:
    """Refuse an oversized body before anything parses it, then route (with the function's `wiring`: the
    routes find it in the resolver's context, which the resolver clears after each request)."""
    body = event.get("body") or ""
    if len(body) * (3 / 4 if event.get("isBase64Encoded") else 1) > MAX_BODY_BYTES:
        detail = f"at most {MAX_BODY_BYTES} bytes"
        problem = {"type": "https://atender.dev/problems/too-large", "title": "Request body too large",
                   "status": 413, "detail": f"body: {detail}",
                   "errors": [{"field": "body", "in": "body", "pointer": "#/", "detail": detail}]}
        return {"statusCode": 413, "headers": {"Content-Type": problems.CONTENT_TYPE},
                "body": json.dumps(problem), "isBase64Encoded": False}
    app.append_context(wiring=wiring)
    return app.resolve(event, context)
app.include_router(email_routes.router)
app.include_router(domain_routes.router)
app.include_router(follow_up_routes.router)
app.include_router(upload_routes.router)
app.include_router(slack_routes.router)

ConversationId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
                                     description="The customer conversation's id in the helpdesk.")]
SideConversationId = Annotated[str, Path(min_length=1, max_length=64, description="The side conversation's id.")]
IdempotencyKey = Annotated[
    str | None,
    Header(min_length=1, max_length=255, description="Same key and body within 24 h: the first result again."),
]
Limit = Annotated[int, Query(ge=1, le=100)]
NextToken = Annotated[str | None, Query(min_length=1, max_length=2048)]


def _problem(description: str) -> Any:
    return {"description": description,
            "content": {problems.CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _responses(status: int, description: str, model: type[Any], **problems_by_status: str) -> dict[int, Any]:
    """The success response and every problem a route can answer, for the OpenAPI document."""
    responses: dict[int, Any] = {
        status: {"description": description, "content": {"application/json": {"model": model}}},
        401: _problem("No valid token"),
        403: _problem("The token's role may not use side conversations"),
        404: _problem("No such side conversation in the caller's account"),
        422: _problem("A field is invalid; `errors[].field` names it"),
    }
    for code, text in problems_by_status.items():
        responses[int(code.lstrip("_"))] = _problem(text)
    return responses


@built
def _table_store(wiring: Wiring) -> SideConversationStore:
    return models.open_store(wiring, SideConversationStore)


def _context(conversation_id: str) -> usecases.Context:
    wiring = wiring_of(app)
    settings = wiring.settings
    claims = app.current_event.request_context.authorizer.jwt_claim
    return usecases.Context(
        store=_table_store(wiring),
        caller=caller_from_claims(claims),
        conversation_id=conversation_id,
        token_secret=settings.token_secret,
        inbound_domain=settings.inbound_domain,
        choose_sender=_sender_chooser,
        uploads=upload_routes.uploads,
        slack_workspace=_slack_workspace,
        follow_up_defaults=_follow_up_defaults,
    )


def _follow_up_defaults(account_id: str) -> Any:
    from sideconv import follow_up_settings

    return follow_up_settings.for_create(follow_up_settings.remembered(wiring_of(app)), account_id)


def _sender_chooser(account_id: str, requested: str | None) -> Any:
    from sideconv.email import senders

    return senders.choose(domain_routes.sending(), account_id, requested)


def _slack_workspace(account_id: str, team_id: str | None, channel_id: str | None) -> Any:
    from sideconv.slack import targets
    from sideconv.slack.installation import get_installation

    wiring = wiring_of(app)
    environment = get_installation(wiring)
    return targets.choose(wiring, account_id, team_id, channel_id, single_workspace=environment.single_workspace,
                          environment_team_id=environment.team_id)


BASE = "/v1/conversations/<conversation_id>/side-conversations"


@app.post(BASE, summary="Start a side conversation", responses=_responses(
    201, "Created, with its first message", SideConversationWithMessages,
    _409="Idempotency-Key reused with another body"))
def create_side_conversation(
    conversation_id: ConversationId,
    request: Annotated[CreateSideConversation, Body()],
    idempotency_key: IdempotencyKey = None,
) -> Response[SideConversationWithMessages]:
    return respond(usecases.create_side_conversation(_context(conversation_id), request, idempotency_key))


@app.get(BASE, summary="List a conversation's side conversations, most recently active first",
         responses=_responses(200, "A page", SideConversationList,
                              _400="next_token is not valid for this listing"))
def list_side_conversations(
    conversation_id: ConversationId,
    state: Annotated[Literal["open", "closed"] | None, Query()] = None,
    limit: Limit = 25,
    next_token: NextToken = None,
) -> Response[SideConversationList]:
    ctx = _context(conversation_id)
    return respond(usecases.list_side_conversations(ctx, state, limit, next_token))


@app.get(f"{BASE}/<side_conversation_id>", summary="Open a side conversation with its messages",
         responses=_responses(200, "The side conversation and a page of messages, oldest first",
                              SideConversationWithMessages, _400="next_token is not valid for this thread"))
def get_side_conversation(
    conversation_id: ConversationId,
    side_conversation_id: SideConversationId,
    limit: Limit = 50,
    next_token: NextToken = None,
) -> Response[SideConversationWithMessages]:
    ctx = _context(conversation_id)
    return respond(usecases.get_side_conversation(ctx, side_conversation_id, limit, next_token))


@app.post(f"{BASE}/<side_conversation_id>/messages", summary="Reply by the side conversation's channel",
          responses=_responses(201, "Recorded; delivery follows", Message,
                               _409="Idempotency-Key reused with another body"))
def reply(
    conversation_id: ConversationId,
    side_conversation_id: SideConversationId,
    request: Annotated[CreateMessage, Body()],
    idempotency_key: IdempotencyKey = None,
) -> Response[Message]:
    ctx = _context(conversation_id)
    return respond(usecases.reply(ctx, side_conversation_id, request, idempotency_key))


@app.patch(f"{BASE}/<side_conversation_id>", summary="Close, reopen or rename a side conversation",
           responses=_responses(200, "Updated", SideConversation))
def update_side_conversation(
    conversation_id: ConversationId,
    side_conversation_id: SideConversationId,
    request: Annotated[UpdateSideConversation, Body()],
) -> Response[SideConversation]:
    ctx = _context(conversation_id)
    return respond(usecases.update_side_conversation(ctx, side_conversation_id, request))


@app.put(f"{BASE}/<side_conversation_id>/read", summary="Mark the side conversation read up to a message",
         responses=_responses(200, "The side conversation, with the caller's unread count", SideConversation,
                              _409="A newer message arrived after the one given: refresh and mark again"))
def mark_read(
    conversation_id: ConversationId,
    side_conversation_id: SideConversationId,
    request: Annotated[MarkRead, Body()],
) -> Response[SideConversation]:
    ctx = _context(conversation_id)
    return respond(usecases.mark_read(ctx, side_conversation_id, request))


@app.get("/v1/side-conversations", summary="The calling agent's side conversations across conversations",
         responses=_responses(200, "A page, newest first", SideConversationList,
                              _400="next_token is not valid for this listing"))
def inbox(
    mine: Annotated[Literal["true"], Query(description="Only side conversations the caller started")],
    waiting_on: Annotated[Literal["agent", "external"], Query()] = "agent",
    limit: Limit = 25,
    next_token: NextToken = None,
) -> Response[SideConversationList]:
    ctx = _context(conversation_id="-")  # spans conversations: the inbox never builds a conversation key
    return respond(usecases.inbox(ctx, waiting_on, limit, next_token))


@app.exception_handler(DomainError)
def _domain_error(error: DomainError) -> Response[Any]:
    logger.info("request refused", extra={"error": type(error).__name__, "field": error.field})
    return problems.from_domain_error(error)


@app.exception_handler(RequestValidationError)
def _validation_error(error: RequestValidationError) -> Response[Any]:
    return problems.from_validation_errors(error.errors())


@app.exception_handler(RecursionError)
def _too_deep(_: RecursionError) -> Response[Any]:
    return problems.body_problem("the JSON is nested too deeply")


@app.exception_handler(UnicodeDecodeError)
def _not_utf8(_: UnicodeDecodeError) -> Response[Any]:
    return problems.body_problem("the body is not UTF-8")


@app.not_found
def _not_found(_: Exception) -> Response[Any]:
    return problems.response(404, "Not found", "no such route", kind="route-not-found")


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[Any]:
    # Never leak internals: the detail stays in the log, the caller gets a request id to quote.
    logger.exception("unhandled error")
    request_id = app.current_event.request_context.request_id
    return problems.response(500, "Internal error", f"quote request id {request_id}", kind="internal")


def openapi_document() -> dict[str, Any]:
    schema = json.loads(app.get_openapi_json_schema(
        title="Atender side conversations",
        version="1.0.0",
        description="Private email and Slack threads attached to a customer conversation.",
    ))
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = components["Problem"].pop("$defs", {})
    components.update(defs)
    components["GatewayError"] = {"type": "object", "required": ["message"],
                                  "properties": {"message": {"type": "string"}},
                                  "description": "What API Gateway's JWT authorizer answers; the function never ran."}
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            _document_problems(operation.setdefault("responses", {}))
    # Powertools' default 422 models are replaced above: drop them once nothing refers to them.
    text = json.dumps(schema["paths"])
    for name in ("HTTPValidationError", "ValidationError"):
        if f'"#/components/schemas/{name}"' not in text:
            components.pop(name, None)
    return schema


# Every route can answer these, whatever it declares: the gateway's 401, the handler's own checks and
# the guards in `handle_request` (413) and the exception handlers (400 for malformed bodies).
_EVERY_ROUTE_PROBLEMS = {
    400: "Malformed request: the body is not JSON, not UTF-8 or nested too deeply, or a page token is bad",
    401: "No valid token",
    403: "The token's role may not use this route",
    404: "Nothing with this id in the caller's account",
    413: "The request body is larger than the API reads",
    422: "A field is invalid; `errors[].field` names it",
}


def _document_problems(responses: dict[str, Any]) -> None:
    """Every 4xx is `application/problem+json` with the `Problem` schema (never Powertools' default
    422 model, which our handlers do not send); a 401 may also come from the gateway as plain JSON."""
    for code, description in _EVERY_ROUTE_PROBLEMS.items():
        responses.setdefault(str(code), {"description": description})
    for status, response in responses.items():
        if status.startswith("4"):
            response["content"] = {problems.CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
            if status == "401":
                response["content"]["application/json"] = {"schema": {"$ref": "#/components/schemas/GatewayError"}}
