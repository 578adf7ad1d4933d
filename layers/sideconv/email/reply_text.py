"""The new text of a reply, without quoted history or signature.

email-reply-parser (the Python port of GitHub's email_reply_parser) splits a mail into fragments and
flags each as quoted, signature or hidden; what is left visible is the reply. It keeps bottom-posted
text (a fragment after the quote stays visible), which the splitters that cut at the first quote
header lose. One pre-pass helps it: an attribution paragraph ("On <date>, <name> wrote:", in any
language, possibly wrapped) directly above a "> " block belongs to the quote, so it goes with it.
"""

from __future__ import annotations

import re

_QUOTED = re.compile(r"^\s*>")
_QUOTE_RUN = re.compile(r"^([ \t]*>[^\n]*\n)(?:[ \t]*>[^\n]*(?:\n|\Z))+", re.MULTILINE)
_BLANK = re.compile(r"^\s*$")
_ATTRIBUTION_HINT = re.compile(
    r"[@0-9]|\b(wrote|writes|schrieb|a écrit|escribió|ha scritto|schreef|skrev|napisał|написал|написала)\b",
    re.IGNORECASE)
# Forwarded/quoted blocks that carry no "> " (Yahoo, Outlook in plain text).
_HEADER_FROM = re.compile(r"^\s*\*?(From|Von|De|Da|Van|Från|Fra|Od|От)\s?:\*?\s+\S", re.IGNORECASE)
_HEADER_SENT = re.compile(r"^\s*\*?(Sent|Date|Gesendet|Datum|Envoyé|Date d'envoi|Enviado|Inviato|Verzonden|"
                          r"Skickat|Sendt|Wysłano|Отправлено)\s?:\*?\s+\S", re.IGNORECASE)
_QUOTE_BANNER = re.compile(r"^\s*-{2,}\s*(original message|on .+ wrote:?)\s*-*\s*$", re.IGNORECASE)


def _drop_attributions(text: str) -> str:
    """Remove the attribution line ending in ':' that sits directly above a quoted block.

    An attribution names a date, an address or says "wrote" ("You asked:" above a quote is the
    replier's own words and stays). Clients wrap long ones onto a second line.
    """
    lines = text.split("\n")
    drop: set[int] = set()
    for index, line in enumerate(lines):
        if not _QUOTED.match(line) or (index > 0 and _QUOTED.match(lines[index - 1])):
            continue
        above = index - 1
        while above >= 0 and _BLANK.match(lines[above]) and index - above <= 2:
            above -= 1
        if above < 0 or not lines[above].rstrip().endswith(":"):
            continue
        start = above
        if start > 0 and _ATTRIBUTION_HINT.search(lines[start - 1]) \
                and not lines[start - 1].rstrip().endswith((".", "!", "?", ":")):
            start -= 1
        if _ATTRIBUTION_HINT.search(" ".join(lines[start:above + 1])):
            drop.update(range(start, above + 1))
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def _drop_banners(text: str) -> str:
    """Cut at a "--- On <date>, x wrote:" or "----- Original Message -----" banner line, or at an
    Outlook header block ("From: / Sent:", in the languages Outlook writes them): what follows is
    the quoted original, which Outlook never marks with "> "."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if index == 0:
            continue
        if _QUOTE_BANNER.match(line):
            return "\n".join(lines[:index])
        if _HEADER_FROM.match(line) and any(_HEADER_SENT.match(n) for n in lines[index + 1:index + 4]):
            return "\n".join(lines[:index])
    return text


def _collapse_quotes(text: str) -> str:
    """One line per run of quoted lines: they are dropped anyway, and the parser's cost grows with
    the text (a long thread quoted back is most of a 100 KB reply). One regex pass, in C."""
    return _QUOTE_RUN.sub(r"\1", text)


def new_text(full: str) -> str:
    """The reply's own words; the full text when stripping would leave nothing."""
    from email_reply_parser import EmailReplyParser

    text = full.replace("\r\n", "\n").replace("\u00a0", " ")
    stripped = EmailReplyParser.parse_reply(_drop_banners(_drop_attributions(_collapse_quotes(text)))).strip()
    return stripped or full.strip()
