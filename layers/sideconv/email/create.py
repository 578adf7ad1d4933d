"""Starting an e-mail side conversation: the request's checks, its participants, its reply address."""

from __future__ import annotations

from typing import Any

from sideconv import keys
from sideconv.email.api_models import CreateEmailSideConversation
from sideconv.errors import InvalidRequest
from sideconv.reply_address import reply_address
from sideconv.store.models import EmailInfoMap, PersonMap, SideConversationItem, SideConversationRefItem


def participants(request: CreateEmailSideConversation) -> list[PersonMap]:
    people = [PersonMap(kind="email", role="to", email=a.email, name=a.name) for a in request.to]
    people += [PersonMap(kind="email", role="cc", email=a.email, name=a.name) for a in request.cc]
    if request.cc_customer and request.customer is not None:
        people.append(PersonMap(kind="email", role="customer", email=request.customer.email,
                                name=request.customer.name))
    return people


def validate(request: CreateEmailSideConversation, inbound_domain: str) -> None:
    if request.cc_customer and request.customer is None:
        raise InvalidRequest("customer is required when cc_customer is true", field="customer")
    if not request.cc_customer and request.customer is not None:
        raise InvalidRequest("customer is only accepted when cc_customer is true", field="customer")
    recipients = [(f"{where}.{index}.email", address.email)
                  for where, addresses in (("to", request.to), ("cc", request.cc))
                  for index, address in enumerate(addresses)]
    customer = [("customer.email", request.customer.email)] if request.customer is not None else []
    for field, email in recipients + customer:
        if email.lower().rpartition("@")[2] == inbound_domain.lower():
            # A side conversation's reply address: the mail would land in a thread, not with a person.
            raise InvalidRequest(f"{email} is a reply address of this service", field=field)
    seen: set[str] = set()
    for field, email in recipients:
        if email.lower() in seen:
            raise InvalidRequest(f"{email} is listed twice", field=field)
        seen.add(email.lower())


def start(ctx: Any, request: CreateEmailSideConversation, summary: SideConversationItem) -> list[Any]:
    """The summary's recipients and `email` fields; the reply-address lookup to write with it."""
    validate(request, ctx.inbound_domain)
    side_conversation_id = summary.id
    summary.cc_customer = request.cc_customer
    summary.participants = participants(request)
    sender = ctx.choose_sender(ctx.caller.account_id, request.from_) if ctx.choose_sender else None
    summary.email = EmailInfoMap(
        reply_to=reply_address(side_conversation_id, secret=ctx.token_secret, domain=ctx.inbound_domain),
        references=[],
        from_address=sender.email if sender else None,
        from_name=sender.name if sender else None,
        from_shared=sender.shared if sender else None,
    )
    return [SideConversationRefItem(
        keys.side_conversation_ref(side_conversation_id),
        keys.side_conversation_ref(side_conversation_id),
        account_id=ctx.caller.account_id,
        conversation_id=ctx.conversation_id,
        side_conversation_id=side_conversation_id,
    )]
