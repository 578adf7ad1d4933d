"""Sending-domain routes of the v1 API (issue 15): an account's domains and senders (admins), and where
a new side conversation's mail will come from (every agent: the email form shows it)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import ConfigDict, Field, StringConstraints

from sideconv.api import wiring_of
from sideconv.api.schemas import DisplayName, Model
from sideconv.auth import Caller, caller_from_claims
from sideconv.email.api_models import EmailFrom

router = Router()

DomainName = Annotated[str, Path(min_length=1, max_length=300, description="The domain, in its IDNA form")]
SenderAddress = Annotated[str, Path(min_length=3, max_length=320, description="The sender's address")]

_PROBLEM: Any = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


class AddDomain(Model):
    model_config = ConfigDict(extra="forbid")
    domain: Annotated[str, StringConstraints(min_length=1, max_length=300)]


class PutSender(Model):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[DisplayName, StringConstraints(min_length=1, max_length=200)]
    default: bool = False


class DnsRecord(Model):
    type: Literal["CNAME", "MX", "TXT"]
    name: str
    value: str
    purpose: Literal["dkim", "mail_from", "spf", "dmarc"]
    priority: int | None = None


class EmailDomain(Model):
    domain: str
    state: Literal["pending", "verified", "failed", "temporary_failure"]
    mail_from_domain: str
    dns_records: list[DnsRecord]
    zone_file: str
    created_at: str
    updated_at: str


class EmailDomainList(Model):
    items: list[EmailDomain]


class EmailSender(Model):
    address: str
    name: str
    domain: str
    default: bool
    verified: bool


class EmailSenderList(Model):
    items: list[EmailSender]


class EmailSettings(Model):
    model_config = ConfigDict(populate_by_name=True)
    from_: EmailFrom = Field(alias="from", description="Where a new side conversation's mail comes from")
    senders: list[EmailFrom] = Field(default_factory=list,
                                     description="The senders a create may name in `from` (verified domains)")
    tenant: str | None = Field(None, description="The account's SES tenant (admins; none before a first domain)")
    bounce_count: int | None = None
    complaint_count: int | None = None
    suppressed_count: int | None = None


def sending() -> Any:
    # Loaded on the first of these routes (or an e-mail create): most calls never need SES.
    from sideconv.email import clients
    from sideconv.email.sender_store import configured_store
    from sideconv.email.senders import Sending

    wiring = wiring_of(router)
    s = wiring.settings
    return Sending(store=configured_store(wiring), ses=clients.sesv2(wiring), region=s.region,
                   shared_address=s.sender_address, shared_name=s.sender_name, inbound_domain=s.inbound_domain,
                   configuration_set=s.ses_configuration_set)


def _path(value: str) -> str:
    # The gateway's raw path keeps the client's escapes ("billing%40acme.example"): the value is the decoded one.
    return unquote(value)


def _caller() -> Caller:
    event = cast(APIGatewayProxyEventV2, router.current_event)
    return caller_from_claims(event.request_context.authorizer.jwt_claim)


def _json(status: int, body: dict[str, Any] | None) -> Response[Any]:
    if body is None:
        return Response(status_code=status)
    return Response(status_code=status, content_type="application/json", body=body)


def _ok(model: type[Model], description: str) -> Any:
    return {"description": description, "content": {"application/json": {"model": model}}}


@router.post("/v1/email/domains", summary="Add a sending domain (admins): its DNS records to publish",
             responses={201: _ok(EmailDomain, "Added; publish the DNS records"),
                        200: _ok(EmailDomain, "The account has it already"),
                        409: {"description": "Another account holds the domain", **_PROBLEM}})
def add_domain(request: Annotated[AddDomain, Body()]) -> Response[EmailDomain]:
    from sideconv.api.results import respond
    from sideconv.email import senders

    return respond(senders.add_domain(sending(), _caller(), request.domain))


@router.get("/v1/email/domains", summary="The account's sending domains (admins), state read from SES",
            responses={200: _ok(EmailDomainList, "By name")})
def list_domains() -> Response[EmailDomainList]:
    from sideconv.email import senders

    return _json(200, senders.list_domains(sending(), _caller()))


@router.get("/v1/email/domains/<domain>", summary="A sending domain (admins), state read from SES",
            responses={200: _ok(EmailDomain, "The domain and its DNS records")})
def get_domain(domain: DomainName) -> Response[EmailDomain]:
    from sideconv.email import senders

    return _json(200, senders.get_domain(sending(), _caller(), _path(domain)))


@router.delete("/v1/email/domains/<domain>", summary="Remove a sending domain and its senders (admins)",
               responses={204: {"description": "Removed; side conversations that used it keep their history"}})
def delete_domain(domain: DomainName) -> Response[None]:
    from sideconv.email import senders

    senders.delete_domain(sending(), _caller(), _path(domain))
    return _json(204, None)


@router.put("/v1/email/senders/<address>", summary="Add or change a sender on a verified domain (admins)",
            responses={200: _ok(EmailSender, "The sender")})
def put_sender(address: SenderAddress, request: Annotated[PutSender, Body()]) -> Response[EmailSender]:
    from sideconv.email import senders

    return _json(200, senders.put_sender(sending(), _caller(), _path(address), request.name, request.default))


@router.get("/v1/email/senders", summary="The account's senders (admins)",
            responses={200: _ok(EmailSenderList, "By address")})
def list_senders() -> Response[EmailSenderList]:
    from sideconv.email import senders

    return _json(200, senders.list_senders(sending(), _caller()))


@router.delete("/v1/email/senders/<address>", summary="Remove a sender (admins)",
               responses={204: {"description": "Removed"}})
def delete_sender(address: SenderAddress) -> Response[None]:
    from sideconv.email import senders

    senders.delete_sender(sending(), _caller(), _path(address))
    return _json(204, None)


@router.get("/v1/email/settings", summary="Where new mail comes from; the account's bounces and complaints",
            responses={200: _ok(EmailSettings, "`from.shared` is true while no domain is verified")})
def email_settings() -> Response[EmailSettings]:
    from sideconv.email import senders

    return _json(200, senders.settings(sending(), _caller()))
