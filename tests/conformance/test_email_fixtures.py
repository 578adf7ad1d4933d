"""The project's own e-mail fixtures (tests/fixtures/email, one folder per failure class), each in the
shape a named client produces, read as `ingest_email` reads them: the new reply text exactly, the
attachments, and for a bounce the failed recipient, the returned mail's Message-ID and the
diagnostic. `make bench` prints the same score (group 5, "reply text right")."""

from __future__ import annotations

import pytest

from bench.email_conformance import CLASSES, FIXTURES, Case, cases, problems

FIXTURE_CASES = [case for case in cases() if case.kind != "corpus"]


def test_every_fixture_has_an_expectation_and_each_class_five() -> None:
    on_disk = {str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*.eml")}
    assert on_disk == {case.name for case in FIXTURE_CASES}
    for kind in CLASSES[:-1]:
        assert sum(case.kind == kind for case in FIXTURE_CASES) >= 5, kind


def test_every_fixture_names_the_client_it_imitates() -> None:
    for case in FIXTURE_CASES:
        assert case.expected["client"]
        assert case.path.read_bytes().startswith(b"X-Fixture: imitates "), case.name


@pytest.mark.parametrize("case", FIXTURE_CASES, ids=[case.name for case in FIXTURE_CASES])
def test_fixture_reads_right(case: Case) -> None:
    assert list(problems(case)) == []
