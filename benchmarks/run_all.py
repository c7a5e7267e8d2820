"""``make bench``: run every benchmark, then print one table of figures.

Each ``bench_*.py`` runs in its own process with its default (full-size)
settings and merges its figures into ``benchmarks/results.json``; this
script prints them: one table of the figures measured beside a floor (the
table ``docs/performance.md`` keeps), then each benchmark's details.
Figures are numbers to read, not pass/fail: a slow machine is not a
failure (the ratios' guard is ``benchmarks/guard.py``).

``--scale 1m`` (``make bench SCALE=1m``; ``5m`` too) builds the big demo store
once (``common.big_store``: cached by scale and schema, reused by the next
run) and passes ``--scale`` to every benchmark that takes one; the others
run as they are. Without it each benchmark runs at its own default size.

``--pg`` (``make bench-pg``) starts a throwaway PostgreSQL server (the tests' ``tests/postgres.py``), names it
in ``VEIL_BENCH_DATABASE_URL`` and runs only the benchmarks that take a store through
``common.bench_stores``: each prints its SQLite figure and, beside it, the same figure on a fresh database of
that server (named with ``_pg``). With ``VEIL_BENCH_DATABASE_URL`` already set (a server the caller runs),
plain ``make bench`` measures both too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import DATABASE_URL, RESULTS, big_store, record_machine_speed  # noqa: E402


def table(figures: dict[str, dict]) -> str:
    """The figures as the Markdown table ``docs/performance.md`` keeps: Veil, its floor, the ratio, the target."""
    lines = ["| figure | scale | Veil | floor | ratio | target | n |", "|---|---|---|---|---|---|---|"]
    for name, f in figures.items():
        floor = f"{f['floor']} {f['unit']}" if f["floor"] is not None else "—"
        ratio = f"{f['ratio']}×" if f["ratio"] is not None else "—"
        lines.append(f"| {name} | {f['scale']} | {f['value']} {f['unit']} | {floor} | {ratio} | {f['target'] or '—'}"
                     f" | {f['n']} |")
    return "\n".join(lines)


def takes_scale(script: Path) -> bool:
    """Whether a benchmark has a ``--scale`` option (it says so in its own argument parser)."""
    return '"--scale"' in script.read_text(encoding="utf-8")


def takes_stores(script: Path) -> bool:
    """Whether a benchmark runs on each store ``common.bench_stores`` names (SQLite, and a server when set)."""
    return "bench_stores(" in script.read_text(encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="", help="1m, 5m …: the store size for every benchmark that takes one")
    parser.add_argument("--pg", action="store_true", help="a throwaway PostgreSQL server beside SQLite; only the "
                                                          "benchmarks that take a store")
    args = parser.parse_args()
    if not args.pg:
        return run(args.scale, sorted(HERE.glob("bench_*.py")))
    sys.path.append(str(HERE.parent / "tests"))
    import postgres

    server = postgres.start(SERVER_SETTINGS)
    os.environ[DATABASE_URL] = server.url("postgres")
    try:
        return run(args.scale, [s for s in sorted(HERE.glob("bench_*.py")) if takes_stores(s)])
    finally:
        server.stop()


#: The throwaway server's settings for ``--pg``: durability as a site runs it, room for the benchmarks' clients.
SERVER_SETTINGS = "-c listen_addresses='' -c max_connections=200 -c shared_buffers=256MB"


def run(scale: str, scripts: list[Path]) -> int:
    """Run *scripts*, then print the table of every figure and each benchmark's details."""
    RESULTS.unlink(missing_ok=True)
    if scale:
        big_store(scale)  # built once here, before any benchmark times anything
    record_machine_speed()  # how fast the machine is today, so these figures compare with another day's
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        started = time.perf_counter()
        scaled = ["--scale", scale] if scale and takes_scale(script) else []
        done = subprocess.run([sys.executable, str(script), *scaled], cwd=HERE.parent,
                              env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
        print(f"   ({time.perf_counter() - started:.0f} s)")
        if done.returncode:
            failed.append(script.name)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    speed = results.get("machine_speed", {})
    print(f"\nMeasured {results.get('date', '?')} on {results.get('machine', '?')}; machine speed: "
          + ", ".join(f"{k} {v}" for k, v in speed.items() if k.endswith("_ms")) + "\n")
    print(table(results.get("figures", {})))
    for name, values in results.get("details", {}).items():
        print(f"{name:28} " + "  ".join(f"{k}={v}" for k, v in values.items()))
    if failed:
        print(f"\nThese benchmarks did not finish: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
