"""Builds the two Lambda layers into build/layers/, locally and without Docker.

- deps: the third-party packages of `[project].dependencies`, at the versions uv.lock resolved,
  as manylinux wheels for the Lambda architecture and Python version. What the Lambda runtime
  already ships (boto3 and its dependencies) is left out, so botocore is the runtime's own.
- app:  the `sideconv` package.

Both are byte-compiled for the runtime's Python when that interpreter is on this machine (pip
compiles for the Python running it, not for the target, so it runs with --no-compile). A build is
skipped when its inputs have not changed; `--force` rebuilds. Output is git-ignored.

    python layers/build.py [--force] [--arch arm64|x86_64]
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "layers"
RUNTIME_PYTHON = "3.12"
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
# Shipped by the python3.12 Lambda runtime. Bundling our own botocore would shadow the runtime's
# and add ~25 MB; the functions use the runtime's boto3 (the pin in pyproject is for tests).
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil",
                              "six"})
# Not needed at run time in Lambda (sources are kept, for tracebacks).
PRUNE_DIRS = frozenset({"tests", "test", "__pycache__"})
ZIPPED_BUDGET = 10 * 1024 * 1024


def requirements() -> list[str]:
    """`name==version` lines from uv.lock, already fully resolved (so pip runs with --no-deps)."""
    uv = ROOT / ".venv" / "bin" / "uv"
    exported = subprocess.run(  # noqa: S603 (fixed argv, no shell)
        [str(uv if uv.exists() else "uv"), "export", "--frozen", "--no-dev", "--no-hashes",
         "--no-emit-project", "--no-header", "--no-annotate"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    lines = []
    for line in exported.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name = line.split("==", 1)[0].split(";", 1)[0].strip().lower().replace("_", "-")
        if name not in RUNTIME_PROVIDED:
            lines.append(line)
    return lines


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part)
        h.update(b"\0")
    return h.hexdigest()


def _tree_digest(path: Path) -> bytes:
    files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return "".join(f"{p.relative_to(path)}:{hashlib.sha256(p.read_bytes()).hexdigest()}\n"
                   for p in files).encode()


def _stamp(target: Path) -> Path:
    # Beside the layer, not in it: the layer directory is the asset CDK zips.
    return target.with_name(f"{target.name}.inputs")


def architecture_record(target: Path) -> Path:
    """Beside the layer: the architecture its wheels were built for. The stack reads it and refuses a
    function of another architecture (infra/components/function.py)."""
    return target.with_name(f"{target.name}.architecture")


def _up_to_date(target: Path, digest: str) -> bool:
    stamp = _stamp(target)
    return stamp.exists() and stamp.read_text() == digest and (target / "python").is_dir()


def _runtime_python() -> str | None:
    """An interpreter of the runtime's version, to byte-compile with; None when there is none."""
    candidates = [os.environ.get("LAYER_PYTHON"), shutil.which(f"python{RUNTIME_PYTHON}"),
                  str(Path.home() / ".pyenv" / "versions" / "3.12.1" / "bin" / "python")]
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            continue
        version = subprocess.run([candidate,  # noqa: S603 (an interpreter path we chose)
                                  "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True).stdout.strip()
        if version == RUNTIME_PYTHON:
            return candidate
    return None


def _compile(python: str | None, tree: Path) -> None:
    if python is None:
        print(f"  no Python {RUNTIME_PYTHON} here: the layer ships sources only (compiled at cold start)")
        return
    # unchecked-hash: the .pyc is used as is, whatever mtimes the zip gives the sources, and the
    # build is reproducible (same bytes, same asset hash). The runtime looks in __pycache__.
    subprocess.run([python, "-m", "compileall",  # noqa: S603 (fixed argv, no shell)
                    "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
                    str(tree)], check=True)


def _prune(tree: Path) -> None:
    shutil.rmtree(tree / "bin", ignore_errors=True)  # console scripts: nothing runs them in Lambda
    for path in sorted(tree.rglob("*"), reverse=True):
        if path.is_dir() and path.name in PRUNE_DIRS and path.parent != tree:
            shutil.rmtree(path)


def _zipped_size(path: Path) -> int:
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(path.rglob("*")):
                if file.is_file():
                    archive.write(file, file.relative_to(path))
        return handle.tell()


def _replace(target: Path, staged: Path, digest: str) -> None:
    if target.exists():
        shutil.rmtree(target)
    staged.rename(target)
    _stamp(target).write_text(digest)


def build_deps(arch: str, force: bool, python: str | None) -> Path:
    target = OUT / "deps"
    reqs = requirements()
    digest = _digest("\n".join(reqs).encode(), arch.encode(), str(python).encode(),
                     Path(__file__).read_bytes())
    if not force and _up_to_date(target, digest) and architecture_record(target).is_file():
        print("deps layer: up to date")
        return target
    print(f"deps layer: {len(reqs)} packages for {PLATFORMS[arch]}, Python {RUNTIME_PYTHON}")
    staged = OUT / "deps.staging"
    shutil.rmtree(staged, ignore_errors=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(reqs) + "\n")
        req_file = handle.name
    try:
        subprocess.run([sys.executable, "-m", "pip", "install",  # noqa: S603 (fixed argv, no shell)
                        "--quiet", "--disable-pip-version-check",
                        "--no-deps", "--no-compile", "--only-binary=:all:", "--implementation", "cp",
                        "--platform", PLATFORMS[arch], "--python-version", RUNTIME_PYTHON,
                        "--target", str(staged / "python"), "-r", req_file], check=True)
    finally:
        os.unlink(req_file)
    _prune(staged / "python")
    _compile(python, staged / "python")
    _replace(target, staged, digest)
    architecture_record(target).write_text(arch)
    return target


def build_app(force: bool, python: str | None) -> Path:
    target = OUT / "app"
    source = ROOT / "layers" / "sideconv"
    digest = _digest(_tree_digest(source), str(python).encode(), Path(__file__).read_bytes())
    if not force and _up_to_date(target, digest):
        print("app layer: up to date")
        return target
    print("app layer: sideconv")
    staged = OUT / "app.staging"
    shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(source, staged / "python" / "sideconv",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _compile(python, staged / "python")
    _replace(target, staged, digest)
    return target


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="arm64")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    python = _runtime_python()
    # Two builds at once (two `make` runs in one working tree) would tear each other's staging down.
    with (OUT / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        deps = build_deps(args.arch, args.force, python)
        app = build_app(args.force, python)
    size = _zipped_size(deps) + _zipped_size(app)
    print(f"layers zipped: {size / 1024 / 1024:.1f} MB (budget {ZIPPED_BUDGET / 1024 / 1024:.0f} MB)")
    if size > ZIPPED_BUDGET:
        print("layers exceed the 10 MB budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
