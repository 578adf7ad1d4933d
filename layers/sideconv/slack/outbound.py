"""Sending: an outbound Slack message from the outbox queue to its thread, ending `sent` or `failed`.

The queue is FIFO per side conversation, so a thread's messages reach Slack in the order agents sent
them as long as nothing skips ahead: a message that must wait (429, 5xx, timeout) is made invisible
for the wait with ChangeMessageVisibility and reported as a batch failure, and the rest of its group
in the batch waits with it. Nothing sleeps past a short per-channel pacing gap.

No duplicate post: chat.postMessage takes no idempotency key, but every post carries the message id in
its Slack message metadata. When an earlier attempt may have reached Slack (the queue delivers the
message again: ApproximateReceiveCount > 1; or the re-drive put it back: `redrives` on the item, read
anyway), the sender first looks for its own post (conversations.history of the channel since the
message was written for a root; for a reply conversations.replies in the thread, then the channel's
top level, where an attempt made before the thread was recorded went) and records that one instead
of posting again. A first delivery, the normal case, costs no look.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sideconv import clock, outcome
from sideconv.context import Quoted
from sideconv.observability import logger
from sideconv.slack import files, formatting
from sideconv.slack.client import BotIdentity, bot_identity, web_client
from sideconv.slack.installation import get_installation
from sideconv.slack.store import SlackStore, ThreadRoot
from sideconv.slack.workspaces import Disconnected, Workspaces
from sideconv.store import models
from sideconv.store.models import MessageItem, SideConversationItem, SlackInfoMap
from sideconv.wiring import Wiring, built

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from slack_sdk import WebClient

# Receives of one message before a 5xx/timeout ends it `failed`; 429s get more room, since Slack
# says exactly when to come back. The queue's redrive maxReceiveCount must stay above both.
MAX_TRANSIENT_RECEIVES = 5
MAX_RATE_LIMITED_RECEIVES = 20
MAX_DELAY_SECONDS = 900  # SQS caps a visibility change at 12 h; a thread should not wait that long
# Slack errors that mean "try again later", not "this message can never be posted".
TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                    "request_timeout"}
# Keep this much of the invocation's time when pacing: the message is re-queued rather than risk it.
PACING_MARGIN_SECONDS = 3.0
# The metadata every post carries; the look before a repeated post matches on it.
METADATA_EVENT_TYPE = "atender_side_conversation_message"
# A page of the look. 15 is the largest page Slack allows every app (commercially distributed apps
# outside the Marketplace get 15 and one request a minute; internal and Marketplace apps Tier 3).
LOOKUP_PAGE = 15
# Slack's clock and ours may disagree a little: look from this long before the message was written.
CLOCK_SKEW_SECONDS = 60
# Said in the reason of a message given up while it may be in Slack (the look did not answer).
MAYBE_POSTED = "; an earlier attempt may have been posted"
# The failure of a send whose workspace is not connected (uninstalled, revoked, disconnected).
DISCONNECTED = "workspace_disconnected"
# What Slack answers a token of a workspace that has let the app go.
_LOST_TOKEN_ERRORS = {"invalid_auth", "account_inactive", "token_revoked", "token_expired", "not_authed",
                      "team_access_not_granted"}


class RetryLater(Exception):
    def __init__(self, delay: int, reason: str) -> None:
        super().__init__(reason)
        self.delay = max(0, min(int(delay), MAX_DELAY_SECONDS))
        self.reason = reason


@dataclass
class Pacer:
    """Keeps this container to about one post per second per channel, Slack's documented rate."""

    interval: float
    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _last: dict[str, float] = field(default_factory=dict)

    def wait(self, channel: str, remaining_seconds: float) -> None:
        last = self._last.get(channel)
        if last is not None:
            gap = self.interval - (self.now() - last)
            if gap > 0:
                if gap + PACING_MARGIN_SECONDS > remaining_seconds:
                    raise RetryLater(math.ceil(gap), "paced")
                self.sleep(gap)

    def posted(self, channel: str) -> None:
        self._last[channel] = self.now()


def _queue_url(arn: str) -> str:
    # arn:aws:sqs:<region>:<account>:<name> → the queue URL SQS accepts in every region.
    _, _, _, region, account, name = arn.split(":", 5)
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


class Sender:
    def __init__(self, store: SlackStore, client: Callable[[], WebClient], pacer: Pacer,
                 sqs: Callable[[], Any], url_template: str | None, team_id: str | None,
                 workspaces: Workspaces | None, read_file: Callable[[str], bytes] | None,
                 bot_identity: Callable[[], BotIdentity]) -> None:
        self._store = store
        self._bot_identity = bot_identity
        self._read_file = read_file
        self._environment_client = client
        self._workspaces = workspaces
        self._active: WebClient | None = None  # the client of the message being sent
        self._identity: BotIdentity | None = None
        self._account: str | None = None  # set when the side conversation is an account's workspace
        self._pacer = pacer
        self._sqs = sqs
        self._url_template = url_template
        self._team_id = team_id
        self._held: dict[str, int] = {}  # group → delay, for this batch
        self._delayed: set[str] = set()  # message ids already made invisible
        self._deadline = 0.0  # time.monotonic() when this invocation must have answered
        self._unsure = False  # whether this message may be in Slack without our knowing
        self._files_detail: str | None = None  # why this message's files are not in its thread

    # The SQS side ------------------------------------------------------------------------------

    def deliver_record(self, record: SQSRecord, lambda_context: Any = None) -> str:
        """Powertools record handler: deliver one outbox record; raise to leave it on the queue."""
        remaining = lambda_context.get_remaining_time_in_millis() / 1000 if lambda_context else 30.0
        receive_count = int(record.attributes.approximate_receive_count or 1)
        try:
            return self.deliver(json.loads(record.body), receive_count=receive_count,
                                remaining_seconds=remaining)
        except RetryLater as retry:
            group = record.attributes.message_group_id or ""
            self._held[group] = retry.delay
            self._sqs().change_message_visibility(QueueUrl=_queue_url(record.event_source_arn),
                                                  ReceiptHandle=record.receipt_handle,
                                                  VisibilityTimeout=retry.delay)
            self._delayed.add(record.message_id)
            logger.info("slack message re-queued", extra={"delay": retry.delay, "reason": retry.reason,
                                                           "receive_count": receive_count})
            raise

    def hold_skipped(self, event: dict[str, Any], response: Any) -> None:
        """Messages after a held one in its group were not tried; they wait as long as it does
        (otherwise they would sit out the queue's whole visibility timeout)."""
        failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        for raw in event.get("Records", []):
            group = (raw.get("attributes") or {}).get("MessageGroupId", "")
            if raw["messageId"] in failed and group in self._held and raw["messageId"] not in self._delayed:
                try:
                    self._sqs().change_message_visibility(
                        QueueUrl=_queue_url(raw["eventSourceARN"]), ReceiptHandle=raw["receiptHandle"],
                        VisibilityTimeout=self._held[group])
                except Exception:  # best effort: the visibility timeout brings it back anyway
                    logger.warning("could not hold a skipped message", extra={"message_id": raw["messageId"]})
        self._held.clear()
        self._delayed.clear()

    # The Slack side ----------------------------------------------------------------------------

    def deliver(self, stream_record: dict[str, Any], *, receive_count: int = 1,
                remaining_seconds: float = 30.0) -> str:
        """Post one outbox message. Returns sent, failed or skipped; raises RetryLater."""
        from slack_sdk.errors import SlackApiError

        image = stream_record["dynamodb"]["NewImage"]
        pk, sk = image["pk"]["S"], image["sk"]["S"]
        side_conversation_id = image["side_conversation_id"]["S"]
        summary, message = self._store.summary_and_message(pk, side_conversation_id, sk)
        if summary is None or message is None or summary.slack is None:
            logger.warning("outbox record without its items", extra={"pk": pk, "sk": sk})
            return "skipped"
        if message.delivery is None or message.delivery.status != "pending":
            return "skipped"  # a redelivery of a message already sent or failed
        self._deadline = time.monotonic() + remaining_seconds
        self._files_detail = None
        # The rule (docs/SECURITY.md, "Delivery"): look before posting when an earlier attempt may
        # have reached Slack. Both signals are already in hand, so a first delivery costs nothing.
        look = receive_count > 1 or bool(message.redrives)
        self._unsure = look  # until a look answers: the message may be in Slack
        if not self._use_workspace(summary):
            return self._fail(message, f"{DISCONNECTED}: the Slack workspace {summary.slack.team_id} is not connected "
                                       "to this account any more", receive_count)
        try:
            if summary.slack.thread_ts:
                self._post_reply(summary, message, receive_count, remaining_seconds, look)
            else:
                self._post_root(summary, message, receive_count, remaining_seconds, look)
            return "sent"
        except SlackApiError as exc:
            code = _error_code(exc.response)
            if self._account is not None and code in _LOST_TOKEN_ERRORS:
                assert self._workspaces is not None
                assert summary.slack.team_id is not None
                self._workspaces.forget(self._account, summary.slack.team_id)
                return self._fail(message, f"{DISCONNECTED}: Slack refused the workspace's token ({code})",
                                  receive_count)
            return self._answer_error(message, exc.response.status_code, exc.response.headers,
                                      code, receive_count, self._unsure)
        except RetryLater:
            raise
        except Exception as exc:  # timeouts, refused connections, a body that is not JSON
            return self._transient(message, f"{type(exc).__name__}: {exc}"[:300], receive_count, self._unsure)

    def _client(self) -> WebClient:
        return self._active if self._active is not None else self._environment_client()

    def _use_workspace(self, summary: SideConversationItem) -> bool:
        """Whose token sends: the account's own installation of the side conversation's workspace, or
        (items of the self-hosting mode, and those written before) the environment's. False: the
        account's workspace is not connected."""
        slack = summary.slack
        assert slack is not None
        self._active, self._identity, self._account = None, None, None
        if slack.source != "account":
            return True
        if self._workspaces is None or not slack.team_id:
            return False
        try:
            workspace = self._workspaces.get(summary.account_id, slack.team_id)
        except Disconnected:
            return False
        self._active, self._account = workspace.client, summary.account_id
        self._identity = BotIdentity(user_id=workspace.bot_user_id, bot_id=workspace.bot_id, app_id=workspace.app_id)
        return True

    def _channel_for(self, summary: SideConversationItem) -> str:
        slack = summary.slack
        assert slack is not None
        if slack.target == "channel":
            assert slack.channel_id is not None
            return slack.channel_id
        users = ",".join(str(user) for user in slack.user_ids or [])
        opened = self._client().conversations_open(users=users)
        return str(opened["channel"]["id"])

    def _post(self, channel: str, text: str, message: MessageItem, remaining_seconds: float,
              thread_ts: str | None = None) -> str:
        self._pacer.wait(channel, remaining_seconds)
        try:
            posted = self._client().chat_postMessage(
                channel=channel, text=text, thread_ts=thread_ts, username=message.author.name or "Atender",
                link_names=False, unfurl_links=False,
                metadata={"event_type": METADATA_EVENT_TYPE,
                          "event_payload": {"side_conversation_id": message.side_conversation_id,
                                            "message_id": message.id}},
            )
        finally:
            self._pacer.posted(channel)
        self._unsure = True  # it is in Slack now: nothing after this may end it `failed` early
        return str(posted["ts"])

    def _post_root(self, summary: SideConversationItem, message: MessageItem, attempts: int,
                   remaining_seconds: float, look: bool) -> None:
        channel = self._channel_for(summary)
        ts = None
        if look:
            ts = self._find_root(channel, message)
            self._unsure = ts is not None
        if ts is None:
            url = formatting.conversation_url(self._url_template, account_id=summary.account_id,
                                              conversation_id=summary.conversation_id,
                                              side_conversation_id=summary.id)
            text = formatting.root_text(agent_name=message.author.name, subject=summary.subject,
                                        body=message.body, url=url, context=_quoted(message))
            ts = self._post_joining(summary, channel, text, message, remaining_seconds)
            self._share_files(message, channel, ts, attempts)
        else:
            self._share_files_unless_shared(message, channel, ts, ts, attempts)
        permalink = self._permalink(channel, ts)
        slack = summary.slack
        assert slack is not None
        root = ThreadRoot(self._team(slack), channel, ts, permalink, self._account)
        self._record(lambda: self._store.mark_root_sent(message, slack, root, clock.now_iso(), attempts,
                                                        detail=self._files_detail), message)
        logger.info("slack thread started", extra={"side_conversation_id": summary.id, "channel": channel,
                                                   "thread_ts": ts})

    def _post_joining(self, summary: SideConversationItem, channel: str, text: str, message: MessageItem,
                      remaining_seconds: float) -> str:
        """A public channel the app is not in is joined (conversations.join), then posted to; a private
        one cannot be joined, and the post fails `not_in_channel` (invite the app)."""
        from slack_sdk.errors import SlackApiError

        try:
            return self._post(channel, text, message, remaining_seconds)
        except SlackApiError as exc:
            assert summary.slack is not None
            if summary.slack.target != "channel" or _error_code(exc.response) != "not_in_channel":
                raise
            try:
                self._client().conversations_join(channel=channel)
            except SlackApiError:
                raise exc from None  # private: the app must be invited
            logger.info("slack channel joined", extra={"channel": channel})
            return self._post(channel, text, message, remaining_seconds)

    def _team(self, slack: SlackInfoMap | None = None) -> str:
        """The thread's workspace: the side conversation's own (an account's installation), else the
        environment's (configured, or asked of Slack)."""
        if self._account is not None and slack is not None and slack.team_id:
            return slack.team_id
        return self._team_id or str(self._client().auth_test()["team_id"])

    def _permalink(self, channel: str, ts: str) -> str | None:
        # The post is out: failing to fetch its link must not post it again.
        try:
            return str(self._client().chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        except Exception:
            logger.warning("no permalink for the thread", extra={"channel": channel, "ts": ts})
            return None

    def _post_reply(self, summary: SideConversationItem, message: MessageItem, attempts: int,
                    remaining_seconds: float, look: bool) -> None:
        slack = summary.slack
        assert slack is not None
        assert slack.channel_id is not None
        assert slack.thread_ts is not None
        ts = stray = None
        if look:
            ts = self._find_reply(slack.channel_id, slack.thread_ts, message)
            if ts is None and _maybe_tried_before_thread(message, slack):
                # An earlier attempt went where the summary pointed then: before this thread was recorded
                # (the side conversation's first message still pending when this one was tried), that was
                # a root post of its own, at the channel's top level.
                ts = stray = self._find_root(slack.channel_id, message)
            self._unsure = ts is not None  # found: it is in Slack; found nowhere: it is not
        if stray is not None:
            root = ThreadRoot(self._team(slack), slack.channel_id, stray, None, self._account)
            self._record(lambda: self._store.mark_stray_root_sent(message, root, clock.now_iso(), attempts),
                         message)
            return
        if ts is None:
            ts = self._post(slack.channel_id, formatting.reply_text(message.body, _quoted(message)), message,
                            remaining_seconds, thread_ts=slack.thread_ts)
            self._share_files(message, slack.channel_id, slack.thread_ts, attempts)
        else:
            self._share_files_unless_shared(message, slack.channel_id, slack.thread_ts, ts, attempts)
        posted = ts
        self._record(lambda: self._store.mark_delivery(message, "sent", clock.now_iso(), attempts,
                                                       provider_id=posted, detail=self._files_detail), message)

    def _share_files(self, message: MessageItem, channel: str, thread_ts: str, attempts: int) -> None:
        """The message's files, into its thread once its text is posted. A failure that may pass (429,
        5xx, a timeout) leaves the message pending and raises: the next attempt finds the post and shares
        the files then. One Slack refuses for good (or still failing after the retries) ends the message
        `sent` (its text is in Slack) with `files not shared: <code>` in its delivery detail, which the
        panel shows on the message."""
        if not message.attachments or self._read_file is None:
            return
        try:
            files.share(self._client(), message.attachments, channel=channel, thread_ts=thread_ts,
                        read=self._read_file)
        except Exception as exc:
            from slack_sdk.errors import SlackApiError

            if isinstance(exc, SlackApiError):
                code, status = _error_code(exc.response), int(exc.response.status_code)
                passing = status == 429 or status >= 500 or code in TRANSIENT_ERRORS
            else:  # a timeout, a refused connection, S3 not answering
                code, passing = type(exc).__name__, True
            if passing and attempts < MAX_TRANSIENT_RECEIVES:
                logger.warning("slack files not shared yet; retried", extra={"message_id": message.id,
                                                                             "error": code})
                raise
            self._files_detail = f"files not shared: {code}"
            logger.warning("slack files not shared", extra={"message_id": message.id, "error": code})

    def _share_files_unless_shared(self, message: MessageItem, channel: str, thread_ts: str, posted_ts: str,
                                   attempts: int) -> None:
        """An earlier attempt posted the text: its files too, unless they are in the thread already (that
        attempt ended between the post and the share, or the share failed and is retried)."""
        if not message.attachments or self._read_file is None:
            return
        if not self._files_in_thread(message, channel, thread_ts, posted_ts):
            self._share_files(message, channel, thread_ts, attempts)

    def _files_in_thread(self, message: MessageItem, channel: str, thread_ts: str, posted_ts: str) -> bool:
        """Whether this app shared a post with the message's files in the thread since its text."""
        identity = self._bot_identity()
        ours = {value for value in (identity.bot_id, identity.app_id) if value}
        names = sorted(str(a.name) for a in message.attachments or [] if a.location)
        seen: list[str] = []
        cursor: str | None = None
        while True:
            answer = self._client().conversations_replies(channel=channel, ts=thread_ts, oldest=posted_ts,
                                                          limit=LOOKUP_PAGE, cursor=cursor)
            for found in answer.get("messages") or []:
                if found.get("files") and (not ours or ours & {found.get("bot_id"), found.get("app_id")}):
                    seen += [str(f.get("name")) for f in found["files"]]
            cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return all(seen.count(name) >= names.count(name) for name in set(names))

    def _record(self, write: Callable[[], None], message: MessageItem) -> None:
        """The post is out: its record is retried here, and if it still fails the message goes back to
        the queue (never `failed`): the next attempt finds the post and records it."""
        try:
            outcome.record(write, remaining_seconds=lambda: self._deadline - time.monotonic(),
                           what="slack sent")
        except Exception as exc:
            if outcome.condition_failed(exc):
                raise
            logger.warning("slack post not recorded; the next attempt looks for it",
                           extra={"message_id": message.id, "error": type(exc).__name__})
            raise RetryLater(1, f"posted, not recorded: {type(exc).__name__}") from exc

    # The look before a repeated post -------------------------------------------------------------

    def _find_root(self, channel: str, message: MessageItem) -> str | None:
        oldest = _oldest(message.created_at)
        return self._find_own(message, lambda cursor: self._client().conversations_history(
            channel=channel, oldest=oldest, include_all_metadata=True, limit=LOOKUP_PAGE, cursor=cursor))

    def _find_reply(self, channel: str, thread_ts: str, message: MessageItem) -> str | None:
        oldest = _oldest(message.created_at)
        return self._find_own(message, lambda cursor: self._client().conversations_replies(
            channel=channel, ts=thread_ts, oldest=oldest, include_all_metadata=True, limit=LOOKUP_PAGE,
            cursor=cursor))

    def _find_own(self, message: MessageItem, page: Callable[[str | None], Any]) -> str | None:
        """The `ts` of this app's post carrying the message id in its metadata, or None after the last
        page. A Slack error here is answered like one from the post (429: later; 5xx: retried)."""
        identity = self._identity or self._bot_identity()
        ours = {value for value in (identity.bot_id, identity.app_id) if value}
        cursor: str | None = None
        while True:
            answer = page(cursor)
            for found in answer.get("messages") or []:
                metadata = found.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if (metadata.get("event_type") == METADATA_EVENT_TYPE and payload.get("message_id") == message.id
                        and (not ours or ours & {found.get("bot_id"), found.get("app_id")})):
                    logger.info("slack post found; recorded without posting again",
                                extra={"message_id": message.id, "ts": found.get("ts")})
                    return str(found["ts"])
            cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return None

    def _answer_error(self, message: MessageItem, status: int, headers: Any, code: str,
                      receive_count: int, unsure: bool = False) -> str:
        if status == 429 or code == "ratelimited":
            if receive_count >= MAX_RATE_LIMITED_RECEIVES:
                return self._fail(message, f"ratelimited: still rate limited after {receive_count} attempts",
                                  receive_count)
            raise RetryLater(_retry_after(headers), "rate limited")
        if status >= 500 or code in TRANSIENT_ERRORS:
            return self._transient(message, f"HTTP {status} {code}".strip(), receive_count, unsure)
        # Refused for good (a look without the history scope, a channel the bot has left): if the look had
        # not answered, an earlier attempt may be in Slack, and the reason says so.
        maybe = MAYBE_POSTED if unsure else ""
        return self._fail(message, f"{code or f'HTTP {status}'}{maybe}", receive_count)

    def _transient(self, message: MessageItem, reason: str, receive_count: int, unsure: bool = False) -> str:
        # While the look could not answer, the message may already be in Slack and `failed` could be
        # untrue: it gets the rate-limit allowance (hours of back-off) before it is given up.
        give_up = MAX_RATE_LIMITED_RECEIVES if unsure else MAX_TRANSIENT_RECEIVES
        if receive_count >= give_up:
            maybe = MAYBE_POSTED if unsure else ""
            return self._fail(message, f"slack_unavailable: {reason} (after {receive_count} attempts){maybe}",
                              receive_count)
        raise RetryLater(min(2 ** receive_count, MAX_DELAY_SECONDS), reason)

    def _fail(self, message: MessageItem, detail: str, attempts: int) -> str:
        self._store.mark_delivery(message, "failed", clock.now_iso(), attempts, detail=detail)
        logger.warning("slack message failed", extra={"message_id": message.id, "detail": detail})
        return "failed"


def _quoted(message: MessageItem) -> list[Quoted]:
    return [Quoted(q.author_name, q.author_role, q.sent_at, q.body) for q in message.context or []]


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _oldest(created_at: str) -> str:
    """Slack's `oldest` for a look: the message's creation time, less the clock skew allowed."""
    return f"{_epoch(created_at) - CLOCK_SKEW_SECONDS:.6f}"


def _maybe_tried_before_thread(message: MessageItem, slack: SlackInfoMap) -> bool:
    """Whether an attempt of this reply may have read the summary before its thread was recorded (and
    so posted a root of its own): not when it was written after that, with the skew allowed between
    the clocks of the function that wrote it and the one that recorded the thread. A thread recorded
    before the time was kept: assume it may."""
    recorded = slack.thread_recorded_at
    return recorded is None or _epoch(message.created_at) < _epoch(recorded) + CLOCK_SKEW_SECONDS


def _error_code(response: Any) -> str:
    data = response.data if isinstance(response.data, dict) else {}
    return str(data.get("error") or "")


def _retry_after(headers: Any) -> int:
    value = None
    if headers:
        for name, raw in dict(headers).items():
            if name.lower() == "retry-after":
                value = raw[0] if isinstance(raw, list) else raw
    try:
        return max(1, math.ceil(float(value))) if value is not None else 1
    except ValueError:
        return 1


@built
def _store(wiring: Wiring) -> SlackStore:
    return models.open_store(wiring, SlackStore)


@built
def _pacer(wiring: Wiring) -> Pacer:
    """Pacing is the container's: a channel's last post is remembered from one batch to the next."""
    return Pacer(wiring.settings.slack_post_interval_s)


@built
def _sqs(wiring: Wiring) -> Any:
    import boto3

    return boto3.client("sqs", region_name=wiring.settings.region)


def sender(wiring: Wiring) -> Sender:
    """A sender for one batch: what it holds for the batch (the groups held back, the messages already
    made invisible, the message in hand) ends with it, whatever way the batch ends. Its store, clients,
    workspaces and pacing are the container's, on the wiring."""
    settings = wiring.settings

    def read_file(location: str) -> bytes:
        # An outbound Slack message's files are the agent's uploads (sideconv.uploads).
        from sideconv import s3

        return bytes(s3.client(wiring).get_object(Bucket=settings.uploads_bucket, Key=location)["Body"].read())

    from sideconv.slack.workspaces import workspaces

    return Sender(_store(wiring), lambda: web_client(wiring), _pacer(wiring), lambda: _sqs(wiring),
                  settings.conversation_url_template, get_installation(wiring).team_id, workspaces(wiring),
                  read_file, lambda: bot_identity(wiring))
