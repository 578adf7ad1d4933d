"""Every key string of the single table is built here, and only here.

Items of one customer conversation share one partition, ``A#<account>#C#<conversation>``, so a
request that names an account and a conversation can only ever reach that conversation's items.
The few global lookup items (reply tokens, Slack threads, e-mail Message-IDs, Slack event ids) are
reached only from a verified token, a signed Slack event or a header of an inbound mail, never from
an API path, and each points back at one partition.
"""

from __future__ import annotations

import re

# Attribute names of the table and its indexes (the CDK stack and the local stack read these too).
PK = "pk"
SK = "sk"
LSI_BY_ACTIVITY = "by_activity"
LSI_BY_ACTIVITY_SK = "lsi1sk"
TTL_ATTRIBUTE = "expires_at"
GSI_INBOX = "inbox"
GSI_INBOX_PK = "gsi1pk"
GSI_INBOX_SK = "gsi1sk"
# Sparse: only outbound messages still `pending` carry these; the re-drive finds them without a Scan.
GSI_PENDING = "pending_outbound"
GSI_PENDING_PK = "gsi2pk"
GSI_PENDING_SK = "gsi2sk"

_SEP = "#"
_ULID = r"[0-9A-HJKMNP-TV-Z]{26}"
_ULID_ONLY = re.compile(rf"^{_ULID}$")


class _SideConversationIdPattern:
    """`<id prefix of an installed channel>-<ULID>` (sideconv.channels), read from the registry on use."""

    def match(self, value: str) -> bool:
        from sideconv import channels

        prefix, dash, ulid = value.partition("-")
        return bool(dash) and channels.by_prefix(prefix) is not None and bool(_ULID_ONLY.match(ulid))


SIDE_CONVERSATION_ID = _SideConversationIdPattern()
CONVERSATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
ACCOUNT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def conversation_pk(account_id: str, conversation_id: str) -> str:
    if not ACCOUNT_ID.match(account_id):
        raise ValueError("account id has characters a key cannot hold")
    if not CONVERSATION_ID.match(conversation_id):
        raise ValueError("conversation id has characters a key cannot hold")
    return f"A{_SEP}{account_id}{_SEP}C{_SEP}{conversation_id}"


def side_conversation_sk(side_conversation_id: str) -> str:
    return f"SC{_SEP}{side_conversation_id}"


def message_sk(side_conversation_id: str, message_id: str) -> str:
    return f"SC{_SEP}{side_conversation_id}{_SEP}M{_SEP}{message_id}"


def messages_prefix(side_conversation_id: str) -> str:
    return f"SC{_SEP}{side_conversation_id}{_SEP}M{_SEP}"


def by_activity_sk(state: str, updated_at: str, side_conversation_id: str) -> str:
    """Sort key of the list index: state first (a filter is a key condition), then recency."""
    return f"{state}{_SEP}{updated_at}{_SEP}{side_conversation_id}"


def by_activity_prefix(state: str) -> str:
    return f"{state}{_SEP}"


def inbox_pk(account_id: str, agent_id: str) -> str:
    """The agent's inbox (GSI `inbox`): side conversations an agent started, across conversations."""
    return f"INBOX{_SEP}{account_id}{_SEP}{agent_id}"


def inbox_sk(waiting_on: str, since: str, side_conversation_id: str) -> str:
    return f"{waiting_on}{_SEP}{since}{_SEP}{side_conversation_id}"


def inbox_due_sk(due_at: str, side_conversation_id: str) -> str:
    """A follow-up fell due: in the agent's list (`agent#`), and after every date (`~`), so first."""
    return f"agent{_SEP}~{due_at}{_SEP}{side_conversation_id}"


def is_inbox_due(sort_key: str | None) -> bool:
    return bool(sort_key) and str(sort_key).startswith(f"agent{_SEP}~")


def follow_up_settings_ref(account_id: str) -> str:
    """The account's follow-up defaults: one item, reached only with the caller's own account."""
    if not ACCOUNT_ID.match(account_id):
        raise ValueError("account id has characters a key cannot hold")
    return f"SETTINGS{_SEP}{account_id}{_SEP}follow-ups"


def inbox_prefix(waiting_on: str) -> str:
    return f"{waiting_on}{_SEP}"


def pending_pk(channel: str) -> str:
    """Pending outbound messages of one channel (GSI `pending_outbound`), oldest first."""
    return f"PENDING{_SEP}{channel}"


def pending_sk(created_at: str, message_id: str) -> str:
    return f"{created_at}{_SEP}{message_id}"


def idempotency_sk(caller_id: str, operation: str, key_digest: str) -> str:
    return f"IDEM{_SEP}{operation}{_SEP}{caller_id}{_SEP}{key_digest}"


def upload_sk(upload_id: str) -> str:
    """An agent's upload, in its conversation's partition: another conversation's id finds nothing."""
    return f"UP{_SEP}{upload_id}"


def upload_object_key(account_id: str, conversation_id: str, upload_id: str) -> str:
    """Where the upload's bytes are in the uploads bucket (under `uploads/`, the lifecycle's prefix)."""
    return f"uploads/{account_id}/{conversation_id}/{upload_id}"


def side_conversation_ref(side_conversation_id: str) -> str:
    """Global lookup from a side conversation id (from a verified reply token) to its partition."""
    return f"REF{_SEP}{side_conversation_id}"


def email_message_id_ref(message_id: str) -> str:
    """Global lookup from an RFC 5322 Message-ID this service sent to its side conversation."""
    return f"MID{_SEP}{message_id.strip().strip('<>').lower()}"


def slack_thread_ref(team_id: str, channel_id: str, thread_ts: str, account_id: str | None = None) -> str:
    """A Slack thread → its side conversation. Keyed by the account too when the workspace is the
    account's own installation (the account comes from the installation the event's team resolves to,
    never from the event), so a workspace's event can only ever reach its own account's threads."""
    if account_id is not None:
        return f"SLACK{_SEP}A{_SEP}{account_id}{_SEP}{team_id}{_SEP}{channel_id}{_SEP}{thread_ts}"
    return f"SLACK{_SEP}{team_id}{_SEP}{channel_id}{_SEP}{thread_ts}"


def slack_event_ref(event_id: str) -> str:
    return f"SLACKEVT{_SEP}{event_id}"


def slack_message_ref(team_id: str, channel_id: str, ts: str, account_id: str | None = None) -> str:
    """Global lookup from a Slack message we stored (team, channel, ts) to its side conversation: edits
    and deletions name only the message, not always its thread. Keyed like `slack_thread_ref`."""
    if account_id is not None:
        return f"SLACKMSG{_SEP}A{_SEP}{account_id}{_SEP}{team_id}{_SEP}{channel_id}{_SEP}{ts}"
    return f"SLACKMSG{_SEP}{team_id}{_SEP}{channel_id}{_SEP}{ts}"


# Slack workspaces connected per account (sideconv.slack.installations). Slack's ids are short
# alphanumerics; anything else never becomes part of a key.
SLACK_TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,30}$")


def slack_installations_pk(account_id: str) -> str:
    """The account's Slack workspaces: one item each (the encrypted token with it), one Query lists them."""
    if not ACCOUNT_ID.match(account_id):
        raise ValueError("account id has characters a key cannot hold")
    return f"A{_SEP}{account_id}{_SEP}SLACK"


def slack_installation_sk(team_id: str) -> str:
    return f"INST{_SEP}{team_id}"


SLACK_INSTALLATION_PREFIX = f"INST{_SEP}"


SLACK_WORKSPACE_PREFIX = f"SLACKWS{_SEP}"


def slack_workspace_ref(enterprise_id: str | None, team_id: str) -> str:
    """Global lookup from a workspace (as a signed event names it) to the account that installed it."""
    return f"{SLACK_WORKSPACE_PREFIX}{enterprise_id or '-'}{_SEP}{team_id}"


def slack_oauth_state_ref(state: str) -> str:
    """An install's OAuth state: single use (deleted as it is consumed), expires in minutes."""
    return f"SLACKSTATE{_SEP}{state}"


def slack_directory_pk(account_id: str, team_id: str) -> str:
    """The account's copy of one workspace's people and channels (sideconv.slack.directory)."""
    if not ACCOUNT_ID.match(account_id):
        raise ValueError("account id has characters a key cannot hold")
    return f"A{_SEP}{account_id}{_SEP}SLACKDIR{_SEP}{team_id}"


def slack_directory_sk(kind: str, normalized_name: str, entry_id: str) -> str:
    """`<kind>#<name, lower-cased and folded>#<id>`: a prefix of the name is a key condition."""
    return f"{kind}{_SEP}{normalized_name}{_SEP}{entry_id}"


def slack_directory_prefix(kind: str, normalized_prefix: str) -> str:
    return f"{kind}{_SEP}{normalized_prefix}"


def published_event_ref(stream_event_id: str) -> str:
    """Marks a table change whose event went to EventBridge: a redelivered stream record is skipped."""
    return f"EVT{_SEP}{stream_event_id}"


def inbound_mail_ref(ses_message_id: str) -> str:
    return f"INMAIL{_SEP}{ses_message_id}"


def quarantine_pk(account_id: str | None) -> str:
    return f"Q{_SEP}{account_id}" if account_id else f"Q{_SEP}-unknown-"


def quarantine_sk(quarantine_id: str) -> str:
    return f"Q{_SEP}{quarantine_id}"


def channel_of(side_conversation_id: str) -> str:
    """The channel is part of the id (its prefix), so a reply can be routed without reading the summary."""
    from sideconv import channels

    prefix = side_conversation_id.split("-", 1)[0]
    channel = channels.by_prefix(prefix)
    return channel.name if channel is not None else prefix


# Sending domains (issue 15). An account's domains, senders and e-mail settings share one partition
# (`A#<account>#EMAIL`, never a conversation's: "EMAIL" is not "C#..."), read by one Query; a domain's
# claim is global, so one domain belongs to one account at most.
EMAIL_SETTINGS_SK = "SETTINGS"


def email_account_pk(account_id: str) -> str:
    if not ACCOUNT_ID.match(account_id):
        raise ValueError("account id has characters a key cannot hold")
    return f"A{_SEP}{account_id}{_SEP}EMAIL"


def email_domain_sk(domain: str) -> str:
    return f"DOMAIN{_SEP}{domain.lower()}"


def email_sender_sk(address: str) -> str:
    return f"SENDER{_SEP}{address.lower()}"


def domain_claim_ref(domain: str) -> str:
    """Global: which account holds a sending domain (written with `attribute_not_exists`)."""
    return f"EDOMAIN{_SEP}{domain.lower()}"
