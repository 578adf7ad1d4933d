"""A use case's result as the HTTP answer: the one place a kind of result becomes a status."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from sideconv.results import Changed, Created, Found, Result

STATUS: dict[type[Result], int] = {Found: 200, Changed: 200, Created: 201}


def respond(result: Result) -> Response[Any]:
    # The body is validated against the route's response model before it leaves (no field leaks).
    return Response(status_code=STATUS[type(result)], content_type="application/json", body=result.view)
