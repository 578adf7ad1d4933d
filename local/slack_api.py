"""A stand-in for the Slack Web API and Events API, for the local stack and the tests.

It answers the methods the service uses (auth.test, conversations.open, chat.postMessage,
chat.getPermalink, users.info, conversations.history, conversations.replies, and the two file methods
of `files_upload_v2`: files.getUploadURLExternal, whose upload URL this stand-in serves on 127.0.0.1,
and files.completeUploadExternal, which shares the files in a channel or thread) with Slack's response
shapes and error modes (invalid_auth, channel_not_found, not_in_channel, user_not_found,
thread_not_found, invalid_cursor, HTTP 429 with Retry-After), keeps each post's message metadata and
returns it with `include_all_metadata`, pages with `cursor`/`limit` and bounds with
`oldest`/`latest`/`inclusive` as Slack does, can be told to fail the next calls, and delivers
signed Events API callbacks the way Slack does: JSON POSTed with X-Slack-Signature, retried with
X-Slack-Retry-Num when not answered 200 within 3 seconds. Its own bot's posts come back as message
events too (the echo the processor must drop).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import queue
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

# A Web API answer: HTTP status, extra headers, the JSON body.
_Answer = tuple[int, dict[str, str], dict[str, Any]]


@dataclass(frozen=True)
class LocalInstallation:
    team_id: str = "T0LOCAL01"
    team: str = "atender-local"
    bot_user_id: str = "U0LOCALBOT"
    bot_id: str = "B0LOCALBOT"
    app_id: str = "A0LOCALAPP"
    token: str = "xoxb-local-stand-in-token"


# The app's OAuth client on the stand-in (oauth.v2.access checks them).
CLIENT_ID = "local-client-id"
CLIENT_SECRET = "local-client-secret"

DEFAULT_USERS = {
    "U0ALICE": "Alice Engineer", "U0BOB": "Bob Oncall", "U0CAROL": "Carol Billing",
    "U0DAVE": "Dave Support", "U0ERIN": "Erin Legal", "U0FRANK": "Frank Finance",
    "U0GRACE": "Grace Product", "U0HEIDI": "Heidi Security", "U0IVAN": "Ivan Sales",
}
# Channels the bot is a member of; NOT_A_MEMBER exists but the bot was never invited.
DEFAULT_CHANNELS = {"C0GENERAL": "general", "C0ONCALL": "oncall-engineering", "C0BILLING": "billing"}
NOT_A_MEMBER = {"C0PRIVATE": "leadership"}


@dataclass
class LocalWorkspace:
    """One stand-in workspace: its people, its channels (and which are private, shared with another
    organisation, or not joined by the app), and the app's bot in it."""

    installation: LocalInstallation
    users: dict[str, str]
    channels: dict[str, str]  # the app is a member
    not_member: dict[str, str]  # the app is not a member (public ones can be joined)
    private: set[str] = field(default_factory=set)
    shared: set[str] = field(default_factory=set)  # Slack Connect: shared with another organisation
    archived: dict[str, str] = field(default_factory=dict)
    bots: dict[str, str] = field(default_factory=dict)
    deactivated: dict[str, str] = field(default_factory=dict)
    # A member of another organisation, in the shared channels (Slack Connect).
    external_users: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (name, their team)


def default_workspaces() -> list[LocalWorkspace]:
    """The stand-in's two workspaces (README, "Slack workspaces on the stand-in")."""
    first = LocalWorkspace(
        LocalInstallation(),
        users=dict(DEFAULT_USERS),
        channels={**DEFAULT_CHANNELS, "C0PARTNER": "shared-with-vendor", "C0INCIDENT": "incident-room"},
        not_member={**NOT_A_MEMBER, "C0RANDOM": "random"},
        private={"C0PRIVATE", "C0INCIDENT"},
        shared={"C0PARTNER"},
        archived={"C0OLDNEWS": "old-announcements"},
        bots={"U0DEPLOYBOT": "deploy-bot"},
        deactivated={"U0MALLORY": "Mallory Former"},
        external_users={"U9VERA": ("Vera Vendor", "T9VENDOR")},
    )
    second = LocalWorkspace(
        LocalInstallation(team_id="T0LOCAL02", team="globex-local", bot_user_id="U2LOCALBOT", bot_id="B2LOCALBOT",
                          token="xoxb-local-stand-in-token-2"),
        users={"U2OSCAR": "Oscar Operations", "U2PENNY": "Penny Payments", "U2QUINN": "Quinn Quality",
               "U2RITA": "Rita Returns"},
        channels={"C2GENERAL": "general", "C2SUPPORT": "support-escalations", "C2SHARED": "shared-with-carrier"},
        not_member={"C2FINANCE": "finance-private", "C2RANDOM": "random"},
        private={"C2FINANCE"},
        shared={"C2SHARED"},
        bots={"U2CIBOT": "ci-bot"},
        deactivated={"U2SAM": "Sam Gone"},
        external_users={"U9WALT": ("Walt Carrier", "T9CARRIER")},
    )
    return [first, second]


def _avatar(name: str) -> str:
    """A data: URL (no network): the person's initials on a colour of their own."""
    initials = "".join(part[0] for part in name.split()[:2]).upper()
    hue = int(hashlib.sha256(name.encode()).hexdigest()[:2], 16) * 360 // 256
    svg = (f"<svg xmlns='http://www.w3.org/2000/svg' width='72' height='72'><rect width='72' height='72' "
           f"fill='hsl({hue},45%,45%)'/><text x='36' y='46' font-size='28' text-anchor='middle' fill='white' "
           f"font-family='sans-serif'>{initials}</text></svg>")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@dataclass
class _Failure:
    status: int
    error: str | None
    retry_after: int | None
    delay: float


@dataclass
class Delivery:
    event_id: str
    attempt: int
    status: int | None
    reason: str | None


@dataclass
class SlackStandIn:
    signing_secret: str = "dev-signing-secret"
    installation: LocalInstallation = field(default_factory=LocalInstallation)
    host: str = "127.0.0.1"
    port: int = 0
    events_url: str | None = None
    # Slack allows about one message per second per channel; 0 turns the limit off.
    min_post_interval: float = 0.0
    # Seconds between Slack's retries of an event delivery (Slack: immediately, 1 min, 5 min).
    retry_delays: tuple[float, ...] = (0.2, 1.0, 2.0)
    delivery_timeout: float = 3.0
    echo_own_posts: bool = True
    # Issue refresh tokens and 12-hour access tokens from oauth.v2.access (the app's token rotation).
    token_rotation: bool = False
    workspaces: list[LocalWorkspace] = field(default_factory=default_workspaces)

    def __post_init__(self) -> None:
        # The first workspace is the environment's installation (its static token is valid from the
        # start); the others are reached through the OAuth flow.
        primary = self.workspaces[0]
        primary.installation = self.installation
        self.users: dict[str, str] = primary.users
        self.channels: dict[str, str] = primary.channels
        self.not_member: dict[str, str] = primary.not_member
        self._tokens: dict[str, str] = {self.installation.token: self.installation.team_id}
        self._refresh_tokens: dict[str, str] = {}
        self._codes: dict[str, str] = {}  # code -> team (single use)
        self.posted: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.deliveries: list[Delivery] = []
        self.rate_limited = 0
        self._failures: dict[str, list[_Failure]] = {}
        self._last_post: dict[str, float] = {}
        self._last_ts = 0.0
        self._lock = threading.Lock()
        self._outbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._server: ThreadingHTTPServer | None = None
        # files_upload_v2: file id → what getUploadURLExternal was told, and the bytes once posted.
        self.files: dict[str, dict[str, Any]] = {}
        self._worker: threading.Thread | None = None

    # Lifecycle ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The Web API base URL (what SLACK_API_URL is set to); ends with "/" as slack_sdk needs."""
        return f"http://{self.host}:{self.port}/api/"

    def start(self) -> None:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, extra, payload = stand_in.handle(self.command, parts.path, parts.query, headers, body)
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = _handle

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, name="slack-api", daemon=True).start()
        self._worker = threading.Thread(target=self._deliver_loop, name="slack-events", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        self._outbox.put(None)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # Test controls ----------------------------------------------------------------------------

    def fail_next(self, method: str, *, status: int = 200, error: str | None = None,
                  retry_after: int | None = None, times: int = 1, delay: float = 0.0) -> None:
        """The next `times` calls of `method` answer this instead (ok:false, an HTTP status, a stall)."""
        with self._lock:
            self._failures.setdefault(method, []).extend(
                _Failure(status, error, retry_after, delay) for _ in range(times))

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self.posted if channel is None or m["channel"] == channel]

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    # The Web API ------------------------------------------------------------------------------

    def handle(self, method_verb: str, path: str, query: str, headers: dict[str, str], body: bytes
               ) -> _Answer:
        if path.startswith("/upload/v1/"):
            return self._receive_file(path.removeprefix("/upload/v1/"), body)
        if not path.startswith("/api/"):
            return 404, {}, {"ok": False, "error": "unknown_method"}
        method = path[len("/api/"):]
        params: dict[str, Any] = dict(parse_qsl(query))
        if body:
            if headers.get("content-type", "").startswith("application/json"):
                try:
                    params.update(json.loads(body))
                except ValueError:
                    return 200, {}, {"ok": False, "error": "invalid_json"}
            else:
                params.update(parse_qsl(body.decode()))
        token = headers.get("authorization", "").removeprefix("Bearer ").strip() or params.get("token")
        with self._lock:
            self.calls.append((method, params))
            failures = self._failures.get(method)
            failure = failures.pop(0) if failures else None
        if failure is not None:
            if failure.delay:
                time.sleep(failure.delay)
            extra = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            if failure.status == 429:
                with self._lock:
                    self.rate_limited += 1
            return failure.status, extra, {"ok": False, "error": failure.error or _reason(failure.status)}
        if method == "oauth.v2.access":
            return self._oauth_access(params, headers)
        if not token:
            return 200, {}, {"ok": False, "error": "not_authed"}
        team = self._team_of(token)
        if team is None:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        ws = self.workspace(team)
        if method == "auth.revoke":
            with self._lock:
                self._tokens.pop(token, None)
            return 200, {}, {"ok": True, "revoked": True}
        listing = {"users.list": self._users_list, "conversations.list": self._conversations_list,
                   "conversations.join": self._join}.get(method)
        if listing is not None:
            return listing(params, ws)
        handler = {
            "auth.test": self._auth_test,
            "conversations.open": self._conversations_open,
            "chat.postMessage": self._post_message,
            "chat.getPermalink": self._permalink,
            "users.info": self._users_info,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }.get(method)
        if handler is None:
            return 404, {}, {"ok": False, "error": "unknown_method"}
        return handler(params, ws)

    def _auth_test(self, params: dict[str, Any], ws: LocalWorkspace) -> _Answer:
        i = ws.installation
        return 200, {}, {"ok": True, "url": f"https://{i.team}.slack.com/", "team": i.team, "user": "atender",
                         "team_id": i.team_id, "user_id": i.bot_user_id, "bot_id": i.bot_id, "app_id": i.app_id,
                         "is_enterprise_install": False}

    def _conversations_open(self, params: dict[str, Any], ws: LocalWorkspace) -> _Answer:
        raw = params.get("users") or ""
        users = [u.strip() for u in (raw if isinstance(raw, list) else str(raw).split(",")) if u.strip()]
        if not users:
            return 200, {}, {"ok": False, "error": "users_list_not_supplied"}
        if len(users) > 8:
            return 200, {}, {"ok": False, "error": "too_many_users"}
        for user in users:
            if user not in ws.users:
                return 200, {}, {"ok": False, "error": "user_not_found"}
        digest = hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:9].upper()  # noqa: S324
        channel = ("D" if len(users) == 1 else "G") + digest
        with self._lock:
            ws.channels.setdefault(channel, "dm" if len(users) == 1 else "mpdm-" + "--".join(users))
        return 200, {}, {"ok": True, "channel": {"id": channel, "is_im": len(users) == 1,
                                                 "is_mpim": len(users) > 1}}

    def _post_message(self, params: dict[str, Any], ws: LocalWorkspace) -> _Answer:
        channel = str(params.get("channel") or "")
        text = params.get("text")
        if not channel:
            return 200, {}, {"ok": False, "error": "channel_not_found"}
        if channel in ws.not_member:
            return 200, {}, {"ok": False, "error": "not_in_channel"}
        if channel not in ws.channels:
            return 200, {}, {"ok": False, "error": "channel_not_found"}
        if not text and not params.get("blocks"):
            return 200, {}, {"ok": False, "error": "no_text"}
        if text and len(str(text)) > 40_000:
            return 200, {}, {"ok": False, "error": "msg_too_long"}
        with self._lock:
            now = time.monotonic()
            last = self._last_post.get(channel)
            if self.min_post_interval and last is not None and now - last < self.min_post_interval:
                self.rate_limited += 1
                wait = math.ceil(self.min_post_interval - (now - last))
                return 429, {"Retry-After": str(max(1, wait))}, {"ok": False, "error": "ratelimited"}
            self._last_post[channel] = now
            ts = self._next_ts()
            thread_ts = params.get("thread_ts") or None
            message = {"channel": channel, "ts": ts, "thread_ts": thread_ts, "text": text,
                       "username": params.get("username"), "user": ws.installation.bot_user_id,
                       "bot_id": ws.installation.bot_id, "app_id": ws.installation.app_id,
                       "metadata": _metadata(params.get("metadata")), "team": ws.installation.team_id}
            self.posted.append(message)
        if self.echo_own_posts:
            echo = {"type": "message", "text": text, "user": ws.installation.bot_user_id,
                    "bot_id": ws.installation.bot_id, "app_id": ws.installation.app_id,
                    "ts": ts, "channel": channel, "event_ts": ts, "channel_type": self._channel_type(channel),
                    "team": ws.installation.team_id,
                    "bot_profile": {"id": ws.installation.bot_id, "app_id": ws.installation.app_id,
                                    "name": "Atender", "team_id": ws.installation.team_id}}
            if thread_ts:
                echo["thread_ts"] = thread_ts
                echo["parent_user_id"] = ws.installation.bot_user_id
            self.deliver(echo, ws)
        out = {"type": "message", "text": text, "user": ws.installation.bot_user_id,
               "bot_id": ws.installation.bot_id, "ts": ts, "username": params.get("username")}
        if thread_ts:
            out["thread_ts"] = thread_ts
        return 200, {}, {"ok": True, "channel": channel, "ts": ts, "message": out}

    def _permalink(self, params: dict[str, Any], ws: LocalWorkspace) -> _Answer:
        channel, ts = str(params.get("channel") or ""), str(params.get("message_ts") or "")
        if channel not in ws.channels:
            return 200, {}, {"ok": False, "error": "channel_not_found"}
        if not any(m["channel"] == channel and m["ts"] == ts for m in self.messages()):
            return 200, {}, {"ok": False, "error": "message_not_found"}
        return 200, {}, {"ok": True, "channel": channel,
                         "permalink": f"https://{ws.installation.team}.slack.com/archives/{channel}/"
                                      f"p{ts.replace('.', '')}"}

    def _readable(self, channel: str, ws: LocalWorkspace) -> _Answer | None:
        """The error for a conversation the bot cannot read, or None."""
        if not channel or (channel not in ws.channels and channel not in ws.not_member):
            return 200, {}, {"ok": False, "error": "channel_not_found"}
        if channel in ws.not_member:
            return 200, {}, {"ok": False, "error": "not_in_channel"}
        return None

    def _history(self, params: dict[str, Any], ws: LocalWorkspace) -> _Answer:
        """The channel's top-level messages (roots and unthreaded posts), newest first."""
        channel = str(params.get("channel") or "")
        refused = self._readable(channel, ws)
        if refused is not None:
            return refused
        with self._lock:
            posted = [dict(m) for m in self.posted if m["channel"] == channel
                      and (m["thread_ts"] is None or m["thread_ts"] == m["ts"])]
            replies = self._reply_index(channel)
        posted.sort(key=lambda m: _ts_key(m["ts"]), reverse=True)
        try:
            window = _window(params)
            page, rest = _page(posted, params, window, newest_first=True, default_limit=100)
        except ValueError as exc:
            return 200, {}, {"ok": False, "error": str(exc)}
        out = [self._shape(m, params, replies.get(m["ts"], []), ws) for m in page]
        return 200, {}, {"ok": True, "messages": out, "has_more": bool(rest), "pin_count": 0,
                         **_next(rest)}

    def _replies(self, params: dict[str, Any], ws: LocalWorkspace) -> _Answer:
        """A thread: its parent first, then the replies in the window, oldest first."""
        channel, ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        refused = self._readable(channel, ws)
        if refused is not None:
            return refused
        with self._lock:
            named = next((dict(m) for m in self.posted if m["channel"] == channel and m["ts"] == ts), None)
            if named is None:
                return 200, {}, {"ok": False, "error": "thread_not_found"}
            root_ts = named["thread_ts"] or named["ts"]
            parent = next(dict(m) for m in self.posted if m["channel"] == channel and m["ts"] == root_ts)
            replies = self._reply_index(channel).get(root_ts, [])
        try:
            window = _window(params)
            page, rest = _page(replies, params, window, newest_first=False, default_limit=1000)
        except ValueError as exc:
            return 200, {}, {"ok": False, "error": str(exc)}
        out = [self._shape(parent, params, replies, ws)] + [self._shape(m, params, [], ws) for m in page]
        return 200, {}, {"ok": True, "messages": out, "has_more": bool(rest), **_next(rest)}

    def _reply_index(self, channel: str) -> dict[str, list[dict[str, Any]]]:
        """Replies by thread, oldest first (the caller holds the lock)."""
        index: dict[str, list[dict[str, Any]]] = {}
        for m in self.posted:
            if m["channel"] == channel and m["thread_ts"] and m["thread_ts"] != m["ts"]:
                index.setdefault(m["thread_ts"], []).append(dict(m))
        for replies in index.values():
            replies.sort(key=lambda m: _ts_key(m["ts"]))
        return index

    def _shape(self, m: dict[str, Any], params: dict[str, Any], replies: list[dict[str, Any]],
               ws: LocalWorkspace) -> dict[str, Any]:
        """A message as conversations.history/replies return it; metadata only when asked for."""
        out: dict[str, Any] = {"type": "message", "ts": m["ts"], "text": m["text"], "user": m["user"]}
        if m.get("bot_id"):
            out.update(bot_id=m["bot_id"], app_id=m.get("app_id"), username=m.get("username"))
        if m["thread_ts"]:
            out["thread_ts"] = m["thread_ts"]
            if m["thread_ts"] != m["ts"]:
                out["parent_user_id"] = ws.installation.bot_user_id
        if replies:
            out.update(thread_ts=m["ts"], reply_count=len(replies), latest_reply=replies[-1]["ts"],
                       reply_users=sorted({r["user"] for r in replies}), reply_users_count=len(
                           {r["user"] for r in replies}))
        if m.get("files"):
            out["files"] = [{k: v for k, v in f.items() if k != "sha256"} for f in m["files"]]
        if _flag(params.get("include_all_metadata")) and m.get("metadata"):
            out["metadata"] = m["metadata"]
        return out

    # Files (files_upload_v2) ----------------------------------------------------------------

    def _upload_url(self, params: dict[str, Any], ws: LocalWorkspace) -> _Answer:
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length") or 0)
        except ValueError:
            length = 0
        if not filename:
            return 200, {}, {"ok": False, "error": "invalid_arguments"}
        if length <= 0:
            return 200, {}, {"ok": False, "error": "invalid_length"}
        if length > 1024 ** 3:
            return 200, {}, {"ok": False, "error": "file_too_large"}
        file_id = "F" + uuid.uuid4().hex[:10].upper()
        with self._lock:
            self.files[file_id] = {"id": file_id, "name": filename, "length": length, "data": None}
        return 200, {}, {"ok": True, "file_id": file_id,
                         "upload_url": f"http://{self.host}:{self.port}/upload/v1/{file_id}"}

    def _receive_file(self, file_id: str, body: bytes) -> _Answer:
        """The upload URL: the bytes of one file, as many as getUploadURLExternal was told."""
        with self._lock:
            entry = self.files.get(file_id)
            if entry is None:
                return 404, {}, {"ok": False, "error": "file_not_found"}
            if len(body) != entry["length"]:
                return 400, {}, {"ok": False, "error": "file_upload_size_mismatch"}
            entry["data"] = body
        return 200, {}, {"ok": True}

    def _complete_upload(self, params: dict[str, Any], ws: LocalWorkspace) -> _Answer:
        import mimetypes

        raw = params.get("files")
        try:
            named = json.loads(raw) if isinstance(raw, str) else list(raw or [])
        except ValueError:
            return 200, {}, {"ok": False, "error": "invalid_json"}
        if not named:
            return 200, {}, {"ok": False, "error": "invalid_arguments"}
        channel = str(params.get("channel_id") or "")
        thread_ts = str(params.get("thread_ts") or "") or None
        if channel:
            refused = self._readable(channel, ws)
            if refused is not None:
                return refused
        shared = []
        with self._lock:
            for item in named:
                entry = self.files.get(str(item.get("id")))
                if entry is None or entry["data"] is None:
                    return 200, {}, {"ok": False, "error": "file_not_found" if entry is None else "file_not_uploaded"}
                shared.append({"id": entry["id"], "name": entry["name"], "title": item.get("title") or entry["name"],
                               "size": len(entry["data"]),
                               "mimetype": mimetypes.guess_type(entry["name"])[0] or "application/octet-stream",
                               "sha256": hashlib.sha256(entry["data"]).hexdigest()})
            if channel and thread_ts and not any(m["channel"] == channel and m["ts"] == thread_ts
                                                 for m in self.posted):
                return 200, {}, {"ok": False, "error": "thread_not_found"}
            if channel:
                ts = self._next_ts()
                self.posted.append({"channel": channel, "ts": ts, "thread_ts": thread_ts,
                                    "text": params.get("initial_comment") or "", "username": None,
                                    "user": ws.installation.bot_user_id, "bot_id": ws.installation.bot_id,
                                    "app_id": ws.installation.app_id, "metadata": None, "files": shared,
                                    "team": ws.installation.team_id})
        return 200, {}, {"ok": True, "files": [{k: v for k, v in f.items() if k != "sha256"} for f in shared]}

    def file_bytes(self, file_id: str) -> bytes | None:
        with self._lock:
            entry = self.files.get(file_id)
            return entry["data"] if entry else None

    def _users_info(self, params: dict[str, Any], ws: LocalWorkspace) -> _Answer:
        user = str(params.get("user") or "")
        name = ws.users.get(user)
        if name is None:
            return 200, {}, {"ok": False, "error": "user_not_found"}
        handle = name.split()[0].lower()
        return 200, {}, {"ok": True, "user": {
            "id": user, "team_id": ws.installation.team_id, "name": handle, "real_name": name,
            "is_bot": False, "deleted": False,
            "profile": {"real_name": name, "display_name": name.split()[0], "display_name_normalized":
                        name.split()[0], "real_name_normalized": name}}}

    def _next_ts(self) -> str:
        now = max(time.time(), self._last_ts + 0.000001)
        self._last_ts = now
        return f"{now:.6f}"

    def _channel_type(self, channel: str) -> str:
        return {"D": "im", "G": "mpim"}.get(channel[:1], "channel")

    # Workspaces, installs and uninstalls -----------------------------------------------------

    def workspace(self, team_id: str) -> LocalWorkspace:
        for ws in self.workspaces:
            if ws.installation.team_id == team_id:
                return ws
        raise LookupError("team_not_found")

    def workspace_of_channel(self, channel: str) -> LocalWorkspace:
        for ws in self.workspaces:
            if channel in ws.channels or channel in ws.not_member:
                return ws
        raise LookupError("channel_not_found")

    def _team_of(self, token: str) -> str | None:
        with self._lock:
            if token == self.installation.token and token in self._tokens:
                self.workspaces[0].installation = self.installation
                return self.installation.team_id
            return self._tokens.get(token)

    def issue_token(self, team_id: str) -> str:
        """A bot token of `team_id`, as an install gives one (the local stack's own `acme` install)."""
        self.workspace(team_id)
        token = f"xoxb-{team_id.lower()}-{secrets.token_hex(12)}"
        with self._lock:
            self._tokens[token] = team_id
        return token

    def authorize(self, team_id: str) -> str:
        """The admin approved the app in `team_id` on the consent page: a single-use code."""
        if team_id != ENTERPRISE_ORG_ID:
            self.workspace(team_id)
        code = f"code-{secrets.token_hex(12)}"
        with self._lock:
            self._codes[code] = team_id
        return code

    def tokens_of(self, team_id: str) -> list[str]:
        with self._lock:
            return [t for t, team in self._tokens.items() if team == team_id]

    def _oauth_access(self, params: dict[str, Any], headers: dict[str, str]
                      ) -> _Answer:
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        basic = headers.get("authorization", "")
        if basic.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if client_id != CLIENT_ID or client_secret != CLIENT_SECRET:
            return 200, {}, {"ok": False, "error": "invalid_client_id" if client_id != CLIENT_ID
                             else "bad_client_secret"}
        if params.get("grant_type") == "refresh_token":
            with self._lock:
                team = self._refresh_tokens.pop(str(params.get("refresh_token") or ""), None)
            if team is None:
                return 200, {}, {"ok": False, "error": "invalid_refresh_token"}
            return 200, {}, {"ok": True, **self._grant(team)}
        with self._lock:
            team = self._codes.pop(str(params.get("code") or ""), None)  # a code is good once
        if team is None:
            return 200, {}, {"ok": False, "error": "invalid_code"}
        if team == ENTERPRISE_ORG_ID:
            return 200, {}, {"ok": True, "access_token": self.issue_token(self.workspaces[0].installation.team_id),
                             "token_type": "bot", "scope": "chat:write", "app_id": self.installation.app_id,
                             "bot_user_id": "U0ORGBOT", "team": None, "is_enterprise_install": True,
                             "enterprise": {"id": ENTERPRISE_ORG_ID, "name": "Local Grid Org"},
                             "authed_user": {"id": "U0ORGADMIN"}}
        ws = self.workspace(team)
        i = ws.installation
        return 200, {}, {"ok": True, **self._grant(team), "scope": str(params.get("scope") or "chat:write"),
                         "app_id": i.app_id, "bot_user_id": i.bot_user_id, "bot_id": i.bot_id,
                         "team": {"id": i.team_id, "name": i.team}, "enterprise": None,
                         "is_enterprise_install": False, "authed_user": {"id": next(iter(ws.users))}}

    def _grant(self, team: str) -> dict[str, Any]:
        out: dict[str, Any] = {"access_token": self.issue_token(team), "token_type": "bot"}
        if self.token_rotation:
            refresh = f"xoxe-1-{secrets.token_hex(12)}"
            with self._lock:
                self._refresh_tokens[refresh] = team
            out.update(refresh_token=refresh, expires_in=43200)
        return out

    def uninstall(self, team_id: str) -> list[str]:
        """The workspace removes the app: its tokens stop working, and Slack sends `tokens_revoked`
        and `app_uninstalled`. Returns the two events' ids."""
        ws = self.workspace(team_id)
        with self._lock:
            for token in [t for t, team in self._tokens.items() if team == team_id]:
                del self._tokens[token]
            for refresh in [t for t, team in self._refresh_tokens.items() if team == team_id]:
                del self._refresh_tokens[refresh]
        revoked = self.deliver({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [ws.installation.bot_user_id]},
                                "event_ts": f"{time.time():.6f}"}, ws)
        gone = self.deliver({"type": "app_uninstalled", "event_ts": f"{time.time():.6f}"}, ws)
        return [revoked, gone]

    def _users_list(self, params: dict[str, Any], ws: LocalWorkspace) -> _Answer:
        i = ws.installation
        members: list[dict[str, Any]] = []
        for user_id, name in ws.users.items():
            members.append(_member(user_id, name, i.team_id))
        for user_id, name in ws.bots.items():
            members.append({**_member(user_id, name, i.team_id), "is_bot": True})
        members.append({**_member(i.bot_user_id, "Atender", i.team_id), "is_bot": True})
        for user_id, name in ws.deactivated.items():
            members.append({**_member(user_id, name, i.team_id), "deleted": True})
        members.append({**_member("USLACKBOT", "Slackbot", i.team_id)})
        return _offset_page(members, params, "members")

    def _conversations_list(self, params: dict[str, Any], ws: LocalWorkspace
                            ) -> _Answer:
        types = set(str(params.get("types") or "public_channel").split(","))
        channels: list[dict[str, Any]] = []
        every = [(cid, name, True) for cid, name in ws.channels.items() if cid[:1] == "C"]
        every += [(cid, name, False) for cid, name in ws.not_member.items()]
        for channel_id, name, member in every:
            private = channel_id in ws.private
            if ("private_channel" if private else "public_channel") not in types:
                continue
            if private and not member:
                continue  # Slack lists a private channel only to its members
            channels.append({"id": channel_id, "name": name, "is_channel": True, "is_private": private,
                             "is_member": member, "is_archived": False, "is_ext_shared": channel_id in ws.shared,
                             "is_shared": channel_id in ws.shared, "is_im": False, "is_mpim": False})
        if not _flag(params.get("exclude_archived")):
            channels += [{"id": cid, "name": name, "is_channel": True, "is_private": False, "is_member": False,
                          "is_archived": True, "is_ext_shared": False, "is_im": False, "is_mpim": False}
                         for cid, name in ws.archived.items()]
        return _offset_page(channels, params, "channels")

    def _join(self, params: dict[str, Any], ws: LocalWorkspace) -> _Answer:
        channel = str(params.get("channel") or "")
        if channel in ws.channels:
            return 200, {}, {"ok": True, "channel": {"id": channel, "name": ws.channels[channel]},
                             "warning": "already_in_channel"}
        if channel not in ws.not_member:
            return 200, {}, {"ok": False, "error": "channel_not_found"}
        if channel in ws.private:
            return 200, {}, {"ok": False, "error": "method_not_supported_for_channel_type"}
        with self._lock:
            ws.channels[channel] = ws.not_member.pop(channel)
        return 200, {}, {"ok": True, "channel": {"id": channel, "name": ws.channels[channel], "is_member": True}}

    # People in Slack --------------------------------------------------------------------------

    def reply(self, channel: str, thread_ts: str, user: str, text: str, *,
              files: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
        """A person answers in a thread: the message exists in Slack and its event is delivered. The
        workspace is the channel's; a member of another organisation may answer in a shared channel."""
        ws = self.workspace_of_channel(channel)
        user_team = ws.installation.team_id
        if user in ws.external_users and channel in ws.shared:
            user_team = ws.external_users[user][1]
        elif user not in ws.users:
            raise LookupError("user_not_found")
        with self._lock:
            if not any(m["channel"] == channel and m["ts"] == thread_ts for m in self.posted):
                raise LookupError("thread_not_found")
            ts = self._next_ts()
            self.posted.append({"channel": channel, "ts": ts, "thread_ts": thread_ts, "text": text,
                                "username": None, "user": user, "bot_id": None, "app_id": None,
                                "metadata": None})
        event: dict[str, Any] = {
            # Slack escapes what people type (&, <, >) in the events it sends.
            "client_msg_id": str(uuid.uuid4()), "type": "message", "text": _escape(text), "user": user, "ts": ts,
            "team": user_team, "user_team": user_team, "source_team": user_team, "thread_ts": thread_ts,
            "parent_user_id": ws.installation.bot_user_id, "channel": channel, "event_ts": ts,
            "channel_type": self._channel_type(channel),
        }
        if files:
            event["subtype"] = "file_share"
            event["files"] = list(files)
        event_id = self.deliver(event, ws)
        return {"ok": True, "channel": channel, "ts": ts, "thread_ts": thread_ts, "event_id": event_id}

    # The Events API ---------------------------------------------------------------------------

    def envelope(self, event: dict[str, Any], event_id: str | None = None,
                 ws: LocalWorkspace | None = None) -> dict[str, Any]:
        i = ws.installation if ws is not None else self.installation
        return {
            "token": "local-verification-token", "team_id": i.team_id, "context_team_id": i.team_id,
            "api_app_id": i.app_id, "event": event, "type": "event_callback",
            "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(), "event_time": int(time.time()),
            "authorizations": [{"enterprise_id": None, "team_id": i.team_id, "user_id": i.bot_user_id,
                                "is_bot": True, "is_enterprise_install": False}],
            "is_ext_shared_channel": bool(ws is not None and isinstance(event.get("channel"), str)
                                          and event["channel"] in ws.shared),
        }

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        base = f"v0:{stamp}:".encode() + body
        signature = "v0=" + hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": signature, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}

    def deliver(self, event: dict[str, Any], ws: LocalWorkspace | None = None) -> str:
        """Queue an event for delivery to `events_url` (in order, from one worker, as Slack would)."""
        envelope = self.envelope(event, ws=ws)
        if self.events_url:
            self._outbox.put(envelope)
        return str(envelope["event_id"])

    def _deliver_loop(self) -> None:
        while True:
            envelope = self._outbox.get()
            if envelope is None:
                return
            try:
                self._deliver_now(envelope)
            except Exception:  # a stand-in must keep delivering the next events
                import logging

                logging.getLogger("local.slack").exception("event delivery failed")

    def _deliver_now(self, envelope: dict[str, Any]) -> None:
        assert self.events_url is not None
        body = json.dumps(envelope).encode()
        reason: str | None = None
        for attempt in range(len(self.retry_delays) + 1):
            if attempt:
                time.sleep(self.retry_delays[attempt - 1])
            headers = self.sign(body)  # each attempt is signed afresh, as Slack does
            if attempt:
                headers["X-Slack-Retry-Num"] = str(attempt)
                headers["X-Slack-Retry-Reason"] = reason or "http_error"
            try:
                response = requests.post(self.events_url, data=body, headers=headers,
                                         timeout=self.delivery_timeout)
                status: int | None = response.status_code
            except requests.Timeout:
                status, reason = None, "http_timeout"
            except requests.ConnectionError:
                status, reason = None, "connection_failed"
            else:
                reason = None if status == 200 else "http_error"
            with self._lock:
                self.deliveries.append(Delivery(str(envelope["event_id"]), attempt, status, reason))
            if status == 200:
                return


# A pseudo-choice on the consent page: an org-wide (Enterprise Grid) install, which the service refuses.
ENTERPRISE_ORG_ID = "E0LOCALORG"


def _member(user_id: str, name: str, team_id: str) -> dict[str, Any]:
    return {"id": user_id, "team_id": team_id, "name": name.split()[0].lower(), "real_name": name, "deleted": False,
            "is_bot": False, "profile": {"real_name": name, "display_name": name.split()[0],
                                         "image_72": _avatar(name)}}


def _offset_page(items: list[dict[str, Any]], params: dict[str, Any], key: str
                 ) -> _Answer:
    """A page of `limit` from the cursor (base64 of `offset:<n>`), as Slack's list methods page."""
    cursor = str(params.get("cursor") or "")
    try:
        start = int(base64.b64decode(cursor).decode().removeprefix("offset:")) if cursor else 0
        limit = max(1, min(int(params.get("limit") or 100), 1000))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return 200, {}, {"ok": False, "error": "invalid_cursor"}
    page = items[start:start + limit]
    following = start + limit
    next_cursor = base64.b64encode(f"offset:{following}".encode()).decode() if following < len(items) else ""
    return 200, {}, {"ok": True, key: page, "response_metadata": {"next_cursor": next_cursor}}


def _metadata(raw: Any) -> dict[str, Any] | None:
    """chat.postMessage's `metadata` (an object, or its JSON in a form post) as Slack stores it."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    if isinstance(raw, dict) and isinstance(raw.get("event_type"), str):
        return {"event_type": raw["event_type"], "event_payload": dict(raw.get("event_payload") or {})}
    return None


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros.ljust(6, "0")[:6])


def _window(params: dict[str, Any]) -> tuple[tuple[int, int], tuple[int, int] | None, bool]:
    """(oldest, latest, inclusive): Slack excludes the bounds themselves unless `inclusive`."""
    try:
        oldest = _ts_key(str(params.get("oldest") or "0"))
        latest = _ts_key(str(params["latest"])) if params.get("latest") else None
    except ValueError:
        raise ValueError("invalid_ts_oldest") from None
    return oldest, latest, _flag(params.get("inclusive"))


def _page(messages: list[dict[str, Any]], params: dict[str, Any], window: Any, *, newest_first: bool,
          default_limit: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The page the cursor names (or the first) within the window, and what is left after it."""
    oldest, latest, inclusive = window
    inside = [m for m in messages
              if (_ts_key(m["ts"]) >= oldest if inclusive else _ts_key(m["ts"]) > oldest)
              and (latest is None or (_ts_key(m["ts"]) <= latest if inclusive else _ts_key(m["ts"]) < latest))]
    cursor = str(params.get("cursor") or "")
    if cursor:
        try:
            start = _ts_key(base64.b64decode(cursor, validate=True).decode().removeprefix("next_ts:"))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ValueError("invalid_cursor") from None
        inside = [m for m in inside if (_ts_key(m["ts"]) <= start if newest_first else _ts_key(m["ts"]) >= start)]
    try:
        limit = int(params.get("limit") or default_limit)
    except ValueError:
        raise ValueError("invalid_limit") from None
    limit = max(1, min(limit, 999 if newest_first else 1000))
    return inside[:limit], inside[limit:]


def _next(rest: list[dict[str, Any]]) -> dict[str, Any]:
    """Slack's cursor names where the next page starts (base64 of `next_ts:<ts>`)."""
    if not rest:
        return {}
    return {"response_metadata": {"next_cursor": base64.b64encode(f"next_ts:{rest[0]['ts']}".encode()).decode()}}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _reason(status: int) -> str:
    return {429: "ratelimited", 500: "internal_error", 502: "bad_gateway", 503: "service_unavailable",
            504: "request_timeout"}.get(status, "fatal_error")
