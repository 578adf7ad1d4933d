"""Readable text from an HTML-only mail, with the standard library's HTML parser.

Quoted history (`<blockquote>`) comes out prefixed with "> ", as a text part would carry it, so the
one reply stripper handles both kinds of mail.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr",
                    "pre", "ul", "ol", "section", "article", "header", "footer"})
_SKIP = frozenset({"script", "style", "head", "title", "template"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.quote = 0
        self.skip = 0

    def _newline(self) -> None:
        self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "blockquote":
            self._newline()
            self.quote += 1
        elif tag in _BLOCK:
            self._newline()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr", "p", "div"):
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
            self._newline()
        elif tag in _BLOCK and tag != "br":
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        text = re.sub(r"[ \t\r\n\f\u00a0]+", " ", data)
        if not text.strip() and not self.lines[-1]:
            return
        if not self.lines[-1] and self.quote:
            self.lines[-1] = "> " * self.quote
            text = text.lstrip()
        self.lines[-1] += text


# Where clients put the quoted original: Gmail, Yahoo, Thunderbird, Outlook (web and desktop), Apple Mail.
_QUOTE_START = re.compile(
    r"<(?:blockquote\b|div\b[^>]*(?:gmail_quote|yahoo_quoted|moz-cite-prefix|divRplyFwdMsg|appendonsend|"
    r"OutlookMessageHeader|x_divRplyFwdMsg))", re.IGNORECASE)


def cut_html_quote(markup: str) -> str | None:
    """The markup before the first quote container, or None when there is none (or nothing before it)."""
    found = _QUOTE_START.search(markup)
    if found is None:
        return None
    head = markup[:found.start()]
    return head if re.search(r">[^<]*\w", head) else None


def html_to_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    lines = [line.rstrip() for line in parser.lines]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
