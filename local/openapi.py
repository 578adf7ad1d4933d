"""Print the OpenAPI document generated from the routes (`make openapi` writes docs/openapi.json)."""

from __future__ import annotations

import json

from sideconv.api.app import openapi_document


def render() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")
