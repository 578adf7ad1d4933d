"""cdk-nag's AwsSolutions pack finds nothing unacknowledged, and every acknowledgment sits on the
construct it is about (never on the stack or the app), with a reason."""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack, Validations

from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.xdist_group("cdk")


def test_aws_solutions_finds_nothing_unacknowledged(synthesized: Synthesized) -> None:
    from cdk_nag import AwsSolutionsChecks

    report = AwsSolutionsChecks().validate_scope(synthesized.app)
    findings = [f"{v.rule_name} at {[r.construct_path for r in v.violating_resources]}" for v in report.violations]
    assert findings == []
    assert report.success


def test_each_acknowledgment_is_on_its_own_construct_with_a_reason(synthesized: Synthesized) -> None:
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    acknowledged = 0
    for construct in synthesized.app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type != key:
                continue
            assert not isinstance(construct, App | Stack), f"stack-wide acknowledgment {entry.data}"
            for rule, reason in entry.data.items():
                acknowledged += 1
                assert "AwsSolutions-" in rule
                assert len(reason) > 30, f"{rule} on {construct.node.path} needs a real reason"
    assert acknowledged > 0
