"""The HTTP API: every /v1 route behind the JWT authorizer, except Slack's events endpoint, which
Slack signs instead (the function verifies the signature)."""

from __future__ import annotations

import json

import jsii
from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.components.function import FunctionFactory
from infra.components.nag import acknowledge
from infra.components.store import Store
from infra.settings import DeploySettings

SLACK_EVENTS_PATH = "/v1/slack/events"
# Where Slack sends an admin back after Add to Slack: no JWT (the OAuth state is the proof), its own
# low limits (a person clicks it once per install).
SLACK_OAUTH_PATH = "/v1/slack/oauth/callback"
SLACK_OAUTH_RATE_LIMIT = 5
SLACK_OAUTH_BURST_LIMIT = 10
RATE_LIMIT = 50
BURST_LIMIT = 100
# The unauthenticated route gets its own, lower limits, so a flood of forged events is turned away there
# and never spends the agents' requests. Slack sends a workspace's events far below this and retries
# a 429.
SLACK_RATE_LIMIT = 20
SLACK_BURST_LIMIT = 40


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogs:
    """JSON access logs with the caller's identity (the JWT subject) and the authorizer's error."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return apigw.AccessLogFormat.custom(json.dumps({
            "requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
            "requestTime": "$context.requestTime", "method": "$context.httpMethod",
            "routeKey": "$context.routeKey", "status": "$context.status",
            "responseLength": "$context.responseLength", "latency": "$context.responseLatency",
            "integrationError": "$context.integrationErrorMessage",
            "authorizerError": "$context.authorizer.error", "sub": "$context.authorizer.claims.sub",
        }))


class Api(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, factory: FunctionFactory, store: Store,
                 token_secret: secretsmanager.ISecret, slack_events_function: lambda_.IFunction,
                 settings: DeploySettings, common_environment: dict[str, str]) -> None:
        super().__init__(scope, construct_id)
        self.function = factory.create(
            self, "api", description="The side-conversations HTTP API (v1)",
            # Re-filing quarantined mail builds the message as ingest_email does, from the same
            # addresses (sideconv.email.inbound.InboundConfig).
            environment={**common_environment, "INBOUND_DOMAIN": settings.inbound_domain,
                         "SENDER_ADDRESS": settings.sender_address,
                         # pydantic looks for plugins in every installed distribution's metadata when it
                         # builds its first model (about 3 ms of a first request); this API uses none.
                         "PYDANTIC_DISABLE_PLUGINS": "__all__"})
        store.grant_read_write(self.function)
        token_secret.grant_read(self.function)

        self.http_api = apigwv2.HttpApi(self, "HttpApi", description="Atender side conversations (v1)",
                                        create_default_stage=False)
        access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.THREE_MONTHS,
                                    removal_policy=RemovalPolicy.DESTROY)
        self.stage = apigwv2.HttpStage(
            self, "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=RATE_LIMIT, burst_limit=BURST_LIMIT),
            access_log_settings=_AccessLogs(access_logs),
        )
        self.authorizer = authorizers.HttpJwtAuthorizer(
            "Jwt", settings.jwt_issuer, jwt_audience=list(settings.jwt_audience),
            identity_source=["$request.header.Authorization"])

        self.routes = self.http_api.add_routes(
            path="/v1/{proxy+}", methods=[apigwv2.HttpMethod.ANY],
            integration=integrations.HttpLambdaIntegration("Api", self.function),
            authorizer=self.authorizer)
        self.slack_routes = self.http_api.add_routes(
            path=SLACK_EVENTS_PATH, methods=[apigwv2.HttpMethod.POST],
            integration=integrations.HttpLambdaIntegration("SlackEvents", slack_events_function),
            authorizer=apigwv2.HttpNoneAuthorizer())
        self.oauth_routes = self.http_api.add_routes(
            path=SLACK_OAUTH_PATH, methods=[apigwv2.HttpMethod.GET],
            integration=integrations.HttpLambdaIntegration("SlackOAuth", self.function),
            authorizer=apigwv2.HttpNoneAuthorizer())
        stage = self.stage.node.default_child
        assert isinstance(stage, apigwv2.CfnStage)
        stage.route_settings = {
            f"POST {SLACK_EVENTS_PATH}": {"ThrottlingRateLimit": SLACK_RATE_LIMIT,
                                          "ThrottlingBurstLimit": SLACK_BURST_LIMIT},
            f"GET {SLACK_OAUTH_PATH}": {"ThrottlingRateLimit": SLACK_OAUTH_RATE_LIMIT,
                                        "ThrottlingBurstLimit": SLACK_OAUTH_BURST_LIMIT}}
        for route in self.oauth_routes:
            self.stage.node.add_dependency(route)
            acknowledge(route, "AwsSolutions-APIG4",
                        "Slack's OAuth redirect carries no JWT; the single-use, 10-minute state bound to the "
                        "admin who started the install is checked before anything else happens.")
        for route in self.slack_routes:
            # The stage's route settings name the route by its key: it must exist first.
            self.stage.node.add_dependency(route)
            acknowledge(route, "AwsSolutions-APIG4",
                        "Slack cannot present a JWT; slack_events verifies Slack's request signature "
                        "(X-Slack-Signature, with a five-minute replay window) before doing anything.")

    @property
    def url(self) -> str:
        return self.stage.url
