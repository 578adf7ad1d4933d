"""New containers for the local stack, the tests and the bench: every function's handler loaded so far
gets a wiring built afresh from the environment, as a cold start would build it (nothing it built
before, no settings it read before). A handler loaded later builds its own at import."""

from __future__ import annotations

import sys


def cold_start() -> None:
    from sideconv.wiring import Wiring

    for name, module in list(sys.modules.items()):
        if name.startswith("functions.") and name.endswith(".handler") and hasattr(module, "wiring"):
            setattr(module, "wiring", Wiring.from_env())  # noqa: B010 - a handler module's one global
