"""The new text of a reply, without quoted history or signature.

email-reply-parser (the Python port of GitHub's email_reply_parser) splits a mail into fragments and
flags each as quoted, signature or hidden; what is left visible is the reply. It keeps bottom-posted
text (a fragment after the quote stays visible), which the splitters that cut at the first quote
header lose. It knows English only, so a pre-pass does what needs the other languages
(`sideconv.email.reply_patterns`): an attribution paragraph ("On <date>, <name> wrote:", in any
language, possibly wrapped) directly above a "> " block goes with the quote; an attribution, an
Outlook reply header block or an "Original Message" banner above unmarked text ends the reply; and a
phone's or Outlook app's signature at the end goes.
"""

from __future__ import annotations

import re

from sideconv.email import reply_patterns as patterns

_QUOTED = re.compile(r"^\s*>")
_QUOTE_RUN = re.compile(r"^([ \t]*>[^\n]*\n)(?:[ \t]*>[^\n]*(?:\n|\Z))+", re.MULTILINE)
_BLANK = re.compile(r"^\s*$")
_ATTRIBUTION_HINT = re.compile(r"[@0-9]")
_WRAPPED_HINT = re.compile(r"[@0-9<]")  # Gmail wraps inside the address: "Dana <" + "d@x> wrote:"
_SENTENCE_END = (".", "!", "?", ":", "：", "。")
# Yahoo's plain part runs the quoted original on after its attribution: "… <d@x> wrote:   Hi, …".
_RUN_ON_ATTRIBUTION = re.compile(r"^(.{10,300}?[:：])[ \t]{2,}\S")
_SIGNATURE_RULE = re.compile(r"^\s*(?:--|__|—)\s*$")


def _attribution_start(lines: list[str], index: int, *, loose: bool) -> int | None:
    """Where the attribution ending at `lines[index]` starts (a client may wrap it onto a second
    line), or None when that line is no attribution. `loose`: directly above a quote, a line ending
    in ':' that names a date or an address is one too."""
    line = patterns.bare(lines[index])
    if not line.rstrip().endswith((":", "：")):
        return None
    previous = patterns.bare(lines[index - 1]) if index > 0 else ""
    alone = patterns.is_attribution(line)
    # Wrapped: the second line is no attribution alone ("30., H, 16:12):"), or the first does not end
    # a sentence ("On Mon, … Support <" + "support@example.com> wrote:").
    if previous.strip() and not _QUOTED.match(previous) and len(previous) < 200 \
            and _WRAPPED_HINT.search(previous) and patterns.is_attribution(f"{previous.strip()} {line.strip()}") \
            and (not alone or not previous.rstrip().endswith(_SENTENCE_END)):
        # Three lines: "On Wed, Dec 9, Mister Example" / "<mrmister@example.com>" / "wrote:".
        first = patterns.bare(lines[index - 2]) if index > 1 else ""
        if first.strip() and not _QUOTED.match(first) and len(first) < 200 \
                and not first.rstrip().endswith(_SENTENCE_END) and not patterns.is_attribution(previous) \
                and _ATTRIBUTION_HINT.search(first):
            return index - 2
        return index - 1
    wrapped = bool(previous.strip()) and not _QUOTED.match(previous) \
        and not previous.rstrip().endswith(_SENTENCE_END) and len(previous) < 200
    if alone:
        return index
    if loose:
        if wrapped and _ATTRIBUTION_HINT.search(previous):
            return index - 1
        if _ATTRIBUTION_HINT.search(line):
            return index
    return None


def _drop_attributions(text: str) -> str:
    """Remove the attribution line ending in ':' that sits directly above a quoted block.

    An attribution names a date, an address or says "wrote" ("You asked:" above a quote is the
    replier's own words and stays).
    """
    lines = text.split("\n")
    drop: set[int] = set()
    for index, line in enumerate(lines):
        if not _QUOTED.match(line) or (index > 0 and _QUOTED.match(lines[index - 1])):
            continue
        above = index - 1
        while above >= 0 and _BLANK.match(lines[above]) and index - above <= 2:
            above -= 1
        if above < 0:
            continue
        start = _attribution_start(lines, above, loose=True)
        if start is not None:
            drop.update(range(start, above + 1))
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def _header_block(lines: list[str], index: int) -> bool:
    """A From line with a Sent/To/Subject line close below it, or (Hotmail: "Date: / Subject: / From:")
    three header lines in a row, one of them a From line."""
    found = patterns.patterns()
    if found.header_from.match(lines[index]) is not None:
        return any(found.header_following.match(n) for n in lines[index + 1:index + 5])
    if found.header_following.match(lines[index]) is None:
        return False
    near = [n for n in lines[index:index + 5] if n.strip()][:4]
    fields = [n for n in near if found.header_from.match(n) or found.header_following.match(n)]
    return len(fields) >= 3 and any(found.header_from.match(n) for n in fields)


def _drop_banners(text: str) -> str:
    """Cut where the quoted original starts without "> " marks (Outlook, Yahoo, many phones): an
    "Original Message" banner, a reply header block ("From: / Sent:", in the languages Outlook
    writes them), or an attribution line ("… kirjoitti:") that names a date or an address, also one
    the original runs on after on the same line (Yahoo)."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if index == 0 or _QUOTED.match(line):
            continue
        if patterns.patterns().banner.match(line) or _header_block(lines, index):
            return "\n".join(lines[:index])
        if patterns.bare(line).rstrip().endswith((":", "：")):
            start = _attribution_start(lines, index, loose=False)
            strong = start is not None and _ATTRIBUTION_HINT.search(" ".join(lines[start:index + 1]))
            if strong and start is not None and start > 0:
                return "\n".join(lines[:start])
        run_on = _RUN_ON_ATTRIBUTION.match(patterns.bare(line))
        if run_on and patterns.is_attribution(run_on.group(1)) and _ATTRIBUTION_HINT.search(run_on.group(1)):
            return "\n".join(lines[:index])
    return text


def _collapse_quotes(text: str) -> str:
    """One line per run of quoted lines: they are dropped anyway, and the parser's cost grows with
    the text (a long thread quoted back is most of a 100 KB reply). One regex pass, in C."""
    return _QUOTE_RUN.sub(r"\1", text)


def _drop_signoff(text: str) -> str:
    """A phone's or Outlook app's signature at the end ("Enviado desde mi iPhone"), and a bare
    signature rule or separator left above it."""
    lines = text.rstrip().split("\n")
    while lines and (patterns.is_mobile_signature(lines[-1]) or _SIGNATURE_RULE.match(lines[-1])
                     or patterns.patterns().separator.match(lines[-1]) or _BLANK.match(lines[-1])):
        lines.pop()
    return "\n".join(lines)


def new_text(full: str) -> str:
    """The reply's own words; the full text when stripping would leave nothing."""
    from email_reply_parser import EmailReplyParser

    text = full.replace("\r\n", "\n").replace("\u00a0", " ")
    parsed = EmailReplyParser.read(_drop_banners(_drop_attributions(_collapse_quotes(text))))
    # Visible fragments are the answers between quoted ones (an inline reply): a paragraph each, as
    # the writer left a blank line around the quote (the parser's own `reply` joins them with one "\n").
    stripped = "\n\n".join(f.content for f in parsed.fragments if not (f.hidden or f.quoted))
    return _drop_signoff(stripped).strip() or full.strip()
