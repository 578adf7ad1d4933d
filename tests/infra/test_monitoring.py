"""Alarms on function errors and throttles and on the service's own failure metrics; a dashboard."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from infra.components.monitoring import NAMESPACE, SERVICE
from tests.infra.conftest import Synthesized, refs

pytestmark = pytest.mark.xdist_group("cdk")


def _alarms(synthesized: Synthesized) -> list[dict]:
    return [a["Properties"] for a in synthesized.of_type("AWS::CloudWatch::Alarm").values()]


def test_every_function_has_an_errors_and_a_throttles_alarm(synthesized: Synthesized) -> None:
    by_metric: dict[str, set[str]] = {"Errors": set(), "Throttles": set()}
    for alarm in _alarms(synthesized):
        if alarm.get("Namespace") == "AWS/Lambda" and alarm["MetricName"] in by_metric:
            by_metric[alarm["MetricName"]] |= refs(alarm["Dimensions"])
    functions = set(synthesized.of_type("AWS::Lambda::Function"))
    assert by_metric == {"Errors": functions, "Throttles": functions}


@pytest.mark.parametrize("metric", ["Quarantined", "SendFailed"])
def test_the_service_metrics_have_alarms(synthesized: Synthesized, metric: str) -> None:
    (alarm,) = [a for a in _alarms(synthesized) if a.get("MetricName") == metric]
    assert alarm["Namespace"] == NAMESPACE
    # Powertools adds the service dimension to every metric it emits.
    assert alarm["Dimensions"] == [{"Name": "service", "Value": SERVICE}]
    assert alarm["Threshold"] == 0
    assert alarm["AlarmActions"]


def test_every_service_alarm_watches_a_metric_the_code_emits(synthesized: Synthesized) -> None:
    # An alarm on a name nothing emits never fires. Every name the code passes to Powertools is a string
    # constant in functions/ or the sideconv package (tests/integration/test_send_metrics.py runs them).
    root = Path(__file__).resolve().parents[2]
    constants = {node.value for path in [*root.glob("functions/*/handler.py"), *root.glob("layers/sideconv/**/*.py")]
                 for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Constant)}
    watched = {a["MetricName"] for a in _alarms(synthesized) if a.get("Namespace") == NAMESPACE}
    assert watched == {"Quarantined", "SendFailed"}
    assert watched <= constants


def test_alarms_notify_an_encrypted_topic_cloudwatch_may_publish_to(synthesized: Synthesized) -> None:
    topic_id = synthesized.logical_id(synthesized.stack.monitoring.topic)
    for alarm in _alarms(synthesized):
        assert refs(alarm["AlarmActions"]) == {topic_id}
    assert "KmsMasterKeyId" in synthesized.resources[topic_id]["Properties"]
    key = synthesized.resources[refs(synthesized.resources[topic_id]["Properties"]["KmsMasterKeyId"]).pop()]
    services = {service for s in key["Properties"]["KeyPolicy"]["Statement"]
                for service in _as_list(s["Principal"].get("Service", []))}
    assert "cloudwatch.amazonaws.com" in services


def _as_list(value: object) -> list[object]:
    # One principal is a string; minimizePolicies merges several into a list.
    return value if isinstance(value, list) else [value]


def test_there_is_a_dashboard(synthesized: Synthesized) -> None:
    assert len(synthesized.of_type("AWS::CloudWatch::Dashboard")) == 1
