"""docs/RUNBOOK.md has an entry for every alarm the synthesized template defines, so the person it pages
finds what it means and what to do."""

from __future__ import annotations

import re

import pytest

from tests.infra.conftest import ROOT, Synthesized

pytestmark = pytest.mark.xdist_group("cdk")


def _runbook_names() -> list[str]:
    """The alarm names in the first column of RUNBOOK.md's alarm table (`<Function>` stands for any)."""
    text = (ROOT / "docs" / "RUNBOOK.md").read_text()
    table = text.split("## The alarms", 1)[1].split("\n## ", 1)[0]
    names: list[str] = []
    for line in table.splitlines():
        cells = line.split("|")
        if len(cells) > 2 and not set(cells[1].strip()) <= {"-"}:
            names += re.findall(r"`([^`]+)`", cells[1])
    return names


def _documented(alarm: str, names: list[str]) -> bool:
    for name in names:
        pattern = re.escape(name).replace(re.escape("<Function>"), r"[A-Za-z0-9]+")
        if re.fullmatch(pattern, alarm):
            return True
    return False


def test_every_alarm_of_the_template_has_a_runbook_entry(every_variant: Synthesized) -> None:
    stack = every_variant.stack
    by_id = {every_variant.logical_id(alarm): alarm.node.id for alarm in stack.monitoring.alarms}
    # Every alarm of the template is one of Monitoring's: none escapes the check below.
    assert set(by_id) == set(every_variant.of_type("AWS::CloudWatch::Alarm"))
    names = _runbook_names()
    assert names, "RUNBOOK.md has no alarm table"
    missing = sorted(name for name in by_id.values() if not _documented(name, names))
    assert missing == [], f"alarms without a RUNBOOK.md entry: {missing}"


def test_the_runbook_names_no_alarm_the_template_lacks(every_variant: Synthesized) -> None:
    # A renamed alarm would leave its old entry behind; `<Function>` rows match some function's alarm.
    ids = [alarm.node.id for alarm in every_variant.stack.monitoring.alarms]
    stale = [name for name in _runbook_names() if not any(_documented(i, [name]) for i in ids)]
    assert stale == []
