"""The HTTP API (v1): typed request/response models, routes and the problem+json error mapping."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from sideconv.wiring import Wiring


def wiring_of(router: Any) -> Wiring:
    """The API function's wiring, which `sideconv.api.app.handle_request` puts in the resolver's context for the
    request (a router's context is its resolver's)."""
    return cast("Wiring", router.context["wiring"])
