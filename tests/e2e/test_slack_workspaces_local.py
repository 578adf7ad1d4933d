"""`make dev` with two accounts, each in its own stand-in Slack workspace (issue 14, "Done when"): the
newcomer clicks through Add to Slack on the stand-in's consent page, both create, reply and receive
replies, each seeing only its own; names come from the directory; uninstalling one workspace turns its
sends into `workspace_disconnected`. Over HTTP, against `python -m local` in a subprocess."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.e2e.conftest import LocalStackProcess

pytestmark = pytest.mark.xdist_group("local-stack")

W1, W2 = "T0LOCAL01", "T0LOCAL02"


def _api(stack: LocalStackProcess, method: str, path: str, *, account: str, role: str = "agent",
         body: Any = None, params: dict[str, str] | None = None) -> requests.Response:
    headers = stack.headers(account=account, role=role, user=f"{role}-of-{account}")
    return requests.request(method, f"{stack.base_url}{path}", json=body, params=params, headers=headers, timeout=10)


def _connect(stack: LocalStackProcess, account: str, team: str) -> dict[str, list[str]]:
    """An admin's Add to Slack, as the browser follows it: the consent page, Allow, the callback."""
    started = _api(stack, "POST", "/v1/slack/installations", account=account, role="admin")
    assert started.status_code == 201, started.text
    authorize = started.json()["authorize_url"]
    assert authorize.startswith(f"{stack.base_url}/_local/slack/oauth/authorize?")
    page = requests.get(authorize, timeout=10)
    assert page.status_code == 200
    assert W1 in page.text
    assert W2 in page.text
    query = parse_qs(urlsplit(authorize).query)
    approved = requests.post(f"{stack.base_url}/_local/slack/oauth/approve", timeout=10, allow_redirects=False,
                             data={"team_id": team, "state": query["state"][0], "decision": "allow",
                                   "redirect_uri": query["redirect_uri"][0]})
    assert approved.status_code == 302
    back = requests.get(approved.headers["Location"], timeout=10, allow_redirects=False)
    assert back.status_code == 302
    location = urlsplit(back.headers["Location"])
    assert location.path == "/panel/connections.html"
    return parse_qs(location.query)


def _start(stack: LocalStackProcess, account: str, conversation: str, channel: str) -> dict[str, Any]:
    created = _api(stack, "POST", f"/v1/conversations/{conversation}/side-conversations", account=account,
                   body={"channel": "slack", "subject": f"{account} asks", "body": f"Hello from {account}",
                         "slack": {"target": "channel", "channel_id": channel}})
    assert created.status_code == 201, created.text
    return created.json()


def _thread(stack: LocalStackProcess, account: str, conversation: str, side_id: str) -> dict[str, Any]:
    found = _api(stack, "GET", f"/v1/conversations/{conversation}/side-conversations/{side_id}", account=account)
    assert found.status_code == 200, found.text
    return found.json()


def _root(stack: LocalStackProcess, channel: str, text: str) -> dict[str, Any]:
    def posted() -> Any:
        messages = requests.get(f"{stack.base_url}/_local/slack/messages", params={"channel": channel},
                                timeout=10).json()["messages"]
        return next((m for m in messages if text in (m["text"] or "")), None)

    return stack.wait_for(posted)


def test_two_accounts_in_their_own_workspaces(local_stack: LocalStackProcess) -> None:
    stack = local_stack
    # A newcomer's account has no workspace: a Slack create is a 422 naming the field
    refused = _api(stack, "POST", "/v1/conversations/g-1/side-conversations", account="globex",
                   body={"channel": "slack", "body": "hi", "slack": {"target": "channel", "channel_id": "C2SUPPORT"}})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "slack.team_id"
    # Its admin connects the stand-in's second workspace (acme started connected to the first)
    result = _connect(stack, "globex", W2)
    assert result["slack"] == ["connected"]
    assert result["slack_team_id"] == [W2]
    listed = _api(stack, "GET", "/v1/slack/installations", account="globex", role="admin").json()["items"]
    assert [(w["team_id"], w["state"]) for w in listed] == [(W2, "active")]
    assert [w["team_id"] for w in _api(stack, "GET", "/v1/slack/installations", account="acme",
                                       role="admin").json()["items"]] == [W1]

    # An agent picks a person and a channel by name from the directory
    def found(account: str, kind: str, q: str) -> Any:
        page = _api(stack, "GET", "/v1/slack/directory", account=account, params={"kind": kind, "q": q})
        assert page.status_code == 200, page.text
        return page.json()["items"]

    assert [p["id"] for p in stack.wait_for(lambda: found("acme", "user", "bo"))] == ["U0BOB"]
    assert [c["id"] for c in stack.wait_for(lambda: found("globex", "channel", "support"))] == ["C2SUPPORT"]
    assert found("globex", "user", "bo") == []  # acme's people are not globex's

    acme = _start(stack, "acme", "a-1", "C0ONCALL")
    globex = _start(stack, "globex", "g-1", "C2SUPPORT")
    assert (acme["slack"]["team_id"], globex["slack"]["team_id"]) == (W1, W2)
    acme_root = _root(stack, "C0ONCALL", "Hello from acme")
    globex_root = _root(stack, "C2SUPPORT", "Hello from globex")
    for channel, root, user, text in (("C0ONCALL", acme_root, "U0BOB", "acme: on it"),
                                      ("C2SUPPORT", globex_root, "U2PENNY", "globex: on it")):
        answered = requests.post(f"{stack.base_url}/_local/slack/reply", timeout=10,
                                 json={"channel": channel, "thread_ts": root["ts"], "user": user, "text": text})
        assert answered.status_code == 200, answered.text
    stack.wait_for(lambda: _thread(stack, "acme", "a-1", acme["id"])["inbound_count"] == 1)
    stack.wait_for(lambda: _thread(stack, "globex", "g-1", globex["id"])["inbound_count"] == 1)
    assert "globex" not in str(_thread(stack, "acme", "a-1", acme["id"]))
    assert "acme" not in str(_thread(stack, "globex", "g-1", globex["id"]))
    # Each account sees only its own: the other's side conversation is a 404
    assert _api(stack, "GET", f"/v1/conversations/a-1/side-conversations/{acme['id']}", account="globex"
                ).status_code == 404

    # Replies go out in each one's own workspace
    for account, conversation, side in (("acme", "a-1", acme), ("globex", "g-1", globex)):
        sent = _api(stack, "POST", f"/v1/conversations/{conversation}/side-conversations/{side['id']}/messages",
                    account=account, body={"body": f"thanks from {account}"})
        assert sent.status_code == 201
    _root(stack, "C0ONCALL", "thanks from acme")
    _root(stack, "C2SUPPORT", "thanks from globex")

    # The second workspace removes the app: its sends fail `workspace_disconnected`, acme's go on
    gone = requests.post(f"{stack.base_url}/_local/slack/uninstall", json={"team_id": W2}, timeout=10)
    assert gone.status_code == 200
    stack.wait_for(lambda: _api(stack, "GET", "/v1/slack/installations", account="globex",
                                role="admin").json()["items"][0]["state"] == "revoked")
    _api(stack, "POST", f"/v1/conversations/g-1/side-conversations/{globex['id']}/messages", account="globex",
         body={"body": "anyone?"})

    def failed() -> Any:
        last = _thread(stack, "globex", "g-1", globex["id"])["messages"][-1]
        return last if last["delivery"]["status"] == "failed" else None

    assert stack.wait_for(failed, timeout=15)["delivery"]["detail"].startswith("workspace_disconnected")
    _api(stack, "POST", f"/v1/conversations/a-1/side-conversations/{acme['id']}/messages", account="acme",
         body={"body": "acme still here"})
    _root(stack, "C0ONCALL", "acme still here")


def test_a_forged_state_on_the_callback_is_a_400(local_stack: LocalStackProcess) -> None:
    answer = requests.get(f"{local_stack.base_url}/v1/slack/oauth/callback", timeout=10, allow_redirects=False,
                          params={"code": "code-x", "state": "A" * 43})
    assert answer.status_code == 400
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["errors"][0]["field"] == "state"
