"""``make bench SCALE=…``: the big store is built once per scale and schema, and handed to the benchmarks
that take one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import BENCHMARKS, benchmark_module


@pytest.fixture(scope="module")
def common():
    return benchmark_module("common")


def test_scales_name_item_counts(common):
    assert [common.scale_items(s) for s in ("100k", "1m", "5m", "2500")] == [100_000, 1_000_000, 5_000_000, 2_500]


def test_run_all_passes_the_scale_only_to_benchmarks_that_take_one():
    run_all = benchmark_module("run_all")
    assert run_all.takes_scale(BENCHMARKS / "bench_demo.py")
    assert run_all.takes_scale(BENCHMARKS / "bench_gui_watchdog.py")
    assert not run_all.takes_scale(BENCHMARKS / "bench_startup.py")


def test_the_big_store_is_built_once_and_again_for_another_schema(common, tmp_path):
    stale = tmp_path / "veil-bench-40-000000000000.db"  # the same scale under an older schema
    stale.write_bytes(b"old")
    built = common.big_store("40", folder=tmp_path)
    assert built.exists() and not stale.exists()
    assert common.schema_digest() in built.name
    made = built.stat().st_mtime_ns
    assert common.big_store("40", folder=tmp_path) == built and built.stat().st_mtime_ns == made  # reused
    copy = common.copy_store(built, tmp_path / "copy.db")
    assert copy.stat().st_size > 0 and Path(f"{copy}.media").resolve() == Path(f"{built}.media").resolve()


def test_the_results_say_how_fast_the_machine_was_when_they_were_taken(common, monkeypatch, tmp_path):
    """Figures from different days compare only beside the machine's speed on each (its cores are shared)."""
    monkeypatch.setattr(common, "RESULTS", tmp_path / "results.json")
    speed = common.record_machine_speed()
    kept = json.loads((tmp_path / "results.json").read_text())["machine_speed"]
    assert kept == speed
    assert all(kept[name] > 0 for name in ("python_ms", "sqlite_ms", "sha256_ms"))
