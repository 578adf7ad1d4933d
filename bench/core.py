"""What every figure shares: its record, its verdict, statistics and the report it ends up in."""

from __future__ import annotations

import json
import math
import platform
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / ".." / "shared" / "corpus"
REPORT = ROOT / "docs" / "BENCHMARKS.md"
# Raw numbers of the last run: machine-specific, so kept out of git (.bench/ is ignored).
RESULTS = ROOT / ".bench" / "results.json"

Verdict = Literal["pass", "FAIL", "missing", "info"]


@dataclass
class Figure:
    """One row of the table. `value` and `limit` are compared as `value <= limit` (or `<`, strict)."""

    group: str
    name: str
    budget: str
    measured: str
    verdict: Verdict
    floor: str = "—"
    ratio: float | None = None
    note: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


def check(value: float, limit: float, *, strict: bool = False) -> Verdict:
    ok = value < limit if strict else value <= limit
    return "pass" if ok else "FAIL"


def missing(group: str, name: str, budget: str, why: str) -> Figure:
    """A figure whose code does not exist (yet): reported, never faked, and not a failure."""
    return Figure(group, name, budget, "not measured (missing)", "missing", note=why)


def broken(group: str, name: str, budget: str, error: BaseException) -> Figure:
    """The code exists but the measurement could not run: a failure, with the reason."""
    return Figure(group, name, budget, "error", "FAIL", note=f"{type(error).__name__}: {error}"[:300])


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("no samples")
    return float(statistics.median(values))


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `pct`% of the samples at or below it."""
    if not values:
        raise ValueError("no samples")
    if not 0 < pct <= 100:
        raise ValueError("percentile must be in (0, 100]")
    ordered = sorted(values)
    rank = math.ceil(pct / 100 * len(ordered))
    return float(ordered[max(rank, 1) - 1])


def ratio(value: float, floor: float) -> float:
    if floor <= 0:
        raise ValueError("a floor must be positive")
    return value / floor


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def size(n: float) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{int(n)} B"


def failed(figures: Sequence[Figure]) -> list[Figure]:
    return [f for f in figures if f.verdict == "FAIL"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(figures: Sequence[Figure], meta: dict[str, Any]) -> str:
    """docs/BENCHMARKS.md: the table, then the notes that say why a figure is what it is."""
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); do not edit by hand. Raw numbers of the run: "
        f"`{RESULTS.relative_to(ROOT)}`. The machine is shared and noisy: ratios to a floor measured in the",
        "same run hold, absolute times do not. `make bench` exits non-zero when a budget is missed;",
        "a figure whose code does not exist yet is shown as missing, never estimated.",
        "",
        f"Run: {meta.get('started', '?')} UTC, {meta.get('duration_s', 0):.0f} s, Python {platform.python_version()}, "
        f"{meta.get('cpus', '?')} CPUs, corpus: {meta.get('corpus', '?')}.",
        "",
        "| # | figure | budget | measured | floor | ratio | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    notes = []
    for figure in figures:
        ratio_text = f"{figure.ratio:.2f}×" if figure.ratio is not None else "—"
        verdict = {"pass": "pass", "FAIL": "**FAIL**", "missing": "missing", "info": "info"}[figure.verdict]
        lines.append(f"| {figure.group} | {_cell(figure.name)} | {_cell(figure.budget)} | {_cell(figure.measured)} "
                     f"| {_cell(figure.floor)} | {ratio_text} | {verdict} |")
        if figure.note:
            notes.append(f"- **{figure.group} {figure.name}**: {figure.note}")
    if notes:
        lines += ["", "## Notes", "", *notes]
    how = meta.get("how") or {}
    if how:
        lines += ["", "## How each figure is measured", ""]
        lines += [f"- **{group}** {text}" for group, text in how.items()]
    return "\n".join(lines) + "\n"


def write(figures: Sequence[Figure], meta: dict[str, Any], *, report: Path = REPORT,
          results: Path = RESULTS) -> None:
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(render(figures, meta))
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps({"meta": meta, "figures": [asdict(f) for f in figures]}, indent=2,
                                  default=str) + "\n")
