"""How fast this machine is right now: three fixed pieces of work, timed, so figures from different days compare.

The development machine's speed moves from one day to the next (its cores
are shared: the same code's next-item p95 at 1 M items was 15.7–17.4 ms one
day and 34.1 ms another), and a floor measured in the same run only helps
the figures that have one. These three never change, so their times say how
fast the machine was when a figure was taken:

* ``python_ms`` — the interpreter: 100,000 rows of a dict, formatted, sorted;
* ``sqlite_ms`` — SQLite in memory: 50,000 rows inserted into an indexed
  table in one transaction, then counted through the index;
* ``sha256_ms`` — hashing 64 MB (what the CPU does for media and the event
  chain, outside Python).

Each is the median of three runs, on one core. ``make bench`` records them in
``benchmarks/results.json`` (``machine_speed``, with the load average); run
alone it prints them:

    .venv/bin/python benchmarks/machine_speed.py
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import statistics
import time
from collections.abc import Callable

ROWS = 100_000


def _python() -> None:
    rows = {n: (f"item-{n % 997}", n * 7 % 1009) for n in range(ROWS)}
    sorted(rows.items(), key=lambda kv: (kv[1][1], kv[1][0]))


def _sqlite() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, queue INTEGER, at TEXT, body TEXT)")
    conn.execute("CREATE INDEX t_queue ON t (queue, at)")
    with conn:
        conn.executemany("INSERT INTO t (queue, at, body) VALUES (?, ?, ?)",
                         ((n % 7, f"2026-01-{n % 28 + 1:02d}T{n % 24:02d}:00:00Z", f"post {n}")
                          for n in range(ROWS // 2)))
    conn.execute("SELECT queue, COUNT(*) FROM t GROUP BY queue").fetchall()
    conn.close()


_BLOCK = bytes(range(256)) * 4096  # 1 MB


def _sha256() -> None:
    digest = hashlib.sha256()
    for _ in range(64):
        digest.update(_BLOCK)
    digest.hexdigest()


def _median_ms(work: Callable[[], None], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 1)


def measure() -> dict[str, object]:
    """The three times in milliseconds, the load average before them, and when."""
    load = os.getloadavg()[0]
    return {"python_ms": _median_ms(_python), "sqlite_ms": _median_ms(_sqlite), "sha256_ms": _median_ms(_sha256),
            "load_before": round(load, 2), "at": time.strftime("%Y-%m-%d %H:%M")}


if __name__ == "__main__":
    print("machine_speed: " + ", ".join(f"{k}={v}" for k, v in measure().items()))
