"""What a follow-up's firing decides, on an in-memory follow-up store (no embedded AWS).

The real store's requests and conditions keep their tests against moto (tests/integration/test_follow_ups.py,
and bench group 2 counts them); here each firing's outcome and the one write it asks for.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pytest
from sideconv import clock, follow_ups, keys
from sideconv.follow_up_fire import fire
from sideconv.store.follow_up_store import FollowUpStore
from sideconv.store.models import FollowUpSettingsItem, MessageItem, PersonMap, SideConversationItem

ACCOUNT, CONVERSATION = "acme", "conv-1"
HOUR = 3600


class FakeFollowUpStore:
    """Answers the one read with what the test put in, records each write, and lets it hold or not."""

    def __init__(self, summary: SideConversationItem | None, max_nudges: int | None = None,
                 holds: bool = True) -> None:
        self.summary, self.holds = summary, holds
        ref = keys.follow_up_settings_ref(ACCOUNT)
        self.settings = None if max_nudges is None else FollowUpSettingsItem(ref, ref, max_nudges=max_nudges)
        self.writes: list[tuple[str, dict[str, Any]]] = []

    def read_for_firing(self, account_id: str, conversation_id: str, side_conversation_id: str) -> Any:
        self.writes.append(("read", {"ids": (account_id, conversation_id, side_conversation_id)}))
        return self.summary, self.settings

    def close_for_inactivity(self, summary: SideConversationItem, now: str) -> bool:
        self.writes.append(("close_for_inactivity", {"now": now}))
        return self.holds

    def mark_due(self, summary: SideConversationItem, due_at: str, now: str) -> bool:
        self.writes.append(("mark_due", {"due_at": due_at}))
        return self.holds

    def nudge(self, summary: SideConversationItem, due_at: str, now: str, message: MessageItem, *,
              nudges_sent: int, repeat: bool) -> bool:
        self.writes.append(("nudge", {"due_at": due_at, "message": message, "nudges_sent": nudges_sent,
                                      "repeat": repeat}))
        return self.holds


def _summary(hours_waiting: float = 2, **overrides: Any) -> SideConversationItem:
    side_id = f"email-{clock.new_id()}"
    waiting = follow_ups.iso(clock.now() - timedelta(hours=hours_waiting))
    values: dict[str, Any] = {
        "id": side_id, "channel": "email", "subject": "Invoice 42", "state": "open", "last_direction": "outbound",
        "waiting_since": waiting, "created_at": waiting, "last_message_at": waiting, "follow_up_after": HOUR,
        "follow_up_set_at": waiting, "follow_up_nudge": False,
        "created_by": PersonMap(kind="agent", id="agent-1", name="Ada"), **overrides}
    return SideConversationItem(keys.conversation_pk(ACCOUNT, CONVERSATION), keys.side_conversation_sk(side_id),
                                **values)


def _event(summary: SideConversationItem, next_fire: str | None = None) -> dict[str, Any]:
    planned = follow_ups.plan(follow_ups.attributes_of(summary))
    return {"account_id": ACCOUNT, "conversation_id": CONVERSATION, "side_conversation_id": summary.id,
            "next_fire": next_fire or (planned.next_fire if planned else "") or ""}


def _fire(store: FakeFollowUpStore, event: dict[str, Any]) -> str:
    return fire(cast(FollowUpStore, store), event)


def _kinds(store: FakeFollowUpStore) -> list[str]:
    return [kind for kind, _ in store.writes]


def test_a_due_follow_up_without_a_nudge_is_marked_due_once() -> None:
    summary = _summary()
    store = FakeFollowUpStore(summary)
    assert _fire(store, _event(summary)) == "due"
    assert _kinds(store) == ["read", "mark_due"]
    assert store.writes[1][1]["due_at"] == follow_ups.shift(summary.waiting_since, HOUR)


def test_an_opted_in_agent_gets_a_nudge_under_their_name_in_the_same_write() -> None:
    summary = _summary(follow_up_nudge=True)
    store = FakeFollowUpStore(summary, max_nudges=2)
    assert _fire(store, _event(summary)) == "nudged"
    assert _kinds(store) == ["read", "nudge"]
    nudge = store.writes[1][1]
    message = nudge["message"]
    assert (nudge["nudges_sent"], nudge["repeat"]) == (1, True)
    assert (message.nudge, message.direction, message.body) == (True, "outbound",
                                                                follow_ups.nudge_text("Invoice 42"))
    assert message.author.id == "agent-1"
    assert message.delivery.status == "pending"
    assert message.gsi2pk == keys.pending_pk("email")


def test_the_last_nudge_allowed_does_not_repeat_and_none_after_it() -> None:
    last = _summary(follow_up_nudge=True, follow_up_nudges=1)
    store = FakeFollowUpStore(last, max_nudges=2)
    assert _fire(store, _event(last)) == "nudged"
    assert (store.writes[1][1]["nudges_sent"], store.writes[1][1]["repeat"]) == (2, False)
    spent = _summary(follow_up_nudge=True, follow_up_nudges=2)
    store = FakeFollowUpStore(spent, max_nudges=2)
    assert _fire(store, _event(spent)) == "due"
    assert _kinds(store) == ["read", "mark_due"]


def test_max_nudges_zero_marks_due_and_nudges_none() -> None:
    summary = _summary(follow_up_nudge=True)
    store = FakeFollowUpStore(summary, max_nudges=0)
    assert _fire(store, _event(summary)) == "due"
    assert _kinds(store) == ["read", "mark_due"]


@pytest.mark.parametrize("nudge", [False, True])
def test_a_write_whose_condition_no_longer_holds_is_stale(nudge: bool) -> None:
    summary = _summary(follow_up_nudge=nudge)
    store = FakeFollowUpStore(summary, holds=False)
    assert _fire(store, _event(summary)) == "stale"
    assert _kinds(store) == ["read", "nudge" if nudge else "mark_due"]


def test_a_firing_that_no_longer_matches_writes_nothing() -> None:
    summary = _summary()
    store = FakeFollowUpStore(summary)
    assert _fire(store, _event(summary, next_fire=follow_ups.shift(summary.waiting_since, 60))) == "stale"
    assert _fire(store, _event(_summary(state="closed"), next_fire=clock.now_iso())) == "stale"
    assert _kinds(store) == ["read", "read"]


def test_a_firing_well_before_its_time_is_early_and_a_gone_one_is_gone() -> None:
    summary = _summary(hours_waiting=0.5)
    store = FakeFollowUpStore(summary)
    assert _fire(store, _event(summary)) == "early"
    gone = FakeFollowUpStore(None)
    assert _fire(gone, _event(summary)) == "gone"
    assert _kinds(store) == ["read"]
    assert _kinds(gone) == ["read"]


def test_an_open_side_conversation_past_its_inactivity_limit_is_closed() -> None:
    summary = _summary(follow_up_after=None, auto_close_after=HOUR)
    store = FakeFollowUpStore(summary)
    assert _fire(store, _event(summary, next_fire=follow_ups.shift(summary.last_message_at, HOUR))) == "auto_closed"
    assert _kinds(store) == ["read", "close_for_inactivity"]
    lost = FakeFollowUpStore(summary, holds=False)  # the close's condition fails: a reply came first
    assert _fire(lost, _event(summary, next_fire=follow_ups.shift(summary.last_message_at, HOUR))) == "stale"
    assert _kinds(lost) == ["read", "close_for_inactivity"]
