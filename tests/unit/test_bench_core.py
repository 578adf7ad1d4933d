"""The bench harness's arithmetic and report: verdicts, percentiles, ratios and the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import core
from bench.core import Figure


class TestStatistics:
    def test_median_of_odd_and_even_samples(self) -> None:
        assert core.median([3.0, 1.0, 2.0]) == 2.0
        assert core.median([4.0, 1.0, 2.0, 3.0]) == 2.5

    def test_percentile_is_nearest_rank(self) -> None:
        samples = [float(n) for n in range(1, 101)]  # 1..100
        assert core.percentile(samples, 50) == 50.0
        assert core.percentile(samples, 99) == 99.0
        assert core.percentile(samples, 100) == 100.0
        # Given one slow call in 100, p99 does not see it and p100 does
        assert core.percentile([1.0] * 99 + [500.0], 99) == 1.0
        assert core.percentile([1.0] * 98 + [500.0, 500.0], 99) == 500.0

    def test_percentile_refuses_no_samples_and_bad_ranks(self) -> None:
        with pytest.raises(ValueError):
            core.percentile([], 50)
        with pytest.raises(ValueError):
            core.percentile([1.0], 0)

    def test_ratio_needs_a_positive_floor(self) -> None:
        assert core.ratio(3.0, 2.0) == 1.5
        with pytest.raises(ValueError):
            core.ratio(1.0, 0.0)


class TestVerdicts:
    def test_a_budget_is_inclusive_unless_strict(self) -> None:
        assert core.check(1.5, 1.5) == "pass"
        assert core.check(1.51, 1.5) == "FAIL"
        assert core.check(20.0, 20.0, strict=True) == "FAIL"
        assert core.check(19.9, 20.0, strict=True) == "pass"

    def test_only_failures_fail_the_run_not_missing_figures(self) -> None:
        figures = [Figure("1", "a", "b", "c", "pass"), core.missing("3", "slack", "≤ 2×", "no handler"),
                   Figure("2", "d", "e", "f", "FAIL"), Figure("7", "g", "h", "i", "info")]
        assert [f.name for f in core.failed(figures)] == ["d"]

    def test_a_missing_figure_says_so_and_has_no_number(self) -> None:
        figure = core.missing("3", "throughput", "≤ 2× floor", "functions/slack_processor/handler.py does not exist")
        assert figure.measured == "not measured (missing)"
        assert figure.ratio is None
        assert "slack_processor" in figure.note

    def test_a_broken_measurement_is_a_failure_with_its_reason(self) -> None:
        figure = core.broken("2", "requests", "1", RuntimeError("boom"))
        assert figure.verdict == "FAIL"
        assert figure.note == "RuntimeError: boom"


class TestReport:
    def test_table_has_a_row_per_figure_with_budget_floor_ratio_and_verdict(self) -> None:
        figures = [Figure("1", "cold import: api", "≤ 1.6× boto3", "900 ms", "FAIL", floor="500 ms", ratio=1.8,
                          note="pydantic is imported at cold start"),
                   Figure("7", "package: a|b", "reported", "1 KB", "info"),
                   core.missing("3", "throughput: slack", "≤ 2× floor", "missing handler")]
        text = core.render(figures, {"started": "2026-01-01 00:00", "duration_s": 5, "cpus": 2, "corpus": "present",
                                     "how": {"1": "fresh interpreters"}})
        assert "| 1 | cold import: api | ≤ 1.6× boto3 | 900 ms | 500 ms | 1.80× | **FAIL** |" in text
        assert "| 3 | throughput: slack | ≤ 2× floor | not measured (missing) | — | — | missing |" in text
        assert "| 7 | package: a\\|b | reported | 1 KB | — | — | info |" in text  # a pipe cannot break the table
        assert "- **1 cold import: api**: pydantic is imported at cold start" in text
        assert "- **1** fresh interpreters" in text

    def test_write_puts_the_table_and_the_raw_numbers_side_by_side(self, tmp_path: Path) -> None:
        figure = Figure("4", "ack", "p99 ≤ 50 ms", "p99 12 ms", "pass", raw={"per_call_s": [0.01, 0.012]})
        core.write([figure], {"started": "x"}, report=tmp_path / "B.md", results=tmp_path / "r" / "results.json")
        assert "| 4 | ack |" in (tmp_path / "B.md").read_text()
        saved = json.loads((tmp_path / "r" / "results.json").read_text())
        assert saved["figures"][0]["raw"]["per_call_s"] == [0.01, 0.012]
        assert saved["meta"] == {"started": "x"}
