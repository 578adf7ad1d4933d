"""Property-based tests of the inbound HTML sanitizer (sideconv.sanitize, nh3): whatever HTML a mail
carries, what is left is structure and text only."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from sideconv import sanitize

FUZZ = settings(max_examples=500, deadline=None, derandomize=True, database=None)
PIECES = st.sampled_from([
    "<", ">", "&", "&lt;", "&gt;", "<script>", "</script>", "<scr<script>ipt>", "<img src=x onerror=alert(1)>",
    "<p>", "</p>", "<blockquote>", "</blockquote>", "<a href='javascript:alert(1)'>", "</a>", "<!--", "-->",
    "<![CDATA[", "<svg/onload=alert(1)>", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=//evil.example>", "<style>*{}</style>", "<form action=//evil><input>", "<div style='x'>",
    "<base href=//evil>", "<meta http-equiv=refresh content=0;url=//evil>", "\"", "'", "=", "/", " ", "alert(1)",
])
HOSTILE = st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=40).map("".join)
TAG = re.compile(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9]*)([^>]*)>")


@FUZZ
@given(markup=HOSTILE)
def test_only_structure_and_text_survive(markup: str) -> None:
    # Given any HTML a mail could carry, when it is sanitized
    cleaned = sanitize.html(markup)
    # Then every tag left is a structural one, with no attribute at all
    for name, attributes in TAG.findall(cleaned):
        assert name.lower() in sanitize.STRUCTURE, cleaned
        assert attributes.strip() in ("", "/"), cleaned
    # and sanitizing again changes nothing
    assert sanitize.html(cleaned) == cleaned


def test_scripts_handlers_and_links_are_gone_text_and_quotes_stay() -> None:
    hostile = ("<p>Approved<script>alert(1)</script><img src=x onerror=alert(1)>"
               "<a href=\"javascript:alert(1)\">here</a></p><blockquote>On Monday you wrote</blockquote>")
    cleaned = sanitize.html(hostile)
    assert "alert" not in cleaned
    assert "javascript" not in cleaned
    assert cleaned == "<p>Approved<a>here</a></p><blockquote>On Monday you wrote</blockquote>"
