""""Seen before" for an item with 50,000 earlier copies, in a store of many decided items.

Setup (bulk rows, no events): ``--items`` decided items with unrelated random PDQ hashes, then
``--copies`` decided exact copies of one picture (same SHA-256 and PDQ) and ``--near`` decided near
copies (new bytes, PDQ 1-30 bits away), then the item looked at. Timed: ``decisions.seen_before`` as the
desk calls it (off the GUI thread) with the content index warm, p50/p95 of ``--repeat`` calls. Before
that, the desk's first look-up on the cold index: it never waits for the load (past
``content_index.INLINE_ITEMS`` items it answers "pending" and the load runs in the background), the
figure "seen before while the index loads"; then a look-up that waits, until the index is loaded
(every item's hashes, every item's current decision), printed with the resident memory the index added:
the figure "content index load" beside its floor, the driver handing over the same rows, nothing done
with them (what no batching can save).
Floor: a bare SQL ``SELECT action, COUNT(*)`` over the same content's decisions (no "current decision"
rule, no near copies): what any per-copy SQL costs. Also prints the plan of the one read per look-up.

    .venv/bin/python benchmarks/bench_seen_before.py [--items 1000000] [--copies 50000] [--near 1000]

With ``VEIL_BENCH_DATABASE_URL`` (``make bench-pg``) the same runs on a fresh database of that server too,
its figure named with ``_pg`` (``common.bench_stores``).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from common import bench_stores, figure, percentile, record, suffix  # noqa: E402

from desktop import wiring  # noqa: E402
from review import decisions, near_copies, serving  # noqa: E402
from review.store.connection import executemany  # noqa: E402
from review.store.dialect import is_server  # noqa: E402

ACTIONS = ("remove", "no_violation", "restrict")


def build(store, items: int, copies: int, near: int) -> int:
    """Fill the store; return the id of the item to look at."""
    rng = np.random.default_rng(5)
    store.add_user("ana", ["moderator"])
    queue = store.add_queue("images")
    user = store.db.execute("SELECT id FROM users WHERE name = 'ana'").fetchone()[0]
    picture = rng.integers(0, 256, 32, dtype=np.uint8)
    sha = "ab" * 32

    def near_copy(bits: int) -> str:
        flipped = picture.copy()
        for bit in rng.choice(256, bits, replace=False):
            flipped[bit // 8] ^= 1 << (bit % 8)
        return flipped.tobytes().hex()

    started = time.perf_counter()
    rows = []
    for n in range(items + copies + near + 1):
        if n < items:
            pdq_hex, content = rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex(), f"{n:064x}"
        elif n < items + copies or n == items + copies + near:
            pdq_hex, content = picture.tobytes().hex(), sha
        else:
            pdq_hex, content = near_copy(int(rng.integers(1, 31))), f"{n:064x}"
        rows.append({"external_id": f"i{n}", "queue_id": queue.id, "kind": "image", "pdq": pdq_hex,
                     "content_sha256": content, "received_at": "2026-01-05T08:00:00.000Z"})
        if len(rows) == 100_000:
            store.add_items(rows)
            rows = []
    store.add_items(rows)
    last = store.db.execute("SELECT MAX(id) FROM items").fetchone()[0]
    with store.transaction():
        executemany(store.db,
            "INSERT INTO decisions (item_id, user_id, queue_id, action, decided_at, client_version, source)"
            " VALUES (?, ?, ?, ?, '2026-01-05T09:00:00.000Z', 'bench', 'history')",
            ((item_id, user, queue.id, ACTIONS[item_id % 3]) for item_id in range(1, last)))
    print(f"  (built {last - 1:,} decided items in {time.perf_counter() - started:.0f} s)")
    return int(last)


def _resident_mb() -> float:
    """This process's resident memory now (Linux /proc; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="decided unrelated items")
    parser.add_argument("--copies", type=int, default=50_000)
    parser.add_argument("--near", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for kind, new in bench_stores(folder):
            with wiring.open_store(new("seen_before")) as store:
                measure(store, args, suffix(kind))
    return 0


def measure(store, args: argparse.Namespace, named: str) -> None:
    """Build the store, time the look-ups, print and keep the figure (its name ending in *named*)."""
    item_id = build(store, args.items, args.copies, args.near)
    if is_server(store.db):  # a server plans by its statistics: the bulk rows counted, as autovacuum would
        store.db.execute("ANALYZE")
    item = serving.load_item(store, item_id)
    resident = _resident_mb()
    start = time.perf_counter()
    asked = decisions.seen_before(store, item)  # the desk's, inside a claim: never waits for the load
    desk_first = time.perf_counter() - start
    seen = near_copies.seen_before(store, item.id, item.content_sha256, item.pdq, wait=True)
    first = time.perf_counter() - start
    index_mb, peak_mb = _resident_mb() - resident, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert sum(seen.values()) == args.copies + args.near, seen
    samples = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        again = decisions.seen_before(store, item)
        samples.append(time.perf_counter() - start)
        assert again == seen and not again.pending, again
    decided = store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
    floor = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        store.db.execute("SELECT d.action, COUNT(*) FROM items i JOIN decisions d ON d.item_id = i.id"
                         " WHERE i.content_sha256 = ? GROUP BY d.action", [item.content_sha256]).fetchall()
        floor.append(time.perf_counter() - start)
    explain = "EXPLAIN " if is_server(store.db) else "EXPLAIN QUERY PLAN "
    plan = store.db.execute(  # what each look-up asks SQL once the index is loaded: what came since
        explain + "SELECT id, kind, subject, payload FROM events WHERE id > ? AND kind IN (?, ?) ORDER BY id",
        [0, "decision.made", "items.imported"]).fetchall()
    p95 = round(percentile(samples, 95) * 1000, 2)
    figure(f"seen before, {args.copies:,} copies{named}", p95, "ms p95",
           floor=round(percentile(floor, 95) * 1000, 2), target="<= 20 ms", n=args.repeat,
           scale=f"{decided:,} decisions")
    record(f"seen before{named}", {
        "decisions": decided, "copies": args.copies, "near": args.near, "seen": dict(seen), "bits": seen.bits,
        "p50_ms": round(percentile(samples, 50) * 1000, 2), "p95_ms": p95,
        "first_call_with_index_load_ms": round(first * 1000, 1), "index_resident_mb": round(index_mb),
        "process_peak_mb": round(peak_mb), "desk_first_call_ms": round(desk_first * 1000, 2),
        "desk_first_call_pending": asked.pending})
    print(f"  the desk's first look-up: {desk_first * 1000:.1f} ms ({'pending' if asked.pending else 'exact'});"
          f" loaded and exact after {first:.1f} s; the index holds {index_mb:.0f} MB resident"
          f" (process peak {peak_mb:.0f} MB)")
    figure(f"seen before while the index loads{named}", round(desk_first * 1000, 2), "ms", target="<= 17 ms",
           n=1, scale=f"{decided:,} decisions")
    start = time.perf_counter()  # the load's floor: the driver handing over the rows it reads, nothing more
    for sql in ("SELECT id, content_sha256, pdq FROM items ORDER BY id",
                "SELECT id, item_id, action FROM decisions ORDER BY id"):
        cursor = store.db.execute(sql)
        while cursor.fetchmany(100_000):
            pass
    reading = time.perf_counter() - start
    figure(f"content index load{named}", round(first, 2), "s", floor=round(reading, 2), target="<= 1 s",
           n=1, scale=f"{args.items + args.copies + args.near + 1:,} items, load {os.getloadavg()[0]:.1f}")
    print("  query plan: " + "; ".join(str(row[-1]) for row in plan))


if __name__ == "__main__":
    raise SystemExit(main())
