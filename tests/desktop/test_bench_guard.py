"""The speed guard CI runs (benchmarks/guard.py) and the figures it reads (benchmarks/common.py ``figure``)."""

from __future__ import annotations

import json

import pytest
from builders import benchmark_module


@pytest.fixture
def guard():
    return benchmark_module("guard")


@pytest.fixture
def common(tmp_path, monkeypatch):
    module = benchmark_module("common")
    monkeypatch.setattr(module, "RESULTS", tmp_path / "results.json")
    return module


def test_a_ratio_more_than_twice_its_baseline_fails_the_guard(guard):
    problems = guard.regressions({"claim": 4.2, "export": 3.0}, {"claim": 2.0, "export": 2.0})
    assert problems == ["claim: ratio 4.2 is more than 2x the baseline 2.0"]


def test_ratios_within_twice_their_baseline_and_new_figures_pass(guard):
    assert guard.regressions({"claim": 3.9, "new": 50.0}, {"claim": 2.0}) == []


def test_a_baselined_figure_no_longer_measured_fails_the_guard(guard):
    assert guard.regressions({}, {"claim": 2.0}) == ["claim: in the baseline but no longer measured"]


def test_a_ratio_above_one_means_slower_than_the_floor_for_times_and_rates(common):
    time = common.figure("claim", 3.0, "ms p95", floor=1.5)
    rate = common.figure("export", 50_000, "rows/s", floor=200_000)
    assert (time["ratio"], rate["ratio"]) == (2.0, 4.0)
    kept = json.loads(common.RESULTS.read_text())
    assert kept["figures"]["export"] == {"value": 50_000, "unit": "rows/s", "floor": 200_000, "ratio": 4.0,
                                         "target": "", "n": 1, "scale": ""}
    assert {"date", "machine"} <= kept.keys()


def test_details_and_figures_share_one_results_file(common):
    common.figure("claim", 3.0, "ms p95", floor=1.5)
    common.record("import_memory", {"peak_rss_mb": 120})
    kept = json.loads(common.RESULTS.read_text())
    assert kept["details"] == {"import_memory": {"peak_rss_mb": 120}} and "claim" in kept["figures"]
