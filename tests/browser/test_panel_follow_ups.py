"""The panel's follow-up (issue 19) in Chromium against the local stack: set one (in 4 hours, tomorrow
morning, next week, on a date), opt in to the nudge, see it due when the local clock passes it, and the
nudge in the thread. Its own module: moving the clock moves it for the whole local stack."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import Demo, Screenshots
from tests.browser.test_panel_flows import open_demo

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser-follow-ups")]


def _thread(demo: Demo) -> dict[str, Any]:
    side = demo.only_side_conversation()
    response = requests.get(f"{demo.api}/{side['id']}", headers=demo.stack.headers(), timeout=10)
    response.raise_for_status()
    return dict(response.json())


def _due(side: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(side["follow_up"]["due_at"].replace("Z", "+00:00"))


def _local_morning(page: Any, days: int | str) -> datetime:
    """9:00 in the browser's time zone, `days` from today (or the next Monday), as the panel reckons it."""
    iso = page.evaluate("""(days) => {
        const at = new Date();
        const shift = days === "monday" ? (((8 - at.getDay()) % 7) || 7) : days;
        at.setDate(at.getDate() + shift); at.setHours(9, 0, 0, 0);
        return at.toISOString(); }""", days)
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_set_a_follow_up_opt_in_to_the_nudge_and_see_it_due(page: Any, demo: Demo, shots: Screenshots) -> None:
    # Given an open email side conversation without a follow-up
    demo.create({"channel": "email", "subject": "Courier pickup for order 1042", "body": "Can you pick it up?",
                 "to": [{"email": "courier@vendor.example", "name": "Courier"}], "follow_up": None})
    rail = open_demo(page, demo)
    rail.get_by_role("button", name=re.compile("Courier pickup")).click()
    section = rail.get_by_role("region", name="Follow-up")
    expect(section.locator(".sc-follow-up-status")).to_have_text("No follow-up")

    # When the agent picks "Tomorrow morning" with the nudge
    section.get_by_label("Follow up").select_option(label="Tomorrow morning")
    section.get_by_label("Nudge them if they don't answer").check()
    section.get_by_role("button", name="Set follow-up").click()

    # Then the API has it, at 9:00 tomorrow in the agent's time zone, with the nudge
    expect(section.locator(".sc-follow-up-status")).to_contain_text("with a nudge")
    side = demo.wait_for(lambda: (t := _thread(demo))["follow_up"] and t)
    assert side["follow_up"]["state"] == "scheduled"
    assert side["follow_up"]["nudge"] is True
    assert abs(_due(side) - _local_morning(page, 1)) < timedelta(seconds=1)
    shots(page, "follow-up-set")

    # And "Next week" and "In 4 hours" move it
    section.get_by_label("Follow up").select_option(label="Next week")
    section.get_by_role("button", name="Set follow-up").click()
    demo.wait_for(lambda: abs(_due(_thread(demo)) - _local_morning(page, "monday")) < timedelta(seconds=1))
    section.get_by_label("Follow up").select_option(label="In 4 hours")
    section.get_by_role("button", name="Set follow-up").click()
    demo.wait_for(lambda: abs(_due(_thread(demo)) - (datetime.now(UTC) + timedelta(hours=4)))
                  < timedelta(minutes=1))

    # When the local clock passes the due time
    moved = requests.post(f"{demo.stack.base_url}/_local/clock", json={"advance_seconds": 5 * 3600}, timeout=30)
    assert moved.status_code == 200, moved.text

    # Then the thread shows it due, and the nudge sent under the agent's name, labelled
    expect(section.locator(".sc-follow-up-status")).to_contain_text("Follow-up due since", timeout=20_000)
    expect(section.locator(".sc-follow-up-status")).to_contain_text("1 nudge sent")
    nudge = rail.get_by_role("article", name="Sent by Agent 1").filter(has_text="Just checking in on")
    expect(nudge).to_contain_text("Nudge")
    shots(page, "follow-up-due")
    # And the list marks it
    rail.get_by_role("button", name="Back to side conversations").click()
    expect(rail.get_by_role("listitem").filter(has_text="Courier pickup")).to_contain_text("Follow-up due")


def test_a_follow_up_on_a_date(page: Any, demo: Demo) -> None:
    demo.create({"channel": "email", "subject": "Invoice copy", "body": "Could you send the invoice again?",
                 "to": [{"email": "billing@vendor.example"}], "follow_up": None})
    rail = open_demo(page, demo)
    rail.get_by_role("button", name=re.compile("Invoice copy")).click()
    section = rail.get_by_role("region", name="Follow-up")
    section.get_by_label("Follow up").select_option(label="On a date…")
    day = page.evaluate("() => { const d = new Date(); d.setDate(d.getDate() + 3); "
                        "return d.toISOString().slice(0, 10); }")
    section.get_by_label("Follow-up date").fill(day)
    section.get_by_role("button", name="Set follow-up").click()
    expect(section.locator(".sc-follow-up-status")).to_contain_text("Follow-up")
    side = demo.wait_for(lambda: (t := _thread(demo))["follow_up"] and t)
    expected = page.evaluate("(day) => { const [y, m, d] = day.split('-').map(Number); "
                             "return new Date(y, m - 1, d, 9).toISOString(); }", day)
    assert _due(side) == datetime.fromisoformat(expected.replace("Z", "+00:00"))
    # When the date passes without a nudge opted in, the open thread shows it due on the next poll
    moved = requests.post(f"{demo.stack.base_url}/_local/clock", json={"advance_seconds": 4 * 24 * 3600}, timeout=30)
    assert moved.status_code == 200, moved.text
    expect(section.locator(".sc-follow-up-status")).to_contain_text("Follow-up due since", timeout=20_000)
    # And "No follow-up" clears it
    section.get_by_label("Follow up").select_option(label="No follow-up")
    section.get_by_role("button", name="Set follow-up").click()
    expect(section.locator(".sc-follow-up-status")).to_have_text("No follow-up")
    assert _thread(demo)["follow_up"] is None
