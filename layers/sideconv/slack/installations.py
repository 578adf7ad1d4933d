"""Slack workspaces connected per account, on the single table, through slack-sdk's own interfaces.

- `AccountInstallationStore` is slack-sdk's `InstallationStore`, bound to one account: it can only
  ever read or write that account's installations (`A#<account>#SLACK`, `INST#<team>`). A save also
  claims the workspace's routing item (`SLACKWS#<enterprise>#<team>`, the events endpoint's lookup) in
  the same transaction, on condition that no other account holds it: a workspace belongs to one account.
- `TableStateStore` is slack-sdk's `OAuthStateStore`: a state is bound to the account and the admin
  who started the install, stored by its SHA-256 (a table read reveals no usable state), consumed by a
  conditional delete (single use) and refused after its 10 minutes.
- `TokenCipher`: bot tokens (and refresh tokens) are KMS ciphertexts, the encryption context naming
  the account and the team, so a ciphertext copied to another account's item does not decrypt.
- `sideconv.slack.workspaces` is what the sender and the processor use on top of these.

Nothing here logs, returns or raises a token: `Installation` objects stay inside the sender's client.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.connection import Connection
from slack_sdk.oauth.installation_store.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.state_store import OAuthStateStore

from sideconv import clock, keys
from sideconv.errors import Conflict
from sideconv.store.conditions import condition_failed
from sideconv.store.models import SlackInstallationItem, SlackOAuthStateItem, SlackWorkspaceRefItem
from sideconv.store.transactions import ConditionFailed
from sideconv.store.transactions import Transaction as TransactWrite

STATE_TTL_SECONDS = 600
_STATE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")

_log = logging.getLogger(__name__)


class WorkspaceTaken(Conflict):
    """The workspace is already connected to another account."""

    title = "Workspace connected to another account"


@dataclass(frozen=True)
class StateBinding:
    account_id: str
    admin_id: str


# Tokens at rest --------------------------------------------------------------------------------


class TokenCipher:
    """KMS Encrypt/Decrypt with an encryption context naming the account and the team."""

    def __init__(self, kms: Callable[[], Any], key_id: str | None) -> None:
        self._kms = kms
        self._key_id = key_id

    @staticmethod
    def _context(account_id: str, team_id: str) -> dict[str, str]:
        return {"service": "atender-side-conversations", "account_id": account_id, "slack_team_id": team_id}

    def encrypt(self, plaintext: str, account_id: str, team_id: str) -> str:
        if not self._key_id:
            raise RuntimeError("SLACK_TOKEN_KEY_ID is not set: Slack tokens cannot be stored")
        blob = self._kms().encrypt(KeyId=self._key_id, Plaintext=plaintext.encode(),
                                   EncryptionContext=self._context(account_id, team_id))["CiphertextBlob"]
        return base64.b64encode(blob).decode()

    def decrypt(self, ciphertext: str, account_id: str, team_id: str) -> str:
        answer = self._kms().decrypt(CiphertextBlob=base64.b64decode(ciphertext),
                                     EncryptionContext=self._context(account_id, team_id))
        return bytes(answer["Plaintext"]).decode()


# slack-sdk's installation store --------------------------------------------------------------


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class AccountInstallationStore(InstallationStore):
    """slack-sdk's `InstallationStore`, bound to one account (bot-scope installations only)."""

    def __init__(self, account_id: str, cipher: TokenCipher, connection: Connection,
                 installed_by: str | None = None) -> None:
        self.account_id = account_id
        self._cipher = cipher
        self._connection = connection
        self._installed_by = installed_by

    @property
    def logger(self) -> logging.Logger:
        return _log

    # Reads

    def item(self, team_id: str) -> SlackInstallationItem | None:
        """The installation item as stored (state and all, tokens still encrypted): one GetItem."""
        if not keys.SLACK_TEAM_ID.match(team_id):
            return None
        try:
            return SlackInstallationItem.get(keys.slack_installations_pk(self.account_id),
                                             keys.slack_installation_sk(team_id), consistent_read=True)
        except SlackInstallationItem.DoesNotExist:
            return None

    def items(self) -> list[SlackInstallationItem]:
        """Every workspace of the account: one Query (an account has a handful)."""
        return list(SlackInstallationItem.query(
            keys.slack_installations_pk(self.account_id),
            SlackInstallationItem.sk.startswith(keys.SLACK_INSTALLATION_PREFIX), consistent_read=True))

    def to_installation(self, item: SlackInstallationItem) -> Installation:
        """The item with its tokens decrypted, as slack-sdk's model (for the Web client and the rotator)."""
        token = self._cipher.decrypt(item.bot_token_ciphertext, self.account_id, item.team_id)
        refresh = (self._cipher.decrypt(item.bot_refresh_token_ciphertext, self.account_id, item.team_id)
                   if item.bot_refresh_token_ciphertext else None)
        return Installation(
            app_id=item.app_id, enterprise_id=item.enterprise_id, team_id=item.team_id, team_name=item.team_name,
            bot_token=token, bot_id=item.bot_id, bot_user_id=item.bot_user_id,
            bot_scopes=[str(scope) for scope in item.bot_scopes or []],
            bot_refresh_token=refresh,
            bot_token_expires_at=int(item.bot_token_expires_at) if item.bot_token_expires_at else None,
            user_id=item.installed_by, installed_at=item.installed_at.replace("Z", ""), token_type="bot",  # noqa: S106
            custom_values={"account_id": self.account_id, "state": item.state},
        )

    def find_installation(self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None,
                          is_enterprise_install: bool | None = False) -> Installation | None:
        if not team_id or is_enterprise_install:
            return None
        item = self.item(team_id)
        if item is None or item.state != "active" or (enterprise_id and item.enterprise_id != enterprise_id):
            return None
        return self.to_installation(item)

    def find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                 is_enterprise_install: bool | None = False) -> Bot | None:
        installation = self.find_installation(enterprise_id=enterprise_id, team_id=team_id,
                                              is_enterprise_install=is_enterprise_install)
        return installation.to_bot() if installation is not None else None

    # Writes

    def save(self, installation: Installation) -> None:
        """Store the installation and claim its workspace, in one transaction. A workspace another
        account holds is refused (`WorkspaceTaken`); the same account installing again updates it."""
        team_id = installation.team_id or ""
        if installation.is_enterprise_install or not keys.SLACK_TEAM_ID.match(team_id):
            raise ValueError("only workspace installations are stored")
        if not installation.bot_token:
            raise ValueError("the installation has no bot token")
        installed_by = self._installed_by or installation.user_id
        item = SlackInstallationItem(
            keys.slack_installations_pk(self.account_id), keys.slack_installation_sk(team_id),
            account_id=self.account_id, team_id=team_id, team_name=installation.team_name,
            enterprise_id=installation.enterprise_id, app_id=installation.app_id, bot_id=installation.bot_id,
            bot_user_id=installation.bot_user_id, bot_scopes=list(installation.bot_scopes or []),
            bot_token_ciphertext=self._cipher.encrypt(installation.bot_token, self.account_id, team_id),
            bot_refresh_token_ciphertext=(
                self._cipher.encrypt(installation.bot_refresh_token, self.account_id, team_id)
                if installation.bot_refresh_token else None),
            bot_token_expires_at=installation.bot_token_expires_at, state="active", installed_by=installed_by,
            installed_at=_iso(installation.installed_at),
        )
        ref = keys.slack_workspace_ref(installation.enterprise_id, team_id)
        workspace = SlackWorkspaceRefItem(ref, ref, account_id=self.account_id, team_id=team_id,
                                          enterprise_id=installation.enterprise_id, state="active")
        try:
            with TransactWrite(connection=self._connection) as tx:
                # Free, ours already, or let go by the account that had it (uninstalled in Slack).
                tx.save(workspace, condition=SlackWorkspaceRefItem.pk.does_not_exist()
                        | (SlackWorkspaceRefItem.account_id == self.account_id)
                        | (SlackWorkspaceRefItem.state == "revoked"))
                tx.save(item)
        except ConditionFailed as exc:
            if exc.of(ref, ref):
                raise WorkspaceTaken("this Slack workspace is connected to another account",
                                     field="team_id") from None
            raise

    def save_bot(self, bot: Bot) -> None:
        """A rotated token: only the token fields change (one UpdateItem, the item must exist)."""
        team_id = bot.team_id or ""
        item = SlackInstallationItem(keys.slack_installations_pk(self.account_id), keys.slack_installation_sk(team_id))
        item.update([
            SlackInstallationItem.bot_token_ciphertext.set(self._cipher.encrypt(bot.bot_token, self.account_id,
                                                                                team_id)),
            *([SlackInstallationItem.bot_refresh_token_ciphertext.set(
                self._cipher.encrypt(bot.bot_refresh_token, self.account_id, team_id))]
              if bot.bot_refresh_token else []),
            *([SlackInstallationItem.bot_token_expires_at.set(bot.bot_token_expires_at)]
              if bot.bot_token_expires_at is not None else []),
        ], condition=SlackInstallationItem.pk.exists(), add_version_condition=False)

    def mark_revoked(self, team_id: str, enterprise_id: str | None) -> bool:
        """Slack said the app is gone (app_uninstalled, tokens_revoked): the installation and its routing
        item turn `revoked` in one transaction; the refresh token is dropped (the bot token, dead at Slack,
        stays encrypted until a disconnect deletes the item). False: nothing to revoke."""
        ref = keys.slack_workspace_ref(enterprise_id, team_id)
        item = SlackInstallationItem(keys.slack_installations_pk(self.account_id), keys.slack_installation_sk(team_id))
        now = clock.now_iso()
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.update(item, [SlackInstallationItem.state.set("revoked"), SlackInstallationItem.revoked_at.set(now),
                                 SlackInstallationItem.bot_refresh_token_ciphertext.remove()],
                          condition=SlackInstallationItem.pk.exists())
                tx.update(SlackWorkspaceRefItem(ref, ref), [SlackWorkspaceRefItem.state.set("revoked")],
                          condition=SlackWorkspaceRefItem.account_id == self.account_id)
        except ConditionFailed:
            return False
        return True

    def delete_installation(self, *, enterprise_id: str | None, team_id: str | None,
                            user_id: str | None = None) -> None:
        """The installation and its routing item (only if this account holds it), in one transaction."""
        if not team_id:
            return
        ref = keys.slack_workspace_ref(enterprise_id, team_id)
        item = SlackInstallationItem(keys.slack_installations_pk(self.account_id), keys.slack_installation_sk(team_id))
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.delete(item)
                tx.delete(SlackWorkspaceRefItem(ref, ref), condition=SlackWorkspaceRefItem.pk.does_not_exist()
                          | (SlackWorkspaceRefItem.account_id == self.account_id))
        except ConditionFailed as exc:
            if exc.of(ref, ref):
                # Another account holds the routing item: remove only our own installation.
                item.delete()
                return
            raise

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.delete_installation(enterprise_id=enterprise_id, team_id=team_id)


# slack-sdk's state store -----------------------------------------------------------------------


def _state_ref(state: str) -> str:
    return keys.slack_oauth_state_ref(hashlib.sha256(state.encode()).hexdigest())


class TableStateStore(OAuthStateStore):
    """slack-sdk's `OAuthStateStore`: issue binds a state to an account and an admin; consume deletes it."""

    def __init__(self, connection: Connection, *, expiration_seconds: int = STATE_TTL_SECONDS,
                 now: Callable[[], float] = time.time) -> None:
        self._connection = connection
        self.expiration_seconds = expiration_seconds
        self._now = now

    @property
    def logger(self) -> logging.Logger:
        return _log

    def issue(self, *args: Any, **kwargs: Any) -> str:
        """`issue(account_id=..., admin_id=...)`: a new state, valid for `expiration_seconds`."""
        account_id, admin_id = str(kwargs["account_id"]), str(kwargs["admin_id"])
        state = secrets.token_urlsafe(32)
        now = self._now()
        ref = _state_ref(state)
        SlackOAuthStateItem(ref, ref, account_id=account_id, admin_id=admin_id, issued_at=_iso(now),
                            valid_until=int(now) + self.expiration_seconds,
                            expires_at=datetime.fromtimestamp(int(now) + self.expiration_seconds + 3600, UTC),
                            ).save(condition=SlackOAuthStateItem.pk.does_not_exist())
        return state

    def valid_until(self, state: str) -> int:
        return int(self._now()) + self.expiration_seconds

    def consume(self, state: str) -> bool:
        return self.consume_binding(state) is not None

    def consume_binding(self, state: str) -> StateBinding | None:
        """One conditional DeleteItem returning the old item: a second consume finds nothing. A state of
        the wrong shape costs no request; an expired one is consumed and refused."""
        if not isinstance(state, str) or not _STATE.match(state):
            return None
        from botocore.exceptions import ClientError

        ref = _state_ref(state)
        try:
            old = self._connection.client.delete_item(
                TableName=SlackOAuthStateItem.Meta.table_name, Key={keys.PK: {"S": ref}, keys.SK: {"S": ref}},
                ConditionExpression="attribute_exists(#pk)", ExpressionAttributeNames={"#pk": keys.PK},
                ReturnValues="ALL_OLD")
        except ClientError as exc:
            if condition_failed(exc):
                return None
            raise
        attributes = old.get("Attributes") or {}
        valid_until = int(attributes.get("valid_until", {}).get("N", "0"))
        if valid_until < self._now():
            return None
        return StateBinding(attributes["account_id"]["S"], attributes["admin_id"]["S"])
