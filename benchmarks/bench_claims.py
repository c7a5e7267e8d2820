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
guard's small run), on a file and, with ``$VEIL_BENCH_DATABASE_URL``, on a
server too (``common.bench_stores``; figures named ``…_pg``); ``--scale
1m|5m`` builds the site-shaped store of ``bench_queues.py`` (seven queues,
half the items waiting) with a bare ``executemany``, so 5 M items take
minutes, not hours.

Beside the times it counts the **statements** one claim (``claim_next``)
and one decision (``decisions.decide``) send to the store — every one,
``BEGIN``/``COMMIT``, locks and triggers' callers included, never a
trigger's own — and the round trips on a server (statements sent together
in one pipeline count once): ``claim_statements``, ``decide_statements``.
Run it on the code before a change (``PYTHONPATH=<old tree>``) to compare.

    .venv/bin/python benchmarks/bench_claims.py [--sizes 10000 100000 1000000] [--n 200]
    .venv/bin/python benchmarks/bench_claims.py --scale 5m [--n 300]
    .venv/bin/python benchmarks/bench_claims.py --scale 1m --store <a 1 M veil demo store> [--n 300]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_queues import SCALES, build_items  # noqa: E402
from common import bench_stores, copy_store, figure, fill_text_items, percentile, record, suffix  # noqa: E402

from desktop import wiring  # noqa: E402
from review import content_index, decisions, serving, taxonomy  # noqa: E402
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


class _Counted:
    """A SQLite connection that counts what it is asked to run (the driver's own trace also shows each trigger's
    statements, which are not round trips of Veil's)."""

    def __init__(self, conn, tally: dict[str, int]) -> None:
        self._conn, self._tally = conn, tally

    def execute(self, sql, *args):
        self._tally["statements"] += 1
        return self._conn.execute(sql, *args)

    def executemany(self, sql, *args):
        self._tally["statements"] += 1
        return self._conn.executemany(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


@contextlib.contextmanager
def counting(store) -> Iterator[dict[str, int]]:
    """Count the statements and round trips *store*'s connection sends meanwhile: ``{"statements", "trips"}``."""
    tally = {"statements": 0, "trips": 0}
    if store.path is not None:
        real = store.db.conn
        store.db.conn = _Counted(real, tally)
        try:
            yield tally
        finally:
            store.db.conn = real
            tally["trips"] = tally["statements"]
        return
    import psycopg

    from review.store import server

    execute, executemany, pipeline = psycopg.Cursor.execute, psycopg.Cursor.executemany, psycopg.Connection.pipeline
    mogrify = psycopg.ClientCursor.mogrify
    piped = [0]

    def counted(run):
        def call(cursor, query, *args, **kwargs):
            tally["statements"] += 1 + _flush_after_commit(query)
            tally["trips"] += not piped[0]
            return run(cursor, query, *args, **kwargs)
        return call

    def bound(cursor, *args, **kwargs):  # a deferred statement, bound into the commit's one message
        tally["statements"] += 1
        return mogrify(cursor, *args, **kwargs)

    def _flush_after_commit(query) -> int:
        """The commit's one message with deferred statements (``server._commit``): its COMMIT is the execute's
        statement, each deferred one was counted as bound, and the flush after the COMMIT is one more."""
        return int(isinstance(query, str) and query.endswith("; COMMIT; " + server._FLUSHED))

    @contextlib.contextmanager
    def one_trip(conn):
        tally["trips"] += 1
        piped[0] += 1
        try:
            with pipeline(conn) as sent:
                yield sent
        finally:
            piped[0] -= 1

    psycopg.Cursor.execute, psycopg.Cursor.executemany = counted(execute), counted(executemany)
    psycopg.Connection.pipeline, psycopg.ClientCursor.mogrify = one_trip, bound
    try:
        yield tally
    finally:
        psycopg.Cursor.execute, psycopg.Cursor.executemany, psycopg.Connection.pipeline = (
            execute, executemany, pipeline)
        psycopg.ClientCursor.mogrify = mogrify


def statements_per_cycle(store, user, policy, cycles: int = 20) -> dict[str, float]:
    """The median statements and round trips of one claim and one decision (the connection's rules kept)."""
    counts: dict[str, list[int]] = {"claim_statements": [], "claim_trips": [], "decide_statements": [],
                                    "decide_trips": []}
    for _ in range(cycles):
        with counting(store) as claimed:
            lease = serving.claim_next(store, user)
        with counting(store) as decided:
            decisions.decide(store, policy, user, lease.item.id, claim=lease.claim, action="no_violation",
                             shown_at=store.now())
        for name, tally in (("claim", claimed), ("decide", decided)):
            counts[f"{name}_statements"].append(tally["statements"])
            counts[f"{name}_trips"].append(tally["trips"])
    return {name: statistics.median(values) for name, values in counts.items()}


def measure(size: int, n: int, *, scale: str | None = None, location: str | None = None, kind: str = "sqlite",
            demo: Path | None = None) -> None:
    """Claims, next items and decisions on a store of *size* items (*scale*: the site-shaped store; *location*:
    where to build it, a file in a temporary folder by default; *demo*: a copy of this ``veil demo`` store, as
    ana, its rotation rule and roster included)."""
    desk = ReviewDesk(taxonomy.load())
    label = (scale or str(size)) + ("-demo" if demo else "") + suffix(kind)
    with tempfile.TemporaryDirectory() as tmp:
        store = wiring.open_store(copy_store(demo, Path(tmp) / "claims.db") if demo
                                  else location or Path(tmp) / "claims.db")
        if demo:
            ana = store.user("ana")
            content_index.warm(store)  # as the review page does when it opens: not part of a claim
            busiest = serving.peek_next(store, ana).queue_id
        elif scale:
            ana = store.add_user("ana", ["moderator"])
            busiest = build_items(store, size)[0]
        else:
            ana = store.add_user("ana", ["moderator"])
            queues = [store.add_queue(f"queue-{q}", priority=q) for q in range(4)]
            for queue in queues:
                fill_text_items(store, queue.id, size // len(queues))
            busiest = queues[-1].id
        cost = statements_per_cycle(store, ana, desk.taxonomy)
        with counting(store) as bare_claim, store.transaction():
            (taken,) = store.db.execute(BARE_CLAIM, [busiest]).fetchone()
        with counting(store) as bare_decide, store.transaction():
            store.db.execute(BARE_DECIDE, [taken, ana.id, busiest, store.now(), store.now()])
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
    shown_scale = f"{size:,} items" + (" (server)" if kind == "postgresql" else "")
    floor = p95_ms(claim_floors)
    figure(f"claim_p95_{label}", p95_ms(claims), "ms p95", floor=floor, target="<= 2x floor", n=n, scale=shown_scale)
    figure(f"next_item_claim_p95_{label}", p95_ms(next_items), "ms p95", floor=floor, n=n, scale=shown_scale)
    figure(f"decide_p95_{label}", p95_ms(commits), "ms p95", floor=p95_ms(decide_floors), n=n, scale=shown_scale)
    for name, floor_tally in (("claim", bare_claim), ("decide", bare_decide)):  # exact, so the guard's steadiest
        figure(f"{name}_statements_{label}", cost[f"{name}_statements"], "statements",
               floor=floor_tally["statements"], n=20, scale=shown_scale)
    record(f"claims_{label}", {**{f"{name}_p50_ms": round(statistics.median(samples) * 1000, 3) for name, samples in (
        ("claim", claims), ("next_item_claim", next_items), ("claim_floor", claim_floors), ("decide", commits),
        ("decide_floor", decide_floors))}, **cost})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--scale", choices=sorted(SCALES), help="the site-shaped store instead of --sizes")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--store", type=Path, help="with --scale: a copy of this veil demo store of that size, as ana "
                                                   "(its rotation rule, roster and gates), instead of the built one")
    args = parser.parse_args()
    if args.scale:
        measure(SCALES[args.scale], args.n, scale=args.scale, demo=args.store)
        return
    with tempfile.TemporaryDirectory() as folder:
        for kind, new in bench_stores(folder):
            for size in args.sizes:
                measure(size, args.n, location=new(f"claims_{size}"), kind=kind)


if __name__ == "__main__":
    main()
