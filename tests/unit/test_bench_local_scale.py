"""Figure 8's verdicts: p99 within 100 ms at every size and a flat p50 pass; growth or a slow tail fails."""

from __future__ import annotations

from bench import local_scale


def _results(per_size: dict[int, float], tail: float | None = None) -> dict[int, dict[str, list[float]]]:
    out = {}
    for size, seconds in per_size.items():
        samples = [seconds] * 39 + [tail if tail is not None else seconds]
        out[size] = {name: list(samples) for name in (*local_scale.OPERATIONS, "delivery email", "delivery slack")}
    return out


def _verdicts(results: dict[int, dict[str, list[float]]]) -> dict[str, str]:
    return {f.name: f.verdict for f in local_scale.figures(results, {size: "" for size in results})}


def test_flat_and_fast_passes_every_row() -> None:
    verdicts = _verdicts(_results({0: 0.020, 1_000: 0.021, 10_000: 0.022}))
    assert len(verdicts) == len(local_scale.OPERATIONS) + 2
    assert verdicts.pop("local stack: inbox, by side conversations stored") == "info"
    assert set(verdicts.values()) == {"pass"}


def test_a_request_that_grows_with_the_table_fails_on_the_ratio() -> None:
    verdicts = _verdicts(_results({0: 0.020, 1_000: 0.030, 10_000: 0.031}))  # 1.55x, every p99 under 100 ms
    assert {name: v for name, v in verdicts.items() if "delivery" not in name} == {
        f"local stack: {op}, by side conversations stored": "FAIL" if op in local_scale.BUDGETED else "info"
        for op in local_scale.OPERATIONS}


def test_a_slow_tail_fails_the_requests_but_not_the_deliveries() -> None:
    verdicts = _verdicts(_results({0: 0.020, 1_000: 0.020, 10_000: 0.020}, tail=0.150))
    assert [v for name, v in verdicts.items() if "delivery" not in name and "inbox" not in name] == \
        ["FAIL"] * len(local_scale.BUDGETED)
    assert [v for name, v in verdicts.items() if "delivery" in name] == ["pass", "pass"]


def test_a_delivery_over_a_second_fails() -> None:
    results = _results({0: 0.020, 1_000: 0.020, 10_000: 0.020})
    results[10_000]["delivery slack"][-1] = 1.2
    assert _verdicts(results)["local stack: delivery, API write → the slack stand-in"] == "FAIL"
