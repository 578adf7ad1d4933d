"""Every DynamoDB request of sending domains and senders, one method per access pattern.

An account's domains, senders and settings are one partition (`A#<account>#EMAIL`): the admin views,
the create use case and the send-time check read it with one Query or one GetItem. A domain's claim
(`EDOMAIN#<domain>`) is written with `attribute_not_exists` in the same transaction as the account's
domain item, so two accounts can never both hold one domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pynamodb.connection import Connection
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action

from sideconv import keys
from sideconv.errors import Conflict, NotFound
from sideconv.store import models
from sideconv.store.models import (
    DomainClaimItem,
    EmailDomainItem,
    EmailSenderItem,
    EmailSettingsItem,
    TableItem,
)
from sideconv.store.transactions import ConditionFailed
from sideconv.store.transactions import Transaction as TransactWrite
from sideconv.wiring import Wiring, built


@dataclass
class AccountEmail:
    """What one Query of the account's e-mail partition holds."""

    domains: dict[str, EmailDomainItem] = field(default_factory=dict)
    senders: dict[str, EmailSenderItem] = field(default_factory=dict)
    settings: EmailSettingsItem | None = None

    @property
    def default_sender(self) -> str | None:
        return self.settings.default_sender if self.settings is not None else None


def _settings_kind() -> Action:
    """An update may create the settings item: it gets its discriminator too, or no Query reads it as one."""
    return Path("kind").set("email_settings")


class SenderStore:
    def __init__(self, region: str, host: str | None = None) -> None:
        self._connection = Connection(region=region, host=host)

    def account(self, account_id: str) -> AccountEmail:
        """1 Query, consistent: the account's domains, senders and settings (a few items)."""
        out = AccountEmail()
        for item in TableItem.query(keys.email_account_pk(account_id), consistent_read=True):
            if isinstance(item, EmailDomainItem):
                out.domains[item.domain] = item
            elif isinstance(item, EmailSenderItem):
                out.senders[item.address.lower()] = item
            elif isinstance(item, EmailSettingsItem):
                out.settings = item
        return out

    def claims_of(self, names: Sequence[str]) -> dict[str, DomainClaimItem]:
        """1 BatchGetItem, consistent: which of these domains an account holds, by domain."""
        refs = [keys.domain_claim_ref(n) for n in names]
        return {item.domain: item for item in DomainClaimItem.batch_get([(r, r) for r in refs], consistent_read=True)}

    def claim(self, claim: DomainClaimItem, domain: EmailDomainItem, sender: EmailSenderItem | None) -> None:
        """1 TransactWriteItems: the claim and the account's domain (both `attribute_not_exists`), and
        a first sender on it, made the default when the account has none. Conflict when taken."""
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(claim, condition=DomainClaimItem.pk.does_not_exist())
                tx.save(domain, condition=EmailDomainItem.pk.does_not_exist())
                if sender is not None:
                    tx.save(sender, condition=EmailSenderItem.pk.does_not_exist())
                    tx.update(EmailSettingsItem(domain.pk, keys.EMAIL_SETTINGS_SK), [
                        _settings_kind(),
                        EmailSettingsItem.default_sender.set(
                            EmailSettingsItem.default_sender | sender.address)])
        except ConditionFailed as exc:
            # Every item here is written only where none is: whichever exists, the domain is taken.
            raise Conflict(f"{claim.domain} is already added", field="domain") from exc

    def release(self, account_id: str, domain: str, senders: Sequence[str], *, clear_default: str | None,
                successor: str | None = None) -> None:
        """1 TransactWriteItems: the claim (only this account's), the domain, its senders, and the
        default sender when it was on the domain (`successor` the default then, if any)."""
        pk = keys.email_account_pk(account_id)
        with TransactWrite(connection=self._connection) as tx:
            tx.delete(DomainClaimItem(keys.domain_claim_ref(domain), keys.domain_claim_ref(domain)),
                      condition=DomainClaimItem.account_id == account_id)
            tx.delete(EmailDomainItem(pk, keys.email_domain_sk(domain)))
            for address in senders:
                tx.delete(EmailSenderItem(pk, keys.email_sender_sk(address)))
            if clear_default is not None:
                tx.update(EmailSettingsItem(pk, keys.EMAIL_SETTINGS_SK), [_default_action(successor)],
                          condition=EmailSettingsItem.default_sender == clear_default)

    def record_domain_state(self, account_id: str, domain: str, state: str, dkim_tokens: Sequence[str],
                            updated_at: str | None = None) -> bool:
        """1 UpdateItem: the domain's verification state and DKIM tokens as SES has them (and when they
        changed, if given); False when the account no longer has the domain."""
        item = EmailDomainItem(keys.email_account_pk(account_id), keys.email_domain_sk(domain))
        tokens: Any = list(dkim_tokens)  # PynamoDB types a ListAttribute's value as its attribute class
        actions = [EmailDomainItem.state.set(state), EmailDomainItem.dkim_tokens.set(tokens)]
        if updated_at is not None:
            actions.append(EmailDomainItem.updated_at.set(updated_at))
        return models.update_if(item, actions, EmailDomainItem.pk.exists())

    def put_sender(self, sender: EmailSenderItem, *, default: bool, was_default: bool) -> None:
        """1 TransactWriteItems (or 1 PutItem): the sender, and the settings' default when it changes."""
        settings = EmailSettingsItem(sender.pk, keys.EMAIL_SETTINGS_SK)
        if default == was_default:
            sender.save()
            return
        with TransactWrite(connection=self._connection) as tx:
            tx.save(sender)
            if default:
                tx.update(settings, [_settings_kind(), EmailSettingsItem.default_sender.set(sender.address)])
            else:
                tx.update(settings, [EmailSettingsItem.default_sender.remove()],
                          condition=EmailSettingsItem.default_sender == sender.address)

    def delete_sender(self, account_id: str, address: str, *, was_default: bool, successor: str | None = None) -> None:
        """1 TransactWriteItems: the sender, and the default (`successor` then, if any) when it was it."""
        pk = keys.email_account_pk(account_id)
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.delete(EmailSenderItem(pk, keys.email_sender_sk(address)), condition=EmailSenderItem.pk.exists())
                if was_default:
                    tx.update(EmailSettingsItem(pk, keys.EMAIL_SETTINGS_SK), [_default_action(successor)])
        except ConditionFailed as exc:
            if exc.of(pk, keys.email_sender_sk(address)):
                raise NotFound(f"no sender {address}") from exc
            raise

    def count(self, account_id: str, *counters: str) -> None:
        """1 UpdateItem: ADD 1 to the account's bounce / complaint / suppressed counters."""
        actions = [_settings_kind(), *(getattr(EmailSettingsItem, name).add(1) for name in counters)]
        EmailSettingsItem(keys.email_account_pk(account_id), keys.EMAIL_SETTINGS_SK).update(
            actions, add_version_condition=False)


def _default_action(successor: str | None) -> Action:
    if successor is None:
        return EmailSettingsItem.default_sender.remove()
    return EmailSettingsItem.default_sender.set(successor)


@built
def configured_store(wiring: Wiring) -> SenderStore:
    return models.open_store(wiring, SenderStore)
