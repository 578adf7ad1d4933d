"""Request bodies for tests: valid by default, overridable field by field."""

from __future__ import annotations

from typing import Any


def email_request(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "email",
        "subject": "Refund approval for order 1042",
        "body": "Hi finance, can you approve a refund of 42 EUR for order 1042?",
        "to": [{"email": "finance@vendor.example", "name": "Finance Team"}],
    }
    body.update(overrides)
    return body


def slack_request(target: str = "channel", **overrides: Any) -> dict[str, Any]:
    slack: dict[str, Any] = {"target": target}
    if target == "channel":
        slack["channel_id"] = "C0ONCALL1"
    elif target == "user":
        slack["user_ids"] = ["U0ENGINEER"]
    else:
        slack["user_ids"] = ["U0ENG0001", "U0ENG0002", "U0ENG0003"]
    body: dict[str, Any] = {"channel": "slack", "subject": "Checkout 500s", "body": "Is the fix deployed?",
                            "slack": slack}
    body.update(overrides)
    return body


def path(conversation_id: str = "conv-1", *rest: str) -> str:
    return "/".join([f"/v1/conversations/{conversation_id}/side-conversations", *rest]).rstrip("/")
