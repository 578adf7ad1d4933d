"""Typed domain errors. The API maps each class to one HTTP status in one place (api/problems.py)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a caller can be told about."""

    title = "Request failed"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class Unauthenticated(DomainError):
    title = "Authentication required"


class Forbidden(DomainError):
    title = "Not allowed"


class NotFound(DomainError):
    title = "Not found"


class InvalidRequest(DomainError):
    """The request is well-formed JSON but breaks a rule (a field's value, a bad page token)."""

    title = "Invalid request"


class BadRequest(DomainError):
    """A value the API cannot act on at all (an OAuth state that is forged, expired or used): 400."""

    title = "Bad request"


class BadPageToken(InvalidRequest):
    title = "Invalid page token"


class Conflict(DomainError):
    title = "Conflict"


class IdempotencyKeyReused(Conflict):
    title = "Idempotency-Key reused with another request"
