"""The sample events in events/ (one per Slack trigger) through the real handlers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sideconv.wiring import Wiring

from tests.conftest import LambdaContextStub
from tests.slack_support import slack_world

pytestmark = pytest.mark.xdist_group("slack")

EVENTS = Path(__file__).resolve().parents[2] / "events"


def _load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def test_events_endpoint_sample_is_stale_as_recorded_and_accepted_once_signed_now() -> None:
    from functions.slack_events.handler import lambda_handler

    sample = _load("slack_events_thread_reply.json")
    with slack_world() as world:
        # As recorded, its signature is long past Slack's 5-minute window
        assert lambda_handler(sample, LambdaContextStub())["statusCode"] == 401
        # Signed now, as Slack would deliver it
        status, _ = world.post_event(sample["body"].encode())
        assert status == 200
        assert world.queued_events() == 1


def test_processor_sample_becomes_an_inbound_message() -> None:
    from sideconv import keys
    from sideconv.store import models
    from sideconv.store.models import SideConversationRefItem

    from functions.slack_processor.handler import lambda_handler

    sample = _load("slack_processor_thread_reply.json")
    envelope = json.loads(sample["Records"][0]["body"])
    with slack_world() as world:
        created = world.start("channel", channel_id="C0ONCALL")
        models.bound(Wiring.from_env())
        ref = keys.slack_thread_ref(envelope["team_id"], "C0ONCALL", envelope["event"]["thread_ts"])
        SideConversationRefItem(ref, ref, account_id="acme", conversation_id="conv-1",
                                side_conversation_id=created["id"]).save()
        result = lambda_handler(sample, LambdaContextStub())
        assert result == {"batchItemFailures": []}
        inbound = [m for m in world.get(created["id"])["messages"] if m["direction"] == "inbound"]
        assert [m["body"] for m in inbound] == ["Deployed the fix & retried the refund, can you check? <@U0ALICE>"]


def test_outbox_sample_is_posted_as_the_threads_root() -> None:
    from sideconv.store import models
    from sideconv.store.models import DeliveryMap, MessageItem, PersonMap, SideConversationItem, SlackInfoMap

    from functions.send_slack.handler import lambda_handler

    sample = _load("outbox_slack_insert.json")
    image = json.loads(sample["Records"][0]["body"])["dynamodb"]["NewImage"]
    with slack_world() as world:
        models.bound(Wiring.from_env())
        sc_id = image["side_conversation_id"]["S"]
        SideConversationItem(
            image["pk"]["S"], f"SC#{sc_id}", id=sc_id, account_id="acme", conversation_id="conv-1",
            channel="slack", state="open", created_by=PersonMap(kind="agent", id="agent-1", name="Dana Agent"),
            created_at="2026-11-27T12:00:00.000Z", updated_at="2026-11-27T12:00:00.000Z",
            lsi1sk=f"open#2026-11-27T12:00:00.000Z#{sc_id}",
            slack=SlackInfoMap(target="channel", channel_id="C0ONCALL"),
        ).save()
        MessageItem.from_raw_data(image).save()
        assert isinstance(MessageItem.get(image["pk"]["S"], image["sk"]["S"]).delivery, DeliveryMap)
        result = lambda_handler(sample, LambdaContextStub())
        assert result == {"batchItemFailures": []}
        [root] = world.slack.messages("C0ONCALL")
        assert root["username"] == "Dana Agent"
        assert "Checkout returns 500 for EU customers" in root["text"]
