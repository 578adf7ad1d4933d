"""The S3 client, built on a wiring's first use and kept on it for the container's life: the uploads
(sideconv.uploads), received mail (the e-mail functions) and an outbound message's files (both channels'
senders) share it.

Never at import time: tests set the environment (and moto) first.
"""

from __future__ import annotations

from typing import Any

from sideconv.wiring import Wiring, built


@built
def client(wiring: Wiring) -> Any:
    import boto3
    from botocore.config import Config

    # Virtual-hosted style with SigV4: presigned download links that work in every region.
    return boto3.client("s3", region_name=wiring.settings.region,
                        config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))
