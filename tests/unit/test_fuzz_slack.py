"""Property-based fuzzing of the Slack event parser (sideconv.slack.parsing.classify) and of the text the
service posts to Slack (sideconv.slack.formatting).

Every envelope ends as one of append / update / delete / ignore, and what an `append` carries can be
stored (strings where strings go). Agent text can never become a mention, a channel ping or a link.
The processor's outcome for such events (appended, ignored, duplicate) is fuzzed against the real
handler in tests/reliability/test_hostile_inbound.py.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sideconv.slack import formatting
from sideconv.slack.client import BotIdentity
from sideconv.slack.parsing import Action, classify

FUZZ = settings(max_examples=400, deadline=None, derandomize=True, database=None)
IDENTITY = BotIdentity(user_id="U0LOCALBOT", bot_id="B0LOCALBOT", app_id="A0LOCALAPP")

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
TS = st.one_of(st.sampled_from(["1700000000.000100", "1700000000.000200", ""]), JSON)
SUBTYPES = st.sampled_from([None, "message_changed", "message_deleted", "thread_broadcast", "file_share",
                            "bot_message", "me_message", "channel_join", "message_replied", "tombstone"])


@st.composite
def message_event(draw: st.DrawFn) -> dict[str, Any]:
    """A Slack `message` event with every field possibly missing, mistyped or hostile."""
    event: dict[str, Any] = {"type": draw(st.sampled_from(["message", "message", "app_mention", 7]))}
    fields = {
        "subtype": SUBTYPES, "ts": TS, "thread_ts": TS, "channel": st.one_of(st.just("C0ONCALL"), JSON),
        "user": st.one_of(st.sampled_from(["U0ALICE", "U0LOCALBOT"]), JSON),
        "bot_id": st.one_of(st.none(), st.sampled_from(["B0LOCALBOT", "B0OTHER"]), JSON),
        "text": st.one_of(st.text(), JSON), "deleted_ts": TS, "files": JSON,
        "message": st.one_of(JSON, st.fixed_dictionaries({"ts": TS, "thread_ts": TS, "text": st.text(),
                                                          "user": JSON})),
        "previous_message": JSON,
    }
    for name, strategy in fields.items():
        if draw(st.booleans()):
            event[name] = draw(strategy)
    return event


@st.composite
def thread_reply(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed thread reply, edit or deletion whose remaining fields are fuzzed: the shapes that get
    past the first checks, where a mistyped field would reach the table."""
    subtype = draw(st.sampled_from([None, "thread_broadcast", "file_share", "bot_message", "message_changed",
                                    "message_deleted"]))
    inner = {"ts": "1700000000.000200", "thread_ts": "1700000000.000100"}
    for name in ("user", "text", "files", "bot_id", "username", "bot_profile"):
        if draw(st.booleans()):
            inner[name] = draw(JSON)
    event: dict[str, Any] = {"type": "message", "channel": "C0ONCALL", "subtype": subtype}
    if subtype == "message_changed":
        event["message"] = inner
    elif subtype == "message_deleted":
        event.update(deleted_ts="1700000000.000200", previous_message=draw(st.one_of(JSON, st.just(inner))))
    else:
        event.update(inner)
    return {"type": "event_callback", "team_id": "T0LOCAL01", "event_id": "Ev01", "event": event}


ENVELOPE = st.one_of(
    thread_reply(),
    JSON,
    st.fixed_dictionaries({"type": st.sampled_from(["event_callback", "url_verification", "app_rate_limited"]),
                           "team_id": st.one_of(st.just("T0LOCAL01"), JSON),
                           "event_id": st.one_of(st.just("Ev01"), JSON),
                           "event": st.one_of(message_event(), JSON)}),
)


@FUZZ
@given(envelope=ENVELOPE)
def test_every_envelope_is_classified(envelope: Any) -> None:
    # Given any JSON Slack could send (or a forger who got past nothing), when it is classified
    action = classify(envelope if isinstance(envelope, dict) else {"event": envelope}, IDENTITY)
    # Then it is exactly one of the four outcomes
    assert isinstance(action, Action)
    assert action.kind in {"append", "update", "delete", "ignore"}
    if action.kind == "ignore":
        return
    # and what will be stored has the types the table needs
    assert isinstance(action.team_id, str)
    assert action.team_id
    assert isinstance(action.channel, str)
    assert action.channel
    assert isinstance(action.ts, str)
    assert action.ts
    assert isinstance(action.text, str)
    assert action.user is None or isinstance(action.user, str), action
    assert action.thread_ts is None or isinstance(action.thread_ts, str), action
    if action.kind == "append":
        assert action.thread_ts
        assert action.thread_ts != action.ts


MENTION = re.compile(r"<[!@#]|<(https?|mailto):", re.IGNORECASE)


@FUZZ
@given(body=st.text(), subject=st.one_of(st.none(), st.text()), name=st.one_of(st.none(), st.text()))
def test_agent_text_never_becomes_a_mention(body: str, subject: str | None, name: str | None) -> None:
    # Given any text an agent types (including <!channel>, <@U123>, <#C1>, <https://evil|bank>)
    hostile = f"{body} <!channel> <!here> <@U0ALICE> <#C0GENERAL> <https://evil.example|your bank>"
    # When it becomes a root post or a reply
    root = formatting.root_text(agent_name=name, subject=subject, body=hostile, url=None)
    reply = formatting.reply_text(hostile)
    # Then Slack sees no control sequence, and the person sees exactly what was typed
    assert not MENTION.search(root)
    assert not MENTION.search(reply)
    assert "<" not in reply
    assert ">" not in reply
    assert formatting.unescape(reply) == hostile
