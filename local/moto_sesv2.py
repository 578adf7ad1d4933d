"""Embedded SES v2 (moto 5.2.5) with what sending domains need and moto lacks (issue 15).

Added through moto's own extension point, methods on its `SESV2Response` (moto routes every SES v2
request by botocore's operation name and calls the method of that name), keeping its backends:

- **Domain identities as SES has them.** `CreateEmailIdentity` of a domain starts `PENDING` with three
  Easy DKIM tokens and the key length asked for; moto's is verified at once and has no tokens.
  `GetEmailIdentity` answers them with `MailFromAttributes`.
- **`PutEmailIdentityMailFromAttributes`** (moto has none): the custom MAIL FROM domain, `PENDING`.
- **Tenants** (moto has none): `CreateTenant`, `GetTenant`, `DeleteTenant`, `CreateTenantResourceAssociation`,
  `DeleteTenantResourceAssociation`, `ListTenantResources`, kept per account and region.
- **`SendEmail`** refuses what SES refuses: a From on an identity not verified for sending
  (`MessageRejected`), a `TenantName` that does not exist or does not hold the From's identity. A raw mail
  from a verified domain with Easy DKIM is signed as SES signs it, `DKIM-Signature: d=<domain>;
  s=<token>`, with the local key (`dkim_record()` is the public half SES would have you publish under
  that token), so `/_local/mail` shows the header a receiver would check.

`verify(domain)` is what SES does once it sees the DNS records: the local route `POST /_local/ses/verify`
calls it (real DNS is out of reach). The local stack, the tests' embedded AWS and the bench install it
through `local.aws.create_resources`; it refuses any moto but the one `uv.lock` pins.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from functools import lru_cache
from typing import Any

from local.moto_dynamodb import check_version

_installed: dict[str, Any] = {}
_lock = threading.Lock()


def _error(code: str, message: str, status: int = 400) -> Any:
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError(code, message)
    error.code = status
    return error


def _identities(account: str, region: str) -> dict[str, Any]:
    from moto.ses.models import ses_backends

    return dict(ses_backends[account][region].email_identities)


def _identity(account: str, region: str, name: str) -> Any:
    from moto.ses.models import ses_backends

    return ses_backends[account][region].email_identities.get(name)


@lru_cache(maxsize=1)
def _key() -> tuple[bytes, str]:
    """The local DKIM key: (private PEM, public key base64 as a DKIM TXT record carries it)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(public).decode()


def dkim_record() -> str:
    """The TXT record at `<token>._domainkey.<domain>` a receiver would find for local signatures."""
    return f"v=DKIM1; k=rsa; p={_key()[1]}"


def sign(raw: bytes, domain: str, selector: str) -> bytes:
    """Raw mail with SES's DKIM-Signature (relaxed/relaxed, rsa-sha256) for `domain` prepended."""
    import dkim

    # Not Message-ID: SES puts its own on the wire (local.email shows it so), after this signature here.
    headers = [b"From", b"To", b"Cc", b"Subject", b"Date", b"Reply-To", b"In-Reply-To", b"References",
               b"MIME-Version", b"Content-Type"]
    signature = dkim.sign(raw, selector.encode(), domain.encode(), _key()[0], include_headers=headers,
                          canonicalize=(b"relaxed", b"relaxed"))
    return bytes(signature) + raw


def verify(domain: str, *, account: str | None = None, region: str = "us-east-1") -> bool:
    """Mark a domain identity verified, as SES does once it finds the records. False when none."""
    from moto.core import DEFAULT_ACCOUNT_ID

    identity = _identity(account or DEFAULT_ACCOUNT_ID, region, domain.lower())
    if identity is None:
        return False
    identity.verification_status = "SUCCESS"
    identity.verified_for_sending_status = True
    identity.dkim_attributes["Status"] = "SUCCESS"
    mail_from = getattr(identity, "mail_from_attributes", None)
    if mail_from:
        mail_from["MailFromDomainStatus"] = "SUCCESS"
    return True


def install() -> None:
    """Patch moto's SES v2 responses (idempotent); refuses another moto version."""
    import moto

    check_version(moto.__version__)
    with _lock:
        if _installed:
            return
        from moto.sesv2.responses import SESV2Response

        _installed["create_email_identity"] = SESV2Response.create_email_identity
        _installed["get_email_identity"] = SESV2Response.get_email_identity
        _installed["send_email"] = SESV2Response.send_email
        _installed["delete_email_identity"] = SESV2Response.delete_email_identity
        for name, method in _METHODS.items():
            setattr(SESV2Response, name, method)


def _params(self: Any) -> dict[str, Any]:
    return json.loads(self.body) if self.body else {}


def _create_email_identity(self: Any) -> str:
    params = _params(self)
    name = str(params.get("EmailIdentity", ""))
    if _identity(self.current_account, self.region, name) is not None:
        raise _error("AlreadyExistsException", f"Email identity {name} already exist.")
    _installed["create_email_identity"](self)
    identity = _identity(self.current_account, self.region, name)
    if identity.identity_type == "DOMAIN":
        signing = params.get("DkimSigningAttributes") or {}
        identity.verification_status = "PENDING"
        identity.verified_for_sending_status = False
        identity.dkim_attributes = {
            "SigningEnabled": True, "Status": "PENDING", "SigningAttributesOrigin": "AWS_SES",
            "Tokens": [secrets.token_hex(16) for _ in range(3)],
            "NextSigningKeyLength": signing.get("NextSigningKeyLength", "RSA_2048_BIT"),
            "CurrentSigningKeyLength": signing.get("NextSigningKeyLength", "RSA_2048_BIT"),
        }
    return json.dumps({"IdentityType": identity.identity_type,
                       "VerifiedForSendingStatus": identity.verified_for_sending_status,
                       "DkimAttributes": identity.dkim_attributes})


def _get_email_identity(self: Any) -> str:
    answer = json.loads(_installed["get_email_identity"](self))
    identity = _identity(self.current_account, self.region, self._get_param("EmailIdentity"))
    mail_from = getattr(identity, "mail_from_attributes", None)
    if mail_from:
        answer["MailFromAttributes"] = mail_from
    return json.dumps(answer)


def _delete_email_identity(self: Any) -> str:
    name = self._get_param("EmailIdentity")
    if _identity(self.current_account, self.region, name) is None:
        raise _error("NotFoundException", f"Email identity {name} does not exist.", 404)
    return str(_installed["delete_email_identity"](self))


def _put_email_identity_mail_from_attributes(self: Any) -> str:
    params = _params(self)
    name = str(self._get_param("EmailIdentity") or params.get("EmailIdentity") or "")
    identity = _identity(self.current_account, self.region, name)
    if identity is None:
        raise _error("NotFoundException", f"Email identity {name} does not exist.", 404)
    domain = params.get("MailFromDomain")
    identity.mail_from_attributes = {
        "MailFromDomain": domain, "MailFromDomainStatus": "SUCCESS" if identity.verified_for_sending_status
        else "PENDING", "BehaviorOnMxFailure": params.get("BehaviorOnMxFailure", "USE_DEFAULT_VALUE"),
    } if domain else None
    return "{}"


def _tenants_of(self: Any) -> dict[str, dict[str, Any]]:
    """Tenant name → {"TenantName", "TenantId", "TenantArn", ..., "resources"}, kept on moto's SES backend
    of the account and region, so moto's reset forgets them with everything else."""
    from moto.ses.models import ses_backends

    backend = ses_backends[self.current_account][self.region]
    tenants: dict[str, dict[str, Any]] = backend.__dict__.setdefault("local_tenants", {})
    return tenants


def _tenant_of(self: Any, name: str) -> dict[str, Any]:
    tenant = _tenants_of(self).get(name)
    if tenant is None:
        raise _error("NotFoundException", f"Tenant {name} does not exist.", 404)
    return tenant


def _tenant_view(tenant: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in tenant.items() if k != "resources"}


def _create_tenant(self: Any) -> str:
    params = _params(self)
    name = str(params["TenantName"])
    tenants = _tenants_of(self)
    if name in tenants:
        raise _error("AlreadyExistsException", f"Tenant {name} already exists.")
    tenant_id = "tn-" + secrets.token_hex(12)
    tenants[name] = {"TenantName": name, "TenantId": tenant_id,
                     "TenantArn": f"arn:aws:ses:{self.region}:{self.current_account}:tenant/{name}/{tenant_id}",
                     "CreatedTimestamp": time.time(), "SendingStatus": "ENABLED",
                     "Tags": params.get("Tags") or [], "resources": {}}
    return json.dumps(_tenant_view(tenants[name]))


def _get_tenant(self: Any) -> str:
    return json.dumps({"Tenant": _tenant_view(_tenant_of(self, str(_params(self)["TenantName"])))})


def _delete_tenant(self: Any) -> str:
    name = str(_params(self)["TenantName"])
    _tenant_of(self, name)
    _tenants_of(self).pop(name)
    return "{}"


def _resource_type(arn: str) -> str:
    kind = arn.split(":", 5)[-1].split("/", 1)[0]
    return {"identity": "EMAIL_IDENTITY", "configuration-set": "CONFIGURATION_SET"}.get(kind, "EMAIL_TEMPLATE")


def _create_tenant_resource_association(self: Any) -> str:
    params = _params(self)
    tenant = _tenant_of(self, str(params["TenantName"]))
    arn = str(params["ResourceArn"])
    if arn in tenant["resources"]:
        raise _error("AlreadyExistsException", f"{arn} is already associated with the tenant.")
    tenant["resources"][arn] = {"ResourceType": _resource_type(arn), "ResourceArn": arn}
    return "{}"


def _delete_tenant_resource_association(self: Any) -> str:
    params = _params(self)
    tenant = _tenant_of(self, str(params["TenantName"]))
    if tenant["resources"].pop(str(params["ResourceArn"]), None) is None:
        raise _error("NotFoundException", "no such association", 404)
    return "{}"


def _list_tenant_resources(self: Any) -> str:
    tenant = _tenant_of(self, str(_params(self)["TenantName"]))
    return json.dumps({"TenantResources": list(tenant["resources"].values())})


def _send_email(self: Any) -> str:
    from email.utils import parseaddr

    params = _params(self)
    address = parseaddr(str(params.get("FromEmailAddress") or ""))[1].lower()
    domain = address.rpartition("@")[2]
    identities = _identities(self.current_account, self.region)
    identity = identities.get(address) or identities.get(domain)
    if identity is None or (identity.identity_type == "DOMAIN" and not identity.verified_for_sending_status):
        raise _error("MessageRejected", f"Email address is not verified. The following identities failed the "
                                        f"check in region {self.region.upper()}: {address}")
    tenant_name = params.get("TenantName")
    if tenant_name:
        tenant = _tenant_of(self, str(tenant_name))
        held = {arn.rpartition(":identity/")[2] for arn in tenant["resources"] if ":identity/" in arn}
        if identity.email_identity not in held:
            raise _error("MessageRejected", f"{identity.email_identity} is not associated with tenant {tenant_name}")
    raw = (params.get("Content") or {}).get("Raw")
    if raw and identity.identity_type == "DOMAIN" and identity.dkim_attributes.get("SigningEnabled") \
            and identity.dkim_attributes.get("Tokens"):
        signed = sign(base64.b64decode(raw["Data"]), identity.email_identity, identity.dkim_attributes["Tokens"][0])
        raw["Data"] = base64.b64encode(signed).decode()
        self.body = json.dumps(params)
    return str(_installed["send_email"](self))


_METHODS = {
    "create_email_identity": _create_email_identity,
    "get_email_identity": _get_email_identity,
    "delete_email_identity": _delete_email_identity,
    "put_email_identity_mail_from_attributes": _put_email_identity_mail_from_attributes,
    "create_tenant": _create_tenant,
    "get_tenant": _get_tenant,
    "delete_tenant": _delete_tenant,
    "create_tenant_resource_association": _create_tenant_resource_association,
    "delete_tenant_resource_association": _delete_tenant_resource_association,
    "list_tenant_resources": _list_tenant_resources,
    "send_email": _send_email,
}
