"""Side conversations written straight into embedded DynamoDB: `make dev SEED=1000` and bench group 8.

Each side conversation is made by the API's own use case (`usecases.create_side_conversation`) with a
store that keeps the items instead of writing them, so summaries, first messages and lookups are
shaped exactly as the API writes them. The rest of its history is what the senders and ingest would
have added: outbound messages `sent`, replies from the other side (email or Slack), read or unread
by the agent, some side conversations closed. Times go back over the last weeks, oldest first.

The items go straight into embedded DynamoDB's table (what a BatchWriteItem stores, without its
per-attribute size check, which costs 2 ms an item) and not on its stream: seeded history was there
before the stack started, so no pipe relays it and no mail or Slack post goes out for it. Hold the
stack's lock while seeding a running stack.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ACCOUNT = "acme"
DEMO_CONVERSATION = "demo-1042"  # the conversation the panel's demo page opens (panel/js/demo.js)
AGENTS = (("agent-1", "Dana Agent"), ("agent-2", "Sam Agent"))
VENDORS = (("finance@vendor.example", "Finance Team"), ("billing@carrier.example", "Billing Desk"),
           ("ops@warehouse.example", "Warehouse Ops"), ("legal@partner.example", "Legal"))
# The Slack stand-in's channels and people (local/slack_api.py), so a seeded thread names real ones.
SLACK_CHANNELS = ("C0ONCALL", "C0BILLING", "C0GENERAL")
SLACK_PEOPLE = (("U0ALICE", "Alice Engineer"), ("U0BOB", "Bob Oncall"), ("U0CAROL", "Carol Billing"))
SUBJECTS = ("Refund approval for order {n}", "Carrier lost parcel {n}", "Invoice {n} charged twice",
            "Address change for order {n}", "Checkout 500s on order {n}", "Warranty claim {n}")
REPLIES = ("Approved, go ahead with the refund.", "We are looking into it and will get back today.",
           "Can you send the order number and the customer's address?", "Done: the credit note is attached.",
           "The fix is deployed, please check again.", "Not on our side, the carrier has it now.")
SECONDS_BACK = 30 * 24 * 3600  # seeded activity spreads over the last 30 days


@dataclass
class Seeded:
    side_conversations: int
    messages: int
    items: int
    seconds: float
    ids: list[tuple[str, str]]  # (conversation, side conversation) of each, in creation order


class _Keeper:
    """The store the create use case writes to: it keeps the items."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def create_side_conversation(self, summary: Any, first: Any, lookups: Any, idempotency: Any) -> None:
        self.items = [summary, first, *lookups]


@contextmanager
def _clock_at(holder: list[float]) -> Iterator[None]:
    """`sideconv.clock` tells the time in `holder[0]` (seeded history is in the past)."""
    from sideconv import clock
    from ulid import ULID

    saved = clock.now_iso, clock.new_id
    clock.now_iso = lambda: _iso(holder[0])
    clock.new_id = lambda: str(ULID.from_timestamp(holder[0]))
    try:
        yield
    finally:
        clock.now_iso, clock.new_id = saved


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _writer(table_name: str, region: str) -> Any:
    """Stores serialized items in the embedded table as PutItem would, and only there (no stream)."""
    import moto
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from sideconv import keys

    from local.moto_dynamodb import check_version

    check_version(moto.__version__)  # moto's table internals, as the transactions patch knows them
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables[table_name]

    def put(attrs: dict[str, Any]) -> None:
        hash_key, range_key = DynamoType(attrs[keys.PK]), DynamoType(attrs[keys.SK])
        item = Item(hash_key, range_key, {})
        item.attrs = LimitedSizeDict({name: DynamoType(value) for name, value in attrs.items()})
        table.items[hash_key][range_key] = item

    return put


def conversation_of(n: int, per_conversation: int = 3) -> str:
    """Where the n-th side conversation lives: the demo conversation gets the first dozen, the others
    a few each, as a helpdesk's conversations do."""
    return DEMO_CONVERSATION if n < 12 else f"demo-{1043 + (n - 12) // per_conversation}"


def side_conversation(n: int, rng: random.Random, at: list[float], secret: str, inbound_domain: str,
                      conversation_id: str, messages: int) -> tuple[list[dict[str, Any]], str]:
    """The items (serialized) of one seeded side conversation with `messages` messages in all; and its id."""
    from sideconv import follow_up_settings, keys, usecases
    from sideconv.auth import Caller
    from sideconv.email.api_models import CreateEmailSideConversation
    from sideconv.slack import targets
    from sideconv.slack.api_models import CreateSlackSideConversation
    from sideconv.store import activity
    from sideconv.store.models import MessageItem, PersonMap, SideConversationRefItem

    from local.slack_api import LocalInstallation

    agent_id, agent_name = AGENTS[n % len(AGENTS)]
    caller = Caller(agent_id, ACCOUNT, "agent", agent_name, f"{agent_id}@{ACCOUNT}.example")
    keeper = _Keeper()
    team = LocalInstallation()
    # The demo account's own workspace (make dev connects acme to the stand-in's first workspace).
    chosen = targets.Chosen(team.team_id, team.team, False, "account")
    ctx = usecases.Context(keeper, caller, conversation_id, secret, inbound_domain,  # type: ignore[arg-type]
                           slack_workspace=lambda *_: chosen,
                           follow_up_defaults=lambda _: follow_up_settings.Settings())  # a new account: none
    subject = SUBJECTS[n % len(SUBJECTS)].format(n=1000 + n)
    body = f"Hi, about {subject.lower()}: can you have a look? The customer is waiting on us."
    email = n % 3 != 2  # two in three by mail, one in three in Slack
    vendor = VENDORS[n % len(VENDORS)]
    request: Any
    if email:
        request = CreateEmailSideConversation.model_validate({
            "channel": "email", "subject": subject, "body": body, "to": [{"email": vendor[0], "name": vendor[1]}]})
    else:
        request = CreateSlackSideConversation.model_validate({
            "channel": "slack", "subject": subject, "body": body,
            "slack": {"target": "channel", "channel_id": SLACK_CHANNELS[n % 3]}})
    usecases.create_side_conversation(ctx, request, None)
    summary, first, *lookups = keeper.items
    side_id = summary.id
    thread_ts = f"{int(at[0])}.{n % 1_000_000:06d}"
    _sent(first, email, thread_ts)
    if not email:
        team_id = team.team_id
        summary.slack.thread_ts, summary.slack.team_id = thread_ts, team_id
        ref = keys.slack_thread_ref(team_id, summary.slack.channel_id, thread_ts, ACCOUNT)
        lookups.append(SideConversationRefItem(ref, ref, account_id=ACCOUNT, conversation_id=conversation_id,
                                               side_conversation_id=side_id))
    items = [item.serialize() for item in (first, *lookups)]
    # Later messages are copies of one real item per direction with their own id, time and text
    # (building and serializing a PynamoDB model for each would take most of the seeding time).
    inbound_author = (PersonMap(kind="email", email=vendor[0], name=vendor[1]) if email
                      else PersonMap(kind="slack", id=SLACK_PEOPLE[n % 3][0], name=SLACK_PEOPLE[n % 3][1]))
    inbound_template = MessageItem.new(
        account_id=ACCOUNT, conversation_id=conversation_id, side_conversation_id=side_id, message_id=first.id,
        direction="inbound", author=inbound_author, body="", created_at=first.created_at, attachments=[]).serialize()
    outbound_template = items[0]
    last = (first.id, first.created_at, body, activity.OUTBOUND)
    # Hours apart, but the thread ends before now: seeded history never looks newer than what a user does.
    gap = min(6 * 3600.0, max(time.time() - at[0], 0.0) / max(messages, 1))
    for m in range(1, messages):
        at[0] += rng.uniform(gap / 100, gap)
        now, message_id = _iso(at[0]), usecases.clock.new_id()
        inbound = m % 2 == 1  # the other side answers, the agent writes back, ...
        text = REPLIES[(n + m) % len(REPLIES)]
        message = {**(inbound_template if inbound else outbound_template),
                   "sk": {"S": keys.message_sk(side_id, message_id)}, "id": {"S": message_id},
                   "body": {"S": text}, "created_at": {"S": now}}
        if inbound:
            summary.inbound_count += 1
            summary.last_inbound_id = message_id
        else:
            delivery = dict(outbound_template["delivery"]["M"])
            delivery["updated_at"] = {"S": now}
            delivery["provider_id"] = {"S": f"{message_id.lower()}-ses" if email else f"{int(at[0])}.{m:06d}"}
            message["delivery"] = {"M": delivery}
        items.append(message)
        last = (message_id, now, text, activity.INBOUND if inbound else activity.OUTBOUND)
    # What sideconv.store.activity's UpdateItem for each new message leaves on the summary.
    _, now, text, direction = last
    summary.message_count = messages
    summary.version = messages
    summary.preview_text = activity.preview(text)
    summary.last_message_at = summary.updated_at = summary.waiting_since = now
    summary.lsi1sk = keys.by_activity_sk("open", now, side_id)
    summary.last_direction = direction
    summary.gsi1sk = keys.inbox_sk(activity.WAITING_ON[direction], now, side_id)
    if summary.inbound_count and rng.random() < 0.6:  # most answers were read; the rest are unread
        summary.read_counts = {agent_id: summary.inbound_count}
        summary.read_messages = {agent_id: summary.last_inbound_id}
    if rng.random() < 0.3:  # closed, as PATCH state=closed leaves it
        summary.state = "closed"
        summary.lsi1sk = keys.by_activity_sk("closed", summary.updated_at, side_id)
        summary.version += 1
    return [summary.serialize(), *items], side_id


def _sent(message: Any, email: bool, slack_ts: str) -> None:
    """The sender's final write: `sent` with the channel's id, off the pending index."""
    from sideconv.store.models import DeliveryMap

    message.delivery = DeliveryMap(status="sent", updated_at=message.created_at, attempts=1,
                                   provider_id=f"{message.id.lower()}-ses" if email else slack_ts)
    message.gsi2pk = message.gsi2sk = None


def seed(settings: Any, count: int, *, messages: int = 0, per_conversation: int = 3,
         conversation: Any = None, seed: int = 20) -> Seeded:
    """Write `count` side conversations of account `acme` straight into the embedded table, with
    `messages` messages in all (spread evenly), or when 0 one to six each (some still unanswered).
    `conversation(n)` says where the n-th goes (default: `conversation_of`)."""
    began = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 - demo data, the same every run
    where = conversation or (lambda n: conversation_of(n, per_conversation))
    per_side = _spread(messages, count) if messages else [rng.choice((1, 2, 2, 3, 4, 6)) for _ in range(count)]
    started = time.time() - SECONDS_BACK
    at = [started]
    step = SECONDS_BACK / max(count, 1)
    put = _writer(settings.table_name, settings.region)
    ids: list[tuple[str, str]] = []
    written = 0
    with _clock_at(at):
        for n in range(count):
            started += step * rng.random()  # each starts after the last one started, its thread aside
            at[0] = started
            conversation_id = where(n)
            items, side_id = side_conversation(n, rng, at, settings.token_secret, settings.inbound_domain,
                                               conversation_id, per_side[n])
            ids.append((conversation_id, side_id))
            for item in items:
                put(item)
            written += len(items)
    return Seeded(count, sum(per_side), written, time.perf_counter() - began, ids)


def _spread(messages: int, count: int) -> list[int]:
    """`messages` over `count` side conversations, at least one each, the rest evenly."""
    base, extra = divmod(max(messages, count), count)
    return [base + (1 if n < extra else 0) for n in range(count)]
