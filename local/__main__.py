"""`make dev`: the whole service on 127.0.0.1, on embedded AWS."""

from __future__ import annotations

import contextlib
import os
import signal
import threading

from local import app, token
from local.collector import IdleCollector


def main() -> None:
    stack = app.build()
    if int(os.environ.get("SEED") or 0) > 0:  # `make dev SEED=1000`: a demo account at a size that matters
        from local import seed

        with stack.lock:
            seeded = seed.seed(stack.settings, int(os.environ["SEED"]),
                               messages=int(os.environ.get("SEED_MESSAGES") or 0))
        print(f"Seeded {seeded.side_conversations:,} side conversations ({seeded.messages:,} messages) in account "
              f"{seed.ACCOUNT} in {seeded.seconds:.1f} s; {seed.DEMO_CONVERSATION} holds the first 12", flush=True)
    # What is here now (imports, embedded AWS, the seed) lives as long as the process: out of the
    # collector's sight. Else each full collection walks it under a request, 1.1 s with 10,000 seeded.
    # Then the same between requests, for what they add (local.collector).
    stack.collector = IdleCollector()
    stack.collector.collect()
    port = int(os.environ.get("PORT", "3000"))
    stack.serve("127.0.0.1", port, stack.api_route)  # type: ignore[attr-defined]
    base = f"http://127.0.0.1:{port}"
    print(f"Side conversations, local stack ready on {base}", flush=True)
    print(f"  health:  {base}/_local/health", flush=True)
    print(f"  API:     {base}/v1/conversations/<conversation_id>/side-conversations", flush=True)
    print("  agent token (acme / agent-1), valid 12 h:", flush=True)
    print(f"  {token.mint()}", flush=True)
    print("  more: make token ROLE=admin ACCOUNT=acme USER=admin-1", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with contextlib.suppress(KeyboardInterrupt):
        done.wait()
    stack.shutdown()


if __name__ == "__main__":
    main()
