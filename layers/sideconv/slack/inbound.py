"""Processing: a Slack event from the events queue becomes an inbound message, an edit or a deletion.

A thread reply costs 1 read (the thread lookup) and 1 write (summary + message + message lookup in
one transaction). A message's id is derived from its channel and `ts`, so Slack delivering the same
reply twice (retries, or a redriven queue message) writes it once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ulid import ULID

from sideconv import clock, keys
from sideconv.container import keep
from sideconv.observability import logger
from sideconv.slack.client import BotIdentity, bot_identity, web_client
from sideconv.slack.parsing import Action, classify
from sideconv.slack.store import SlackStore
from sideconv.store import models
from sideconv.store.models import AttachmentMap, MessageItem, PersonMap, SideConversationRefItem

if TYPE_CHECKING:
    from slack_sdk import WebClient

NAME_TTL_SECONDS = 3600


def message_id_for(channel: str, ts: str) -> str:
    """A ULID that sorts by the Slack message's time and is the same every time Slack sends it."""
    seconds, _, fraction = ts.partition(".")
    millis = int(seconds) * 1000 + int((fraction + "000")[:3])
    randomness = hashlib.sha256(f"{channel}:{ts}".encode()).digest()[:10]
    return str(ULID.from_bytes(millis.to_bytes(6, "big") + randomness))


@dataclass
class People:
    """Slack user id → display name, through users.info, remembered for an hour per container."""

    client: Callable[[], WebClient]
    ttl: float = NAME_TTL_SECONDS
    now: Callable[[], float] = time.monotonic
    _names: dict[str, tuple[float, str | None]] = field(default_factory=dict)

    def name(self, user_id: str) -> str | None:
        cached = self._names.get(user_id)
        if cached is not None and cached[0] > self.now():
            return cached[1]
        try:
            user = self.client().users_info(user=user_id)["user"]
        except Exception:
            # A name is nice to have; the message is not held back for it (the id is kept).
            logger.warning("users.info failed", extra={"user": user_id})
            return None
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
        self._names[user_id] = (self.now() + self.ttl, name)
        return name


class Processor:
    def __init__(self, store: SlackStore, people: People, identity: Callable[[], BotIdentity]) -> None:
        self._store = store
        self._people = people
        self._identity = identity

    def process(self, envelope: dict[str, Any]) -> str:
        """appended, duplicate, updated, deleted or ignored."""
        action = classify(envelope, self._identity())
        if action.kind == "append":
            return self._append(action)
        if action.kind in ("update", "delete"):
            return self._change(action)
        logger.debug("slack event ignored", extra={"reason": action.reason})
        return "ignored"

    def _append(self, action: Action) -> str:
        assert action.thread_ts is not None
        thread = self._store.lookup(keys.slack_thread_ref(action.team_id, action.channel, action.thread_ts))
        if thread is None:
            return "ignored"  # a thread this service did not start
        name = action.bot_name if action.from_bot else (self._people.name(action.user) if action.user else None)
        now = clock.now_iso()
        message_id = message_id_for(action.channel, action.ts)
        message = MessageItem.new(
            account_id=thread.account_id,
            conversation_id=thread.conversation_id,
            side_conversation_id=thread.side_conversation_id,
            message_id=message_id,
            direction="inbound",
            author=PersonMap(kind="slack", id=action.user, name=name),
            body=action.text,
            created_at=now,
            attachments=[AttachmentMap(id=f.id, name=f.name, content_type=f.content_type, size=f.size,
                                       location=f.permalink) for f in action.files],
            provider_ts=action.ts,
            from_bot=action.from_bot or None,
        )
        ref = keys.slack_message_ref(action.team_id, action.channel, action.ts)
        message_ref = SideConversationRefItem(ref, ref, account_id=thread.account_id,
                                              conversation_id=thread.conversation_id,
                                              side_conversation_id=thread.side_conversation_id)
        preview = action.text or ", ".join(f.name for f in action.files) or "(empty message)"
        if not self._store.append_inbound(message, message_ref, now, preview):
            return "duplicate"
        logger.info("slack reply recorded", extra={"side_conversation_id": thread.side_conversation_id,
                                                   "message_id": message_id})
        return "appended"

    def _change(self, action: Action) -> str:
        ref = self._store.lookup(keys.slack_message_ref(action.team_id, action.channel, action.ts))
        if ref is None:
            return "ignored"  # not a message this service recorded
        pk = keys.conversation_pk(ref.account_id, ref.conversation_id)
        sk = keys.message_sk(ref.side_conversation_id, message_id_for(action.channel, action.ts))
        if action.kind == "update":
            return "updated" if self._store.edit_inbound(pk, sk, action.text, clock.now_iso()) else "ignored"
        return "deleted" if self._store.delete_inbound(pk, sk) else "ignored"


@keep
@lru_cache(maxsize=1)
def processor() -> Processor:
    return Processor(models.open_configured(SlackStore), People(web_client), bot_identity)
