"""The channel registry (sideconv.channels): the installed channels, what is read from them, and what it
refuses. The whole way through the service: tests/integration/test_channel_seam.py."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sideconv import channels
from sideconv.channels import Labels, Outbox


@dataclass(frozen=True)
class _Declared:
    name: str
    id_prefix: str
    outbox: Outbox = field(default_factory=lambda: Outbox(function="send_x", description="x"))
    labels: Labels = field(default_factory=lambda: Labels(label="X"))


def test_the_installed_channels_are_email_then_slack_each_declared_in_its_package() -> None:
    assert channels.names() == ("email", "slack")
    email, slack = channels.all_channels()
    assert type(email).__module__ == "sideconv.email.channel"
    assert type(slack).__module__ == "sideconv.slack.channel"
    assert channels.by_prefix("slack") is slack
    assert channels.find("pigeon") is None
    with pytest.raises(KeyError):
        channels.get("pigeon")


def test_outbox_settings_come_from_each_declaration() -> None:
    slack = channels.get("slack").outbox
    assert (slack.function, slack.batch_size, slack.max_receives) == ("send_slack", 1, 25)
    assert slack.handler_path() == ("functions.send_slack.handler", "lambda_handler")
    assert Outbox(function="send_x", description="x", handler="tests.x:send").handler_path() == ("tests.x", "send")
    env = {"OUTBOX_SLACK_QUEUE_URL": "https://sqs/slack", "OUTBOX_PIGEON_QUEUE_URL": "https://sqs/pigeon"}
    # Only installed channels' queues are read: a stray variable names no channel.
    assert channels.queue_urls(env) == (("slack", "https://sqs/slack"),)


def test_the_panel_config_gains_every_channel_s_labels() -> None:
    config = channels.panel_config({"api_base": ""})
    assert config == {"api_base": "", "channels": {
        "email": {"label": "Email", "icon": "✉", "new_label": "New email"},
        "slack": {"label": "Slack", "icon": "#", "new_label": "New Slack"}}}


def test_a_second_channel_with_a_taken_name_or_id_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="email"):
        channels.register(_Declared(name="email", id_prefix="mail"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="slack"):
        channels.register(_Declared(name="chat", id_prefix="slack"))  # type: ignore[arg-type]
    assert channels.names() == ("email", "slack")
    pigeon = _Declared(name="pigeon", id_prefix="pigeon")
    channels.register(pigeon)  # type: ignore[arg-type]
    try:
        assert channels.names() == ("email", "slack", "pigeon")
        assert channels.by_prefix("pigeon") is pigeon
    finally:
        channels.unregister("pigeon")
    assert channels.names() == ("email", "slack")
