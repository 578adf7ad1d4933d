"""Text between agents and Slack: escaping and the thread's root post."""

from __future__ import annotations

import pytest
from sideconv.slack.formatting import conversation_url, escape, reply_text, root_text, unescape


@pytest.mark.parametrize(("typed", "sent"), [
    ("<!channel> look", "&lt;!channel&gt; look"),
    ("<!here>", "&lt;!here&gt;"),
    ("<@U123ABC>", "&lt;@U123ABC&gt;"),
    ("<!subteam^S123>", "&lt;!subteam^S123&gt;"),
    ("<https://evil.example|your bank>", "&lt;https://evil.example|your bank&gt;"),
    ("a & b", "a &amp; b"),
    ("&lt; already", "&amp;lt; already"),
])
def test_agent_text_can_never_become_a_mention_or_a_link(typed: str, sent: str) -> None:
    assert reply_text(typed) == sent
    assert "<" not in reply_text(typed)
    assert unescape(escape(typed)) == typed


def test_root_has_the_subject_the_text_the_agent_and_the_link() -> None:
    text = root_text(agent_name="Dana <Agent>", subject="Refund & chargeback", body="Please check <!here>",
                     url="https://app.example/acme/c/1?x=1&y=2")
    assert text.split("\n") == [
        "*Refund &amp; chargeback*",
        "",
        "Please check &lt;!here&gt;",
        "",
        "_Dana &lt;Agent&gt; started this side conversation in Atender_ · "
        "<https://app.example/acme/c/1?x=1&amp;y=2|Open the conversation>",
    ]


def test_root_without_subject_or_link() -> None:
    text = root_text(agent_name=None, subject=None, body="hello", url=None)
    assert text == "hello\n\n_An agent started this side conversation in Atender_"


def test_conversation_url_fills_the_template_or_is_absent() -> None:
    template = "https://app.atender.example/{account_id}/conversations/{conversation_id}#{side_conversation_id}"
    assert conversation_url(template, account_id="acme", conversation_id="c-1", side_conversation_id="slack-1") == \
        "https://app.atender.example/acme/conversations/c-1#slack-1"
    assert conversation_url(None, account_id="acme", conversation_id="c-1", side_conversation_id="s") is None
