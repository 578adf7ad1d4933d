"""Sending domains' pure parts (issue 15): what a domain must be, the records SES needs, tenant names."""

from __future__ import annotations

import pytest
from sideconv.email import domains
from sideconv.errors import InvalidRequest


@pytest.mark.parametrize(("given", "kept"), [
    ("acme.example", "acme.example"), ("Mail.ACME.example", "mail.acme.example"),
    ("xn--bcher-kva.example", "xn--bcher-kva.example"), ("a-b.c-d.example", "a-b.c-d.example"),
])
def test_good_domains_are_kept_lower_case(given: str, kept: str) -> None:
    assert domains.normalize(given) == kept


@pytest.mark.parametrize(("given", "why"), [
    ("acme.example.", "trailing dot"), ("10.0.0.1", "IP address"), ("[::1]", "IP address"),
    ("bücher.example", "xn--bcher-kva.example"), ("xn--zz-zzz.example", "not valid IDNA"),
    ("xn--a.example", "not valid IDNA"), ("ab--c.example", "reserved"), ("localhost", "two labels"),
    ("acme.example\n", "spaces"), ("a" * 250 + ".example", "253"),
])
def test_bad_domains_are_refused_naming_the_field_and_why(given: str, why: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        domains.normalize(given, field="address")
    assert raised.value.field == "address"
    assert why in raised.value.detail


def test_the_records_and_their_zone_file() -> None:
    records = domains.dns_records("acme.example", ["t1", "t2", "t3"], "eu-west-1")
    assert [(r.type, r.purpose) for r in records] == [("CNAME", "dkim")] * 3 + [
        ("MX", "mail_from"), ("TXT", "spf"), ("TXT", "dmarc")]
    zone = domains.zone_file("acme.example", records).splitlines()
    assert zone[1] == "t1._domainkey.acme.example.\t3600\tIN\tCNAME\tt1.dkim.amazonses.com."
    assert zone[4] == "mail.acme.example.\t3600\tIN\tMX\t10 feedback-smtp.eu-west-1.amazonses.com."
    assert zone[5] == 'mail.acme.example.\t3600\tIN\tTXT\t"v=spf1 include:amazonses.com ~all"'
    assert zone[6] == '_dmarc.acme.example.\t3600\tIN\tTXT\t"v=DMARC1; p=none;"'


def test_tenant_names_fit_ses_and_never_collide() -> None:
    import re

    names = {domains.tenant_name(a) for a in ("a.b", "a_b", "a-b", "x" * 64)}
    assert len(names) == 4
    assert all(re.fullmatch(r"sc-[A-Za-z0-9_-]{1,61}", n) for n in names)
    assert domains.tenant_name("acme") == domains.tenant_name("acme")


def test_a_domain_lineage_is_itself_and_each_parent_of_two_labels() -> None:
    assert domains.lineage("a.b.acme.example") == ["a.b.acme.example", "b.acme.example", "acme.example"]
    assert domains.lineage("acme.example") == ["acme.example"]
