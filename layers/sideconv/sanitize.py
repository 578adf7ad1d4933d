"""HTML from outside, made harmless before anything reads it: nh3 (the Ammonia sanitizer).

The API never returns HTML: an HTML-only mail is turned into text when it arrives, and every body the
API returns is plain text that clients show as text (the panel sets `textContent`). Before that
conversion, the mail's HTML goes through nh3 with only structural tags allowed and no attributes:
scripts, styles, frames and objects go with their content, other tags (svg, forms) go but keep their
text, and event handlers and `javascript:` links go with every attribute. Parser tricks
(`<scr<script>ipt>`, unclosed comments, SVG/MathML namespace confusion) are resolved the way a browser
would, by a maintained HTML5 parser, before the text extractor sees the markup.
"""

from __future__ import annotations

# What the text extractor needs to keep paragraphs, lines, lists, tables and quoted history apart.
STRUCTURE = frozenset({"p", "div", "br", "tr", "td", "th", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
                       "thead", "tbody", "hr", "pre", "ul", "ol", "blockquote", "section", "article", "header",
                       "footer", "span", "b", "i", "em", "strong", "a", "code"})
# Dropped with everything inside them, not just their tags.
DROP_WITH_CONTENT = frozenset({"script", "style", "template", "noscript", "iframe", "object", "embed", "head",
                               "title", "select", "textarea"})


# Kept for the text extractor alone, which never writes HTML back: class, id, name and data-marker say
# where a client put the quoted original or the signature (`gmail_quote`, `divRplyFwdMsg`, Spark's
# `messageReplySection`, Zimbra's `__QUOTED_TEXT__`), `type="cite"` a quotation.
MARKERS = {"div": {"class", "id", "name", "data-marker"}, "span": {"class", "id"},
           "blockquote": {"class", "id", "type"}, "pre": {"class", "id"}, "hr": {"id"}}


def html(markup: str) -> str:
    """The mail's HTML with only structure left: no script, style, handler, link target or attribute."""
    return _clean(markup, {})


def html_for_text(markup: str) -> str:
    """As `html`, keeping the class, id and type attributes that mark quotes and signatures: input for
    `sideconv.email.html_text` only, never shown or returned as HTML."""
    return _clean(markup, MARKERS)


def _clean(markup: str, attributes: dict[str, set[str]]) -> str:
    import nh3

    return str(nh3.clean(markup, tags=set(STRUCTURE), clean_content_tags=set(DROP_WITH_CONTENT),
                         attributes={tag: set(names) for tag, names in attributes.items()},
                         url_schemes=set(), strip_comments=True, link_rel=None))
