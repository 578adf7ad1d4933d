"""The project's e-mail fixtures that are replies (every class but bounces), delivered through the
receiving path (raw mail in S3 + SES receipt event → ingest_email) to a live reply address: each is
appended with its expected new text, its attachments stored, and its full text reachable ("show
quoted text") from what was kept."""

from __future__ import annotations

import pytest

from bench.email_conformance import Case, _texts, cases
from tests.conformance.test_email_corpus import readdress
from tests.email_support import BASE, EmailWorld, shared_email_world_fixture  # noqa: F401

# Bounces and automatic notices (a `bounce` expectation, even null) are not appended as replies.
REPLIES = [case for case in cases() if case.kind != "corpus" and "bounce" not in case.expected]


@pytest.mark.parametrize("case", REPLIES, ids=[case.name for case in REPLIES])
def test_fixture_is_appended_with_its_new_text(case: Case, shared_email_world: EmailWorld) -> None:
    world = shared_email_world
    # Given a side conversation whose first mail went out
    started = world.start()
    world.send()
    reply_to = started["email"]["reply_to"]
    # When the fixture arrives for its reply address
    result = world.deliver(readdress(case.path.read_bytes(), reply_to), [reply_to])
    # Then it is appended with exactly its new text
    assert result["outcome"] == "appended", result
    [reply] = [m for m in world.thread(started["id"])["messages"] if m["direction"] == "inbound"]
    body = reply["body"].replace("\u00a0", " ")
    wanted = [case.expected["expect"]] if "expect" in case.expected else _texts(case.expected.get("contains"))
    if "expect" in case.expected:
        assert body == case.expected["expect"]
    assert all(part in body for part in wanted), body
    assert [a["name"] for a in reply["attachments"]] == case.expected.get("attachments", [])
    # And the full text, quoted history included, comes from what was kept
    status, _, original = world.api("GET", f"{BASE}/{started['id']}/messages/{reply['id']}/original")
    assert status == 200
    full = original["full_text"].replace("\u00a0", " ")
    for line in "\n".join(wanted).split("\n"):
        assert line.strip() in full
    if reply["has_quoted_text"]:
        assert len(full) > len(reply["body"])
