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
from typing import TYPE_CHECKING, Any

from ulid import ULID

from sideconv import clock, keys
from sideconv.observability import logger
from sideconv.slack import directory
from sideconv.slack.client import BotIdentity, bot_identity, web_client
from sideconv.slack.directory import REFRESH_TYPE, DirectoryStore
from sideconv.slack.events_endpoint import ACCOUNT_FIELD
from sideconv.slack.parsing import Action, classify
from sideconv.slack.store import SlackStore
from sideconv.slack.workspaces import Disconnected, Workspace, Workspaces
from sideconv.store import models
from sideconv.store.models import AttachmentMap, MessageItem, PersonMap, SideConversationRefItem
from sideconv.wiring import Wiring, built

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

    def name(self, user_id: str, client: WebClient | None = None, team_id: str = "") -> str | None:
        """`client`: the workspace's own (an account's installation); else the environment's."""
        key = f"{team_id}:{user_id}"
        cached = self._names.get(key)
        if cached is not None and cached[0] > self.now():
            return cached[1]
        try:
            user = (client or self.client()).users_info(user=user_id)["user"]
        except Exception:
            # A name is nice to have; the message is not held back for it (the id is kept).
            logger.warning("users.info failed", extra={"user": user_id})
            return None
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
        self._names[key] = (self.now() + self.ttl, name)
        return name


# Slack events that mean the app lost the workspace: its installation turns `revoked`.
_LOST = ("app_uninstalled", "tokens_revoked")


class Processor:
    def __init__(self, store: SlackStore, people: People, identity: Callable[[], BotIdentity],
                 workspaces: Workspaces | None = None, directory: DirectoryStore | None = None) -> None:
        self._store = store
        self._people = people
        self._identity = identity
        self._workspaces = workspaces
        self._directory = directory

    def process(self, envelope: dict[str, Any]) -> str:
        """appended, duplicate, updated, deleted, revoked, refreshed, directory or ignored."""
        if envelope.get("type") == REFRESH_TYPE:
            return self._refresh(envelope)
        # Set by the events endpoint from the workspace's installation (never Slack's to say).
        account_id = envelope.get(ACCOUNT_FIELD)
        workspace = None
        if isinstance(account_id, str) and self._workspaces is not None:
            team_id = str(envelope.get("team_id") or "")
            raw_event = envelope.get("event")
            event: dict[str, Any] = raw_event if isinstance(raw_event, dict) else {}
            if event.get("type") in _LOST:
                return self._lost(account_id, team_id, envelope, event)
            try:
                workspace = self._workspaces.get(account_id, team_id)
            except Disconnected:
                return "ignored"  # uninstalled since: nothing of it is recorded any more
            if self._directory is not None and event.get("type") != "message" and directory.apply_event(
                    self._directory, account_id, team_id, event, workspace.bot_user_id):
                return "directory"
            identity = BotIdentity(user_id=workspace.bot_user_id, bot_id=workspace.bot_id, app_id=workspace.app_id)
        else:
            account_id = None
            identity = self._identity()
        action = classify(envelope, identity)
        if action.kind == "append":
            return self._append(action, account_id, workspace)
        if action.kind in ("update", "delete"):
            return self._change(action, account_id)
        logger.debug("slack event ignored", extra={"reason": action.reason})
        return "ignored"

    def _lost(self, account_id: str, team_id: str, envelope: dict[str, Any], event: dict[str, Any]) -> str:
        if event.get("type") == "tokens_revoked":
            raw_tokens = event.get("tokens")
            tokens: dict[str, Any] = raw_tokens if isinstance(raw_tokens, dict) else {}
            if not tokens.get("bot"):
                return "ignored"  # only user tokens went: the bot still works
        assert self._workspaces is not None
        store = self._workspaces.store(account_id)
        enterprise = envelope.get("enterprise_id") if isinstance(envelope.get("enterprise_id"), str) else None
        revoked = store.mark_revoked(team_id, enterprise)
        self._workspaces.forget(account_id, team_id)
        logger.info("slack workspace revoked", extra={"account_id": account_id, "team_id": team_id,
                                                      "event": event.get("type")})
        return "revoked" if revoked else "ignored"

    def _refresh(self, request: dict[str, Any]) -> str:
        account_id, team_id = str(request.get("account_id") or ""), str(request.get("team_id") or "")
        if self._workspaces is None or self._directory is None:
            return "ignored"
        try:
            workspace = self._workspaces.get(account_id, team_id)
        except Disconnected:
            return "ignored"
        written = directory.refresh(self._directory, account_id, team_id,
                                    directory.with_rate_limit_retries(workspace.client))
        logger.info("slack directory refreshed", extra={"team_id": team_id, "items": written})
        return "refreshed"

    def _append(self, action: Action, account_id: str | None = None, workspace: Workspace | None = None) -> str:
        assert action.thread_ts is not None
        thread = self._store.lookup(keys.slack_thread_ref(action.team_id, action.channel, action.thread_ts,
                                                          account_id))
        if thread is None or (account_id is not None and thread.account_id != account_id):
            return "ignored"  # a thread this service did not start (in this account)
        client = workspace.client if workspace is not None else None
        name = action.bot_name if action.from_bot else (
            self._people.name(action.user, client, action.team_id) if action.user else None)
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
            # Slack Connect: the author's own workspace is not the installing one.
            external=bool(action.user_team and action.user_team != action.team_id) or None,
        )
        ref = keys.slack_message_ref(action.team_id, action.channel, action.ts, account_id)
        message_ref = SideConversationRefItem(ref, ref, account_id=thread.account_id,
                                              conversation_id=thread.conversation_id,
                                              side_conversation_id=thread.side_conversation_id)
        preview = action.text or ", ".join(f.name for f in action.files) or "(empty message)"
        if not self._store.append_inbound(message, message_ref, now, preview):
            return "duplicate"
        logger.info("slack reply recorded", extra={"side_conversation_id": thread.side_conversation_id,
                                                   "message_id": message_id})
        return "appended"

    def _change(self, action: Action, account_id: str | None = None) -> str:
        ref = self._store.lookup(keys.slack_message_ref(action.team_id, action.channel, action.ts, account_id))
        if ref is None or (account_id is not None and ref.account_id != account_id):
            return "ignored"  # not a message this service recorded
        pk = keys.conversation_pk(ref.account_id, ref.conversation_id)
        sk = keys.message_sk(ref.side_conversation_id, message_id_for(action.channel, action.ts))
        if action.kind == "update":
            return "updated" if self._store.edit_inbound(pk, sk, action.text, clock.now_iso()) else "ignored"
        return "deleted" if self._store.delete_inbound(pk, sk) else "ignored"


@built
def processor(wiring: Wiring) -> Processor:
    """The container's processor: its store, clients and the names it remembers live as long as it does."""
    from sideconv.slack.workspaces import workspaces

    return Processor(models.open_store(wiring, SlackStore), People(lambda: web_client(wiring)),
                     lambda: bot_identity(wiring), workspaces(wiring), directory.table_directory(wiring))
