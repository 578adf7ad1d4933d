"""Processing: Slack events through the real endpoint, the events queue and the real slack_processor
handler, into the side conversation, with users.info over HTTP to the stand-in."""

from __future__ import annotations

from typing import Any

import pytest

from tests.slack_support import SlackWorld, container_processor, counting_aws_requests, slack_world

pytestmark = pytest.mark.xdist_group("slack")


def _thread(world: SlackWorld, channel: str = "C0ONCALL") -> tuple[str, str]:
    created = world.start("channel", channel_id=channel)
    world.drain()
    return created["id"], world.get(created["id"])["slack"]["thread_ts"]


def _deliver(world: SlackWorld, envelope: dict[str, Any]) -> None:
    status, answer = world.post_event(envelope)
    assert status == 200, answer
    world.drain()


def _inbound(world: SlackWorld, sc_id: str) -> list[dict[str, Any]]:
    return [m for m in world.get(sc_id)["messages"] if m["direction"] == "inbound"]


def test_a_reply_in_the_thread_becomes_an_inbound_message_with_the_authors_name() -> None:
    with slack_world() as world:
        sc_id, thread_ts = _thread(world)
        _deliver(world, world.thread_reply("C0ONCALL", thread_ts, user="U0BOB",
                                           text="Looking: 5 &lt; 6 &amp; 7 &gt; 2"))
        [reply] = _inbound(world, sc_id)
        assert reply["author"] == {"kind": "slack", "id": "U0BOB", "name": "Bob", "email": None}
        assert reply["body"] == "Looking: 5 < 6 & 7 > 2"  # Slack's escaping undone
        assert (reply["edited"], reply["deleted"], reply["bot"]) == (False, False, False)
        summary = world.get(sc_id)
        assert summary["message_count"] == 2
        assert summary["preview_text"] == "Looking: 5 < 6 & 7 > 2"


def test_one_event_delivered_four_times_is_one_message() -> None:
    with slack_world() as world:
        sc_id, thread_ts = _thread(world)
        envelope = world.thread_reply("C0ONCALL", thread_ts)
        for retry in (None, 1, 2, 3):
            assert world.post_event(envelope, retry_num=retry)[0] == 200
        world.drain()
        assert len(_inbound(world, sc_id)) == 1


def test_the_same_reply_under_two_event_ids_is_still_one_message() -> None:
    # A redriven queue message or an event re-sent by Slack with a new id: the message id is the ts.
    with slack_world() as world:
        sc_id, thread_ts = _thread(world)
        first = world.thread_reply("C0ONCALL", thread_ts, ts="1800000000.000200")
        second = world.thread_reply("C0ONCALL", thread_ts, ts="1800000000.000200")
        assert first["event_id"] != second["event_id"]
        _deliver(world, first)
        _deliver(world, second)
        assert len(_inbound(world, sc_id)) == 1
        assert world.get(sc_id)["message_count"] == 2


def test_the_apps_own_echo_is_dropped_by_bot_id_and_by_user_id() -> None:
    with slack_world() as world:
        sc_id, thread_ts = _thread(world)
        bot = world.slack.installation
        # A modern app bot posts with no subtype: bot_id and the bot's user id
        _deliver(world, world.thread_reply("C0ONCALL", thread_ts, user=bot.bot_user_id, bot_id=bot.bot_id))
        # The bot user id alone, and the bot id alone, are each enough
        _deliver(world, world.thread_reply("C0ONCALL", thread_ts, user=bot.bot_user_id))
        _deliver(world, world.thread_reply("C0ONCALL", thread_ts, user="U0SOMEONE", bot_id=bot.bot_id))
        assert _inbound(world, sc_id) == []


def test_another_apps_post_in_the_thread_is_kept_and_marked_as_a_bot() -> None:
    with slack_world() as world:
        sc_id, thread_ts = _thread(world)
        _deliver(world, world.thread_reply("C0ONCALL", thread_ts, user="UB111", bot_id="B999",
                                           text="Deploy finished", bot_profile={"id": "B999", "name": "deploy-bot",
                                                                                "app_id": "A222"}))
        [reply] = _inbound(world, sc_id)
        assert reply["bot"] is True
        assert reply["author"]["name"] == "deploy-bot"


def test_thread_broadcast_counts_as_a_reply() -> None:
    with slack_world() as world:
        sc_id, thread_ts = _thread(world)
        _deliver(world, world.thread_reply("C0ONCALL", thread_ts, subtype="thread_broadcast", text="FYI all"))
        assert [m["body"] for m in _inbound(world, sc_id)] == ["FYI all"]


def test_edits_and_deletions_in_slack_update_the_message() -> None:
    with slack_world() as world:
        sc_id, thread_ts = _thread(world)
        _deliver(world, world.thread_reply("C0ONCALL", thread_ts, ts="1800000001.000100", text="typo"))
        # When the author edits it
        _deliver(world, world.slack.envelope({
            "type": "message", "subtype": "message_changed", "hidden": True, "channel": "C0ONCALL",
            "ts": "1800000002.000100", "event_ts": "1800000002.000100",
            "message": {"type": "message", "user": "U0BOB", "text": "fixed", "ts": "1800000001.000100",
                        "thread_ts": thread_ts, "edited": {"user": "U0BOB", "ts": "1800000002.000100"}},
            "previous_message": {"type": "message", "user": "U0BOB", "text": "typo", "ts": "1800000001.000100"}}))
        [edited] = _inbound(world, sc_id)
        assert (edited["body"], edited["edited"]) == ("fixed", True)
        # When the author deletes it
        _deliver(world, world.slack.envelope({
            "type": "message", "subtype": "message_deleted", "hidden": True, "channel": "C0ONCALL",
            "ts": "1800000003.000100", "deleted_ts": "1800000001.000100", "event_ts": "1800000003.000100",
            "previous_message": {"type": "message", "user": "U0BOB", "text": "fixed", "ts": "1800000001.000100",
                                 "thread_ts": thread_ts}}))
        [deleted] = _inbound(world, sc_id)
        assert (deleted["deleted"], deleted["body"]) == (True, "")


def test_file_share_lists_the_files_on_the_message() -> None:
    with slack_world() as world:
        sc_id, thread_ts = _thread(world)
        _deliver(world, world.thread_reply("C0ONCALL", thread_ts, subtype="file_share", text="logs attached",
                                           files=[{"id": "F01", "name": "app.log", "mimetype": "text/plain",
                                                   "size": 1234, "permalink": "https://x.slack.com/files/F01"}]))
        [reply] = _inbound(world, sc_id)
        assert reply["attachments"] == [{"id": "F01", "name": "app.log", "content_type": "text/plain",
                                         "size": 1234}]


def test_messages_outside_tracked_threads_are_ignored() -> None:
    with slack_world() as world:
        sc_id, thread_ts = _thread(world)
        before = len(world.items())
        # top level in the same channel, a reply in another thread, and a reply in another channel
        _deliver(world, world.slack.envelope({"type": "message", "user": "U0BOB", "text": "hi",
                                              "ts": "1800000005.000100", "channel": "C0ONCALL"}))
        _deliver(world, world.thread_reply("C0ONCALL", "1600000000.000100"))
        _deliver(world, world.thread_reply("C0GENERAL", thread_ts))
        assert _inbound(world, sc_id) == []
        assert len(world.items()) == before + 3  # only the three event ids


def test_a_reply_reopens_a_closed_side_conversation() -> None:
    with slack_world() as world:
        sc_id, thread_ts = _thread(world)
        status, _ = world.api("PATCH", f"/v1/conversations/conv-1/side-conversations/{sc_id}", {"state": "closed"})
        assert status == 200
        _deliver(world, world.thread_reply("C0ONCALL", thread_ts))
        assert world.get(sc_id)["state"] == "open"


def test_a_thread_reply_costs_one_read_and_one_write() -> None:

    with slack_world() as world:
        _, thread_ts = _thread(world)
        envelope = world.thread_reply("C0ONCALL", thread_ts)
        container_processor().process(world.thread_reply("C0ONCALL", thread_ts, ts="1800000009.000001"))  # warm
        with counting_aws_requests() as counter:
            assert container_processor().process(envelope) == "appended"
        assert counter.of("dynamodb") == ["GetItem", "TransactWriteItems"]


def test_author_names_are_cached() -> None:

    with slack_world() as world:
        _, thread_ts = _thread(world)
        for n in range(3):
            container_processor().process(world.thread_reply("C0ONCALL", thread_ts, ts=f"1800000010.00000{n}"))
        assert len(world.slack.calls_of("users.info")) == 1
