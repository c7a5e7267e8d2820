"""Claim and decision latency at 10k / 100k / 1M items, each beside its floor on the same store.

Each Veil figure is one real user action on a real file, through the review
desk as every front end makes it: ``claim`` (one ``BEGIN IMMEDIATE``
transaction with its roster and rotation rules, the guarded lease upsert
and its event, then the seen-before summary) and ``decide`` (one
transaction with its event, then the after-decision hooks — none here).

The floor is the barest way to do the same on the same store, in the same
run, interleaved with Veil's claims so both meet the same noise: one
transaction of one indexed ``UPDATE items … WHERE id = (SELECT … ORDER BY
<serving order> LIMIT 1) RETURNING id``. Issue 22's target: claim p95 ≤ 2×
that floor at 1 M and 5 M items. A decision's floor is its row alone, inserted in a
transaction of its own.

    .venv/bin/python benchmarks/bench_claims.py [--sizes 10000 100000 1000000] [--n 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import figure, fill_text_items, percentile  # noqa: E402

from desktop import wiring  # noqa: E402
from review import taxonomy  # noqa: E402
from review.desk import ReviewDesk  # noqa: E402

#: The floor's claim: the serving order's first pending item of the busiest queue, taken in one statement.
BARE_CLAIM = """
    UPDATE items SET state = 'decided' WHERE id = (
        SELECT id FROM items WHERE queue_id = ? AND state = 'pending'
        ORDER BY priority DESC, due_at, received_at, id LIMIT 1)
    RETURNING id
"""
#: The floor's decision: the row alone, in its own transaction (no checks, no event, no hooks).
BARE_DECIDE = """
    INSERT INTO decisions (item_id, user_id, queue_id, action, labels, note, shown_at, decided_at, handle_ms,
                           client_version)
    VALUES (?, ?, ?, 'no_violation', '[]', '', ?, ?, 1000, 'floor')
"""


def p95_ms(samples: list[float]) -> float:
    return round(percentile([s * 1000 for s in samples], 95), 3)


def measure(size: int, n: int) -> None:
    desk = ReviewDesk(taxonomy.load())
    scale = f"{size:,} items"
    with tempfile.TemporaryDirectory() as tmp:
        store = wiring.open_store(Path(tmp) / "claims.db")
        ana = store.add_user("ana", ["moderator"])
        queues = [store.add_queue(f"queue-{q}", priority=q) for q in range(4)]
        for queue in queues:
            fill_text_items(store, queue.id, size // len(queues))
        claims, commits, claim_floors, decide_floors = [], [], [], []
        for _ in range(n):
            start = time.perf_counter()
            shown = desk.claim(store, ana)
            claims.append(time.perf_counter() - start)
            start = time.perf_counter()
            desk.decide(store, ana, shown.item.id, "no_violation", shown_at=store.now(), claim=shown.claim)
            commits.append(time.perf_counter() - start)
            start = time.perf_counter()
            with store.transaction():
                (taken,) = store.db.execute(BARE_CLAIM, [queues[-1].id]).fetchone()
            claim_floors.append(time.perf_counter() - start)
            start = time.perf_counter()
            with store.transaction():
                store.db.execute(BARE_DECIDE, [taken, ana.id, queues[-1].id, store.now(), store.now()])
            decide_floors.append(time.perf_counter() - start)
        store.close()
    figure(f"claim_p95_{size}", p95_ms(claims), "ms p95", floor=p95_ms(claim_floors), target="<= 2x floor", n=n,
           scale=scale)
    figure(f"decide_p95_{size}", p95_ms(commits), "ms p95", floor=p95_ms(decide_floors), n=n, scale=scale)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    for size in args.sizes:
        measure(size, args.n)


if __name__ == "__main__":
    main()
