"""docs/openapi.json is generated from the code; this fails when the committed file drifts."""

from __future__ import annotations

import json
from pathlib import Path

from local.openapi import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_committed_openapi_matches_the_code() -> None:
    assert DOC.exists(), "run `make openapi`"
    assert json.loads(DOC.read_text()) == json.loads(render()), "docs/openapi.json drifted: run `make openapi`"


def test_every_route_documents_its_problems() -> None:
    doc = json.loads(render())
    for route, operations in doc["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("401", "403", "422"):
                assert status in responses, (method, route, status)
                assert "application/problem+json" in responses[status]["content"], (method, route, status)
    assert "Problem" in doc["components"]["schemas"]
