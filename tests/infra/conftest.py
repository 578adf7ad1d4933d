"""The stack's variants, each synthesized once per test session (it takes seconds), and helpers to read
their templates.

Synthesized with skipLayerBuild: an empty placeholder stands in for the built layers, so these tests
need neither pip, nor Python 3.12, nor Node's CDK CLI, nor AWS.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Synthesized:
    app: Any
    stack: Any
    template: Any  # aws_cdk.assertions.Template
    context: dict[str, Any]
    region: str = "us-east-1"

    @cached_property
    def resources(self) -> dict[str, dict[str, Any]]:
        # One round trip to the jsii runtime; tests read the plain dictionary.
        return self.template.to_json()["Resources"]

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.resources.items() if r["Type"] == kind}

    def logical_id(self, construct: Any) -> str:
        return str(self.stack.get_logical_id(construct.node.default_child))


# A deployed environment, every setting of its own (none of cdk.json's examples).
CONTEXT = {
    "skipLayerBuild": True,
    "environment": "prod",
    "senderAddress": "help@acme.example",
    "inboundDomain": "reply.acme.example",
    "jwtIssuer": "https://issuer.acme.example/",
    "jwtAudience": "side-conversations,helpdesk",
    "slackSecretName": "acme/slack",
    "conversationUrlTemplate": "https://app.acme.example/conversations/{conversation_id}",
}
# The other way a user may configure it: an existing SES identity, data not retained, the panel, an
# on-call topic, and a concrete account and region (what `cdk deploy` synthesizes with).
ENVIRONMENT_BOUND = {"retainData": "false", "sesIdentity": "mail.acme.example", "deployPanel": "true",
                     "panelFrameAncestors": "https://app.acme.example",
                     "alarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:on-call"}
ACCOUNT_AND_REGION = {"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "eu-west-1"}


def shipped_context() -> dict[str, Any]:
    return dict(json.loads((ROOT / "cdk.json").read_text())["context"])


def synthesize(outdir: Path, extra: dict[str, Any], env: dict[str, str] | None = None, *,
               deployed: bool = True) -> Synthesized:
    """`deployed`: with CONTEXT's settings of a deployed environment; else cdk.json as shipped."""
    from aws_cdk.assertions import Template

    from infra.stack import build_app

    context = {**shipped_context(), **(CONTEXT if deployed else {"skipLayerBuild": True}), **extra}
    with mock.patch.dict(os.environ, env or {}):
        app, stack = build_app(context, outdir=str(outdir))
        template = Template.from_stack(stack)
    return Synthesized(app=app, stack=stack, template=template, context=context,
                       region=(env or {}).get("CDK_DEFAULT_REGION", "us-east-1"))


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(tmp_path_factory.mktemp("cdk.out"), {})


@pytest.fixture(scope="session")
def environment_bound(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(tmp_path_factory.mktemp("cdk.out"), ENVIRONMENT_BOUND, ACCOUNT_AND_REGION)


@pytest.fixture(scope="session")
def as_shipped(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """What a plain `make synth` builds: cdk.json as shipped (the `test` environment and its examples)."""
    return synthesize(tmp_path_factory.mktemp("cdk.out"), {}, deployed=False)


VARIANTS = {"default": "synthesized", "environment-bound": "environment_bound", "as-shipped": "as_shipped"}


@pytest.fixture(params=list(VARIANTS))
def every_variant(request: pytest.FixtureRequest) -> Synthesized:
    """Each synthesized variant in turn (each built once per session)."""
    return request.getfixturevalue(VARIANTS[request.param])


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
