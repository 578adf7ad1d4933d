"""What a first real deploy would otherwise get wrong: cdk.json's examples deployed, alarms nobody hears,
the unauthenticated route starving the agents', raw mail lost to an overwrite, failed re-drive runs
dropped, CDK's recommended feature flags unset, a layer of the wrong architecture."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import CONTEXT, ROOT, Synthesized, refs, shipped_context

pytestmark = pytest.mark.xdist_group("cdk")


def _settings(context: dict[str, Any]) -> Any:
    from aws_cdk import App

    from infra.settings import DeploySettings

    return DeploySettings.from_context(App(context=context).node)


# (a) The examples of cdk.json -------------------------------------------------------------------------


def test_cdk_json_as_shipped_synthesizes_the_examples_in_the_test_environment(as_shipped: Synthesized) -> None:
    # What a plain `make synth` does: the whole stack, with the examples, in the test environment.
    settings = as_shipped.stack.settings
    assert settings.environment == "test"
    assert not settings.deployed
    assert settings.jwt_issuer == "https://auth.example.com/"
    assert as_shipped.of_type("AWS::Lambda::Function")
    assert as_shipped.of_type("AWS::Pipes::Pipe")


def test_a_deployed_environment_refuses_every_example_naming_each_setting() -> None:
    from infra.settings import EXAMPLES

    with pytest.raises(ValueError, match="still hold an example value") as refused:
        _settings({**shipped_context(), "environment": "prod"})
    for key, value in EXAMPLES.items():
        assert f"{key} = {value!r}" in str(refused.value)


@pytest.mark.parametrize(("key", "value"), [("senderAddress", "help@example.com"),
                                            ("jwtIssuer", "https://login.example.org/"),
                                            ("alarmEmail", "oncall@example.net")])
def test_a_deployed_environment_refuses_any_documentation_domain(key: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"{key} = "):
        _settings({**shipped_context(), **CONTEXT, key: value})


def test_a_deployed_environment_with_its_own_settings_synthesizes(synthesized: Synthesized) -> None:
    assert synthesized.stack.settings.environment == "prod"
    assert synthesized.stack.settings.deployed


def test_make_deploy_refuses_the_example_environment() -> None:
    with pytest.raises(ValueError, match="only synthesizes the examples"):
        _settings({**shipped_context(), "deploy": "true"})
    makefile = (ROOT / "Makefile").read_text()
    assert "$(CDK) deploy $(STACK) -c deploy=true" in makefile


# (b) Alarms need a destination ------------------------------------------------------------------------


def _warnings(synthesized: Synthesized) -> list[str]:
    return [f"{c.node.path}: {e.data}" for c in synthesized.app.node.find_all() for e in c.node.metadata
            if e.type == "aws:cdk:warning"]


def test_no_alarm_destination_is_a_warning(synthesized: Synthesized) -> None:
    from infra.components.monitoring import NO_ALARM_DESTINATION

    assert not synthesized.context.get("alarmEmail")
    (warning,) = [w for w in _warnings(synthesized) if "No alarm destination" in w]
    assert warning.startswith("AtenderSideConversations/Monitoring: ")
    assert f"[ack: {NO_ALARM_DESTINATION}]" in warning, "acknowledgeable by its id"


def test_an_on_call_topic_hears_every_alarm(environment_bound: Synthesized) -> None:
    topic = environment_bound.context["alarmTopicArn"]
    alarms = environment_bound.of_type("AWS::CloudWatch::Alarm").values()
    assert alarms
    assert all(topic in a["Properties"]["AlarmActions"] for a in alarms)
    assert not [w for w in _warnings(environment_bound) if "No alarm destination" in w]


# (c) The unauthenticated route's own throttle ----------------------------------------------------------


def test_the_slack_route_has_its_own_lower_throttle(synthesized: Synthesized) -> None:
    from infra.components.api import BURST_LIMIT, RATE_LIMIT, SLACK_EVENTS_PATH

    (stage,) = synthesized.of_type("AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    assert props["DefaultRouteSettings"] == {"ThrottlingBurstLimit": BURST_LIMIT, "ThrottlingRateLimit": RATE_LIMIT}
    # Slack's events and its OAuth callback (docs/SLACK.md): the routes without a JWT
    assert set(props["RouteSettings"]) == {f"POST {SLACK_EVENTS_PATH}", "GET /v1/slack/oauth/callback"}
    key = f"POST {SLACK_EVENTS_PATH}"
    assert props["RouteSettings"][key]["ThrottlingRateLimit"] < RATE_LIMIT
    assert props["RouteSettings"][key]["ThrottlingBurstLimit"] < BURST_LIMIT
    route_keys = {r["Properties"]["RouteKey"] for r in synthesized.of_type("AWS::ApiGatewayV2::Route").values()}
    assert key in route_keys


# (d) The raw mail is versioned ------------------------------------------------------------------------


def test_the_raw_mail_bucket_is_versioned_and_old_versions_expire(synthesized: Synthesized) -> None:
    from infra.components.email import NONCURRENT_DAYS

    bucket = synthesized.resources[synthesized.logical_id(synthesized.stack.email.raw_mail)]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    (rule,) = [r for r in bucket["LifecycleConfiguration"]["Rules"] if "NoncurrentVersionExpiration" in r]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": NONCURRENT_DAYS}
    assert rule["Status"] == "Enabled"


# (e) Failed re-drive runs are kept --------------------------------------------------------------------


def test_failed_redrive_runs_go_to_an_alarmed_dead_letter_queue(synthesized: Synthesized) -> None:
    redrive = synthesized.stack.redrive
    function_id = synthesized.logical_id(redrive.function)
    queue_id = synthesized.logical_id(redrive.dead_letter_queue)
    assert refs(synthesized.resources[function_id]["Properties"]["DeadLetterConfig"]) == {queue_id}
    (config,) = [c for c in synthesized.of_type("AWS::Lambda::EventInvokeConfig").values()
                 if refs(c["Properties"]["FunctionName"]) == {function_id}]
    assert config["Properties"]["MaximumRetryAttempts"] == 1
    (rule,) = [r for r in synthesized.of_type("AWS::Events::Rule").values()
               if function_id in json.dumps(r["Properties"]["Targets"])]
    assert refs(rule["Properties"]["Targets"][0]["DeadLetterConfig"]) == {queue_id}
    assert any(a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
               and refs(a["Properties"]["Dimensions"]) == {queue_id}
               for a in synthesized.of_type("AWS::CloudWatch::Alarm").values())


# (f) CDK's recommended feature flags -------------------------------------------------------------------


def _recommended_flags(tmp_path: Path) -> dict[str, Any]:
    """What `cdk init` writes for the installed aws-cdk-lib: cx-api's CURRENTLY_RECOMMENDED_FLAGS."""
    import aws_cdk

    bundle = next((Path(aws_cdk.__file__).parent / "_jsii").glob("aws-cdk-lib@*.jsii.tgz"))
    with tarfile.open(bundle) as archive:
        archive.extractall(tmp_path, members=[m for m in archive.getmembers()
                                              if m.name.startswith("package/cx-api/")], filter="data")
    script = "console.log(JSON.stringify(require(process.argv[1]).CURRENTLY_RECOMMENDED_FLAGS))"
    features = tmp_path / "package" / "cx-api" / "lib" / "features.js"
    done = subprocess.run(["node", "-e", script, str(features)], capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_every_recommended_feature_flag_is_set_in_cdk_json(tmp_path: Path) -> None:
    recommended = _recommended_flags(tmp_path)
    assert len(recommended) > 80
    context = shipped_context()
    assert {k: context.get(k) for k in recommended} == recommended


# (g) A layer of the wrong architecture ------------------------------------------------------------------


def test_a_function_refuses_a_layer_built_for_another_architecture(tmp_path: Path) -> None:
    from aws_cdk import App, Stack
    from aws_cdk import aws_lambda as lambda_

    from infra.components.function import FunctionFactory, Layer

    stack = Stack(App(), "T")
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "handler.py").write_text("def lambda_handler(event, context): pass\n")
    layer = lambda_.LayerVersion(stack, "Deps", code=lambda_.Code.from_asset(str(tmp_path / "f")))
    factory = FunctionFactory(functions_dir=tmp_path, layers=[Layer(layer, lambda_.Architecture.X86_64)],
                              environment={})
    with pytest.raises(ValueError, match="f runs on arm64, but the layer Deps was built for x86_64"):
        factory.create(stack, "f", description="d")
    # The same layer in a function of its own architecture is fine.
    factory.create(stack, "f", description="d", architecture=lambda_.Architecture.X86_64)


def test_synth_fails_when_the_built_layer_is_for_another_architecture(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import infra.stack
    from infra.stack import build_app

    for kind in ("deps", "app"):
        (tmp_path / kind / "python").mkdir(parents=True)
    (tmp_path / "deps.architecture").write_text("x86_64\n")
    monkeypatch.setattr(infra.stack, "LAYER_BUILD", tmp_path)
    with pytest.raises(ValueError, match="was built for x86_64"):
        build_app({**shipped_context(), **CONTEXT, "skipLayerBuild": "false"}, outdir=str(tmp_path / "out"))
    (tmp_path / "deps.architecture").unlink()
    with pytest.raises(FileNotFoundError, match="records the layer's architecture"):
        build_app({**shipped_context(), **CONTEXT, "skipLayerBuild": "false"}, outdir=str(tmp_path / "out"))
