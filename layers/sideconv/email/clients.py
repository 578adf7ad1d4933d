"""AWS clients for the e-mail functions, created on a wiring's first use and kept on it for the container's life.

Never at import time: tests set the environment (and moto) first, and a function that never sends
never pays for an SES client.
"""

from __future__ import annotations

from typing import Any

from sideconv.wiring import Wiring, built

# Throttling and 5xx from SES are retried by botocore's standard mode (exponential backoff with
# jitter, bounded attempts) before the sender sees them; what is left is a transient failure that
# SQS redelivers, or a permanent one.
SES_MAX_ATTEMPTS = 3


@built
def sesv2(wiring: Wiring) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("sesv2", region_name=wiring.settings.region,
                        config=Config(retries={"mode": "standard", "total_max_attempts": SES_MAX_ATTEMPTS}))


@built
def s3(wiring: Wiring) -> Any:
    import boto3
    from botocore.config import Config

    # Virtual-hosted style with SigV4: presigned download links that work in every region.
    return boto3.client("s3", region_name=wiring.settings.region,
                        config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))
