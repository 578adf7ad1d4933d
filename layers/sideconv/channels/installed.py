"""The channels this service ships: one module each, declaring its `CHANNEL` (sideconv.channels.Channel).

Adding a channel is one line here (docs/ARCHITECTURE.md, "Adding a channel"). The order is the API's:
it orders the create request's union, the `channel` enum and the kinds of people.
"""

INSTALLED = (
    "sideconv.email.channel",
    "sideconv.slack.channel",
)
