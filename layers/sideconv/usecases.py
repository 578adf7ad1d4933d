"""What the API does, one function per operation. Plain values and the request models
(`sideconv.requests`) in; domain results out (`sideconv.results`: the view and whether it was found,
changed or created), which the API alone turns into HTTP. Writes go through the store's methods, named
for what they do; no status code and no PynamoDB expression here."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sideconv import channels, clock, follow_up_settings, follow_ups, keys, pagination, views
from sideconv.auth import Caller
from sideconv.errors import IdempotencyKeyReused, InvalidRequest, NotFound
from sideconv.requests import (
    CreateMessage,
    MarkRead,
    UpdateSideConversation,
)
from sideconv.results import Changed, Created, Found
from sideconv.store import activity
from sideconv.store.models import (
    DeliveryMap,
    MessageItem,
    PersonMap,
    SideConversationItem,
)
from sideconv.store.repository import Idempotency, IdempotentReplay, Page, SideConversationStore

IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Context:
    store: SideConversationStore
    caller: Caller
    conversation_id: str
    token_secret: str
    inbound_domain: str
    # An account's follow-up defaults as a create takes them (sideconv.follow_up_settings.for_create,
    # with the container's cache).
    follow_up_defaults: Callable[[str], follow_up_settings.Settings]
    # (account, requested `from`) → the sender (sideconv.email.senders.From); None: the shared address.
    choose_sender: Callable[[str, str | None], Any] | None = None
    # Outbound attachments' S3 side (sideconv.uploads), built on the first request that names a file.
    uploads: Callable[[], Any] | None = None
    # Which Slack workspace a new Slack side conversation goes to (sideconv.slack.targets.choose).
    slack_workspace: Callable[[str, str | None, str | None], Any] | None = None

    @property
    def pk(self) -> str:
        try:
            return keys.conversation_pk(self.caller.account_id, self.conversation_id)
        except ValueError as exc:
            raise InvalidRequest(str(exc), field="conversation_id") from exc


def _agent(caller: Caller, role: str | None = None) -> PersonMap:
    return PersonMap(kind="agent", role=role, id=caller.agent_id, name=caller.name, email=caller.email)


def _request_hash(operation: str, payload: dict[str, Any]) -> str:
    canonical = json.dumps([operation, payload], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _idempotency(ctx: Context, operation: str, key: str | None, payload: dict[str, Any],
                 result: Created) -> Idempotency | None:
    if key is None:
        return None
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return Idempotency(
        ctx.pk,
        keys.idempotency_sk(ctx.caller.agent_id, operation, digest),
        request_hash=_request_hash(operation, payload),
        view=result.view,
        expires_at=clock.epoch_after(IDEMPOTENCY_WINDOW_SECONDS),
    )


def _replay(replay: IdempotentReplay, expected: Idempotency) -> Created:
    """The first result again: what the first request with this key created, as it answered then."""
    record = replay.record
    if record is None:
        # Lost a race with a request still in flight, or the record just expired: ask to retry.
        raise IdempotencyKeyReused("a request with this Idempotency-Key is in progress; retry")
    if record.request_hash != expected.request_hash:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used with a different request", field="idempotency-key"
        )
    return Created(json.loads(record.response))


def _outbound_message(ctx: Context, side_conversation_id: str, body: str, now: str,
                      request: Any = None) -> MessageItem:
    from sideconv import outgoing

    extras = outgoing.extras(request, pk=ctx.pk, channel=keys.channel_of(side_conversation_id),
                             uploads=ctx.uploads)
    message_id = clock.new_id()
    return MessageItem.new(
        account_id=ctx.caller.account_id,
        conversation_id=ctx.conversation_id,
        side_conversation_id=side_conversation_id,
        message_id=message_id,
        direction="outbound",
        author=_agent(ctx.caller),
        body=body,
        created_at=now,
        delivery=DeliveryMap(status="pending", updated_at=now, attempts=0),
        # On the pending index until a sender (or the re-drive) records the outcome.
        gsi2pk=keys.pending_pk(keys.channel_of(side_conversation_id)),
        gsi2sk=keys.pending_sk(now, message_id),
        **extras,
    )


def create_side_conversation(
    ctx: Context,
    request: Any,
    idempotency_key: str | None,
) -> Created:
    """`request` is the channel's create model (sideconv.channels: `Channel.request_model`)."""
    pk = ctx.pk
    now = clock.now_iso()
    channel = channels.get(request.channel)
    side_conversation_id = f"{channel.id_prefix}-{clock.new_id()}"
    summary = SideConversationItem(
        pk,
        keys.side_conversation_sk(side_conversation_id),
        id=side_conversation_id,
        account_id=ctx.caller.account_id,
        conversation_id=ctx.conversation_id,
        channel=request.channel,
        subject=request.subject,
        state="open",
        preview_text=activity.preview(request.body),
        message_count=1,
        created_by=_agent(ctx.caller),
        created_at=now,
        updated_at=now,
        last_message_at=now,
        external_ids=dict(request.external_ids or {}),
        version=1,
        lsi1sk=keys.by_activity_sk("open", now, side_conversation_id),
        gsi1pk=keys.inbox_pk(ctx.caller.account_id, ctx.caller.agent_id),
        gsi1sk=keys.inbox_sk(activity.WAITING_ON[activity.OUTBOUND], now, side_conversation_id),
        last_direction=activity.OUTBOUND,
        waiting_since=now,
        inbound_count=0,
        read_counts={},
        read_messages={},
    )
    # The channel's own checks, people and fields (sideconv.<channel>.create), and its lookups.
    lookups = channel.start(ctx, request, summary)
    summary.participants.insert(0, _agent(ctx.caller, role="creator"))
    defaults = ctx.follow_up_defaults(ctx.caller.account_id)
    for name, value in follow_ups.create_attributes(request, now, defaults).items():
        setattr(summary, name, value)

    first = _outbound_message(ctx, side_conversation_id, request.body, now, request)
    body = views.side_conversation(summary, viewer=ctx.caller.agent_id)
    body["messages"] = [views.message(first)]
    result = Created(body)
    idempotency = _idempotency(ctx, "create", idempotency_key, request.model_dump(mode="json"), result)
    try:
        ctx.store.create_side_conversation(summary, first, lookups, idempotency)
    except IdempotentReplay as replay:
        assert idempotency is not None
        return _replay(replay, idempotency)
    return result


def reply(ctx: Context, side_conversation_id: str, request: CreateMessage,
          idempotency_key: str | None) -> Created:
    _ = ctx.pk
    _require_id_shape(side_conversation_id)
    now = clock.now_iso()
    message = _outbound_message(ctx, side_conversation_id, request.body, now, request)
    result = Created(views.message(message))
    payload = {"side_conversation_id": side_conversation_id, **request.model_dump(mode="json")}
    idempotency = _idempotency(ctx, "reply", idempotency_key, payload, result)
    try:
        # A reply to a closed side conversation reopens it.
        ctx.store.append_outbound(message, idempotency)
    except IdempotentReplay as replay:
        assert idempotency is not None
        return _replay(replay, idempotency)
    return result


def _require_id_shape(side_conversation_id: str) -> None:
    # An id no side conversation can have is answered like an unknown one, before any request.
    if not keys.SIDE_CONVERSATION_ID.match(side_conversation_id):
        raise NotFound("side conversation not found")


def _summaries(ctx: Context, page: Page, scope: str) -> Found:
    """A page of side conversations as the caller sees them, with the token for the next page."""
    return Found({
        "items": [views.side_conversation(item, viewer=ctx.caller.agent_id) for item in page.items],
        "next_token": pagination.encode(page.last_key, scope=scope, secret=ctx.token_secret),
    })


def list_side_conversations(ctx: Context, state: str | None, limit: int, next_token: str | None) -> Found:
    pk = ctx.pk
    scope = f"list\0{pk}\0{state or ''}"
    start = pagination.decode(next_token, scope=scope, secret=ctx.token_secret)
    return _summaries(ctx, ctx.store.list_side_conversations(pk, state, limit, start), scope)


def get_side_conversation(ctx: Context, side_conversation_id: str, limit: int,
                          next_token: str | None) -> Found:
    pk = ctx.pk
    _require_id_shape(side_conversation_id)
    scope = f"messages\0{pk}\0{side_conversation_id}"
    start = pagination.decode(next_token, scope=scope, secret=ctx.token_secret)
    if start is None:
        summary, page = ctx.store.side_conversation_with_messages(pk, side_conversation_id, limit)
    else:
        summary = ctx.store.get_side_conversation(pk, side_conversation_id)
        page = ctx.store.messages_page(pk, side_conversation_id, limit, start)
    body = views.side_conversation(summary, viewer=ctx.caller.agent_id)
    body["messages"] = [views.message(m) for m in page.items]
    body["next_token"] = pagination.encode(page.last_key, scope=scope, secret=ctx.token_secret)
    return Found(body)


def update_side_conversation(ctx: Context, side_conversation_id: str,
                             request: UpdateSideConversation) -> Changed:
    pk = ctx.pk
    _require_id_shape(side_conversation_id)
    if request.state is None and request.subject is None and not {"follow_up", "nudge"} & request.model_fields_set:
        raise InvalidRequest("give state, subject, follow_up or nudge", field="state")
    now = clock.now_iso()
    changes: dict[str, Any] = {"updated_at": now}
    if request.state is not None:
        changes |= {"state": request.state,
                    "lsi1sk": keys.by_activity_sk(request.state, now, side_conversation_id)}
    if request.subject is not None:
        changes["subject"] = request.subject
    changes |= follow_ups.update_changes(request, now)
    item = ctx.store.update_side_conversation(pk, side_conversation_id, changes)
    return Changed(views.side_conversation(item, viewer=ctx.caller.agent_id))


def mark_read(ctx: Context, side_conversation_id: str, request: MarkRead) -> Changed:
    """Record that the calling agent has read up to `message_id`: one UpdateItem that copies the
    summary's inbound count into the agent's marker, so there is no read-modify-write race. It is
    refused (Conflict) when an inbound message newer than `message_id` exists: that one is still unread."""
    pk = ctx.pk
    _require_id_shape(side_conversation_id)
    item = ctx.store.mark_read(pk, side_conversation_id, ctx.caller.agent_id, request.message_id)
    return Changed(views.side_conversation(item, viewer=ctx.caller.agent_id))


def inbox(ctx: Context, waiting_on: str, limit: int, next_token: str | None) -> Found:
    """The calling agent's side conversations, across conversations, waiting on `waiting_on`."""
    pk = keys.inbox_pk(ctx.caller.account_id, ctx.caller.agent_id)
    scope = f"inbox\0{pk}\0{waiting_on}"
    start = pagination.decode(next_token, scope=scope, secret=ctx.token_secret)
    return _summaries(ctx, ctx.store.inbox(pk, waiting_on, limit, start), scope)
