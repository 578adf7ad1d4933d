"""Who is calling, from the claims API Gateway's JWT authorizer has already validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sideconv import keys
from sideconv.errors import Forbidden, Unauthenticated

STAFF_ROLES = frozenset({"agent", "admin"})


@dataclass(frozen=True)
class Caller:
    agent_id: str
    account_id: str
    role: str
    name: str | None
    email: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def caller_from_claims(claims: Mapping[str, Any]) -> Caller:
    """Only agents and admins of an account may use the API; a customer's token reads nothing."""
    sub, account_id = claims.get("sub"), claims.get("account_id")
    if not isinstance(sub, str) or not sub or not isinstance(account_id, str) or not account_id:
        raise Unauthenticated("the token carries no agent or account")
    if not keys.ACCOUNT_ID.match(account_id):
        raise Unauthenticated("the token's account_id is not a valid account id")
    role = claims.get("role")
    if role not in STAFF_ROLES:
        raise Forbidden("only agents and admins may use side conversations")
    name, email = claims.get("name"), claims.get("email")
    return Caller(
        agent_id=sub,
        account_id=account_id,
        role=str(role),
        name=name if isinstance(name, str) else None,
        email=email if isinstance(email, str) else None,
    )
