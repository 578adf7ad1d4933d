"""Embedded AWS and the real handlers, set up as the local stack does, for in-process figures."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import importlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.core import ROOT
from local.app import LOCAL_DEFAULTS
from local.containers import cold_start

SIGNING_SECRET = "bench-signing-secret"  # noqa: S105 - a local test secret
TEAM_ID = "T0BENCH01"
APP_ID = "A0BENCH01"
# What a function reads at import and run time, with the local stack's defaults.
LOCAL_ENV = {
    **LOCAL_DEFAULTS,
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    "SLACK_TEAM_ID": TEAM_ID,
    "SLACK_APP_ID": APP_ID,
    "SLACK_BOT_TOKEN": "xoxb-bench",
    "SLACK_BOT_USER_ID": "U0BENCHBOT",
    "SLACK_BOT_ID": "B0BENCHBOT",
    # The environment's installation serves the bench's accounts: the self-hosting mode (docs/SLACK.md).
    "SLACK_SINGLE_WORKSPACE": "true",
}
# The functions the issues name; any other folder under functions/ is measured too.
EXPECTED_FUNCTIONS = ("api", "slack_events", "slack_processor", "send_slack", "ingest_email", "send_email",
                      "email_events")


def functions() -> list[str]:
    present = sorted(p.parent.name for p in (ROOT / "functions").glob("*/handler.py"))
    return [*EXPECTED_FUNCTIONS, *(name for name in present if name not in EXPECTED_FUNCTIONS)]


class Missing(Exception):
    """The code a figure needs does not exist (yet)."""


def handler(name: str) -> Callable[[dict[str, Any], Any], Any]:
    """`functions/<name>/handler.py`'s lambda_handler, or Missing naming the absent module."""
    if not (ROOT / "functions" / name / "handler.py").is_file():
        raise Missing(f"functions/{name}/handler.py does not exist")
    module = importlib.import_module(f"functions.{name}.handler")
    found = getattr(module, "lambda_handler", None)
    if found is None:
        raise Missing(f"functions/{name}/handler.py has no lambda_handler")
    return found


class Context:
    """What a handler reads from the Lambda context object."""

    def __init__(self, name: str) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
        self.aws_request_id = "bench"
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def quiet_logs() -> None:
    """Keep INFO logging (its formatting is part of a handler's cost) but write it nowhere."""
    from sideconv.observability import logger

    sink = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    registered = getattr(logger, "registered_handler", None)
    if registered is not None and hasattr(registered, "setStream"):
        registered.setStream(sink)


@dataclass
class Aws:
    settings: Any
    resources: Any
    slack_api_url: str


@contextmanager
def embedded_aws(**env: str) -> Iterator[Aws]:
    """moto with the service's table, bucket and queues (from local.aws), a Slack Web API stand-in on
    127.0.0.1, and the environment the functions read. Everything is undone on exit."""
    import warnings

    from bench import counting

    # A handler that emits no metric in an invocation is normal here.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    counting.install()  # before any client exists, so every session is hooked
    from local import moto_dynamodb

    moto_dynamodb.install()  # as the local stack does: a request costs what it touches, not the table
    saved = dict(os.environ)
    os.environ.update(LOCAL_ENV)
    os.environ.update(env)
    slack = SlackStub()
    slack.start()
    os.environ["SLACK_API_URL"] = slack.url
    from moto import mock_aws

    mock = mock_aws()
    mock.start()
    # Metrics print their EMF document to stdout on every flush; the report goes to stderr.
    stdout = contextlib.redirect_stdout(open(os.devnull, "w"))  # noqa: SIM115
    stdout.__enter__()
    try:
        cold_start()
        from sideconv.config import from_env

        from local.aws import create_resources

        resources = create_resources(from_env())
        if resources.slack_events_queue_url:
            os.environ["SLACK_EVENTS_QUEUE_URL"] = resources.slack_events_queue_url
        cold_start()
        quiet_logs()
        yield Aws(from_env(), resources, slack.url)
    finally:
        stdout.__exit__(None, None, None)
        mock.stop()
        slack.stop()
        os.environ.clear()
        os.environ.update(saved)
        cold_start()


class SlackStub:
    """The few Slack Web API methods the processor calls (users.info, auth.test), over real HTTP."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def start(self) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                method = self.path.rsplit("/", 1)[-1]
                stub.calls.append(method)
                self._send(stub.answer(method, body))

            do_GET = do_POST

            def _send(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="slack-stub", daemon=True).start()

    def answer(self, method: str, body: str) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "user_id": LOCAL_ENV["SLACK_BOT_USER_ID"], "bot_id": LOCAL_ENV["SLACK_BOT_ID"],
                    "team_id": TEAM_ID}
        if method == "users.info":
            user = "U0UNKNOWN"
            for part in body.split("&"):
                if part.startswith("user="):
                    user = part[5:]
            return {"ok": True, "user": {"id": user, "name": user.lower(), "real_name": f"Person {user}",
                                         "profile": {"display_name": f"Person {user}"}}}
        return {"ok": False, "error": "unknown_method"}

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def slack_request(envelope: dict[str, Any], *, secret: str = SIGNING_SECRET,
                  now: float | None = None) -> dict[str, Any]:
    """An API Gateway HTTP API event for POST /v1/slack/events, signed as Slack signs it."""
    from local.apigw import http_api_event

    body = json.dumps(envelope, separators=(",", ":"))
    timestamp = str(int(now if now is not None else time.time()))
    mac = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {"content-type": "application/json", "x-slack-request-timestamp": timestamp,
               "x-slack-signature": f"v0={mac}", "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
    return http_api_event("POST", "/v1/slack/events", headers=headers, body=body)
