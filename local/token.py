"""Local JWTs, signed HS256 with SIDECONV_DEV_JWT_SECRET as the local authorizer expects them."""

from __future__ import annotations

import argparse
import os
import time
import warnings
from typing import Any

import jwt

# The local default secret is short on purpose (the README names it); AWS uses a real issuer.
warnings.filterwarnings("ignore", category=jwt.warnings.InsecureKeyLengthWarning)

ISSUER = "https://auth.atender.local/"
AUDIENCE = "side-conversations"
DEFAULT_SECRET = "dev-secret"


def secret() -> str:
    return os.environ.get("SIDECONV_DEV_JWT_SECRET", DEFAULT_SECRET)


def mint(role: str = "agent", account: str = "acme", user: str = "agent-1", *, ttl: int = 12 * 3600,
         name: str | None = None, email: str | None = None, key: str | None = None,
         issued_at: float | None = None) -> str:
    now = int(issued_at if issued_at is not None else time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": user, "account_id": account, "role": role,
        "name": name or user.replace("-", " ").title(), "email": email or f"{user}@{account}.example",
        "iat": now, "exp": now + ttl,
    }
    return jwt.encode(claims, key or secret(), algorithm="HS256")


def verify(authorization: str | None) -> dict[str, Any] | None:
    """The claims of a valid `Bearer` token, as API Gateway's JWT authorizer would pass them; else None."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    try:
        return jwt.decode(authorization[7:].strip(), secret(), algorithms=["HS256"], audience=AUDIENCE,
                          issuer=ISSUER, options={"require": ["exp", "sub"]})
    except jwt.PyJWTError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description="Print a local JWT for the side-conversations API.")
    parser.add_argument("--role", default="agent")
    parser.add_argument("--account", default="acme")
    parser.add_argument("--user", default="agent-1")
    args = parser.parse_args()
    print(mint(args.role, args.account, args.user))


if __name__ == "__main__":
    main()
