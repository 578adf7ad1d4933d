"""Slack on the local stack: the Web API stand-in and the events endpoint (issue 4).

- the Slack outbox queue → functions/send_slack (as Lambda's event source mapping would);
- POST /v1/slack/events → functions/slack_events, without the JWT authorizer (Slack signs instead);
- the Slack events queue → functions/slack_processor;
- the Web API stand-in on 127.0.0.1:SLACK_API_PORT (3001) under /api/, plus on the API port
  GET /_local/slack/messages (everything posted) and POST /_local/slack/reply (a person answers in a
  thread: the stand-in delivers the signed event callback, retrying as Slack does).

With a real SLACK_BOT_TOKEN and SLACK_API_URL unset, the service talks to real Slack instead
(set SLACK_SIGNING_SECRET, SLACK_TEAM_ID and SLACK_APP_ID too) and the stand-in is not started.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import parse_qsl

from local.slack_api import LocalInstallation, SlackStandIn
from local.stack import LocalStack, Reply, Request, api_event_from, lambda_proxy_reply

# The documented local default; AWS reads the real one from Secrets Manager.
DEFAULT_SIGNING_SECRET = "dev-signing-secret"


def _configure(stack: LocalStack, stand_in: SlackStandIn | None) -> None:
    """The functions read Slack settings from the environment, as they would from theirs in AWS."""
    os.environ["SLACK_EVENTS_QUEUE_URL"] = stack.resources.slack_events_queue_url
    os.environ.setdefault("SLACK_SIGNING_SECRET", DEFAULT_SIGNING_SECRET)
    if stand_in is not None:
        i = stand_in.installation
        os.environ["SLACK_API_URL"] = stand_in.url
        # Pace to the rate the Slack we talk to enforces (the stand-in's, off unless asked for): the
        # local stack runs consumers under its one lock, so a pacing sleep would hold up every request.
        os.environ.setdefault("SLACK_POST_INTERVAL_S", str(stand_in.min_post_interval))
        for name, value in (("SLACK_BOT_TOKEN", i.token), ("SLACK_TEAM_ID", i.team_id),
                            ("SLACK_APP_ID", i.app_id), ("SLACK_BOT_USER_ID", i.bot_user_id),
                            ("SLACK_BOT_ID", i.bot_id)):
            os.environ[name] = value
    from sideconv.container import forget

    forget()  # settings and Slack clients made before this installation was set


def register(stack: LocalStack) -> None:
    """The three functions, wired as AWS wires them."""
    from functions.send_slack.handler import lambda_handler as send_slack
    from functions.slack_events.handler import lambda_handler as slack_events
    from functions.slack_processor.handler import lambda_handler as slack_processor

    # One message per invocation: the sender's pacing gap (Slack's ~1 message/s per channel) then
    # never holds the local stack's lock for long.
    stack.add_consumer("send_slack", stack.resources.outbox_queue_urls["slack"], send_slack, batch_size=1)
    stack.add_consumer("slack_processor", stack.resources.slack_events_queue_url, slack_processor)

    def events_route(request: Request) -> Reply:
        # API Gateway route without an authorizer: the function checks Slack's signature itself.
        return lambda_proxy_reply(stack.invoke("slack_events", slack_events, api_event_from(request, None)))

    stack.add_route("POST", "/v1/slack/events", events_route)


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
    _configure(stack, stand_in)
    register(stack)
    if stand_in is None:
        return
    stack.add_server(stand_in.start, stand_in.stop)
    stack.slack = stand_in  # type: ignore[attr-defined]
    install_local_routes(stack, stand_in)


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

    stack.add_route("GET", "/_local/slack/messages", messages)
    stack.add_route("POST", "/_local/slack/reply", reply)
    stack.add_route("GET", "/_local/slack/deliveries", deliveries)
