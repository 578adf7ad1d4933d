"""The channel seam: what varies by channel, and the one registry that lists the channels.

Each channel declares itself in its own package (`sideconv/<channel>/channel.py`, a `Channel`), and
`installed.py` names those modules. Everything that used to branch on "email or Slack" reads this
registry instead: the id pattern (`keys`), the API's unions and problem fields (`api.schemas`,
`api.problems`), the views, the configuration's outbox queues, the re-drive, the local stack's queues
and stand-ins, the event schemas, the CDK senders and the panel's labels.

The registry is read when it is used, never copied at import: the installed channels load on the first
read (their declarations are small and import nothing heavy; what a channel needs to create, view or
send loads inside its methods), and `register` adds one more at run time, as a test does with a
channel of its own. Models built from the registry (the API's) are rebuilt after a change
(`on_change`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

# The outbox queues' names, by channel: `side-conversations-outbox-<channel>.fifo` locally.
QUEUE_NAME = "side-conversations-outbox-{channel}.fifo"


class Outbox(NamedTuple):
    """A channel's outbox: the FIFO queue the router puts its messages on, and the sender reading it."""

    # The sender's Lambda: its name (functions/<function>/handler.py, the CDK function) and description.
    function: str
    description: str
    # Messages a sender invocation takes at once.
    batch_size: int = 10
    # The queue's redrive policy: receives before a message moves to its dead-letter queue. Above the
    # sender's own limit, so the sender, not the queue, decides when a message has failed.
    max_receives: int = 5
    # Where the sender's handler is, `module:attribute`; by default functions/<function>/handler.py's
    # `lambda_handler`.
    handler: str = ""

    def handler_path(self) -> tuple[str, str]:
        module, _, attribute = (self.handler or f"functions.{self.function}.handler").partition(":")
        return module, attribute or "lambda_handler"


class Labels(NamedTuple):
    """How the panel names the channel (`channels` in /panel/config.json; panel/js/channels.js applies them)."""

    label: str
    icon: str = ""
    new_label: str | None = None


class Channel(Protocol):
    """Everything about one channel that the rest of the service needs to know."""

    # The API's `channel` value, the side conversation's id prefix (`<id_prefix>-<ULID>`) and the
    # queue's name.
    name: str
    id_prefix: str
    # `kind` of the people it reaches (participants) and of who writes in (authors).
    participant_kinds: tuple[str, ...]
    author_kinds: tuple[str, ...]
    # The summary's attribute holding the channel's own fields (None: it has none), shown as the API's
    # `SideConversation.<summary_field>`.
    summary_field: str | None
    outbox: Outbox
    # The local stack's stand-in: a module with `install(stack)` (local/); and the CDK wiring of its
    # sender, `module:function` (infra/components/), called with the stack and the common environment.
    local: str
    infra: str
    labels: Labels

    def request_model(self) -> type[Any]:
        """The API's create-request model (pydantic), with `channel: Literal[<name>]`."""

    def summary_model(self) -> type[Any] | None:
        """The API's model of the summary's channel fields (`summary_field`)."""

    def message_fields(self, author: type[Any]) -> dict[str, Any]:
        """The API's `Message` fields of this channel: name → (type, default). `author` is the API's
        `Author` model."""

    def start(self, ctx: Any, request: Any, summary: Any) -> list[Any]:
        """A create: validate the request (InvalidRequest naming the field), set the summary's
        participants and channel fields; the lookup items to write with it."""

    def view_summary(self, item: Any, out: dict[str, Any]) -> None:
        """Add the channel's fields to the API's view of a summary of this channel."""

    def view_message(self, item: Any, out: dict[str, Any]) -> None:
        """Add the channel's fields to the API's view of a message of this channel."""

    def check_quoted(self, body: str, quoted: list[Any]) -> None:
        """Refuse (InvalidRequest naming the field) a new message whose text with its quoted context
        (`sideconv.context.Quoted`) the channel cannot carry."""

    def check_attachments(self, total_bytes: int) -> None:
        """Refuse (InvalidRequest, field `attachments`) files the channel cannot carry in all."""


# The channels by name, loaded on the first read (None until then), and who to tell of a change. Plain
# module state, not dataclasses: every function's cold start imports this module.
_channels: dict[str, Channel] | None = None
_listeners: list[Callable[[], None]] = []


def _loaded() -> dict[str, Channel]:
    global _channels
    if _channels is None:
        import importlib

        from sideconv.channels.installed import INSTALLED

        loaded: dict[str, Channel] = {}
        for module in INSTALLED:
            channel = importlib.import_module(module).CHANNEL
            loaded[channel.name] = channel
        _channels = loaded
    return _channels


def all_channels() -> tuple[Channel, ...]:
    return tuple(_loaded().values())


def names() -> tuple[str, ...]:
    return tuple(_loaded())


def get(name: str) -> Channel:
    """The channel called `name`; KeyError for none."""
    return _loaded()[name]


def find(name: str | None) -> Channel | None:
    return _loaded().get(name or "")


def by_prefix(prefix: str) -> Channel | None:
    """The channel whose side conversations' ids start `<prefix>-`."""
    return next((c for c in _loaded().values() if c.id_prefix == prefix), None)


def queue_url_variable(name: str) -> str:
    """The environment variable holding a channel's outbox queue URL (route_outbox, redrive)."""
    return f"OUTBOX_{name.upper()}_QUEUE_URL"


def queue_urls(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """(channel, queue URL) of every channel whose queue URL is set in `env`."""
    return tuple((name, env[queue_url_variable(name)]) for name in names() if env.get(queue_url_variable(name)))


def panel_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The panel's `config.json` with every channel's labels (`channels`: name → label, icon, new_label)."""
    return {**config, "channels": {c.name: {"label": c.labels.label, "icon": c.labels.icon,
                                            "new_label": c.labels.new_label} for c in all_channels()}}


def register(channel: Channel) -> None:
    """Install one more channel at run time (the installed ones load first)."""
    channels = _loaded()
    if channel.name in channels or by_prefix(channel.id_prefix) is not None:
        raise ValueError(f"a channel named {channel.name!r} or with id prefix {channel.id_prefix!r} exists")
    channels[channel.name] = channel
    _changed()


def unregister(name: str) -> None:
    _loaded().pop(name, None)
    _changed()


def on_change(listener: Callable[[], None]) -> None:
    """Call `listener` after every register/unregister (what is built from the registry rebuilds)."""
    _listeners.append(listener)


def _changed() -> None:
    for listener in _listeners:
        listener()
