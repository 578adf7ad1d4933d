"""Pure logic: key scoping, page tokens, reply addresses, claims and the outbox filter."""

from __future__ import annotations

import pytest
from sideconv import keys, pagination, reply_address
from sideconv.auth import caller_from_claims
from sideconv.errors import BadPageToken, Forbidden, Unauthenticated
from sideconv.store.schema import outbox_filter

from local.pipes import matches

ULID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


class TestKeys:
    def test_every_item_of_a_conversation_shares_its_partition(self) -> None:
        assert keys.conversation_pk("acme", "conv-1") == "A#acme#C#conv-1"
        assert keys.message_sk(f"email-{ULID}", "M1").startswith(keys.side_conversation_sk(f"email-{ULID}"))
        assert keys.message_sk(f"email-{ULID}", "M1").startswith(keys.messages_prefix(f"email-{ULID}"))

    @pytest.mark.parametrize(("account", "conversation"), [
        ("acme#C#other", "conv"), ("acme", "conv#SC#x"), ("", "conv"), ("acme", ""), ("a b", "c"),
    ])
    def test_ids_that_could_forge_another_key_are_refused(self, account: str, conversation: str) -> None:
        with pytest.raises(ValueError):
            keys.conversation_pk(account, conversation)

    def test_the_channel_is_part_of_the_id(self) -> None:
        assert keys.channel_of(f"slack-{ULID}") == "slack"
        assert keys.SIDE_CONVERSATION_ID.match(f"email-{ULID}")
        assert not keys.SIDE_CONVERSATION_ID.match(f"fax-{ULID}")
        assert not keys.SIDE_CONVERSATION_ID.match(f"email-{ULID}#M#x")

    def test_list_index_sorts_by_state_then_recency(self) -> None:
        older = keys.by_activity_sk("open", "2026-01-01T00:00:00.000Z", "a")
        newer = keys.by_activity_sk("open", "2026-02-01T00:00:00.000Z", "b")
        assert older < newer
        assert newer.startswith(keys.by_activity_prefix("open"))


class TestPageTokens:
    KEY = {"pk": {"S": "A#acme#C#c1"}, "sk": {"S": "SC#x"}}

    def test_round_trip(self) -> None:
        token = pagination.encode(self.KEY, scope="s", secret="k")
        assert token is not None
        assert "A#acme" not in token
        assert pagination.decode(token, scope="s", secret="k") == self.KEY

    def test_no_key_no_token(self) -> None:
        assert pagination.encode(None, scope="s", secret="k") is None
        assert pagination.decode(None, scope="s", secret="k") is None

    @pytest.mark.parametrize("mutate", [
        lambda t: t + "x", lambda t: "x" + t, lambda t: t.split(".")[0], lambda t: "not-a-token", lambda t: "",
    ])
    def test_tampered_tokens_are_refused(self, mutate) -> None:  # type: ignore[no-untyped-def]
        token = pagination.encode(self.KEY, scope="s", secret="k")
        with pytest.raises(BadPageToken):
            pagination.decode(mutate(token), scope="s", secret="k")

    def test_a_token_is_bound_to_its_listing(self) -> None:
        token = pagination.encode(self.KEY, scope="list\0A#acme#C#c1", secret="k")
        with pytest.raises(BadPageToken):
            pagination.decode(token, scope="list\0A#globex#C#c1", secret="k")


class TestReplyAddress:
    def test_round_trip_and_case_insensitive(self) -> None:
        address = reply_address.reply_address(f"email-{ULID}", secret="s", domain="reply.example.com")
        assert reply_address.side_conversation_id_from(address, secret="s", domain="reply.example.com") \
            == f"email-{ULID}"
        assert reply_address.side_conversation_id_from(address.upper(), secret="s",
                                                       domain="reply.example.com") == f"email-{ULID}"

    def test_another_side_conversations_address_cannot_be_derived(self) -> None:
        mine = reply_address.reply_address(f"email-{ULID}", secret="s", domain="d.example")
        other = "01BX5ZZKBKACTAV9WEVGEMMVRZ"
        local, domain = mine.split("@")
        forged = f"sc.{other.lower()}.{local.rsplit('.', 1)[1]}@{domain}"
        assert reply_address.side_conversation_id_from(forged, secret="s", domain="d.example") is None

    @pytest.mark.parametrize("address", [
        "sc.01arz3ndektsv4rrffq69g5fav.aaaaaaaaaaaaaaaa@d.example",  # wrong mac
        "someone@d.example", "", "@", "sc.x.y@d.example",
    ])
    def test_forged_or_foreign_addresses_match_nothing(self, address: str) -> None:
        assert reply_address.side_conversation_id_from(address, secret="s", domain="d.example") is None

    def test_another_domain_or_secret_matches_nothing(self) -> None:
        address = reply_address.reply_address(f"email-{ULID}", secret="s", domain="d.example")
        assert reply_address.side_conversation_id_from(address, secret="other", domain="d.example") is None
        assert reply_address.side_conversation_id_from(address, secret="s", domain="e.example") is None

    def test_slack_side_conversations_have_no_reply_address(self) -> None:
        with pytest.raises(ValueError):
            reply_address.reply_address(f"slack-{ULID}", secret="s", domain="d.example")


class TestClaims:
    @pytest.mark.parametrize("role", ["agent", "admin"])
    def test_staff_may_call(self, role: str) -> None:
        caller = caller_from_claims({"sub": "a1", "account_id": "acme", "role": role, "name": "Dana"})
        assert (caller.agent_id, caller.account_id, caller.role) == ("a1", "acme", role)

    @pytest.mark.parametrize("role", ["customer", "guest", None, 7])
    def test_other_roles_are_forbidden(self, role: object) -> None:
        with pytest.raises(Forbidden):
            caller_from_claims({"sub": "a1", "account_id": "acme", "role": role})

    @pytest.mark.parametrize("claims", [{}, {"sub": "a1"}, {"account_id": "acme"},
                                        {"sub": "a1", "account_id": "acme#C#x", "role": "agent"}])
    def test_missing_or_unusable_identity_is_unauthenticated(self, claims: dict[str, object]) -> None:
        with pytest.raises(Unauthenticated):
            caller_from_claims(claims)


class TestOutboxFilter:
    def record(self, kind: str = "message", direction: str = "outbound", channel: str = "email",
               event: str = "INSERT", status: str = "pending") -> dict[str, object]:
        image = {"kind": {"S": kind}, "direction": {"S": direction}, "channel": {"S": channel},
                 "side_conversation_id": {"S": f"{channel}-{ULID}"}, "delivery": {"M": {"status": {"S": status}}}}
        return {"eventName": event, "dynamodb": {"NewImage": image}}

    def test_new_outbound_messages_route_to_their_channel(self) -> None:
        assert matches(outbox_filter("email"), self.record())
        assert not matches(outbox_filter("slack"), self.record())
        assert matches(outbox_filter("slack"), self.record(channel="slack"))

    @pytest.mark.parametrize("changes", [{"kind": "side_conversation"}, {"direction": "inbound"},
                                         {"event": "MODIFY"}, {"event": "REMOVE"}, {"status": "sent"}])
    def test_everything_else_stays_put(self, changes: dict[str, str]) -> None:
        assert not matches(outbox_filter("email"), self.record(**changes))
        assert not matches(outbox_filter(), self.record(**changes))

    def test_the_pipes_filter_takes_every_channel(self) -> None:
        assert matches(outbox_filter(), self.record())
        assert matches(outbox_filter(), self.record(channel="slack"))
