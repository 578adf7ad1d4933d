"""Sending domains and senders per account (issue 15): the admin use cases, which address a new side
conversation's mail comes from, and the sender's check at send time.

SES is the truth about a domain's verification; the table keeps its last known state, refreshed when
an admin reads the domain and, while it is still pending, when an agent starts a side conversation.
Each account has an SES tenant (`domains.tenant_name`) holding its identities and the configuration
set, so reputation and suppression are the account's own; mail from the shared address goes out
without one. The sender checks the claim and SES again before every mail from a custom domain: a
domain removed, taken back or no longer verified since the create sends from the shared address.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sideconv import clock, keys
from sideconv.auth import Caller
from sideconv.email import domains
from sideconv.email.sender_store import AccountEmail, SenderStore
from sideconv.errors import Conflict, Forbidden, InvalidRequest, NotFound
from sideconv.observability import logger
from sideconv.results import Created, Found
from sideconv.store.models import DomainClaimItem, EmailDomainItem, EmailSenderItem, EmailSettingsItem
from sideconv.wiring import Wiring, built


@dataclass(frozen=True)
class Sending:
    """What the sending-domain use cases need: the store, SES v2 and the shared identity."""

    store: SenderStore
    ses: Any
    region: str
    shared_address: str
    shared_name: str
    inbound_domain: str
    configuration_set: str | None = None


@dataclass(frozen=True)
class From:
    email: str
    name: str
    shared: bool

    def as_dict(self) -> dict[str, Any]:
        return {"email": self.email, "name": self.name, "shared": self.shared}


def _admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise Forbidden("only admins of the account may manage sending domains")


def _code(exc: Exception) -> str:
    return str((getattr(exc, "response", None) or {}).get("Error", {}).get("Code") or type(exc).__name__)


# Domains ----------------------------------------------------------------------------------------


def _domain_view(item: EmailDomainItem) -> dict[str, Any]:
    records = domains.dns_records(item.domain, [str(t) for t in item.dkim_tokens or []], item.region)
    return {"domain": item.domain, "state": item.state, "mail_from_domain": item.mail_from_domain,
            "dns_records": [r.as_dict() for r in records], "zone_file": domains.zone_file(item.domain, records),
            "created_at": item.created_at, "updated_at": item.updated_at}


def add_domain(sending: Sending, caller: Caller, raw_domain: str) -> Created | Found:
    """Claim the domain for the account, then create its SES identity (Easy DKIM 2048-bit, custom
    MAIL FROM) in the account's tenant. Created, with the DNS records; Found when the account has it
    already."""
    _admin(caller)
    domain = domains.normalize(raw_domain)
    own = {domains.domain_of(sending.shared_address), sending.inbound_domain.lower()}
    if domain in own or any(domain.endswith(f".{d}") or d.endswith(f".{domain}") for d in own):
        raise InvalidRequest("this domain is the service's own sending or receiving domain", field="domain")
    claims = sending.store.claims_of(domains.lineage(domain))
    above = sorted((d for d, c in claims.items() if d != domain and c.account_id != caller.account_id), key=len)
    if above:
        raise Conflict(f"{domain} is within {above[0]}, which another account holds", field="domain")
    claim = claims.get(domain)
    if claim is not None:
        if claim.account_id != caller.account_id:
            raise Conflict(f"{domain} is held by another account", field="domain")
        held = sending.store.account(caller.account_id).domains.get(domain)
        if held is not None:
            return Found(_domain_view(_refresh(sending, caller.account_id, held)))
    now = clock.now_iso()
    pk = keys.email_account_pk(caller.account_id)
    tenant = domains.tenant_name(caller.account_id)
    item = EmailDomainItem(pk, keys.email_domain_sk(domain), domain=domain, state="pending",
                           mail_from_domain=domains.mail_from_domain(domain), dkim_tokens=[], region=sending.region,
                           tenant=tenant, created_at=now, updated_at=now)
    local = sending.shared_address.partition("@")[0]
    first = EmailSenderItem(pk, keys.email_sender_sk(f"{local}@{domain}"), address=f"{local}@{domain}",
                            name=sending.shared_name, domain=domain, created_at=now, updated_at=now)
    known = sending.store.account(caller.account_id)
    claim_key = keys.domain_claim_ref(domain)
    new_sender = first.address.lower() not in known.senders
    sending.store.claim(DomainClaimItem(claim_key, claim_key, account_id=caller.account_id, domain=domain,
                                        created_at=now), item, first if new_sender else None)
    try:
        tokens, state = _create_identity(sending, caller.account_id, domain, tenant)
    except Exception:
        logger.exception("SES refused the domain identity; claim released", extra={"domain": domain})
        # Undo only what this request wrote: the sender it added, the default it set.
        sending.store.release(caller.account_id, domain, [first.address] if new_sender else [],
                              clear_default=first.address if new_sender and known.default_sender is None else None)
        raise
    item.dkim_tokens, item.state = tokens, state
    sending.store.record_domain_state(caller.account_id, domain, state, tokens)
    logger.info("sending domain added", extra={"account_id": caller.account_id, "domain": domain})
    return Created(_domain_view(item))


def _create_identity(sending: Sending, account_id: str, domain: str, tenant: str) -> tuple[Any, str]:
    ses = sending.ses
    request: dict[str, Any] = {"EmailIdentity": domain,
                               "DkimSigningAttributes": {"NextSigningKeyLength": domains.DKIM_KEY_LENGTH},
                               "Tags": [{"Key": domains.ACCOUNT_TAG, "Value": account_id}]}
    if sending.configuration_set:
        request["ConfigurationSetName"] = sending.configuration_set
    try:
        ses.create_email_identity(**request)
    except Exception as exc:
        # Left over from an add that failed after SES took it: the claim is ours, so is the identity.
        if _code(exc) != "AlreadyExistsException":
            raise
    ses.put_email_identity_mail_from_attributes(EmailIdentity=domain, MailFromDomain=domains.mail_from_domain(domain),
                                                BehaviorOnMxFailure="USE_DEFAULT_VALUE")
    tenant_arn = _tenant(sending, tenant)
    prefix = tenant_arn.split(":tenant/")[0]
    try:
        ses.create_tenant_resource_association(TenantName=tenant, ResourceArn=f"{prefix}:identity/{domain}")
    except Exception as exc:
        if _code(exc) != "AlreadyExistsException":
            raise
    identity = ses.get_email_identity(EmailIdentity=domain)
    tokens = [str(t) for t in identity.get("DkimAttributes", {}).get("Tokens") or []]
    return tokens, domains.state_of(identity.get("VerificationStatus"))


def _tenant(sending: Sending, tenant: str) -> str:
    """The account's tenant, created on its first domain with the configuration set associated."""
    ses = sending.ses
    try:
        created = ses.create_tenant(TenantName=tenant, Tags=[{"Key": "sideconv:managed", "Value": "true"}])
        arn = str(created["TenantArn"])
    except Exception as exc:
        if _code(exc) != "AlreadyExistsException":
            raise
        return str(ses.get_tenant(TenantName=tenant)["Tenant"]["TenantArn"])
    if sending.configuration_set:
        prefix = arn.split(":tenant/")[0]
        ses.create_tenant_resource_association(
            TenantName=tenant, ResourceArn=f"{prefix}:configuration-set/{sending.configuration_set}")
    return arn


def _refresh(sending: Sending, account_id: str, item: EmailDomainItem) -> EmailDomainItem:
    """Read the state from SES; write it back when it changed."""
    tokens: Any
    try:
        identity = sending.ses.get_email_identity(EmailIdentity=item.domain)
    except Exception as exc:
        if _code(exc) != "NotFoundException":
            raise
        state = "failed"
        tokens = list(item.dkim_tokens or [])
    else:
        state = domains.state_of(identity.get("VerificationStatus"))
        tokens = [str(t) for t in identity.get("DkimAttributes", {}).get("Tokens") or []]
        tokens = tokens or list(item.dkim_tokens or [])
    if state != item.state or tokens != list(item.dkim_tokens or []):
        now = clock.now_iso()
        sending.store.record_domain_state(account_id, item.domain, state, tokens, updated_at=now)
        item.state, item.dkim_tokens, item.updated_at = state, tokens, now
    return item


def _held(sending: Sending, caller: Caller, raw_domain: str) -> tuple[AccountEmail, EmailDomainItem]:
    try:
        domain = domains.normalize(raw_domain)
    except InvalidRequest:
        raise NotFound("no such sending domain in the account") from None
    account = sending.store.account(caller.account_id)
    item = account.domains.get(domain)
    if item is None:
        raise NotFound("no such sending domain in the account")
    return account, item


def get_domain(sending: Sending, caller: Caller, raw_domain: str) -> dict[str, Any]:
    _admin(caller)
    _, item = _held(sending, caller, raw_domain)
    return _domain_view(_refresh(sending, caller.account_id, item))


def list_domains(sending: Sending, caller: Caller) -> dict[str, Any]:
    _admin(caller)
    account = sending.store.account(caller.account_id)
    items = [_domain_view(_refresh(sending, caller.account_id, d)) for d in sorted(account.domains.values(),
                                                                                    key=lambda d: d.domain)]
    return {"items": items}


def delete_domain(sending: Sending, caller: Caller, raw_domain: str) -> None:
    """The claim, the domain, its senders; then the SES identity. Side conversations that used it
    keep their history (their summaries hold the address they came from)."""
    _admin(caller)
    account, item = _held(sending, caller, raw_domain)
    on_domain = [s.address for s in account.senders.values() if s.domain == item.domain]
    default = account.default_sender
    clear = default if default is not None and domains.domain_of(default) == item.domain else None
    sending.store.release(caller.account_id, item.domain, on_domain, clear_default=clear,
                          successor=_successor(account, set(on_domain)) if clear else None)
    try:
        sending.ses.delete_email_identity(EmailIdentity=item.domain)
    except Exception as exc:
        if _code(exc) != "NotFoundException":
            raise
    logger.info("sending domain removed", extra={"account_id": caller.account_id, "domain": item.domain})


# Senders ----------------------------------------------------------------------------------------


def _verified(sending: Sending, account_id: str, account: AccountEmail, domain: str) -> bool:
    item = account.domains.get(domain)
    if item is None:
        return False
    if item.state != "verified":
        item = _refresh(sending, account_id, item)
    return item.state == "verified"


def _sender_view(item: EmailSenderItem, account: AccountEmail, sending: Sending) -> dict[str, Any]:
    domain = account.domains.get(item.domain)
    return {"address": item.address, "name": item.name, "domain": item.domain,
            "default": (account.default_sender or "").lower() == item.address.lower(),
            "verified": domain is not None and domain.state == "verified"}


def put_sender(sending: Sending, caller: Caller, raw_address: str, name: str, default: bool) -> dict[str, Any]:
    _admin(caller)
    address = _address(raw_address)
    domain = domains.domain_of(address)
    account = sending.store.account(caller.account_id)
    if domain not in account.domains:
        raise InvalidRequest(f"{domain} is not a sending domain of the account", field="address")
    if not _verified(sending, caller.account_id, account, domain):
        raise InvalidRequest(f"{domain} is not verified yet", field="address")
    now = clock.now_iso()
    known = account.senders.get(address.lower())
    item = EmailSenderItem(keys.email_account_pk(caller.account_id), keys.email_sender_sk(address), address=address,
                           name=name, domain=domain, created_at=known.created_at if known else now, updated_at=now)
    was_default = (account.default_sender or "").lower() == address.lower()
    # The account's first sender is its default whatever was asked: mail has to come from one.
    make_default = default or (account.default_sender is None)
    sending.store.put_sender(item, default=make_default, was_default=was_default)
    account.senders[address.lower()] = item
    if make_default and account.settings is not None:
        account.settings.default_sender = address
    elif make_default:
        account.settings = EmailSettingsItem(keys.email_account_pk(caller.account_id), keys.EMAIL_SETTINGS_SK,
                                             default_sender=address)
    elif was_default and account.settings is not None:
        account.settings.default_sender = None
    return _sender_view(item, account, sending)


def list_senders(sending: Sending, caller: Caller) -> dict[str, Any]:
    _admin(caller)
    account = sending.store.account(caller.account_id)
    for domain in account.domains.values():
        if domain.state != "verified":
            _refresh(sending, caller.account_id, domain)
    return {"items": [_sender_view(s, account, sending) for s in sorted(account.senders.values(),
                                                                         key=lambda s: s.address)]}


def delete_sender(sending: Sending, caller: Caller, raw_address: str) -> None:
    _admin(caller)
    address = _address(raw_address)
    account = sending.store.account(caller.account_id)
    if address.lower() not in account.senders:
        raise NotFound(f"no sender {address} in the account")
    was_default = (account.default_sender or "").lower() == address.lower()
    sending.store.delete_sender(caller.account_id, address, was_default=was_default,
                                successor=_successor(account, {address}) if was_default else None)


def _successor(account: AccountEmail, leaving: set[str]) -> str | None:
    """The default after the default sender goes: the first other sender on a verified domain, so the
    account keeps sending from its own domain rather than falling back to the shared address."""
    gone = {a.lower() for a in leaving}
    for sender in sorted(account.senders.values(), key=lambda s: s.address):
        domain = account.domains.get(sender.domain)
        if sender.address.lower() not in gone and domain is not None and domain.state == "verified":
            return sender.address
    return None


def _address(raw: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    if "\r" in raw or "\n" in raw:
        raise InvalidRequest("must be a single line", field="address")
    try:
        # ASCII only: SES sends no SMTPUTF8, and a From local part cannot be encoded any other way.
        address = validate_email(raw, check_deliverability=False, allow_smtputf8=False).normalized
    except EmailNotValidError as exc:
        raise InvalidRequest(f"not a valid email address: {exc}", field="address") from None
    local, _, domain = address.rpartition("@")
    return f"{local}@{domains.normalize(domain, field='address')}"


# Which address a side conversation's mail comes from ---------------------------------------------


def shared(sending: Sending) -> From:
    return From(sending.shared_address, sending.shared_name, shared=True)


def choose(sending: Sending, account_id: str, requested: str | None) -> From:
    """`requested` (a sender of the account on a verified domain, else 422 naming `from`), or the
    account's default sender while its domain is verified, or the shared address. 1 Query, and SES
    only for a domain the table still has pending."""
    return _choose(sending, account_id, sending.store.account(account_id), requested)


def _choose(sending: Sending, account_id: str, account: AccountEmail, requested: str | None) -> From:
    if requested is not None:
        sender = account.senders.get(requested.lower())
        if sender is None:
            raise InvalidRequest(f"{requested} is not a sender address of the account", field="from")
        if not _verified(sending, account_id, account, sender.domain):
            raise InvalidRequest(f"{sender.domain} is not verified yet", field="from")
        return From(sender.address, sender.name, shared=False)
    default = account.senders.get((account.default_sender or "").lower())
    if default is not None and _verified(sending, account_id, account, default.domain):
        return From(default.address, default.name, shared=False)
    return shared(sending)


def settings(sending: Sending, caller: Caller) -> dict[str, Any]:
    """What the panel shows: where a new side conversation's mail will come from, the senders the
    email form may pick among, and (admins) the account's bounces and complaints. 1 Query."""
    account = sending.store.account(caller.account_id)
    chosen = _choose(sending, caller.account_id, account, None)
    # The senders an agent may pick at create (`from`): those on a domain last known verified.
    usable = [From(s.address, s.name, shared=False).as_dict() for s in sorted(account.senders.values(),
              key=lambda s: s.address) if (d := account.domains.get(s.domain)) is not None and d.state == "verified"]
    out: dict[str, Any] = {"from": chosen.as_dict(), "senders": usable}
    if caller.is_admin:
        s = account.settings
        out["tenant"] = domains.tenant_name(caller.account_id) if account.domains else None
        out["bounce_count"] = int(s.bounce_count or 0) if s else 0
        out["complaint_count"] = int(s.complaint_count or 0) if s else 0
        out["suppressed_count"] = int(s.suppressed_count or 0) if s else 0
    return out


# At send time ------------------------------------------------------------------------------------

# A domain SES said was verified is trusted for a minute by a container, then asked again.
_VERIFIED_FOR_S = 60.0


@built
def verified_until(wiring: Wiring) -> dict[str, float]:
    """The container's memory of which domains SES said were verified, until when (`may_send_from`)."""
    return {}


def may_send_from(store: SenderStore, ses: Any, account_id: str, address: str,
                  seen: dict[str, float]) -> str | None:
    """The tenant to send `address`'s mail in, or None when it may not: the domain's claim is not this
    account's, or a parent domain is another account's, or SES does not have it verified for sending
    (1 BatchGetItem; SES at most once a minute)."""
    domain = domains.domain_of(address)
    claims = store.claims_of(domains.lineage(domain))
    claim = claims.get(domain)
    if claim is None or any(c.account_id != account_id for c in claims.values()):
        return None
    if seen.get(domain, 0.0) < time.monotonic():
        try:
            identity = ses.get_email_identity(EmailIdentity=domain)
        except Exception as exc:
            if _code(exc) == "NotFoundException":
                return None
            raise
        if not identity.get("VerifiedForSendingStatus"):
            seen.pop(domain, None)
            return None
        seen[domain] = time.monotonic() + _VERIFIED_FOR_S
    return domains.tenant_name(account_id)

