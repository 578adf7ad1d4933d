"""The Side Conversations panel's static files: a private S3 bucket behind CloudFront (issue 9).

One origin for the panel and the API: CloudFront serves `/panel/*` from the bucket and forwards
`/v1/*` to the HTTP API, so the panel calls the API same-origin (no CORS, `connect-src 'self'`).
`/` and `/panel` answer the embeddable page (`panel/panel.html`). The local demo page (`index.html`,
`demo.js`, `demo.css`), which mints tokens through the local stack, is never uploaded.

The stack creates it only when asked (context `deployPanel=true`); `panelFrameAncestors` names the
helpdesk origins allowed to embed it in an iframe (CSP frame-ancestors).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct
from sideconv import channels

from infra.components.buckets import private_bucket
from infra.components.nag import ROLE_DEPENDENCY, acknowledge, acknowledge_lint

PANEL_DIR = Path(__file__).resolve().parents[2] / "panel"
# Local-only files: the demo page signs in through /_local/token, which AWS does not have.
LOCAL_ONLY = ["index.html", "js/demo.js", "css/demo.css"]

# `/` and `/panel` are the embeddable page; everything else under /panel/ is a file of the bucket.
_REWRITE = """
function handler(event) {
  var request = event.request;
  if (request.uri === "/" || request.uri === "/panel" || request.uri === "/panel/") {
    request.uri = "/panel/panel.html";
  }
  return request;
}
"""


class Panel(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, http_api: apigwv2.IHttpApi,
                 frame_ancestors: Sequence[str] = (), connect_to: Sequence[str] = ()) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.bucket = private_bucket(
            self, "Files",
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # Built from the repository on every deploy: nothing here is data.
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
        acknowledge(self.bucket, "AwsSolutions-S1",
                    "static files rebuilt from the repository on every deploy; reads are logged by CloudFront")

        ancestors = " ".join(frame_ancestors) or "'none'"
        # Besides its own origin the panel posts attachments straight to the uploads bucket.
        connect = " ".join(["'self'", *connect_to])
        headers = cloudfront.ResponseHeadersPolicy(
            self, "Headers",
            comment="Side conversations panel: CSP, no sniffing, no referrer, HSTS",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=(
                        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                        f"connect-src {connect}; object-src 'none'; base-uri 'none'; form-action 'self'; "
                        f"frame-ancestors {ancestors}"),
                    override=True),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True),
            ),
        )
        rewrite = cloudfront.Function(self, "Rewrite", code=cloudfront.FunctionCode.from_inline(_REWRITE),
                                      runtime=cloudfront.FunctionRuntime.JS_2_0)
        api_domain = f"{http_api.api_id}.execute-api.{stack.region}.{stack.url_suffix}"
        self.logs = private_bucket(
            self, "AccessLogs",
            # CloudFront standard logging writes with ACLs.
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
        acknowledge(self.logs, "AwsSolutions-S1", "this is the access-log bucket itself")
        self.distribution = cloudfront.Distribution(
            self, "Distribution",
            comment="Atender side conversations panel",
            default_root_object="",
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            enable_logging=True,
            log_bucket=self.logs,
            log_file_prefix="panel/",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                function_associations=[cloudfront.FunctionAssociation(
                    function=rewrite, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST)],
            ),
            additional_behaviors={
                # The API, same origin as the panel: never cached, every header but Host forwarded.
                "/v1/*": cloudfront.BehaviorOptions(
                    origin=origins.HttpOrigin(api_domain, protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY),
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                ),
            },
        )
        acknowledge(self.distribution, "AwsSolutions-CFR1", "agents work from anywhere: no geo restriction")
        acknowledge(self.distribution, "AwsSolutions-CFR2",
                    "static files and an API behind a JWT authorizer with stage throttling; add WAF per deployment")
        acknowledge(self.distribution, "AwsSolutions-CFR4",
                    "the default *.cloudfront.net certificate; minimum TLS 1.2 applies with a custom domain")

        self.deployment = s3deploy.BucketDeployment(
            self, "Upload",
            # config.json with the channels' labels from the registry (sideconv.channels), as the
            # local stack serves it.
            sources=[s3deploy.Source.asset(str(PANEL_DIR), exclude=[*LOCAL_ONLY, "config.json"]),
                     s3deploy.Source.json_data("config.json", channels.panel_config(
                         json.loads((PANEL_DIR / "config.json").read_text())))],
            destination_bucket=self.bucket,
            destination_key_prefix="panel/",
            distribution=self.distribution,
            distribution_paths=["/", "/panel", "/panel/*"],
            memory_limit=256,
        )
        self._acknowledge_upload_handler(stack)
        self.url = f"https://{self.distribution.distribution_domain_name}/panel"
        CfnOutput(self, "PanelUrl", value=self.url,
                  description="The embeddable panel: <PanelUrl>?conversation=<id>&origin=<helpdesk origin>")

    def _acknowledge_upload_handler(self, stack: Stack) -> None:
        """BucketDeployment's handler is a stack-wide singleton CDK owns: acknowledge its findings there."""
        handler = next(c for c in stack.node.children if c.node.id.startswith("Custom::CDKBucketDeployment"))
        reason = "CDK's BucketDeployment handler, run at deploy time only, copying the panel's files"
        acknowledge_lint(handler, *ROLE_DEPENDENCY)
        # The same for the handler that empties the panel's buckets when the stack is deleted.
        cleaner = stack.node.find_child("Custom::S3AutoDeleteObjectsCustomResourceProvider").node.find_child("Handler")
        acknowledge_lint(cleaner, *ROLE_DEPENDENCY)
        acknowledge(handler, "AwsSolutions-L1", f"{reason}; its runtime is pinned by aws-cdk-lib")
        acknowledge(handler, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                             "AWSLambdaBasicExecutionRole]", f"{reason}; logs only")
        bucket = stack.resolve(self.bucket.bucket_arn)
        bucket_id = bucket["Fn::GetAtt"][0] if isinstance(bucket, dict) else "Files"
        evidences = ["Action::s3:Abort*", "Action::s3:DeleteObject*", "Action::s3:GetBucket*",
                     "Action::s3:GetObject*", "Action::s3:List*", "Resource::*", f"Resource::<{bucket_id}.Arn>/*",
                     "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*"]
        if not Token.is_unresolved(stack.account) and not Token.is_unresolved(stack.region):
            # A stack bound to an account and region names the asset bucket literally.
            evidences.append(f"Resource::arn:aws:s3:::cdk-hnb659fds-assets-{stack.account}-{stack.region}/*")
        for evidence in evidences:
            acknowledge(handler, f"AwsSolutions-IAM5[{evidence}]",
                        f"{reason}: the grants CDK gives it on the asset bucket and the panel's bucket")
