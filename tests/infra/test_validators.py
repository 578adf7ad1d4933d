"""Third-party validators over every synthesized variant: cfn-lint finds nothing unacknowledged, and
each acknowledgment sits on its resource with a reason (as cdk-nag's do, tests/infra/test_nag.py).

checkov is not run: every release of it pins boto3 to a version older than this project's lock.
"""

from __future__ import annotations

import json

import pytest

from infra.components.nag import LINT_REASONS
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.xdist_group("cdk")


def test_cfn_lint_finds_nothing_unacknowledged(every_variant: Synthesized) -> None:
    from cfnlint.api import lint

    template = every_variant.template.to_json()
    findings = lint(json.dumps(template), regions=[every_variant.region])
    assert [f"{m.rule.id} {'/'.join(map(str, m.path))}: {m.message}" for m in findings] == []


def test_each_cfn_lint_acknowledgment_is_on_its_resource_with_a_reason(every_variant: Synthesized) -> None:
    template = every_variant.template.to_json()
    assert "cfn-lint" not in template.get("Metadata", {}), "no template-wide acknowledgment"
    acknowledged = 0
    for name, resource in template["Resources"].items():
        metadata = resource.get("Metadata", {})
        ignored = metadata.get("cfn-lint", {}).get("config", {}).get("ignore_checks", [])
        reasons = metadata.get(LINT_REASONS, {})
        for rule in ignored:
            acknowledged += 1
            assert len(reasons.get(f"cfn-lint {rule}", "")) > 30, f"{rule} on {name} needs a real reason"
    assert acknowledged > 0
