"""The HTTP API (v1): typed request/response models, routes and the problem+json error mapping."""
