"""Claim, next-item and decision latency at 10k / 100k / 1M / 5M items, each beside its floor on the same store.

Each Veil figure is one real user action on a real file, as every front end
makes it:

* ``claim``: ``review.serving.claim_next`` — the person's roles and break,
  one ``BEGIN IMMEDIATE`` transaction with the serving rules (kept while
  ``review.store.serving_changes`` stands), the complaints against their
  own decisions, the candidate, the guarded lease upsert and its event;
  then the item's row;
* ``next_item``: ``ReviewDesk.claim`` — the same claim and everything the
  desk shows with the item (seen before, routes, escalation, complaint,
  the author's account, what is known of the content), measured apart:
  issue 22 counts these in the next-item figure, not the claim's;
* ``decide``: one transaction with its event, then the after-decision hooks
  (none here).

The floor is the barest way to do the same on the same store, in the same
run, interleaved with Veil's claims so both meet the same noise: one
transaction of one indexed ``UPDATE items … WHERE id = (SELECT … ORDER BY
<serving order> LIMIT 1) RETURNING id``. Issue 22's target: claim p95 ≤ 2×
that floor at 1 M and 5 M items. A decision's floor is its row alone,
inserted in a transaction of its own.

``--sizes`` builds four queues of text items through ``add_items`` (the
guard's small run); ``--scale 1m|5m`` builds the site-shaped store of
``bench_queues.py`` (seven queues, half the items waiting) with a bare
``executemany``, so 5 M items take minutes, not hours.

    .venv/bin/python benchmarks/bench_claims.py [--sizes 10000 100000 1000000] [--n 200]
    .venv/bin/python benchmarks/bench_claims.py --scale 5m [--n 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_queues import SCALES, build_items  # noqa: E402
from common import figure, fill_text_items, percentile, record  # noqa: E402

from desktop import wiring  # noqa: E402
from review import serving, taxonomy  # noqa: E402
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


def measure(size: int, n: int, *, scale: str | None = None) -> None:
    """Claims, next items and decisions on a store of *size* items (*scale*: the site-shaped store)."""
    desk = ReviewDesk(taxonomy.load())
    label = scale or str(size)
    with tempfile.TemporaryDirectory() as tmp:
        store = wiring.open_store(Path(tmp) / "claims.db")
        ana = store.add_user("ana", ["moderator"])
        if scale:
            busiest = build_items(store, size)[0]
        else:
            queues = [store.add_queue(f"queue-{q}", priority=q) for q in range(4)]
            for queue in queues:
                fill_text_items(store, queue.id, size // len(queues))
            busiest = queues[-1].id
        claims, next_items, commits, claim_floors, decide_floors = [], [], [], [], []
        for _ in range(n):
            start = time.perf_counter()
            lease = serving.claim_next(store, ana)
            claims.append(time.perf_counter() - start)
            desk.decide(store, ana, lease.item.id, "no_violation", shown_at=store.now(), claim=lease.claim)
            start = time.perf_counter()
            shown = desk.claim(store, ana)
            next_items.append(time.perf_counter() - start)
            start = time.perf_counter()
            desk.decide(store, ana, shown.item.id, "no_violation", shown_at=store.now(), claim=shown.claim)
            commits.append(time.perf_counter() - start)
            start = time.perf_counter()
            with store.transaction():
                (taken,) = store.db.execute(BARE_CLAIM, [busiest]).fetchone()
            claim_floors.append(time.perf_counter() - start)
            start = time.perf_counter()
            with store.transaction():
                store.db.execute(BARE_DECIDE, [taken, ana.id, busiest, store.now(), store.now()])
            decide_floors.append(time.perf_counter() - start)
        store.close()
    shown_scale = f"{size:,} items"
    floor = p95_ms(claim_floors)
    figure(f"claim_p95_{label}", p95_ms(claims), "ms p95", floor=floor, target="<= 2x floor", n=n, scale=shown_scale)
    figure(f"next_item_claim_p95_{label}", p95_ms(next_items), "ms p95", floor=floor, n=n, scale=shown_scale)
    figure(f"decide_p95_{label}", p95_ms(commits), "ms p95", floor=p95_ms(decide_floors), n=n, scale=shown_scale)
    record(f"claims_{label}", {f"{name}_p50_ms": round(statistics.median(samples) * 1000, 3) for name, samples in (
        ("claim", claims), ("next_item_claim", next_items), ("claim_floor", claim_floors), ("decide", commits),
        ("decide_floor", decide_floors))})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--scale", choices=sorted(SCALES), help="the site-shaped store instead of --sizes")
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    if args.scale:
        measure(SCALES[args.scale], args.n, scale=args.scale)
        return
    for size in args.sizes:
        measure(size, args.n)


if __name__ == "__main__":
    main()
