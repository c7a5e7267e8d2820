"""Helpers the benchmarks share: a big synthetic store, timing, and printing.

Benchmarks print figures; they never assert on time (a slow CI machine is
not a bug). Each writes its figures to ``bench-results.json`` as well.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path

RESULTS = Path(os.environ.get("VEIL_BENCH_RESULTS", "bench-results.json"))


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[rank]


def summary_ms(samples_s: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {"p50_ms": round(statistics.median(ms), 2), "p95_ms": round(percentile(ms, 95), 2), "n": len(ms)}


def fill_text_items(store, queue_id: int, count: int, *, batch: int = 100_000) -> None:
    """Insert *count* pending text items quickly (bulk, no media)."""
    start = time.perf_counter()
    for offset in range(0, count, batch):
        rows = [
            {"external_id": f"bulk-{queue_id}-{n}", "queue_id": queue_id, "kind": "text", "text": f"post {n}",
             "received_at": f"2026-01-0{1 + n % 4}T{n % 24:02d}:{n % 60:02d}:00.000Z"}
            for n in range(offset, min(count, offset + batch))
        ]
        store.add_items(rows)
    print(f"  (filled {count:,} items in {time.perf_counter() - start:.1f} s)")


def record(name: str, figures: dict) -> None:
    """Print one benchmark's figures and merge them into the results file."""
    print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    data["date"] = time.strftime("%Y-%m-%d")
    data[name] = figures
    RESULTS.write_text(json.dumps(data, indent=2) + "\n")


def timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


