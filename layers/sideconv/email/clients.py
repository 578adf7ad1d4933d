"""The SES client of the e-mail functions (S3's is `sideconv.s3`), created on a wiring's first use and kept
on it for the container's life.

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
