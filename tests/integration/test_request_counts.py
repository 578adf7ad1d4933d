"""DynamoDB (and S3, SQS) requests per operation, counted with botocore's event hooks on the real
handlers: the structural part of `make bench`, cheap enough for every test run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from bench import counting, scenario
from bench.env import LOCAL_ENV, Context, Missing, SlackStub, handler, slack_request
from local.containers import cold_start

counting.install()  # before any client of these tests exists: every botocore session is hooked


def _handler(name: str) -> Any:
    try:
        return handler(name)
    except Missing as exc:
        pytest.skip(f"not measurable yet: {exc}")


@pytest.fixture
def counted(api: Any) -> Iterator[None]:
    """Embedded AWS (the `api` fixture) with every per-container cache cleared, so each client is new."""
    cold_start()
    yield
    cold_start()


@pytest.fixture
def slack_env(counted: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackStub]:
    from local.aws import SLACK_EVENTS_QUEUE

    queue_url = boto3.client("sqs").get_queue_url(QueueName=SLACK_EVENTS_QUEUE)["QueueUrl"]
    stub = SlackStub()
    stub.start()
    for name, value in LOCAL_ENV.items():
        if name.startswith("SLACK_"):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("SLACK_EVENTS_QUEUE_URL", queue_url)
    monkeypatch.setenv("SLACK_API_URL", stub.url)
    cold_start()
    yield stub
    stub.stop()
    cold_start()


def _ops(recorder: counting.Recorder) -> dict[str, int]:
    return {f"{service}.{operation}": n for (service, operation), n in recorder.counts.items()}


class TestApi:
    def test_list_is_one_query(self, counted: None) -> None:
        scenario.create_email("conv-1")
        with counting.recording() as recorder:
            listed = scenario.api_json("GET", scenario.base("conv-1"))
        assert len(listed["items"]) == 1
        assert _ops(recorder) == {"dynamodb.Query": 1}

    def test_get_with_the_first_page_of_messages_is_one_query(self, counted: None) -> None:
        created = scenario.create_email("conv-1")
        path = f"{scenario.base('conv-1')}/{created['id']}"
        scenario.api_json("POST", f"{path}/messages", {"body": "a second message"}, expect=201)
        with counting.recording() as recorder:
            got = scenario.api_json("GET", path)
        assert len(got["messages"]) == 2
        assert _ops(recorder) == {"dynamodb.Query": 1}  # the budget is 2; the summary sorts first

    def test_an_email_create_is_one_write_after_reading_where_its_mail_comes_from(self, counted: None) -> None:
        scenario.create_email("conv-1")  # clients exist; their creation is not a request anyway
        with counting.recording() as recorder:
            scenario.create_email("conv-1")
        # Which address: one Query of the account's sending partition (its senders and domains)
        assert _ops(recorder) == {"dynamodb.Query": 1, "dynamodb.TransactWriteItems": 1}

    def test_a_slack_create_is_one_write_after_reading_the_accounts_workspaces(self, counted: None) -> None:
        scenario.create_email("conv-1")
        with counting.recording() as recorder:
            scenario.create_slack("conv-1")
        # Which workspace: one Query of the account's own (none here: the self-hosting mode's)
        assert _ops(recorder) == {"dynamodb.Query": 1, "dynamodb.TransactWriteItems": 1}

    def test_reply_is_one_write_and_no_read(self, counted: None) -> None:
        created = scenario.create_email("conv-1")
        with counting.recording() as recorder:
            scenario.api_json("POST", f"{scenario.base('conv-1')}/{created['id']}/messages", {"body": "more"},
                              expect=201)
        assert _ops(recorder) == {"dynamodb.TransactWriteItems": 1}

    @pytest.mark.parametrize("state", ["closed", "open"])
    def test_close_and_reopen_are_one_update(self, counted: None, state: str) -> None:
        created = scenario.create_email("conv-1")
        path = f"{scenario.base('conv-1')}/{created['id']}"
        if state == "open":
            scenario.api_json("PATCH", path, {"state": "closed"})
        with counting.recording() as recorder:
            updated = scenario.api_json("PATCH", path, {"state": state})
        assert updated["state"] == state
        assert _ops(recorder) == {"dynamodb.UpdateItem": 1}


class TestChannels:
    def test_an_inbound_email_is_one_read_one_write_and_the_raw_mail(self, counted: None) -> None:
        from sideconv.config import from_env

        ingest = _handler("ingest_email")
        created = scenario.create_email("conv-1")
        reply_to = created["email"]["reply_to"]
        raw = scenario.GENERATED.format(to=reply_to, n=1).encode()
        scenario.put_raw_mail(boto3.client("s3"), from_env(), "sesmessage0001", raw)
        with counting.recording() as recorder:
            result = ingest(scenario.receipt_event(raw, "sesmessage0001", reply_to), Context("ingest_email"))
        assert [r["outcome"] for r in result["results"]] == ["appended"]
        assert _ops(recorder) == {"dynamodb.GetItem": 1, "dynamodb.TransactWriteItems": 1, "s3.GetObject": 1}

    def test_the_slack_events_endpoint_is_at_most_one_write_and_one_queue_send(self, slack_env: SlackStub) -> None:
        events = _handler("slack_events")
        envelope = scenario.slack_reply("1726000000.000100", 1)
        with counting.recording() as recorder:
            answer = events(slack_request(envelope), Context("slack_events"))
        assert answer["statusCode"] == 200
        # A cold container reads the workspace's routing item once, then remembers it
        assert _ops(recorder) == {"dynamodb.GetItem": 1, "dynamodb.PutItem": 1, "sqs.SendMessage": 1}
        # Slack's retry of the same event: one conditional write, refused, and nothing queued
        with counting.recording() as retry:
            events(slack_request(envelope), Context("slack_events"))
        assert _ops(retry) == {"dynamodb.PutItem": 1}

    def test_a_slack_thread_reply_is_one_read_and_one_write(self, slack_env: SlackStub) -> None:
        processor = _handler("slack_processor")
        created = scenario.create_slack("conv-1")
        scenario.seed_slack_thread(created, "1726000000.000100")
        body = json.dumps(scenario.slack_reply("1726000000.000100", 1))
        batch = scenario.sqs_event([("m-1", body)], "arn:aws:sqs:us-east-1:000000000000:slack-events.fifo")
        with counting.recording() as recorder:
            result = processor(batch, Context("slack_processor"))
        assert result["batchItemFailures"] == []
        assert _ops(recorder) == {"dynamodb.GetItem": 1, "dynamodb.TransactWriteItems": 1}
        assert slack_env.calls == ["users.info"]  # the author's name, from Slack (not the table)
        got = scenario.api_json("GET", f"{scenario.base('conv-1')}/{created['id']}")
        assert sorted(m["direction"] for m in got["messages"]) == ["inbound", "outbound"]
