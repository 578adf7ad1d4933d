"""The v1 API through the real handler, on embedded AWS."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import agent_claims
from tests.factories import email_request, path, slack_request


def create(api: Any, body: dict[str, Any] | None = None, conversation: str = "conv-1", **kw: Any) -> dict[str, Any]:
    status, _, created = api("POST", path(conversation), body or email_request(), **kw)
    assert status == 201, created
    return created


class TestCreate:
    def test_email_side_conversation_starts_with_a_pending_first_message(self, api: Any) -> None:
        # When
        status, headers, created = api("POST", path(), email_request())
        # Then
        assert status == 201
        assert headers["Content-Type"] == "application/json"
        assert created["id"].startswith("email-")
        assert created["channel"] == "email"
        assert created["state"] == "open"
        assert created["message_count"] == 1
        assert created["cc_customer"] is False
        assert created["created_by"] == {"kind": "agent", "id": "agent-1", "name": "Dana Agent",
                                         "email": "agent-1@acme.example"}
        assert created["email"]["reply_to"].endswith("@reply.example.com")
        assert [p["role"] for p in created["participants"]] == ["creator", "to"]
        [first] = created["messages"]
        assert first["direction"] == "outbound"
        assert first["delivery"]["status"] == "pending"
        assert first["body"].startswith("Hi finance")

    def test_customer_is_a_participant_only_when_cc_customer_is_chosen(self, api: Any) -> None:
        without = create(api)
        with_cc = create(api, email_request(cc_customer=True,
                                            customer={"email": "jo@customer.example", "name": "Jo"}))
        assert "customer" not in [p["role"] for p in without["participants"]]
        assert {"kind": "email", "role": "customer", "id": None, "name": "Jo",
                "email": "jo@customer.example"} in with_cc["participants"]
        assert with_cc["cc_customer"] is True

    @pytest.mark.parametrize("target", ["channel", "user", "group"])
    def test_slack_side_conversation_for_each_target(self, api: Any, target: str) -> None:
        created = create(api, slack_request(target))
        assert created["id"].startswith("slack-")
        assert created["slack"]["target"] == target
        assert created["slack"]["thread_ts"] is None  # filled once the root is posted
        assert "email" not in created or created["email"] is None

    def test_reply_addresses_differ_per_side_conversation(self, api: Any) -> None:
        assert create(api)["email"]["reply_to"] != create(api)["email"]["reply_to"]


class TestValidation:
    @pytest.mark.parametrize(("body", "field", "status"), [
        (email_request(subject=None), "subject", 422),
        ({k: v for k, v in email_request().items() if k != "subject"}, "subject", 422),
        ({k: v for k, v in email_request().items() if k != "body"}, "body", 422),
        (email_request(body=""), "body", 422),
        (email_request(to=[]), "to", 422),
        (email_request(to=[{"email": "not-an-address"}]), "to.0.email", 422),
        (email_request(to=[{"email": "a@b.example", "name": "Evil\r\nBcc: x@y.example"}]), "to.0.name", 422),
        (email_request(subject="Hello\nBcc: x@y.example"), "subject", 422),
        (email_request(to=[{"email": f"r{i}@v.example"} for i in range(51)]), "to", 422),
        (email_request(slack={"target": "channel", "channel_id": "C1"}), "slack", 422),
        (email_request(cc_customer=True), "customer", 422),
        (email_request(to=[{"email": "a@b.example"}, {"email": "A@b.example"}]), "to.1.email", 422),
        (slack_request(to=[{"email": "a@b.example"}]), "to", 422),
        (slack_request(cc_customer=True), "cc_customer", 422),
        (slack_request("group", slack={"target": "group", "user_ids": [f"U0{i}AAAA" for i in range(9)]}),
         "slack.user_ids", 422),
        (slack_request("group", slack={"target": "group", "user_ids": ["U0AAAA"]}), "slack.user_ids", 422),
        (slack_request("user", slack={"target": "user", "user_ids": ["U0A", "U0B"]}), "slack.user_ids", 422),
        (slack_request(slack={"target": "channel"}), "slack.channel_id", 422),
        ({"channel": "fax", "body": "x"}, "channel", 422),
    ])
    def test_a_bad_field_is_named_in_a_problem(self, api: Any, body: dict[str, Any], field: str,
                                               status: int) -> None:
        code, headers, problem = api("POST", path(), body)
        assert code == status, problem
        assert headers["Content-Type"] == "application/problem+json"
        assert problem["status"] == status
        assert field in [e["field"] for e in problem["errors"]], problem
        assert problem["detail"].startswith(problem["errors"][0]["field"])

    def test_nothing_is_stored_when_validation_fails(self, api: Any) -> None:
        api("POST", path(), email_request(subject="a\nb"))
        _, _, listing = api("GET", path())
        assert listing["items"] == []

    def test_malformed_json_is_a_400(self, api: Any) -> None:
        status, headers, problem = api("POST", path(), raw="{not json")
        assert status == 400
        assert headers["Content-Type"] == "application/problem+json"
        assert problem["errors"][0]["field"] == "body"

    def test_query_and_path_fields_are_named(self, api: Any) -> None:
        status, _, problem = api("GET", path(), query={"limit": "1000"})
        assert status == 422
        assert problem["errors"][0] == {
            "field": "limit", "in": "query", "detail": problem["errors"][0]["detail"]}
        status, _, problem = api("GET", path("bad id"))
        assert status == 422
        assert problem["errors"][0]["field"] == "conversation_id"

    def test_unknown_route_is_a_404_problem(self, api: Any) -> None:
        status, headers, problem = api("GET", "/v1/nowhere")
        assert status == 404
        assert headers["Content-Type"] == "application/problem+json"
        assert problem["title"] == "Not found"


class TestReadAndUpdate:
    def test_get_returns_the_thread_oldest_first(self, api: Any) -> None:
        created = create(api)
        for text in ("second", "third"):
            assert api("POST", path("conv-1", created["id"], "messages"), {"body": text})[0] == 201
        status, _, thread = api("GET", path("conv-1", created["id"]))
        assert status == 200
        assert [m["body"] for m in thread["messages"]][1:] == ["second", "third"]
        assert thread["message_count"] == 3
        assert thread["preview_text"] == "third"
        assert thread["next_token"] is None

    def test_reply_goes_out_by_the_side_conversations_channel(self, api: Any) -> None:
        created = create(api, slack_request("user"))
        status, _, message = api("POST", path("conv-1", created["id"], "messages"), {"body": "any news?"})
        assert status == 201
        assert message["side_conversation_id"] == created["id"]
        assert message["delivery"]["status"] == "pending"
        assert message["author"]["id"] == "agent-1"

    def test_close_then_reply_reopens(self, api: Any) -> None:
        created = create(api)
        status, _, closed = api("PATCH", path("conv-1", created["id"]), {"state": "closed"})
        assert status == 200
        assert closed["state"] == "closed"
        api("POST", path("conv-1", created["id"], "messages"), {"body": "one more thing"})
        _, _, thread = api("GET", path("conv-1", created["id"]))
        assert thread["state"] == "open"

    def test_reopen_and_rename(self, api: Any) -> None:
        created = create(api)
        api("PATCH", path("conv-1", created["id"]), {"state": "closed"})
        status, _, updated = api("PATCH", path("conv-1", created["id"]), {"state": "open", "subject": "New"})
        assert status == 200
        assert (updated["state"], updated["subject"]) == ("open", "New")

    def test_patch_needs_something_to_change(self, api: Any) -> None:
        created = create(api)
        status, _, problem = api("PATCH", path("conv-1", created["id"]), {})
        assert status == 422
        assert problem["errors"][0]["field"] == "state"

    @pytest.mark.parametrize("method", ["GET", "PATCH", "POST"])
    def test_unknown_side_conversation_is_a_404(self, api: Any, method: str) -> None:
        missing = "email-01ARZ3NDEKTSV4RRFFQ69G5FAV"
        target = path("conv-1", missing, "messages") if method == "POST" else path("conv-1", missing)
        body = {"body": "x"} if method == "POST" else ({"state": "closed"} if method == "PATCH" else None)
        status, _, problem = api(method, target, body)
        assert status == 404
        assert problem["status"] == 404

    def test_side_conversation_of_another_conversation_is_a_404(self, api: Any) -> None:
        created = create(api, conversation="conv-1")
        status, _, _ = api("GET", path("conv-2", created["id"]))
        assert status == 404

    def test_state_filter(self, api: Any) -> None:
        ids = [create(api)["id"] for _ in range(3)]
        api("PATCH", path("conv-1", ids[1]), {"state": "closed"})
        _, _, closed = api("GET", path(), query={"state": "closed"})
        _, _, open_ = api("GET", path(), query={"state": "open"})
        assert [i["id"] for i in closed["items"]] == [ids[1]]
        assert {i["id"] for i in open_["items"]} == {ids[0], ids[2]}

    def test_list_is_most_recently_active_first(self, api: Any) -> None:
        first, second = create(api)["id"], create(api)["id"]
        api("POST", path("conv-1", first, "messages"), {"body": "bump"})
        _, _, listing = api("GET", path())
        assert [i["id"] for i in listing["items"]] == [first, second]


class TestPagination:
    def test_list_pages_cover_everything_once(self, api: Any) -> None:
        ids = {create(api)["id"] for _ in range(7)}
        seen: list[str] = []
        token = None
        pages = 0
        while True:
            query = {"limit": "3", **({"next_token": token} if token else {})}
            status, _, page = api("GET", path(), query=query)
            assert status == 200
            seen += [i["id"] for i in page["items"]]
            pages += 1
            token = page["next_token"]
            if token is None:
                break
        assert pages == 3
        assert sorted(seen) == sorted(ids)

    def test_message_pages_cover_the_thread_in_order(self, api: Any) -> None:
        created = create(api)
        for i in range(6):
            api("POST", path("conv-1", created["id"], "messages"), {"body": f"reply {i}"})
        bodies: list[str] = []
        token = None
        while True:
            query = {"limit": "3", **({"next_token": token} if token else {})}
            status, _, page = api("GET", path("conv-1", created["id"]), query=query)
            assert status == 200
            assert page["id"] == created["id"]
            bodies += [m["body"] for m in page["messages"]]
            token = page["next_token"]
            if token is None:
                break
        assert bodies == [created["messages"][0]["body"]] + [f"reply {i}" for i in range(6)]

    def test_a_token_from_another_listing_is_a_400(self, api: Any) -> None:
        for _ in range(3):
            create(api, conversation="conv-1")
        _, _, page = api("GET", path("conv-1"), query={"limit": "1"})
        assert page["next_token"]
        status, _, problem = api("GET", path("conv-2"), query={"next_token": page["next_token"]})
        assert status == 400
        assert problem["errors"][0]["field"] == "next_token"
        status, _, _ = api("GET", path("conv-1"), query={"next_token": page["next_token"], "state": "closed"})
        assert status == 400
        other_account = agent_claims(account="globex")
        status, _, _ = api("GET", path("conv-1"), query={"next_token": page["next_token"]}, claims=other_account)
        assert status == 400

    def test_a_tampered_token_is_a_400(self, api: Any) -> None:
        for _ in range(2):
            create(api)
        _, _, page = api("GET", path(), query={"limit": "1"})
        body, mac = page["next_token"].split(".")
        status, _, _ = api("GET", path(), query={"next_token": f"{body}x.{mac}"})
        assert status == 400


class TestIdempotency:
    def test_same_key_and_body_return_the_first_result_and_create_nothing(self, api: Any) -> None:
        headers = {"Idempotency-Key": "9b0c1a52-create"}
        first = api("POST", path(), email_request(), headers=headers)
        again = api("POST", path(), email_request(), headers=headers)
        assert first[0] == again[0] == 201
        assert first[2] == again[2]
        _, _, listing = api("GET", path())
        assert len(listing["items"]) == 1

    def test_same_key_with_another_body_is_a_409(self, api: Any) -> None:
        headers = {"Idempotency-Key": "9b0c1a52-conflict"}
        api("POST", path(), email_request(), headers=headers)
        status, headers_out, problem = api("POST", path(), email_request(body="different"), headers=headers)
        assert status == 409
        assert headers_out["Content-Type"] == "application/problem+json"
        assert problem["errors"][0]["field"] == "idempotency-key"

    def test_reply_is_idempotent(self, api: Any) -> None:
        created = create(api)
        headers = {"Idempotency-Key": "reply-1"}
        first = api("POST", path("conv-1", created["id"], "messages"), {"body": "once"}, headers=headers)
        again = api("POST", path("conv-1", created["id"], "messages"), {"body": "once"}, headers=headers)
        assert first == again
        _, _, thread = api("GET", path("conv-1", created["id"]))
        assert thread["message_count"] == 2
        assert len(thread["messages"]) == 2

    def test_keys_are_per_agent(self, api: Any) -> None:
        headers = {"Idempotency-Key": "shared-key"}
        one = create(api, headers=headers)
        two = create(api, headers=headers, claims=agent_claims(sub="agent-2"))
        assert one["id"] != two["id"]


class TestWhoMayCall:
    @pytest.mark.parametrize("role", ["customer", "end_user", "", None])
    def test_other_roles_are_forbidden(self, api: Any, role: str | None) -> None:
        created = create(api)
        claims = agent_claims(role=role) if role is not None else {"sub": "x", "account_id": "acme"}
        for method, target, body in [("GET", path(), None), ("GET", path("conv-1", created["id"]), None),
                                     ("POST", path(), email_request()),
                                     ("POST", path("conv-1", created["id"], "messages"), {"body": "x"}),
                                     ("PATCH", path("conv-1", created["id"]), {"state": "closed"})]:
            status, _, problem = api(method, target, body, claims=claims)
            assert status == 403, (method, target)
            assert "items" not in problem
            assert "messages" not in problem

    def test_no_claims_is_a_401(self, api: Any) -> None:
        status, _, problem = api("GET", path(), claims={})
        assert status == 401
        assert problem["status"] == 401

    def test_another_account_sees_nothing(self, api: Any) -> None:
        created = create(api)
        globex = agent_claims(account="globex", sub="agent-9")
        assert api("GET", path(), claims=globex)[2]["items"] == []
        assert api("GET", path("conv-1", created["id"]), claims=globex)[0] == 404
        assert api("POST", path("conv-1", created["id"], "messages"), {"body": "x"}, claims=globex)[0] == 404
        assert api("PATCH", path("conv-1", created["id"]), {"state": "closed"}, claims=globex)[0] == 404
        _, _, thread = api("GET", path("conv-1", created["id"]))
        assert thread["message_count"] == 1
        assert thread["state"] == "open"

    def test_admin_may_use_the_api(self, api: Any) -> None:
        created = create(api)
        status, _, _ = api("GET", path("conv-1", created["id"]), claims=agent_claims(role="admin", sub="boss"))
        assert status == 200


def test_internal_errors_do_not_leak(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from sideconv.store.repository import SideConversationStore

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("arn:aws:dynamodb:secret-table internal detail")

    monkeypatch.setattr(SideConversationStore, "list_side_conversations", broken)
    status, headers, problem = api("GET", path())
    assert status == 500
    assert headers["Content-Type"] == "application/problem+json"
    assert "secret" not in str(problem)
    assert "arn:" not in str(problem)
    assert problem["detail"].startswith("quote request id ")


class TestHostileInput:
    def test_an_oversized_body_is_refused_before_parsing(self, api: Any) -> None:
        status, headers, problem = api("POST", path(), raw='{"channel":"email","body":"' + "x" * 300_000 + '"}')
        assert status == 413
        assert headers["Content-Type"] == "application/problem+json"
        assert problem["errors"][0]["field"] == "body"

    def test_deeply_nested_json_is_a_400(self, api: Any) -> None:
        status, _, problem = api("POST", path(), raw="[" * 20_000 + "]" * 20_000)
        assert status == 400
        assert problem["errors"][0]["field"] == "body"

    def test_a_body_that_is_not_utf8_is_a_400(self, api: Any) -> None:
        from functions.api.handler import lambda_handler
        from local.apigw import http_api_event
        from tests.conftest import LambdaContextStub

        event = http_api_event("POST", path(), body=b'{"channel":"email","body":"\xff\xfe"}', claims=agent_claims(),
                               headers={"content-type": "application/json"})
        assert event["isBase64Encoded"] is True
        response = lambda_handler(event, LambdaContextStub())
        assert response["statusCode"] == 400
        assert "UTF-8" in response["body"]

    def test_ten_thousand_recipients_are_refused_and_nothing_is_stored(self, api: Any) -> None:
        many = [{"email": f"r{i}@vendor.example"} for i in range(10_000)]
        status, _, problem = api("POST", path(), email_request(to=many))
        assert status in (413, 422)
        assert problem["errors"][0]["field"] in ("to", "body")
        assert api("GET", path())[2]["items"] == []
