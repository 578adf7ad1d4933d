"""The dependency layer's requirement list: what uv.lock resolved, minus what Lambda already ships."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.xdist_group("cdk")


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("layer_build", ROOT / "layers" / "build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_layer_holds_the_locked_dependencies_but_not_the_runtimes_own() -> None:
    build = _build_module()
    names = {line.split("==")[0].lower() for line in build.requirements()}
    direct = {dep.split("==")[0].lower() for dep in tomllib.loads((ROOT / "pyproject.toml").read_text())
              ["project"]["dependencies"]}
    assert direct - {"boto3"} <= names
    assert not names & build.RUNTIME_PROVIDED, "botocore & co. come from the Lambda runtime"
    assert all("==" in line for line in build.requirements()), "every version pinned by the lock"


def test_the_build_records_the_architecture_where_the_stack_reads_it() -> None:
    import infra.stack

    build = _build_module()
    assert build.architecture_record(build.OUT / "deps") == infra.stack.LAYER_BUILD / "deps.architecture"
