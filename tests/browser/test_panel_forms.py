"""The two create forms and what every form shares, in Chromium against the local stack: each Slack
target, the email form's recipients and "CC the customer" when the host did not name the customer,
problems the API names shown on that field, and Ctrl+Enter sending once with one Idempotency-Key
that a retry reuses."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import POLL_MS, Demo, Screenshots
from tests.browser.test_panel_flows import mail_to, open_demo

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

TARGETS = {
    # target radio, its field, what the agent types, the thread's title, what the API was sent
    "user": ("A person (direct message)", "Slack person", "Bob Oncall", "DM with Bob Oncall",
             {"target": "user", "user_ids": ["U0BOB"]}),
    "group": ("A group of 2 to 8 people (group DM)", "Slack people", "Alice Engineer, U0BOB",
              "Group DM with Alice Engineer, Bob Oncall", {"target": "group", "user_ids": ["U0ALICE", "U0BOB"]}),
    "channel": ("A channel", "Slack channel", "#billing", "#billing", {"target": "channel", "channel_id": "C0BILLING"}),
}


@pytest.mark.parametrize("target", list(TARGETS))
def test_slack_form_starts_each_target_by_name(page: Any, demo: Demo, shots: Screenshots, target: str) -> None:
    radio, field, typed, heading, sent = TARGETS[target]
    # Given the Slack form: a person is the default target, and only its field shows
    rail = open_demo(page, demo)
    rail.get_by_role("button", name="New Slack").click()
    expect(rail.get_by_label("A person (direct message)")).to_be_checked()

    # When the agent picks the target, names who it goes to and writes the message
    rail.get_by_label(radio).check()
    for other in {"Slack person", "Slack people", "Slack channel"} - {field}:
        expect(rail.get_by_label(other, exact=True)).to_be_hidden()
    rail.get_by_label(field, exact=True).fill(typed)
    rail.get_by_label("Message", exact=True).fill("Can someone look at order 1042?")
    shots(page, f"slack-{target}-filled")
    rail.get_by_role("button", name="Post to Slack").click()

    # Then the names became Slack ids, the thread is titled by its target and the post goes out
    expect(rail.get_by_role("heading", name=heading, exact=True)).to_be_focused()
    expect(rail.get_by_text(f"Goes to the Slack thread ({heading}).")).to_be_visible()
    expect(rail.get_by_role("status")).to_have_text("Slack side conversation started.")
    post = rail.get_by_role("article", name="Sent by Agent 1")
    expect(post.locator(".sc-delivery")).to_have_text(re.compile("Sent$"))
    slack = demo.only_side_conversation()["slack"]
    assert {name: slack[name] for name in sent} == sent
    shots(page, f"slack-{target}-sent")


def test_a_field_the_api_refuses_is_marked_on_that_field(page: Any, demo: Demo, shots: Screenshots) -> None:
    # Given the email form with two recipients, the second of them no address
    rail = open_demo(page, demo)
    rail.get_by_role("button", name="New email").click()
    rail.get_by_label("To 1 email").fill("finance@vendor.example")
    rail.get_by_role("button", name="Add recipient").click()
    expect(rail.get_by_label("To 2 name")).to_be_focused()
    rail.get_by_label("To 2 email").fill("warehouse at vendor")
    rail.get_by_label("Subject").fill("Refund approval")
    rail.get_by_label("Message", exact=True).fill("Approve a 42 EUR refund?")

    # When it is sent (the panel checks that an address is there; the API that it is one)
    rail.get_by_role("button", name="Send email").click()

    # Then the API's problem for `to.1.email` is listed by the field's name and marked on that field
    alert = rail.locator(".sc-form-error")
    expect(alert).to_contain_text("Please check the form.")
    expect(alert.get_by_role("listitem")).to_contain_text(re.compile("^To 2 email: "))
    expect(rail.get_by_label("To 2 email")).to_have_attribute("aria-invalid", "true")
    expect(rail.get_by_label("To 2 email")).to_be_focused()
    expect(rail.get_by_label("To 1 email")).not_to_have_attribute("aria-invalid", "true")
    assert demo.side_conversations() == []
    shots(page, "api-field-error")

    # When the agent removes that row and sends again, Then it goes, and the marks are gone
    rail.get_by_role("button", name="Remove To 2").click()
    rail.get_by_role("button", name="Send email").click()
    expect(rail.get_by_role("heading", name="Refund approval")).to_be_focused()
    assert len(demo.side_conversations()) == 1


def test_cc_the_customer_asks_for_the_customer_the_host_did_not_name(page: Any, demo: Demo,
                                                                      shots: Screenshots) -> None:
    # Given the panel alone, opened without customer_email: the form cannot know who the customer is
    page.goto(f"{demo.stack.base_url}/panel?conversation={demo.conversation_id}&poll={POLL_MS}")
    page.get_by_role("button", name="New email").click()
    cc = page.get_by_label("CC the customer", exact=True)
    expect(page.get_by_label("Customer email")).to_be_hidden()

    # When the agent ticks "CC the customer", Then the warning shows and the customer's fields are asked
    cc.check()
    expect(page.locator(".sc-cc-warning")).to_contain_text("The customer will see this email and every reply.")
    expect(page.get_by_label("Customer email")).to_be_visible()

    # When it is sent without the customer's address, Then that field is named, marked and focused
    page.get_by_label("To 1 email").fill("courier@shipping.example")
    page.get_by_label("Subject").fill("Parcel 1042")
    page.get_by_label("Message", exact=True).fill("Was parcel 1042 damaged?")
    page.get_by_role("button", name="Send email, customer copied").click()
    expect(page.locator(".sc-form-error")).to_contain_text("Customer email: The customer's email is needed")
    expect(page.get_by_label("Customer email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Customer email")).to_be_focused()
    shots(page, "customer-email-missing")

    # When the agent gives it, Then the mail copies that customer
    page.get_by_label("Customer name").fill("Maya Lopez")
    page.get_by_label("Customer email").fill("maya@customer.example")
    page.get_by_role("button", name="Send email, customer copied").click()
    expect(page.get_by_text("The customer is copied on this email thread and sees every reply.")).to_be_visible()
    mail = demo.wait_for(lambda: mail_to(demo, "courier@shipping.example", "Parcel 1042"))
    assert any("maya@customer.example" in c for c in mail["cc"])


def test_ctrl_enter_sends_once_and_a_retry_reuses_the_idempotency_key(page: Any, demo: Demo,
                                                                        shots: Screenshots) -> None:
    # Given the network between panel and API under the test's control: the first create is held
    keys: dict[str, list[str]] = {"create": [], "reply": []}
    held: list[Any] = []

    def create(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        keys["create"].append(route.request.headers.get("idempotency-key", ""))
        if len(keys["create"]) == 1:
            held.append(route)  # answered (with a failure) when the test says
        else:
            route.continue_()

    def reply(route: Any) -> None:
        keys["reply"].append(route.request.headers.get("idempotency-key", ""))
        if len(keys["reply"]) == 1:
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/side-conversations", create)
    page.route("**/messages", reply)
    rail = open_demo(page, demo)
    rail.get_by_role("button", name="New Slack").click()
    rail.get_by_label("Slack person", exact=True).fill("U0BOB")
    message = rail.get_by_label("Message", exact=True)
    message.fill("Is the refund for 1042 approved?")

    # When the agent presses Ctrl+Enter twice while the first request is on its way
    message.press("Control+Enter")
    expect(rail.get_by_role("button", name="Sending…")).to_be_disabled()
    message.press("Control+Enter")
    page.wait_for_timeout(300)  # time for a second request to leave, if the form let one go

    # Then one request left; when it fails the form says so and keeps what was written
    assert len(keys["create"]) == 1
    held[0].abort("connectionreset")
    expect(rail.locator(".sc-form-error")).to_contain_text("Can't reach the service.")
    expect(message).to_have_value("Is the refund for 1042 approved?")
    shots(page, "create-failed")

    # When the agent sends it again, Then the retry carries the same key, and one side conversation starts
    message.press("Control+Enter")
    expect(rail.get_by_role("heading", name="DM with Bob Oncall")).to_be_focused()
    first, retry = keys["create"]
    assert first
    assert retry == first
    assert len(demo.side_conversations()) == 1

    # And the reply box does the same: a failed reply sent again has its key; the next reply a new one
    box = rail.get_by_label("Reply", exact=True)
    box.fill("Any news?")
    box.press("Control+Enter")
    expect(rail.locator(".sc-reply-form .sc-form-error")).to_contain_text("Can't reach the service.")
    box.press("Control+Enter")
    expect(box).to_have_value("")
    box.fill("Still there?")
    box.press("Control+Enter")
    expect(rail.get_by_role("article").filter(has_text="Still there?")).to_be_visible()
    assert len(keys["reply"]) == 3
    assert keys["reply"][0] == keys["reply"][1] != keys["reply"][2]
    demo.wait_for(lambda: demo.only_side_conversation()["message_count"] == 3)
    expect(rail.get_by_role("article").filter(has_text="Any news?")).to_have_count(1)
    shots(page, "replies-sent-once")
