"""The Side Conversations panel on the local stack (issue 9).

- `GET /`: the demo, a customer conversation on the left and the panel on the right;
- `GET /panel?conversation=<id>`: the panel alone, as the helpdesk embeds it;
- `GET /panel/<asset>`: its static files (native ES modules and CSS, no build step);
- `GET /_local/token?role=&account=&user=`: a local JWT for the demo's agent switcher;
- `GET /_local/panel/directory`: the Slack stand-in's people and channels, for the demo's pickers.

Local only: in AWS the same files come from S3 behind CloudFront and the host page hands the panel
the agent's token (docs/PANEL.md). Nothing here is registered on the deployed API.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import parse_qsl

from local import token
from local.stack import LocalStack, Reply, Request

PANEL_DIR = Path(__file__).resolve().parents[1] / "panel"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".png": "image/png",
    ".ico": "image/x-icon",
}

# The same policy CloudFront adds in AWS: scripts and styles only from the panel's own origin, so
# text that came from outside can never run even if it slipped into the page.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

ROLES = ("agent", "admin", "customer")
# Same shape the API accepts for ids; keeps the claims of a local token printable.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def static_file(relative: str) -> Reply:
    """A file under panel/, or a 404: never a path outside it."""
    root = PANEL_DIR.resolve()
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return Reply.json(404, {"title": "Not found", "status": 404})
    content_type = CONTENT_TYPES.get(candidate.suffix.lower())
    if content_type is None:
        return Reply.json(404, {"title": "Not found", "status": 404})
    return Reply(200, candidate.read_bytes(), {"Content-Type": content_type, **SECURITY_HEADERS})


def index(_: Request) -> Reply:
    return static_file("index.html")


def panel_page(_: Request) -> Reply:
    return static_file("panel.html")


def asset(request: Request) -> Reply:
    return static_file(request.path.removeprefix("/panel/"))


def local_token(request: Request) -> Reply:
    """A token the local authorizer accepts, for any role: the demo shows what a customer token gets."""
    params = dict(parse_qsl(request.query))
    role = params.get("role", "agent")
    account = params.get("account", "acme")
    user = params.get("user", "agent-1")
    if role not in ROLES:
        return Reply.json(400, {"title": "Bad request", "status": 400, "detail": f"role must be one of {ROLES}"})
    bad = [name for name, value in (("account", account), ("user", user)) if not _NAME.match(value)]
    if bad:
        return Reply.json(400, {"title": "Bad request", "status": 400, "detail": f"invalid {', '.join(bad)}"})
    return Reply.json(200, {"token": token.mint(role, account, user), "role": role, "account": account,
                            "user": user})


def directory(stack: LocalStack) -> Reply:
    stand_in = getattr(stack, "slack", None)
    if stand_in is None:  # real Slack, or the Slack channel not installed: the pickers take raw ids
        return Reply.json(200, {"users": [], "channels": []})
    return Reply.json(200, {
        "users": [{"id": uid, "name": name} for uid, name in sorted(stand_in.users.items())],
        "channels": [{"id": cid, "name": name} for cid, name in sorted(stand_in.channels.items())],
    })


def config(_: Request) -> Reply:
    """`panel/config.json` with the channels' labels from the registry, as the stack deploys it."""
    from sideconv import channels

    return Reply(200, json.dumps(channels.panel_config(json.loads((PANEL_DIR / "config.json").read_text()))).encode(),
                 {"Content-Type": "application/json", **SECURITY_HEADERS})


def install(stack: LocalStack) -> None:
    """Serve the panel and the demo on the API port; `/v1/*` stays the API."""
    stack.add_route("GET", "/", index)
    stack.add_route("GET", "/panel", panel_page)
    stack.add_route("GET", "/panel/config.json", config)
    stack.add_route("GET", "/panel/", asset, prefix=True)
    stack.add_route("GET", "/_local/token", local_token)
    stack.add_route("GET", "/_local/panel/directory", lambda _: directory(stack))
    port = os.environ.get("PORT", "3000")

    def announce() -> None:
        print(f"  panel:   http://127.0.0.1:{port}/  (a demo conversation with its side conversations)", flush=True)

    stack.add_server(announce, lambda: None)
