"""Each function's role allows the actions it uses, on its own resources, and nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.components.store import ITEM_ACTIONS
from tests.infra.conftest import Synthesized, refs

pytestmark = pytest.mark.xdist_group("cdk")

LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}
XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
TABLE_RW = {f"dynamodb:{action}" for action in ITEM_ACTIONS}
SECRET = {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
CONSUME = {"sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl", "sqs:DeleteMessage",
           "sqs:GetQueueAttributes"}
STREAM = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}
BASE = LOGS | XRAY
# The workspaces' Slack tokens (KMS, under the service's encryption context only).
TOKENS = {"kms:Encrypt", "kms:Decrypt"}
SEND = {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}

# The sending-domain use cases (sideconv.email.senders), and nothing else of SES.
MANAGE_DOMAINS = {"ses:CreateEmailIdentity", "ses:GetEmailIdentity", "ses:DeleteEmailIdentity",
                  "ses:PutEmailIdentityMailFromAttributes", "ses:TagResource", "ses:CreateTenant", "ses:GetTenant",
                  "ses:CreateTenantResourceAssociation"}

EXPECTED_ACTIONS = {
    # Uploads (issue 16): the API signs the browser's POST (PutObject with its tagging), checks the object
    # (GetObject for its first KB, ListBucket so a missing one is a 404) and re-tags it.
    "Api": BASE | TABLE_RW | SECRET | TOKENS | SEND | MANAGE_DOMAINS | {"s3:GetObject", "s3:PutObject",
                                                                       "s3:PutObjectTagging", "s3:ListBucket"},
    "SendEmail": BASE | TABLE_RW | SECRET | CONSUME | {"ses:SendEmail", "ses:SendRawEmail", "ses:GetEmailIdentity",
                                                         "s3:GetObject"},
    "IngestEmail": BASE | TABLE_RW | SECRET | {"s3:GetObject", "s3:PutObject", "sqs:SendMessage"},
    "EmailEvents": BASE | TABLE_RW | {"sqs:SendMessage"},
    "SendSlack": BASE | TABLE_RW | SECRET | CONSUME | TOKENS | {"s3:GetObject"},
    "SlackEvents": BASE | SECRET | {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "sqs:SendMessage",
                                    "sqs:GetQueueAttributes", "sqs:GetQueueUrl"},
    "SlackProcessor": BASE | TABLE_RW | SECRET | CONSUME | TOKENS,
    "PublishEvents": BASE | TABLE_RW | STREAM | {"events:PutEvents", "sqs:SendMessage", "sqs:GetQueueAttributes",
                                                  "sqs:GetQueueUrl", "scheduler:CreateSchedule",
                                                  "scheduler:UpdateSchedule", "scheduler:DeleteSchedule",
                                                  "iam:PassRole"},
    "FollowUp": BASE | {"dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"},
    "RouteOutbox": BASE | {"sqs:SendMessage"},
    "Redrive": BASE | {"dynamodb:Query", "dynamodb:UpdateItem", "sqs:SendMessage",
                       "sqs:GetQueueAttributes", "sqs:GetQueueUrl"},
}


def _statements(synthesized: Synthesized, role_id: str) -> list[dict[str, Any]]:
    found = []
    for policy in synthesized.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    role = synthesized.resources[role_id]["Properties"]
    assert "ManagedPolicyArns" not in role, "no managed policies: every permission is written here"
    assert "Policies" not in role
    return found


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def _functions(synthesized: Synthesized) -> dict[str, Any]:
    return {function.node.id: function for function in synthesized.stack.functions}


def test_every_function_has_its_expected_actions_exactly(synthesized: Synthesized) -> None:
    functions = _functions(synthesized)
    assert set(functions) == set(EXPECTED_ACTIONS)
    for name, function in functions.items():
        statements = _statements(synthesized, synthesized.logical_id(function.role))
        granted = {action for statement in statements for action in _actions(statement)}
        assert granted == EXPECTED_ACTIONS[name], name


def test_no_wildcard_action_and_star_resource_only_for_xray(synthesized: Synthesized) -> None:
    for name, policy in synthesized.of_type("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            assert not any("*" in action for action in _actions(statement)), name
            if statement["Resource"] == "*" or "*" in (statement["Resource"] if isinstance(
                    statement["Resource"], list) else []):
                assert set(_actions(statement)) <= XRAY, (name, statement)


def _queues_of(synthesized: Synthesized, function: Any) -> set[str]:
    """Queues a function may touch: the one it consumes, its dead-letter queue, the one it feeds."""
    function_id = synthesized.logical_id(function)
    props = synthesized.resources[function_id]["Properties"]
    queues = refs(props.get("DeadLetterConfig", {})) | refs(props.get("Environment", {}).get("Variables", {}))
    for mapping in synthesized.of_type("AWS::Lambda::EventSourceMapping").values():
        if refs(mapping["Properties"]["FunctionName"]) == {function_id}:
            queues |= refs(mapping["Properties"]["EventSourceArn"])
            queues |= refs(mapping["Properties"].get("DestinationConfig", {}))
    return {q for q in queues if synthesized.resources.get(q, {}).get("Type") == "AWS::SQS::Queue"}


def test_every_statement_names_only_the_functions_own_resources(synthesized: Synthesized) -> None:
    stack = synthesized.stack
    table = synthesized.logical_id(stack.store.table)
    token_secret = synthesized.logical_id(stack.token_secret)
    bucket = synthesized.logical_id(stack.email.raw_mail)
    uploads = synthesized.logical_id(stack.uploads.bucket)
    config_set = synthesized.logical_id(stack.email.configuration_set)
    pseudo = {"AWS::Partition", "AWS::Region", "AWS::AccountId"}
    for name, function in _functions(synthesized).items():
        log_group = refs(synthesized.resources[synthesized.logical_id(function)]["Properties"]["LoggingConfig"])
        allowed = {"dynamodb": {table}, "logs": log_group, "sqs": _queues_of(synthesized, function),
                   "secretsmanager": {token_secret}, "s3": {bucket, uploads}, "ses": {config_set},
                   "events": {synthesized.logical_id(stack.publishing.bus)},
                   "scheduler": set(), "iam": {synthesized.logical_id(stack.follow_ups.scheduler_role)},
                   "kms": {synthesized.logical_id(stack.slack.token_key)}}
        for statement in _statements(synthesized, synthesized.logical_id(function.role)):
            service = _actions(statement)[0].split(":")[0]
            if service == "xray":
                continue
            assert refs(statement["Resource"]) - pseudo <= allowed[service], (name, statement)
            text = json.dumps(statement["Resource"])
            if service == "secretsmanager" and token_secret not in text:
                assert f"secret:{synthesized.context['slackSecretName']}-??????" in text, name
            if service == "s3":
                resources = statement["Resource"]
                resources = resources if isinstance(resources, list) else [resources]
                assert all("/inbound/*" in json.dumps(r) or "/attachments/*" in json.dumps(r)
                           or refs(r) == {uploads} for r in resources)
                if refs(resources) == {uploads} and _actions(statement) != ["s3:ListBucket"]:
                    assert all("/uploads/*" in json.dumps(r) for r in resources)
            if service == "ses":
                _owned_ses_resources(statement, synthesized.context["senderAddress"].split("@")[1])


def _owned_ses_resources(statement: dict[str, Any], sender_domain: str) -> None:
    """The shared identity and configuration set; the accounts' identities only by the tag the API puts on
    them; their tenants only by the stack's prefix. Never `*`, never an untagged identity by wildcard."""
    from sideconv.email import domains

    from infra.components.email import ACCOUNT_TAG, TENANT_PREFIX

    assert (ACCOUNT_TAG, TENANT_PREFIX) == (domains.ACCOUNT_TAG, domains.TENANT_PREFIX)
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    for resource in resources:
        text = json.dumps(resource)
        if ":identity/*" in text:
            conditions = json.dumps(statement.get("Condition", {}))
            assert f"aws:ResourceTag/{ACCOUNT_TAG}" in conditions or f"aws:RequestTag/{ACCOUNT_TAG}" in conditions
        elif ":tenant/" in text:
            assert f":tenant/{TENANT_PREFIX}*" in text
        else:
            assert f"identity/{sender_domain}" in text or "configuration-set" in text or "Ref" in text, text


def test_mail_objects_each_function_may_touch(synthesized: Synthesized) -> None:
    access: dict[str, set[str]] = {}
    for name, function in _functions(synthesized).items():
        for statement in _statements(synthesized, synthesized.logical_id(function.role)):
            for action in _actions(statement):
                if action.startswith("s3:"):
                    text = json.dumps(statement["Resource"])
                    access.setdefault(name, set()).update(
                        f"{action} {prefix}" for prefix in ("inbound/", "attachments/", "uploads/")
                        if f"/{prefix}*" in text)
    assert access == {
        "IngestEmail": {"s3:GetObject inbound/", "s3:PutObject attachments/"},
        "SendEmail": {"s3:GetObject attachments/", "s3:GetObject uploads/"},
        "SendSlack": {"s3:GetObject uploads/"},
        "Api": {"s3:GetObject inbound/", "s3:GetObject attachments/", "s3:PutObject attachments/",
                "s3:GetObject uploads/", "s3:PutObject uploads/", "s3:PutObjectTagging uploads/"},
    }


def test_slack_events_writes_only_slack_event_ids(synthesized: Synthesized) -> None:
    function = _functions(synthesized)["SlackEvents"]
    (statement,) = [s for s in _statements(synthesized, synthesized.logical_id(function.role))
                    if _actions(s)[0].startswith("dynamodb:") and "dynamodb:PutItem" in _actions(s)]
    assert statement["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["SLACKEVT#*"]}}


def test_the_pipe_reads_the_stream_and_invokes_only_the_router(synthesized: Synthesized) -> None:
    table = synthesized.logical_id(synthesized.stack.store.table)
    router = synthesized.logical_id(synthesized.stack.senders.route_outbox)
    (pipe,) = synthesized.of_type("AWS::Pipes::Pipe").values()
    statements = _statements(synthesized, refs(pipe["Properties"]["RoleArn"]).pop())
    by_action = {tuple(sorted(_actions(s))): s for s in statements}
    assert set(by_action) == {tuple(sorted(STREAM)), ("sqs:SendMessage",), ("lambda:InvokeFunction",)}
    assert by_action[tuple(sorted(STREAM))]["Resource"] == {"Fn::GetAtt": [table, "StreamArn"]}
    dead_letter = refs(pipe["Properties"]["SourceParameters"]["DynamoDBStreamParameters"]["DeadLetterConfig"])
    assert refs(by_action[("sqs:SendMessage",)]["Resource"]) == dead_letter
    assert refs(by_action[("lambda:InvokeFunction",)]["Resource"]) == {router} == refs(pipe["Properties"]["Target"])


def test_the_router_sends_only_to_the_outbox_queues(synthesized: Synthesized) -> None:
    senders = synthesized.stack.senders
    function = senders.route_outbox
    (send,) = [s for s in _statements(synthesized, synthesized.logical_id(function.role))
               if _actions(s) == ["sqs:SendMessage"]]
    assert refs(send["Resource"]) == {synthesized.logical_id(c.queue.queue) for c in senders.channels.values()}


def test_follow_up_schedules_live_in_the_stacks_group_and_invoke_only_follow_up(synthesized: Synthesized) -> None:
    follow_ups = synthesized.stack.follow_ups
    (group,) = synthesized.of_type("AWS::Scheduler::ScheduleGroup").values()
    publisher = _functions(synthesized)["PublishEvents"]
    statements = _statements(synthesized, synthesized.logical_id(publisher.role))
    (arming,) = [s for s in statements if _actions(s)[0].startswith("scheduler:")]
    assert f":schedule/{group['Properties']['Name']}/*" in json.dumps(arming["Resource"])
    (passing,) = [s for s in statements if _actions(s) == ["iam:PassRole"]]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}
    role = synthesized.logical_id(follow_ups.scheduler_role)
    trust = synthesized.resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [t["Principal"] for t in trust] == [{"Service": "scheduler.amazonaws.com"}]
    by_action = {tuple(_actions(s)): refs(s["Resource"]) for s in _statements(synthesized, role)}
    assert by_action == {("lambda:InvokeFunction",): {synthesized.logical_id(follow_ups.function)},
                         ("sqs:SendMessage",): {synthesized.logical_id(follow_ups.dead_letter_queue)}}
    variables = synthesized.resources[synthesized.logical_id(publisher)]["Properties"]["Environment"]["Variables"]
    assert refs(variables["FOLLOW_UP_DLQ_ARN"]) == {synthesized.logical_id(follow_ups.dead_letter_queue)}


def test_slack_tokens_are_used_only_under_the_services_encryption_context(synthesized: Synthesized) -> None:
    functions = _functions(synthesized)
    for name in ("Api", "SendSlack", "SlackProcessor"):
        statements = _statements(synthesized, synthesized.logical_id(functions[name].role))
        [kms] = [s for s in statements if set(_actions(s)) & TOKENS]
        assert kms["Condition"] == {"StringEquals": {"kms:EncryptionContext:service": "atender-side-conversations"}}
        assert "*" not in json.dumps(kms["Resource"]), name


def test_the_events_endpoint_reads_only_the_workspace_routing_items(synthesized: Synthesized) -> None:
    functions = _functions(synthesized)
    statements = _statements(synthesized, synthesized.logical_id(functions["SlackEvents"].role))
    [get] = [s for s in statements if "dynamodb:GetItem" in _actions(s)]
    assert _actions(get) == ["dynamodb:GetItem"]
    assert get["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["SLACKWS#*"]}}
