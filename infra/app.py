"""Entry point of the CDK app (`cdk.json` runs it; `make synth` runs it without the CDK CLI).

Run by the CLI, context arrives in CDK_CONTEXT_JSON. Run directly, it reads cdk.json's "context"
block and `-c key=value` arguments, like the CLI would, so a synth needs neither Node nor AWS.
cdk-nag's AwsSolutions pack runs on every synth: an unacknowledged finding fails it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The repository root (for `infra`) and layers/ (for `sideconv`), never infra/ itself, whose module
# names must not shadow libraries.
sys.path[0:1] = [str(ROOT), str(ROOT / "layers")]


def _context(argv: list[str]) -> dict[str, Any] | None:
    if "CDK_CONTEXT_JSON" in os.environ:
        return None
    context: dict[str, Any] = {}
    for name in ("cdk.json", "cdk.context.json"):
        path = ROOT / name
        if path.exists():
            data = json.loads(path.read_text())
            context.update(data.get("context", {}) if name == "cdk.json" else data)
    args = iter(argv)
    for arg in args:
        if arg in ("-c", "--context"):
            key, _, value = next(args).partition("=")
            context[key] = value
    return context


def main(argv: list[str]) -> None:
    from aws_cdk import Validations
    from cdk_nag import AwsSolutionsChecks

    from infra.stack import build_app

    outdir = None if "CDK_OUTDIR" in os.environ else str(ROOT / "cdk.out")
    app, _ = build_app(_context(argv), outdir=outdir)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()


if __name__ == "__main__":
    main(sys.argv[1:])
