"""The function factory: every function gets the same runtime, architecture, logging, tracing and
layers, its own role and log group, and only the environment it reads."""

from __future__ import annotations

import pytest

from tests.infra.conftest import Synthesized, refs

pytestmark = pytest.mark.xdist_group("cdk")

SHARED_ENV = {"POWERTOOLS_SERVICE_NAME": "side-conversations",
              "POWERTOOLS_METRICS_NAMESPACE": "Atender/SideConversations", "ENVIRONMENT": "prod"}
EXPECTED_ENV = {
    "Api": {"TABLE_NAME", "TOKEN_SECRET_ARN", "INBOUND_DOMAIN", "RAW_MAIL_BUCKET", "RAW_MAIL_PREFIX",
            "SENDER_ADDRESS", "PYDANTIC_DISABLE_PLUGINS"},
    "SendEmail": {"TABLE_NAME", "TOKEN_SECRET_ARN", "SENDER_ADDRESS", "SENDER_NAME", "INBOUND_DOMAIN",
                  "SES_CONFIGURATION_SET", "CONVERSATION_URL_TEMPLATE", "RAW_MAIL_BUCKET"},
    "IngestEmail": {"TABLE_NAME", "TOKEN_SECRET_ARN", "INBOUND_DOMAIN", "RAW_MAIL_BUCKET", "RAW_MAIL_PREFIX",
                    "SENDER_ADDRESS"},
    "EmailEvents": {"TABLE_NAME"},
    "SendSlack": {"TABLE_NAME", "SLACK_SECRET_ARN", "CONVERSATION_URL_TEMPLATE"},
    "SlackEvents": {"TABLE_NAME", "SLACK_SECRET_ARN", "SLACK_EVENTS_QUEUE_URL"},
    "SlackProcessor": {"TABLE_NAME", "SLACK_SECRET_ARN"},
    "PublishEvents": {"TABLE_NAME", "EVENT_BUS_NAME"},
    "Redrive": {"TABLE_NAME", "OUTBOX_EMAIL_QUEUE_URL", "OUTBOX_SLACK_QUEUE_URL", "REDRIVE_AFTER_SECONDS"},
}


def test_every_function_is_built_the_same_way(synthesized: Synthesized) -> None:
    functions = synthesized.of_type("AWS::Lambda::Function")
    roles, log_groups = set(), set()
    for name, function in functions.items():
        props = function["Properties"]
        assert props["Runtime"] == "python3.12", name
        assert props["Architectures"] == ["arm64"], name
        assert props["Handler"] == "handler.lambda_handler", name
        assert props["TracingConfig"] == {"Mode": "Active"}, name
        assert props["LoggingConfig"]["LogFormat"] == "JSON", name
        assert len(props["Layers"]) == 2, name
        log_group = refs(props["LoggingConfig"]["LogGroup"]).pop()
        assert synthesized.resources[log_group]["Properties"]["RetentionInDays"] == 30
        roles.add(refs(props["Role"]).pop())
        log_groups.add(log_group)
    assert len(roles) == len(log_groups) == len(functions), "one role and one log group per function"


def test_every_function_gets_only_the_environment_it_reads(synthesized: Synthesized) -> None:
    for function in synthesized.stack.functions:
        props = synthesized.resources[synthesized.logical_id(function)]["Properties"]
        variables = props["Environment"]["Variables"]
        assert {k: variables[k] for k in SHARED_ENV} == SHARED_ENV
        assert set(variables) - set(SHARED_ENV) == EXPECTED_ENV[function.node.id], function.node.id


def test_layers_are_for_the_functions_runtime_and_architecture(synthesized: Synthesized) -> None:
    layers = synthesized.of_type("AWS::Lambda::LayerVersion")
    assert len(layers) == 2
    for layer in layers.values():
        assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]
        assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
