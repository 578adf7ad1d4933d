"""Publishing the events of `sideconv.helpdesk_events` to EventBridge, once per change (a change may mean a
few: a close is also the end of a wait; they go in one PutEvents, in order).

A marker item (`EVT#<stream event id>`, kept a week) is written after a successful PutEvents, and a
record whose marker exists is skipped: a redelivered stream batch publishes nothing twice. Only a
crash between PutEvents and the marker can repeat an event; consumers deduplicate on `event_id`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sideconv import clock, helpdesk_events
from sideconv.observability import logger
from sideconv.store import models, records
from sideconv.wiring import Wiring, built

MARKER_TTL_SECONDS = 7 * 24 * 3600


@built
def eventbridge(wiring: Wiring) -> Any:
    import boto3

    return boto3.client("events", region_name=wiring.settings.region)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [_plain(v) for v in value]
    return value


def publish_change(wiring: Wiring, event_id: str, event_name: str, new: dict[str, Any], old: dict[str, Any]) -> bool:
    """Publish the events this change means (one PutEvents, in order), unless already published.
    True when some were sent."""
    changes = helpdesk_events.from_change_all(event_id, event_name, _plain(new), _plain(old))
    if not changes:
        return False
    models.bound(wiring)
    if records.published(event_id):
        logger.info("event already published", extra={"event_id": event_id})
        return False
    bus = wiring.settings.event_bus_name
    response = eventbridge(wiring).put_events(Entries=[{
        "Source": helpdesk_events.SOURCE,
        "DetailType": detail_type,
        "Detail": json.dumps(detail, separators=(",", ":")),
        "EventBusName": bus,
    } for detail_type, detail in changes])
    if response.get("FailedEntryCount"):
        failure = next(e for e in response["Entries"] if e.get("ErrorCode"))
        raise RuntimeError(f"EventBridge refused the event: {failure.get('ErrorCode')} {failure.get('ErrorMessage')}")
    records.mark_published(event_id, changes[0][0], clock.epoch_after(MARKER_TTL_SECONDS))
    return True
