"""Every bucket of the stack is private: public access blocked, S3-managed encryption, TLS only."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_s3 as s3
from constructs import Construct


def private_bucket(scope: Construct, construct_id: str, **props: Any) -> s3.Bucket:
    """A bucket only this account's principals reach, over TLS; `props` add what is its own."""
    return s3.Bucket(scope, construct_id, block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                     encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True, **props)
