"""Follow-ups: a reminder on a side conversation while the other party has the ball.

What the summary stores is the follow-up's rule, not its next time, so that no message path needs a
read to move it (a reply costs no extra request):

- `follow_up_after`: the interval in seconds (None: no follow-up); `follow_up_set_at`: when it was set
  (create, PATCH, reopen). It falls due `after` seconds from the later of `waiting_since` (the last
  message out) and `follow_up_set_at`: the agent's reply re-arms it, a reply from the other party or a
  close cancels it (the ball is no longer with them), reopening re-arms it.
- `follow_up_fired_at`: when the follow-up function last marked it due; due while that is within the
  current wait. `follow_up_nudge` (opt-in), `follow_up_nudges` (sent since the other party last wrote)
  and `follow_up_repeat` (another nudge is allowed: the schedule is armed again `after` later).

`plan()` turns these into what the API shows and when the one schedule of the side conversation
should fire; the stream (`sideconv.follow_up_schedules`) compares the plans of the old and the new
image and calls EventBridge Scheduler only when the firing time changed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sideconv.errors import InvalidRequest

SCHEDULED, DUE, CANCELLED = "scheduled", "due", "cancelled"
MIN_SECONDS = 60
MAX_SECONDS = 365 * 24 * 3600
DEFAULT_MAX_NUDGES = 3
MAX_NUDGES = 10
# Which of the summary's attributes the plan reads (also the projection of a stream image).
ATTRIBUTES = ("follow_up_after", "follow_up_set_at", "follow_up_nudge", "follow_up_fired_at",
              "follow_up_nudges", "follow_up_repeat", "waiting_since", "created_at", "state", "last_direction",
              "last_message_at", "auto_close_after")

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$")


def parse_duration(text: str) -> int:
    """An ISO 8601 duration in weeks, days, hours, minutes and seconds (`PT24H`, `P1D`, `P1W`, `PT90M`)
    as seconds. Years and months are refused: their length depends on the date."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError("must be an ISO 8601 duration such as PT4H, P1D or P1W (no years or months)")
    parts = {name: int(value or 0) for name, value in match.groupdict().items()}
    seconds = (parts["weeks"] * 7 * 86400 + parts["days"] * 86400 + parts["hours"] * 3600
               + parts["minutes"] * 60 + parts["seconds"])
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise ValueError("must be between one minute and one year")
    return seconds


def format_duration(seconds: int) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    time = "".join(f"{v}{u}" for v, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if v)
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "") if days or time else "PT0S"


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def shift(value: str, seconds: int) -> str:
    return iso(parse_time(value) + timedelta(seconds=seconds))


@dataclass(frozen=True)
class Plan:
    due_at: str
    state: str
    nudges_sent: int
    nudge: bool
    # When the schedule should fire next; None: no schedule.
    next_fire: str | None


def attributes_of(item: Any) -> dict[str, Any]:
    """The plan's inputs from a PynamoDB summary (a stream image is already a mapping)."""
    return {name: getattr(item, name, None) for name in ATTRIBUTES}


def plan(summary: Mapping[str, Any]) -> Plan | None:
    after = summary.get("follow_up_after")
    if after is None:
        return None
    after = int(after)
    anchor = max(str(summary.get("waiting_since") or summary.get("created_at") or ""),
                 str(summary.get("follow_up_set_at") or ""))
    due_at = shift(anchor, after)
    nudges, nudge = int(summary.get("follow_up_nudges") or 0), bool(summary.get("follow_up_nudge"))
    if summary.get("state") != "open" or summary.get("last_direction") != "outbound":
        return Plan(due_at, CANCELLED, nudges, nudge, None)
    fired = summary.get("follow_up_fired_at")
    if fired and str(fired) >= anchor:
        again = shift(str(fired), after) if summary.get("follow_up_repeat") else None
        return Plan(due_at, DUE, nudges, nudge, again)
    return Plan(due_at, SCHEDULED, nudges, nudge, due_at)


def view(item: Any) -> dict[str, Any] | None:
    current = plan(attributes_of(item))
    if current is None:
        return None
    return {"due_at": current.due_at, "state": current.state, "nudges_sent": current.nudges_sent,
            "nudge": current.nudge}


def schedule_name(side_conversation_id: str) -> str:
    """One schedule per side conversation, named by its id (globally unique): arming is idempotent."""
    return f"follow-up-{side_conversation_id}"


def nudge_text(subject: str | None) -> str:
    about = f"“{subject}”" if subject else "my earlier message"
    return f"Just checking in on {about}: is there any news?"


# What the API writes (create, PATCH): in the same single write as the rest of the request.


def _rule(request: Any, now: str) -> dict[str, Any]:
    """The stored rule: the interval and the moment it counts from (for `at`, so that it lands on it)."""
    if request.after is not None:
        return {"follow_up_after": parse_duration(request.after), "follow_up_set_at": now}
    at = request.at.astimezone(UTC)
    seconds = int((at - parse_time(now)).total_seconds())
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise InvalidRequest("must be at least a minute and at most a year from now", field="follow_up.at")
    return {"follow_up_after": seconds, "follow_up_set_at": iso(at - timedelta(seconds=seconds))}


def create_attributes(request: Any, now: str, defaults: Any) -> dict[str, Any]:
    """The summary's follow-up attributes for a create request (`follow_up`, `nudge`); left out, the
    account's `defaults` (`follow_up_settings.Settings`) give the follow-up; they give its inactivity
    limit either way."""
    out: dict[str, Any] = {}
    if request.nudge is not None:
        out["follow_up_nudge"] = request.nudge
    if "follow_up" not in request.model_fields_set:
        if defaults.default_after is not None:
            out |= {"follow_up_after": defaults.default_after, "follow_up_set_at": now}
    elif request.follow_up is not None:
        out |= _rule(request.follow_up, now)
    if defaults.auto_close_after is not None:
        out["auto_close_after"] = defaults.auto_close_after
    return out


def update_changes(request: Any, now: str) -> dict[str, Any]:
    """PATCH: set or clear the follow-up, the nudge opt-in; reopening re-arms (counts from now). The
    summary's attributes to change (None: removed), written by the store with the rest of the PATCH."""
    changes: dict[str, Any] = {}
    if request.nudge is not None:
        changes["follow_up_nudge"] = request.nudge
    if "follow_up" in request.model_fields_set:
        if request.follow_up is None:
            changes |= {"follow_up_after": None, "follow_up_fired_at": None}
        else:
            changes |= _rule(request.follow_up, now)
    elif request.state == "open":
        changes["follow_up_set_at"] = now
    if request.state is not None:
        changes["closed_reason"] = None  # an agent's close or reopen, not inactivity
    return changes


def auto_close_at(summary: Mapping[str, Any]) -> str | None:
    """When an open side conversation closes for inactivity (the account's `auto_close_after`)."""
    limit, last = summary.get("auto_close_after"), summary.get("last_message_at") or summary.get("created_at")
    if limit is None or summary.get("state") != "open" or not last:
        return None
    return shift(str(last), int(limit))


def next_fire(summary: Mapping[str, Any]) -> str | None:
    """When the side conversation's one schedule should fire: its follow-up or its auto-close."""
    times = [t for t in ((plan(summary) or _NO_PLAN).next_fire, auto_close_at(summary)) if t]
    return min(times) if times else None


_NO_PLAN = Plan("", CANCELLED, 0, False, None)
