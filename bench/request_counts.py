"""Figure 2: AWS requests per operation, counted with botocore's event hooks on the real handlers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench import counting, scenario
from bench.core import Figure, Verdict, broken, missing
from bench.env import Aws, Context, Missing, handler, slack_request

HOW = ("Each operation runs once through its real handler (API Gateway, SES receipt, SQS and Slack events) on "
       "embedded AWS after a warm-up call; a `before-call` hook on botocore's event system (appended to "
       "`botocore.handlers.BUILTIN_HANDLERS`, as moto does, so PynamoDB's own sessions are hooked too) counts "
       "each API call per service and operation. Retries below `before-call` are not counted.")


@dataclass(frozen=True)
class Budget:
    text: str
    check: Callable[[counting.Recorder], bool]


def _ddb(reads: int | None = None, writes: int | None = None, *, max_total: int | None = None,
         exact_ops: dict[str, int] | None = None, s3_get: int | None = None,
         sqs_send_max: int | None = None, writes_max: int | None = None) -> Callable[[counting.Recorder], bool]:
    def ok(r: counting.Recorder) -> bool:
        ddb = r.operations("dynamodb")
        if reads is not None and r.dynamodb_reads != reads:
            return False
        if writes is not None and r.dynamodb_writes != writes:
            return False
        if writes_max is not None and r.dynamodb_writes > writes_max:
            return False
        if max_total is not None and r.total("dynamodb") > max_total:
            return False
        if exact_ops is not None and dict(ddb) != exact_ops:
            return False
        if s3_get is not None and r.operations("s3").get("GetObject", 0) != s3_get:
            return False
        if sqs_send_max is not None and r.operations("sqs").get("SendMessage", 0) > sqs_send_max:
            return False
        unexpected = set(r.counts) - {("dynamodb", o) for o in ddb} - {("s3", "GetObject"), ("sqs", "SendMessage")}
        return not unexpected
    return ok


BUDGETS = {
    "list": Budget("1 request (Query)", _ddb(exact_ops={"Query": 1})),
    "get with first page": Budget("≤ 2 requests (goal 1)", _ddb(max_total=2, writes=0)),
    # An e-mail create reads where its mail comes from (sending domains, issue 15), as a Slack create reads
    # the account's workspaces; still one write.
    "create": Budget("1 write (+ 1 Query: the account's senders and domains)",
                     _ddb(exact_ops={"Query": 1, "TransactWriteItems": 1})),
    "reply": Budget("1 write, no read", _ddb(reads=0, writes=1)),
    "close": Budget("1 request (UpdateItem)", _ddb(exact_ops={"UpdateItem": 1})),
    "reopen": Budget("1 request (UpdateItem)", _ddb(exact_ops={"UpdateItem": 1})),
    "inbound email": Budget("1 read + 1 write + 1 S3 GetObject", _ddb(reads=1, writes=1, s3_get=1)),
    "Slack thread reply": Budget("1 read + 1 write", _ddb(reads=1, writes=1)),
    "reply with a follow-up": Budget("1 write, no read (as without one)", _ddb(reads=0, writes=1)),
    "follow-up due": Budget("≤ 1 read + ≤ 1 write before its event",
                            lambda r: r.dynamodb_reads <= 1 and r.dynamodb_writes <= 1
                            and set(r.counts) <= {("dynamodb", o) for o in r.operations("dynamodb")}),
    "Slack events endpoint": Budget("≤ 1 write + ≤ 1 queue send, no read (the workspace's account cached)",
                                    _ddb(reads=0, writes_max=1, sqs_send_max=1)),
    # Workspaces per account (issue 14).
    "Slack events endpoint, cold container": Budget(
        "≤ 1 GetItem (the workspace's account) + ≤ 1 write + ≤ 1 queue send",
        _ddb(reads=1, writes_max=1, sqs_send_max=1)),
    "Slack create": Budget("1 write (+ 1 Query: the account's workspaces)",
                           _ddb(exact_ops={"Query": 1, "TransactWriteItems": 1})),
    "Slack directory lookup": Budget("1 request (Query)", _ddb(exact_ops={"Query": 1})),
}


def _figure(name: str, recorder: counting.Recorder, note: str = "") -> Figure:
    budget = BUDGETS[name]
    verdict: Verdict = "pass" if budget.check(recorder) else "FAIL"
    return Figure("2", f"requests: {name}", budget.text, recorder.summary(), verdict, note=note,
                  raw={"calls": [f"{c.service}.{c.operation}" for c in recorder.calls]})


def measure_api(aws: Aws) -> dict[str, counting.Recorder]:
    conversation = "conv-counts"
    scenario.create_email(conversation, 0)  # warm-up: clients and connections exist before counting
    out: dict[str, counting.Recorder] = {}
    with counting.recording() as out["create"]:
        created = scenario.create_email(conversation, 1)
    path = f"{scenario.base(conversation)}/{created['id']}"
    with counting.recording() as out["reply"]:
        scenario.api_json("POST", f"{path}/messages", {"body": "One more detail: order 1042."}, expect=201)
    with counting.recording() as out["list"]:
        scenario.api_json("GET", scenario.base(conversation))
    with counting.recording() as out["get with first page"]:
        scenario.api_json("GET", path)
    with counting.recording() as out["close"]:
        scenario.api_json("PATCH", path, {"state": "closed"})
    with counting.recording() as out["reopen"]:
        scenario.api_json("PATCH", path, {"state": "open"})
    return out


def measure_inbound_email(aws: Aws) -> counting.Recorder:
    import boto3

    ingest = handler("ingest_email")
    s3 = boto3.client("s3", region_name=aws.settings.region)
    recorders: list[counting.Recorder] = []
    for n in range(2):  # the first is the warm-up
        created = scenario.create_email("conv-mail-counts", n)
        raw = scenario.GENERATED.format(to=created["email"]["reply_to"], n=n).encode()
        message_id = f"benchcountsmail{n:04d}"
        scenario.put_raw_mail(s3, aws.settings, message_id, raw)
        event = scenario.receipt_event(raw, message_id, created["email"]["reply_to"])
        with counting.recording() as recorder:
            result = ingest(event, Context("ingest_email"))
        recorders.append(recorder)
        outcomes = [r.get("outcome") for r in result.get("results", [])]
        if outcomes != ["appended"]:
            raise AssertionError(f"the reply was not appended: {result}")
    return recorders[-1]


def measure_slack(aws: Aws) -> tuple[counting.Recorder, counting.Recorder]:
    events = handler("slack_events")
    processor = handler("slack_processor")
    for n in range(2):  # the first is the warm-up
        created = scenario.create_slack("conv-slack-counts", n)
        thread_ts = scenario.thread_ts_for(n)
        scenario.seed_slack_thread(created, thread_ts)
        envelope = scenario.slack_reply(thread_ts, n)
        with counting.recording() as endpoint:
            answer = events(slack_request(envelope), Context("slack_events"))
        if answer.get("statusCode") != 200:
            raise AssertionError(f"the events endpoint refused the event: {answer}")
        body = json.dumps({k: v for k, v in envelope.items() if k != "token"})
        batch = scenario.sqs_event([(f"m-{n}", body)], "arn:aws:sqs:us-east-1:000000000000:slack-events.fifo")
        with counting.recording() as worker:
            result = processor(batch, Context("slack_processor"))
        if (result or {}).get("batchItemFailures"):
            raise AssertionError(f"the processor failed the reply: {result}")
    _check_recorded(aws, created)
    return endpoint, worker


def measure_slack_workspaces(aws: Aws) -> dict[str, counting.Recorder]:
    """A Slack create, a cold events endpoint's first event of a workspace, and a directory lookup."""
    from sideconv.slack.directory import DirectoryStore, Entry

    from bench.env import TEAM_ID
    from local.containers import cold_start

    out: dict[str, counting.Recorder] = {}
    scenario.create_slack("conv-slack-workspaces", 0)  # warm-up
    with counting.recording() as out["Slack create"]:
        created = scenario.create_slack("conv-slack-workspaces", 1)
    thread_ts = scenario.thread_ts_for(7)
    scenario.seed_slack_thread(created, thread_ts)
    cold_start()  # a new container: nothing remembered about any workspace
    events = handler("slack_events")
    with counting.recording() as out["Slack events endpoint, cold container"]:
        answer = events(slack_request(scenario.slack_reply(thread_ts, 7)), Context("slack_events"))
    if answer.get("statusCode") != 200:
        raise AssertionError(f"the events endpoint refused the event: {answer}")
    DirectoryStore().put(scenario.ACCOUNT, TEAM_ID, [
        Entry(f"U0BENCH{n:03d}", "user", name, f"{name} Person") for n, name in
        enumerate(("Alice", "Albert", "Bob", "Carol", "Dave", "Erin") * 5)])
    query = {"team_id": TEAM_ID, "kind": "user", "q": "al", "limit": "10"}
    scenario.api_json("GET", "/v1/slack/directory", query=query)  # warm-up
    with counting.recording() as out["Slack directory lookup"]:
        page = scenario.api_json("GET", "/v1/slack/directory", query=query)
    if not page["items"]:
        raise AssertionError("the directory found nobody")
    return out


def _check_recorded(aws: Aws, created: dict[str, Any]) -> None:
    got = scenario.api_json("GET", f"{scenario.base(created['conversation_id'])}/{created['id']}")
    if not any(m["direction"] == "inbound" for m in got.get("messages", [])):
        raise AssertionError("the Slack reply was not recorded")


NOTES = {"create": "after the warm-up create: the account's follow-up settings are read (1 GetItem) at most "
                    "once a minute per container and account (sideconv.follow_up_settings.for_create)"}
SCHEDULER_PER_CHANGE = "1 Scheduler call per change of the firing time, 0 otherwise"


def _follow_up_figures(aws: Aws) -> list[Figure]:
    from bench import follow_up_counts

    try:
        measured = follow_up_counts.measure(aws)
    except Exception as exc:
        return [broken("2", "requests: follow-ups", "see rows", exc)]
    figures = [_figure(name, measured[name]) for name in ("reply with a follow-up", "follow-up due")]
    changes = measured["schedule per change"]
    ok = all(recorder.total("scheduler") == expected for _, expected, recorder in changes)
    text = "; ".join(f"{name} {recorder.total('scheduler')}"
                     + (f" ({', '.join(c.operation for c in recorder.calls)})" if recorder.calls else "")
                     for name, _, recorder in changes)
    figures.append(Figure("2", "requests: follow-up schedule per change", SCHEDULER_PER_CHANGE, text,
                          "pass" if ok else "FAIL",
                          raw={"changes": {n: [c.operation for c in r.calls] for n, _, r in changes}}))
    return figures


def run(aws: Aws) -> list[Figure]:
    figures: list[Figure] = []
    try:
        for name, recorder in measure_api(aws).items():
            figures.append(_figure(name, recorder, note=NOTES.get(name, "")))
    except Exception as exc:
        figures.append(broken("2", "requests: API", "see rows", exc))
    figures += _follow_up_figures(aws)
    try:
        figures.append(_figure("inbound email", measure_inbound_email(aws)))
    except Missing as exc:
        figures.append(missing("2", "requests: inbound email", BUDGETS["inbound email"].text, str(exc)))
    except Exception as exc:
        figures.append(broken("2", "requests: inbound email", BUDGETS["inbound email"].text, exc))
    try:
        endpoint, processor = measure_slack(aws)
        figures.append(_figure("Slack thread reply", processor))
        figures.append(_figure("Slack events endpoint", endpoint))
    except Missing as exc:
        for name in ("Slack thread reply", "Slack events endpoint"):
            figures.append(missing("2", f"requests: {name}", BUDGETS[name].text, str(exc)))
    except Exception as exc:
        for name in ("Slack thread reply", "Slack events endpoint"):
            figures.append(broken("2", f"requests: {name}", BUDGETS[name].text, exc))
    workspace_rows = ("Slack create", "Slack events endpoint, cold container", "Slack directory lookup")
    try:
        for name, recorder in measure_slack_workspaces(aws).items():
            figures.append(_figure(name, recorder))
    except Missing as exc:
        figures += [missing("2", f"requests: {name}", BUDGETS[name].text, str(exc)) for name in workspace_rows]
    except Exception as exc:
        figures += [broken("2", f"requests: {name}", BUDGETS[name].text, exc) for name in workspace_rows]
    return figures
