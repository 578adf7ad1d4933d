"""Context as a user sets it: cdk.json, `-c key=value` strings, and the typed settings read from it."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.xdist_group("cdk")


class Node:
    def __init__(self, context: dict[str, Any]) -> None:
        self._context = context

    def try_get_context(self, key: str) -> Any:
        return self._context.get(key)


def test_command_line_context_overrides_cdk_json(monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.app import _context

    monkeypatch.delenv("CDK_CONTEXT_JSON", raising=False)
    context = _context(["-c", "senderAddress=help@acme.example", "--context", "retainData=false"])
    assert context is not None
    assert context["senderAddress"] == "help@acme.example"
    assert context["retainData"] == "false"
    assert context["stackName"] == "AtenderSideConversations"  # from cdk.json


def test_the_cli_passes_its_own_context(monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.app import _context

    monkeypatch.setenv("CDK_CONTEXT_JSON", "{}")
    assert _context([]) is None


def test_strings_from_the_command_line_become_typed_settings() -> None:
    from infra.settings import DeploySettings

    settings = DeploySettings.from_context(Node({  # type: ignore[arg-type]
        "retainData": "false", "jwtAudience": "a, b,", "rawMailRetentionDays": "30",
        "senderAddress": "help@acme.example", "sesIdentity": ""}))
    assert settings.retain_data is False
    assert settings.jwt_audience == ("a", "b")
    assert settings.raw_mail_retention_days == 30
    assert settings.identity_name == "acme.example"


def test_a_sender_that_is_not_an_address_is_refused() -> None:
    from infra.settings import DeploySettings

    with pytest.raises(ValueError, match="senderAddress"):
        DeploySettings.from_context(Node({"senderAddress": "acme.example"}))  # type: ignore[arg-type]
