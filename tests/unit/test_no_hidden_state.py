"""No state outside the wiring: nothing in `layers/sideconv` or `functions/` keeps, at module level, what
a container builds or learns (clients, stores, caches, per-batch state). The one container-lifetime
object is each handler's `wiring` (sideconv.wiring). Read from the source, so a new `lru_cache` or a
module-level client fails here, naming its file and line."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "layers" / "sideconv").rglob("*.py"), *(ROOT / "functions").rglob("*.py")])

# What a module may build at import: data (compiled patterns, frozen tables, type variables) and the
# few framework objects whose lifetime is the module's by design.
DATA_CALLS = {"re.compile", "frozenset", "dict.fromkeys", "timedelta", "TypeVar", "Path", "policy.SMTP.clone",
              "logging.getLogger", "Plan",
              # keys.SIDE_CONVERSATION_ID: a stateless pattern that asks the channel registry on use.
              "_SideConversationIdPattern"}
FRAMEWORK_CALLS = {
    # Powertools' logger and metrics: one per function, flushed per invocation by their decorators.
    "Logger", "Metrics",
    # The resolver and its routers: routes registered at import; the per-request context is cleared
    # by the resolver after every request (the wiring reaches the routes through it).
    "APIGatewayHttpResolver", "Router",
}
# Memoised constants: a zero-argument function that compiles module-level tables of patterns on first
# use (a cold start does not pay for them). Plainly data, the same for every container and wiring.
CACHED_CONSTANTS = {("layers/sideconv/email/reply_patterns.py", "patterns"), ("layers/sideconv/email/bounce.py", "_rx")}
# The local stack's clock (`POST /_local/clock`) is the world's time, shared by every function of the
# process as the real clock is; in AWS nothing moves it.
GLOBALS = {("layers/sideconv/clock.py", "_offset"), ("layers/sideconv/channels/__init__.py", "_channels")}
# The channel registry (sideconv.channels) is the one module-level table: the process's list of the code
# installed in it (sideconv/channels/installed.py), loaded on the first read. It holds no client, nothing
# of any account and nothing a request taught it; in AWS it never changes after that first read.
# `register` is how a channel outside INSTALLED (a test's) installs itself, and what is built from the
# registry listens for that (`on_change`). Each channel's declaration (`CHANNEL` in `<package>/channel.py`)
# is data: its name, prefix, labels and hooks.
REGISTRY_TABLES = {("layers/sideconv/channels/__init__.py", "_listeners")}
MUTABLE_TYPES = {"dict", "list", "set", "defaultdict", "OrderedDict", "deque", "fromkeys"}
CACHE_DECORATORS = {"lru_cache", "cache", "keep"}
MUTATORS = {"append", "add", "update", "clear", "pop", "popitem", "setdefault", "extend", "insert", "remove",
            "discard"}


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _name(node: ast.expr) -> str:
    return ast.unparse(node.func if isinstance(node, ast.Call) else node)


def _container(value: ast.expr) -> bool:
    """A value that can be changed in place: a dict, list or set, by display or by constructor."""
    if isinstance(value, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp | ast.SetComp):
        return True
    return isinstance(value, ast.Call) and _name(value).rsplit(".", 1)[-1] in MUTABLE_TYPES


def _module_level(tree: ast.Module) -> list[tuple[ast.stmt, list[str], ast.expr]]:
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            found.append((node, [ast.unparse(t) for t in node.targets], node.value))
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            found.append((node, [ast.unparse(node.target)], node.value))
    return found


def _cached_factories(tree: ast.Module, where: str) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            name = _name(decorator).rsplit(".", 1)[-1]
            if name in CACHE_DECORATORS and not ((where, node.name) in CACHED_CONSTANTS and not node.args.args):
                found.append(f"{where}:{node.lineno} @{name} {node.name}")
    return found


def _built_at_import(tree: ast.Module, where: str) -> list[str]:
    handler = where.startswith("functions/") and where.endswith("/handler.py")
    found = []
    for node, targets, value in _module_level(tree):
        if not isinstance(value, ast.Call):
            continue
        name = _name(value)
        if name in DATA_CALLS or name in FRAMEWORK_CALLS:
            continue
        if handler and name == "Wiring.from_env" and targets == ["wiring"]:
            continue
        if where.endswith("/channel.py") and targets == ["CHANNEL"]:
            continue
        found.append(f"{where}:{node.lineno} {', '.join(targets)} = {name}(...)")
    return found


def _changed_tables(tree: ast.Module, where: str) -> list[str]:
    tables = {t for _, targets, v in _module_level(tree) for t in targets if _container(v)}
    found = []
    for node in ast.walk(tree):
        changed = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
            changed = ast.unparse(node.func.value)
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
            for target in (node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]):
                if isinstance(target, ast.Subscript):
                    changed = ast.unparse(target.value)
        if changed in tables and (where, changed) not in REGISTRY_TABLES:
            found.append(f"{where}:{node.lineno} {changed}")
    return found


def _rebound_globals(tree: ast.Module, where: str) -> list[str]:
    return [f"{where}:{node.lineno} {name}" for node in ast.walk(tree) if isinstance(node, ast.Global)
            for name in node.names if (where, name) not in GLOBALS]


def _scan(check: Callable[[ast.Module, str], list[str]]) -> list[str]:
    return [found for path in SOURCES for found in check(ast.parse(path.read_text()), _relative(path))]


def test_no_factory_is_cached_at_module_level() -> None:
    assert _scan(_cached_factories) == [], "a cached factory outside the wiring (make it `@built`, of the wiring)"


def test_modules_build_nothing_but_data_at_import() -> None:
    assert _scan(_built_at_import) == [], "built at import, outside the wiring"


def test_the_wiring_is_built_by_each_handler_and_nowhere_else_in_the_functions() -> None:
    handlers = sorted((ROOT / "functions").glob("*/handler.py"))
    assert handlers
    for path in SOURCES:
        tree = ast.parse(path.read_text())
        built = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and _name(node) == "Wiring.from_env"]
        if path in handlers:
            assert [t for _, t, v in _module_level(tree) if isinstance(v, ast.Call)
                    and _name(v) == "Wiring.from_env"] == [["wiring"]], _relative(path)
            assert len(built) == 1, _relative(path)
        else:
            assert built == [], f"{_relative(path)} builds a wiring: only a handler's cold start does"


def test_no_module_level_table_is_changed_after_import() -> None:
    assert _scan(_changed_tables) == [], "a module-level table used as a cache or a register"


def test_no_function_rebinds_a_module_global() -> None:
    assert _scan(_rebound_globals) == []


SAMPLE = """from functools import lru_cache
@lru_cache(maxsize=1)
def client(): ...
_seen = {}
def remember(k): _seen[k] = 1
session = make_session()
_count = 0
def bump():
    global _count
    _count += 1
"""


def test_the_scan_sees_what_it_forbids() -> None:
    # The checks above would pass on an empty list of sources; they read real files, and find these.
    assert len(SOURCES) > 50
    tree = ast.parse(SAMPLE)
    assert _cached_factories(tree, "layers/sideconv/x.py") == ["layers/sideconv/x.py:3 @lru_cache client"]
    assert _built_at_import(tree, "layers/sideconv/x.py") == ["layers/sideconv/x.py:6 session = make_session(...)"]
    assert _changed_tables(tree, "layers/sideconv/x.py") == ["layers/sideconv/x.py:5 _seen"]
    assert _rebound_globals(tree, "layers/sideconv/x.py") == ["layers/sideconv/x.py:9 _count"]
    # What the allow-lists name passes, and only where they name it.
    assert _built_at_import(ast.parse("wiring = Wiring.from_env()"), "functions/api/handler.py") == []
    assert _built_at_import(ast.parse("wiring = Wiring.from_env()"), "layers/sideconv/x.py") != []
