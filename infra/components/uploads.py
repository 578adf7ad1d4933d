"""Outbound attachments (issue 16): the bucket agents' browsers post files to, with presigned POSTs
the API signs (sideconv.uploads).

Its own bucket, not the raw-mail one: it takes POSTs from browsers (CORS) and keeps nothing else.
Objects live under `uploads/<account>/<conversation>/<upload id>`; a POST tags its object
`sideconv-upload=pending` and the message that takes it re-tags it `attached`. The lifecycle expires
what was never attached after a day, every upload after the mail retention, and unfinished multipart
uploads after a day. CORS allows POST from any origin: the signed policy (key, exact size, type, tag,
15 minutes) is what admits a file, CORS only lets the page read S3's answer.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct
from sideconv.uploads import PREFIX, TAG_KEY

from infra.components.buckets import private_bucket
from infra.components.nag import acknowledge, logical_id, role_policy

PENDING_DAYS = 1


class Uploads(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, retention_days: int, access_logs: s3.IBucket,
                 retain_data: bool) -> None:
        super().__init__(scope, construct_id)
        self.bucket = private_bucket(
            self, "Files",
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="uploads/",
            cors=[s3.CorsRule(allowed_methods=[s3.HttpMethods.POST], allowed_origins=["*"],
                              allowed_headers=["*"], max_age=3000)],
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-never-attached", prefix=PREFIX, tag_filters={TAG_KEY: "pending"},
                                 expiration=Duration.days(PENDING_DAYS)),
                s3.LifecycleRule(id="expire-uploads", prefix=PREFIX, expiration=Duration.days(retention_days)),
                s3.LifecycleRule(id="abort-uploads", abort_incomplete_multipart_upload_after=Duration.days(1)),
            ],
            removal_policy=RemovalPolicy.RETAIN if retain_data else RemovalPolicy.DESTROY,
        )

    @property
    def environment(self) -> dict[str, str]:
        return {"UPLOADS_BUCKET": self.bucket.bucket_name}

    def _grant(self, function: lambda_.Function, actions: list[str], reason: str) -> None:
        function.add_to_role_policy(iam.PolicyStatement(actions=actions,
                                                        resources=[self.bucket.arn_for_objects(f"{PREFIX}*")]))
        acknowledge(role_policy(function), f"AwsSolutions-IAM5[Resource::<{logical_id(self.bucket)}.Arn>/{PREFIX}*]",
                    reason)

    def grant_sign_and_attach(self, function: lambda_.Function) -> None:
        """The API signs the browser's POST (the signer must be allowed the PutObject and its tagging),
        checks an object (HeadObject needs GetObject), re-tags it and links it for download."""
        self._grant(function, ["s3:PutObject", "s3:PutObjectTagging", "s3:GetObject"],
                    "Uploads are keyed by account, conversation and a new id: known only per request.")
        # Without ListBucket, HeadObject of a missing key is a 403: an upload never completed must read as 404.
        function.add_to_role_policy(iam.PolicyStatement(actions=["s3:ListBucket"],
                                                        resources=[self.bucket.bucket_arn]))

    def grant_read(self, function: lambda_.Function) -> None:
        self._grant(function, ["s3:GetObject"], "Reads the files of the message it sends, named on the message.")
