"""What a new outbound message carries besides the agent's text: quoted context (masked) and files.

Built before the message's one write, from the request: `sideconv.context` masks the quote,
`sideconv.uploads` turns upload ids into the message's attachments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sideconv import context
from sideconv.errors import InvalidRequest
from sideconv.store.models import QuotedMap, RedactionMap

# Slack refuses a post of more than 40,000 characters (msg_too_long); the root's subject, footer and link
# take the rest of this allowance.
SLACK_TEXT_LIMIT = 40_000
SLACK_ROOT_ALLOWANCE = 2_000


def extras(request: Any, *, pk: str, channel: str, uploads: Callable[[], Any] | None) -> dict[str, Any]:
    """The message item's fields for the request's `context`, `redact` and `attachments` (none: {})."""
    out: dict[str, Any] = {}
    quoted_in = getattr(request, "context", None) or []
    if quoted_in:
        quoted, counts = context.prepare(quoted_in, getattr(request, "redact", None) or [])
        if channel == "slack":
            _fits_slack(str(getattr(request, "body", "")), quoted)
        out["context"] = [QuotedMap(author_name=q.author_name, author_role=q.author_role, sent_at=q.sent_at,
                                    body=q.body) for q in quoted]
        out["redactions"] = [RedactionMap(kind=kind, count=count) for kind, count in counts.items()]
    upload_ids = getattr(request, "attachments", None) or []
    if upload_ids:
        from sideconv.uploads import read_uploads

        assert uploads is not None, "a request with attachments needs the uploads service"
        out["attachments"] = uploads().attach(pk, upload_ids, channel=channel, read=read_uploads)
    return out


def _fits_slack(body: str, quoted: list[context.Quoted]) -> None:
    """A quote that would make the post longer than Slack takes is refused now (422), not `failed` later."""
    from sideconv.slack import formatting

    if len(formatting.reply_text(body, quoted)) > SLACK_TEXT_LIMIT - SLACK_ROOT_ALLOWANCE:
        raise InvalidRequest(f"the text and its quote, as Slack shows them, hold more than "
                             f"{SLACK_TEXT_LIMIT - SLACK_ROOT_ALLOWANCE} characters: quote less", field="context")
