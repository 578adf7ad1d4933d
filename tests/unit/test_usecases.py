"""The API's use cases on the in-memory store (tests/fakes/store.py): no embedded AWS.

What each answers (the kind of result and its view), what it writes and what it refuses. The same
operations through the real handler and the real store on moto: tests/integration/test_api.py.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from sideconv import follow_up_settings, keys, usecases
from sideconv.auth import Caller
from sideconv.email.api_models import CreateEmailSideConversation
from sideconv.errors import BadPageToken, Conflict, IdempotencyKeyReused, InvalidRequest, NotFound
from sideconv.requests import CreateMessage, MarkRead, UpdateSideConversation
from sideconv.results import Changed, Created, Found
from sideconv.slack.api_models import CreateSlackSideConversation

from tests.factories import email_request, slack_request
from tests.fakes.store import FakeStore

AGENT = Caller("agent-1", "acme", "agent", "Dana Agent", "agent-1@acme.example")
OTHER_AGENT = Caller("agent-2", "acme", "agent", "Eli Agent", "agent-2@acme.example")
PK = keys.conversation_pk("acme", "conv-1")
UNKNOWN = "email-01ARZ3NDEKTSV4RRFFQ69G5FAV"


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


def _context(store: FakeStore, caller: Caller = AGENT, conversation_id: str = "conv-1",
             **defaults: Any) -> usecases.Context:
    chosen = SimpleNamespace(team_id="T0LOCAL01", team_name="atender-local", shared_externally=False,
                             source="account")
    return usecases.Context(
        store=store,  # type: ignore[arg-type]
        caller=caller, conversation_id=conversation_id, token_secret="test-secret",
        inbound_domain="reply.atender.example", slack_workspace=lambda *_: chosen,
        follow_up_defaults=lambda _account: follow_up_settings.Settings(**defaults))


def _create_email(ctx: usecases.Context, key: str | None = None, **overrides: Any) -> Created:
    return usecases.create_side_conversation(
        ctx, CreateEmailSideConversation.model_validate(email_request(**overrides)), key)


def _inbound(store: FakeStore, side_conversation_id: str, message_id: str) -> None:
    """An answer from the other party, as the receivers record it on the summary."""
    summary = store.summary(PK, side_conversation_id)
    assert summary is not None
    summary.inbound_count = int(summary.inbound_count or 0) + 1
    summary.last_inbound_id = message_id
    summary.last_direction = "inbound"
    summary.gsi1sk = keys.inbox_sk("agent", "2030-01-01T00:00:00.000Z", side_conversation_id)
    store.put(summary)


# Create


def test_an_email_create_is_created_with_its_first_message_pending(store: FakeStore) -> None:
    result = _create_email(_context(store))

    assert isinstance(result, Created)
    view = result.view
    assert view["channel"] == "email"
    assert view["state"] == "open"
    assert view["subject"] == "Refund approval for order 1042"
    assert view["email"]["reply_to"].endswith("@reply.atender.example")
    assert [m["delivery"]["status"] for m in view["messages"]] == ["pending"]
    assert [p["role"] for p in view["participants"]] == ["creator", "to"]
    summary = store.summary(PK, view["id"])
    assert summary is not None
    assert summary.message_count == 1
    ref = keys.side_conversation_ref(view["id"])
    assert (ref, ref) in store.items  # the reply address's lookup
    assert store.requests == ["TransactWriteItems"]


def test_a_slack_create_goes_to_the_chosen_workspace(store: FakeStore) -> None:
    request = CreateSlackSideConversation.model_validate(slack_request("user"))

    result = usecases.create_side_conversation(_context(store), request, None)

    assert isinstance(result, Created)
    assert result.view["slack"]["team_id"] == "T0LOCAL01"
    assert result.view["id"].startswith("slack-")
    assert [(p["kind"], p.get("id")) for p in result.view["participants"][1:]] == [("slack", "U0ENGINEER")]


def test_a_create_takes_the_accounts_follow_up_default(store: FakeStore) -> None:
    result = _create_email(_context(store, default_after=3600))

    assert result.view["follow_up"]["state"] == "scheduled"


def test_a_create_refused_writes_nothing(store: FakeStore) -> None:
    with pytest.raises(InvalidRequest) as refused:
        _create_email(_context(store), to=[{"email": "x@reply.atender.example"}])

    assert refused.value.field == "to.0.email"
    assert store.items == {}
    assert store.requests == []


def test_a_bad_conversation_id_names_the_field(store: FakeStore) -> None:
    with pytest.raises(InvalidRequest) as refused:
        _create_email(_context(store, conversation_id="#bad"))

    assert refused.value.field == "conversation_id"


# Idempotent replay


def test_the_same_key_and_body_answer_the_first_result_again(store: FakeStore) -> None:
    ctx = _context(store)
    first = _create_email(ctx, key="key-1")

    again = _create_email(ctx, key="key-1")

    assert isinstance(again, Created)
    assert again.view == first.view
    assert len([i for i in store.items.values() if i.sk.startswith("SC#") and "#M#" not in i.sk]) == 1


def test_the_same_key_with_another_body_is_refused(store: FakeStore) -> None:
    ctx = _context(store)
    _create_email(ctx, key="key-1")

    with pytest.raises(IdempotencyKeyReused) as refused:
        _create_email(ctx, key="key-1", subject="Something else")

    assert refused.value.field == "idempotency-key"


def test_a_key_is_the_callers_own(store: FakeStore) -> None:
    _create_email(_context(store), key="key-1")

    other = _create_email(_context(store, caller=OTHER_AGENT), key="key-1")

    assert other.view["created_by"]["id"] == "agent-2"


def test_a_reply_replayed_is_the_same_message_and_counted_once(store: FakeStore) -> None:
    ctx = _context(store)
    side_id = _create_email(ctx).view["id"]
    request = CreateMessage.model_validate({"body": "Any news?"})

    first = usecases.reply(ctx, side_id, request, "reply-key")
    again = usecases.reply(ctx, side_id, request, "reply-key")

    assert isinstance(again, Created)
    assert again.view == first.view
    assert len(store.messages(PK, side_id)) == 2
    summary = store.summary(PK, side_id)
    assert summary is not None
    assert summary.message_count == 2


# Reply


def test_a_reply_reopens_and_moves_the_ball_to_the_other_party(store: FakeStore) -> None:
    ctx = _context(store)
    side_id = _create_email(ctx).view["id"]
    usecases.update_side_conversation(ctx, side_id, UpdateSideConversation.model_validate({"state": "closed"}))

    result = usecases.reply(ctx, side_id, CreateMessage.model_validate({"body": "One more thing"}), None)

    assert isinstance(result, Created)
    assert result.view["direction"] == "outbound"
    assert result.view["delivery"]["status"] == "pending"
    summary = store.summary(PK, side_id)
    assert summary is not None
    assert (summary.state, summary.last_direction, summary.preview_text) == ("open", "outbound", "One more thing")


def test_a_reply_to_an_unknown_side_conversation_is_not_found(store: FakeStore) -> None:
    with pytest.raises(NotFound):
        usecases.reply(_context(store), UNKNOWN, CreateMessage.model_validate({"body": "Hello?"}), None)
    assert store.messages(PK, UNKNOWN) == []


def test_an_id_no_side_conversation_can_have_costs_no_request(store: FakeStore) -> None:
    ctx = _context(store)
    for call in (lambda: usecases.get_side_conversation(ctx, "nope", 50, None),
                 lambda: usecases.reply(ctx, "nope", CreateMessage.model_validate({"body": "x"}), None),
                 lambda: usecases.mark_read(ctx, "nope", MarkRead.model_validate({"message_id": "0" * 26}))):
        with pytest.raises(NotFound):
            call()
    assert store.requests == []


# Get, list, inbox


def test_get_is_found_with_its_messages_in_pages(store: FakeStore) -> None:
    ctx = _context(store)
    side_id = _create_email(ctx).view["id"]
    for n in range(3):
        usecases.reply(ctx, side_id, CreateMessage.model_validate({"body": f"reply {n}"}), None)

    first = usecases.get_side_conversation(ctx, side_id, 2, None)
    second = usecases.get_side_conversation(ctx, side_id, 2, first.view["next_token"])

    assert isinstance(first, Found)
    assert [m["body"] for m in first.view["messages"]] == [email_request()["body"], "reply 0"]
    assert [m["body"] for m in second.view["messages"]] == ["reply 1", "reply 2"]
    assert second.view["next_token"] is None


def test_get_of_an_unknown_side_conversation_is_not_found(store: FakeStore) -> None:
    with pytest.raises(NotFound):
        usecases.get_side_conversation(_context(store), UNKNOWN, 50, None)


def test_a_page_token_is_bound_to_its_listing(store: FakeStore) -> None:
    ctx = _context(store)
    side_id = _create_email(ctx).view["id"]
    for n in range(2):
        usecases.reply(ctx, side_id, CreateMessage.model_validate({"body": f"reply {n}"}), None)
    token = usecases.get_side_conversation(ctx, side_id, 1, None).view["next_token"]

    with pytest.raises(BadPageToken):
        usecases.list_side_conversations(ctx, None, 1, token)


def test_the_list_is_most_recently_active_first_and_filters_by_state(store: FakeStore) -> None:
    ctx = _context(store)
    older = _create_email(ctx, subject="Older").view["id"]
    newer = _create_email(ctx, subject="Newer").view["id"]
    usecases.update_side_conversation(ctx, newer, UpdateSideConversation.model_validate({"state": "closed"}))

    everything = usecases.list_side_conversations(ctx, None, 25, None)
    open_only = usecases.list_side_conversations(ctx, "open", 25, None)
    first_page = usecases.list_side_conversations(ctx, None, 1, None)
    second_page = usecases.list_side_conversations(ctx, None, 1, first_page.view["next_token"])

    assert isinstance(everything, Found)
    assert {i["id"] for i in everything.view["items"]} == {older, newer}
    assert [i["id"] for i in open_only.view["items"]] == [older]
    assert len(first_page.view["items"]) == 1
    assert first_page.view["next_token"] is not None
    assert [i["id"] for i in first_page.view["items"] + second_page.view["items"]] \
        == [i["id"] for i in everything.view["items"]]


def test_the_list_of_another_conversation_is_empty(store: FakeStore) -> None:
    _create_email(_context(store))

    result = usecases.list_side_conversations(_context(store, conversation_id="conv-2"), None, 25, None)

    assert result.view == {"items": [], "next_token": None}


def test_the_inbox_lists_what_waits_on_the_agent(store: FakeStore) -> None:
    ctx = _context(store)
    waiting = _create_email(ctx, subject="Answered").view["id"]
    quiet = _create_email(ctx, subject="Quiet").view["id"]
    _inbound(store, waiting, "01ARZ3NDEKTSV4RRFFQ69G5FAW")

    mine = usecases.inbox(_context(store, conversation_id="-"), "agent", 25, None)
    theirs = usecases.inbox(_context(store, conversation_id="-"), "external", 25, None)
    other_agent = usecases.inbox(_context(store, caller=OTHER_AGENT, conversation_id="-"), "agent", 25, None)

    assert [i["id"] for i in mine.view["items"]] == [waiting]
    assert [i["id"] for i in theirs.view["items"]] == [quiet]
    assert other_agent.view["items"] == []


# Update


def test_an_update_closes_and_renames(store: FakeStore) -> None:
    ctx = _context(store)
    side_id = _create_email(ctx).view["id"]

    result = usecases.update_side_conversation(
        ctx, side_id, UpdateSideConversation.model_validate({"state": "closed", "subject": "Done"}))

    assert isinstance(result, Changed)
    assert (result.view["state"], result.view["subject"]) == ("closed", "Done")
    summary = store.summary(PK, side_id)
    assert summary is not None
    assert summary.lsi1sk.startswith("closed#")
    assert summary.version == 2


def test_an_update_sets_and_clears_the_follow_up(store: FakeStore) -> None:
    ctx = _context(store)
    side_id = _create_email(ctx).view["id"]

    set_ = usecases.update_side_conversation(
        ctx, side_id, UpdateSideConversation.model_validate({"follow_up": {"after": "PT4H"}, "nudge": True}))
    cleared = usecases.update_side_conversation(
        ctx, side_id, UpdateSideConversation.model_validate({"follow_up": None}))

    assert set_.view["follow_up"]["nudge"] is True
    assert set_.view["follow_up"]["state"] == "scheduled"
    assert cleared.view["follow_up"] is None
    summary = store.summary(PK, side_id)
    assert summary is not None
    assert summary.follow_up_after is None
    assert summary.follow_up_nudge is True


def test_an_empty_update_is_refused_before_any_request(store: FakeStore) -> None:
    ctx = _context(store)
    side_id = _create_email(ctx).view["id"]
    store.requests.clear()

    with pytest.raises(InvalidRequest) as refused:
        usecases.update_side_conversation(ctx, side_id, UpdateSideConversation.model_validate({}))

    assert refused.value.field == "state"
    assert store.requests == []


def test_an_update_of_an_unknown_side_conversation_is_not_found(store: FakeStore) -> None:
    with pytest.raises(NotFound):
        usecases.update_side_conversation(_context(store), UNKNOWN,
                                          UpdateSideConversation.model_validate({"state": "closed"}))


# Mark read


def test_mark_read_clears_the_callers_unread_count_only(store: FakeStore) -> None:
    ctx = _context(store)
    side_id = _create_email(ctx).view["id"]
    _inbound(store, side_id, "01ARZ3NDEKTSV4RRFFQ69G5FAW")
    assert usecases.get_side_conversation(ctx, side_id, 50, None).view["unread_count"] == 1

    result = usecases.mark_read(ctx, side_id, MarkRead.model_validate({"message_id": "01ARZ3NDEKTSV4RRFFQ69G5FAW"}))

    assert isinstance(result, Changed)
    assert result.view["unread_count"] == 0
    other = usecases.get_side_conversation(replace(ctx, caller=OTHER_AGENT), side_id, 50, None)
    assert other.view["unread_count"] == 1


def test_mark_read_behind_a_newer_inbound_message_is_a_conflict(store: FakeStore) -> None:
    ctx = _context(store)
    side_id = _create_email(ctx).view["id"]
    _inbound(store, side_id, "01ARZ3NDEKTSV4RRFFQ69G5FAZ")

    with pytest.raises(Conflict) as refused:
        usecases.mark_read(ctx, side_id, MarkRead.model_validate({"message_id": "01ARZ3NDEKTSV4RRFFQ69G5FAW"}))

    assert refused.value.field == "message_id"


def test_mark_read_of_an_unknown_side_conversation_is_not_found(store: FakeStore) -> None:
    with pytest.raises(NotFound):
        usecases.mark_read(_context(store), UNKNOWN, MarkRead.model_validate({"message_id": "0" * 26}))
