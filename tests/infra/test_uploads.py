"""Outbound attachments' bucket (issue 16): private, TLS only, logged, CORS for browser POSTs only, and
a lifecycle that expires what was never attached."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import Synthesized, refs

pytestmark = pytest.mark.xdist_group("cdk")


def test_the_uploads_bucket_takes_browser_posts_and_expires_what_was_never_attached(synthesized: Synthesized) -> None:
    bucket_id = synthesized.logical_id(synthesized.stack.uploads.bucket)
    props = synthesized.resources[bucket_id]["Properties"]
    assert props["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    assert "LoggingConfiguration" in props
    (cors,) = props["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedMethods"] == ["POST"]
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-never-attached"]["ExpirationInDays"] == 1
    assert rules["expire-never-attached"]["Prefix"] == "uploads/"
    assert rules["expire-never-attached"]["TagFilters"] == [{"Key": "sideconv-upload", "Value": "pending"}]
    assert rules["expire-uploads"]["ExpirationInDays"] == synthesized.context["rawMailRetentionDays"]


def test_the_api_and_both_senders_know_the_uploads_bucket(synthesized: Synthesized) -> None:
    stack = synthesized.stack
    bucket_id = synthesized.logical_id(stack.uploads.bucket)
    for function in (stack.api.function, stack.senders.senders["email"], stack.senders.senders["slack"]):
        env = synthesized.resources[synthesized.logical_id(function)]["Properties"]["Environment"]["Variables"]
        assert refs(env["UPLOADS_BUCKET"]) == {bucket_id}, function.node.path


def test_the_bucket_policy_refuses_plain_http(synthesized: Synthesized) -> None:
    bucket_id = synthesized.logical_id(synthesized.stack.uploads.bucket)
    (policy,) = [p for p in synthesized.of_type("AWS::S3::BucketPolicy").values()
                 if refs(p["Properties"]["Bucket"]) == {bucket_id}]
    assert '"aws:SecureTransport": "false"' in json.dumps(policy)
