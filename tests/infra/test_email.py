"""Inbound mail: stored first (encrypted, TLS-only bucket only this rule may write), then ingested;
bounces and complaints reach their handler."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import Synthesized, refs

pytestmark = pytest.mark.xdist_group("cdk")


def test_the_receipt_rule_stores_then_invokes_ingest_email(synthesized: Synthesized) -> None:
    (rule,) = synthesized.of_type("AWS::SES::ReceiptRule").values()
    props = rule["Properties"]["Rule"]
    assert props["Recipients"] == ["reply.acme.example"]
    assert props["Enabled"] is True
    assert props["ScanEnabled"] is True
    s3_action, lambda_action = props["Actions"]
    assert list(s3_action) == ["S3Action"]
    assert list(lambda_action) == ["LambdaAction"]
    assert refs(s3_action["S3Action"]["BucketName"]) == {synthesized.logical_id(synthesized.stack.email.raw_mail)}
    assert s3_action["S3Action"]["ObjectKeyPrefix"] == "inbound/"
    assert refs(lambda_action["LambdaAction"]["FunctionArn"]) == {
        synthesized.logical_id(synthesized.stack.email.ingest_email)}
    assert lambda_action["LambdaAction"]["InvocationType"] == "Event"
    # SES verifies its permissions when the rule is created: the bucket policy and the invoke
    # permission exist first.
    depends = set(rule.get("DependsOn", []))
    assert any(synthesized.resources[d]["Type"] == "AWS::S3::BucketPolicy" for d in depends)
    assert any(synthesized.resources[d]["Type"] == "AWS::Lambda::Permission" for d in depends)


def test_the_raw_mail_bucket_is_private_encrypted_tls_only_and_expires_mail(synthesized: Synthesized) -> None:
    bucket_id = synthesized.logical_id(synthesized.stack.email.raw_mail)
    props = synthesized.resources[bucket_id]["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-raw-mail"]["Prefix"] == "inbound/"
    assert rules["expire-raw-mail"]["ExpirationInDays"] == synthesized.context["rawMailRetentionDays"]
    assert "LoggingConfiguration" in props


def test_only_this_accounts_receipt_rule_may_write_mail(synthesized: Synthesized) -> None:
    bucket_id = synthesized.logical_id(synthesized.stack.email.raw_mail)
    (policy,) = [p for p in synthesized.of_type("AWS::S3::BucketPolicy").values()
                 if refs(p["Properties"]["Bucket"]) == {bucket_id}]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    deny_plain_http = [s for s in statements if s["Effect"] == "Deny"]
    assert deny_plain_http[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (ses,) = [s for s in statements if s.get("Principal") == {"Service": "ses.amazonaws.com"}]
    assert ses["Action"] == "s3:PutObject"
    conditions = ses["Condition"]["StringEquals"]
    assert conditions["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert json.dumps(conditions["aws:SourceArn"]).endswith(
        'receipt-rule-set/AtenderSideConversations-inbound:receipt-rule/store-then-ingest"]]}')
    assert "/inbound/*" in json.dumps(ses["Resource"])


def test_ses_may_invoke_ingest_email_from_its_rule_only(synthesized: Synthesized) -> None:
    function_id = synthesized.logical_id(synthesized.stack.email.ingest_email)
    (permission,) = [p["Properties"] for p in synthesized.of_type("AWS::Lambda::Permission").values()
                     if p["Properties"]["Principal"] == "ses.amazonaws.com"]
    assert refs(permission["FunctionName"]) == {function_id}
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert "receipt-rule/store-then-ingest" in json.dumps(permission["SourceArn"])


def test_bounces_and_complaints_are_published_to_email_events(synthesized: Synthesized) -> None:
    (destination,) = synthesized.of_type("AWS::SES::ConfigurationSetEventDestination").values()
    props = destination["Properties"]["EventDestination"]
    assert {"bounce", "complaint"} <= set(props["MatchingEventTypes"])
    topic_id = refs(props["SnsDestination"]["TopicARN"]).pop()
    assert "KmsMasterKeyId" in synthesized.resources[topic_id]["Properties"]
    (subscription,) = synthesized.of_type("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "lambda"
    assert refs(subscription["Properties"]["TopicArn"]) == {topic_id}
    assert refs(subscription["Properties"]["Endpoint"]) == {
        synthesized.logical_id(synthesized.stack.email.email_events)}


def test_a_new_identity_is_created_for_the_sender_domain_when_none_is_named(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties("AWS::SES::EmailIdentity", {"EmailIdentity": "acme.example"})
