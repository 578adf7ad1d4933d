"""What a Slack `message` event means for a side conversation. Pure: no I/O, no clock.

Slack sends every message of every conversation the app can see; only replies in a thread this
service started matter. The event shapes, from the Events API and the corpus:
- a reply: no subtype (or `thread_broadcast`, `file_share`, `bot_message`, `me_message`), with
  `thread_ts` set and different from `ts` (the `message_replied` subtype is often missing, so the
  thread is recognised by its timestamps, never by the subtype);
- `message_changed`: the new message under `message`; `message_deleted`: `deleted_ts` and
  `previous_message`;
- the app's own posts come back too: modern app bots post with no subtype, so they are recognised
  by `bot_id` and by the bot's user id, not by `subtype == bot_message`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from sideconv.slack.client import BotIdentity
from sideconv.slack.formatting import unescape

ActionKind = Literal["append", "update", "delete", "ignore"]
_TS = re.compile(r"^[0-9]{1,12}\.[0-9]{1,9}$")

# Subtypes that carry a new message a person (or another app) wrote.
_NEW_MESSAGE_SUBTYPES = {None, "thread_broadcast", "file_share", "bot_message", "me_message"}


@dataclass(frozen=True)
class SlackFile:
    id: str
    name: str
    content_type: str
    size: int
    permalink: str | None


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    reason: str
    team_id: str = ""
    channel: str = ""
    ts: str = ""
    thread_ts: str | None = None
    user: str | None = None
    bot_name: str | None = None
    from_bot: bool = False
    text: str = ""
    files: tuple[SlackFile, ...] = field(default_factory=tuple)
    # The author's own workspace, when Slack says (`user_team`): another organisation's in Slack Connect.
    user_team: str | None = None


def _ignore(reason: str) -> Action:
    return Action("ignore", reason)


# Events are JSON from outside: every field is read with its type checked, so a mistyped one is
# ignored (or makes the event ignored), never stored and never an exception that blocks the queue.
def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _ts(value: Any) -> str | None:
    """A Slack timestamp ("1700000000.000100"): it becomes part of keys and of a message id."""
    return value if isinstance(value, str) and _TS.match(value) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(0, value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0


def is_own(message: dict[str, Any], identity: BotIdentity) -> bool:
    """The app's own post (its echo): by bot id, by the bot's user id, or by the app id."""
    bot_id = _str(message.get("bot_id"))
    if bot_id and identity.bot_id and bot_id == identity.bot_id:
        return True
    if identity.user_id and _str(message.get("user")) == identity.user_id:
        return True
    app_id = _str(message.get("app_id")) or _str(_dict(message.get("bot_profile")).get("app_id"))
    return bool(bot_id and identity.app_id and app_id == identity.app_id)


def _files(message: dict[str, Any]) -> tuple[SlackFile, ...]:
    files = message.get("files")
    out = []
    for item in files if isinstance(files, list) else []:
        file_id = _str(_dict(item).get("id"))
        if file_id is None:
            continue
        out.append(SlackFile(
            id=file_id,
            name=_str(item.get("name")) or _str(item.get("title")) or file_id,
            content_type=_str(item.get("mimetype")) or "application/octet-stream",
            size=_int(item.get("size")),
            permalink=_str(item.get("permalink")),
        ))
    return tuple(out)


def _text(message: dict[str, Any]) -> str:
    return unescape(_str(message.get("text")) or "")


def _is_reply(message: dict[str, Any]) -> bool:
    thread_ts, ts = _ts(message.get("thread_ts")), _ts(message.get("ts"))
    return bool(thread_ts and ts) and thread_ts != ts


def classify(envelope: dict[str, Any], identity: BotIdentity) -> Action:
    if envelope.get("type") != "event_callback":
        return _ignore("not an event callback")
    event = _dict(envelope.get("event"))
    if event.get("type") != "message":
        return _ignore("not a message event")
    team_id = _str(envelope.get("team_id"))
    channel = _str(event.get("channel"))
    if team_id is None or channel is None:
        return _ignore("no team or channel")
    subtype = event.get("subtype")

    if subtype == "message_changed":
        message = _dict(event.get("message"))
        ts = _ts(message.get("ts"))
        if ts is None:
            return _ignore("message_changed without a message")
        if _str(message.get("thread_ts")) and not _is_reply(message):
            return _ignore("a thread's root changed")
        if is_own(message, identity):
            return _ignore("the app's own post changed")
        return Action("update", "edited", team_id=team_id, channel=channel, ts=ts,
                      thread_ts=_ts(message.get("thread_ts")), user=_str(message.get("user")),
                      text=_text(message), files=_files(message))

    if subtype == "message_deleted":
        previous = _dict(event.get("previous_message"))
        deleted_ts = _ts(event.get("deleted_ts")) or _ts(previous.get("ts"))
        if deleted_ts is None:
            return _ignore("message_deleted without deleted_ts")
        return Action("delete", "deleted", team_id=team_id, channel=channel, ts=deleted_ts,
                      thread_ts=_ts(previous.get("thread_ts")))

    if not (subtype is None or isinstance(subtype, str)) or subtype not in _NEW_MESSAGE_SUBTYPES:
        return _ignore(f"subtype {subtype!r} is not a new message")
    if not _is_reply(event):
        return _ignore("not a thread reply")
    if is_own(event, identity):
        return _ignore("the app's own post")
    from_bot = bool(_str(event.get("bot_id"))) or subtype == "bot_message"
    bot_name = None
    if from_bot:
        bot_name = _str(event.get("username")) or _str(_dict(event.get("bot_profile")).get("name"))
    return Action("append", "thread reply", team_id=team_id, channel=channel, ts=str(event["ts"]),
                  thread_ts=str(event["thread_ts"]), user=_str(event.get("user")), bot_name=bot_name,
                  from_bot=from_bot, text=_text(event), files=_files(event), user_team=_str(event.get("user_team")))
