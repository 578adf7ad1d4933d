"""Inbound authenticity (issue 15): SES's SPF/DKIM/DMARC verdicts and the account's own sending
addresses decide whether a reply may enter its thread. Real handlers on embedded AWS, real MIME."""

from __future__ import annotations

from typing import Any

import pytest

from local import moto_sesv2
from tests.conftest import agent_claims
from tests.email_support import ADMIN, email_world_fixture, reply_mail  # noqa: F401 - fixture

ACME_ADMIN = agent_claims(account="acme", sub="admin-1", role="admin", name="Ada Admin")


def _acme_domain(api: Any) -> None:
    assert api("POST", "/v1/email/domains", {"domain": "acme.example"}, claims=ACME_ADMIN)[0] == 201
    moto_sesv2.verify("acme.example")


def _quarantine(api: Any) -> list[dict[str, Any]]:
    status, _, body = api("GET", "/v1/quarantine", claims=ADMIN)
    assert status == 200
    return list(body["items"])


def test_a_reply_claiming_the_account_sending_address_is_quarantined(email_world: Any) -> None:
    _acme_domain(email_world.api)
    started = email_world.start()
    reply_to = started["email"]["reply_to"]
    result = email_world.deliver(reply_mail(to=reply_to, sender="Acme Support <support@acme.example>"), [reply_to])
    assert (result["outcome"], result["reason"]) == ("quarantined", "spoofed_sender")
    held = _quarantine(email_world.api)
    assert held[0]["reason"] == "spoofed_sender"
    assert "support@acme.example" in held[0]["detail"]
    assert email_world.thread(started["id"])["message_count"] == 1


def test_another_account_sending_address_is_not_this_account_concern(email_world: Any) -> None:
    _acme_domain(email_world.api)
    status, _, started = email_world.api("POST", "/v1/conversations/conv-9/side-conversations",
                                         _start(), claims=agent_claims(account="globex", sub="agent-9"))
    assert status == 201
    reply_to = started["email"]["reply_to"]
    result = email_world.deliver(reply_mail(to=reply_to, sender="support@acme.example"), [reply_to])
    assert result["outcome"] == "appended"


def _start() -> dict[str, Any]:
    from tests.email_support import start_request

    return start_request()


@pytest.mark.parametrize("policy", [None, "none", "quarantine", "reject"])
def test_a_reply_failing_dmarc_is_quarantined_whatever_the_policy(email_world: Any, policy: str | None) -> None:
    started = email_world.start()
    reply_to = started["email"]["reply_to"]
    result = email_world.deliver(reply_mail(to=reply_to), [reply_to],
                                 verdicts={"dmarc": "FAIL", "spf": "FAIL", "dkim": "FAIL"}, dmarc_policy=policy)
    assert (result["outcome"], result["reason"]) == ("quarantined", "dmarc")
    detail = _quarantine(email_world.api)[0]["detail"]
    assert "partner.example fails DMARC" in detail
    assert "SPF FAIL" in detail
    assert f"policy {policy or 'none'}" in detail
    assert email_world.thread(started["id"])["message_count"] == 1


def test_a_vendor_failing_dmarc_with_p_none_is_held_with_why_and_the_admin_can_attach_it(email_world: Any) -> None:
    # Given a vendor whose provider signs for its own domain, not the vendor's (p=none: report only)
    started = email_world.start()
    reply_to = started["email"]["reply_to"]
    result = email_world.deliver(reply_mail(to=reply_to), [reply_to],
                                 verdicts={"dmarc": "FAIL", "spf": "PASS", "dkim": "FAIL"}, dmarc_policy="none")
    # Then it is held, saying it may be the vendor's setup rather than a forgery
    held = _quarantine(email_world.api)[0]
    assert (result["reason"], held["reason"]) == ("dmarc", "dmarc")
    assert "may be the vendor's own mail setup" in held["detail"]
    assert email_world.thread(started["id"])["message_count"] == 1
    # And the admin who trusts it attaches it to its thread
    status, _, message = email_world.api("POST", f"/v1/quarantine/{held['id']}/attach",
                                         {"conversation_id": "conv-1", "side_conversation_id": started["id"]},
                                         claims=ADMIN)
    assert status == 201, message
    assert email_world.thread(started["id"])["message_count"] == 2


@pytest.mark.parametrize("dmarc", ["PASS", "GRAY", "PROCESSING_FAILED"])
def test_a_reply_not_failing_dmarc_is_appended(email_world: Any, dmarc: str) -> None:
    started = email_world.start()
    reply_to = started["email"]["reply_to"]
    result = email_world.deliver(reply_mail(to=reply_to), [reply_to], verdicts={"dmarc": dmarc, "spf": "GRAY"})
    assert result["outcome"] == "appended"
