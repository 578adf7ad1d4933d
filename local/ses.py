"""Sending domains on the local stack (issue 15): what SES does in AWS once the DNS records are found.

`POST /_local/ses/verify {"domain": ...}` marks the domain identity verified on embedded SES (real DNS is
out of reach): the API reads the state from SES as in AWS, and the domain's mail is DKIM-signed from
then on. `GET /_local/ses/dkim?domain=...` is the DKIM key record a receiver would find for the local
signatures (the same key signs for every domain), so a test can check a signature with `dkim.verify`.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from local import moto_sesv2
from local.stack import LocalStack, Reply, Request


def install(stack: LocalStack) -> None:
    def verify(request: Request) -> Reply:
        try:
            domain = json.loads(request.body or b"{}").get("domain")
        except (ValueError, AttributeError):
            domain = None
        if not isinstance(domain, str) or not domain:
            return Reply.json(422, {"title": "domain is required", "status": 422,
                                    "errors": [{"field": "domain", "in": "body", "detail": "required"}]})
        with stack.lock:
            found = moto_sesv2.verify(domain, region=stack.settings.region)
        if not found:
            return Reply.json(404, {"title": "no SES identity for that domain", "status": 404})
        return Reply.json(200, {"domain": domain.lower(), "state": "verified"})

    def dkim_key(request: Request) -> Reply:
        domain = dict(parse_qsl(request.query)).get("domain", "")
        return Reply.json(200, {"domain": domain, "record": moto_sesv2.dkim_record()})

    stack.add_route("POST", "/_local/ses/verify", verify)
    stack.add_route("GET", "/_local/ses/dkim", dkim_key)
