"""Every Slack payload of the shared corpus, through the real events endpoint, the events queue and
the real processor, each with its expected outcome: appended, ignored, updated, deleted or rejected.

The corpus lives beside the checkout (../shared/corpus/slack) and is never copied into the repo.
Payloads name their own workspace and app; each case installs the service for that workspace. Where a
payload is about a thread or a message, the setup tracks that thread (a side conversation and its
thread lookup) or records that message first, the way the service would have.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sideconv.wiring import Wiring

from local.slack_api import LocalInstallation
from tests.slack_support import SlackWorld, container_processor, slack_world

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "slack"

pytestmark = [
    pytest.mark.xdist_group("slack"),
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not beside the checkout ({CORPUS})"),
]

# file → (setup, expected outcome). setup: None, "thread" (track the payload's thread) or
# "message" (track a thread and record the message the payload edits or deletes).
EXPECTED: dict[str, tuple[str | None, str]] = {
    "app_mention_docs.json": (None, "ignored"),  # message.* events carry the same message
    "bot_message_classic_bolt.json": (None, "ignored"),  # top level
    "bot_message_docs.json": (None, "ignored"),  # no channel
    "bot_message_subtype_real.json": (None, "ignored"),  # top level
    "bot_message_with_thread_real.json": ("thread", "ignored"),  # the app's own echo in its thread
    "message_changed_channel_thread_parent_bolt.json": ("thread", "ignored"),  # the root's reply count
    "message_changed_docs.json": ("message", "updated"),
    "message_changed_im_thread_parent_bolt.json": ("thread", "ignored"),
    "message_changed_real.json": ("message", "updated"),
    "message_channel_toplevel_real.json": (None, "ignored"),
    "message_channel_user_toplevel_bolt.json": (None, "ignored"),
    "message_deleted_real.json": ("message", "deleted"),
    "message_email_forward_real.json": (None, "ignored"),  # top level
    "message_file_share_real.json": (None, "ignored"),  # top level in a DM
    "message_from_app_bot_no_subtype_bolt.json": (None, "ignored"),
    "message_im_toplevel_real.json": (None, "ignored"),
    "message_replied_docs.json": ("thread", "ignored"),  # the parent's notice, not the reply
    "message_thread_broadcast_bolt.json": ("thread", "appended"),
    "message_thread_reply_channel_bolt.json": ("thread", "appended"),
    "message_thread_reply_im_bolt.json": ("thread", "appended"),
    "url_verification_docs.json": (None, "challenge"),
}

TRACKED_ROOT = "1000000000.000001"


@pytest.fixture(scope="module")
def shared_world() -> Iterator[SlackWorld]:
    with slack_world() as world:
        yield world


@pytest.fixture
def world(shared_world: SlackWorld) -> SlackWorld:
    shared_world.clear()
    return shared_world


def _files() -> list[str]:
    return sorted(p.name for p in CORPUS.glob("*.json")) if CORPUS.is_dir() else []


def _load(name: str) -> dict[str, Any]:
    return json.loads((CORPUS / name).read_text())


def _installation(payload: dict[str, Any], *, bot_user_id: str | None = None) -> LocalInstallation:
    """The service installed in the payload's workspace, as the app that received it."""
    auth = (payload.get("authorizations") or [{}])[0]
    # An authorization with is_bot false is a user token's: that user is a person, not our bot.
    installed_bot = auth.get("user_id") if auth.get("is_bot") else None
    return LocalInstallation(team_id=payload.get("team_id") or "T0NONE", app_id=payload.get("api_app_id") or "A0NONE",
                             bot_user_id=bot_user_id or installed_bot or "U0NOTUS", bot_id="B0NOTUS")


def _snapshot(world: SlackWorld) -> dict[tuple[str, str], dict[str, Any]]:
    return {(i["pk"]["S"], i["sk"]["S"]): i for i in world.items() if not i["pk"]["S"].startswith("SLACKEVT#")}


def _track_thread(world: SlackWorld, team: str, channel: str, thread_ts: str) -> str:
    from sideconv import keys
    from sideconv.store import models
    from sideconv.store.models import SideConversationRefItem

    created = world.start("channel", channel_id=channel if channel[:1] in "CGD" else "C0GENERAL")
    models.bound(Wiring.from_env())
    ref = keys.slack_thread_ref(team, channel, thread_ts)
    SideConversationRefItem(ref, ref, account_id="acme", conversation_id="conv-1",
                            side_conversation_id=created["id"]).save()
    return str(created["id"])


def _record_message(world: SlackWorld, team: str, channel: str, ts: str) -> None:

    _track_thread(world, team, channel, TRACKED_ROOT)
    envelope = {"type": "event_callback", "team_id": team, "event_id": "EvSETUP",
                "event": {"type": "message", "user": "U0BOB", "text": "before", "ts": ts,
                          "thread_ts": TRACKED_ROOT, "channel": channel}}
    assert container_processor().process(envelope) == "appended"


def _target(event: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(channel, thread_ts, ts) the payload is about."""
    inner = event.get("message") or event.get("previous_message") or {}
    thread_ts = event.get("thread_ts") or inner.get("thread_ts")
    ts = event.get("deleted_ts") or inner.get("ts") or event.get("ts")
    return event.get("channel", ""), thread_ts, ts


def _outcome(before: dict, after: dict) -> str:  # type: ignore[type-arg]
    added = [after[k] for k in after.keys() - before.keys()]
    changed = [after[k] for k in after.keys() & before.keys() if after[k] != before[k]
               and after[k]["kind"]["S"] == "message"]
    messages = [i for i in added if i["kind"]["S"] == "message"]
    if messages:
        assert len(messages) == 1, messages
        assert messages[0]["direction"]["S"] == "inbound"
        return "appended"
    if changed:
        [message] = changed
        if message.get("deleted", {}).get("BOOL"):
            return "deleted"
        assert message["edited"]["BOOL"] is True
        return "updated"
    assert added == [], added
    assert changed == [], changed
    return "ignored"


def test_every_corpus_payload_has_an_expected_outcome() -> None:
    assert _files(), "the corpus folder has no Slack payloads"
    assert set(_files()) == set(EXPECTED), set(_files()) ^ set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_payload_outcome(world: SlackWorld, name: str) -> None:
    setup, expected = EXPECTED[name]
    payload = _load(name)
    world.use(_installation(payload))
    if True:
        event = payload.get("event") or {}
        channel, thread_ts, ts = _target(event)
        team = payload.get("team_id", "")
        if setup == "thread":
            assert thread_ts, name
            _track_thread(world, team, channel, thread_ts)
        elif setup == "message":
            assert ts, name
            _record_message(world, team, channel, ts)
        world.drain()
        before = _snapshot(world)
        # When Slack delivers it, signed
        status, answer = world.post_event(payload)
        # Then it is accepted (or answered), and the processor does what is expected
        assert status == 200, answer
        if expected == "challenge":
            assert answer == {"challenge": payload["challenge"]}
            assert world.queued_events() == 0
            return
        assert world.queued_events() == 1
        world.drain()
        assert _outcome(before, _snapshot(world)) == expected


# Payloads placed in a tracked thread (their thread_ts set to a tracked root): what a reply of each
# shape does there.
IN_THREAD: dict[str, tuple[str, dict[str, Any]]] = {
    "message_file_share_real.json": ("appended", {"files": 1}),
    "message_im_toplevel_real.json": ("appended", {}),
    "message_from_app_bot_no_subtype_bolt.json": ("appended", {"bot": True}),  # installed as another app
    "bot_message_subtype_real.json": ("appended", {"bot": True}),
    "message_email_forward_real.json": ("appended", {"bot": True, "files": 1}),
    "message_channel_user_toplevel_bolt.json": ("ignored", {}),  # W111 is the installed bot: an echo
}


@pytest.mark.parametrize("name", sorted(IN_THREAD))
def test_payload_placed_in_a_tracked_thread(world: SlackWorld, name: str) -> None:
    expected, details = IN_THREAD[name]
    payload = copy.deepcopy(_load(name))
    bot_user = "U0NOTUS" if details.get("bot") else None
    world.use(_installation(payload, bot_user_id=bot_user))
    if True:
        event = payload["event"]
        event["thread_ts"] = TRACKED_ROOT
        sc_id = _track_thread(world, payload["team_id"], event["channel"], TRACKED_ROOT)
        world.drain()
        before = _snapshot(world)
        assert world.post_event(payload)[0] == 200
        world.drain()
        assert _outcome(before, _snapshot(world)) == expected
        if expected == "appended":
            [reply] = [m for m in world.get(sc_id)["messages"] if m["direction"] == "inbound"]
            assert reply["bot"] is bool(details.get("bot"))
            assert len(reply["attachments"]) == details.get("files", 0)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_payload_signed_with_another_secret_is_rejected(world: SlackWorld, name: str) -> None:
    payload = _load(name)
    world.use(_installation(payload))
    if True:
        before = _snapshot(world)
        status, _ = world.post_event(payload, secret="someone-elses-secret")
        assert status == 401
        assert _snapshot(world) == before
        assert world.queued_events() == 0


@pytest.mark.parametrize("name", [n for n in sorted(EXPECTED) if n != "url_verification_docs.json"])
def test_payload_for_another_workspace_is_acknowledged_and_dropped(world: SlackWorld, name: str) -> None:
    payload = {**_load(name), "api_app_id": LocalInstallation().app_id}  # our app, signed by it
    world.use(LocalInstallation())  # installed in the local workspace, not the payload's
    if True:
        status, answer = world.post_event(payload)
        # No account holds the payload's workspace: 200 (Slack stops retrying), nothing queued
        assert (status, answer) == (200, {"ok": True})
        assert world.queued_events() == 0
