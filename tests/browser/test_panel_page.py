"""The panel page itself: keyboard-only use, labels and focus a screen reader and a keyboard need,
embedding with a token from the host page, and how the local stack serves the files."""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import POLL_MS, Demo, Screenshots

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

ACTIVE_NAME = """() => {
  const el = document.activeElement;
  if (!el) return "";
  const label = el.labels && el.labels.length ? el.labels[0].textContent : "";
  const visible = el.cloneNode(true);
  visible.querySelectorAll("[aria-hidden=true]").forEach((node) => node.remove());
  return (el.getAttribute("aria-label") || label || visible.textContent || "").replace(/\\s+/g, " ").trim();
}"""

# Every visible control of the panel has a name a screen reader can read.
UNLABELLED = """() => [...document.querySelectorAll(
    ".sc-panel input, .sc-panel select, .sc-panel textarea, .sc-panel button, .sc-panel a[href]")]
  .filter((el) => el.offsetParent !== null)
  .filter((el) => {
    const byLabel = el.labels && [...el.labels].some((l) => l.textContent.trim());
    const byAria = el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    const byText = (el.tagName === "BUTTON" || el.tagName === "A") && el.textContent.trim();
    return !(byLabel || byAria || byText);
  })
  .map((el) => el.outerHTML)"""


def tab_to(page: Any, name: str | re.Pattern[str], limit: int = 40, key: str = "Tab") -> None:
    """Press Tab until the focused element's accessible name matches (as a keyboard user would)."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        current = page.evaluate(ACTIVE_NAME)
        seen.append(current)
        if (name.search(current) if isinstance(name, re.Pattern) else current == name):
            return
    raise AssertionError(f"{name!r} never got focus; focus went through {seen}")


def test_keyboard_only_start_reply_close(page: Any, demo: Demo, shots: Screenshots) -> None:
    # Given the demo page, used with the keyboard only
    page.goto(demo.url)
    expect(page.get_by_text("Signed in as agent-1")).to_be_visible()
    rail = page.get_by_role("complementary", name="Side conversations panel")

    # When the agent tabs to "New email" and fills the form with Tab and typing
    tab_to(page, "New email")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), "the focused button shows no focus outline"
    page.keyboard.press("Enter")
    expect(rail.get_by_role("heading", name="New email side conversation")).to_be_focused()
    tab_to(page, "To 1 name")
    page.keyboard.type("Courier Desk")
    page.keyboard.press("Tab")
    page.keyboard.type("desk@courier.example")
    tab_to(page, "Subject")
    page.keyboard.type("Parcel 1042")
    page.keyboard.press("Tab")
    page.keyboard.type("Was parcel 1042 damaged in transit?")
    shots(page, "keyboard-form")
    tab_to(page, "Send email")
    page.keyboard.press("Enter")

    # Then the new thread's heading has focus
    expect(rail.get_by_role("heading", name="Parcel 1042")).to_be_focused()

    # When the agent tabs to the reply box and sends with Ctrl+Enter
    tab_to(page, "Reply")
    page.keyboard.type("Any news?")
    page.keyboard.press("Control+Enter")

    # Then the reply is in the thread and focus stays in the (now empty) reply box
    expect(rail.get_by_role("article").filter(has_text="Any news?")).to_be_visible()
    expect(rail.get_by_label("Reply", exact=True)).to_be_focused()
    expect(rail.get_by_label("Reply", exact=True)).to_have_value("")
    shots(page, "keyboard-replied")

    # When the agent presses Escape, Then the list is back with focus on that side conversation
    page.keyboard.press("Escape")
    item_button = rail.get_by_role("button", name=re.compile("Parcel 1042"))
    expect(item_button).to_be_focused()

    # When the agent opens it with Enter and closes it from the keyboard
    page.keyboard.press("Enter")
    expect(rail.get_by_role("heading", name="Parcel 1042")).to_be_focused()
    tab_to(page, "Close")
    page.keyboard.press("Enter")
    expect(rail.get_by_role("button", name="Reopen", exact=True)).to_be_focused()
    assert demo.only_side_conversation()["state"] == "closed"
    shots(page, "keyboard-closed")


def test_keyboard_only_slack_channel(page: Any, demo: Demo, shots: Screenshots) -> None:
    page.goto(demo.url)
    expect(page.get_by_text("Signed in as agent-1")).to_be_visible()
    rail = page.get_by_role("complementary", name="Side conversations panel")
    tab_to(page, "New Slack")
    page.keyboard.press("Enter")
    tab_to(page, "A person (direct message)")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(rail.get_by_label("A channel")).to_be_checked()
    page.keyboard.press("Tab")
    expect(rail.get_by_label("Slack channel")).to_be_focused()
    page.keyboard.type("billing")
    tab_to(page, "Message")
    page.keyboard.type("Refund of 42 EUR for order 1042, OK?")
    page.keyboard.press("Control+Enter")
    expect(rail.get_by_role("heading", name="#billing")).to_be_focused()
    assert demo.only_side_conversation()["slack"]["channel_id"] == "C0BILLING"
    shots(page, "keyboard-slack")


def test_every_control_has_a_label_and_replies_are_announced(page: Any, demo: Demo, shots: Screenshots) -> None:
    demo.create({"channel": "slack", "body": "Ping", "slack": {"target": "user", "user_ids": ["U0BOB"]}})
    page.goto(demo.url)
    rail = page.get_by_role("complementary", name="Side conversations panel")
    expect(rail.get_by_role("listitem")).to_have_count(1)

    # The list, each form (every Slack target, the customer copied) and a thread: all controls named
    assert page.evaluate(UNLABELLED) == []
    rail.get_by_role("button", name="New email").click()
    rail.get_by_role("button", name="Add recipient").click()
    rail.get_by_role("button", name="Add Cc").click()
    rail.get_by_label(re.compile("^CC the customer")).check()
    assert page.evaluate(UNLABELLED) == []
    rail.get_by_role("button", name="Cancel").click()
    rail.get_by_role("button", name="New Slack").click()
    for target in ("A person (direct message)", "A group of 2 to 8 people (group DM)", "A channel"):
        rail.get_by_label(target).check()
        assert page.evaluate(UNLABELLED) == []
    rail.get_by_role("button", name="Cancel").click()
    rail.get_by_role("button", name=re.compile("DM with Bob Oncall")).click()
    expect(rail.get_by_role("heading", name="DM with Bob Oncall")).to_be_focused()
    assert page.evaluate(UNLABELLED) == []

    # New replies have a polite live region; errors an alert; messages a labelled list of articles
    expect(rail.locator("[role=status][aria-live=polite]")).to_have_count(1)
    expect(rail.get_by_role("list", name="Messages, oldest first")).to_be_visible()
    expect(rail.get_by_role("article", name="Sent by Agent 1")).to_be_visible()
    # Delivery state is written out, not only coloured
    expect(rail.locator(".sc-delivery").first).to_have_text(re.compile("(Sending|Sent|Failed|Bounced)"))
    shots(page, "thread-labelled")


@pytest.fixture
def helpdesk() -> Iterator[Callable[[str], str]]:
    """Serves one HTML page on another 127.0.0.1 port: the helpdesk, on an origin of its own."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            body = pages.get("page", b"")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"

    def serve(html: str) -> str:
        pages["page"] = html.replace("{HOST_ORIGIN}", origin).encode()
        return origin

    yield serve
    server.shutdown()
    server.server_close()


def test_embedded_panel_takes_the_token_from_its_host(page: Any, demo: Demo, shots: Screenshots,
                                                       helpdesk: Callable[[str], str]) -> None:
    # Given a side conversation and a helpdesk page (another origin) that embeds /panel in an iframe
    demo.create({"channel": "email", "subject": "Embedded hello", "body": "Hi",
                 "to": [{"email": "finance@vendor.example"}]})
    token = demo.stack.token()
    panel_url = (f"{demo.stack.base_url}/panel?conversation={demo.conversation_id}&poll={POLL_MS}"
                 "&origin={HOST_ORIGIN}")
    panel_origin = demo.stack.base_url
    host = f"""<!doctype html><html lang="en"><title>Helpdesk</title><body>
      <h1>Helpdesk</h1>
      <iframe title="Side conversations" src="{panel_url}" style="width:480px;height:700px"></iframe>
      <script>
        window.addEventListener("message", (event) => {{
          if (event.origin !== "{panel_origin}" || event.data?.type !== "sideconv:token-request") return;
          event.source.postMessage({{type: "sideconv:token", token: "{token}"}}, "{panel_origin}");
        }});
      </script></body></html>"""
    origin = helpdesk(host)

    # When the helpdesk page loads
    page.goto(f"{origin}/conversation")

    # Then the panel asked the host for the token and lists the side conversation
    frame = page.frame_locator("iframe[title='Side conversations']")
    expect(frame.get_by_role("button", name=re.compile("Embedded hello"))).to_be_visible()
    shots(page, "embedded")


def test_embedded_panel_ignores_tokens_from_another_origin(page: Any, demo: Demo, shots: Screenshots,
                                                            helpdesk: Callable[[str], str]) -> None:
    # Given a page on an origin the panel was not told to trust, that pushes a valid token anyway
    demo.create({"channel": "email", "subject": "Not for you", "body": "Hi", "to": [{"email": "a@vendor.example"}]})
    token = demo.stack.token()
    panel_url = f"{demo.stack.base_url}/panel?conversation={demo.conversation_id}&origin=http://helpdesk.test"
    host = f"""<!doctype html><html lang="en"><title>Elsewhere</title><body>
      <iframe title="Side conversations" src="{panel_url}"></iframe>
      <script>
        const frame = document.querySelector("iframe");
        setInterval(() => frame.contentWindow.postMessage({{type: "sideconv:token", token: "{token}"}}, "*"), 200);
      </script></body></html>"""
    elsewhere = helpdesk(host)

    # When it loads
    page.goto(f"{elsewhere}/")

    # Then the panel never used that token: it says it is not signed in and shows nothing
    frame = page.frame_locator("iframe[title='Side conversations']")
    expect(frame.get_by_role("alert")).to_contain_text("Not signed in.")
    expect(frame.get_by_text("Not for you")).to_have_count(0)
    shots(page, "foreign-origin-refused")


def test_panel_alone_on_the_local_stack(page: Any, demo: Demo, shots: Screenshots) -> None:
    demo.create({"channel": "email", "subject": "Standalone", "body": "Hi", "to": [{"email": "a@vendor.example"}]})
    page.goto(f"{demo.stack.base_url}/panel?conversation={demo.conversation_id}")
    expect(page.get_by_role("button", name=re.compile("Standalone"))).to_be_visible()
    shots(page, "panel-alone")
    page.goto(f"{demo.stack.base_url}/panel")
    expect(page.get_by_role("alert")).to_contain_text("No conversation")


def test_a_channel_the_panel_has_no_entry_for_reads_as_its_own_name(page: Any, demo: Demo, shots: Screenshots) -> None:
    # Given an API that answers with a channel the panel's table does not know (here: "teams")
    demo.create({"channel": "email", "subject": "Courier claim", "body": "Claim for parcel 1042?",
                 "to": [{"email": "claims@courier.example", "name": "Claims Desk"}]})

    def as_teams(route: Any) -> None:
        if route.request.method != "GET":
            route.continue_()
            return
        response = route.fetch()
        body = response.json()
        for item in body.get("items", [body]):
            item["channel"] = "teams"
            item.pop("email", None)
        route.fulfill(response=response, json=body)

    page.route(re.compile(r"/side-conversations(/[^/?]+)?(\?.*)?$"), as_teams)
    page.goto(demo.url)
    rail = page.get_by_role("complementary", name="Side conversations panel")

    # Then it is labelled with its own name (never "Email"), its people listed as for any channel
    item = rail.get_by_role("listitem").filter(has_text="Courier claim")
    expect(item.locator(".sc-channel")).to_have_text("teams")
    expect(item).to_contain_text("To: Claims Desk")
    expect(rail.get_by_role("button", name=re.compile("^New "))).to_have_count(2)  # no form to start one
    item.get_by_role("button", name=re.compile("Courier claim")).click()
    expect(rail.locator(".sc-thread-meta .sc-channel")).to_have_text("teams")
    expect(rail.get_by_text("With: Claims Desk <claims@courier.example>")).to_be_visible()
    expect(rail.get_by_text("Goes to Claims Desk <claims@courier.example>.")).to_be_visible()
    assert "Email" not in rail.locator(".sc-thread-meta").inner_text()
    shots(page, "unknown-channel")

    # When the channels table learns its label (as a channel registry would tell it), Then it shows that
    page.evaluate("""() => import("/panel/js/channels.js").then((m) => m.defineChannel("teams", { label: "Teams" }))""")
    rail.get_by_role("button", name="Back to side conversations").click()
    expect(item.locator(".sc-channel")).to_have_text("Teams")


# How the local stack serves the panel (no browser needed) -----------------------------------------


def raw_get(base_url: str, path: str) -> http.client.HTTPResponse:
    """A GET with the path sent exactly as written (requests would normalise `..`)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    connection.request("GET", path)
    return connection.getresponse()


def test_static_files_types_and_policy(demo: Demo) -> None:
    base = demo.stack.base_url
    home = requests.get(f"{base}/", timeout=5)
    assert home.status_code == 200
    assert home.headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in home.headers["Content-Security-Policy"]
    assert home.headers["X-Content-Type-Options"] == "nosniff"
    script = requests.get(f"{base}/panel/js/panel.js", timeout=5)
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert requests.get(f"{base}/panel/css/panel.css", timeout=5).headers["Content-Type"].startswith("text/css")
    # /v1 is still the API behind the authorizer
    assert requests.get(f"{base}/v1/conversations/x/side-conversations", timeout=5).status_code == 401


@pytest.mark.parametrize("path", ["/panel/../pyproject.toml", "/panel/%2e%2e/pyproject.toml",
                                  "/panel/../local/panel.py", "/panel/js/../../Makefile", "/panel/nothing.js"])
def test_nothing_outside_the_panel_folder_is_served(demo: Demo, path: str) -> None:
    response = raw_get(demo.stack.base_url, path)
    assert response.status == 404
    assert b"[project]" not in response.read()


def test_local_token_route(demo: Demo) -> None:
    base = demo.stack.base_url
    minted = requests.get(f"{base}/_local/token", params={"role": "customer", "account": "acme", "user": "maya"},
                          timeout=5).json()
    claims = jwt.decode(minted["token"], options={"verify_signature": False})
    assert (claims["role"], claims["account_id"], claims["sub"]) == ("customer", "acme", "maya")
    assert requests.get(f"{base}/_local/token", params={"role": "root"}, timeout=5).status_code == 400
    assert requests.get(f"{base}/_local/token", params={"user": "a b"}, timeout=5).status_code == 400


def test_the_connections_view_signs_in_as_an_admin(page: Any, demo: Demo, shots: Screenshots) -> None:
    # Given the demo page, When the admin follows its Connections link
    page.goto(demo.url)
    link = page.get_by_role("link", name="Connections (admins)")
    expect(link).to_have_attribute("href", re.compile(r"role=admin"))
    link.click()

    # Then the Connections view opens, signed in, with its heading
    expect(page.get_by_role("heading", name="Connections", exact=True)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    shots(page, "connections")
