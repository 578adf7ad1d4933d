"""Opaque page tokens: DynamoDB's LastEvaluatedKey, signed and bound to the listing it came from.

A token from another account's listing, another side conversation, or a tampered one is a 400,
never a way to start reading someone else's partition.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from sideconv.errors import BadPageToken


def _mac(secret: str, scope: str, payload: bytes) -> str:
    digest = hmac.new(secret.encode(), scope.encode() + b"\0" + payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def encode(last_key: dict[str, Any] | None, *, scope: str, secret: str) -> str | None:
    if not last_key:
        return None
    payload = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_mac(secret, scope, payload)}"


def decode(token: str | None, *, scope: str, secret: str) -> dict[str, Any] | None:
    if token is None:
        return None
    try:
        body, mac = token.split(".", 1)
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError as exc:
        raise BadPageToken("next_token is not a token this API issued", field="next_token") from exc
    if not hmac.compare_digest(mac, _mac(secret, scope, payload)):
        raise BadPageToken("next_token does not belong to this listing", field="next_token")
    value = json.loads(payload)
    if not isinstance(value, dict):
        raise BadPageToken("next_token is not a token this API issued", field="next_token")
    return value
