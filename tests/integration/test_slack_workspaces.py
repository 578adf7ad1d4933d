"""Slack workspaces per account (issue 14): Add to Slack, routing events by workspace, sending by the side
conversation's workspace, the directory, Slack Connect, and the attacks on each.

The real API, events endpoint, sender and processor handlers on embedded AWS (KMS included), the real
slack-sdk over HTTP to the two-workspace stand-in, in per-account mode (no environment installation).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from tests.conftest import TABLE, LambdaContextStub, agent_claims
from tests.slack_support import SlackWorld, counting_aws_requests, slack_world

pytestmark = pytest.mark.xdist_group("slack")

W1, W2 = "T0LOCAL01", "T0LOCAL02"
ACME, GLOBEX = "acme", "globex"


@pytest.fixture
def world() -> Iterator[SlackWorld]:
    with slack_world(env={"SLACK_SINGLE_WORKSPACE": "false", "SLACK_BOT_TOKEN": ""}) as w:
        yield w


def call(method: str, path: str, *, claims: dict[str, Any] | None, query: dict[str, str] | None = None,
         body: Any = None) -> tuple[int, dict[str, str], Any]:
    """The API function as API Gateway invokes it (claims None: a route without the JWT authorizer)."""
    from functions.api.handler import lambda_handler
    from local.apigw import http_api_event

    event = http_api_event(method, path, query=query, headers={"content-type": "application/json"},
                           body=json.dumps(body) if body is not None else None, claims=claims)
    response = lambda_handler(event, LambdaContextStub())
    text = response.get("body") or ""
    try:
        payload = json.loads(text) if text else None
    except ValueError:
        payload = text
    return response["statusCode"], response.get("headers") or {}, payload


def admin(account: str = ACME) -> dict[str, Any]:
    return agent_claims(account=account, sub=f"admin-of-{account}", role="admin")


def agent(account: str = ACME) -> dict[str, Any]:
    return agent_claims(account=account, sub=f"agent-of-{account}")


def start_install(account: str = ACME) -> str:
    status, _, started = call("POST", "/v1/slack/installations", claims=admin(account))
    assert status == 201, started
    return parse_qs(urlsplit(started["authorize_url"]).query)["state"][0]


def callback(query: dict[str, str]) -> tuple[int, Any, dict[str, list[str]]]:
    status, headers, body = call("GET", "/v1/slack/oauth/callback", claims=None, query=query)
    location = headers.get("Location", "")
    return status, body, parse_qs(urlsplit(location).query)


def install(world: SlackWorld, account: str, team: str) -> dict[str, list[str]]:
    state = start_install(account)
    status, body, result = callback({"code": world.slack.authorize(team), "state": state})
    assert status == 302, body
    return result


def items(world: SlackWorld, prefix: str) -> list[dict[str, Any]]:
    """Items whose pk starts with `prefix`; an account's installations: exactly `A#<account>#SLACK`."""
    if prefix.endswith("#SLACK"):
        return [i for i in world.items() if i["pk"]["S"] == prefix]
    return [i for i in world.items() if i["pk"]["S"].startswith(prefix)]


def start(account: str, channel: str = "C0ONCALL", team: str | None = None, conversation: str = "conv-1",
          target: dict[str, Any] | None = None) -> tuple[int, Any]:
    slack: dict[str, Any] = target or {"target": "channel", "channel_id": channel}
    if team is not None:
        slack["team_id"] = team
    status, _, body = call("POST", f"/v1/conversations/{conversation}/side-conversations", claims=agent(account),
                           body={"channel": "slack", "subject": "Refund", "body": "Can you check?", "slack": slack})
    return status, body


def envelope_of(world: SlackWorld, team: str, event: dict[str, Any]) -> dict[str, Any]:
    return world.slack.envelope(event, ws=world.slack.workspace(team))


def thread_reply(world: SlackWorld, team: str, channel: str, thread_ts: str, user: str, text: str,
                 **extra: Any) -> dict[str, Any]:
    ts = f"{time.time():.6f}"
    return envelope_of(world, team, {"type": "message", "user": user, "text": text, "ts": ts, "thread_ts": thread_ts,
                                     "channel": channel, "event_ts": ts, "channel_type": "channel", **extra})


def messages_of(account: str, side_conversation_id: str, conversation: str = "conv-1") -> dict[str, Any]:
    status, _, found = call("GET", f"/v1/conversations/{conversation}/side-conversations/{side_conversation_id}",
                            claims=agent(account))
    assert status == 200, found
    return found


# Installing --------------------------------------------------------------------------------------


def test_an_admin_connects_a_workspace_with_slack_sdks_oauth(world: SlackWorld) -> None:
    status, _, started = call("POST", "/v1/slack/installations", claims=admin())
    assert status == 201
    url = urlsplit(started["authorize_url"])
    query = parse_qs(url.query)
    assert query["client_id"] == ["local-client-id"]
    assert "channels:join" in query["scope"][0]
    assert "users:read" in query["scope"][0]
    assert started["state_expires_at"] > time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 590))

    status, _, result = callback({"code": world.slack.authorize(W1), "state": query["state"][0]})
    assert status == 302
    assert result["slack"] == ["connected"]
    assert result["slack_team_id"] == [W1]

    status, _, listed = call("GET", "/v1/slack/installations", claims=admin())
    assert status == 200
    [workspace] = listed["items"]
    assert workspace["team_id"] == W1
    assert workspace["team_name"] == "atender-local"
    assert workspace["state"] == "active"
    assert workspace["installed_by"] == "admin-of-acme"
    # At rest the token is a KMS ciphertext bound to the account and the team
    [item] = items(world, "A#acme#SLACK")
    assert "xoxb" not in json.dumps(item)
    blob = __import__("base64").b64decode(item["bot_token_ciphertext"]["S"])
    kms = boto3.client("kms", region_name="us-east-1")
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"service": "atender-side-conversations",
                                                            "account_id": GLOBEX, "slack_team_id": W1})
    # The state was consumed: nothing of the install in progress is left
    assert items(world, "SLACKSTATE#") == []


@pytest.mark.parametrize("case", ["forged", "replayed", "expired", "malformed", "missing"])
def test_a_bad_state_is_400_and_installs_nothing(world: SlackWorld, case: str) -> None:
    state = start_install()
    code = world.slack.authorize(W1)
    if case == "forged":
        state = "A" * 43
    elif case == "replayed":
        assert callback({"code": code, "state": state})[0] == 302
        code = world.slack.authorize(W2)
        for item in items(world, "A#acme#SLACK"):  # the first install is not what is tested here
            boto3.client("dynamodb", region_name="us-east-1").delete_item(
                TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})
    elif case == "expired":
        [item] = items(world, "SLACKSTATE#")
        boto3.client("dynamodb", region_name="us-east-1").update_item(
            TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]}, UpdateExpression="SET valid_until = :past",
            ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}})
    elif case == "malformed":
        state = "../../SLACKWS#-#T0LOCAL01"
    query = {"code": code} if case == "missing" else {"code": code, "state": state}
    status, problem, _ = callback(query)
    assert status == 400
    assert problem["errors"][0]["field"] == "state"
    assert problem["errors"][0]["in"] == "query"
    assert items(world, "A#acme#SLACK") == []
    assert [i for i in items(world, "SLACKWS#") if case != "replayed"] == []


def test_a_replayed_code_installs_nothing_twice(world: SlackWorld) -> None:
    code = world.slack.authorize(W1)
    assert callback({"code": code, "state": start_install()})[2]["slack"] == ["connected"]
    before = items(world, "A#acme#SLACK")
    # The same code with a fresh, valid state: Slack refuses it, nothing is stored again
    status, _, result = callback({"code": code, "state": start_install()})
    assert status == 302
    assert result["slack"] == ["error"]
    assert result["slack_error"] == ["invalid_code"]
    assert items(world, "A#acme#SLACK") == before
    assert len(world.slack.tokens_of(W1)) == 2  # the stand-in's static one and the install's


def test_the_user_cancelling_on_slack_installs_nothing(world: SlackWorld) -> None:
    status, _, result = callback({"error": "access_denied", "state": start_install()})
    assert status == 302
    assert result["slack_error"] == ["access_denied"]
    assert items(world, "A#acme#SLACK") == []


def test_only_admins_start_list_or_remove_installs(world: SlackWorld) -> None:
    install(world, ACME, W1)
    for method, path in (("POST", "/v1/slack/installations"), ("GET", "/v1/slack/installations"),
                         ("DELETE", f"/v1/slack/installations/{W1}")):
        status, _, problem = call(method, path, claims=agent())
        assert status == 403, (method, problem)
    assert len(items(world, "A#acme#SLACK")) == 1
    assert items(world, "SLACKSTATE#") == []


def test_an_org_wide_enterprise_install_is_refused_clearly(world: SlackWorld) -> None:
    result = install(world, ACME, "E0LOCALORG")
    assert result["slack"] == ["error"]
    assert result["slack_error"] == ["enterprise_install_not_supported"]
    assert items(world, "A#acme#SLACK") == []
    assert items(world, "SLACKWS#") == []
    assert world.slack.calls_of("auth.revoke")  # its token was given back


def test_a_workspace_belongs_to_one_account(world: SlackWorld) -> None:
    install(world, ACME, W1)
    result = install(world, GLOBEX, W1)
    assert result["slack_error"] == ["workspace_connected_elsewhere"]
    assert items(world, "A#globex#SLACK") == []
    # Another account's workspace id in a create: refused, never posted
    status, problem = start(GLOBEX, team=W1)
    assert status == 422
    assert problem["errors"][0]["field"] == "slack.team_id"
    world.drain()
    assert world.slack.messages() == []


def test_a_create_names_the_workspace_when_there_are_several_and_needs_one(world: SlackWorld) -> None:
    status, problem = start(ACME)
    assert status == 422
    assert problem["errors"][0]["field"] == "slack.team_id"
    assert "no Slack workspace" in problem["detail"]
    install(world, ACME, W1)
    install(world, ACME, W2)
    status, problem = start(ACME)
    assert status == 422
    assert "several" in problem["detail"]
    status, created = start(ACME, channel="C2SUPPORT", team=W2)
    assert status == 201
    assert created["slack"]["team_id"] == W2
    assert created["slack"]["team_name"] == "globex-local"


def test_disconnecting_revokes_the_token_and_deletes_the_installation(world: SlackWorld) -> None:
    install(world, ACME, W1)
    [token] = [t for t in world.slack.tokens_of(W1) if t != world.slack.installation.token]
    status, _, _ = call("DELETE", f"/v1/slack/installations/{W1}", claims=admin())
    assert status == 204
    assert token not in world.slack.tokens_of(W1)
    assert items(world, "A#acme#SLACK") == []
    assert items(world, "SLACKWS#") == []
    status, _, _ = call("DELETE", f"/v1/slack/installations/{W1}", claims=admin())
    assert status == 404


# Routing and sending by workspace -------------------------------------------------------------


def test_two_accounts_each_send_and_receive_in_their_own_workspace_only(world: SlackWorld) -> None:
    install(world, ACME, W1)
    install(world, GLOBEX, W2)
    _, acme_sc = start(ACME, channel="C0ONCALL")
    _, globex_sc = start(GLOBEX, channel="C2SUPPORT")
    world.drain()
    [acme_post] = world.slack.messages("C0ONCALL")
    [globex_post] = world.slack.messages("C2SUPPORT")
    assert (acme_post["team"], globex_post["team"]) == (W1, W2)  # each with its own workspace's token
    assert world.slack.calls_of("auth.test") == []

    # A reply in each thread lands in its own account
    assert world.post_event(thread_reply(world, W1, "C0ONCALL", acme_post["ts"], "U0BOB", "acme answer"))[0] == 200
    assert world.post_event(thread_reply(world, W2, "C2SUPPORT", globex_post["ts"], "U2PENNY", "globex answer"))[0] \
        == 200
    world.drain()
    assert [m["body"] for m in messages_of(ACME, acme_sc["id"])["messages"]][-1] == "acme answer"
    assert [m["body"] for m in messages_of(GLOBEX, globex_sc["id"])["messages"]][-1] == "globex answer"

    # Workspace 2's event crafted with workspace 1's channel and thread: nowhere in account 1
    forged = thread_reply(world, W2, "C0ONCALL", acme_post["ts"], "U2PENNY", "crafted")
    assert world.post_event(forged)[0] == 200
    world.drain()
    assert "crafted" not in json.dumps(messages_of(ACME, acme_sc["id"]))
    assert "crafted" not in json.dumps(world.items())

    # A workspace no account installed: 200, nothing written, nothing queued
    stranger = thread_reply(world, W1, "C0ONCALL", acme_post["ts"], "U0BOB", "stranger")
    stranger["team_id"] = "T0NOBODY"
    before = len(world.items())
    with counting_aws_requests() as counter:
        assert world.post_event(stranger)[0] == 200
    assert [op for op in counter.of("dynamodb") if op != "GetItem"] == []
    assert counter.of("sqs") == []
    assert len(world.items()) == before


def test_the_events_endpoint_reads_a_workspaces_account_once_per_container(world: SlackWorld) -> None:
    install(world, ACME, W1)
    from local.containers import cold_start

    cold_start()  # a cold container
    with counting_aws_requests() as counter:
        for n in range(3):
            event = {"type": "message", "channel": "C0ONCALL", "text": str(n), "ts": f"17000000{n}.000100"}
            assert world.post_event(envelope_of(world, W1, event))[0] == 200
    assert counter.of("dynamodb") == ["GetItem", "PutItem", "PutItem", "PutItem"]
    assert counter.of("sqs") == ["SendMessage"] * 3


def test_uninstalling_turns_sends_into_workspace_disconnected(world: SlackWorld) -> None:
    install(world, ACME, W1)
    install(world, GLOBEX, W2)
    _, globex_sc = start(GLOBEX, channel="C2SUPPORT")
    _, acme_sc = start(ACME, channel="C0ONCALL")
    world.drain()
    world.slack.uninstall(W2)  # its tokens stop working; Slack sends tokens_revoked and app_uninstalled
    for envelope in (envelope_of(world, W2, {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U2LOCALBOT"]}}),
                     envelope_of(world, W2, {"type": "app_uninstalled"})):
        assert world.post_event(envelope)[0] == 200
    world.drain()
    status, _, listed = call("GET", "/v1/slack/installations", claims=admin(GLOBEX))
    assert [w["state"] for w in listed["items"]] == ["revoked"]
    # A reply to the disconnected workspace's side conversation fails, and says why
    status, _, _reply = call("POST", f"/v1/conversations/conv-1/side-conversations/{globex_sc['id']}/messages",
                            claims=agent(GLOBEX), body={"body": "still there?"})
    assert status == 201
    world.drain()
    last = messages_of(GLOBEX, globex_sc["id"])["messages"][-1]
    assert last["delivery"]["status"] == "failed"
    assert last["delivery"]["detail"].startswith("workspace_disconnected")
    # A new one is refused at create; the other account is untouched
    status, problem = start(GLOBEX, channel="C2SUPPORT")
    assert status == 422
    assert "workspace_disconnected" in problem["detail"]
    status, _, _ = call("POST", f"/v1/conversations/conv-1/side-conversations/{acme_sc['id']}/messages",
                        claims=agent(ACME), body={"body": "and here?"})
    world.drain()
    assert messages_of(ACME, acme_sc["id"])["messages"][-1]["delivery"]["status"] == "sent"


def test_a_token_slack_refuses_fails_the_send_as_disconnected(world: SlackWorld) -> None:
    install(world, ACME, W1)
    _, created = start(ACME, channel="C0ONCALL")
    world.drain()
    for token in world.slack.tokens_of(W1):  # revoked in Slack, before any event says so
        world.slack._tokens.pop(token)
    call("POST", f"/v1/conversations/conv-1/side-conversations/{created['id']}/messages", claims=agent(),
         body={"body": "hello?"})
    world.drain()
    last = messages_of(ACME, created["id"])["messages"][-1]
    assert last["delivery"]["status"] == "failed"
    assert "workspace_disconnected" in last["delivery"]["detail"]


def test_a_rotating_token_is_refreshed_before_it_expires(world: SlackWorld) -> None:
    world.slack.token_rotation = True
    install(world, ACME, W1)
    [item] = items(world, "A#acme#SLACK")
    assert "bot_refresh_token_ciphertext" in item
    boto3.client("dynamodb", region_name="us-east-1").update_item(
        TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]}, UpdateExpression="SET bot_token_expires_at = :soon",
        ExpressionAttributeValues={":soon": {"N": str(int(time.time()) + 60)}})
    old = set(world.slack.tokens_of(W1))
    start(ACME, channel="C0ONCALL")
    world.drain()
    refreshes = [c for c in world.slack.calls_of("oauth.v2.access") if c.get("grant_type") == "refresh_token"]
    assert len(refreshes) == 1
    assert len(world.slack.messages("C0ONCALL")) == 1
    [rotated] = items(world, "A#acme#SLACK")
    assert rotated["bot_token_ciphertext"] != item["bot_token_ciphertext"]
    assert int(rotated["bot_token_expires_at"]["N"]) > time.time() + 3600
    assert set(world.slack.tokens_of(W1)) - old  # a new token, used for the post


# The directory, joins and Slack Connect --------------------------------------------------------


def refresh_directory(world: SlackWorld, account: str, team: str) -> None:
    from sideconv.slack.directory import queue_refresh
    from sideconv.wiring import Wiring

    queue_refresh(Wiring.from_env(), account, team)
    world.drain()


def directory(account: str, **query: str) -> tuple[int, Any]:
    status, _, page = call("GET", "/v1/slack/directory", claims=agent(account), query=query)
    return status, page


def test_the_directory_finds_people_and_channels_by_name_in_one_query(world: SlackWorld) -> None:
    install(world, ACME, W1)
    install(world, GLOBEX, W2)
    world.drain()  # the install queued the first refresh
    world.slack.fail_next("users.list", status=429, retry_after=1)
    refresh_directory(world, ACME, W1)
    assert world.slack.rate_limited >= 1  # and the refresh waited and went on

    with counting_aws_requests() as counter:
        status, page = directory(ACME, team_id=W1, kind="user", q="al")
    assert status == 200
    assert counter.of("dynamodb") == ["Query"]
    assert [(p["id"], p["name"], p["real_name"]) for p in page["items"]] == [("U0ALICE", "Alice", "Alice Engineer")]
    assert page["items"][0]["avatar_url"].startswith("data:image/svg+xml")
    # By real name too; bots, the app's own bot and deactivated people are left out
    _, engineers = directory(ACME, team_id=W1, kind="user", q="ENGINEER")
    assert [p["id"] for p in engineers["items"]] == []  # a prefix of a name, not a word inside it
    _, everyone = directory(ACME, team_id=W1, kind="user", limit="50")
    ids = {p["id"] for p in everyone["items"]}
    assert "U0BOB" in ids
    assert not ids & {"U0DEPLOYBOT", "U0LOCALBOT", "U0MALLORY", "USLACKBOT"}

    _, channels = directory(ACME, team_id=W1, kind="channel", limit="50")
    by_id = {c["id"]: c for c in channels["items"]}
    assert by_id["C0PARTNER"]["is_shared_externally"] is True
    assert by_id["C0RANDOM"]["is_member"] is False
    assert by_id["C0INCIDENT"]["is_private"] is True
    assert by_id["C0INCIDENT"]["is_member"] is True
    # Archived; and a private channel the app is not in, which Slack does not list to the app
    assert "C0OLDNEWS" not in by_id
    assert "C0PRIVATE" not in by_id
    # Another account's workspace is empty to this account; a page token of one lookup fits no other
    _, foreign = directory(GLOBEX, team_id=W1, kind="user")
    assert foreign["items"] == []
    _, first = directory(ACME, team_id=W1, kind="user", limit="2")
    assert first["next_token"]
    status, problem = directory(ACME, team_id=W1, kind="channel", limit="2", next_token=first["next_token"])
    assert status == 400
    assert problem["errors"][0]["field"] == "next_token"
    status, problem = directory(ACME, team_id="not a team", kind="user")
    assert status == 422


def test_a_public_channel_is_joined_and_a_private_one_needs_an_invite(world: SlackWorld) -> None:
    install(world, ACME, W1)
    refresh_directory(world, ACME, W1)
    status, problem = start(ACME, channel="C0PRIVATE")
    assert status == 409
    assert problem["errors"][0]["field"] == "slack.channel_id"
    assert "invite" in problem["detail"]
    status, _ = start(ACME, channel="C0RANDOM")
    assert status == 201
    world.drain()
    assert world.slack.calls_of("conversations.join") == [{"channel": "C0RANDOM"}]
    assert len(world.slack.messages("C0RANDOM")) == 1


def test_slack_connect_channels_and_external_replies_are_flagged(world: SlackWorld) -> None:
    install(world, ACME, W1)
    refresh_directory(world, ACME, W1)
    status, created = start(ACME, channel="C0PARTNER")
    assert status == 201
    assert created["slack"]["shared_externally"] is True
    world.drain()
    [root] = world.slack.messages("C0PARTNER")
    for user, team in (("U9VERA", "T9VENDOR"), ("U0BOB", W1)):
        event = thread_reply(world, W1, "C0PARTNER", root["ts"], user, f"from {user}", user_team=team)
        assert world.post_event(event)[0] == 200
    world.drain()
    found = messages_of(ACME, created["id"])
    assert found["slack"]["shared_externally"] is True
    assert [(m["body"], m["external"]) for m in found["messages"] if m["direction"] == "inbound"] == [
        ("from U9VERA", True), ("from U0BOB", False)]


# Secrets ------------------------------------------------------------------------------------------


def test_no_token_in_any_log_line_response_or_event(world: SlackWorld, caplog: pytest.LogCaptureFixture,
                                                    capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    world.slack.token_rotation = True
    answers: list[Any] = []
    state = start_install()
    answers.append(callback({"code": world.slack.authorize(W1), "state": state}))
    answers.append(call("GET", "/v1/slack/installations", claims=admin()))
    _, created = start(ACME, channel="C0ONCALL")
    answers.append(created)
    world.drain()
    [root] = world.slack.messages("C0ONCALL")
    world.post_event(thread_reply(world, W1, "C0ONCALL", root["ts"], "U0BOB", "ok"))
    sqs = boto3.client("sqs", region_name="us-east-1")
    queued = sqs.receive_message(QueueUrl=world.stack.resources.slack_events_queue_url, MaxNumberOfMessages=10,
                                 VisibilityTimeout=0).get("Messages", [])
    world.drain()
    answers.append(messages_of(ACME, created["id"]))
    answers.append(call("DELETE", f"/v1/slack/installations/{W1}", claims=admin()))
    issued = [t for t in world.slack.tokens_of(W1)] + list(world.slack._refresh_tokens)
    issued += [c["token"] for c in world.slack.calls_of("auth.revoke") if c.get("token")]
    assert issued, "the install issued tokens"
    captured = capfd.readouterr()
    haystacks = {"logs": caplog.text + captured.out + captured.err, "responses": json.dumps(answers, default=str),
                 "queued events": json.dumps([m["Body"] for m in queued]),
                 "table": json.dumps(world.items())}
    for token in set(issued):
        for where, text in haystacks.items():
            assert token not in text, f"a token in the {where}"
    assert "xoxb-" not in haystacks["logs"] + haystacks["responses"] + haystacks["table"]


def test_slacks_user_and_channel_events_keep_the_directory_fresh(world: SlackWorld) -> None:
    install(world, ACME, W1)
    refresh_directory(world, ACME, W1)
    renamed = {"id": "U0BOB", "name": "bob", "profile": {"display_name": "Roberto", "real_name": "Roberto Oncall"}}
    events = [{"type": "user_change", "user": renamed},
              {"type": "team_join", "user": {"id": "U0NEWBIE", "name": "nia", "profile": {"display_name": "Nia"}}},
              {"type": "user_change", "user": {"id": "U0BOTTY", "is_bot": True, "profile": {"display_name": "Botty"}}},
              {"type": "channel_created", "channel": {"id": "C0LAUNCH", "name": "launch-room"}},
              {"type": "channel_shared", "channel": "C0BILLING", "connected_team_id": "T9OTHER"}]
    for event in events:
        assert world.post_event(envelope_of(world, W1, event))[0] == 200
    world.drain()
    _, people = directory(ACME, team_id=W1, kind="user", q="ro")
    assert [p["id"] for p in people["items"]] == ["U0BOB"]
    _, old_name = directory(ACME, team_id=W1, kind="user", q="bob")
    assert old_name["items"] == []  # the names Bob had are gone with the change, not at the TTL
    _, new = directory(ACME, team_id=W1, kind="user", q="nia")
    assert [p["id"] for p in new["items"]] == ["U0NEWBIE"]
    _, bots = directory(ACME, team_id=W1, kind="user", q="botty")
    assert bots["items"] == []
    _, launch = directory(ACME, team_id=W1, kind="channel", q="launch")
    assert [(c["id"], c["is_member"]) for c in launch["items"]] == [("C0LAUNCH", False)]

    _, shared = directory(ACME, team_id=W1, kind="channel", q="billing")
    found = [(c["id"], c["is_shared_externally"], c["is_member"]) for c in shared["items"]]
    assert found == [("C0BILLING", True, True)]


def test_a_workspace_revoked_in_one_account_can_be_connected_to_another(world: SlackWorld) -> None:
    install(world, ACME, W1)
    world.slack.uninstall(W1)
    assert world.post_event(envelope_of(world, W1, {"type": "app_uninstalled"}))[0] == 200
    world.drain()
    result = install(world, GLOBEX, W1)
    assert result["slack"] == ["connected"]
    _, created = start(GLOBEX, channel="C0ONCALL")
    world.drain()
    [root] = world.slack.messages("C0ONCALL")
    from local.containers import cold_start

    cold_start()  # the endpoint's minute of remembering the old route has passed
    assert world.post_event(thread_reply(world, W1, "C0ONCALL", root["ts"], "U0BOB", "to globex"))[0] == 200
    world.drain()
    assert messages_of(GLOBEX, created["id"])["messages"][-1]["body"] == "to globex"


def test_a_renamed_channel_is_found_by_its_new_name_only(world: SlackWorld) -> None:
    install(world, ACME, W1)
    refresh_directory(world, ACME, W1)
    event = {"type": "channel_rename", "channel": {"id": "C0BILLING", "name": "invoices", "created": 1}}
    assert world.post_event(envelope_of(world, W1, event))[0] == 200
    world.drain()
    _, old = directory(ACME, team_id=W1, kind="channel", q="billing")
    assert old["items"] == []
    _, new = directory(ACME, team_id=W1, kind="channel", q="invoic")
    assert [(c["id"], c["name"], c["is_member"]) for c in new["items"]] == [("C0BILLING", "invoices", True)]
    status, _ = start(ACME, channel="C0BILLING")  # still known by its id
    assert status == 201


def test_revoking_only_a_user_token_leaves_the_bot_connected(world: SlackWorld) -> None:
    install(world, ACME, W1)
    event = {"type": "tokens_revoked", "tokens": {"oauth": ["U0ALICE"], "bot": []}}
    assert world.post_event(envelope_of(world, W1, event))[0] == 200
    world.drain()
    _, _, listed = call("GET", "/v1/slack/installations", claims=admin(ACME))
    assert [w["state"] for w in listed["items"]] == ["active"]
    status, created = start(ACME, channel="C0ONCALL")
    assert status == 201
    world.drain()
    assert messages_of(ACME, created["id"])["messages"][-1]["delivery"]["status"] == "sent"


def test_an_account_with_its_own_workspace_cannot_name_anothers(world: SlackWorld) -> None:
    install(world, ACME, W1)
    install(world, GLOBEX, W2)
    refresh_directory(world, ACME, W1)
    status, problem = start(GLOBEX, channel="C0ONCALL", team=W1)
    assert status == 422
    assert problem["errors"][0]["field"] == "slack.team_id"
    assert W1 in problem["detail"]
    _, listing = directory(GLOBEX, team_id=W1, kind="channel", q="")
    assert listing["items"] == []  # acme's copy of W1 is acme's
    world.drain()
    assert world.slack.messages("C0ONCALL") == []


def test_a_public_channel_created_after_the_refresh_is_joined_on_a_retry(world: SlackWorld) -> None:
    install(world, ACME, W1)
    refresh_directory(world, ACME, W1)
    world.slack.workspace(W1).not_member["C0LAUNCH"] = "launch-room"  # its channel_created never came
    status, problem = start(ACME, channel="C0LAUNCH")
    assert status == 409
    assert problem["errors"][0]["field"] == "slack.channel_id"
    assert "a moment ago" in problem["detail"]
    world.drain()  # the refusal asked for a refill: the copy now knows the channel
    status, _ = start(ACME, channel="C0LAUNCH", conversation="conv-2")
    assert status == 201
    world.drain()
    assert world.slack.calls_of("conversations.join") == [{"channel": "C0LAUNCH"}]
    assert len(world.slack.messages("C0LAUNCH")) == 1
    # A private channel without the app is still a 409 after the refill
    status, _ = start(ACME, channel="C0PRIVATE", conversation="conv-3")
    assert status == 409
