"""moto forgets the model instances nobody holds, in the local stack.

moto 5.2.5 appends every instance of every model it makes (`BaseModel.__new__`) to its class's
`instances_tracked`, for the moto server's dashboard and its reset, and never lets go: each DynamoDB
item written, each copy of one a Query answers with, each stream record, each queue message. A local
stack that has served a few hundred requests held hundreds of megabytes no table, queue or bucket
still referred to, all of it walked by the garbage collector. `python -m local` serves no dashboard
and never resets, so here a model instance is tracked only where moto's own reset needs the list:
S3's keys and multipart uploads, whose buffers it closes. What a table, queue or bucket holds lives
as long as it does, as before. The tests' embedded AWS is reset after every test and keeps moto's way.
"""

from __future__ import annotations

from typing import Any

from local.moto_dynamodb import check_version

TRACKED = frozenset({"FakeKey", "FakeMultipart"})  # moto.s3's reset disposes of them from the list
_originals: dict[str, Any] = {}


def install() -> None:
    import moto
    from moto.core.common_models import BaseModel

    check_version(moto.__version__)
    if _originals:
        return
    original = _originals["new"] = BaseModel.__dict__["__new__"]

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        if cls.__name__ in TRACKED:
            return original(cls, *args, **kwargs)
        return object.__new__(cls)

    BaseModel.__new__ = staticmethod(__new__)  # type: ignore[method-assign]


def uninstall() -> None:
    """moto's own tracking back (tests)."""
    from moto.core.common_models import BaseModel

    if _originals:
        BaseModel.__new__ = _originals.pop("new")  # type: ignore[method-assign]
