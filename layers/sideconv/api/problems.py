"""Errors as RFC 9457 problem details (`application/problem+json`), mapped from types in one place."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from aws_lambda_powertools.event_handler import Response

from sideconv import errors

CONTENT_TYPE = "application/problem+json"
_TYPE_BASE = "https://atender.dev/problems/"

STATUS_BY_ERROR: dict[type[errors.DomainError], int] = {
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.IdempotencyKeyReused: 409,
    errors.Conflict: 409,
    errors.BadPageToken: 400,
    errors.InvalidRequest: 422,
}


def _status_of(error: errors.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]  # type: ignore[index]
    return 400


def pointer(location: Sequence[Any]) -> str:
    """`("body", "to", 0, "email")` → `#/to/0/email`; query and header fields keep their place."""
    parts = [str(p) for p in location]
    if parts and parts[0] == "body":
        parts = parts[1:]
    # Pydantic names a discriminated union's member in the path ("email", "slack"): not a field.
    return "#/" + "/".join(parts)


def response(status: int, title: str, detail: str | None, *, kind: str,
             field_errors: Iterable[dict[str, str]] = ()) -> Response[Any]:
    body: dict[str, Any] = {"type": _TYPE_BASE + kind, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    errs = list(field_errors)
    if errs:
        body["errors"] = errs
    return Response(status_code=status, content_type=CONTENT_TYPE, body=json.dumps(body))


def from_domain_error(error: errors.DomainError) -> Response[Any]:
    status = _status_of(error)
    field_errors = []
    if error.field:
        field_errors.append({"pointer": "#/" + error.field.replace(".", "/"), "detail": error.detail})
    detail = f"{error.field}: {error.detail}" if error.field else error.detail
    kind = type(error).__name__.lower()
    return response(status, error.title, detail, kind=kind, field_errors=field_errors)


def from_validation_errors(raw: Sequence[dict[str, Any]]) -> Response[Any]:
    field_errors = []
    for err in raw:
        location = list(err.get("loc", ()))
        # Drop the discriminated-union tag pydantic inserts ("body", "email", "subject").
        if len(location) > 1 and location[0] == "body" and location[1] in ("email", "slack") \
                and err.get("type") != "union_tag_invalid":
            location = [location[0], *location[2:]]
        field_errors.append({"pointer": pointer(location), "detail": str(err.get("msg", "invalid"))})
    first = field_errors[0] if field_errors else None
    detail = f"{first['pointer'][2:] or 'body'}: {first['detail']}" if first else "the request is invalid"
    return response(422, "Request validation failed", detail, kind="validation", field_errors=field_errors)
