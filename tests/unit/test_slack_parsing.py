"""What a Slack message event means: pure classification, no I/O."""

from __future__ import annotations

from typing import Any

from sideconv.slack.client import BotIdentity
from sideconv.slack.inbound import message_id_for
from sideconv.slack.parsing import classify

US = BotIdentity(user_id="U0LOCALBOT", bot_id="B0LOCALBOT", app_id="A0LOCALAPP")
ROOT = "1700000000.000100"


def envelope(**event: Any) -> dict[str, Any]:
    base = {"type": "message", "channel": "C1", "user": "U0BOB", "text": "hi", "ts": "1700000050.000200"}
    return {"type": "event_callback", "team_id": "T1", "api_app_id": "A0LOCALAPP", "event_id": "Ev1",
            "event": {**base, **event}}


def test_a_thread_reply_is_appended_with_its_author_and_unescaped_text() -> None:
    action = classify(envelope(thread_ts=ROOT, text="a &lt;b&gt; &amp; c"), US)
    assert (action.kind, action.thread_ts, action.user, action.text) == ("append", ROOT, "U0BOB", "a <b> & c")
    assert action.from_bot is False


def test_top_level_messages_and_thread_roots_are_ignored() -> None:
    assert classify(envelope(), US).kind == "ignore"
    assert classify(envelope(thread_ts="1700000050.000200"), US).kind == "ignore"  # thread_ts == ts: the root


def test_own_posts_are_dropped_by_bot_id_by_user_id_and_by_app_id() -> None:
    assert classify(envelope(thread_ts=ROOT, bot_id="B0LOCALBOT"), US).reason == "the app's own post"
    assert classify(envelope(thread_ts=ROOT, user="U0LOCALBOT"), US).reason == "the app's own post"
    assert classify(envelope(thread_ts=ROOT, bot_id="B0NEW", app_id="A0LOCALAPP"), US).kind == "ignore"


def test_other_apps_are_kept_and_marked_as_bots() -> None:
    action = classify(envelope(thread_ts=ROOT, user="UB1", bot_id="B9", bot_profile={"name": "deploy-bot"}), US)
    assert (action.kind, action.from_bot, action.bot_name) == ("append", True, "deploy-bot")
    classic = classify(envelope(thread_ts=ROOT, subtype="bot_message", user=None, bot_id="B8", username="ci"), US)
    assert (classic.kind, classic.from_bot, classic.bot_name) == ("append", True, "ci")


def test_broadcast_and_file_share_are_replies_but_joins_and_replied_notices_are_not() -> None:
    assert classify(envelope(thread_ts=ROOT, subtype="thread_broadcast"), US).kind == "append"
    shared = classify(envelope(thread_ts=ROOT, subtype="file_share", files=[
        {"id": "F1", "name": "a.txt", "mimetype": "text/plain", "size": 3, "permalink": "https://x/F1"}]), US)
    assert [(f.id, f.name, f.content_type, f.size) for f in shared.files] == [("F1", "a.txt", "text/plain", 3)]
    assert classify(envelope(thread_ts=ROOT, subtype="channel_join"), US).kind == "ignore"
    assert classify(envelope(subtype="message_replied", message={"ts": ROOT, "thread_ts": ROOT}), US).kind == "ignore"


def test_edits_and_deletions() -> None:
    edit = classify(envelope(subtype="message_changed", message={"ts": "1700000050.000200", "thread_ts": ROOT,
                                                                 "user": "U0BOB", "text": "new"}), US)
    assert (edit.kind, edit.ts, edit.text) == ("update", "1700000050.000200", "new")
    root_changed = classify(envelope(subtype="message_changed", message={"ts": ROOT, "thread_ts": ROOT}), US)
    assert root_changed.kind == "ignore"
    own_edit = classify(envelope(subtype="message_changed", message={"ts": "1.2", "thread_ts": ROOT,
                                                                     "bot_id": "B0LOCALBOT"}), US)
    assert own_edit.kind == "ignore"
    deleted = classify(envelope(subtype="message_deleted", deleted_ts="1700000050.000200",
                                previous_message={"ts": "1700000050.000200", "thread_ts": ROOT}), US)
    assert (deleted.kind, deleted.ts) == ("delete", "1700000050.000200")


def test_other_event_types_are_ignored() -> None:
    assert classify({"type": "url_verification", "challenge": "x"}, US).kind == "ignore"
    mention = envelope(thread_ts=ROOT)
    mention["event"]["type"] = "app_mention"
    assert classify(mention, US).kind == "ignore"


def test_message_ids_are_stable_per_message_and_sort_by_slack_time() -> None:
    assert message_id_for("C1", "1700000050.000200") == message_id_for("C1", "1700000050.000200")
    assert message_id_for("C1", "1700000050.000200") != message_id_for("C2", "1700000050.000200")
    assert message_id_for("C1", "1700000050.000200") < message_id_for("C1", "1700000051.000100")


def test_mistyped_fields_are_ignored_not_raised() -> None:
    assert classify(envelope(thread_ts=ROOT, subtype=["x"]), US).kind == "ignore"
    assert classify(envelope(thread_ts="not-a-ts"), US).kind == "ignore"
    assert classify(envelope(thread_ts=ROOT, ts=17), US).kind == "ignore"
    odd = classify(envelope(thread_ts=ROOT, user=[], text={"a": 1}, files=[{"id": "F1", "size": "big"}, 3]), US)
    assert (odd.kind, odd.user, odd.text, [f.size for f in odd.files]) == ("append", None, "", [0])
