"""JSON Schemas of the events on the bus (docs/events/), generated from these models.

`python -m local.event_schemas` writes them; a test fails when the committed files drift and
validates every event the publisher emits against its schema.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field
from sideconv import channels, helpdesk_events

DOCS = Path(__file__).resolve().parents[1] / "docs" / "events"
# The installed channels' names (sideconv.channels), as the API's `channel` has them.
if TYPE_CHECKING:
    ChannelName = str
else:
    ChannelName = Literal[channels.names()]


class _Detail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(description="Unique per change; deduplicate on it (a redelivery repeats it)")
    account_id: str | None
    conversation_id: str | None = Field(description="The customer conversation")
    side_conversation_id: str | None
    channel: ChannelName | None
    occurred_at: str | None


class Person(BaseModel):
    kind: str | None
    id: str | None
    name: str | None
    email: str | None


class Created(_Detail):
    created_by: Person | None
    subject: str | None


class StateChanged(_Detail):
    pass


class Received(_Detail):
    message_id: str
    author: Person | None = Field(description="Who wrote: an e-mail sender or a Slack user")
    preview: str | None = Field(description=f"At most {helpdesk_events.PREVIEW_LENGTH} characters of the text")
    auto_reply: bool


class Delivered(_Detail):
    message_id: str
    author: Person | None
    preview: str | None
    detail: str | None = Field(description="Why it failed or bounced, as the channel said it")


class Quarantined(_Detail):
    quarantine_id: str | None
    reason: str | None


class FollowUpDue(_Detail):
    created_by: Person | None = Field(description="The agent whose follow-up it is")
    subject: str | None
    due_at: str | None = Field(description="When it fell due: the agent's last message out (or when the "
                                           "follow-up was set) plus its interval")
    waiting_since: str | None = Field(description="Since when the other party has had the ball")
    nudge_sent: bool = Field(description="A nudge went out by the channel with this firing (the agent "
                                         "opted in and the account's max_nudges was not reached)")
    nudges_sent: int = Field(description="Nudges sent since the other party last wrote")


class WaitingStarted(_Detail):
    waiting_on: Literal["external"] = Field(description="Who has the ball: the other party of the side "
                                                        "conversation (a vendor, another team)")
    since: str | None = Field(description="When the message that handed them the ball went out")


class WaitingEnded(_Detail):
    waiting_on: Literal["external"] = Field(description="Who had the ball until now")
    since: str | None = Field(description="When the wait started")
    ended_at: str | None
    reason: Literal["reply", "closed"] = Field(description="They replied, or the side conversation was closed")
    ball_with: Literal["agent"] | None = Field(description="`agent` after a reply; null when closed")


class AutoClosed(_Detail):
    last_message_at: str | None
    auto_close_after: int | None = Field(description="The account's inactivity limit, in seconds")


_WAITING = (" A helpdesk may pause its own SLA clock between Waiting Started and Waiting Ended. The side "
            "conversation itself never changes the customer conversation's engagement state.")
DESCRIPTIONS = {
    helpdesk_events.FOLLOW_UP_DUE: " The follow-up fell due while the other party still had the ball.",
    helpdesk_events.WAITING_STARTED: " The other party of the side conversation has the ball." + _WAITING,
    helpdesk_events.WAITING_ENDED: " The other party no longer has the ball (their reply, or a close)." + _WAITING,
    helpdesk_events.AUTO_CLOSED: " Closed after the account's `auto_close_after` without a message (a Side "
                        "Conversation Closed event goes out too).",
}

MODELS: dict[str, type[_Detail]] = {
    helpdesk_events.CREATED: Created,
    helpdesk_events.CLOSED: StateChanged,
    helpdesk_events.REOPENED: StateChanged,
    helpdesk_events.RECEIVED: Received,
    helpdesk_events.SENT: Delivered,
    helpdesk_events.FAILED: Delivered,
    helpdesk_events.BOUNCED: Delivered,
    helpdesk_events.QUARANTINED: Quarantined,
    helpdesk_events.FOLLOW_UP_DUE: FollowUpDue,
    helpdesk_events.WAITING_STARTED: WaitingStarted,
    helpdesk_events.WAITING_ENDED: WaitingEnded,
    helpdesk_events.AUTO_CLOSED: AutoClosed,
}


def file_name(detail_type: str) -> str:
    return re.sub(r"[^a-z]+", "-", detail_type.lower()).strip("-") + ".json"


def schemas() -> dict[str, dict[str, object]]:
    out = {}
    for detail_type, model in MODELS.items():
        schema = model.model_json_schema()
        schema["title"] = detail_type
        schema["description"] = (f"`detail` of source `{helpdesk_events.SOURCE}`, detail-type `{detail_type}`."
                                 + DESCRIPTIONS.get(detail_type, ""))
        out[file_name(detail_type)] = schema
    return out


def main() -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, schema in schemas().items():
        (DOCS / name).write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    sys.stdout.write(f"wrote {len(MODELS)} schemas to {DOCS}\n")


if __name__ == "__main__":
    main()
