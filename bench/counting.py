"""Counts AWS requests per (service, operation) with botocore's event hooks.

Every botocore session registers `botocore.handlers.BUILTIN_HANDLERS` when it is created, which is
how moto reaches every client too. Appending a `before-call` handler there counts the calls of every
client created afterwards, whoever creates it: boto3's default session, PynamoDB's own
`botocore.session.get_session()` per connection, the Slack endpoint's bare botocore session. A
client created before `install()` is attached with `watch(client)`. `before-call` fires once per
API call (botocore's retries happen below it), so a count is a request the code asked for.
`after-call` records each response's size, for the 1 MB page check.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

DYNAMODB_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
DYNAMODB_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
_MARK = "_bench_counted"
_installed = False
_lock = threading.Lock()


@dataclass
class Call:
    service: str
    operation: str
    params: dict[str, Any] | None = None
    response_bytes: int | None = None


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)
    keep_params: bool = False

    @property
    def counts(self) -> Counter[tuple[str, str]]:
        return Counter((c.service, c.operation) for c in self.calls)

    def operations(self, service: str) -> Counter[str]:
        return Counter(c.operation for c in self.calls if c.service == service)

    @property
    def dynamodb_reads(self) -> int:
        return sum(1 for c in self.calls if c.service == "dynamodb" and c.operation in DYNAMODB_READS)

    @property
    def dynamodb_writes(self) -> int:
        return sum(1 for c in self.calls if c.service == "dynamodb" and c.operation in DYNAMODB_WRITES)

    def total(self, service: str | None = None) -> int:
        return sum(1 for c in self.calls if service is None or c.service == service)

    def max_response_bytes(self, service: str = "dynamodb") -> int:
        return max((c.response_bytes or 0 for c in self.calls if c.service == service), default=0)

    def summary(self) -> str:
        """`dynamodb.Query=1, s3.GetObject=1`, sorted: for reports and assertion messages."""
        return ", ".join(f"{s}.{o}={n}" for (s, o), n in sorted(self.counts.items())) or "no requests"

    def clear(self) -> None:
        self.calls.clear()


_active: list[Recorder] = []


def _service(model: Any) -> str:
    return str(model.service_model.service_name)


def _before_call(model: Any, params: Any = None, context: dict[str, Any] | None = None, **_: Any) -> None:
    if context is not None:
        if context.get(_MARK):  # registered twice on one client (a watched client of a hooked session)
            return
        context[_MARK] = True
    if not _active:
        return
    recorder = _active[-1]
    call = Call(_service(model), str(model.name))
    if recorder.keep_params and context is not None:
        call.params = context.get("_bench_api_params")
    recorder.calls.append(call)
    if context is not None:
        context["_bench_call"] = call


def _client_params(params: dict[str, Any], context: dict[str, Any] | None = None, **_: Any) -> None:
    # The API-level parameters (before serialisation), so a floor can replay the same request.
    if context is not None and _active and _active[-1].keep_params and "_bench_api_params" not in context:
        import copy

        context["_bench_api_params"] = copy.deepcopy(params)


def _after_call(http_response: Any = None, model: Any = None, context: dict[str, Any] | None = None,
                **_: Any) -> None:
    call = (context or {}).get("_bench_call")
    if call is None or http_response is None or call.response_bytes is not None:
        return
    if model is not None and model.has_streaming_output:
        return  # reading it here would consume the body the caller reads (S3 GetObject)
    content = getattr(http_response, "content", None)
    if isinstance(content, bytes | bytearray):
        call.response_bytes = len(content)


_HOOKS = (("provide-client-params.*.*", _client_params), ("before-call.*.*", _before_call),
          ("after-call.*.*", _after_call))


def install() -> None:
    """Hook every botocore session created from now on (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        from botocore import handlers

        for event, hook in _HOOKS:
            handlers.BUILTIN_HANDLERS.append((event, hook))
        _installed = True


def uninstall() -> None:
    global _installed
    with _lock:
        from botocore import handlers

        handlers.BUILTIN_HANDLERS[:] = [spec for spec in handlers.BUILTIN_HANDLERS
                                        if spec[1] not in {hook for _, hook in _HOOKS}]
        _installed = False


def watch(client: Any) -> Any:
    """Count a client created before `install()` (a cached one)."""
    for event, hook in _HOOKS:
        client.meta.events.register(event, hook, unique_id=f"bench-{event}")
    return client


@contextmanager
def recording(*, keep_params: bool = False) -> Iterator[Recorder]:
    """Count the requests made inside the block (nested blocks count into the innermost)."""
    install()
    recorder = Recorder(keep_params=keep_params)
    _active.append(recorder)
    try:
        yield recorder
    finally:
        _active.remove(recorder)
