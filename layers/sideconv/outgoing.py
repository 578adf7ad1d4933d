"""What a new outbound message carries besides the agent's text: quoted context (masked) and files.

Built before the message's one write, from the request: `sideconv.context` masks the quote,
`sideconv.uploads` turns upload ids into the message's attachments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sideconv import channels, context
from sideconv.store.models import QuotedMap, RedactionMap


def extras(request: Any, *, pk: str, channel: str, uploads: Callable[[], Any] | None) -> dict[str, Any]:
    """The message item's fields for the request's `context`, `redact` and `attachments` (none: {})."""
    out: dict[str, Any] = {}
    quoted_in = getattr(request, "context", None) or []
    if quoted_in:
        quoted, counts = context.prepare(quoted_in, getattr(request, "redact", None) or [])
        channels.get(channel).check_quoted(str(getattr(request, "body", "")), quoted)
        out["context"] = [QuotedMap(author_name=q.author_name, author_role=q.author_role, sent_at=q.sent_at,
                                    body=q.body) for q in quoted]
        out["redactions"] = [RedactionMap(kind=kind, count=count) for kind, count in counts.items()]
    upload_ids = getattr(request, "attachments", None) or []
    if upload_ids:
        from sideconv.uploads import read_uploads

        assert uploads is not None, "a request with attachments needs the uploads service"
        out["attachments"] = uploads().attach(pk, upload_ids, channel=channel, read=read_uploads)
    return out
