"""Figure 7: the dependency layer's zipped size (built by layers/build.py) and each function's own asset."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

from bench.core import ROOT, Figure, check, missing, size

LAYER_BUDGET = 10 * 1024 * 1024
HOW = ("`layers/build.py` (what `make layer` runs) builds the layers into build/layers from uv.lock; the zipped "
       "size of the dependency layer plus the app layer (DEFLATE, as the CDK asset is zipped) is compared with "
       "10 MB. Each function's asset is its folder under functions/, zipped without __pycache__.")


def zipped_size(path: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(path.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts and file.name != ".inputs":
                archive.write(file, file.relative_to(path))
    return buffer.tell()


def _build() -> tuple[bool, str]:
    done = subprocess.run([sys.executable, str(ROOT / "layers" / "build.py")], cwd=ROOT,  # noqa: S603
                          capture_output=True,
                          text=True, timeout=600)
    tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
    return done.returncode == 0, " / ".join(tail)


def layer_figures() -> list[Figure]:
    name = "package: layers zipped (deps + app)"
    budget = f"≤ {size(LAYER_BUDGET)}"
    if not (ROOT / "layers" / "build.py").is_file():
        return [missing("7", name, budget, "layers/build.py does not exist")]
    ok, output = _build()
    out = ROOT / "build" / "layers"
    deps, app = out / "deps", out / "app"
    if not deps.is_dir() or not app.is_dir():
        return [Figure("7", name, budget, "error", "FAIL", note=f"the layer build failed: {output}")]
    deps_size, app_size = zipped_size(deps), zipped_size(app)
    total = deps_size + app_size
    note = f"deps {size(deps_size)}, app {size(app_size)}" + ("" if ok else f"; build said: {output}")
    return [Figure("7", name, budget, size(total), check(total, LAYER_BUDGET), note=note,
                   raw={"deps": deps_size, "app": app_size, "build_ok": ok})]


def function_figures(functions: list[str]) -> list[Figure]:
    figures = []
    for function in functions:
        folder = ROOT / "functions" / function
        if not (folder / "handler.py").is_file():
            figures.append(missing("7", f"package: {function} asset", "reported", f"functions/{function} is missing"))
            continue
        zipped = zipped_size(folder)
        figures.append(Figure("7", f"package: {function} asset", "reported (no budget)", size(zipped), "info",
                              raw={"zipped": zipped}))
    return figures


def run(functions: list[str]) -> list[Figure]:
    return layer_figures() + function_figures(functions)
