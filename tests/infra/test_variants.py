"""The other way a user may configure the stack (tests/infra/conftest.py ENVIRONMENT_BOUND): an existing SES
identity, data not retained, the panel, an on-call topic, and a concrete account and region (what
`cdk deploy` synthesizes with)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.xdist_group("cdk")


@pytest.fixture
def variant(environment_bound: Synthesized) -> tuple[Any, dict[str, Any]]:
    return environment_bound.app, environment_bound.resources


def test_data_is_deleted_with_the_stack_when_not_retained(variant: tuple[Any, dict[str, Any]]) -> None:
    _, resources = variant
    (table,) = [r for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert table["DeletionPolicy"] == "Delete"
    assert table["Properties"]["DeletionProtectionEnabled"] is False
    # Point-in-time recovery stays on either way.
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_an_existing_identity_is_referenced_not_created(variant: tuple[Any, dict[str, Any]]) -> None:
    _, resources = variant
    assert not [r for r in resources.values() if r["Type"] == "AWS::SES::EmailIdentity"]
    statements = [s for r in resources.values() if r["Type"] == "AWS::IAM::Policy"
                  for s in r["Properties"]["PolicyDocument"]["Statement"] if s["Action"][0].startswith("ses:")]
    assert statements
    # The shared identity is the one named; the accounts' own domains are reached only by their tag
    # (tests/infra/test_iam.py checks those), and their tenants by the stack's prefix.
    resources = [json.dumps(r) for s in statements
                 for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])]
    identities = [r for r in resources if ":identity/" in r and "identity/*" not in r]
    assert identities
    assert all("identity/mail.acme.example" in r for r in identities)


def test_aws_solutions_finds_nothing_in_an_environment_bound_stack(variant: tuple[Any, dict[str, Any]]) -> None:
    from cdk_nag import AwsSolutionsChecks

    app, _ = variant
    report = AwsSolutionsChecks().validate_scope(app)
    assert [v.rule_name for v in report.violations] == []


def test_the_panel_is_served_by_cloudfront_when_asked(variant: tuple[Any, dict[str, Any]]) -> None:
    _, resources = variant
    (distribution,) = [r for r in resources.values() if r["Type"] == "AWS::CloudFront::Distribution"]
    config = distribution["Properties"]["DistributionConfig"]
    assert "/v1/*" in [b["PathPattern"] for b in config.get("CacheBehaviors", [])]
    buckets = [r for r in resources.values() if r["Type"] == "AWS::S3::Bucket"]
    assert buckets
    for bucket in buckets:
        assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True}
    headers = json.dumps([r for r in resources.values() if r["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"])
    assert "https://app.acme.example" in headers


def test_no_panel_unless_asked() -> None:
    from tests.infra.conftest import ROOT as root

    assert json.loads((root / "cdk.json").read_text())["context"].get("deployPanel", False) in (False, "false")
