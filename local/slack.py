"""Slack on the local stack: the Web API stand-in and the events endpoint (issue 4).

- the Slack outbox queue → functions/send_slack (as Lambda's event source mapping would);
- POST /v1/slack/events → functions/slack_events, without the JWT authorizer (Slack signs instead);
- the Slack events queue → functions/slack_processor;
- the Web API stand-in on 127.0.0.1:SLACK_API_PORT (3001) under /api/, plus on the API port
  GET /_local/slack/messages (everything posted) and POST /_local/slack/reply (a person answers in a
  thread: the stand-in delivers the signed event callback, retrying as Slack does).

Workspaces per account (issue 14): the stand-in plays two workspaces and Slack's consent page
(`GET /_local/slack/oauth/authorize`, where `authorize_url` points), `GET /v1/slack/oauth/callback` is
served without the JWT authorizer (as in AWS), `POST /_local/slack/uninstall {team_id}` removes the app
from a workspace (Slack's `tokens_revoked` and `app_uninstalled` follow), and the demo account `acme`
starts connected to the first workspace. Every account is in per-account mode: the environment's
installation is used only with `SLACK_SINGLE_WORKSPACE=true` (the self-hosting mode).

With a real SLACK_BOT_TOKEN and SLACK_API_URL unset, the service talks to real Slack instead
(set SLACK_SIGNING_SECRET, SLACK_TEAM_ID and SLACK_APP_ID too) and the stand-in is not started.
"""

from __future__ import annotations

import html
import json
import os
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from local.slack_api import CLIENT_ID, CLIENT_SECRET, ENTERPRISE_ORG_ID, LocalInstallation, SlackStandIn
from local.stack import LocalStack, Reply, Request, api_event_from, lambda_proxy_reply

# The documented local default; AWS reads the real one from Secrets Manager.
DEFAULT_SIGNING_SECRET = "dev-signing-secret"


DEMO_ACCOUNT = "acme"


def token_key(region: str) -> str:
    """The KMS key that encrypts the workspaces' tokens (created on embedded AWS, as the stack declares one)."""
    import boto3

    return str(boto3.client("kms", region_name=region).create_key(
        Description="side-conversations Slack tokens")["KeyMetadata"]["KeyId"])


def _configure(stack: LocalStack, stand_in: SlackStandIn | None, *, api_base: str | None = None) -> None:
    """The functions read Slack settings from the environment, as they would from theirs in AWS."""
    os.environ["SLACK_EVENTS_QUEUE_URL"] = stack.resources.slack_events_queue_url
    os.environ.setdefault("SLACK_SIGNING_SECRET", DEFAULT_SIGNING_SECRET)
    if not os.environ.get("SLACK_TOKEN_KEY_ID"):
        os.environ["SLACK_TOKEN_KEY_ID"] = token_key(stack.settings.region)
    if stand_in is not None:
        os.environ["SLACK_CLIENT_ID"] = CLIENT_ID
        os.environ["SLACK_CLIENT_SECRET"] = CLIENT_SECRET
        if api_base is not None:
            os.environ["SLACK_AUTHORIZE_URL"] = f"{api_base}/_local/slack/oauth/authorize"
            os.environ["SLACK_REDIRECT_URI"] = f"{api_base}/v1/slack/oauth/callback"
        i = stand_in.installation
        os.environ["SLACK_API_URL"] = stand_in.url
        # Pace to the rate the Slack we talk to enforces (the stand-in's, off unless asked for): the
        # local stack runs consumers under its one lock, so a pacing sleep would hold up every request.
        os.environ.setdefault("SLACK_POST_INTERVAL_S", str(stand_in.min_post_interval))
        for name, value in (("SLACK_BOT_TOKEN", i.token), ("SLACK_TEAM_ID", i.team_id),
                            ("SLACK_APP_ID", i.app_id), ("SLACK_BOT_USER_ID", i.bot_user_id),
                            ("SLACK_BOT_ID", i.bot_id)):
            os.environ[name] = value
    from local.containers import cold_start

    cold_start()  # settings and Slack clients made before this installation was set


def register(stack: LocalStack) -> None:
    """The three functions, wired as AWS wires them."""
    from functions.slack_events.handler import lambda_handler as slack_events
    from functions.slack_processor.handler import lambda_handler as slack_processor

    # One message per invocation (sideconv.slack.channel): the sender's pacing gap (Slack's ~1 message/s
    # per channel) then never holds the local stack's lock for long.
    stack.add_outbox_sender("slack")
    stack.add_consumer("slack_processor", stack.resources.slack_events_queue_url, slack_processor)

    def events_route(request: Request) -> Reply:
        # API Gateway route without an authorizer: the function checks Slack's signature itself.
        return lambda_proxy_reply(stack.invoke("slack_events", slack_events, api_event_from(request, None)))

    stack.add_route("POST", "/v1/slack/events", events_route)

    from functions.api.handler import lambda_handler as api_handler

    def oauth_callback(request: Request) -> Reply:
        # As in AWS: this one API route has no JWT authorizer (the OAuth state is the proof).
        return lambda_proxy_reply(stack.invoke("api", api_handler, api_event_from(request, None)))

    stack.add_route("GET", "/v1/slack/oauth/callback", oauth_callback)


def install(stack: LocalStack) -> None:
    """Register the Slack sender, the events endpoint, the processor and the Web API stand-in."""
    real_slack = bool(os.environ.get("SLACK_BOT_TOKEN")) and not os.environ.get("SLACK_API_URL")
    stand_in = None
    if not real_slack:
        api_port = int(os.environ.get("PORT", "3000"))
        stand_in = SlackStandIn(
            signing_secret=os.environ.get("SLACK_SIGNING_SECRET") or DEFAULT_SIGNING_SECRET,
            installation=LocalInstallation(),
            port=int(os.environ.get("SLACK_API_PORT", "3001")),
            events_url=f"http://127.0.0.1:{api_port}/v1/slack/events",
            min_post_interval=float(os.environ.get("SLACK_STAND_IN_POST_INTERVAL_S") or 0),
        )
    api_base = f"http://127.0.0.1:{int(os.environ.get('PORT', '3000'))}"
    _configure(stack, stand_in, api_base=api_base)
    register(stack)
    if stand_in is None:
        return
    stack.add_server(stand_in.start, stand_in.stop)
    stack.slack = stand_in  # type: ignore[attr-defined]
    install_local_routes(stack, stand_in)
    with stack.lock:
        connect(stand_in, DEMO_ACCOUNT, stand_in.installation.team_id, installed_by="admin-1")


def connect(stand_in: SlackStandIn, account_id: str, team_id: str, *, installed_by: str) -> None:
    """Store an installation of the stand-in's workspace for `account_id`, as the OAuth callback would
    (a token of its own, encrypted): how `make dev` starts with `acme` connected."""
    from sideconv.api.slack_routes import installation_store
    from sideconv.wiring import Wiring
    from slack_sdk.oauth.installation_store.models.installation import Installation

    wiring = Wiring.from_env()
    ws = stand_in.workspace(team_id)
    i = ws.installation
    installation_store(wiring, account_id, installed_by).save(Installation(
        app_id=i.app_id, team_id=i.team_id, team_name=i.team, bot_token=stand_in.issue_token(team_id),
        bot_id=i.bot_id, bot_user_id=i.bot_user_id, bot_scopes="chat:write", user_id=installed_by, token_type="bot"))
    from sideconv.slack.directory import queue_refresh

    queue_refresh(wiring, account_id, team_id)  # the pickers' copy, filled by the processor as on an install


def install_local_routes(stack: LocalStack, stand_in: SlackStandIn) -> None:
    def messages(request: Request) -> Reply:
        channel = dict(parse_qsl(request.query)).get("channel")
        return Reply.json(200, {"messages": stand_in.messages(channel)})

    def reply(request: Request) -> Reply:
        try:
            payload: Any = json.loads(request.body or b"{}")
        except ValueError:
            return Reply.json(400, {"ok": False, "error": "invalid_json"})
        missing = [k for k in ("channel", "thread_ts", "text") if not isinstance(payload.get(k), str)]
        if missing:
            return Reply.json(400, {"ok": False, "error": "missing_fields", "fields": missing})
        try:
            answer = stand_in.reply(payload["channel"], payload["thread_ts"], payload.get("user") or "U0ALICE",
                                    payload["text"])
        except LookupError as exc:
            return Reply.json(404, {"ok": False, "error": str(exc)})
        return Reply.json(200, answer)

    def deliveries(request: Request) -> Reply:
        return Reply.json(200, {"deliveries": [vars(d) for d in list(stand_in.deliveries)]})

    def consent(request: Request) -> Reply:
        return _consent_page(stand_in, dict(parse_qsl(request.query)))

    def approve(request: Request) -> Reply:
        form = dict(parse_qsl(request.body.decode() if request.body else request.query))
        redirect_uri, state = form.get("redirect_uri") or "", form.get("state") or ""
        if urlsplit(redirect_uri).path != "/v1/slack/oauth/callback":
            return Reply.json(400, {"ok": False, "error": "bad_redirect_uri"})
        if form.get("decision") == "cancel":
            query = {"error": "access_denied", "state": state}
        else:
            try:
                query = {"code": stand_in.authorize(form.get("team_id") or ""), "state": state}
            except LookupError:
                return Reply.json(400, {"ok": False, "error": "team_not_found"})
        return Reply(302, b"", {"Location": f"{redirect_uri}?{urlencode(query)}"})

    def uninstall(request: Request) -> Reply:
        try:
            payload: Any = json.loads(request.body or b"{}")
            events = stand_in.uninstall(str(payload.get("team_id") or ""))
        except (ValueError, AttributeError):
            return Reply.json(400, {"ok": False, "error": "invalid_json"})
        except LookupError:
            return Reply.json(404, {"ok": False, "error": "team_not_found"})
        return Reply.json(200, {"ok": True, "event_ids": events})

    stack.add_route("GET", "/_local/slack/oauth/authorize", consent)
    stack.add_route("POST", "/_local/slack/oauth/approve", approve)
    stack.add_route("POST", "/_local/slack/uninstall", uninstall)
    stack.add_route("GET", "/_local/slack/messages", messages)
    stack.add_route("POST", "/_local/slack/reply", reply)
    stack.add_route("GET", "/_local/slack/deliveries", deliveries)


def _consent_page(stand_in: SlackStandIn, query: dict[str, str]) -> Reply:
    """Slack's "Atender is requesting permission" page: pick the workspace to install in, or cancel."""
    if query.get("client_id") != CLIENT_ID or not query.get("state") or not query.get("redirect_uri"):
        return Reply(400, b"<!doctype html><title>Slack</title><p>invalid_client_id, state or redirect_uri</p>",
                     {"Content-Type": "text/html; charset=utf-8"})
    hidden = "".join(f'<input type="hidden" name="{name}" value="{html.escape(query[name])}">'
                     for name in ("state", "redirect_uri"))
    choices = "".join(
        f'<li><label><input type="radio" name="team_id" value="{html.escape(ws.installation.team_id)}"'
        f'{" checked" if n == 0 else ""}> {html.escape(ws.installation.team)} '
        f'<small>({html.escape(ws.installation.team_id)})</small></label></li>'
        for n, ws in enumerate(stand_in.workspaces))
    choices += (f'<li><label><input type="radio" name="team_id" value="{ENTERPRISE_ORG_ID}"> Local Grid Org '
                '<small>(org-wide install)</small></label></li>')
    scopes = html.escape(query.get("scope", "").replace(",", ", "))
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Install Atender | Slack (stand-in)</title>
</head><body><main><h1>Atender is requesting permission to access a Slack workspace</h1>
<p>The local Slack stand-in. Scopes: <code>{scopes}</code></p>
<form method="post" action="/_local/slack/oauth/approve">{hidden}<fieldset><legend>Workspace</legend>
<ul>{choices}</ul></fieldset>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="cancel">Cancel</button></form></main></body></html>"""
    return Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8",
                                      "Content-Security-Policy": "default-src 'none'; form-action 'self'"})
