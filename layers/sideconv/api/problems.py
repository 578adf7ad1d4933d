"""Errors as RFC 9457 problem details (`application/problem+json`), mapped from types in one place."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from aws_lambda_powertools.event_handler import Response

from sideconv import channels, errors

CONTENT_TYPE = "application/problem+json"
_TYPE_BASE = "https://atender.dev/problems/"

STATUS_BY_ERROR: dict[type[errors.DomainError], int] = {
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.IdempotencyKeyReused: 409,
    errors.Conflict: 409,
    errors.BadPageToken: 400,
    errors.BadRequest: 400,
    errors.InvalidRequest: 422,
}


# Fields a use case may name that are not in the JSON body.
_NOT_IN_BODY = {"next_token": "query", "idempotency-key": "header", "conversation_id": "path", "state": "query",
                "team_id": "query", "address": "path"}


def _status_of(error: errors.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def field_error(location: Sequence[Any], detail: str, kind: str | None = None, *,
                from_pydantic: bool = False) -> dict[str, str]:
    """Name the offending field: `("body", "to", 0, "email")` → field `to.0.email`, pointer `#/to/0/email`."""
    parts = [str(p) for p in location]
    where = parts[0] if parts and parts[0] in ("body", "query", "path", "header") else "body"
    if parts and parts[0] == where:
        parts = parts[1:]
    # Pydantic names the member of a discriminated union in the path (a channel's name): not a field.
    if from_pydantic and where == "body" and parts and parts[0] in channels.names() \
            and kind != "union_tag_invalid":
        parts = parts[1:]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        parts = ["channel"]
    name = ".".join(parts) or where
    error = {"field": name, "in": where, "detail": detail}
    if where == "body":
        error["pointer"] = "#/" + "/".join(parts)
    return error


def response(status: int, title: str, detail: str | None, *, kind: str,
             field_errors: Iterable[dict[str, str]] = ()) -> Response[Any]:
    body: dict[str, Any] = {"type": _TYPE_BASE + kind, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    errs = list(field_errors)
    if errs:
        body["errors"] = errs
    return Response(status_code=status, content_type=CONTENT_TYPE, body=json.dumps(body))


def body_problem(detail: str, *, status: int = 400, title: str = "Malformed request body",
                 kind: str = "malformed") -> Response[Any]:
    """A problem with the body as a whole (not JSON, not UTF-8, nested too deeply, too large)."""
    return response(status, title, f"body: {detail}", kind=kind,
                    field_errors=[{"field": "body", "in": "body", "pointer": "#/", "detail": detail}])


def from_domain_error(error: errors.DomainError) -> Response[Any]:
    status = _status_of(error)
    field_errors = []
    if error.field:
        where = _NOT_IN_BODY.get(error.field, "body")
        field_errors.append(field_error([where, *error.field.split(".")], error.detail))
    detail = f"{error.field}: {error.detail}" if error.field else error.detail
    kind = type(error).__name__.lower()
    return response(status, error.title, detail, kind=kind, field_errors=field_errors)


def from_validation_errors(raw: Sequence[dict[str, Any]]) -> Response[Any]:
    if any(err.get("type") == "json_invalid" for err in raw):
        return body_problem("the body is not valid JSON")
    field_errors = [field_error(list(err.get("loc", ())), str(err.get("msg", "invalid")), err.get("type"),
                                from_pydantic=True)
                    for err in raw]
    first = field_errors[0] if field_errors else None
    detail = f"{first['field']}: {first['detail']}" if first else "the request is invalid"
    return response(422, "Request validation failed", detail, kind="validation", field_errors=field_errors)
