"""How a new message changes its side conversation's summary, for every path that adds one.

The summary carries what the list shows without reading messages: the preview, the counts, who the
ball is with (`waiting_on`: the agent after an inbound reply, the outside party after an outbound
message) and the keys of the two indexes (`by_activity` for the list, `inbox` for the agent's inbox).
Every update here is a list of PynamoDB actions for a single UpdateItem: no read first.
"""

from __future__ import annotations

from pynamodb.expressions.update import Action

from sideconv import keys
from sideconv.store.models import SideConversationItem as Summary

OUTBOUND, INBOUND = "outbound", "inbound"
WAITING_ON = {OUTBOUND: "external", INBOUND: "agent"}
PREVIEW_LENGTH = 140


def preview(text: str) -> str:
    """The summary's `preview_text`: the newest message's text on one line, at most 140 characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_LENGTH else flat[: PREVIEW_LENGTH - 1] + "…"


def _common(side_conversation_id: str, now: str, body: str, direction: str) -> list[Action]:
    # Any new message (re)opens the side conversation: an answer to a closed one must be seen.
    return [
        Summary.message_count.add(1),
        Summary.preview_text.set(preview(body)),
        Summary.last_message_at.set(now),
        Summary.updated_at.set(now),
        Summary.state.set("open"),
        Summary.lsi1sk.set(keys.by_activity_sk("open", now, side_conversation_id)),
        Summary.last_direction.set(direction),
        Summary.waiting_since.set(now),
        Summary.gsi1sk.set(keys.inbox_sk(WAITING_ON[direction], now, side_conversation_id)),
        Summary.version.add(1),
    ]


def outbound_actions(side_conversation_id: str, now: str, body: str) -> list[Action]:
    return _common(side_conversation_id, now, body, OUTBOUND)


def inbound_actions(side_conversation_id: str, message_id: str, now: str, body: str) -> list[Action]:
    """An e-mail or Slack reply came in: the agent has the ball, and it counts as unread."""
    return [
        *_common(side_conversation_id, now, body, INBOUND),
        Summary.inbound_count.add(1),
        Summary.last_inbound_id.set(message_id),
        # The other party wrote: nudges count again from zero (sideconv.follow_ups).
        Summary.follow_up_nudges.remove(),
    ]


def waiting_on(item: Summary) -> tuple[str | None, str | None]:
    if item.state != "open" or item.last_direction not in WAITING_ON:
        return None, None
    return WAITING_ON[item.last_direction], item.waiting_since


def unread_count(item: Summary, agent_id: str | None) -> int:
    if agent_id is None:
        return 0
    seen = (item.read_counts.as_dict() if item.read_counts else {}).get(agent_id, 0)
    return max(0, int(item.inbound_count or 0) - int(seen))
