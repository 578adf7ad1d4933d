"""Figure 1: cold import of each function's handler against `import boto3`, in fresh interpreters."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from bench.core import ROOT, Figure, check, median, missing
from bench.env import LOCAL_ENV, functions

BUDGETS = {"slack_events": 1.2, "api": 1.6}
DEFAULT_BUDGET = 1.5
FLOOR = "import boto3"
HOW = ("A fresh `python -c \"import handler\"` with `PYTHONPATH=functions/<name>:layers` (the Lambda's task root "
       "and layer, the module imported as the runtime imports it), alternated with a fresh "
       "`python -c \"import boto3\"` (which goes first alternates too), after one untimed run of each so "
       "byte-compiled files are warm; wall time of the process, median of each side, ratio of the medians. "
       "The environment is the local stack's defaults. A missed budget is explained from one "
       "`-X importtime` run: the heaviest imports boto3 does not make, with the module that makes them. "
       "Each row's note also gives the import alone, timed inside the same kind of fresh process "
       "(`time.perf_counter()` around the import, alternated the same way): what Lambda's init pays, "
       "without the interpreter's start and exit that the wall time includes on both sides. No budget "
       "applies to it; it shows how much of a ratio is the import itself.")
IN_PROCESS = "import time; s = time.perf_counter(); import {module}; print(time.perf_counter() - s)"


def budget_for(name: str) -> float:
    return BUDGETS.get(name, DEFAULT_BUDGET)


def _env(function: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "COV_"))}
    env.update(LOCAL_ENV)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "functions" / function), str(ROOT / "layers")])
    return env


def _command(statement: str, *, importtime: bool = False) -> list[str]:
    return [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", statement]


def _time_once(statement: str, env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(_command(statement), env=env, cwd=cwd, capture_output=True, text=True)  # noqa: S603
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"`{statement}` failed: {done.stderr.strip().splitlines()[-1:]}")
    return elapsed


@dataclass
class Samples:
    handler: list[float]
    boto3: list[float]
    # The import alone, timed inside the process (no interpreter start or exit).
    handler_import: list[float]
    boto3_import: list[float]

    @property
    def ratio(self) -> float:
        return median(self.handler) / median(self.boto3)

    @property
    def import_ratio(self) -> float:
        return median(self.handler_import) / median(self.boto3_import)


def _import_once(module: str, env: dict[str, str], cwd: str) -> float:
    done = subprocess.run(_command(IN_PROCESS.format(module=module)), env=env, cwd=cwd,  # noqa: S603
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"`import {module}` failed: {done.stderr.strip().splitlines()[-1:]}")
    return float(done.stdout.strip().splitlines()[-1])


def measure(function: str, pairs: int) -> Samples:
    env = _env(function)
    with tempfile.TemporaryDirectory() as cwd:  # nothing importable from the working directory
        _time_once("import handler", env, cwd)  # byte-compile (and page in) once, untimed
        _time_once("import boto3", env, cwd)
        samples = Samples([], [], [], [])
        for i in range(pairs):
            order = [("handler", "import handler"), ("boto3", "import boto3")]
            for side, statement in order if i % 2 == 0 else reversed(order):
                getattr(samples, side).append(_time_once(statement, env, cwd))
            for side in ("handler", "boto3") if i % 2 == 0 else ("boto3", "handler"):
                getattr(samples, f"{side}_import").append(_import_once(side, env, cwd))
    return samples


# Diagnosis ----------------------------------------------------------------------------------------

@dataclass
class ImportLine:
    name: str
    self_us: int
    cumulative_us: int
    depth: int
    parent: str | None = None


def parse_importtime(text: str) -> list[ImportLine]:
    """`-X importtime` lines with each module's importer (children print before their parent)."""
    lines: list[ImportLine] = []
    for raw in text.splitlines():
        if not raw.startswith("import time:") or "self [us]" in raw:
            continue
        self_us, cumulative, name = raw[len("import time:"):].split("|", 2)
        depth = (len(name) - len(name.lstrip(" "))) // 2
        lines.append(ImportLine(name.strip(), int(self_us), int(cumulative), depth))
    pending: list[ImportLine] = []
    for line in lines:
        for child in [p for p in pending if p.depth == line.depth + 1]:
            child.parent = line.name
        pending = [p for p in pending if p.depth <= line.depth]
        pending.append(line)
    return lines


def exclusive_costs(lines: list[ImportLine], shared: set[str]) -> dict[int, int]:
    """Per line: the self time of it and its descendants that are not in `shared` (what it adds)."""
    costs: dict[int, int] = {}
    for i, line in enumerate(lines):
        total = 0 if line.name in shared else line.self_us
        j = i - 1
        while j >= 0 and lines[j].depth > line.depth:  # its descendants print just before it
            if lines[j].name not in shared:
                total += lines[j].self_us
            j -= 1
        costs[i] = total
    return costs


def heaviest_extra(handler_text: str, boto3_text: str, ours: tuple[str, ...] = ("sideconv", "handler"),
                   top: int = 5) -> list[tuple[ImportLine, int]]:
    """Imports made by our own modules, with what they add over `import boto3`, heaviest first."""
    in_boto3 = {line.name for line in parse_importtime(boto3_text)}
    lines = parse_importtime(handler_text)
    costs = exclusive_costs(lines, in_boto3)
    found = [(line, costs[i]) for i, line in enumerate(lines)
             if line.parent is not None and line.parent.split(".")[0] in ours
             and line.name.split(".")[0] not in ours and costs[i] > 0]
    return sorted(found, key=lambda pair: -pair[1])[:top]


def diagnose(function: str) -> str:
    env = _env(function)
    with tempfile.TemporaryDirectory() as cwd:
        handler_text, boto3_text = (
            subprocess.run(_command(s, importtime=True), env=env, cwd=cwd, capture_output=True,  # noqa: S603
                           text=True).stderr for s in ("import handler", "import boto3"))
    extra = heaviest_extra(handler_text, boto3_text)
    if not extra:
        return ""
    return "what the heaviest imports add over boto3 (one `-X importtime` run, inflated by it): " + "; ".join(
        f"`{line.parent}` imports `{line.name}` +{cost / 1000:.0f} ms" for line, cost in extra)


def run(pairs: int) -> list[Figure]:
    figures = []
    for function in functions():
        budget = budget_for(function)
        budget_text = f"≤ {budget}× boto3"
        if not (ROOT / "functions" / function / "handler.py").is_file():
            figures.append(missing("1", f"cold import: {function}", budget_text,
                                   f"functions/{function}/handler.py does not exist"))
            continue
        try:
            samples = measure(function, pairs)
        except RuntimeError as exc:
            figures.append(Figure("1", f"cold import: {function}", budget_text, "error", "FAIL", note=str(exc)))
            continue
        ratio = samples.ratio
        verdict = check(ratio, budget)
        note = (f"the import alone (in-process): {median(samples.handler_import) * 1000:.0f} ms against "
                f"{median(samples.boto3_import) * 1000:.0f} ms for boto3, {samples.import_ratio:.2f}×")
        diagnosis = diagnose(function) if verdict == "FAIL" else ""
        if diagnosis:
            note += "; " + diagnosis
        figures.append(Figure(
            "1", f"cold import: {function}", budget_text, f"{median(samples.handler) * 1000:.0f} ms",
            verdict, floor=f"{median(samples.boto3) * 1000:.0f} ms ({FLOOR})", ratio=ratio, note=note,
            raw={"handler_s": samples.handler, "boto3_s": samples.boto3, "pairs": pairs,
                 "handler_import_s": samples.handler_import, "boto3_import_s": samples.boto3_import}))
        print(f"  cold import {function}: {ratio:.2f}× ({verdict})", file=sys.stderr, flush=True)
    return figures


