"""API Gateway HTTP API (payload format 2.0) events, as API Gateway builds them from a request."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode


def http_api_event(
    method: str,
    path: str,
    *,
    query: str | dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    claims: dict[str, Any] | None = None,
    route_key: str = "$default",
) -> dict[str, Any]:
    raw_query = urlencode(query) if isinstance(query, dict) else (query or "")
    params: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        # API Gateway joins repeated parameters with commas.
        params[name] = f"{params[name]},{value}" if name in params else value
    is_binary = isinstance(body, bytes)
    if isinstance(body, bytes):
        try:
            text_body: str | None = body.decode("utf-8")
            is_binary = False
        except UnicodeDecodeError:
            text_body = base64.b64encode(body).decode()
    else:
        text_body = body
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": {k.lower(): v for k, v in (headers or {}).items()},
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": (headers or {}).get("user-agent", "local"),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": is_binary,
    }
    if params:
        event["queryStringParameters"] = params
    if text_body is not None:
        event["body"] = text_body
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return event
