"""A copy of each connected workspace's people and channels, for pickers that work by name.

Items live in the account's own partition per workspace (`A#<account>#SLACKDIR#<team>`), so a lookup
names the account by construction and is one Query: `sk begins_with <kind>#<normalised prefix>`.
A person is written under each of their names (display and real), a channel under its name, and each
also under `ID#<id>` (what a create checks, and what a rename reads to drop the old names). Bots and
deactivated people are left out.

The copy is filled by `users.list` and `conversations.list` (every page, Slack's Retry-After honoured
through slack-sdk's rate-limit retry handler), on install and when a lookup finds it older than a day
(queued to the processor: the API never waits on Slack), kept fresh between by Slack's user and
channel events, and every item expires (TTL) a few days after it was last seen, so what Slack no longer
lists drops out.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sideconv import clock, keys, pagination
from sideconv.errors import InvalidRequest
from sideconv.wiring import Wiring, built

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from sideconv.auth import Caller
    from sideconv.store.models import SlackDirectoryItem

ITEM_TTL = timedelta(days=4)
STALE_AFTER = timedelta(days=1)
PAGE = 200
MAX_NAME = 100
# The processor's queue message that asks for a refresh (never from Slack: Slack's event types differ).
REFRESH_TYPE = "atender_directory_refresh"
# Written when a refresh ends: the copy knows every channel the app can see.
FILLED_SK = "FILLED"


def normalise(name: str) -> str:
    """Case- and accent-folded, `#` and spaces collapsed: `Ünal Çelik` and `unal celik` sort together."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(ch for ch in folded if not unicodedata.combining(ch))
    text = text.replace("#", " ").lstrip("@")
    return " ".join(text.split())[:MAX_NAME]


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str  # user | channel
    name: str
    real_name: str | None = None
    avatar_url: str | None = None
    is_private: bool | None = None
    is_member: bool | None = None
    is_shared_externally: bool | None = None


def user_entry(user: dict[str, Any]) -> Entry | None:
    """A person from users.list / user_change; None for bots, apps and deactivated accounts."""
    if not isinstance(user, dict) or user.get("deleted") or user.get("is_bot") or user.get("id") == "USLACKBOT":
        return None
    user_id = user.get("id")
    if not isinstance(user_id, str) or not user_id:
        return None
    raw_profile = user.get("profile")
    profile: dict[str, Any] = raw_profile if isinstance(raw_profile, dict) else {}
    display = profile.get("display_name") or user.get("name") or user_id
    real = profile.get("real_name") or user.get("real_name")
    avatar = profile.get("image_72") or profile.get("image_48") or profile.get("image_192")
    return Entry(user_id, "user", str(display), str(real) if real else None, str(avatar) if avatar else None)


def channel_entry(channel: dict[str, Any]) -> Entry | None:
    """A channel from conversations.list / channel events; None for archived ones and DMs."""
    if not isinstance(channel, dict) or channel.get("is_archived") or channel.get("is_im") or channel.get("is_mpim"):
        return None
    channel_id, name = channel.get("id"), channel.get("name")
    if not isinstance(channel_id, str) or not isinstance(name, str):
        return None
    shared = bool(channel.get("is_ext_shared") or channel.get("is_pending_ext_shared"))
    return Entry(channel_id, "channel", name, is_private=bool(channel.get("is_private")),
                 is_member=bool(channel.get("is_member")), is_shared_externally=shared)


def _sort_keys(entry: Entry) -> list[str]:
    names = {normalise(entry.name)}
    if entry.real_name:
        names.add(normalise(entry.real_name))
    out = [keys.slack_directory_sk(entry.kind, name, entry.id) for name in sorted(names) if name]
    out.append(keys.slack_directory_sk("ID", entry.id, ""))
    return out


class DirectoryStore:
    """Every DynamoDB request of the directory: the lookup (one Query), the channel by id (one
    GetItem), and batch writes of a refresh."""

    def item_of(self, pk: str, sk: str, entry: Entry, now: str) -> SlackDirectoryItem:
        from sideconv.store.models import SlackDirectoryItem

        return SlackDirectoryItem(pk, sk, entry_id=entry.id, entry_kind=entry.kind, name=entry.name,
                                  real_name=entry.real_name, avatar_url=entry.avatar_url, is_private=entry.is_private,
                                  is_member=entry.is_member, is_shared_externally=entry.is_shared_externally,
                                  refreshed_at=now, expires_at=datetime.now(UTC) + ITEM_TTL)

    def put(self, account_id: str, team_id: str, entries: Iterable[Entry], *, replaces: Entry | None = None) -> int:
        """Batch writes of `entries`; `replaces` (the entry as it was, one of them renamed) loses the
        items under its old name in the same batch, so a search on the old name no longer finds it."""
        from sideconv.store.models import SlackDirectoryItem

        pk, now, written = keys.slack_directory_pk(account_id, team_id), clock.now_iso(), 0
        kept: set[str] = set()
        with SlackDirectoryItem.batch_write() as batch:
            for entry in entries:
                for sk in _sort_keys(entry):
                    batch.save(self.item_of(pk, sk, entry, now))
                    kept.add(sk)
                    written += 1
            for sk in sorted(set(_sort_keys(replaces)) - kept if replaces is not None else ()):
                batch.delete(SlackDirectoryItem(pk, sk))
        return written

    def query(self, account_id: str, team_id: str, kind: str, prefix: str, limit: int,
              start: dict[str, Any] | None) -> tuple[list[SlackDirectoryItem], dict[str, Any] | None]:
        from sideconv.store.models import SlackDirectoryItem

        results = SlackDirectoryItem.query(
            keys.slack_directory_pk(account_id, team_id),
            SlackDirectoryItem.sk.startswith(keys.slack_directory_prefix(kind, prefix)),
            limit=limit, last_evaluated_key=start, page_size=limit)
        page = next(results.page_iter, None)
        raw = page.get("Items", []) if page else []
        return [SlackDirectoryItem.from_raw_data(item) for item in raw], results.page_iter.last_evaluated_key

    def channel_and_filled(self, account_id: str, team_id: str, channel_id: str
                           ) -> tuple[SlackDirectoryItem | None, bool]:
        """The channel by id, and whether a refresh has filled the copy: one BatchGetItem."""
        from sideconv.store.models import SlackDirectoryItem

        pk = keys.slack_directory_pk(account_id, team_id)
        wanted = [(pk, keys.slack_directory_sk("ID", channel_id, "")), (pk, FILLED_SK)]
        channel, filled = None, False
        for item in SlackDirectoryItem.batch_get(wanted):
            if item.sk == FILLED_SK:
                filled = True
            elif item.entry_kind == "channel":
                channel = item
        return channel, filled

    def mark_filled(self, account_id: str, team_id: str) -> None:
        pk = keys.slack_directory_pk(account_id, team_id)
        self.item_of(pk, FILLED_SK, Entry(team_id, "meta", ""), clock.now_iso()).save()

    def by_id(self, account_id: str, team_id: str, entry_id: str, kind: str) -> SlackDirectoryItem | None:
        """A person or channel by id (its `ID#` item, written with its names): one GetItem."""
        from sideconv.store.models import SlackDirectoryItem

        try:
            item = SlackDirectoryItem.get(keys.slack_directory_pk(account_id, team_id),
                                          keys.slack_directory_sk("ID", entry_id, ""))
        except SlackDirectoryItem.DoesNotExist:
            return None
        return item if item.entry_kind == kind else None

    def channel(self, account_id: str, team_id: str, channel_id: str) -> SlackDirectoryItem | None:
        return self.by_id(account_id, team_id, channel_id, "channel")


@built
def table_directory(wiring: Wiring) -> DirectoryStore:
    from sideconv.store import models

    models.bound(wiring)
    return DirectoryStore()


def _view(item: SlackDirectoryItem) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item.entry_id, "kind": item.entry_kind, "name": item.name}
    if item.entry_kind == "user":
        out.update(real_name=item.real_name, avatar_url=item.avatar_url)
    else:
        out.update(is_private=bool(item.is_private), is_member=bool(item.is_member),
                   is_shared_externally=bool(item.is_shared_externally))
    return out


def lookup(caller: Caller, store: DirectoryStore, team_id: str | None, kind: str, q: str, limit: int,
           next_token: str | None, secret: str, *, workspaces: Callable[[str], list[str]],
           refresh: Callable[[str, str], None] | None = None) -> dict[str, Any]:
    """GET /v1/slack/directory: one Query in the account's copy of the workspace (a workspace of
    another account is simply empty: the partition names the caller's account). `workspaces`: the
    account's connected teams, asked only when the lookup names none."""
    if team_id is None:
        teams = workspaces(caller.account_id)
        if len(teams) != 1:
            raise InvalidRequest("name the workspace: the account has " + ("none" if not teams else "several"),
                                 field="team_id")
        team_id = teams[0]
    prefix = normalise(q)
    scope = f"slackdir\0{caller.account_id}\0{team_id}\0{kind}\0{prefix}"
    start = pagination.decode(next_token, scope=scope, secret=secret)
    items, last = store.query(caller.account_id, team_id, kind, prefix, limit, start)
    seen: set[str] = set()
    out = []
    for item in items:
        if item.entry_id not in seen:
            seen.add(item.entry_id)
            out.append(_view(item))
    if refresh is not None and _stale(items, prefix):
        refresh(caller.account_id, team_id)
    return {"items": out, "next_token": pagination.encode(last, scope=scope, secret=secret)}


def _stale(items: list[SlackDirectoryItem], prefix: str) -> bool:
    if not items:
        return prefix == ""  # an empty directory: never filled, or expired
    cutoff = (datetime.now(UTC) - STALE_AFTER).strftime("%Y-%m-%dT%H:%M:%S")
    return min(item.refreshed_at for item in items) < cutoff


def postable_channel(wiring: Wiring, account_id: str, team_id: str, channel_id: str) -> SlackDirectoryItem | None:
    """The channel a create names, if the app can post there. Slack lists a private channel only to its
    members, so a channel a filled copy does not know is a private one the app is not in (or none):
    a 409 that says to invite the app. A public channel the app is not in is joined by the sender."""
    from sideconv.errors import Conflict

    channel, filled = table_directory(wiring).channel_and_filled(account_id, team_id, channel_id)
    if channel is None and filled:
        # Private and without the app, or none; or a public channel so new its channel_created has not
        # landed yet: the copy is refilled (at most once a minute), and a retry then joins it.
        _refresh_quietly(wiring, account_id, team_id)
        raise Conflict(f"{channel_id} is a private channel the Atender app is not in, or no channel the app can "
                       "see yet: invite the app to it in Slack (/invite @Atender), then try again (a public "
                       "channel created a moment ago works in a minute)", field="slack.channel_id")
    if channel is not None and channel.is_private and not channel.is_member:
        raise Conflict(f"#{channel.name} is a private channel the Atender app is not in: invite the app to it "
                       "in Slack (/invite @Atender), then try again", field="slack.channel_id")
    return channel


def _refresh_quietly(wiring: Wiring, account_id: str, team_id: str) -> None:
    from sideconv.observability import logger

    try:
        queue_refresh(wiring, account_id, team_id, every_seconds=60, reason="unknown_channel")
    except Exception:  # the refusal stands; the next daily refresh finds the channel
        logger.warning("directory refresh not queued", extra={"team_id": team_id})


# Filling it -------------------------------------------------------------------------------------


def _pages(call: Callable[..., Any], key: str, **params: Any) -> Iterator[dict[str, Any]]:
    cursor: str | None = None
    while True:
        answer = call(limit=PAGE, cursor=cursor, **params)
        yield from answer.get(key) or []
        cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return


def with_rate_limit_retries(client: WebClient, retries: int = 5) -> WebClient:
    """slack-sdk's handler: on a 429 it sleeps for Retry-After and asks again (only where the caller
    can wait: the refresh, never the sender)."""
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    if not any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=retries))
    return client


def refresh(store: DirectoryStore, account_id: str, team_id: str, client: WebClient) -> int:
    """users.list and conversations.list, every page, into the account's copy. Returns items written."""
    people = (user_entry(u) for u in _pages(client.users_list, "members"))
    written = store.put(account_id, team_id, (e for e in people if e is not None))
    channels = (channel_entry(c) for c in _pages(client.conversations_list, "channels",
                                                 types="public_channel,private_channel", exclude_archived=True))
    written += store.put(account_id, team_id, (e for e in channels if e is not None))
    store.mark_filled(account_id, team_id)
    return written


def apply_event(store: DirectoryStore, account_id: str, team_id: str, event: dict[str, Any],
                bot_user_id: str | None) -> bool:
    """Slack's user and channel events keep the copy fresh between refreshes. True: it was one."""
    kind = event.get("type")
    if kind in ("user_change", "team_join"):
        entry = user_entry(event.get("user") or {})
        if entry is not None:
            known_user = store.by_id(account_id, team_id, entry.id, "user") if kind == "user_change" else None
            was = (Entry(known_user.entry_id, "user", known_user.name, known_user.real_name)
                   if known_user is not None else None)
            store.put(account_id, team_id, [entry], replaces=was)
        return True
    if kind in ("channel_created", "channel_rename", "channel_unarchive", "group_rename", "channel_shared",
                "channel_unshared"):
        channel = event.get("channel")
        if isinstance(channel, str):  # channel_shared / channel_unshared name the channel by id only
            channel = {"id": channel}
        if isinstance(channel, dict):
            known = store.channel(account_id, team_id, str(channel.get("id")))
            merged = {"is_member": bool(known and known.is_member), "is_private": bool(known and known.is_private),
                      "is_ext_shared": bool(known and known.is_shared_externally),
                      "name": known.name if known else None, **{k: v for k, v in channel.items() if v is not None}}
            if kind in ("channel_shared", "channel_unshared"):
                merged["is_ext_shared"] = kind == "channel_shared"
            entry = channel_entry(merged)
            if entry is not None:
                was = channel_entry({"id": known.entry_id, "name": known.name}) if known is not None else None
                store.put(account_id, team_id, [entry], replaces=was)
        return True
    if kind == "member_joined_channel" and bot_user_id and event.get("user") == bot_user_id:
        known = store.channel(account_id, team_id, str(event.get("channel")))
        if known is not None:
            store.put(account_id, team_id, [Entry(known.entry_id, "channel", known.name, is_private=known.is_private,
                                                  is_member=True, is_shared_externally=known.is_shared_externally)])
        return True
    return False


@built
def _sqs(wiring: Wiring) -> Any:
    import boto3

    return boto3.client("sqs", region_name=wiring.settings.region)


def queue_refresh(wiring: Wiring, account_id: str, team_id: str, *, every_seconds: int = 300,
                  reason: str = "dir") -> None:
    """Ask the processor to refill the copy: one SendMessage, deduplicated per `reason` within
    `every_seconds` (a create naming a channel the copy lacks asks under its own reason, so the
    refill that came before the channel existed does not swallow it)."""
    import json

    settings = wiring.settings
    if not settings.slack_queue_url:
        raise RuntimeError("SLACK_EVENTS_QUEUE_URL is not set")
    bucket = int(time.time() // every_seconds)
    _sqs(wiring).send_message(
        QueueUrl=settings.slack_queue_url,
        MessageBody=json.dumps({"type": REFRESH_TYPE, "account_id": account_id, "team_id": team_id}),
        MessageGroupId=f"{team_id}:directory", MessageDeduplicationId=f"{reason}:{account_id}:{team_id}:{bucket}"[:128])
