"""PynamoDB models of the single table. Key strings come from `sideconv.keys`."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, LocalSecondaryIndex
from pynamodb.models import Model

from sideconv import keys


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


class SlackInfoMap(MapAttribute[str, Any]):
    target = UnicodeAttribute()
    user_ids = ListAttribute(of=UnicodeAttribute, null=True)
    channel_id = UnicodeAttribute(null=True)
    thread_ts = UnicodeAttribute(null=True)
    permalink = UnicodeAttribute(null=True)
    team_id = UnicodeAttribute(null=True)


class AttachmentMap(MapAttribute[str, Any]):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    # Where the bytes are: an S3 key (e-mail) or a Slack file permalink.
    location = UnicodeAttribute(null=True)


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


class IdempotencyItem(TableItem, discriminator="idempotency"):
    request_hash = UnicodeAttribute()
    status_code = NumberAttribute()
    response = UnicodeAttribute()


class SideConversationRefItem(TableItem, discriminator="side_conversation_ref"):
    """Points from a global id (reply token, Slack thread, Message-ID) back at one partition."""

    account_id = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    side_conversation_id = UnicodeAttribute()


def bind(table_name: str, region: str, host: str | None = None) -> None:
    """Point the models at a table. Called once per cold start (and by tests) before any request."""
    for model in (TableItem, SideConversationItem, MessageItem, IdempotencyItem, SideConversationRefItem):
        model.Meta.table_name = table_name
        model.Meta.region = region
        model.Meta.host = host
        model._connection = None
