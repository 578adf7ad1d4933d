"""AWS list prices the cost figure (group 9) multiplies usage by: the one table of them.

On-demand list prices, us-east-1, without the free tier or any discount (Savings Plans, tiers past the
first). Written down by hand from each service's public pricing page (`source`) on READ_ON; the bench
cannot fetch them (no internet where it runs), and only the Lambda arm64 rate was checked against a
stored copy of its page that day. Re-read them before quoting a figure to anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

REGION = "us-east-1"
READ_ON = "2026-12-02"


@dataclass(frozen=True)
class Price:
    usd: float  # per `per` units
    per: float
    unit: str
    source: str

    def of(self, quantity: float) -> float:
        return quantity * self.usd / self.per


_LAMBDA = "https://aws.amazon.com/lambda/pricing/"
_DDB = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
_SES = "https://aws.amazon.com/ses/pricing/"
_EB = "https://aws.amazon.com/eventbridge/pricing/"
# Scheduler bills each invocation of a target; creating, updating and deleting schedules is not billed.
_SCHEDULER = "https://aws.amazon.com/eventbridge/pricing/#Scheduler"

# meter → price. A meter is what the usage model counts (bench/cost.py).
PRICES: dict[str, Price] = {
    "lambda.requests": Price(0.20, 1e6, "invocations", _LAMBDA),
    "lambda.arm64_gb_s": Price(0.0000133334, 1, "GB-seconds (arm64)", _LAMBDA),
    "dynamodb.wru": Price(0.625, 1e6, "write request units (on-demand)", _DDB),
    "dynamodb.rru": Price(0.125, 1e6, "read request units (on-demand)", _DDB),
    "dynamodb.stream_rru": Price(0.02, 1e5, "stream read request units (GetRecords; free for Lambda)", _DDB),
    "dynamodb.gb_month": Price(0.25, 1, "GB-month stored (Standard)", _DDB),
    "sqs.fifo_requests": Price(0.50, 1e6, "FIFO requests (64 KB chunks)", "https://aws.amazon.com/sqs/pricing/"),
    "pipes.requests": Price(0.40, 1e6, "Pipes requests after filtering (64 KB chunks)", _EB),
    "eventbridge.events": Price(1.00, 1e6, "custom events put (64 KB chunks)", _EB),
    "scheduler.invocations": Price(1.00, 1e6, "Scheduler target invocations (a follow-up firing)", _SCHEDULER),
    "scheduler.api_requests": Price(0.0, 1e6, "Scheduler Create/Update/DeleteSchedule (not billed)", _SCHEDULER),
    "ses.outbound_messages": Price(0.10, 1000, "outbound messages", _SES),
    "ses.attachment_gb": Price(0.12, 1, "GB of attachments sent", _SES),
    "ses.inbound_messages": Price(0.10, 1000, "inbound messages", _SES),
    "ses.inbound_chunks": Price(0.09, 1000, "inbound 256 KB chunks", _SES),
    "s3.put": Price(0.005, 1000, "PUT/COPY/POST/LIST requests (Standard)", "https://aws.amazon.com/s3/pricing/"),
    "s3.get": Price(0.0004, 1000, "GET/SELECT requests (Standard)", "https://aws.amazon.com/s3/pricing/"),
    "s3.gb_month": Price(0.023, 1, "GB-month stored (Standard, first 50 TB)", "https://aws.amazon.com/s3/pricing/"),
    "apigw.http_requests": Price(1.00, 1e6, "HTTP API requests (512 KB chunks, first 300 M)",
                                 "https://aws.amazon.com/api-gateway/pricing/"),
    "logs.ingest_gb": Price(0.50, 1, "GB ingested (Standard log class)", "https://aws.amazon.com/cloudwatch/pricing/"),
    "xray.traces": Price(5.00, 1e6, "traces recorded", "https://aws.amazon.com/xray/pricing/"),
}
