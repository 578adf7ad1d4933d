"""How the outbox router cuts a pipe batch into SendMessageBatch requests (sideconv.outbox)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sideconv.outbox import MAX_BATCH, _batches, _Message


def _messages(groups: list[str]) -> list[_Message]:
    return [_Message(event_id=str(n), channel="email", group=g, dedup=f"m{n}", body="{}")
            for n, g in enumerate(groups)]


def test_a_thread_burst_is_one_request_per_message_other_threads_share_one() -> None:
    assert [[m.group for m in b] for b in _batches(_messages(["a", "a", "b", "c", "a"]))] == \
        [["a"], ["a", "b", "c"], ["a"]]


@given(st.lists(st.sampled_from("abcdefghijklmnop"), max_size=60))
def test_runs_keep_stream_order_hold_ten_at_most_and_never_two_of_one_thread(groups: list[str]) -> None:
    batches = _batches(_messages(groups))
    assert [m.group for b in batches for m in b] == groups
    for batch in batches:
        assert 0 < len(batch) <= MAX_BATCH
        assert len({m.group for m in batch}) == len(batch)
