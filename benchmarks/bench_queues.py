"""Queue overview and queue health at 1 M and 5 M items, each beside the bare read of the kept counts.

The store: seven queues shaped like a site's (six review queues with SLAs
from 4 h to 3 days, one escalation queue) and items shaped like ``veil
demo``'s — half decided over five weeks, half waiting from the last three
days, a stale backlog of older ones — written with a bare ``executemany``
(the triggers that keep the counts, ``review.store.queue_counts``, see every
row, as an import's do).

Figures (medians of ``--runs`` reads, p95 beside them):

* ``queue_health_<scale>``: ``Store.queue_health`` (waiting, oldest,
  breached, at risk per queue: what the dashboard reads);
* ``queue_overview_<scale>``: ``audit.dashboard.queue_health``, the
  Queues page's whole read (the same with QA's backlog);
* the floor: the counts per queue and state read bare from ``queue_states``;
  the old full count of every pending item (the code before the counts) is
  printed beside them, not a figure.
* ``queue_counts_import``: what the counts cost an import — CPU time of a
  100,000-row insert of text items into a fresh store the way an import
  writes them (``item_inserts.insert_new``: the per-row trigger paused, one
  grouped upsert per counting table), beside a bare ``executemany`` of the
  same rows with the counting triggers dropped (target: within 10 %).

Issue 22's target: overview and health ≤ 50 ms at 5 M items. With ``VEIL_BENCH_DATABASE_URL`` (a server the
caller runs; ``make bench-pg``) the overview and health are measured on a fresh database there too, named
with ``_pg`` (``common.bench_stores``); the import cost is SQLite's alone (it drops SQLite's triggers).

    .venv/bin/python benchmarks/bench_queues.py [--scale 1m|5m|small] [--runs 20]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_stores, figure, percentile, record, suffix  # noqa: E402

from audit import dashboard as lead_dashboard  # noqa: E402
from desktop import wiring  # noqa: E402
from review.clock import iso  # noqa: E402
from review.store import item_inserts  # noqa: E402
from review.store.connection import executemany  # noqa: E402

SCALES = {"small": 50_000, "1m": 1_000_000, "5m": 5_000_000}
#: (name, kind, SLA hours) of the site's queues.
QUEUES = (("reports", "review", 24), ("spam", "review", 12), ("hate", "review", 4), ("nudity", "review", 8),
          ("appeals", "review", 72), ("ads", "review", 48), ("escalations", "escalation", 8))
ITEM_COLUMNS = "external_id, queue_id, kind, text, priority, received_at, due_at, state, created_at"
#: The code before the counts: every pending item of a queue counted on every look.
FULL_COUNT = """
    SELECT COUNT(*), MIN(received_at), COALESCE(SUM(CASE WHEN due_at <= :now THEN 1 ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN due_at > :now AND due_at <= :soon THEN 1 ELSE 0 END), 0)
    FROM items WHERE queue_id = :queue AND state = 'pending'
"""
BARE_COUNTS = "SELECT queue_id, state, SUM(items) FROM queue_states GROUP BY queue_id, state ORDER BY queue_id, state"


def build_items(store, count: int, queues=None, *, seed: int = 22, batch: int = 100_000, closed: bool = True
                ) -> list[int]:
    """*count* text items over *queues* (default: :data:`QUEUES`, made here), shaped like ``veil demo``'s: half
    of them decided over the last five weeks, half waiting from the last three days, and one in five hundred of
    the older ones still waiting (a stale backlog); escalation queues get one item in two hundred (the leads'
    few), review queues the rest, in turn. Written with bare ``executemany`` in one transaction per *batch*
    (the triggers see every row). The queues' ids.

    The decided items have no decision rows, which ``veil verify`` names: with *closed* False the older items
    wait too (the same ages), for a benchmark whose store must pass its checks afterwards."""
    rng = random.Random(seed)
    now = store.clock.now()
    if queues is None:
        queues = [store.add_queue(name, kind, sla_seconds=hours * 3600) for name, kind, hours in QUEUES]
    reviewed = [q for q in queues if q.kind != "escalation"]
    escalated = [q for q in queues if q.kind == "escalation"] or reviewed
    started = time.perf_counter()
    for offset in range(0, count, batch):
        rows = []
        for n in range(offset, min(count, offset + batch)):
            queue = escalated[n % len(escalated)] if n % 200 == 0 else reviewed[n % len(reviewed)]
            recent = rng.random() < 0.5
            age_s = rng.uniform(60, 3 * 86_400) if recent else rng.uniform(3 * 86_400, 35 * 86_400)
            received = now - _dt.timedelta(seconds=age_s)
            pending = recent or rng.random() < 0.002 or not closed
            rows.append((f"q-{n}", queue.id, "text", f"post {n}", n % 3, iso(received),
                         iso(received + _dt.timedelta(seconds=queue.sla_seconds)), "pending" if pending else "decided",
                         iso(now)))
        with store.transaction():
            executemany(store.db, f"INSERT INTO items ({ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    print(f"  (built {count:,} items in {time.perf_counter() - started:.1f} s)")
    return [q.id for q in queues]


def timed_ms(read, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        read()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def full_count(store) -> None:
    now = store.clock.now()
    for queue in store.queues():
        store.db.execute(FULL_COUNT, {"now": iso(now), "queue": queue.id,
                                      "soon": iso(now + _dt.timedelta(seconds=queue.sla_seconds / 4))}).fetchone()


def overview(scale: str, runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="veil-bench-") as tmp:
        for kind, new in bench_stores(tmp):
            overview_on(wiring.open_store(new("queues")), scale, runs, suffix(kind))


def overview_on(store, scale: str, runs: int, named: str = "") -> None:
    """The overview figures on *store* (empty; closed here), their names ending in *named*."""
    count = SCALES[scale]
    build_items(store, count)
    if named:  # a server plans by its statistics: the bulk rows counted, as autovacuum would soon
        store.db.execute("ANALYZE")
    floor = timed_ms(lambda: store.db.execute(BARE_COUNTS).fetchall(), runs)
    reads = {"queue_health": lambda: store.queue_health(),
             "queue_overview": lambda: lead_dashboard.queue_health(store)}
    samples = {name: timed_ms(read, runs) for name, read in reads.items()}
    old = timed_ms(lambda: full_count(store), max(3, runs // 5))
    waiting = sum(h.waiting for h in store.queue_health())
    store.close()
    for name, values in samples.items():
        figure(f"{name}_{scale}{named}", round(statistics.median(values), 2), "ms",
               floor=round(statistics.median(floor), 3), target="<= 50 ms at 5 M items", n=runs,
               scale=f"{count:,} items")
    record(f"queue_overview_{scale}{named}", {
        "items": count, "waiting": waiting, "health_p95_ms": round(percentile(samples["queue_health"], 95), 2),
        "overview_p95_ms": round(percentile(samples["queue_overview"], 95), 2),
        "old_full_count_ms": round(statistics.median(old), 1)})


def import_cost(rows: int = 100_000, runs: int = 3) -> None:
    """CPU seconds of an import's insert of *rows* text items (counted once per statement), and of a bare insert
    without the counting triggers (the floor)."""
    now = iso(_dt.datetime.now(_dt.UTC))
    items = [(f"post-{n}", 1 + n % 3, "text", f"reported comment {n}", n % 5,
              f"2026-01-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00.000Z",
              f"2026-01-{2 + n % 27:02d}T{n % 24:02d}:{n % 60:02d}:00.000Z", "pending", now, f"user-{n % 997}")
             for n in range(rows)]
    insert = f"INSERT INTO items ({ITEM_COLUMNS}, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    seconds: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="veil-bench-") as tmp:
        for run in range(2 * runs):
            counted = run % 2 == 0  # alternate, so both meet the same noise
            with wiring.open_store(Path(tmp) / f"import{run}.db") as store:
                for q in range(3):
                    store.add_queue(f"queue-{q}")
                if not counted:
                    for trigger in ("items_counted", "items_recounted", "items_uncounted"):
                        store.db.execute(f"DROP TRIGGER {trigger}")
                started = time.process_time()
                with store.transaction():
                    if counted:
                        item_inserts.insert_new(store, insert, items)
                    else:
                        store.db.conn.executemany(insert, items)
                seconds[counted].append(time.process_time() - started)
    figure("queue_counts_import", round(rows / statistics.median(seconds[True])), "rows/s",
           floor=round(rows / statistics.median(seconds[False])), target="<= 1.10x the insert without the counts",
           n=runs, scale=f"{rows:,} rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="1m")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--import-rows", type=int, default=100_000, help="rows for the import cost (0: skip it)")
    args = parser.parse_args()
    overview(args.scale, args.runs)
    if args.import_rows:
        import_cost(args.import_rows)


if __name__ == "__main__":
    main()
