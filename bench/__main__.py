"""`make bench`: every figure against its budget, in one run; writes docs/BENCHMARKS.md and
.bench/results.json, and exits 1 when a budget is missed.

    python -m bench [--only 1,2,...] [--count 1000] [--pairs 11]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

from bench import (
    attachments,
    cold_import,
    core,
    cost,
    email_parse,
    latency,
    local_scale,
    package,
    request_counts,
    scale,
    throughput,
)
from bench.core import Figure, broken
from bench.env import embedded_aws, functions

GROUPS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10")


def _in_aws(build: Callable[..., list[Figure]], *args: object) -> list[Figure]:
    """Each in-process figure gets its own embedded AWS: no figure pays for another's data."""
    with embedded_aws() as aws:
        return build(aws, *args)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(GROUPS), help="figure groups to run, e.g. 1,2")
    parser.add_argument("--count", type=int, default=1000, help="items per channel for throughput (issue: 1000)")
    parser.add_argument("--pairs", type=int, default=9, help="cold-import pairs per function (at least 9)")
    args = parser.parse_args(argv)
    if args.pairs < 9:
        parser.error("the issue asks for at least 9 pairs")
    only = set(args.only.split(","))
    started = time.time()
    corpus = "present" if core.CORPUS.is_dir() else "absent (generated MIME)"
    meta: dict[str, object] = {"started": time.strftime("%Y-%m-%d %H:%M", time.gmtime(started)),
                               "cpus": os.cpu_count(), "corpus": corpus, "count": args.count,
                               "pairs": args.pairs, "how": {}}
    how: dict[str, str] = meta["how"]  # type: ignore[assignment]
    steps: list[tuple[str, str, str, Callable[[], list[Figure]]]] = [
        ("1", "cold import", cold_import.HOW, lambda: cold_import.run(args.pairs)),
        ("2", "requests per operation", request_counts.HOW, lambda: _in_aws(request_counts.run)),
        ("3", "throughput and Slack acknowledgement", throughput.HOW + " **4** " + throughput.HOW_ACK,
         lambda: _in_aws(throughput.run, args.count)),
        ("5", "email parsing", email_parse.HOW, email_parse.run),
        ("6", "scale", scale.HOW, lambda: _in_aws(scale.run)),
        ("7", "package", package.HOW, lambda: package.run(functions())),
        ("8", "local stack at scale", local_scale.HOW, local_scale.run),
        ("9", "cost and delivery latency", cost.HOW + " **9b** " + latency.HOW,
         lambda: cost.run() + latency.run()),
        ("10", "outbound attachments", attachments.HOW, lambda: _in_aws(attachments.run)),
    ]
    figures: list[Figure] = []
    for group, title, text, build in steps:
        if group not in only and not (group == "3" and "4" in only):
            continue
        print(f"[{group}] {title}", file=sys.stderr, flush=True)
        began = time.time()
        try:
            figures += build()
        except Exception as exc:  # a broken figure is reported as such; the others still run
            figures.append(broken(group, title, "see the issue", exc))
        how[group] = text
        print(f"[{group}] done in {time.time() - began:.0f} s", file=sys.stderr, flush=True)
    meta["duration_s"] = time.time() - started
    core.write(figures, meta)
    print(core.render(figures, meta), flush=True)
    failures = core.failed(figures)
    for figure in failures:
        print(f"budget missed: {figure.group} {figure.name}: {figure.measured} (budget {figure.budget})",
              file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
