"""Sending domains per account (issue 15): the admin API on embedded SES v2, the From of the mail that
goes out, and the check at send time. Real handlers, moto with the local SES v2 additions."""

from __future__ import annotations

from typing import Any

import pytest

from local import moto_sesv2
from tests.conftest import agent_claims
from tests.email_support import email_world_fixture, parse_raw  # noqa: F401 - fixture

ACME_ADMIN = agent_claims(account="acme", sub="admin-1", role="admin", name="Ada Admin")
GLOBEX_ADMIN = agent_claims(account="globex", sub="admin-9", role="admin", name="Gil Admin")
DOMAINS = "/v1/email/domains"


def _add(api: Any, domain: str = "acme.example", claims: dict[str, Any] = ACME_ADMIN) -> tuple[int, Any]:
    status, _, body = api("POST", DOMAINS, {"domain": domain}, claims=claims)
    return status, body


def test_adding_a_domain_answers_every_dns_record_and_creates_the_ses_identity(api: Any) -> None:
    import boto3

    status, body = _add(api)
    assert status == 201, body
    assert body["domain"] == "acme.example"
    assert body["state"] == "pending"
    by_purpose: dict[str, list[dict[str, Any]]] = {}
    for record in body["dns_records"]:
        by_purpose.setdefault(record["purpose"], []).append(record)
    identity = boto3.client("sesv2").get_email_identity(EmailIdentity="acme.example")
    tokens = identity["DkimAttributes"]["Tokens"]
    assert identity["DkimAttributes"]["NextSigningKeyLength"] == "RSA_2048_BIT"
    assert identity["MailFromAttributes"]["MailFromDomain"] == "mail.acme.example"
    assert [(r["type"], r["name"], r["value"]) for r in by_purpose["dkim"]] == [
        ("CNAME", f"{t}._domainkey.acme.example", f"{t}.dkim.amazonses.com") for t in tokens]
    assert by_purpose["mail_from"] == [{"type": "MX", "name": "mail.acme.example", "priority": 10,
                                        "value": "feedback-smtp.us-east-1.amazonses.com", "purpose": "mail_from"}]
    assert by_purpose["spf"][0]["value"] == "v=spf1 include:amazonses.com ~all"
    assert by_purpose["spf"][0]["name"] == "mail.acme.example"
    assert by_purpose["dmarc"][0]["name"] == "_dmarc.acme.example"
    assert by_purpose["dmarc"][0]["value"].startswith("v=DMARC1;")
    zone = body["zone_file"]
    assert f"{tokens[0]}._domainkey.acme.example.\t3600\tIN\tCNAME\t{tokens[0]}.dkim.amazonses.com." in zone
    assert "mail.acme.example.\t3600\tIN\tMX\t10 feedback-smtp.us-east-1.amazonses.com." in zone
    assert 'mail.acme.example.\t3600\tIN\tTXT\t"v=spf1 include:amazonses.com ~all"' in zone
    # The account's tenant holds the identity.
    tenant = boto3.client("sesv2").list_tenant_resources(TenantName=_tenant("acme"))["TenantResources"]
    assert any(r["ResourceArn"].endswith(":identity/acme.example") for r in tenant)


def _tenant(account: str) -> str:
    from sideconv.email.domains import tenant_name

    return tenant_name(account)


def test_state_is_read_from_ses(api: Any) -> None:
    _add(api)
    assert api("GET", f"{DOMAINS}/acme.example", claims=ACME_ADMIN)[2]["state"] == "pending"
    moto_sesv2.verify("acme.example")
    status, _, body = api("GET", f"{DOMAINS}/acme.example", claims=ACME_ADMIN)
    assert (status, body["state"]) == (200, "verified")
    listed = api("GET", DOMAINS, claims=ACME_ADMIN)[2]["items"]
    assert [(d["domain"], d["state"]) for d in listed] == [("acme.example", "verified")]


def test_a_domain_belongs_to_one_account(api: Any) -> None:
    assert _add(api)[0] == 201
    status, body = _add(api, claims=GLOBEX_ADMIN)
    assert status == 409
    assert body["errors"][0]["field"] == "domain"
    assert _add(api, "ACME.example")[0] == 200  # the holder adding it again: what it has
    assert api("GET", DOMAINS, claims=GLOBEX_ADMIN)[2]["items"] == []
    assert api("GET", f"{DOMAINS}/acme.example", claims=GLOBEX_ADMIN)[0] == 404
    assert api("DELETE", f"{DOMAINS}/acme.example", claims=GLOBEX_ADMIN)[0] == 404


@pytest.mark.parametrize("domain", [
    "not a domain", "acme", "192.0.2.1", "[192.0.2.1]", "2001:db8::1", "acme.example.", "-acme.example",
    "acme-.example", "xn--zz-zzz.example", "xn--.example", "ab--cd.example", "bücher.example", "acme.123",
    "a" * 64 + ".example", " acme.example", "acme..example", "acme_corp.example",
])
def test_a_bad_domain_is_a_422_naming_it(api: Any, domain: str) -> None:
    status, body = _add(api, domain)
    assert status == 422, body
    assert body["errors"][0]["field"] == "domain"


def test_an_idna_domain_in_its_ascii_form_is_accepted(api: Any) -> None:
    status, body = _add(api, "xn--bcher-kva.example")
    assert status == 201
    assert body["domain"] == "xn--bcher-kva.example"


def test_a_unicode_domain_is_refused_with_its_idna_form(api: Any) -> None:
    status, body = _add(api, "bücher.example")
    assert status == 422
    assert "xn--bcher-kva.example" in body["detail"]


def test_the_service_own_domains_cannot_be_claimed(api: Any) -> None:
    assert _add(api, "example.com")[0] == 422
    assert _add(api, "reply.example.com")[0] == 422


def test_only_admins_manage_domains_and_senders(api: Any) -> None:
    agent = agent_claims(account="acme")
    assert _add(api, claims=agent)[0] == 403
    assert api("GET", DOMAINS, claims=agent)[0] == 403
    assert api("GET", "/v1/email/senders", claims=agent)[0] == 403
    assert api("PUT", "/v1/email/senders/support@acme.example", {"name": "Acme"}, claims=agent)[0] == 403
    assert api("DELETE", f"{DOMAINS}/acme.example", claims=agent)[0] == 403
    # Every agent may see where the mail will come from.
    status, _, body = api("GET", "/v1/email/settings", claims=agent)
    assert status == 200
    assert body["from"] == {"email": "support@example.com", "name": "Atender Support",
                                              "shared": True}
    assert "bounce_count" not in body or body["bounce_count"] is None
    assert body["senders"] == []  # the domain is pending: nothing to pick


def test_senders_only_on_verified_domains_with_a_single_line_name(api: Any) -> None:
    _add(api)
    status, _, body = api("PUT", "/v1/email/senders/billing@acme.example", {"name": "Acme Billing"},
                          claims=ACME_ADMIN)
    assert status == 422
    assert body["errors"][0] == {"field": "address", "in": "path",
                                                   "detail": "acme.example is not verified yet"}
    status, _, body = api("PUT", "/v1/email/senders/billing@other.example", {"name": "X"}, claims=ACME_ADMIN)
    assert status == 422
    assert body["errors"][0]["field"] == "address"
    moto_sesv2.verify("acme.example")
    # A local part beyond ASCII can not go out in a From (SES sends no SMTPUTF8).
    status, _, body = api("PUT", "/v1/email/senders/zo%C3%AB@acme.example", {"name": "Zoë"}, claims=ACME_ADMIN)
    assert (status, body["errors"][0]["field"]) == (422, "address"), body
    status, _, body = api("PUT", "/v1/email/senders/billing@acme.example", {"name": "Acme\r\nBcc: x@evil.example"},
                          claims=ACME_ADMIN)
    assert status == 422
    assert body["errors"][0]["field"] == "name"
    status, _, body = api("PUT", "/v1/email/senders/billing@acme.example", {"name": "Acme Billing", "default": True},
                          claims=ACME_ADMIN)
    assert status == 200
    assert body == {"address": "billing@acme.example", "name": "Acme Billing",
                                      "domain": "acme.example", "default": True, "verified": True}
    items = api("GET", "/v1/email/senders", claims=ACME_ADMIN)[2]["items"]
    assert [(s["address"], s["default"]) for s in items] == [("billing@acme.example", True),
                                                              ("support@acme.example", False)]
    assert api("DELETE", "/v1/email/senders/billing@acme.example", claims=ACME_ADMIN)[0] == 204
    # The default gone, the other sender on the verified domain is the default: still acme's own domain.
    items = api("GET", "/v1/email/senders", claims=ACME_ADMIN)[2]["items"]
    assert [(s["address"], s["default"]) for s in items] == [("support@acme.example", True)]
    assert api("GET", "/v1/email/settings", claims=ACME_ADMIN)[2]["from"]["email"] == "support@acme.example"
    assert api("DELETE", "/v1/email/senders/billing@acme.example", claims=ACME_ADMIN)[0] == 404
    # The last sender gone: the shared address.
    assert api("DELETE", "/v1/email/senders/support@acme.example", claims=ACME_ADMIN)[0] == 204
    assert api("GET", "/v1/email/settings", claims=ACME_ADMIN)[2]["from"]["shared"] is True


def test_mail_goes_out_from_the_verified_domain_signed_for_it(email_world: Any) -> None:
    api = email_world.api
    _add(api)
    # Pending: the shared address, and the side conversation says so.
    pending = email_world.start()
    assert pending["email"]["from"] == {"email": "support@example.com", "name": "Atender Support", "shared": True}
    moto_sesv2.verify("acme.example")
    started = email_world.start()
    assert started["email"]["from"] == {"email": "support@acme.example", "name": "Atender Support", "shared": False}
    email_world.send()
    newest, older = email_world.sent()[:2]
    assert older["from"] == "Dana Agent via Atender Support <support@example.com>"
    assert "DKIM-Signature" not in older["raw"].split("\n\n")[0] or "d=example.com" in older["raw"]
    assert newest["from"] == "Dana Agent via Atender Support <support@acme.example>"
    assert newest["reply_to"] == started["email"]["reply_to"]
    headers = parse_raw(newest["raw"])
    assert "d=acme.example" in " ".join(str(headers["DKIM-Signature"]).split())
    _verify_dkim(newest["raw"])


def _verify_dkim(raw: str) -> None:
    import dkim

    record = moto_sesv2.dkim_record().encode()
    assert dkim.verify(raw.encode(), dnsfunc=lambda name, timeout=5: record)


def test_a_chosen_sender_and_bad_choices(email_world: Any) -> None:
    api = email_world.api
    _add(api)
    moto_sesv2.verify("acme.example")
    api("PUT", "/v1/email/senders/billing@acme.example", {"name": "Acme Billing"}, claims=ACME_ADMIN)
    # Another account's verified sender is never acme's to choose.
    _add(api, "globex.example", claims=GLOBEX_ADMIN)
    moto_sesv2.verify("globex.example")
    # Every agent reads the senders the email form may pick among (verified domains only, by address).
    status, _, body = api("GET", "/v1/email/settings", claims=agent_claims(account="acme"))
    assert status == 200
    assert body["from"] == {"email": "support@acme.example", "name": "Atender Support", "shared": False}
    assert body["senders"] == [{"email": "billing@acme.example", "name": "Acme Billing", "shared": False},
                               {"email": "support@acme.example", "name": "Atender Support", "shared": False}]
    started = email_world.start(**{"from": "billing@acme.example"})
    assert started["email"]["from"]["email"] == "billing@acme.example"
    email_world.send()
    assert email_world.sent(1)[0]["from"] == "Dana Agent via Acme Billing <billing@acme.example>"
    for bad in ("someone@acme.example", "support@example.com", "support@globex.example"):
        status, _, body = api("POST", "/v1/conversations/conv-1/side-conversations",
                              _start(**{"from": bad}))
        assert (status, body["errors"][0]["field"]) == (422, "from"), bad


def _start(**overrides: Any) -> dict[str, Any]:
    from tests.email_support import start_request

    return start_request(**overrides)


def test_another_account_without_a_domain_sends_from_the_shared_address(email_world: Any) -> None:
    api = email_world.api
    _add(api)
    moto_sesv2.verify("acme.example")
    status, _, body = api("POST", "/v1/conversations/conv-9/side-conversations", _start(),
                          claims=agent_claims(account="globex", sub="agent-9"))
    assert status == 201
    assert body["email"]["from"]["email"] == "support@example.com"
    email_world.send()
    assert email_world.sent(1)[0]["from"].endswith("<support@example.com>")


def test_a_subdomain_of_another_account_domain_is_never_this_account_to_send_from(email_world: Any) -> None:
    # SES lets a verified domain's identity send for its subdomains: a subdomain is the parent's holder's.
    api = email_world.api
    globex_agent = agent_claims(account="globex", sub="agent-9")
    # Given globex holds and verified hr.acme.example before acme added acme.example
    assert _add(api, "hr.acme.example", claims=GLOBEX_ADMIN)[0] == 201
    moto_sesv2.verify("hr.acme.example")
    assert _add(api)[0] == 201
    moto_sesv2.verify("acme.example")
    # Then globex's mail goes from the shared address, and no other account may add a name within acme's
    status, _, body = api("POST", "/v1/conversations/conv-9/side-conversations", _start(), claims=globex_agent)
    assert status == 201
    email_world.send()
    assert email_world.sent(1)[0]["from"].endswith("<support@example.com>")
    thread = api("GET", f"/v1/conversations/conv-9/side-conversations/{body['id']}", claims=globex_agent)[2]
    assert "shared address" in thread["messages"][0]["delivery"]["detail"]
    status, body = _add(api, "eu.Acme.example", claims=GLOBEX_ADMIN)
    assert (status, body["errors"][0]["field"]) == (409, "domain"), body
    assert "within acme.example" in body["errors"][0]["detail"]
    # While acme's own subdomain is acme's to add
    assert _add(api, "eu.acme.example")[0] == 201


def test_a_domain_removed_after_the_create_sends_from_the_shared_address(email_world: Any) -> None:
    api = email_world.api
    _add(api)
    moto_sesv2.verify("acme.example")
    started = email_world.start()
    assert api("DELETE", f"{DOMAINS}/acme.example", claims=ACME_ADMIN)[0] == 204
    email_world.send()
    assert email_world.sent(1)[0]["from"].endswith("<support@example.com>")
    thread = email_world.thread(started["id"])
    # History stays readable, and says where the mail came from and why.
    assert thread["email"]["from"]["email"] == "support@acme.example"
    assert "shared address" in thread["messages"][0]["delivery"]["detail"]
    # Another account may now claim it; acme's old side conversation never sends from it.
    assert _add(api, claims=GLOBEX_ADMIN)[0] == 201
    moto_sesv2.verify("acme.example")
    email_world.reply(started["id"], "one more thing")
    email_world.send()
    assert email_world.sent(1)[0]["from"].endswith("<support@example.com>")


def test_a_domain_no_longer_verified_in_ses_is_not_sent_from(email_world: Any) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    api = email_world.api
    _add(api)
    moto_sesv2.verify("acme.example")
    email_world.start()
    identity = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].email_identities["acme.example"]
    identity.verified_for_sending_status = False
    identity.verification_status = "FAILED"
    email_world.send()
    assert email_world.sent(1)[0]["from"].endswith("<support@example.com>")
    assert api("GET", f"{DOMAINS}/acme.example", claims=ACME_ADMIN)[2]["state"] == "failed"


def test_an_escaped_address_in_the_path_is_the_address(api: Any) -> None:
    _add(api)
    moto_sesv2.verify("acme.example")
    status, _, body = api("PUT", "/v1/email/senders/billing%40acme.example", {"name": "Acme Billing"},
                          claims=ACME_ADMIN)
    assert (status, body["address"]) == (200, "billing@acme.example")
    assert api("DELETE", "/v1/email/senders/billing%40acme.example", claims=ACME_ADMIN)[0] == 204


def test_a_domain_ses_refuses_is_released_for_the_account_to_try_again(api: Any) -> None:
    from unittest import mock

    from moto.sesv2.responses import SESV2Response

    # Given SES refusing the identity (say, the account's identity limit)
    with mock.patch.object(SESV2Response, "create_email_identity", _raise_limit):
        status, _ = _add(api)
    # Then the request fails and leaves nothing behind: no domain, no sender, the claim free again
    assert status == 500
    assert api("GET", DOMAINS, claims=ACME_ADMIN)[2]["items"] == []
    assert api("GET", "/v1/email/senders", claims=ACME_ADMIN)[2]["items"] == []
    assert _add(api)[0] == 201
    assert _add(api, claims=GLOBEX_ADMIN)[0] == 409


def _raise_limit(self: Any) -> str:
    from moto.core.exceptions import JsonRESTError

    raise JsonRESTError("LimitExceededException", "too many identities")


@pytest.mark.parametrize(("ses_status", "state"), [("PENDING", "pending"), ("NOT_STARTED", "pending"),
                                                   ("SUCCESS", "verified"), ("FAILED", "failed"),
                                                   ("TEMPORARY_FAILURE", "temporary_failure")])
def test_every_ses_state_reads_as_the_api_says(api: Any, ses_status: str, state: str) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    _add(api)
    ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].email_identities["acme.example"].verification_status = ses_status
    assert api("GET", f"{DOMAINS}/acme.example", claims=ACME_ADMIN)[2]["state"] == state


def test_removing_a_domain_removes_its_ses_identity_and_senders(api: Any) -> None:
    import boto3
    from botocore.exceptions import ClientError

    _add(api)
    moto_sesv2.verify("acme.example")
    api("PUT", "/v1/email/senders/billing@acme.example", {"name": "Acme Billing", "default": True}, claims=ACME_ADMIN)
    assert api("DELETE", f"{DOMAINS}/acme.example", claims=ACME_ADMIN)[0] == 204
    with pytest.raises(ClientError):
        boto3.client("sesv2").get_email_identity(EmailIdentity="acme.example")
    assert api("GET", "/v1/email/senders", claims=ACME_ADMIN)[2]["items"] == []
    assert api("GET", "/v1/email/settings", claims=ACME_ADMIN)[2]["from"]["shared"] is True
    assert api("DELETE", f"{DOMAINS}/acme.example", claims=ACME_ADMIN)[0] == 404
