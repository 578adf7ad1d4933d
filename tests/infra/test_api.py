"""The HTTP API: the JWT authorizer on every route but Slack's, throttling, access logs."""

from __future__ import annotations

import pytest

from tests.infra.conftest import Synthesized, refs

pytestmark = pytest.mark.xdist_group("cdk")

SLACK_ROUTE = "POST /v1/slack/events"
# Slack's OAuth redirect: no JWT either (the state is the proof), to the API function.
OAUTH_ROUTE = "GET /v1/slack/oauth/callback"


def test_every_route_but_slack_events_requires_a_jwt(synthesized: Synthesized) -> None:
    routes = {r["Properties"]["RouteKey"]: r["Properties"]
              for r in synthesized.of_type("AWS::ApiGatewayV2::Route").values()}
    (authorizer_id,) = synthesized.of_type("AWS::ApiGatewayV2::Authorizer")
    assert SLACK_ROUTE in routes
    assert len(routes) > 1
    for key, route in routes.items():
        assert key.split(" ", 1)[1].startswith("/v1/"), key
        if key in (SLACK_ROUTE, OAUTH_ROUTE):
            assert route["AuthorizationType"] == "NONE"
            assert "AuthorizerId" not in route
        else:
            assert route["AuthorizationType"] == "JWT", key
            assert refs(route["AuthorizerId"]) == {authorizer_id}, key


def test_the_authorizer_takes_issuer_and_audience_from_context(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties("AWS::ApiGatewayV2::Authorizer", {
        "AuthorizerType": "JWT",
        "IdentitySource": ["$request.header.Authorization"],
        "JwtConfiguration": {"Issuer": "https://issuer.acme.example/",
                             "Audience": ["side-conversations", "helpdesk"]},
    })


def test_routes_reach_their_functions(synthesized: Synthesized) -> None:
    stack = synthesized.stack
    integrations = synthesized.of_type("AWS::ApiGatewayV2::Integration")
    targets = {}
    for route in synthesized.of_type("AWS::ApiGatewayV2::Route").values():
        integration_id = refs(route["Properties"]["Target"]).pop()
        targets[route["Properties"]["RouteKey"]] = refs(integrations[integration_id]["Properties"]["IntegrationUri"])
    assert targets == {
        "ANY /v1/{proxy+}": {synthesized.logical_id(stack.api.function)},
        SLACK_ROUTE: {synthesized.logical_id(stack.slack.slack_events)},
        OAUTH_ROUTE: {synthesized.logical_id(stack.api.function)},
    }


def test_the_unauthenticated_routes_have_their_own_lower_limits(synthesized: Synthesized) -> None:
    (stage,) = synthesized.of_type("AWS::ApiGatewayV2::Stage").values()
    default = stage["Properties"]["DefaultRouteSettings"]["ThrottlingRateLimit"]
    settings = stage["Properties"]["RouteSettings"]
    assert set(settings) == {SLACK_ROUTE, OAUTH_ROUTE}
    assert all(s["ThrottlingRateLimit"] < default for s in settings.values())


def test_the_stage_is_throttled_and_logs_access(synthesized: Synthesized) -> None:
    (stage,) = synthesized.of_type("AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == "$default"
    assert props["AutoDeploy"] is True
    throttle = props["DefaultRouteSettings"]
    assert throttle["ThrottlingRateLimit"] > 0
    assert throttle["ThrottlingBurstLimit"] > 0
    log_group = refs(props["AccessLogSettings"]["DestinationArn"]).pop()
    assert synthesized.resources[log_group]["Properties"]["RetentionInDays"] > 0
    assert "$context.requestId" in props["AccessLogSettings"]["Format"]
