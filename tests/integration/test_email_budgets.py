"""Request budgets of the e-mail functions, counted at botocore (every client, PynamoDB's too)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.email_support import EmailWorld, email_world_fixture, reply_mail  # noqa: F401

pytestmark = pytest.mark.usefixtures("aws")


@contextmanager
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    from botocore.client import BaseClient

    calls: list[tuple[str, str]] = []
    original = BaseClient._make_api_call

    def spy(self: Any, operation: str, params: Any) -> Any:
        calls.append((self.meta.service_model.service_name, operation))
        return original(self, operation, params)

    with monkeypatch.context() as patch:
        patch.setattr(BaseClient, "_make_api_call", spy)
        yield calls


def _of(calls: list[tuple[str, str]], *services: str) -> list[str]:
    return [op for service, op in calls if service in services]


def test_sending_takes_one_read_one_ses_call_one_write(email_world: EmailWorld,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    email_world.start()
    records = email_world.outbox_records()
    with counted(monkeypatch) as calls:
        email_world.send(records)
    assert _of(calls, "dynamodb") == ["TransactGetItems", "TransactWriteItems"]
    assert _of(calls, "sesv2") == ["SendEmail"]


def test_receiving_by_token_takes_one_read_and_one_write(email_world: EmailWorld,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    started = email_world.start()
    email_world.send()
    reply_to = started["email"]["reply_to"]
    raw = reply_mail(to=reply_to)
    with counted(monkeypatch) as calls:
        email_world.deliver(raw, [reply_to])
    assert _of(calls, "dynamodb") == ["GetItem", "TransactWriteItems"]
    assert _of(calls, "s3") == ["PutObject", "GetObject"]  # the receipt rule's store, then the read


def test_receiving_by_references_takes_one_read_and_one_write(email_world: EmailWorld,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    email_world.start()
    email_world.send()
    sent = email_world.sent()[0]
    generic = f"support@{email_world.settings.inbound_domain}"
    raw = reply_mail(to=generic, references=sent["references"], in_reply_to=sent["message_id"])
    with counted(monkeypatch) as calls:
        result = email_world.deliver(raw, [generic])
    assert result["outcome"] == "appended"
    assert _of(calls, "dynamodb") == ["BatchGetItem", "TransactWriteItems"]
