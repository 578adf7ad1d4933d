"""S3's browser POST upload on the local stack: `POST /_local/s3/<bucket>` (issue 16).

Embedded S3 is moto in this process, which a browser cannot reach, and moto's own POST handling stores
whatever it is sent: it checks neither the signature nor the policy. This route does what S3 does with
a presigned POST (docs: "Creating a POST policy", SigV4): the policy's signature with the signing key
of the credentials it names, its expiration, every condition (exact values, `starts-with`,
`content-length-range`) and that every form field is covered by one, and then stores the file in
embedded S3 with its content type and tags. A refusal is S3's XML error with its status: 403
AccessDenied for a bad signature, an expired or unmet policy; 400 EntityTooLarge / EntityTooSmall.

`GET /_local/s3/<bucket>/<key>?X-Amz-…` serves a download link the API signed for the stack (an
outbound or a received attachment): the query signature and expiry checked as S3 checks them.

The API signs the POST and the links for this URL because the local stack sets S3_UPLOAD_ENDPOINT; in
AWS it signs the bucket's own URL and these routes do not exist.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import os
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from local.stack import LocalStack, Reply, Request

PATH = "/_local/s3/"
# Fields S3 does not require a policy condition for.
_UNCOVERED = {"policy", "x-amz-signature", "file"}


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(refused: Refused) -> Reply:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{refused.code}</Code>'
            f"<Message>{escape(refused.message)}</Message></Error>")
    return Reply(refused.status, body.encode(), {"Content-Type": "application/xml"})


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _parse(request: Request) -> tuple[dict[str, str], bytes | None, str | None]:
    from werkzeug.formparser import parse_form_data

    environ = {"wsgi.input": io.BytesIO(request.body), "CONTENT_LENGTH": str(len(request.body)),
               "CONTENT_TYPE": request.headers.get("content-type", ""), "REQUEST_METHOD": "POST"}
    _, form, files = parse_form_data(environ, max_form_memory_size=1024 * 1024)
    fields = {name.lower(): value for name, value in form.items()}
    upload = files.get("file")
    return fields, (upload.read() if upload is not None else None), (upload.content_type if upload else None)


def check(bucket: str, fields: dict[str, str], size: int, *, secret: str,
          now: datetime | None = None) -> None:
    """Refused unless the form is what the policy allows, signed with `secret`."""
    policy_b64 = fields.get("policy")
    signature = fields.get("x-amz-signature")
    credential = fields.get("x-amz-credential", "")
    if not policy_b64 or not signature or fields.get("x-amz-algorithm") != "AWS4-HMAC-SHA256":
        raise Refused(403, "AccessDenied", "Bucket POST must contain a signed policy")
    try:
        _, date, region, service, _ = credential.split("/")
        policy = json.loads(base64.b64decode(policy_b64, validate=True))
    except (ValueError, binascii.Error):
        raise Refused(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from None
    expected = hmac.new(_signing_key(secret, date, region, service), policy_b64.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise Refused(403, "SignatureDoesNotMatch",
                      "The request signature we calculated does not match the signature you provided.")
    expiration = datetime.fromisoformat(str(policy.get("expiration", "")).replace("Z", "+00:00"))
    if (now or datetime.now(UTC)) >= expiration:
        raise Refused(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    values = {**fields, "bucket": bucket}
    covered: set[str] = set()
    for condition in policy.get("conditions", []):
        if isinstance(condition, dict):
            condition = ["eq", *next(iter(condition.items()))]
            condition[1] = f"${condition[1]}"
        operator = str(condition[0]).lower()
        if operator == "content-length-range":
            low, high = int(condition[1]), int(condition[2])
            if size > high:
                raise Refused(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
            if size < low:
                raise Refused(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
            continue
        name = str(condition[1]).lstrip("$").lower()
        covered.add(name)
        value = values.get(name, "")
        ok = value == condition[2] if operator == "eq" else value.startswith(str(condition[2]))
        if not ok:
            raise Refused(403, "AccessDenied",
                          f"Invalid according to Policy: Policy Condition failed: [\"{operator}\", \"${name}\", "
                          f"\"{condition[2]}\"]")
    extra = [name for name in fields if name not in covered and name not in _UNCOVERED
             and not name.startswith("x-ignore-")]
    if extra:
        raise Refused(403, "AccessDenied",
                      f"Invalid according to Policy: Extra input fields: {extra[0]}")


def _tags(xml: str | None) -> str | None:
    """The POST's `tagging` XML as PutObject's `Tagging` (a query string)."""
    if not xml:
        return None
    root = ElementTree.fromstring(xml)  # noqa: S314 - checked against the signed policy first
    return urlencode([(tag.findtext("Key") or "", tag.findtext("Value") or "") for tag in root.iter("Tag")])


def accept(s3: Any, bucket: str, fields: dict[str, str], data: bytes, *, secret: str | None = None) -> None:
    """What S3 does with a presigned POST: check it (Refused), then store the file as the form says."""
    fields = {name.lower(): value for name, value in fields.items()}
    check(bucket, fields, len(data), secret=os.environ.get("AWS_SECRET_ACCESS_KEY", "") if secret is None else secret)
    extra: dict[str, Any] = {}
    if fields.get("content-type"):
        extra["ContentType"] = fields["content-type"]
    tagging = _tags(fields.get("tagging"))
    if tagging:
        extra["Tagging"] = tagging
    s3.put_object(Bucket=bucket, Key=fields["key"], Body=data, **extra)


def check_link(method: str, path: str, query: str, host: str, *, secret: str,
               now: datetime | None = None) -> dict[str, str]:
    """A presigned GET (SigV4 in the query) as S3 checks it: the signature over the canonical request
    and its expiry. The link's parameters, decoded; Refused otherwise."""
    from urllib.parse import parse_qsl

    pairs = [pair for pair in query.split("&") if pair]
    params = dict(parse_qsl(query, keep_blank_values=True))
    signature = params.get("X-Amz-Signature", "")
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or not signature:
        raise Refused(403, "AccessDenied", "Request has expired or is not signed")
    try:
        _, date, region, service, _ = params["X-Amz-Credential"].split("/")
        signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        expires = int(params["X-Amz-Expires"])
    except (KeyError, ValueError):
        raise Refused(400, "AuthorizationQueryParametersError", "Invalid query parameters") from None
    canonical_query = "&".join(sorted(p for p in pairs if not p.startswith("X-Amz-Signature=")))
    canonical = "\n".join([method, path, canonical_query, f"host:{host}", "", params.get("X-Amz-SignedHeaders", ""),
                           "UNSIGNED-PAYLOAD"])
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", params["X-Amz-Date"], scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    expected = hmac.new(_signing_key(secret, date, region, service), to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise Refused(403, "SignatureDoesNotMatch",
                      "The request signature we calculated does not match the signature you provided.")
    if (now or datetime.now(UTC)).timestamp() > signed_at.timestamp() + expires:
        raise Refused(403, "AccessDenied", "Request has expired")
    return params


def install(stack: LocalStack) -> None:
    import boto3

    s3 = boto3.client("s3", region_name=stack.settings.region)

    def post(request: Request) -> Reply:
        bucket = request.path.removeprefix(PATH).strip("/")
        if request.method != "POST" or not bucket or "/" in bucket:
            return _error(Refused(405, "MethodNotAllowed", "The specified method is not allowed"))
        try:
            fields, data, _ = _parse(request)
            if data is None:
                raise Refused(400, "InvalidArgument", "POST requires exactly one file upload per request.")
            with stack.lock:
                accept(s3, bucket, fields, data)
        except Refused as refused:
            return _error(refused)
        return Reply(204, b"", {"ETag": '"' + hashlib.md5(data).hexdigest() + '"'})  # noqa: S324 - S3's ETag

    def get(request: Request) -> Reply:
        """A download link the API signed for this stack (sideconv.uploads.link_signer): checked as S3
        checks a presigned GET, then the object with the link's content type and disposition."""
        from urllib.parse import unquote

        bucket, _, key = request.path.removeprefix(PATH).partition("/")
        try:
            params = check_link("GET", request.path, request.query, request.headers.get("host", ""),
                                secret=os.environ.get("AWS_SECRET_ACCESS_KEY", ""))
            with stack.lock:
                found = s3.get_object(Bucket=bucket, Key=unquote(key))
                data = found["Body"].read()
        except Refused as refused:
            return _error(refused)
        except s3.exceptions.NoSuchKey:
            return _error(Refused(404, "NoSuchKey", "The specified key does not exist."))
        headers = {"Content-Type": params.get("response-content-type") or found.get("ContentType")
                   or "application/octet-stream"}
        if params.get("response-content-disposition"):
            headers["Content-Disposition"] = params["response-content-disposition"]
        return Reply(200, data, headers)

    stack.add_route("POST", PATH, post, prefix=True)
    stack.add_route("GET", PATH, get, prefix=True)
