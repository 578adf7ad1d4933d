"""The Slack Events API endpoint: verify, answer the challenge, route, record the event id, hand off.

This is on Slack's 3-second clock and on every cold start of the endpoint, so it imports only the
standard library, boto3 (clients created on first use) and Slack's signature verifier. It writes at
most one item (the event id, conditional, with a TTL) and sends at most one queue message per event.

Every workspace that installed the app signs with the app's one secret. The event's workspace
(`team_id`, and `enterprise_id`) is routed to the account that installed it by one GetItem of its
routing item, remembered per container for a minute (`WorkspaceRoutes`); the account goes with the
event to the processor (`atender_account_id`), which keys every lookup by it. An event of a workspace
no account holds (nor the self-hosting mode's) is answered 200 and dropped before any write.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import sys
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from sideconv import keys
from sideconv.slack.event_store import SlackEventStore
from sideconv.slack.installation import get_installation
from sideconv.wiring import Wiring, built

# Slack retries an event for up to about an hour (immediately, 1 min, 5 min); keep ids for a day.
EVENT_ID_TTL_SECONDS = 24 * 3600
# Slack's ids are short alphanumerics; anything else could not be a key or an SQS deduplication id.
_SLACK_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
# Added to the queued event: the account the workspace's installation belongs to.
ACCOUNT_FIELD = "atender_account_id"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    # What happened, for logs and tests: challenge, queued, duplicate, ignored, rejected.
    outcome: str


def _load_signature_module() -> ModuleType:
    """`slack_sdk.signature`, without running `slack_sdk/__init__.py`.

    The package's init imports the whole Web API client (~130 ms), which the endpoint never uses.
    The verifier module itself needs only hashlib and hmac, so it is loaded from its file.
    """
    name = "_sideconv_slack_signature"
    if name in sys.modules:
        return sys.modules[name]
    package = importlib.util.find_spec("slack_sdk")  # a top-level spec: does not import the package
    if package is None or not package.submodule_search_locations:
        raise ImportError("slack_sdk is not installed")
    path = f"{next(iter(package.submodule_search_locations))}/signature/__init__.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module


@built
def _verifier(wiring: Wiring) -> Any:
    return _load_signature_module().SignatureVerifier(get_installation(wiring).signing_secret)


@built
def _session(wiring: Wiring) -> Any:
    # botocore, not boto3: boto3's import also loads s3transfer (~250 ms) that this path never uses.
    # PynamoDB talks to DynamoDB through botocore the same way.
    import botocore.session

    return botocore.session.get_session()


@built
def _dynamodb(wiring: Wiring) -> Any:
    settings = wiring.settings
    return _session(wiring).create_client("dynamodb", region_name=settings.region,
                                          endpoint_url=settings.dynamodb_endpoint)


@built
def _sqs(wiring: Wiring) -> Any:
    return _session(wiring).create_client("sqs", region_name=wiring.settings.region)


# How long a container trusts what it read about a workspace's account, found or not: an uninstall
# (and an install after the container met the workspace) takes effect within this.
ROUTE_CACHE_SECONDS = 60.0
MAX_ROUTES = 10_000


@dataclass(frozen=True)
class Route:
    account_id: str | None  # None: the environment's installation (self-hosting mode)


class WorkspaceRoutes:
    """Workspace → account, by the routing item `SLACKWS#<enterprise>#<team>`: one GetItem per
    workspace a container meets, then remembered for `ttl` seconds (a miss too)."""

    def __init__(self, events: SlackEventStore, ttl: float = ROUTE_CACHE_SECONDS, now: Any = time.monotonic) -> None:
        self._events = events
        self._ttl = ttl
        self._now = now
        self._known: dict[str, tuple[float, tuple[str, str] | None]] = {}

    def account_of(self, team_id: str, enterprise_id: str | None) -> tuple[str, str] | None:
        """(account, state) of the installation, or None when no account holds the workspace."""
        ref = keys.slack_workspace_ref(enterprise_id, team_id)
        cached = self._known.get(ref)
        if cached is not None and cached[0] > self._now():
            return cached[1]
        found = self._events.workspace_account(team_id, enterprise_id)
        if len(self._known) > MAX_ROUTES:  # a flood of made-up workspaces must not grow the container
            self._known.clear()
        self._known[ref] = (self._now() + self._ttl, found)
        return found


@built
def _events(wiring: Wiring) -> SlackEventStore:
    return SlackEventStore(lambda: _dynamodb(wiring), wiring.settings.table_name)


@built
def routes(wiring: Wiring) -> WorkspaceRoutes:
    return WorkspaceRoutes(_events(wiring))


def _enterprise_of(envelope: dict[str, Any]) -> str | None:
    enterprise = envelope.get("enterprise_id")
    authorizations = envelope.get("authorizations")
    if not enterprise and isinstance(authorizations, list) and authorizations and isinstance(authorizations[0], dict):
        enterprise = authorizations[0].get("enterprise_id")
    return enterprise if isinstance(enterprise, str) and _SLACK_ID.match(enterprise) else None


def _route(wiring: Wiring, envelope: dict[str, Any], installation: Any) -> Route | None:
    team_id = envelope.get("team_id")
    if not isinstance(team_id, str) or not keys.SLACK_TEAM_ID.match(team_id):
        return None
    found = routes(wiring).account_of(team_id, _enterprise_of(envelope))
    if found is not None:
        account_id, state = found
        return Route(account_id) if state == "active" else None
    if installation.single_workspace and installation.team_id and team_id == installation.team_id:
        return Route(None)
    return None


def raw_body(event: dict[str, Any]) -> bytes:
    """The bytes Slack signed: API Gateway may have base64-encoded them."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8")


def _reject(status: int, detail: str) -> Answer:
    return Answer(status, {"ok": False, "error": detail}, "rejected")


def receive(wiring: Wiring, headers: dict[str, str], body: bytes, *, now: float | None = None) -> Answer:
    """One request to /v1/slack/events. `headers` are lower-case (API Gateway HTTP API)."""
    installation = get_installation(wiring)
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if not timestamp or not signature:
        return _reject(401, "missing_signature")
    if not timestamp.isdigit():
        return _reject(401, "invalid_timestamp")
    verifier = _verifier(wiring)
    if now is not None:
        # The verifier reads its clock; a pinned `now` lets tests cross the 5-minute window.
        verifier = _load_signature_module().SignatureVerifier(installation.signing_secret, _Clock(now))
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        return _reject(401, "invalid_signature")
    try:
        envelope = json.loads(body)
    except ValueError:
        return _reject(400, "invalid_json")
    if not isinstance(envelope, dict):
        return _reject(400, "invalid_json")

    kind = envelope.get("type")
    if kind == "url_verification":
        return Answer(200, {"challenge": str(envelope.get("challenge", ""))}, "challenge")
    if kind != "event_callback":
        return Answer(200, {"ok": True}, "ignored")
    if installation.app_id and envelope.get("api_app_id") != installation.app_id:
        return _reject(403, "foreign_app")
    event_id = envelope.get("event_id")
    if not isinstance(event_id, str) or not _SLACK_ID.match(event_id):
        return _reject(400, "invalid_event_id")
    route = _route(wiring, envelope, installation)
    if route is None:
        # Signed by the app, but no account holds this workspace (never installed, or uninstalled):
        # acknowledged so Slack stops, and nothing is written.
        return Answer(200, {"ok": True}, "unknown_workspace")

    if not _events(wiring).record_event_id(event_id, EVENT_ID_TTL_SECONDS):  # Slack delivered it already
        return Answer(200, {"ok": True}, "duplicate")
    try:
        _hand_off(wiring, envelope, event_id, route)
    except Exception:
        # Not handed off: forget the id so Slack's retry goes through, and ask Slack to retry.
        _events(wiring).forget_event_id(event_id)
        raise
    return Answer(200, {"ok": True}, "queued")


class _Clock:
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def _hand_off(wiring: Wiring, envelope: dict[str, Any], event_id: str, route: Route) -> None:
    queue_url = wiring.settings.slack_queue_url
    if not queue_url:
        raise RuntimeError("SLACK_EVENTS_QUEUE_URL is not set")
    event = envelope.get("event")
    channel = event.get("channel") if isinstance(event, dict) else None
    if not isinstance(channel, str) or not _SLACK_ID.match(channel):
        channel = "-"
    # One FIFO group per channel keeps a thread's reply, edit and deletion in the order Slack sent them.
    group = f"{envelope.get('team_id')}:{channel}"
    # Not the legacy verification token; and the account is ours to say, never the envelope's.
    payload = {k: v for k, v in envelope.items() if k not in ("token", ACCOUNT_FIELD)}
    if route.account_id is not None:
        payload[ACCOUNT_FIELD] = route.account_id
    _sqs(wiring).send_message(QueueUrl=queue_url, MessageBody=json.dumps(payload, separators=(",", ":")),
                        MessageGroupId=group[:128], MessageDeduplicationId=event_id)
