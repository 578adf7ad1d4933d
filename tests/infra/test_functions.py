"""The function factory: every function gets the same runtime, architecture, logging, tracing and
layers, its own role and log group, and only the environment it reads."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.infra.conftest import ROOT, Synthesized, refs

pytestmark = pytest.mark.xdist_group("cdk")

SHARED_ENV = {"POWERTOOLS_SERVICE_NAME": "side-conversations",
              "POWERTOOLS_METRICS_NAMESPACE": "Atender/SideConversations", "ENVIRONMENT": "prod"}
EXPECTED_ENV = {
    "Api": {"TABLE_NAME", "TOKEN_SECRET_ARN", "INBOUND_DOMAIN", "RAW_MAIL_BUCKET", "RAW_MAIL_PREFIX",
            "SENDER_ADDRESS", "PYDANTIC_DISABLE_PLUGINS", "UPLOADS_BUCKET",
            # Sending domains: the sender's name on an account's first sender, the configuration set its
            # identities and tenant are given (sideconv.email.senders).
            "SENDER_NAME", "SES_CONFIGURATION_SET",
            # Slack workspaces per account: the app's OAuth client, the token key, the directory refresh
            # queue, where the OAuth callback sends the admin back (SLACK_REDIRECT_URI when set in context).
            "SLACK_SECRET_ARN", "SLACK_TOKEN_KEY_ID", "SLACK_EVENTS_QUEUE_URL", "SLACK_CONNECTIONS_URL"},
    "SendEmail": {"TABLE_NAME", "TOKEN_SECRET_ARN", "SENDER_ADDRESS", "SENDER_NAME", "INBOUND_DOMAIN",
                  "SES_CONFIGURATION_SET", "CONVERSATION_URL_TEMPLATE", "RAW_MAIL_BUCKET", "UPLOADS_BUCKET"},
    "IngestEmail": {"TABLE_NAME", "TOKEN_SECRET_ARN", "INBOUND_DOMAIN", "RAW_MAIL_BUCKET", "RAW_MAIL_PREFIX",
                    "SENDER_ADDRESS"},
    "EmailEvents": {"TABLE_NAME"},
    "SendSlack": {"TABLE_NAME", "SLACK_SECRET_ARN", "CONVERSATION_URL_TEMPLATE", "UPLOADS_BUCKET",
                  "SLACK_TOKEN_KEY_ID"},
    "SlackEvents": {"TABLE_NAME", "SLACK_SECRET_ARN", "SLACK_EVENTS_QUEUE_URL"},
    "SlackProcessor": {"TABLE_NAME", "SLACK_SECRET_ARN", "SLACK_TOKEN_KEY_ID", "SLACK_EVENTS_QUEUE_URL"},
    "PublishEvents": {"TABLE_NAME", "EVENT_BUS_NAME", "FOLLOW_UP_SCHEDULE_GROUP", "FOLLOW_UP_FUNCTION_ARN",
                      "FOLLOW_UP_SCHEDULER_ROLE_ARN", "FOLLOW_UP_DLQ_ARN"},
    "FollowUp": {"TABLE_NAME"},
    "RouteOutbox": {"OUTBOX_EMAIL_QUEUE_URL", "OUTBOX_SLACK_QUEUE_URL"},
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


# Settings whose default suits only the local stack: a deployed function that reads one must be given it.
# (The others have defaults that are right in AWS, are optional, or come from the Slack secret.)
LOCAL_DEFAULT_ONLY = {"TABLE_NAME", "SENDER_ADDRESS", "SENDER_NAME", "INBOUND_DOMAIN", "RAW_MAIL_BUCKET",
                      "UPLOADS_BUCKET", "RAW_MAIL_PREFIX", "SLACK_SECRET_ARN", "SLACK_EVENTS_QUEUE_URL",
                      "EVENT_BUS_NAME"}


def _setting_variables() -> dict[str, set[str]]:
    """Each Settings field and the variables `from_env()` reads it from."""
    tree = ast.parse((ROOT / "layers" / "sideconv" / "config.py").read_text())
    found: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg:
            names = {n.value for n in ast.walk(node.value) if isinstance(n, ast.Constant)
                     and isinstance(n.value, str) and re.fullmatch(r"[A-Z][A-Z0-9_]+", n.value)}
            if names:
                found[node.arg] = names
    return found


def _reachable_sources(handler: Path) -> list[Path]:
    """The handler and every sideconv module it may import, at the top or inside a function."""
    def module_file(name: str) -> Path | None:
        base = ROOT / "layers" / name.replace(".", "/")
        return next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()), None)

    seen: list[Path] = []
    todo = [handler]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            todo += [f for f in map(module_file, (n for n in names if n.startswith("sideconv"))) if f]
    return seen


def _settings_read(handler: Path, fields: set[str]) -> set[str]:
    """Fields read as `settings.<field>`, `s.<field>` or `<wiring>.settings.<field>`."""
    read = set()
    for path in _reachable_sources(handler):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in fields and (
                    (isinstance(node.value, ast.Name) and node.value.id in ("settings", "s"))
                    or (isinstance(node.value, ast.Attribute) and node.value.attr == "settings")):
                read.add(node.attr)
    return read


def test_a_deployed_function_is_given_every_setting_it_reads_whose_default_is_local(
        synthesized: Synthesized) -> None:
    variables = _setting_variables()
    assert variables["sender_address"] == {"SENDER_ADDRESS"}  # the reader finds from_env()'s reads
    for function in synthesized.stack.functions:
        name = function.node.id
        folder = re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()
        handler = ROOT / "functions" / folder / "handler.py"
        read = {v for field in _settings_read(handler, set(variables)) for v in variables[field]}
        given = synthesized.resources[synthesized.logical_id(function)]["Properties"]["Environment"]["Variables"]
        assert read & LOCAL_DEFAULT_ONLY <= set(given), f"{name} reads {sorted(read & LOCAL_DEFAULT_ONLY - set(given))}"


def test_layers_are_for_the_functions_runtime_and_architecture(synthesized: Synthesized) -> None:
    layers = synthesized.of_type("AWS::Lambda::LayerVersion")
    assert len(layers) == 2
    for layer in layers.values():
        assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]
        assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
