"""The stack, synthesized once per test session (it takes seconds), and helpers to read its template.

Synthesized with skipLayerBuild: an empty placeholder stands in for the built layers, so these tests
need neither pip, nor Python 3.12, nor Node's CDK CLI, nor AWS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Synthesized:
    app: Any
    stack: Any
    template: Any  # aws_cdk.assertions.Template
    context: dict[str, Any]

    @cached_property
    def resources(self) -> dict[str, dict[str, Any]]:
        # One round trip to the jsii runtime; tests read the plain dictionary.
        return self.template.to_json()["Resources"]

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.resources.items() if r["Type"] == kind}

    def logical_id(self, construct: Any) -> str:
        return str(self.stack.get_logical_id(construct.node.default_child))


CONTEXT = {
    "skipLayerBuild": True,
    "senderAddress": "help@acme.example",
    "inboundDomain": "reply.acme.example",
    "jwtIssuer": "https://issuer.acme.example/",
    "jwtAudience": "side-conversations,helpdesk",
    "slackSecretName": "acme/slack",
}


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    from aws_cdk.assertions import Template

    from infra.stack import build_app

    context = {**json.loads((ROOT / "cdk.json").read_text())["context"], **CONTEXT}
    app, stack = build_app(context, outdir=str(tmp_path_factory.mktemp("cdk.out")))
    return Synthesized(app=app, stack=stack, template=Template.from_stack(stack), context=context)


def refs(value: Any) -> set[str]:
    """Logical ids a template value points at (Ref and Fn::GetAtt), anywhere inside it."""
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            found.add(value["Fn::GetAtt"][0])
        for item in value.values():
            found |= refs(item)
    elif isinstance(value, list):
        for item in value:
            found |= refs(item)
    return found
