"""Slack on the local stack: the Web API stand-in and the events endpoint (issue 4)."""

from __future__ import annotations

from local.stack import LocalStack


def install(stack: LocalStack) -> None:
    """Register the Slack sender, the events endpoint, the processor and the Web API stand-in."""
