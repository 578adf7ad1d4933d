"""Text between agents and Slack: escaping, the thread's root post, and Slack text back to plain text."""

from __future__ import annotations

from collections.abc import Sequence

from sideconv.context import Quoted

# Slack's control sequences all start with "<" (<!channel>, <!here>, <@U123>, <#C123>, <url|label>);
# escaping these three characters is what Slack documents, and enough to make typed text inert.
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))


def escape(text: str) -> str:
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text


def unescape(text: str) -> str:
    for raw, escaped in reversed(_ESCAPES):
        text = text.replace(escaped, raw)
    return text


def conversation_url(template: str | None, *, account_id: str, conversation_id: str,
                     side_conversation_id: str) -> str | None:
    """The customer conversation in the helpdesk, from CONVERSATION_URL_TEMPLATE
    (placeholders {account_id}, {conversation_id}, {side_conversation_id})."""
    if not template:
        return None
    return template.format(account_id=account_id, conversation_id=conversation_id,
                           side_conversation_id=side_conversation_id)


def quote(context: Sequence[Quoted]) -> str:
    """Quoted messages as Slack block quotes: the attribution in italics, each line after '>'. The text
    is escaped, so a customer's '<!channel>' or '<script>' stays text."""
    blocks = []
    for message in context:
        lines = [f"_{escape(message.attribution())}_"]
        lines += [f">{escape(line)}" for line in message.body.splitlines() or [""]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def root_text(*, agent_name: str | None, subject: str | None, body: str, url: str | None,
              context: Sequence[Quoted] = ()) -> str:
    """The thread's first post: the subject, the agent's text and its quote, who sent it and the way back."""
    lines = []
    if subject:
        lines += [f"*{escape(subject)}*", ""]
    lines.append(escape(body))
    if context:
        lines += ["", quote(context)]
    footer = f"_{escape(agent_name or 'An agent')} started this side conversation in Atender_"
    if url:
        footer += f" · <{escape(url)}|Open the conversation>"
    lines += ["", footer]
    return "\n".join(lines)


def reply_text(body: str, context: Sequence[Quoted] = ()) -> str:
    return f"{escape(body)}\n\n{quote(context)}" if context else escape(body)
