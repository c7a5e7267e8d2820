"""CI's speed guard: small runs of the benchmarks that measure a floor, compared with a committed baseline.

Absolute times on a shared CI machine say little; the ratio of Veil's
figure to its floor (the same work done the barest way, measured in the
same run on the same store: see :func:`common.figure`) says whether Veil
got slower. Each guarded benchmark runs :data:`RUNS` times at a small scale
(the whole guard takes about a minute); the median ratio of each figure is
compared with ``benchmarks/baseline.json``, and the guard fails when one is
more than :data:`TOLERANCE` times worse, or when a baselined figure is no
longer measured.

    .venv/bin/python benchmarks/guard.py            # make bench-guard (CI)
    .venv/bin/python benchmarks/guard.py --update   # after a change that is meant to move a ratio
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINE = HERE / "baseline.json"
RUNS = 3
TOLERANCE = 2.0

#: Each guarded benchmark and its small-scale arguments.
GUARDED = {
    "bench_claims.py": ["--sizes", "20000", "--n", "300"],
    "bench_import.py": ["--rows", "20000", "--images", "0", "--memory-rows", "0"],
    "bench_export.py": ["--audits", "20000"],
    "bench_dashboard.py": ["--decisions", "50000", "--runs", "3"],
    "bench_queues.py": ["--scale", "small", "--runs", "10", "--import-rows", "20000"],
    "bench_hash_lists.py": ["--entries", "20000", "--repeat", "300"],
}


def measure_ratios(runs: int = RUNS) -> dict[str, float]:
    """The median ratio of every figure the guarded benchmarks record with a floor."""
    seen: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="veil-guard-") as folder:
        for run in range(runs):
            results = Path(folder) / f"run{run}.json"
            for script, arguments in GUARDED.items():
                subprocess.run([sys.executable, str(HERE / script), *arguments], cwd=HERE.parent, check=True,
                               stdout=subprocess.DEVNULL,
                               env={**os.environ, "VEIL_BENCH_RESULTS": str(results), "QT_QPA_PLATFORM": "offscreen"})
            for name, entry in json.loads(results.read_text()).get("figures", {}).items():
                if entry.get("ratio") is not None:
                    seen.setdefault(name, []).append(entry["ratio"])
    return {name: round(statistics.median(ratios), 2) for name, ratios in seen.items()}


def regressions(measured: dict[str, float], baseline: dict[str, float], tolerance: float = TOLERANCE) -> list[str]:
    """What is wrong, in words: each ratio more than *tolerance* times its baseline, each baselined figure
    no longer measured. An empty list means the guard passes."""
    problems = []
    for name, expected in sorted(baseline.items()):
        if name not in measured:
            problems.append(f"{name}: in the baseline but no longer measured")
        elif measured[name] > expected * tolerance:
            problems.append(f"{name}: ratio {measured[name]} is more than {tolerance:g}x the baseline {expected}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help="write the measured ratios as the new baseline")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    measured = measure_ratios(args.runs)
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    print(f"{'figure':28} {'ratio':>7} {'baseline':>9}")
    for name, ratio in sorted(measured.items()):
        print(f"{name:28} {ratio:7.2f} {baseline.get(name, float('nan')):9.2f}")
    if args.update:
        BASELINE.write_text(json.dumps(measured, indent=2, sort_keys=True) + "\n")
        print(f"Baseline written to {BASELINE.relative_to(HERE.parent)}.")
        return 0
    problems = regressions(measured, baseline)
    for problem in problems:
        print(f"SLOWER: {problem}")
    print("Speed guard: " + ("FAILED" if problems else "every ratio within its baseline's bound"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
