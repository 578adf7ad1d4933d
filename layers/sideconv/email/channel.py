"""E-mail as a channel (sideconv.channels): a thread of mail out through SES, replies in by SES receiving.

The declaration imports nothing heavy: every function's configuration reads it. What a create or a view
needs loads inside the method that uses it.
"""

from __future__ import annotations

from typing import Any

from sideconv.channels import Labels, Outbox

# SES takes 40 MB a message, base64 included: 30 MB of files is about 40.5 MB encoded with the text.
MAX_EMAIL_TOTAL_BYTES = 30 * 1024 * 1024


class EmailChannel:
    name = "email"
    id_prefix = "email"
    participant_kinds = ("email",)
    author_kinds = ("email",)
    summary_field = "email"
    outbox = Outbox(function="send_email", description="Sends outbound side-conversation mail through SES")
    local = "local.email"
    infra = "infra.components.email:sender_wiring"
    labels = Labels(label="Email", icon="✉", new_label="New email")

    def request_model(self) -> type[Any]:
        from sideconv.email.api_models import CreateEmailSideConversation

        return CreateEmailSideConversation

    def summary_model(self) -> type[Any]:
        from sideconv.email.api_models import EmailInfo

        return EmailInfo

    def message_fields(self, author: type[Any]) -> dict[str, Any]:
        # An auto-reply (kept, never a person's answer); quoted history was stripped from `body`
        # (GET .../messages/{id}/original has the full text); who the sender copied (shown, never
        # mailed); a recipient's complaint.
        return {"auto_reply": (bool | None, None), "has_quoted_text": (bool | None, None),
                "cc": (list[author] | None, None), "complaint": (str | None, None)}  # type: ignore[valid-type]

    def start(self, ctx: Any, request: Any, summary: Any) -> list[Any]:
        from sideconv.email.create import start

        return start(ctx, request, summary)

    def view_summary(self, item: Any, out: dict[str, Any]) -> None:
        if item.email is None:
            return
        out["email"] = {"reply_to": item.email.reply_to}
        if item.email.from_address:
            out["email"]["from"] = {"email": item.email.from_address, "name": item.email.from_name or "",
                                    "shared": bool(item.email.from_shared)}
        # People who wrote in unaddressed (a vendor's colleague) take part from then on.
        known = {(p.get("email") or "").lower() for p in out["participants"]}
        for replier in (item.email.repliers.as_dict() if item.email.repliers else {}).values():
            if str(replier.get("email", "")).lower() not in known:
                out["participants"].append({"kind": "email", "role": "replier", "id": None,
                                            "name": replier.get("name"), "email": replier.get("email")})

    def check_quoted(self, body: str, quoted: list[Any]) -> None:
        pass  # a mail's text has no limit short of the API's own

    def check_attachments(self, total_bytes: int) -> None:
        from sideconv.errors import InvalidRequest

        if total_bytes > MAX_EMAIL_TOTAL_BYTES:
            raise InvalidRequest(f"an e-mail carries at most {MAX_EMAIL_TOTAL_BYTES} bytes of files in all",
                                 field="attachments")

    def view_message(self, item: Any, out: dict[str, Any]) -> None:
        from sideconv.views import person

        out["auto_reply"] = item.auto_reply
        out["has_quoted_text"] = item.has_quoted_text
        out["cc"] = [person(p, with_role=False) for p in item.email_cc] if item.email_cc else None
        out["complaint"] = item.complaint


CHANNEL = EmailChannel()
