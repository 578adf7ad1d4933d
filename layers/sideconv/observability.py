"""One logger and one metrics object for every function.

No Tracer here: Powertools' Tracer imports the X-Ray SDK (~0.5 s) on every cold start even when
disabled. X-Ray active tracing is switched on per function in the stack instead.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="side-conversations")
metrics = Metrics(namespace="Atender/SideConversations", service="side-conversations")
