"""JSON Schemas of the events on the bus (docs/events/), generated from these models.

`python -m local.event_schemas` writes them; a test fails when the committed files drift and
validates every event the publisher emits against its schema.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sideconv import events

DOCS = Path(__file__).resolve().parents[1] / "docs" / "events"


class _Detail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(description="Unique per change; deduplicate on it (a redelivery repeats it)")
    account_id: str | None
    conversation_id: str | None = Field(description="The customer conversation")
    side_conversation_id: str | None
    channel: Literal["email", "slack"] | None
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
    preview: str | None = Field(description=f"At most {events.PREVIEW_LENGTH} characters of the text")
    auto_reply: bool


class Delivered(_Detail):
    message_id: str
    author: Person | None
    preview: str | None
    detail: str | None = Field(description="Why it failed or bounced, as the channel said it")


class Quarantined(_Detail):
    quarantine_id: str | None
    reason: str | None


MODELS: dict[str, type[_Detail]] = {
    events.CREATED: Created,
    events.CLOSED: StateChanged,
    events.REOPENED: StateChanged,
    events.RECEIVED: Received,
    events.SENT: Delivered,
    events.FAILED: Delivered,
    events.BOUNCED: Delivered,
    events.QUARANTINED: Quarantined,
}


def file_name(detail_type: str) -> str:
    return re.sub(r"[^a-z]+", "-", detail_type.lower()).strip("-") + ".json"


def schemas() -> dict[str, dict[str, object]]:
    out = {}
    for detail_type, model in MODELS.items():
        schema = model.model_json_schema()
        schema["title"] = detail_type
        schema["description"] = f"`detail` of source `{events.SOURCE}`, detail-type `{detail_type}`."
        out[file_name(detail_type)] = schema
    return out


def main() -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, schema in schemas().items():
        (DOCS / name).write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    sys.stdout.write(f"wrote {len(MODELS)} schemas to {DOCS}\n")


if __name__ == "__main__":
    main()
