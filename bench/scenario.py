"""The inputs every figure drives the handlers with: API requests, received mail, Slack replies."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from bench.core import CORPUS
from bench.env import TEAM_ID, Context, handler

ACCOUNT = "acme"
CLAIMS = {"sub": "agent-1", "account_id": ACCOUNT, "role": "agent", "name": "Dana Agent",
          "email": "agent-1@acme.example"}


def base(conversation_id: str) -> str:
    return f"/v1/conversations/{conversation_id}/side-conversations"


def api_call(method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> tuple[int, str]:
    """Through the real API handler with an API Gateway HTTP API event; (status, raw body)."""
    from local.apigw import http_api_event

    event = http_api_event(method, path, query=query, headers={"content-type": "application/json"},
                           body=json.dumps(body) if body is not None else None, claims=dict(CLAIMS))
    response = handler("api")(event, Context("api"))
    return int(response["statusCode"]), str(response.get("body") or "")


def api_json(method: str, path: str, body: Any = None, query: dict[str, str] | None = None,
             expect: int = 200) -> Any:
    status, text = api_call(method, path, body, query)
    if status != expect:
        raise AssertionError(f"{method} {path}: {status} {text[:300]}")
    return json.loads(text) if text else None


def create_email(conversation_id: str, n: int = 0) -> dict[str, Any]:
    return api_json("POST", base(conversation_id), {
        "channel": "email", "subject": f"Refund approval for order {1000 + n}",
        "body": "Hi finance, can you approve a refund of 42 EUR for this order?",
        "to": [{"email": "finance@vendor.example", "name": "Finance Team"}]}, expect=201)


def create_slack(conversation_id: str, n: int = 0) -> dict[str, Any]:
    return api_json("POST", base(conversation_id), {
        "channel": "slack", "subject": f"Checkout 500s #{n}", "body": "Is the fix deployed?",
        "slack": {"target": "channel", "channel_id": "C0ONCALL1"}}, expect=201)


def thread_ts_for(n: int) -> str:
    return f"{1_726_000_000 + n}.000100"


def seed_slack_thread(created: dict[str, Any], thread_ts: str, channel_id: str = "C0ONCALL1") -> None:
    """What the Slack sender records once the root is posted: the thread lookup and the summary's thread."""
    from sideconv import keys
    from sideconv.store.models import SideConversationItem, SideConversationRefItem, SlackInfoMap

    ref = keys.slack_thread_ref(TEAM_ID, channel_id, thread_ts)
    SideConversationRefItem(ref, ref, account_id=ACCOUNT, conversation_id=created["conversation_id"],
                            side_conversation_id=created["id"]).save()
    summary = SideConversationItem(keys.conversation_pk(ACCOUNT, created["conversation_id"]),
                                   keys.side_conversation_sk(created["id"]))
    summary.update([SideConversationItem.slack.set(SlackInfoMap(
        target="channel", channel_id=channel_id, thread_ts=thread_ts, team_id=TEAM_ID))],
        add_version_condition=False)


def slack_reply(thread_ts: str, n: int, *, channel_id: str = "C0ONCALL1", users: int = 5) -> dict[str, Any]:
    """A thread reply as the Events API delivers it (the shape of the corpus's channel thread reply)."""
    ts = f"{1_727_000_000 + n // 1000}.{n % 1000:03d}{n % 997:03d}"
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0BENCH01",
        "event": {
            "user": f"U0PERSON{n % users:02d}", "type": "message", "ts": ts,
            "text": f"Deployed to production at 14:{n % 60:02d}, can you check again? <@U0BENCHBOT> ref #{n}",
            "team": TEAM_ID, "user_team": TEAM_ID, "source_team": TEAM_ID, "user_profile": {},
            "thread_ts": thread_ts, "parent_user_id": "U0BENCHBOT", "channel": channel_id,
            "event_ts": ts, "channel_type": "channel",
        },
        "type": "event_callback",
        "event_id": f"Ev{n:08d}BENCH",
        "event_time": 1_727_000_000 + n,
        "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BENCHBOT", "is_bot": True,
                            "is_enterprise_install": False}],
    }


def sqs_event(bodies: list[tuple[str, str]], queue_arn: str) -> dict[str, Any]:
    """An SQS batch as Lambda's event source mapping hands it over: (message id, body) pairs."""
    return {"Records": [{
        "messageId": message_id, "receiptHandle": f"rh-{message_id}", "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1727000000000",
                       "MessageGroupId": "bench", "MessageDeduplicationId": message_id,
                       "SenderId": "AIDA", "ApproximateFirstReceiveTimestamp": "1727000000000"},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn, "awsRegion": "us-east-1"} for message_id, body in bodies]}


# E-mail -------------------------------------------------------------------------------------------

GENERATED = """From: Finance Team <finance@vendor.example>
To: {to}
Subject: Re: Refund approval
Message-ID: <{n}.generated@vendor.example>
Date: Mon, 2 Sep 2024 10:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Approved, go ahead with the refund.

Thanks,
Finance
"""


def corpus_mails() -> tuple[list[tuple[str, bytes]], str]:
    """(name, raw) of the corpus's replies, and where they came from (generated MIME without the corpus)."""
    folder = CORPUS / "email"
    if folder.is_dir():
        found = [(p.name, p.read_bytes()) for p in sorted(folder.glob("*.eml"))]
        if found:
            return found, f"{len(found)} corpus mails ({folder.resolve()})"
    return [("generated.eml", GENERATED.format(to="x@reply.example.com", n=0).encode())], \
        "the corpus is absent: generated MIME"


_HISTORY = ("> On Mon, Sep 2, 2024 at 9:12 AM Dana Agent <agent-1@acme.example> wrote:\n"
            "> Hi finance, can you approve a refund of 42 EUR for order 1042? The customer was charged twice\n"
            "> for the same order, and the second charge should go back to the card it came from.\n>\n")


def pad(raw: bytes, target: int) -> bytes:
    """The same mail grown to about `target` bytes with quoted history, as a long thread carries it.

    The history goes into the plain-text body (re-encoded by the email package) when there is one,
    else into a text attachment; a mail already at or above the target is returned unchanged.
    """
    if len(raw) >= target:
        return raw
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    history = _HISTORY * (1 + (target - len(raw)) // len(_HISTORY))
    body = message.get_body(preferencelist=("plain",))
    try:
        if body is None:
            raise LookupError("no plain body")
        text = str(body.get_content())
        body.set_content(text.rstrip("\n") + "\n\n" + history, subtype="plain", charset="utf-8",
                         cte="quoted-printable")
    except (LookupError, KeyError, ValueError, TypeError, UnicodeError, AttributeError):
        message.add_attachment(history.encode(), maintype="text", subtype="plain", filename="history.txt")
    try:
        grown = message.as_bytes(policy=policy.SMTP)
    except (IndexError, ValueError, TypeError, UnicodeError):
        return raw  # a header the email package cannot fold again (an odd Message-ID): as it came

    if len(grown) > target * 1.2:  # re-encoding can grow the history: trim it back
        return pad(raw, max(int(target * target / len(grown)), len(raw) + 1))
    return grown


def mail_shapes(count: int, *, low: int = 5 * 1024, high: int = 100 * 1024, seed: int = 6) -> Iterator[bytes]:
    """`count` replies with the corpus's shapes, sizes spread log-uniformly over [low, high]."""
    mails, _ = corpus_mails()
    rng = random.Random(seed)  # noqa: S311 - sizes, not secrets: the same every run
    cache: dict[tuple[int, int], bytes] = {}
    for i in range(count):
        target = int(low * (high / low) ** rng.random())
        bucket = (i % len(mails), target // 4096)  # shapes repeat; pad once per (mail, 4 KB bucket)
        if bucket not in cache:
            cache[bucket] = pad(mails[bucket[0]][1], target)
        yield cache[bucket]


def receipt_event(raw: bytes, ses_message_id: str, recipient: str) -> dict[str, Any]:
    """The SES receipt rule's Lambda action event (the local stack's own builder)."""
    from local.email import receipt_event as build

    return build(raw, message_id=ses_message_id, recipients=[recipient], mail_from="finance@vendor.example")


def put_raw_mail(s3: Any, settings: Any, ses_message_id: str, raw: bytes) -> None:
    """The receipt rule's S3 action: the raw mail is stored before the function runs."""
    s3.put_object(Bucket=settings.received_mail_bucket, Key=f"{settings.raw_mail_prefix}{ses_message_id}", Body=raw)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    import time

    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def corpus_available() -> bool:
    return (CORPUS / "email").is_dir()
