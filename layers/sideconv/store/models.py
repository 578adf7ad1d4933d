"""PynamoDB models of the single table. Key strings come from `sideconv.keys`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, LocalSecondaryIndex
from pynamodb.models import Model

from sideconv import keys
from sideconv.config import Settings
from sideconv.store.conditions import condition_failed
from sideconv.wiring import Wiring, built

StoreT = TypeVar("StoreT")


class PersonMap(MapAttribute[str, Any]):
    """Who a message is from, or who takes part: an agent, an e-mail address or a Slack user/channel."""

    kind = UnicodeAttribute()
    role = UnicodeAttribute(null=True)
    id = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)


class EmailInfoMap(MapAttribute[str, Any]):
    reply_to = UnicodeAttribute(null=True)
    # Message-IDs this thread has carried, oldest first: In-Reply-To/References of the next mail.
    references = ListAttribute(of=UnicodeAttribute, null=True)
    # People who wrote in without being addressed by an agent (a vendor's colleague), by lower-case
    # address: a map, so an inbound mail adds one with `if_not_exists` and no read. They get later mail.
    repliers = MapAttribute[str, Any](default=dict)
    # The address the thread's mail goes out from, chosen at create (sideconv.email.senders): a sender
    # of the account on its verified domain, or the shared address.
    from_address = UnicodeAttribute(null=True)
    from_name = UnicodeAttribute(null=True)
    from_shared = BooleanAttribute(null=True)


class SlackInfoMap(MapAttribute[str, Any]):
    target = UnicodeAttribute()
    user_ids = ListAttribute(of=UnicodeAttribute, null=True)
    channel_id = UnicodeAttribute(null=True)
    thread_ts = UnicodeAttribute(null=True)
    permalink = UnicodeAttribute(null=True)
    team_id = UnicodeAttribute(null=True)
    # When the root's `sent` recorded the thread: a message written later never saw the side
    # conversation without it, so it was never posted as a root (sideconv.slack.outbound's look).
    thread_recorded_at = UnicodeAttribute(null=True)
    # Per-account workspaces (issue 14): the workspace's name, whether the channel is shared with
    # another organisation (Slack Connect), and whose token sends: `account` (the account's own
    # installation of `team_id`) or `environment` (the self-hosting single-workspace mode); unset on
    # items written before, which are `environment`.
    team_name = UnicodeAttribute(null=True)
    shared_externally = BooleanAttribute(null=True)
    source = UnicodeAttribute(null=True)


class AttachmentMap(MapAttribute[str, Any]):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    # Where the bytes are: an S3 key (e-mail) or a Slack file permalink.
    location = UnicodeAttribute(null=True)


class QuotedMap(MapAttribute[str, Any]):
    """A quoted message of the customer conversation, as it was sent (masked): sideconv.context."""

    author_name = UnicodeAttribute()
    author_role = UnicodeAttribute()
    sent_at = UnicodeAttribute()
    body = UnicodeAttribute()


class RedactionMap(MapAttribute[str, Any]):
    kind = UnicodeAttribute()
    count = NumberAttribute()


class DeliveryMap(MapAttribute[str, Any]):
    status = UnicodeAttribute()
    detail = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()
    # The channel's own id once sent: the SES message id, or the Slack ts.
    provider_id = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)


class ByActivityIndex(LocalSecondaryIndex["SideConversationItem"]):
    """Sparse: only side-conversation summaries carry `lsi1sk`. Strongly consistent reads are allowed."""

    class Meta:
        index_name = keys.LSI_BY_ACTIVITY
        projection = AllProjection()

    pk = UnicodeAttribute(hash_key=True)
    lsi1sk = UnicodeAttribute(range_key=True)


class InboxIndex(GlobalSecondaryIndex["SideConversationItem"]):
    """Sparse: side conversations across conversations, by the agent who started them."""

    class Meta:
        index_name = keys.GSI_INBOX
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class TableItem(Model):
    class Meta:
        table_name = "side-conversations"
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    expires_at = TTLAttribute(null=True)


class SideConversationItem(TableItem, discriminator="side_conversation"):
    id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    subject = UnicodeAttribute(null=True)
    state = UnicodeAttribute()
    participants = ListAttribute(of=PersonMap, default=list)
    preview_text = UnicodeAttribute(null=True)
    message_count = NumberAttribute(default=0)
    created_by = PersonMap()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    last_message_at = UnicodeAttribute(null=True)
    cc_customer = BooleanAttribute(default=False)
    external_ids = MapAttribute[str, Any](null=True)
    email = EmailInfoMap(null=True)
    slack = SlackInfoMap(null=True)
    version = NumberAttribute(default=1)
    lsi1sk = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    # Who the ball is with: the direction of the last message and since when (sideconv.store.activity).
    last_direction = UnicodeAttribute(null=True)
    waiting_since = UnicodeAttribute(null=True)
    last_inbound_id = UnicodeAttribute(null=True)
    inbound_count = NumberAttribute(default=0)
    # Read markers, per agent id: the inbound count they had seen, and the last message they read.
    # Maps on the summary, so a marker is one UpdateItem and every listing shows unread counts.
    read_counts = MapAttribute[str, Any](default=dict)
    read_messages = MapAttribute[str, Any](default=dict)
    # The follow-up's rule and its last firing (sideconv.follow_ups).
    follow_up_after = NumberAttribute(null=True)
    follow_up_set_at = UnicodeAttribute(null=True)
    follow_up_nudge = BooleanAttribute(null=True)
    follow_up_fired_at = UnicodeAttribute(null=True)
    follow_up_nudges = NumberAttribute(null=True)
    follow_up_repeat = BooleanAttribute(null=True)
    # The account's inactivity limit (seconds), copied from its settings when created; `inactivity` when
    # that closed it.
    auto_close_after = NumberAttribute(null=True)
    closed_reason = UnicodeAttribute(null=True)

    by_activity = ByActivityIndex()
    inbox = InboxIndex()


class MessageItem(TableItem, discriminator="message"):
    id = UnicodeAttribute()
    side_conversation_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    direction = UnicodeAttribute()
    author = PersonMap()
    body = UnicodeAttribute()
    attachments = ListAttribute(of=AttachmentMap, default=list)
    created_at = UnicodeAttribute()
    delivery = DeliveryMap(null=True)
    # Slack: the message's `ts` in its channel, and what happened to it there after it arrived.
    provider_ts = UnicodeAttribute(null=True)
    edited = BooleanAttribute(null=True)
    deleted = BooleanAttribute(null=True)
    from_bot = BooleanAttribute(null=True)
    # Slack Connect: written by a member of another organisation (not of the installing workspace).
    external = BooleanAttribute(null=True)
    # E-mail: the RFC 5322 Message-ID (ours for outbound, the sender's for inbound), the id SES put
    # on the wire, addresses the mail was copied to (shown, never mailed), an auto-reply flag, the
    # full text before quote stripping (when it differs) and where the raw mail is kept (S3 key).
    email_message_id = UnicodeAttribute(null=True)
    wire_message_id = UnicodeAttribute(null=True)
    email_cc = ListAttribute(of=PersonMap, null=True)
    auto_reply = BooleanAttribute(null=True)
    full_body = UnicodeAttribute(null=True)
    has_quoted_text = BooleanAttribute(null=True)
    raw_location = UnicodeAttribute(null=True)
    complaint = UnicodeAttribute(null=True)
    # Outbound: quoted context (masked) and what was masked in it, by kind.
    context = ListAttribute(of=QuotedMap, null=True)
    redactions = ListAttribute(of=RedactionMap, null=True)
    # Outbound and still pending: keys of the sparse GSI `pending_outbound` (sideconv.redrive).
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    # Written by the re-drive when it puts the message back on its queue: a sender that reads
    # `redrives` set knows an earlier attempt may have reached the channel (sideconv.slack.outbound).
    redrives = NumberAttribute(null=True)
    redriven_at = UnicodeAttribute(null=True)
    # Sent by the follow-up (sideconv.follow_up_fire) under the agent's name, not typed by them.
    nudge = BooleanAttribute(null=True)

    @classmethod
    def new(cls, *, account_id: str, conversation_id: str, side_conversation_id: str, message_id: str,
            direction: str, author: PersonMap, body: str, created_at: str, **extras: Any) -> MessageItem:
        """A message of a side conversation: its keys and what every message has; `extras` are the
        direction's and the channel's own fields."""
        return cls(
            keys.conversation_pk(account_id, conversation_id),
            keys.message_sk(side_conversation_id, message_id),
            id=message_id,
            side_conversation_id=side_conversation_id,
            account_id=account_id,
            conversation_id=conversation_id,
            channel=keys.channel_of(side_conversation_id),
            direction=direction,
            author=author,
            body=body,
            created_at=created_at,
            **extras,
        )


class IdempotencyItem(TableItem, discriminator="idempotency"):
    request_hash = UnicodeAttribute()
    status_code = NumberAttribute()
    response = UnicodeAttribute()


class SideConversationRefItem(TableItem, discriminator="side_conversation_ref"):
    """Points from a global id (reply token, Slack thread, Message-ID) back at one partition."""

    account_id = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    side_conversation_id = UnicodeAttribute()
    # E-mail Message-ID lookups (`MID#...`) of outbound mail also name the message (bounces find it).
    message_id = UnicodeAttribute(null=True)


class InboundMailItem(TableItem, discriminator="inbound_mail"):
    """`INMAIL#<SES messageId>`: one per received mail, written with its outcome in the same
    transaction, so a second invocation for the same mail adds nothing."""

    outcome = UnicodeAttribute()  # appended | quarantined | bounced (a delivery failure for our mail)
    account_id = UnicodeAttribute(null=True)
    conversation_id = UnicodeAttribute(null=True)
    side_conversation_id = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    quarantine_id = UnicodeAttribute(null=True)
    received_at = UnicodeAttribute()


class QuarantineItem(TableItem, discriminator="quarantine"):
    """A received mail that could not be trusted or matched: `Q#<account or -unknown->`, `Q#<ulid>`."""

    id = UnicodeAttribute()
    account_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute()
    detail = UnicodeAttribute(null=True)
    raw_location = UnicodeAttribute()
    ses_message_id = UnicodeAttribute()
    received_at = UnicodeAttribute()
    sender = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    recipients = ListAttribute(of=UnicodeAttribute, default=list)
    conversation_id = UnicodeAttribute(null=True)
    side_conversation_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="held")  # held | attached | discarded
    resolved_by = UnicodeAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    resolved_message_id = UnicodeAttribute(null=True)


class SlackEventItem(TableItem, discriminator="slack_event"):
    """A Slack event id seen by the events endpoint (`SLACKEVT#<event_id>`, TTL): Slack's retries stop here.

    Written with botocore by `sideconv.slack.event_store` (that path does not import PynamoDB); read by tests.
    """

    received_at = UnicodeAttribute(null=True)


class UploadItem(TableItem, discriminator="upload"):
    """`UP#<upload id>` in its conversation's partition: a file an agent may attach (sideconv.uploads).
    Expires (TTL) a day after the upload; a message that takes it copies what it needs."""

    id = UnicodeAttribute()
    name = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    location = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()


class SlackInstallationItem(TableItem, discriminator="slack_installation"):
    """`A#<account>#SLACK`, `INST#<team>`: a workspace the account connected (sideconv.slack.installations).

    The tokens are KMS ciphertexts (encryption context: account and team); nothing else is secret.
    """

    account_id = UnicodeAttribute()
    team_id = UnicodeAttribute()
    team_name = UnicodeAttribute(null=True)
    enterprise_id = UnicodeAttribute(null=True)
    app_id = UnicodeAttribute(null=True)
    bot_id = UnicodeAttribute(null=True)
    bot_user_id = UnicodeAttribute(null=True)
    bot_scopes = ListAttribute(of=UnicodeAttribute, default=list)
    bot_token_ciphertext = UnicodeAttribute()
    bot_refresh_token_ciphertext = UnicodeAttribute(null=True)
    bot_token_expires_at = NumberAttribute(null=True)
    state = UnicodeAttribute(default="active")  # active | revoked
    installed_by = UnicodeAttribute()
    installed_at = UnicodeAttribute()
    revoked_at = UnicodeAttribute(null=True)


class SlackWorkspaceRefItem(TableItem, discriminator="slack_workspace_ref"):
    """`SLACKWS#<enterprise or ->#<team>`: which account installed a workspace. The events endpoint reads
    it (with botocore, one GetItem, cached) to route an event; at most one account holds a workspace."""

    account_id = UnicodeAttribute()
    team_id = UnicodeAttribute()
    enterprise_id = UnicodeAttribute(null=True)
    state = UnicodeAttribute(default="active")


class SlackOAuthStateItem(TableItem, discriminator="slack_oauth_state"):
    """`SLACKSTATE#<state>`: an install in progress, bound to the account and the admin who started it."""

    account_id = UnicodeAttribute()
    admin_id = UnicodeAttribute()
    issued_at = UnicodeAttribute()
    valid_until = NumberAttribute()  # epoch seconds; the TTL deletes it later, the check is exact


class SlackDirectoryItem(TableItem, discriminator="slack_directory"):
    """`A#<account>#SLACKDIR#<team>`, `<kind>#<normalised name>#<id>`: one person or channel of a
    workspace, as users.list / conversations.list and Slack's events last said (sideconv.slack.directory)."""

    entry_id = UnicodeAttribute()
    entry_kind = UnicodeAttribute()  # user | channel
    name = UnicodeAttribute()
    real_name = UnicodeAttribute(null=True)
    avatar_url = UnicodeAttribute(null=True)
    is_private = BooleanAttribute(null=True)
    is_member = BooleanAttribute(null=True)
    is_shared_externally = BooleanAttribute(null=True)
    refreshed_at = UnicodeAttribute()


class PublishedEventItem(TableItem, discriminator="published_event"):
    """`EVT#<stream event id>`: the change's event reached EventBridge (kept a week)."""

    detail_type = UnicodeAttribute()


class DomainClaimItem(TableItem, discriminator="domain_claim"):
    """`EDOMAIN#<domain>`: the one account that holds a sending domain."""

    account_id = UnicodeAttribute()
    domain = UnicodeAttribute()
    created_at = UnicodeAttribute()


class EmailDomainItem(TableItem, discriminator="email_domain"):
    """`A#<account>#EMAIL`, `DOMAIN#<domain>`: an SES domain identity of the account, as last read."""

    domain = UnicodeAttribute()
    state = UnicodeAttribute()  # pending | verified | failed | temporary_failure
    mail_from_domain = UnicodeAttribute()
    dkim_tokens = ListAttribute(of=UnicodeAttribute, default=list)
    region = UnicodeAttribute()
    tenant = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class EmailSenderItem(TableItem, discriminator="email_sender"):
    """`A#<account>#EMAIL`, `SENDER#<address>`: an address the account's mail may come from."""

    address = UnicodeAttribute()
    name = UnicodeAttribute()
    domain = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class EmailSettingsItem(TableItem, discriminator="email_settings"):
    """`A#<account>#EMAIL`, `SETTINGS`: the default sender, and the account's bounces and complaints
    (counted by `email_events`)."""

    default_sender = UnicodeAttribute(null=True)
    bounce_count = NumberAttribute(null=True)
    complaint_count = NumberAttribute(null=True)
    suppressed_count = NumberAttribute(null=True)


class FollowUpSettingsItem(TableItem, discriminator="follow_up_settings"):
    """`SETTINGS#<account>#follow-ups`: the account's follow-up defaults (`PUT /v1/settings/follow-ups`)."""

    default_after = NumberAttribute(null=True)
    max_nudges = NumberAttribute(null=True)
    auto_close_after = NumberAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


def bind(table_name: str, region: str, host: str | None = None) -> None:
    """Point the models at a table. Called once per cold start (and by tests) before any request."""
    for model in (TableItem, SideConversationItem, MessageItem, IdempotencyItem, SideConversationRefItem,
                  SlackEventItem, InboundMailItem, QuarantineItem, PublishedEventItem, DomainClaimItem,
                  EmailDomainItem, EmailSenderItem, EmailSettingsItem, FollowUpSettingsItem, UploadItem,
                  SlackInstallationItem, SlackWorkspaceRefItem, SlackOAuthStateItem, SlackDirectoryItem):
        model.Meta.table_name = table_name
        model.Meta.region = region
        setattr(model.Meta, "host", host)  # noqa: B010 - Meta declares no host attribute
        model._connection = None


def update_if(item: Model, actions: Sequence[Action], condition: Condition) -> bool:
    """One conditional UpdateItem; False when `condition` does not hold (nothing was written)."""
    try:
        item.update(list(actions), condition=condition, add_version_condition=False)
    except UpdateError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


@built
def bound(wiring: Wiring) -> Settings:
    """`bind` to the wiring's table and endpoint, once per wiring (PynamoDB keeps a model's table on its
    class, so this is the one place that sets it); the settings it used."""
    settings = wiring.settings
    bind(settings.table_name, settings.region, settings.dynamodb_endpoint)
    return settings


def open_store(wiring: Wiring, store: Callable[[str, str | None], StoreT]) -> StoreT:
    """`bound`, then open `store` (a repository class) on the same region and endpoint."""
    settings = bound(wiring)
    return store(settings.region, settings.dynamodb_endpoint)


@built
def connection(wiring: Wiring) -> Connection:
    """A low-level PynamoDB connection to the wiring's DynamoDB (models bound too)."""
    settings = bound(wiring)
    return Connection(region=settings.region, host=settings.dynamodb_endpoint)
