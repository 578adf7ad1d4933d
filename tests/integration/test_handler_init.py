"""Every handler's init: no garbage collection while it imports, and what it built frozen when it ends.

Init allocates what lives as long as the container (modules, models, clients), so collecting during it
is waste, and walking it again in every full collection during an invocation is a pause for nothing.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted((ROOT / "functions").glob("*/handler.py"))


def _statements(path: Path) -> list[str]:
    body = ast.parse(path.read_text()).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return [ast.unparse(node) for node in body if not ast.unparse(node).startswith("from __future__")]


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.parent.name)
def test_handler_turns_collection_off_before_its_imports_and_freezes_after_init(path: Path) -> None:
    statements = _statements(path)
    assert statements[:2] == ["import gc", "gc.disable()"], "the first thing a handler does"
    assert statements[-2:] == ["gc.freeze()", "gc.enable()"], "the last thing a handler does"


def test_importing_a_handler_collects_nothing_then_leaves_collection_on_with_init_frozen() -> None:
    # A fresh interpreter per handler, as Lambda gives: count the collections during its init.
    code = """
import gc, importlib, json, sys
name, collections, before = f"functions.{sys.argv[1]}.handler", [], gc.get_freeze_count()

def seen(phase, info):
    # Init runs from the handler's `import gc` (compiling its source comes before) to its freeze.
    module = sys.modules.get(name)
    if phase == "start" and module is not None and "gc" in vars(module) and gc.get_freeze_count() == before:
        collections.append(info["generation"])

gc.callbacks.append(seen)
importlib.import_module(name)
print(json.dumps({"collections": collections, "enabled": gc.isenabled(),
                  "frozen": gc.get_freeze_count() - before}))
"""
    for path in HANDLERS:
        name = path.parent.name
        done = subprocess.run([sys.executable, "-c", code, name], capture_output=True, text=True, cwd=ROOT,
                              check=False)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result["collections"] == [], f"{name}: collections ran during its init"
        assert result["enabled"] is True, f"{name}: left the collector off"
        assert result["frozen"] > 1000, f"{name}: froze {result['frozen']} objects"
