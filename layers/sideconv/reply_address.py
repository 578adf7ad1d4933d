"""Reply addresses: each e-mail side conversation gets its own address on the inbound domain.

The local part carries the side conversation's id and an HMAC of it under a secret, so an address
can be neither guessed nor derived from another one: holding one reply address tells nothing about
any other. Mail servers may change the case of a local part, so the token is case-insensitive.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

_PREFIX = "sc"
_TOKEN = re.compile(r"^sc\.([0-9a-z]{26})\.([a-z2-7]{16})$")


def _mac(secret: str, ulid: str) -> str:
    digest = hmac.new(secret.encode(), b"reply-address\0" + ulid.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().lower()


def reply_address(side_conversation_id: str, *, secret: str, domain: str) -> str:
    channel, ulid = side_conversation_id.split("-", 1)
    if channel != "email":
        raise ValueError("only e-mail side conversations have a reply address")
    token = ulid.lower()
    return f"{_PREFIX}.{token}.{_mac(secret, token)}@{domain}"


def side_conversation_id_from(address: str, *, secret: str, domain: str) -> str | None:
    """The side conversation an address belongs to, or None when it is not one of ours or is forged."""
    local, _, host = address.strip().lower().rpartition("@")
    if host != domain.lower():
        return None
    local = local.split("+", 1)[0]
    match = _TOKEN.match(local)
    if match is None:
        return None
    token, mac = match.groups()
    if not hmac.compare_digest(mac, _mac(secret, token)):
        return None
    return f"email-{token.upper()}"
