"""After a deploy: create an e-mail side conversation, reply on it and read it back, over the deployed
API, as a real agent would. Exits non-zero on the first step that fails.

    SMOKE_TOKEN=<JWT of an agent> python -m infra.smoke [--stack NAME] [--url URL]

The URL comes from the stack's ApiUrl output unless given. Mail goes to SES's mailbox simulator by
default (SMOKE_RECIPIENT overrides), so a smoke run reaches no real inbox and costs no reputation.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

Transport = Callable[[str, str, dict[str, str], bytes | None], tuple[int, bytes]]
SIMULATOR = "success@simulator.amazonses.com"


class SmokeFailed(Exception):
    pass


def stack_api_url(stack_name: str, cloudformation: Any = None) -> str:
    if cloudformation is None:
        import boto3

        cloudformation = boto3.client("cloudformation")
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    if "ApiUrl" not in outputs:
        raise SmokeFailed(f"stack {stack_name} has no ApiUrl output")
    return str(outputs["ApiUrl"])


def urllib_transport(method: str, url: str, headers: dict[str, str], body: bytes | None) -> tuple[int, bytes]:
    if not url.startswith("https://"):
        raise SmokeFailed(f"refusing a non-HTTPS URL: {url}")
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Api:
    def __init__(self, base_url: str, token: str, transport: Transport = urllib_transport) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._transport = transport

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, *,
             expect: int) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            headers["Idempotency-Key"] = str(uuid.uuid4())
            data = json.dumps(body).encode()
        status, raw = self._transport(method, f"{self._base}{path}", headers, data)
        if status != expect:
            raise SmokeFailed(f"{method} {path}: expected {expect}, got {status}: {raw[:500]!r}")
        return json.loads(raw) if raw else {}


def run(api: Api, *, conversation_id: str, recipient: str, say: Callable[[str], None] = print) -> None:
    base = f"/v1/conversations/{conversation_id}/side-conversations"
    created = api.call("POST", base, {
        "channel": "email", "subject": "Smoke test", "body": "Smoke test: please ignore.",
        "to": [{"email": recipient, "name": "Smoke test"}],
    }, expect=201)
    side_id = created["id"]
    say(f"created {side_id}")
    reply = api.call("POST", f"{base}/{side_id}/messages", {"body": "Smoke test reply."}, expect=201)
    say(f"replied {reply['id']}")
    read = api.call("GET", f"{base}/{side_id}", expect=200)
    ids = [message["id"] for message in read.get("messages", [])]
    if ids[:1] != [created["messages"][0]["id"]] or reply["id"] not in ids:
        raise SmokeFailed(f"read back {ids}, expected the first message then {reply['id']}")
    say(f"read back {len(ids)} messages")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default=os.environ.get("STACK", "AtenderSideConversations"))
    parser.add_argument("--url", help="the API's base URL (default: the stack's ApiUrl output)")
    parser.add_argument("--conversation", default=f"smoke-{int(time.time())}")
    args = parser.parse_args(argv)
    token = os.environ.get("SMOKE_TOKEN")
    if not token:
        print("set SMOKE_TOKEN to a JWT of an agent, issued by the configured issuer", file=sys.stderr)
        return 2
    try:
        url = args.url or stack_api_url(args.stack)
        run(Api(url, token), conversation_id=args.conversation,
            recipient=os.environ.get("SMOKE_RECIPIENT", SIMULATOR))
    except SmokeFailed as failure:
        print(f"smoke test failed: {failure}", file=sys.stderr)
        return 1
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
