"""E-mail on the local stack: SES capture at /_local/mail and the inbound SMTP server (issue 3)."""

from __future__ import annotations

from local.stack import LocalStack


def install(stack: LocalStack) -> None:
    """Register the e-mail sender, the inbound SMTP server and /_local/mail on the stack."""
