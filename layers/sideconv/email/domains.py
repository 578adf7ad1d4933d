"""Sending domains: what a domain name must be, the DNS records SES needs published, and the names the
stack gives SES resources per account. Pure: no AWS, no table (the use cases are `sideconv.email.senders`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sideconv.errors import InvalidRequest

State = Literal["pending", "verified", "failed", "temporary_failure"]

# SES's VerificationStatus → the API's state. NOT_STARTED is SES not having looked yet: pending.
STATES: dict[str, State] = {"SUCCESS": "verified", "PENDING": "pending", "NOT_STARTED": "pending",
                            "FAILED": "failed", "TEMPORARY_FAILURE": "temporary_failure"}
# The custom MAIL FROM (Return-Path) domain: a subdomain of the sending domain, so SPF aligns with it.
MAIL_FROM_LABEL = "mail"
DKIM_KEY_LENGTH = "RSA_2048_BIT"
DMARC_SUGGESTED = "v=DMARC1; p=none;"
SPF = "v=spf1 include:amazonses.com ~all"
TTL = 3600
# SES resources the stack owns are named with this prefix (infra grants only `tenant/sc-*`).
TENANT_PREFIX = "sc-"
# What tags an identity the API created: the API's role may manage only identities with it.
ACCOUNT_TAG = "sideconv:account"

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TENANT_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def normalize(value: str, field: str = "domain") -> str:
    """The domain as SES will know it (lower case, ASCII); anything else is a 422 naming `field`.

    Refused rather than repaired: a trailing dot (the caller may mean another name than they think),
    an IP address, a Unicode name (give its IDNA form: we will not guess which IDNA rules you mean),
    an `xn--` label that does not decode, labels that break the LDH rule or the lengths.
    """
    def refuse(why: str) -> InvalidRequest:
        return InvalidRequest(why, field=field)

    if value != value.strip():
        raise refuse("no spaces around the domain")
    if value.endswith("."):
        raise refuse("a trailing dot is not accepted: give the domain without it")
    if not value.isascii():
        raise refuse(f"give the domain in its IDNA (xn--) form{_idna_hint(value)}")
    domain = value.lower()
    candidate = domain[1:-1] if domain.startswith("[") and domain.endswith("]") else domain
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        pass
    else:
        raise refuse("an IP address is not a domain")
    if len(domain) > 253:
        raise refuse("at most 253 characters")
    labels = domain.split(".")
    if len(labels) < 2:
        raise refuse("a domain has at least two labels, e.g. acme.example")
    for label in labels:
        if not _LABEL.match(label):
            raise refuse(f"label {label!r} is not letters, digits and inner hyphens of 1 to 63 characters")
        if label[2:4] == "--":
            if not label.startswith("xn--"):
                raise refuse(f"label {label!r}: hyphens in the third and fourth places are reserved")
            _check_a_label(label, refuse)
    if labels[-1].isdigit():
        raise refuse("the top-level label cannot be all digits")
    return domain


def _check_a_label(label: str, refuse: Callable[[str], InvalidRequest]) -> None:
    import idna

    try:
        decoded = idna.decode(label)
        ok = idna.encode(decoded).decode("ascii") == label
    except (idna.IDNAError, UnicodeError, ValueError):
        ok = False
    if not ok:
        raise refuse(f"label {label!r} is not valid IDNA")


def _idna_hint(value: str) -> str:
    import idna

    try:
        return f": {idna.encode(value.rstrip('.')).decode('ascii')}"
    except (idna.IDNAError, UnicodeError, ValueError):
        return ""


def lineage(domain: str) -> list[str]:
    """The domain and each parent of two labels or more: `a.b.acme.example` → itself, `b.acme.example`,
    `acme.example`. SES lets a verified domain's identity send for its subdomains too, so a subdomain
    of a domain another account holds is that account's."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def mail_from_domain(domain: str) -> str:
    return f"{MAIL_FROM_LABEL}.{domain}"


@dataclass(frozen=True)
class DnsRecord:
    type: Literal["CNAME", "MX", "TXT"]
    name: str
    value: str
    purpose: Literal["dkim", "mail_from", "spf", "dmarc"]
    priority: int | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"type": self.type, "name": self.name, "value": self.value, "purpose": self.purpose}
        if self.priority is not None:
            out["priority"] = self.priority
        return out

    def zone_line(self) -> str:
        value = self.value
        if self.type == "CNAME":
            value = f"{value}."
        elif self.type == "MX":
            value = f"{self.priority} {value}."
        else:
            value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{self.name}.\t{TTL}\tIN\t{self.type}\t{value}"


def dns_records(domain: str, dkim_tokens: list[str], region: str) -> list[DnsRecord]:
    """Every record to publish: Easy DKIM's three CNAMEs, the MAIL FROM subdomain's MX and SPF, and a
    DMARC policy to start from (p=none: watch reports first, tighten later)."""
    mail_from = mail_from_domain(domain)
    records = [DnsRecord("CNAME", f"{token}._domainkey.{domain}", f"{token}.dkim.amazonses.com", "dkim")
               for token in dkim_tokens]
    records += [
        DnsRecord("MX", mail_from, f"feedback-smtp.{region}.amazonses.com", "mail_from", priority=10),
        DnsRecord("TXT", mail_from, SPF, "spf"),
        DnsRecord("TXT", f"_dmarc.{domain}", DMARC_SUGGESTED, "dmarc"),
    ]
    return records


def zone_file(domain: str, records: list[DnsRecord]) -> str:
    lines = [f"; DNS records for sending mail as {domain} through Amazon SES", *(r.zone_line() for r in records)]
    return "\n".join(lines) + "\n"


def tenant_name(account_id: str) -> str:
    """The account's SES tenant: `sc-<account, made safe>-<hash>`. The hash keeps two accounts that
    differ only in characters a tenant name cannot hold ("a.b", "a_b") apart; 64 characters at most."""
    safe = _TENANT_UNSAFE.sub("_", account_id)[:48]
    digest = hashlib.sha256(account_id.encode()).hexdigest()[:8]
    return f"{TENANT_PREFIX}{safe}-{digest}"


def state_of(verification_status: str | None) -> State:
    return STATES.get(str(verification_status or "PENDING").upper(), "pending")


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()
