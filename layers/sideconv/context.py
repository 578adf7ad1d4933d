"""Quoted context: messages of the customer conversation an agent brings into a side conversation.

They are checked (at most MAX_MESSAGES, at most MAX_TEXT_BYTES of text in all), masked
(`sideconv.redaction`) once, when the message is written, and stored masked with the message: the
stored outbound copy is what every channel sends. Each channel renders the stored text as text:
attribution lines here, the quoting in `sideconv.email.mime` and `sideconv.slack.formatting`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sideconv import redaction
from sideconv.errors import InvalidRequest

MAX_MESSAGES = 20
MAX_TEXT_BYTES = 50 * 1024


@dataclass(frozen=True)
class Quoted:
    """One quoted message as stored and sent (already masked)."""

    author_name: str
    author_role: str
    sent_at: str
    body: str

    def attribution(self) -> str:
        return f"On {when(self.sent_at)}, {self.author_name} ({self.author_role}) wrote:"


def when(sent_at: str) -> str:
    """'2 Dec 2026 09:12' (UTC), as the attribution line reads it; the raw value if it is no time."""
    try:
        moment = datetime.fromisoformat(sent_at.replace("Z", "+00:00"))
    except ValueError:
        return sent_at
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%b %Y %H:%M}"


def check_size(bodies: Sequence[str]) -> None:
    """The whole quote's text is bounded, not only each message: the 422 names the body that passes it."""
    total = 0
    for index, body in enumerate(bodies):
        total += len(body.encode("utf-8"))
        if total > MAX_TEXT_BYTES:
            raise InvalidRequest(f"the quoted messages hold more than {MAX_TEXT_BYTES} bytes of text in all",
                                 field=f"context.{index}.body")


def prepare(messages: Sequence[Any], redact: Sequence[str]) -> tuple[list[Quoted], dict[str, int]]:
    """The request's context (`ContextMessage` models), masked, and what was masked by kind."""
    check_size([m.body for m in messages])
    kinds = redaction.kinds_for(redact)
    counts: dict[str, int] = {}
    quoted = []
    for message in messages:
        masked = redaction.redact(message.body, kinds)
        for kind, count in masked.counts.items():
            counts[kind] = counts.get(kind, 0) + count
        sent_at = message.sent_at.isoformat().replace("+00:00", "Z")
        quoted.append(Quoted(message.author.name, message.author.role, sent_at, masked.text))
    return quoted, counts


def as_text(quoted: Sequence[Quoted]) -> str:
    """The plain-text quote: each message attributed, its lines marked '> ' (RFC 3676 style)."""
    blocks = []
    for message in quoted:
        lines = [message.attribution()]
        lines += [f"> {line}" if line else ">" for line in message.body.splitlines() or [""]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
