"""Exporting at disk speed (issue 22): CSV, JSON Lines and XLSX through ``audit.exports.export``, beside a floor.

Two stores:

* synthetic (default): ``--audits`` scored audits (200,000), each on its own
  decision and item, built with bulk inserts in one transaction (the
  domain's one-at-a-time audit flow would take minutes and is not what is
  measured); the audits export, the widest table (29 columns, two label
  sets, three times, a dispute's columns);
* ``--scale 1m`` (or ``100k``, ``5m``): the decisions export of a demo store
  of that many items (``common.big_store``: about half the items decided),
  read-only (the exports run with ``record=False`` and are discarded).

Each round (``--runs``, the figures are medians) writes the floor — a bare
``SELECT`` of the same rows (every column's value, ``audit.store.export_rows``,
without the count before it) written with the ``csv`` module — then the export in each
format: the row source, conversion, writing and the atomic rename. Peak
memory (tracemalloc) of a CSV and an XLSX export of a tenth of the rows and
of all of them (at a scale, a twentieth and a fifth) shows that it does not
grow with the rows; rows per CPU-second are recorded beside the wall-clock
figures (a busy machine inflates them least). Targets: CSV >=
200,000 rows/s, XLSX >= 50,000 rows/s.

    .venv/bin/python benchmarks/bench_export.py [--audits 200000] [--runs 3]
    VEIL_BENCH_CACHE=/tmp/mine .venv/bin/python benchmarks/bench_export.py --scale 1m [--store /tmp/mine/1m.db]
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import big_store, figure, record  # noqa: E402

from audit import exports  # noqa: E402
from audit.store import export_rows  # noqa: E402
from audit.store.schema import ERROR_TYPES, SEVERITIES  # noqa: E402
from desktop import wiring  # noqa: E402
from review.clock import FakeClock, iso, parse  # noqa: E402

ACTIONS = ("remove", "no_violation", "age_restrict", "label_only")
LABELS = ("hate_speech", "spam", "harassment", "violent_graphic", "scam_fraud")


def build_store(path: Path, audits: int):
    store = wiring.open_store(path, clock=FakeClock("2026-03-01T00:00:00.000Z"))
    store.add_user("lee", ["lead"], "Lee Morgan")
    store.add_user("dana", ["auditor"], "Dana Kim")
    moderators = [store.add_user(name, ["moderator"]).id for name in ("ana", "ben", "chidi", "dev", "eve")]
    queues = [store.add_queue(name).id for name in ("Hate & harassment", "Spam & scams", "Violent & graphic")]
    auditor = store.user("dana").id
    rng = random.Random(7)
    first = parse("2026-01-01T00:00:00.000Z")
    now = store.now()
    began = time.perf_counter()
    with store.transaction():
        items, decisions, samples, rows = [], [], [], []
        for n in range(1, audits + 1):
            at = iso(first + datetime.timedelta(seconds=50 * n))
            queue = queues[n % len(queues)]
            action = rng.choice(ACTIONS)
            labels = json.dumps([rng.choice(LABELS)] if action != "no_violation" else [])
            items.append((n, f"bench-{n:07d}", queue, "text", "", at, at, "decided", now))
            decisions.append((n, n, moderators[n % len(moderators)], queue, action, labels, "", at, at,
                              rng.randint(4000, 60000), "bench"))
            samples.append((n, n, "bench", "rate", auditor, at, "audited"))
            correct = rng.random() < 0.9
            blind = action if correct else rng.choice(ACTIONS)
            rows.append((n, n, n, auditor, blind, labels, at, at, "correct" if correct else "incorrect",
                         None if correct else rng.choice(ERROR_TYPES), None if correct else rng.choice(SEVERITIES),
                         "" if correct else "label did not match the policy", 100.0 if correct else 60.0, at))
        db = store.db.conn
        db.executemany("INSERT INTO items (id, external_id, queue_id, kind, text, received_at, due_at, state,"
                       " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", items)
        db.executemany("INSERT INTO decisions (id, item_id, user_id, queue_id, action, labels, note, shown_at,"
                       " decided_at, handle_ms, client_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", decisions)
        db.executemany("INSERT INTO audit_samples (id, decision_id, plan, reason, auditor_id, created_at, state)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)", samples)
        db.executemany("INSERT INTO audits (id, sample_id, decision_id, auditor_id, blind_action, blind_labels,"
                       " blind_at, revealed_at, verdict, error_type, severity, comment, score, scored_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    print(f"  (built {audits:,} audits in {time.perf_counter() - began:.1f} s)")
    return store


FORMATS = ("csv", "jsonl", "xlsx")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audits", type=int, default=200_000, help="rows of the synthetic audits store")
    parser.add_argument("--scale", help="export the decisions of a demo store of this many items instead (1m, 100k)")
    parser.add_argument("--store", type=Path, help="with --scale: a copy of a demo store of that size to use instead "
                        "of building one (benchmarks/common.py copy_store; only read)")
    parser.add_argument("--runs", type=int, default=3, help="rounds; the figures are medians")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        if args.scale:
            store, kind = wiring.open_store(args.store or big_store(args.scale)), "decisions"
            where = f"{args.scale} demo store"
        else:
            store, kind = build_store(root / "bench.db", args.audits), "audits"
            where = "synthetic store"
        try:
            measure(store, kind, root, args.runs, where)
        finally:
            store.close()


def measure(store, kind: str, root: Path, runs: int, where: str) -> None:
    """Floor and each format, *runs* rounds; the medians as figures, peak memory as details."""
    sql = bare_select(store, kind)
    seconds: dict[str, list[float]] = {fmt: [] for fmt in ("floor", *FORMATS)}
    cpu: dict[str, list[float]] = {fmt: [] for fmt in ("floor", *FORMATS)}
    rows = sizes = None
    for _ in range(runs):
        rows, took, took_cpu = bare_csv(store, sql, root / "floor.csv")
        seconds["floor"].append(took)
        cpu["floor"].append(took_cpu)
        sizes = {}
        for fmt in FORMATS:
            out = root / f"{kind}.{fmt}"
            began, began_cpu = time.perf_counter(), time.process_time()
            result = exports.export(store, "lee", kind, fmt, out, record=False)
            seconds[fmt].append(time.perf_counter() - began)
            cpu[fmt].append(time.process_time() - began_cpu)
            assert result.rows == rows, (result.rows, rows)
            sizes[f"{fmt}_mb"] = round(result.staged.path.stat().st_size / 1e6, 1)
            result.staged.discard()
    medians = {fmt: statistics.median(taken) for fmt, taken in seconds.items()}
    load = round(os.getloadavg()[0], 1)
    record(f"export_{kind}", {"rows": rows, "runs": runs, "load_average": load, **sizes,
                              **{f"{fmt}_s": round(median, 2) for fmt, median in medians.items()},
                              # rows per CPU-second: what a busy machine inflates least
                              **{f"{fmt}_rows_per_cpu_s": round(rows / statistics.median(taken))
                                 for fmt, taken in cpu.items()},
                              **peak_memory(store, kind, root)})
    scale = f"{rows:,} {kind}, {where}, median of {runs}"
    floor = round(rows / medians["floor"])
    figure("export_csv_rows", round(rows / medians["csv"]), "rows/s", floor=floor, target=">= 200,000 rows/s",
           n=runs, scale=scale)
    figure("export_xlsx_rows", round(rows / medians["xlsx"]), "rows/s", floor=floor, target=">= 50,000 rows/s",
           n=runs, scale=scale)


def bare_select(store, kind: str) -> tuple[str, list]:
    """The SQL of the export's rows (every column's value, ``audit.store.export_rows``) and its parameters, without
    the count before it."""
    rows = (export_rows.decisions if kind == "decisions" else export_rows.audits)(store, None, None, None, None)
    return rows.select(rows.columns), list(rows.params)


def bare_csv(store, sql: tuple[str, list], out: Path) -> tuple[int, float, float]:
    """The floor: rows, seconds and CPU seconds to write *sql*'s rows with a bare ``SELECT`` and the ``csv``
    module."""
    began, began_cpu = time.perf_counter(), time.process_time()
    with open(out, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(store.db.execute(*sql))
    seconds, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    with open(out, encoding="utf-8", newline="") as handle:
        rows = sum(1 for _ in csv.reader(handle))
    return rows, seconds, cpu


def peak_memory(store, kind: str, root: Path) -> dict[str, float]:
    """Peak traced memory (MB) of a CSV and an XLSX export of the rows of the first tenth of the period and of all
    of them (at a scale, of the first twentieth and fifth: tracemalloc triples an export's time)."""
    first, last = store.db.execute("SELECT MIN(decided_at), MAX(decided_at) FROM decisions").fetchone()
    rows = store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
    parts = (10, 1) if rows <= 250_000 else (20, 5)
    peaks = {}
    for fmt in ("csv", "xlsx"):
        for part in parts:
            until = iso(parse(first) + (parse(last) - parse(first)) / part) if part > 1 else None
            tracemalloc.start()
            result = exports.export(store, "lee", kind, fmt, root / f"peak.{fmt}", record=False,
                                    filters=exports.Filters(until=until))
            peaks[f"{fmt}_peak_mb_{result.rows}_rows"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
            tracemalloc.stop()
            result.staged.discard()
    return peaks


if __name__ == "__main__":
    main()
