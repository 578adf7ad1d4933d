"""The access matrix on the local stack over HTTP: every route of docs/openapi.json × every kind of caller.

Routes are read from the committed OpenAPI document, so a route added later is in the matrix without a
change here (a route whose path parameters this file cannot fill fails `test_every_route_is_covered`).
Each case checks the status and that no answer to another account's caller carries this account's data.
"""

from __future__ import annotations

import json
import re
import smtplib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LocalStackProcess

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local-stack-access-matrix"),
              pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")]

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = json.loads((ROOT / "docs" / "openapi.json").read_text())
CONVERSATION = "conv-matrix"
# Text only account `acme` wrote: it must never appear in an answer to anyone else.
MARKER = "ACME-ONLY-7f3a"

CALLERS = ["no token", "malformed", "bad signature", "expired", "customer", "agent of another account",
           "admin of another account", "agent", "admin"]
UNAUTHENTICATED = {"no token", "malformed", "bad signature", "expired"}
OUTSIDERS = {"agent of another account", "admin of another account"}


def operations() -> list[tuple[str, str]]:
    return [(method.upper(), route) for route, item in sorted(OPENAPI["paths"].items())
            for method in sorted(item) if method in {"get", "post", "put", "patch", "delete"}]


@dataclass
class World:
    stack: LocalStackProcess
    email_sc: str
    slack_sc: str
    inbound_message: str
    quarantined: dict[str, str]
    secrets: set[str]

    def headers(self, caller: str) -> dict[str, str]:
        s = self.stack
        return {
            "no token": {},
            "malformed": {"Authorization": "Bearer not.a.jwt"},
            "bad signature": {"Authorization": f"Bearer {s.token(key='not-the-dev-secret')}"},
            "expired": {"Authorization": f"Bearer {s.token(issued_at=time.time() - 7200, ttl=60)}"},
            "customer": s.headers(role="customer"),
            "agent of another account": s.headers(account="globex", user="agent-g"),
            "admin of another account": s.headers(role="admin", account="globex", user="admin-g"),
            "agent": s.headers(),
            "admin": s.headers(role="admin", user="admin-1"),
        }[caller]


def _mail(stack: LocalStackProcess, *, to: str, subject: str, body: str, in_reply_to: str | None = None,
          attachment: bytes | None = None) -> None:
    message = EmailMessage()
    message["From"] = "Vera Vendor <vendor@partner.example>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{time.time_ns()}@partner.example>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(body)
    if attachment is not None:
        message.add_attachment(attachment, maintype="application", subtype="pdf", filename="invoice.pdf")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


def _get(stack: LocalStackProcess, path: str, **kw: Any) -> Any:
    response = requests.get(stack.base_url + path, timeout=10, **kw)
    response.raise_for_status()
    return response.json()


@pytest.fixture(scope="module")
def world(local_stack: LocalStackProcess) -> World:
    """Account acme: an e-mail and a Slack side conversation, a reply with an attachment, and two mails
    quarantined for acme (a forged reply token on a real thread)."""
    s = local_stack
    base = f"{s.base_url}/v1/conversations/{CONVERSATION}/side-conversations"
    email = requests.post(base, headers=s.headers(), timeout=10, json={
        "channel": "email", "subject": f"Refund {MARKER}", "body": f"Approve the refund {MARKER}",
        "to": [{"email": "vendor@partner.example", "name": "Vera Vendor"}]}).json()
    slack = requests.post(base, headers=s.headers(), timeout=10, json={
        "channel": "slack", "subject": f"Outage {MARKER}", "body": f"Is it fixed? {MARKER}",
        "slack": {"target": "channel", "channel_id": "C0ONCALL"}}).json()
    sent = s.wait_for(lambda: [m for m in _get(s, "/_local/mail")["items"] if MARKER in m["subject"]])
    wire_id = sent[0]["message_id"]
    _mail(s, to=email["email"]["reply_to"], subject="Re: refund", body=f"Approved {MARKER}", in_reply_to=wire_id,
          attachment=b"%PDF-1.4 invoice")
    for n in range(3):
        _mail(s, to=f"sc.01h0000000000000000000000{n}.forged@reply.example.com", subject=f"Re: refund {n}",
              body=f"Forged {MARKER}", in_reply_to=wire_id)
    admin = s.headers(role="admin", user="admin-1")
    held = s.wait_for(lambda: len(items := _get(s, "/v1/quarantine", headers=admin)["items"]) >= 3 and items)

    def inbound() -> Any:
        thread = _get(s, f"/v1/conversations/{CONVERSATION}/side-conversations/{email['id']}", headers=s.headers())
        return [m for m in thread["messages"] if m["direction"] == "inbound" and m["attachments"]]

    received = s.wait_for(inbound)[0]
    assert all(q["reason"] == "forged_token" for q in held[:3])
    # Sending domains: acme.example verified with a sender to change, and a domain and a sender to remove.
    for domain in ("acme.example", "acme-old.example"):
        requests.post(f"{s.base_url}/v1/email/domains", json={"domain": domain}, headers=admin,
                      timeout=10).raise_for_status()
        requests.post(f"{s.base_url}/_local/ses/verify", json={"domain": domain}, timeout=10).raise_for_status()
    requests.put(f"{s.base_url}/v1/email/senders/old@acme.example", json={"name": f"Old {MARKER}"}, headers=admin,
                 timeout=10).raise_for_status()
    secrets = {MARKER, email["id"], slack["id"], received["id"], *(q["id"] for q in held)}
    return World(s, email["id"], slack["id"], received["id"],
                 {"attach": held[0]["id"], "discard": held[1]["id"], "cross": held[2]["id"]}, secrets)


def _fill(route: str, method: str, world: World) -> tuple[str, Any, dict[str, str]]:
    """The route with its path filled in with acme's ids, a valid body and the required query."""
    values = {"conversation_id": CONVERSATION, "side_conversation_id": world.email_sc,
              "message_id": world.inbound_message, "attachment_id": "00",
              "quarantine_id": world.quarantined["attach" if route.endswith("/attach") else "discard"],
              "domain": "acme-old.example" if method == "DELETE" else "acme.example",
              "address": "old@acme.example" if method == "DELETE" else "billing@acme.example",
              # acme's workspace (make dev connects acme to the stand-in's first); its DELETE runs last of
              # acme's Slack routes (the routes are in path order)
              "team_id": "T0LOCAL01"}
    unknown = set(re.findall(r"{(\w+)}", route)) - set(values)
    if unknown:
        raise LookupError(f"no value for path parameters {sorted(unknown)} of {route}")
    path = re.sub(r"{(\w+)}", lambda m: values[m.group(1)], route)
    body: Any = None
    if method == "POST" and route.endswith("/side-conversations"):
        body = {"channel": "email", "subject": "Hello", "body": "Hi", "to": [{"email": "x@partner.example"}]}
    elif method == "POST" and route.endswith("/messages"):
        body = {"body": "Any news?"}
    elif method == "POST" and route.endswith("/uploads"):
        body = {"filename": "label.pdf", "content_type": "application/pdf", "size": 10}
    elif method == "PATCH":
        body = {"state": "open"}
    elif method == "PUT" and route.endswith("/read"):
        body = {"message_id": world.inbound_message}
    elif route.endswith("/attach"):
        body = {"conversation_id": CONVERSATION, "side_conversation_id": world.email_sc}
    elif method == "POST" and route == "/v1/email/domains":
        body = {"domain": "acme.example"}
    elif method == "PUT" and route.startswith("/v1/email/senders/"):
        body = {"name": f"Billing {MARKER}"}
    elif method == "PUT" and route == "/v1/settings/follow-ups":
        body = {"max_nudges": 3}
    query = {"mine": "true", "waiting_on": "external"} if route == "/v1/side-conversations" else {}
    if route == "/v1/slack/directory":
        query = {"team_id": "T0LOCAL01", "kind": "user"}
    elif route == "/v1/slack/oauth/callback":
        query = {"code": "code-0", "state": "A" * 43}  # no install of anyone's was started with it
    return path, body, query


# Slack's account-wide routes: every account has its own (an outsider sees its own, empty, never acme's).
SLACK_OWN = {"/v1/slack/installations", "/v1/slack/workspaces", "/v1/slack/directory"}


def expected(method: str, route: str, caller: str) -> set[int]:
    if route.startswith("/v1/email/"):
        return _expected_email(method, route, caller)
    if route == "/v1/slack/oauth/callback":
        return {400}  # no JWT on this route: the OAuth state is the proof, and this one is nobody's
    admin_only = route.startswith(("/v1/quarantine", "/v1/settings", "/v1/slack/installations"))
    listing = method == "GET" and (route.endswith("/side-conversations") or route == "/v1/side-conversations")
    if caller in UNAUTHENTICATED:
        return {401}
    if caller == "customer":
        return {403}
    if admin_only and "admin" not in caller:
        return {403}
    if caller in OUTSIDERS:
        # Their own (empty) listing or their own new side conversation; acme's items do not exist for them.
        # An upload is theirs too: its key and record are in their own account's partition.
        if listing or (method == "POST" and route.endswith(("/side-conversations", "/uploads"))):
            return {200, 201}
        if route in ("/v1/quarantine", "/v1/settings/follow-ups"):
            return {200}  # their own account's
        if route in SLACK_OWN:
            return {200, 201}  # their own account's
        return {404}
    if method == "DELETE":
        return {204}
    return {201} if method == "POST" and route.endswith(("/side-conversations", "/messages", "/attach", "/uploads",
                                                        "/slack/installations")) else {200}


def _expected_email(method: str, route: str, caller: str) -> set[int]:
    """Sending domains: admins only, but every agent may read where the mail comes from; another account's
    admin has none of acme's (404), may not claim its domain (409) nor add a sender on it (422)."""
    if caller in UNAUTHENTICATED:
        return {401}
    if caller == "customer":
        return {403}
    if route == "/v1/email/settings":
        return {200}
    if "admin" not in caller:
        return {403}
    if caller in OUTSIDERS:
        if method == "GET" and route in ("/v1/email/domains", "/v1/email/senders"):
            return {200}
        return {"POST": {409}, "PUT": {422}}.get(method, {404})
    if method == "DELETE":
        return {204}
    return {200}


def test_every_route_is_covered(world: World) -> None:
    # Given the committed OpenAPI document, when the matrix fills each route, then none is left out
    missing = []
    for method, route in operations():
        try:
            _fill(route, method, world)
        except LookupError as exc:
            missing.append(str(exc))
    assert not missing
    assert len(operations()) >= 12


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "route"), operations())
def test_access(world: World, method: str, route: str, caller: str) -> None:
    # Given acme's data and a caller, when the caller uses the route
    path, body, query = _fill(route, method, world)
    response = requests.request(method, world.stack.base_url + path, json=body, params=query,
                                headers=world.headers(caller), timeout=10)
    # Then the status is the expected one
    assert response.status_code in expected(method, route, caller), (response.status_code, response.text)
    # and nobody outside acme ever sees a byte of acme's data
    if caller not in {"agent", "admin"}:
        leaked = [s for s in world.secrets if s in response.text]
        assert not leaked, (leaked, response.text)
    if response.status_code >= 400 and caller not in UNAUTHENTICATED:
        assert response.headers["Content-Type"] == "application/problem+json"


def test_outsiders_list_nothing_of_acme(world: World) -> None:
    # Given a globex agent and admin, when they list the same conversation id, their inbox and the quarantine
    s = world.stack
    for headers in (world.headers("agent of another account"), world.headers("admin of another account")):
        listing = _get(s, f"/v1/conversations/{CONVERSATION}/side-conversations", headers=headers)
        inbox = _get(s, "/v1/side-conversations", params={"mine": "true", "waiting_on": "external"},
                     headers=headers)
        # Then they see no acme side conversation
        assert [i for i in listing["items"] if i["id"] in world.secrets] == []
        assert [i for i in inbox["items"] if i["id"] in world.secrets] == []
    quarantine = _get(s, "/v1/quarantine", headers=world.headers("admin of another account"))
    assert [q for q in quarantine["items"] if q["id"] in world.secrets] == []


def test_a_quarantined_mail_cannot_join_another_accounts_side_conversation(world: World) -> None:
    s = world.stack
    # Given a globex admin with their own e-mail side conversation
    globex_admin = world.headers("admin of another account")
    theirs = requests.post(f"{s.base_url}/v1/conversations/conv-g/side-conversations", headers=globex_admin,
                           timeout=10, json={"channel": "email", "subject": "Theirs", "body": "Hi",
                                             "to": [{"email": "x@partner.example"}]}).json()
    held = world.quarantined["cross"]
    # When they try to attach acme's quarantined mail to it (or to acme's), and acme's admin tries to pull
    # it into globex's side conversation
    attempts = [
        (globex_admin, {"conversation_id": "conv-g", "side_conversation_id": theirs["id"]}),
        (globex_admin, {"conversation_id": CONVERSATION, "side_conversation_id": world.email_sc}),
        (world.headers("admin"), {"conversation_id": "conv-g", "side_conversation_id": theirs["id"]}),
    ]
    for headers, body in attempts:
        response = requests.post(f"{s.base_url}/v1/quarantine/{held}/attach", json=body, headers=headers,
                                 timeout=10)
        # Then each is refused as if nothing were there, and nothing was appended to globex's thread
        assert response.status_code == 404, response.text
        assert MARKER not in response.text
    still = [q for q in _get(s, "/v1/quarantine", headers=world.headers("admin"))["items"] if q["id"] == held]
    assert [q["status"] for q in still] == ["held"]
    thread = _get(s, f"/v1/conversations/conv-g/side-conversations/{theirs['id']}", headers=globex_admin)
    assert [m for m in thread["messages"] if m["direction"] == "inbound"] == []


def _signed(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    from local.slack_api import SlackStandIn

    return SlackStandIn(signing_secret=secret).sign(body, timestamp)


@pytest.mark.parametrize(("case", "status"), [
    ("unsigned", 401), ("bad signature", 401), ("replayed after 5 minutes", 401), ("signed", 200),
])
def test_slack_events_need_slacks_signature_not_a_jwt(local_stack: LocalStackProcess, case: str,
                                                       status: int) -> None:
    # Given a Slack url_verification callback, signed (or not) with the local signing secret
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "x"}).encode()
    now = int(time.time())
    headers = {
        "unsigned": {"Content-Type": "application/json"},
        "bad signature": _signed("not-the-secret", body, now),
        "replayed after 5 minutes": _signed("dev-signing-secret", body, now - 6 * 60),
        "signed": _signed("dev-signing-secret", body, now),
    }[case]
    # When it is POSTed without any Authorization header
    response = requests.post(f"{local_stack.base_url}/v1/slack/events", data=body, headers=headers, timeout=10)
    # Then only the correctly signed, fresh one is answered
    assert response.status_code == status, response.text
    assert ("c-123" in response.text) == (status == 200)
