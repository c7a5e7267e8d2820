"""``veil demo --items N``: items per second and peak memory, beside a bare ``executemany`` of the same item rows.

The demo runs as a whole process (``veil demo``: media pool, people, QA, then the grown items with
their decisions, events and exposure); its rate is items / wall seconds, its peak the child's own
high-water mark, and the bulk part's own rate (what ``veil demo`` says of it) is kept beside it. The
floor is the barest way to put the same item rows in a Veil store: one ``executemany`` per 50,000
rows, read from the demo just built, into the items table of a fresh store (same indexes and
triggers), timed alone; ``rows_alone_per_s`` is the same into an items table with no index but its
key and no trigger (what writing the rows costs SQLite, the decisions, events and exposure aside).
With ``--verify`` the built store is checked by ``veil verify`` too (its recount of the summaries
and counters must agree).

    .venv/bin/python benchmarks/bench_demo.py                 # 100k items (CI-sized)
    .venv/bin/python benchmarks/bench_demo.py --scale 1m --verify
    .venv/bin/python benchmarks/bench_demo.py --store postgresql://…/veil_bench   # printed, not targeted
"""

from __future__ import annotations

import argparse
import re
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import VEIL, figure, record, run_python, scale_items  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 50_000
COLUMNS = ("external_id, queue_id, kind, media_path, media_type, text, metadata, author, severity, priority,"
           " content_sha256, content_md5, pdq, pdq_quality, received_at, due_at, state, created_at")
GROWN = re.compile(r"([\d,]+) grown in bulk in ([\d.]+) s")


def floor_rate(built: Path, folder: Path, *, indexed: bool = True) -> float:
    """Rows per second of a bare ``executemany`` of *built*'s item rows into a fresh store's items table: with
    its indexes and triggers (the floor), or with none but its key (*indexed* False: what writing the rows alone
    costs SQLite, below which no loader goes)."""
    from desktop import wiring

    target = folder / f"floor-{indexed}.db"
    with sqlite3.connect(built) as source:
        queues = source.execute("SELECT id, name, kind FROM queues ORDER BY id").fetchall()
        store = wiring.open_store(target)
        for _, name, kind in queues:
            store.add_queue(name, kind)
        store.close()
        ids = {name: new for new, name in sqlite3.connect(target).execute("SELECT id, name FROM queues")}
        mapped = {old: ids[name] for old, name, _ in queues}
        db = sqlite3.connect(target, isolation_level=None)
        if not indexed:
            for kind, name in db.execute("SELECT type, name FROM sqlite_master WHERE tbl_name = 'items'"
                                         " AND sql IS NOT NULL AND type IN ('index', 'trigger') ORDER BY name"
                                         ).fetchall():
                db.execute(f"DROP {kind} {name}")
        spent, rows, after = 0.0, 0, 0
        while True:
            chunk = source.execute(f"SELECT id, {COLUMNS} FROM items WHERE id > ? ORDER BY id LIMIT ?",
                                   [after, CHUNK]).fetchall()
            if not chunk:
                break
            after = chunk[-1][0]
            prepared = [(r[1], mapped[r[2]], *r[3:]) for r in chunk]
            started = time.perf_counter()
            db.execute("BEGIN IMMEDIATE")
            db.executemany(f"INSERT INTO items ({COLUMNS}) VALUES ({', '.join('?' * 18)})", prepared)
            db.execute("COMMIT")
            spent += time.perf_counter() - started
            rows += len(prepared)
        db.close()
    return rows / spent


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="100k", help="100k (default), 1m, 5m or a number of items")
    parser.add_argument("--verify", action="store_true", help="run veil verify on the built store")
    parser.add_argument("--store", help="build into this store instead (a postgresql:// URL: rate printed only)")
    args = parser.parse_args()
    items = scale_items(args.scale)
    with tempfile.TemporaryDirectory(prefix="veil-bench-demo-") as tmp:
        store = args.store or str(Path(tmp) / "demo.db")
        cpu_before = _children_cpu()
        code, out, err, seconds, peak_mb = run_python(VEIL, "demo", "--store", store, "--items", str(items),
                                                      cwd=ROOT)
        cpu = _children_cpu() - cpu_before
        if code:
            print(out, err)
            return 1
        rate = round(items / seconds)
        print(out.strip())
        if store.startswith("postgresql://"):
            record("demo_server", {"items": items, "seconds": round(seconds, 1), "items_per_s": rate,
                                   "peak_mb": round(peak_mb)})
            return 0
        floor = round(floor_rate(Path(store), Path(tmp)))
        figure("demo items per second", rate, "items/s", floor=floor, target=">= 50000 items/s", n=items,
               scale=args.scale)
        # CPU seconds too: on a shared machine the wall clock measures the neighbours as well.
        details = {"items": items, "seconds": round(seconds, 1), "cpu_s": round(cpu, 1),
                   "items_per_cpu_s": round(items / cpu), "peak_mb": round(peak_mb),
                   "rows_alone_per_s": round(floor_rate(Path(store), Path(tmp), indexed=False))}
        if grown := GROWN.search(out):  # the bulk part alone: past the base workspace and its media pool
            count, grow_s = int(grown[1].replace(",", "")), float(grown[2])
            details.update(grown=count, grow_s=grow_s, grown_per_s=round(count / grow_s))
        if args.verify:
            code, said, _, verify_s, verify_mb = run_python(VEIL, "verify", "--store", store, cwd=ROOT)
            details.update(verify_s=round(verify_s, 1), verify_peak_mb=round(verify_mb),
                           verified="problems: none" in said and code == 0)
        record("demo", details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
