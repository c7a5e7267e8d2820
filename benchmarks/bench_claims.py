"""Claim latency at 10k / 100k / 1M items, and decision commit latency.

Each figure is one real user action on a real file, through the review
desk as every front end makes it: ``claim`` (one ``BEGIN IMMEDIATE``
transaction with the guarded lease upsert, then the seen-before summary)
and ``decide`` (one transaction with its event, then the after-decision
hooks — none here).

    .venv/bin/python benchmarks/bench_claims.py [--sizes 10000 100000 1000000] [--n 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fill_text_items, record, summary_ms  # noqa: E402

from desktop import wiring  # noqa: E402
from review import taxonomy  # noqa: E402
from review.desk import ReviewDesk  # noqa: E402


def measure(size: int, n: int) -> None:
    desk = ReviewDesk(taxonomy.load())
    with tempfile.TemporaryDirectory() as tmp:
        store = wiring.open_store(Path(tmp) / "claims.db")
        ana = store.add_user("ana", ["moderator"])
        queues = [store.add_queue(f"queue-{q}", priority=q) for q in range(4)]
        for queue in queues:
            fill_text_items(store, queue.id, size // len(queues))
        claims, commits = [], []
        for _ in range(n):
            start = time.perf_counter()
            shown = desk.claim(store, ana)
            claims.append(time.perf_counter() - start)
            start = time.perf_counter()
            desk.decide(store, ana, shown.item.id, "no_violation", shown_at=store.now(), claim=shown.claim)
            commits.append(time.perf_counter() - start)
        store.close()
    record(f"claim_{size}", summary_ms(claims))
    record(f"decision_commit_{size}", summary_ms(commits))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    for size in args.sizes:
        measure(size, args.n)


if __name__ == "__main__":
    main()
