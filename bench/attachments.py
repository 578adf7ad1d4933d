"""Figure 10: outbound attachments (issue 16) — requests of a create with context and files, S3 reads
of the sender, and the sender's memory for a 25 MB file."""

from __future__ import annotations

import gc
import json
import resource
import tracemalloc
from typing import Any

from bench import counting, scenario
from bench.core import Figure, check, size
from bench.env import Aws, Context, handler

HOW = ("Uploads go through the real API handler and S3's POST policy as the local stack checks it "
       "(`local.s3_post.accept`), on embedded AWS. The create (an e-mail with two quoted messages, the phone "
       "redacted, and three files) is counted with botocore's `before-call` hook (each file's first KB is read "
       "once, a ranged GetObject, to check its bytes; nothing more); then `send_email` consumes its outbox "
       "record and its S3 `GetObject` calls are counted. For memory, a 25 MB file is sent by "
       "`send_email` under `tracemalloc` (peak of Python allocations during the invocation), with SES's request "
       "answered at botocore's `before-send` (after the request body is fully serialised as for AWS), so embedded "
       "SES's own copies of the mail are not counted; the process's resident size before the send is noted.")

CONVERSATION = "conv-attachments"
MEMORY_BUDGET_MB = 256
CONTEXT = [
    {"author": {"name": "Maya Lopez", "role": "customer"}, "sent_at": "2026-12-02T09:12:00Z",
     "body": "The parcel never arrived. Call me on +1 (415) 555-0134."},
    {"author": {"name": "Maya Lopez", "role": "customer"}, "sent_at": "2026-12-02T09:20:00Z",
     "body": "Order 1042, paid with card 4242 4242 4242 4242."},
]


def _upload(name: str, content_type: str, data: bytes, settings: Any) -> str:
    import boto3

    from local.s3_post import accept

    form = scenario.api_json("POST", f"/v1/conversations/{CONVERSATION}/uploads",
                             {"filename": name, "content_type": content_type, "size": len(data)}, expect=201)
    accept(boto3.client("s3", region_name=settings.region), settings.uploads_bucket, form["fields"], data)
    return str(form["upload_id"])


def _create(upload_ids: list[str], n: int) -> dict[str, Any]:
    return dict(scenario.api_json("POST", scenario.base(CONVERSATION), {
        "channel": "email", "subject": f"Lost parcel {n}", "body": "Can you trace this parcel?",
        "to": [{"email": "courier@partner.example"}], "context": CONTEXT, "redact": ["phone"],
        "attachments": upload_ids}, expect=201))


def _outbox_event(created: dict[str, Any], settings: Any) -> dict[str, Any]:
    """The message's outbox record as the email queue delivers it (the stream record's shape)."""
    import boto3
    from sideconv import keys

    key = {"pk": {"S": keys.conversation_pk(scenario.ACCOUNT, CONVERSATION)},
           "sk": {"S": keys.message_sk(created["id"], created["messages"][0]["id"])}}
    item = boto3.client("dynamodb", region_name=settings.region).get_item(
        TableName=settings.table_name, Key=key, ConsistentRead=True)["Item"]
    record = {"eventName": "INSERT", "dynamodb": {"Keys": key, "NewImage": item}}
    return scenario.sqs_event([(created["messages"][0]["id"], json.dumps(record))],
                              "arn:aws:sqs:us-east-1:000000000000:outbox-email.fifo")


def _answer_ses_at_the_wire() -> Any:
    """SES's SendEmail answered once botocore has serialised the request, before embedded SES parses it."""
    from botocore.awsrequest import AWSResponse
    from sideconv.email import clients

    from functions.send_email import handler

    sent: dict[str, int] = {}

    class _Raw:
        def stream(self, **_: Any) -> Any:
            yield b'{"MessageId":"bench-25mb"}'

    def answer(request: Any, **_: Any) -> AWSResponse:
        sent["bytes"] = len(request.body or b"")
        return AWSResponse(request.url, 200, {"Content-Type": "application/json"}, _Raw())

    from moto.core.models import botocore_stubber

    client = clients.sesv2(handler.wiring)  # the sender's own client
    # Embedded SES would parse the 45 MB request (and keep the mail) inside this process: not the sender's.
    client.meta.events.unregister("before-send", botocore_stubber)
    client.meta.events.register_first("before-send.sesv2.SendEmail", answer, unique_id="bench-ses-wire")
    return client, sent


def run(aws: Aws) -> list[Figure]:
    send = handler("send_email")
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 4096
    warm = _create([_upload("warm.pdf", "application/pdf", pdf, aws.settings)], 0)
    send(_outbox_event(warm, aws.settings), Context("send_email"))
    ids = [_upload(f"file-{n}.pdf", "application/pdf", pdf, aws.settings) for n in range(3)]
    with counting.recording() as created_calls:
        created = _create(ids, 1)
    with counting.recording() as sender_calls:
        result = send(_outbox_event(created, aws.settings), Context("send_email"))
    if result.get("batchItemFailures"):
        raise AssertionError(f"the mail was not sent: {result}")
    writes = created_calls.dynamodb_writes
    # The budget is the one write. The create reads each file's first KB once (a ranged GetObject:
    # uploads.sniff), never more; its DynamoDB reads (the uploads' BatchGetItem, the account's settings)
    # are in the figure's summary.
    reads = max(0, created_calls.operations("s3").get("GetObject", 0) - 3)
    gets = sender_calls.operations("s3").get("GetObject", 0)
    figures = [
        Figure("10", "create with context and three attachments: DynamoDB writes", "1 write request",
               f"{writes} ({created_calls.summary()})", "pass" if writes == 1 and reads == 0 else "FAIL"),
        Figure("10", "sender reads each attachment from S3 once", "3 GetObject for 3 files", str(gets),
               "pass" if gets == 3 else "FAIL", raw={"calls": [f"{c.service}.{c.operation}"
                                                           for c in sender_calls.calls]}),
    ]
    figures.append(_memory(aws, send))
    return figures


def _memory(aws: Aws, send: Any) -> Figure:
    big = b"%PDF-1.7\n" + (bytes(range(256)) * 4096 * 25)[: 25 * 1024 * 1024 - 9]
    upload_id = _upload("manual-25mb.pdf", "application/pdf", big, aws.settings)
    created = _create([upload_id], 2)
    event = _outbox_event(created, aws.settings)
    del big
    _, sent = _answer_ses_at_the_wire()
    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    try:
        result = send(event, Context("send_email"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if result.get("batchItemFailures") or not sent.get("bytes"):
        raise AssertionError(f"the 25 MB mail was not sent: {result}")
    peak_mb = peak / 1024 / 1024
    baseline_mb = _sender_baseline_mb()
    total = baseline_mb + peak_mb
    return Figure("10", "25 MB attachment: sender's memory (init + send)", f"< {MEMORY_BUDGET_MB} MB",
                  f"{total:.0f} MB ({baseline_mb:.0f} init + {peak_mb:.0f} send peak)",
                  check(total, MEMORY_BUDGET_MB, strict=True),
                  note=f"SES request body {size(sent['bytes'])}; init = resident size of a fresh process that "
                       f"imported send_email and built its clients; this bench process was at {rss_before:.0f} MB")


def _sender_baseline_mb() -> float:
    """What a sender container holds before its first record: a fresh process, its handler imported."""
    import subprocess
    import sys

    # VmHWM, not ru_maxrss: Linux carries a forking parent's ru_maxrss into the child across exec.
    code = ("import functions.send_email.handler, boto3; boto3.client('sesv2', region_name='us-east-1'); "
            "boto3.client('s3', region_name='us-east-1'); "
            "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) / 1024)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: S603 - our own code
                         check=True, timeout=120)
    return float(out.stdout.strip().splitlines()[-1])
