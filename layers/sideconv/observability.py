"""One logger and one metrics object for every function, and the metrics a sender emits.

No Tracer here: Powertools' Tracer imports the X-Ray SDK (~0.5 s) on every cold start even when
disabled. X-Ray active tracing is switched on per function in the stack instead.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="side-conversations")
metrics = Metrics(namespace="Atender/SideConversations", service="side-conversations")

# Alarmed (infra/components/monitoring.py): a sender, or the re-drive, gave up on a message.
SEND_FAILED = "SendFailed"


def count_delivery(channel: str, status: str, count: int = 1) -> None:
    """How a message ended: `EmailSent`/`SlackSent`, or `EmailFailed`/`SlackFailed` and `SendFailed`.

    A redelivered message that was already sent or failed ends nothing and counts nothing.
    """
    if status not in ("sent", "failed") or count <= 0:
        return
    metrics.add_metric(name=f"{channel.title()}{status.title()}", unit=MetricUnit.Count, value=count)
    if status == "failed":
        metrics.add_metric(name=SEND_FAILED, unit=MetricUnit.Count, value=count)
