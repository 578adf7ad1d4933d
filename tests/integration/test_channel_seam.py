"""The channel seam (sideconv.channels): a channel the service has never heard of, declared and
registered by this module alone, goes the whole way through the real API handler and the local stack's
glue: create → the outbox (the table's stream → the pipe → `route_outbox` → its own FIFO queue) → its
sender → `sent` → a reply coming back, and the agent's reply after it.

The channel is a carrier pigeon: an agent sends a note to a loft, the loft's pigeon flies (its sender,
played by `Loft`, the channel's local stand-in) and comes back with an answer. Nothing outside this
module names it. A channel is installed at a cold start (sideconv/channels/installed.py), so after
registering it the test starts the API afresh, as a new container would (and again after, without it).
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import pytest
from pydantic import StringConstraints
from sideconv import channels, clock, keys
from sideconv.api.schemas import Body, ExternalIds, Model, Subject, _FollowUpFields, _Outgoing
from sideconv.channels import Labels, Outbox

CONVERSATION = "conv-pigeon"
BASE = f"/v1/conversations/{CONVERSATION}/side-conversations"


# The channel: its create request, its summary fields, its declaration ----------------------------


class CreatePigeonSideConversation(_FollowUpFields, _Outgoing):
    channel: Literal["pigeon"]
    subject: Subject | None = None
    body: Body
    loft: Annotated[str, StringConstraints(pattern=r"^[a-z]{3,20}$")]
    external_ids: ExternalIds | None = None


class PigeonInfo(Model):
    loft: str


class PigeonChannel:
    name = "pigeon"
    id_prefix = "pigeon"
    participant_kinds = ("pigeon_loft",)
    author_kinds = ("pigeon",)
    # Its summary fields are shown from its participants (no attribute of its own on the summary item).
    summary_field = "pigeon"
    outbox = Outbox(function="send_pigeon", description="Sends notes by carrier pigeon", batch_size=5,
                    max_receives=3, handler=f"{__name__}:send_pigeon")
    local = __name__
    infra = ""  # never deployed
    labels = Labels(label="Pigeon", icon="🐦", new_label="New pigeon")

    def request_model(self) -> type[Any]:
        return CreatePigeonSideConversation

    def summary_model(self) -> type[Any]:
        return PigeonInfo

    def message_fields(self, author: type[Any]) -> dict[str, Any]:
        return {"ring": (str | None, None)}

    def start(self, ctx: Any, request: Any, summary: Any) -> list[Any]:
        from sideconv.errors import InvalidRequest
        from sideconv.store.models import PersonMap

        if request.loft == "nowhere":
            raise InvalidRequest("no pigeon flies there", field="loft")
        summary.cc_customer = False
        summary.participants = [PersonMap(kind="pigeon_loft", role="to", id=request.loft)]
        return []

    def check_quoted(self, body: str, quoted: list[Any]) -> None:
        pass

    def check_attachments(self, total_bytes: int) -> None:
        from sideconv.errors import InvalidRequest

        if total_bytes > 1024:
            raise InvalidRequest("a pigeon carries at most 1 KB", field="attachments")

    def view_summary(self, item: Any, out: dict[str, Any]) -> None:
        lofts = [p.id for p in item.participants or [] if p.kind == "pigeon_loft"]
        out["pigeon"] = {"loft": lofts[0]} if lofts else None

    def view_message(self, item: Any, out: dict[str, Any]) -> None:
        # The ring number of the pigeon that carried it: the channel's own id, recorded with `sent`.
        out["ring"] = item.delivery.provider_id if item.delivery is not None else None


# The local stand-in: a loft of pigeons, the sender and the receiver --------------------------------


@dataclass
class Loft:
    """Where the notes land (what the channel's service would see), and the way answers come back."""

    notes: list[dict[str, Any]] = field(default_factory=list)
    stack: Any = None

    def fly(self, message: Any) -> str:
        ring = f"R{len(self.notes) + 1:04d}"
        self.notes.append({"ring": ring, "side_conversation_id": message.side_conversation_id,
                           "account_id": message.account_id, "conversation_id": message.conversation_id,
                           "message_id": message.id, "body": message.body})
        return ring

    def answer(self, ring: str, text: str, who: str) -> None:
        """The pigeon with `ring` comes back with `text`: the receiver runs as the channel's inbound would."""
        note = next(n for n in self.notes if n["ring"] == ring)
        self.stack.invoke("receive_pigeon", receive_pigeon, {**note, "text": text, "from": who})


LOFT = Loft()


def install(stack: Any) -> None:
    """The channel's local stand-in (as `local.email` and `local.slack` are theirs): its sender on its
    outbox queue, and the loft."""
    LOFT.stack = stack
    stack.add_outbox_sender("pigeon")


def send_pigeon(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The channel's sender: each queued message (the stream record the pipe passed on) flies, then is
    recorded `sent` with its ring number, only while still `pending` (a redelivery flies nothing)."""
    from sideconv.store import models
    from sideconv.store.models import DeliveryMap, MessageItem
    from sideconv.wiring import Wiring

    models.bound(Wiring.from_env())
    for record in event["Records"]:
        image = json.loads(record["body"])["dynamodb"]["NewImage"]
        message = MessageItem.from_raw_data(image)
        if message.delivery is None or message.delivery.status != "pending":
            continue
        ring = LOFT.fly(message)
        models.update_if(MessageItem(message.pk, message.sk), [
            MessageItem.delivery.set(DeliveryMap(status="sent", updated_at=clock.now_iso(), provider_id=ring,
                                                 attempts=1)),
            MessageItem.gsi2pk.remove(), MessageItem.gsi2sk.remove(),
        ], MessageItem.delivery.status == "pending")
    return {"batchItemFailures": []}


def receive_pigeon(event: dict[str, Any], context: Any) -> None:
    """The channel's inbound: the answer becomes an inbound message, the summary updated as every
    channel's reply updates it (sideconv.store.activity), in one transaction."""
    from sideconv.store import activity, models
    from sideconv.store.models import MessageItem, PersonMap, SideConversationItem
    from sideconv.store.repository import SideConversationStore
    from sideconv.wiring import Wiring

    settings = models.bound(Wiring.from_env())
    side_conversation_id, now, message_id = event["side_conversation_id"], clock.now_iso(), clock.new_id()
    pk = keys.conversation_pk(event["account_id"], event["conversation_id"])
    message = MessageItem.new(account_id=event["account_id"], conversation_id=event["conversation_id"],
                              side_conversation_id=side_conversation_id, message_id=message_id,
                              direction="inbound", author=PersonMap(kind="pigeon", name=event["from"]),
                              body=event["text"], created_at=now)
    summary = SideConversationItem(pk, keys.side_conversation_sk(side_conversation_id), channel="pigeon")
    SideConversationStore(settings.region, settings.dynamodb_endpoint).append_message(
        summary, activity.inbound_actions(side_conversation_id, message_id, now, event["text"]), message, None)


# Fixtures: the channel registered, and the API started afresh ------------------------------------


def _fresh_api() -> None:
    """A new container's API: its models and routes built from the registry as it is now."""
    import sideconv.api.app

    import functions.api.handler

    importlib.reload(sideconv.api.app)
    importlib.reload(functions.api.handler)


@pytest.fixture
def pigeon() -> Iterator[PigeonChannel]:
    channel = PigeonChannel()
    channels.register(channel)
    LOFT.notes.clear()
    _fresh_api()
    try:
        yield channel
    finally:
        channels.unregister(channel.name)
        _fresh_api()


@pytest.fixture
def aws(pigeon: PigeonChannel, aws: None) -> Iterator[None]:
    """Embedded AWS (tests/conftest.py), created once the pigeon is registered: its queue is there."""
    return


@pytest.fixture
def loft(stack: Any, pigeon: PigeonChannel) -> Loft:
    importlib.import_module(pigeon.local).install(stack)
    return LOFT


# The tests ----------------------------------------------------------------------------------------


def test_a_registered_channel_goes_create_outbox_sender_sent_reply(api: Any, stack: Any, loft: Loft) -> None:
    # Given an agent starts a pigeon side conversation through the real API handler
    status, _, created = api("POST", BASE, {"channel": "pigeon", "subject": "Order 1042", "body": "Seen it?",
                                            "loft": "harbour"})
    assert status == 201, created
    side_id = created["id"]
    assert re.fullmatch(r"pigeon-[0-9A-HJKMNP-TV-Z]{26}", side_id)
    assert created["channel"] == "pigeon"
    assert created["pigeon"] == {"loft": "harbour"}
    assert [p["kind"] for p in created["participants"]] == ["agent", "pigeon_loft"]
    [first] = created["messages"]
    assert first["delivery"]["status"] == "pending"
    assert first["ring"] is None
    assert loft.notes == []

    # When the glue runs: the stream → the outbox pipe → route_outbox → the pigeon's queue → its sender
    stack.drain()

    # Then the note flew once and the message is `sent`, with the channel's own id shown as its field
    assert [(n["side_conversation_id"], n["message_id"], n["body"]) for n in loft.notes] == \
        [(side_id, first["id"], "Seen it?")]
    status, _, found = api("GET", f"{BASE}/{side_id}")
    assert status == 200, found
    [sent] = found["messages"]
    assert sent["delivery"]["status"] == "sent"
    assert sent["ring"] == "R0001"
    assert found["waiting_on"] == "external"

    # When the pigeon comes back with an answer
    loft.answer("R0001", "Yes, shipped Tuesday", "Pat Harbourmaster")

    # Then it is the side conversation's reply: unread for the agent, the ball with them
    status, _, found = api("GET", f"{BASE}/{side_id}")
    assert status == 200, found
    assert [(m["direction"], m["author"]["kind"], m["body"]) for m in found["messages"]] == [
        ("outbound", "agent", "Seen it?"), ("inbound", "pigeon", "Yes, shipped Tuesday")]
    assert found["unread_count"] == 1
    assert found["waiting_on"] == "agent"
    assert found["inbound_count"] == 1

    # And the agent's answer goes out by the same channel (the id routes it), behind the first
    status, _, answer = api("POST", f"{BASE}/{side_id}/messages", {"body": "Thanks!"})
    assert status == 201, answer
    stack.drain()
    assert [n["body"] for n in loft.notes] == ["Seen it?", "Thanks!"]
    status, _, found = api("GET", f"{BASE}/{side_id}")
    assert [m["delivery"]["status"] for m in found["messages"] if m["direction"] == "outbound"] == ["sent", "sent"]
    status, _, listed = api("GET", BASE)
    assert status == 200
    assert [item["id"] for item in listed["items"]] == [side_id]


def test_a_registered_channel_s_bad_input_is_a_problem_naming_its_field(api: Any, pigeon: PigeonChannel) -> None:
    # The request's own model: pydantic's union member ("pigeon") is no part of the field's name
    status, headers, problem = api("POST", BASE, {"channel": "pigeon", "body": "Seen it?", "loft": "Harbour!"})
    assert status == 422
    assert headers["Content-Type"] == "application/problem+json"
    assert [(e["field"], e["pointer"]) for e in problem["errors"]] == [("loft", "#/loft")]
    # The channel's own check (its `start`)
    status, _, problem = api("POST", BASE, {"channel": "pigeon", "body": "Seen it?", "loft": "nowhere"})
    assert status == 422
    assert problem["errors"][0]["field"] == "loft"
    # The other channels' requests are still what they were
    status, _, problem = api("POST", BASE, {"channel": "pigeon", "body": "x", "loft": "harbour", "to": []})
    assert status == 422
    assert problem["errors"][0]["field"] == "to"
    # An id of the channel that does not exist is a 404, before any request (the id pattern knows it)
    status, _, problem = api("GET", f"{BASE}/pigeon-{clock.new_id()}")
    assert status == 404


def test_the_registry_reads_the_channel_while_it_is_registered(pigeon: PigeonChannel) -> None:
    ulid = clock.new_id()
    assert keys.SIDE_CONVERSATION_ID.match(f"pigeon-{ulid}")
    assert keys.channel_of(f"pigeon-{ulid}") == "pigeon"
    channels.unregister("pigeon")
    try:
        assert not keys.SIDE_CONVERSATION_ID.match(f"pigeon-{ulid}")
        assert keys.SIDE_CONVERSATION_ID.match(f"email-{ulid}")
        assert keys.SIDE_CONVERSATION_ID.match(f"slack-{ulid}")
    finally:
        channels.register(pigeon)
