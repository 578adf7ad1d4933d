"""The Connections view's sending-domain section in Chromium against the local stack (issue 15): an admin
adds a domain, copies its DNS records, sees it pending then verified, sets the default sender; the email
form says which address the mail will come from, and when that is the shared one."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import Demo, Screenshots
from tests.browser.test_panel_flows import mail_to, panel

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def _connections(page: Any, demo: Demo, account: str) -> Any:
    base = demo.stack.base_url
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.goto(f"{base}/panel/connections.html?role=admin&account={account}&user=admin-1")
    section = page.get_by_role("region", name="Sending domains")
    expect(section).to_be_visible()
    return section


def test_an_admin_adds_a_domain_copies_its_records_and_sets_the_default_sender(
        page: Any, demo: Demo, shots: Screenshots) -> None:
    # Given the Connections view of an account with no domain: mail comes from the shared address
    section = _connections(page, demo, "initech")
    expect(section.get_by_text("New mail comes from")).to_contain_text("support@example.com")
    expect(section.get_by_text("New mail comes from")).to_contain_text("no verified domain yet")
    expect(section.get_by_text("No sending domain yet.")).to_be_visible()

    # A trailing dot is refused, with the API's reason
    section.get_by_label("Domain", exact=True).fill("initech.example.")
    section.get_by_role("button", name="Add domain").click()
    expect(section.get_by_role("alert")).to_contain_text("trailing dot")

    # When the admin adds the domain
    section.get_by_label("Domain", exact=True).fill("initech.example")
    section.get_by_role("button", name="Add domain").click()
    domain = section.get_by_role("listitem").filter(has=page.get_by_role("heading", name="initech.example"))
    expect(domain.get_by_text("Pending: publish the records")).to_be_visible()
    expect(section.get_by_role("alert")).to_be_hidden()
    records = domain.get_by_role("table", name="DNS records for initech.example").locator("tbody tr")
    expect(records).to_have_count(6)
    shots(page, "pending")

    # Then each record copies its value
    got = requests.get(f"{demo.stack.base_url}/v1/email/domains/initech.example", timeout=10,
                       headers=demo.stack.headers(role="admin", account="initech", user="admin-1")).json()
    dkim = next(r for r in got["dns_records"] if r["purpose"] == "dkim")
    domain.get_by_role("button", name=f"Copy dkim CNAME value for {dkim['name']}").click()
    expect(section.get_by_role("status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == dkim["value"]
    domain.get_by_role("button", name="Copy zone file for initech.example").click()
    assert "IN\tMX\t10 feedback-smtp.us-east-1.amazonses.com." in page.evaluate("navigator.clipboard.readText()")

    # When SES finds the records (locally: /_local/ses/verify) and the admin checks again
    requests.post(f"{demo.stack.base_url}/_local/ses/verify", json={"domain": "initech.example"},
                  timeout=10).raise_for_status()
    domain.get_by_role("button", name="Check again").click()
    domain = section.get_by_role("listitem").filter(has=page.get_by_role("heading", name="initech.example"))
    expect(domain.get_by_text("Verified", exact=True)).to_be_visible()
    expect(section.get_by_text("New mail comes from")).to_contain_text("Atender Support <support@initech.example>")

    # And adds a sender made the default
    section.get_by_label("Sender address").fill("billing@initech.example")
    section.get_by_label("Sender name").fill("Initech Billing")
    section.get_by_label("Default sender").check()
    section.get_by_role("button", name="Save sender").click()
    billing = section.locator('[data-address="billing@initech.example"]')
    expect(billing).to_contain_text("Default")
    expect(section.get_by_text("New mail comes from")).to_contain_text("Initech Billing <billing@initech.example>")
    support = section.locator('[data-address="support@initech.example"]')
    support.get_by_role("button", name="Make support@initech.example the default").click()
    expect(support).to_contain_text("Default")
    expect(billing.get_by_role("button", name="Make billing@initech.example the default")).to_be_visible()
    shots(page, "verified")

    # Then the email form of that account says where the mail comes from: the default, or another sender
    page.goto(f"{demo.url}&account=initech")
    rail = panel(page)
    rail.get_by_role("button", name="New email").click()
    sender = rail.get_by_label("From", exact=True)
    expect(sender).to_have_value("support@initech.example")
    expect(sender.locator("option")).to_have_text(["Initech Billing <billing@initech.example>",
                                                   "Atender Support <support@initech.example>"])
    sender.select_option("billing@initech.example")
    rail.get_by_label("To 1 email").fill("ap@vendor.example")
    rail.get_by_label("Subject").fill("Invoice 77 from billing")
    rail.get_by_label("Message", exact=True).fill("Please confirm invoice 77.")
    rail.get_by_role("button", name="Send email").click()
    expect(rail.get_by_role("heading", name="Invoice 77 from billing")).to_be_focused()
    mail = demo.wait_for(lambda: mail_to(demo, "ap@vendor.example", "Invoice 77 from billing"))
    assert '"Agent 1 via Initech Billing" <billing@initech.example>' in mail["raw"]


def test_the_email_form_says_when_mail_comes_from_the_shared_address(page: Any, demo: Demo) -> None:
    page.goto(f"{demo.url}&account=hooli")
    rail = panel(page)
    rail.get_by_role("button", name="New email").click()
    line = rail.get_by_text("From: Atender Support <support@example.com>")
    expect(line).to_be_visible()
    expect(line).to_contain_text("no verified sending domain yet")


def test_a_domain_held_by_another_account_is_refused_in_the_view(page: Any, demo: Demo) -> None:
    headers = demo.stack.headers(role="admin", account="umbrella", user="admin-1")
    requests.post(f"{demo.stack.base_url}/v1/email/domains", json={"domain": "taken.example"}, headers=headers,
                  timeout=10).raise_for_status()
    section = _connections(page, demo, "wayne")
    section.get_by_label("Domain", exact=True).fill("taken.example")
    section.get_by_role("button", name="Add domain").click()
    expect(section.get_by_role("alert")).to_contain_text("held by another account")
    expect(section.get_by_text("No sending domain yet.")).to_be_visible()
