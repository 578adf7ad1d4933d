"""Slack workspaces per account in the panel (issue 14), in Chromium against `python -m local`: an admin
connects a workspace with Add to Slack through the stand-in's consent page and disconnects it; an agent
picks people and channels by name (with avatars) from the directory; a private channel the app is not
in is refused on its field; a channel shared with another organisation must be confirmed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Demo, Screenshots
from tests.browser.test_panel_flows import open_demo

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def test_an_admin_adds_a_workspace_to_slack_and_disconnects_it(page: Any, demo: Demo, shots: Screenshots) -> None:
    # Given the Connections view of an account with no Slack workspace
    page.goto(f"{demo.stack.base_url}/panel/connections.html?role=admin&account=globex&user=admin-1")
    section = page.get_by_role("region", name="Slack")
    expect(section.get_by_text("No Slack workspace yet.")).to_be_visible()
    shots(page, "no-workspace")

    # When the admin clicks Add to Slack and approves the second workspace on Slack's page
    section.get_by_role("button", name="Add to Slack").click()
    expect(page.get_by_role("heading", name=re.compile("requesting permission"))).to_be_visible()
    page.get_by_label(re.compile("globex-local")).check()
    shots(page, "consent")
    page.get_by_role("button", name="Allow").click()

    # Then the admin is back on Connections, told so, with the workspace connected
    expect(page).to_have_url(re.compile(r"/panel/connections\.html\?slack=connected"))
    section = page.get_by_role("region", name="Slack")
    expect(section.get_by_role("status")).to_have_text("Connected the Slack workspace globex-local.")
    row = section.locator(".sc-workspace", has_text="globex-local")
    expect(row).to_contain_text("Connected")
    shots(page, "connected")

    # When the admin disconnects it
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Disconnect globex-local").click()
    expect(section.get_by_role("status")).to_have_text("Disconnected globex-local.")
    expect(section.get_by_text("No Slack workspace yet.")).to_be_visible()
    shots(page, "disconnected")


def test_an_agent_picks_a_person_by_name_with_an_avatar(page: Any, demo: Demo, shots: Screenshots) -> None:
    rail = open_demo(page, demo)
    rail.get_by_role("button", name="New Slack").click()
    person = rail.get_by_label("Slack person")
    person.fill("bo")
    option = rail.get_by_role("option", name=re.compile("Bob"))
    expect(option).to_be_visible()
    expect(option.locator("img.sc-avatar")).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
    shots(page, "suggested")
    option.click()
    expect(person).to_have_value("Bob")
    rail.get_by_label("Message", exact=True).fill("Can you look at order 1042?")
    rail.get_by_role("button", name="Post to Slack").click()
    expect(rail.get_by_role("article", name="Sent by Agent 1").locator(".sc-delivery")).to_have_text(
        re.compile("Sent$"))
    created = demo.only_side_conversation()
    assert created["slack"]["user_ids"] == ["U0BOB"]
    assert created["slack"]["team_id"] == "T0LOCAL01"
    shots(page, "sent-to-bob")


def test_a_shared_channel_must_be_confirmed_and_a_private_one_needs_an_invite(page: Any, demo: Demo,
                                                                               shots: Screenshots) -> None:
    rail = open_demo(page, demo)
    rail.get_by_role("button", name="New Slack").click()
    rail.get_by_label("A channel").check()
    channel = rail.get_by_label("Slack channel")
    rail.get_by_label("Message", exact=True).fill("Leadership, can we refund?")

    # A private channel the app is not in: refused on the field, saying to invite the app
    channel.fill("C0PRIVATE")
    rail.get_by_role("button", name="Post to Slack").click()
    expect(rail.get_by_role("alert").filter(has_text="invite")).to_be_visible()
    expect(channel).to_have_attribute("aria-invalid", "true")
    assert demo.side_conversations() == []
    shots(page, "private-refused")

    # A channel shared with another organisation: picked by name, flagged, and confirmed before posting
    channel.fill("shared")
    option = rail.get_by_role("option", name=re.compile("shared-with-vendor"))
    expect(option).to_contain_text("External")
    option.click()
    warning = rail.get_by_text("This channel is shared with another organisation")
    expect(warning).to_be_visible()
    rail.get_by_role("button", name="Post to Slack").click()
    expect(rail.get_by_role("alert").filter(has_text="confirm below")).to_be_visible()
    assert demo.side_conversations() == []
    shots(page, "shared-warning")
    rail.get_by_label("Post to the shared channel anyway").check()
    rail.get_by_role("button", name="Post to Slack").click()
    expect(rail.get_by_text(re.compile(r"shared with another organisation\)"))).to_be_visible()
    assert demo.only_side_conversation()["slack"]["shared_externally"] is True
    shots(page, "shared-posted")


def test_a_thread_of_a_disconnected_workspace_says_so(page: Any, demo: Demo, shots: Screenshots) -> None:
    import requests

    from tests.e2e.test_slack_workspaces_local import _connect

    # Given globex connected to the second workspace, a Slack side conversation there, then the app removed
    stack = demo.stack
    assert _connect(stack, "globex", "T0LOCAL02")["slack"] == ["connected"]
    created = demo.create({"channel": "slack", "subject": "Carrier delay", "body": "Any news on the truck?",
                           "slack": {"target": "channel", "channel_id": "C2SUPPORT"}},
                          account="globex", user="agent-1")
    assert requests.post(f"{stack.base_url}/_local/slack/uninstall", json={"team_id": "T0LOCAL02"},
                         timeout=10).status_code == 200
    admin = stack.headers(role="admin", account="globex", user="admin-1")
    demo.wait_for(lambda: requests.get(f"{stack.base_url}/v1/slack/installations", headers=admin, timeout=10)
                  .json()["items"][0]["state"] == "revoked")

    # When globex's agent opens it, Then the thread says the workspace is disconnected
    page.goto(f"{demo.url}&account=globex")
    rail = page.get_by_role("complementary", name="Side conversations panel")
    rail.get_by_role("button", name=re.compile("Carrier delay")).click()
    expect(rail.get_by_text(re.compile("this Slack workspace is disconnected"))).to_be_visible()
    assert created["slack"]["team_id"] == "T0LOCAL02"
    shots(page, "disconnected-thread")
