"""A site on one server store (issue 15): 200 moderators, each with their own connection, one claim and one
decision every 2 s, against 1,000,000 waiting items.

Each simulated moderator is a thread with a connection of its own (``Store.second_connection``), in worker
processes (``--per-process``, 10 each, so Python's lock is not what is measured); every 2 s (a random phase
each) it claims the next item through the review desk and decides it. The client measures what a moderator waits
for: the desk's claim (the item and what the desk shows beside it) and the desk's decision. At the end, from the
store: ``double_claims`` (an item claimed by two moderators: with a million items and 10-minute leases, any),
``lost`` (a decision a client was told is stored that is not), ``duplicated`` (an item decided twice, a decision
without its event or an event without its row) and ``veil verify``'s checks (chain, reconciliation, schema).

The store is built with SQL (``generate_series``), not the importer: a million rows in under a minute. It
starts its own throwaway server (tests/postgres.py) with ``max_connections`` above the clients, durability as
a site runs it (``fsync`` and ``synchronous_commit`` on) unless ``--fast-durability``.

    .venv/bin/python benchmarks/bench_server_site.py                          # 200 clients, 10 minutes, 1M items
    .venv/bin/python benchmarks/bench_server_site.py --minutes 0.5 --items 20000 --clients 40   # a short run

Exit status 1 when double_claims, lost or duplicated is not 0 or verify fails (never for a time).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(ROOT.parent)]  # the repository before tests/, whose review/ folder must not hide
sys.path.append(str(ROOT.parent / "tests"))  # the review package; tests/postgres.py starts the throwaway server

from common import decision_report, percentile, record, store_check  # noqa: E402

from desktop import wiring  # noqa: E402
from review import content_index, taxonomy  # noqa: E402
from review.desk import ReviewDesk  # noqa: E402
from review.errors import VeilError  # noqa: E402

QUEUE = "reports"
PER_PROCESS = 10
#: The throwaway server for a site: no TCP port, connections for every client, durability as a site has it.
SITE_SETTINGS = "-c listen_addresses='' -c max_connections=400 -c shared_buffers=256MB -c max_locks_per_transaction=128"
FAST = " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def start_server(fast_durability: bool):
    """A throwaway server (tests/postgres.py) with this benchmark's settings."""
    import postgres

    return postgres.start(SITE_SETTINGS + (FAST if fast_durability else ""))


def build(url: str, items: int, clients: int) -> None:
    """*clients* moderators and one review queue holding *items* pending text items, written with one SQL
    statement (and its ``items.imported`` event, as an import has)."""
    started = time.perf_counter()
    store = wiring.open_store(url)
    for n in range(clients):
        store.add_user(f"mod{n}", ["moderator"])
    queue = store.add_queue(QUEUE, sla_seconds=86_400)
    with store.transaction():
        store.db.execute(
            "INSERT INTO items (external_id, queue_id, kind, text, received_at, due_at, created_at)"
            " SELECT 'bulk-' || g, ?, 'text', 'post ' || g,"
            " '2026-01-0' || (1 + g % 4) || 'T' || lpad(CAST(g % 24 AS TEXT), 2, '0') || ':00:00.000Z',"
            " '2026-01-0' || (2 + g % 4) || 'T' || lpad(CAST(g % 24 AS TEXT), 2, '0') || ':00:00.000Z', ?"
            " FROM generate_series(1, ?) AS g", [queue.id, store.now(), items])
        store.log("system", "items.imported", "bench_server_site", {"rows": items, "added": items})
    store.db.execute("ANALYZE")
    store.close()
    print(f"  (built {items:,} items for {clients} clients in {time.perf_counter() - started:.1f} s)", flush=True)


@dataclass
class Tally:
    """What one worker process's clients saw."""

    claims: list[float] = field(default_factory=list)
    decides: list[float] = field(default_factory=list)
    claimed: Counter[int] = field(default_factory=Counter)  # item id -> how many claims got it
    reported: dict[int, int] = field(default_factory=dict)  # decision id -> item id, as decide returned them
    errors: Counter[str] = field(default_factory=Counter)
    late: int = 0  # rounds that began after their time (the client could not keep its pace)


def clients(url: str, names: list[str], pace_s: float, seconds: float, seed: int, results) -> None:
    """One worker process: a thread per moderator, each with its own connection, for *seconds*; its Tally to
    *results*. *pace_s* 0: flat out."""
    desk, tally, lock = ReviewDesk(taxonomy.load()), Tally(), threading.Lock()
    store = wiring.open_store(url)
    ready = threading.Barrier(len(names) + 1)

    def moderator(name: str, rng: random.Random) -> None:
        own = store.second_connection()
        person = own.user(name)
        ready.wait()
        began = time.monotonic()
        next_at, ends = began + rng.uniform(0, pace_s), began + seconds
        while next_at < ends:
            wait = next_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            elif pace_s:
                tally.late += 1
            next_at = max(next_at + pace_s, time.monotonic()) if pace_s else time.monotonic()
            try:
                t0 = time.perf_counter()
                shown = desk.claim(own, person)
                t1 = time.perf_counter()
                if shown is None:
                    continue
                made, _ = desk.decide(own, person, shown.item.id, "no_violation", shown_at=own.now(),
                                      claim=shown.claim)
                t2 = time.perf_counter()
            except VeilError as exc:
                with lock:
                    tally.errors[type(exc).__name__] += 1
                continue
            with lock:
                tally.claims.append(t1 - t0)
                tally.decides.append(t2 - t1)
                tally.claimed[shown.item.id] += 1
                tally.reported[made.id] = shown.item.id
        own.close()

    threads = [threading.Thread(target=moderator, args=(name, random.Random(seed * 1000 + n)))
               for n, name in enumerate(names)]
    content_index.warm(store)  # as each desk does at sign-in, off its GUI thread: "Seen before" is then current
    for thread in threads:
        thread.start()
    ready.wait()
    for thread in threads:
        thread.join()
    store.close()
    results.put(tally)


def run_clients(url: str, names: list[str], pace_s: float, seconds: float, per_process: int = PER_PROCESS) -> Tally:
    """*names* as simulated moderators in worker processes of *per_process* each; their tallies together."""
    context = multiprocessing.get_context("fork")  # the parent holds no connection and runs no thread here
    results = context.Queue()
    groups = [names[start:start + per_process] for start in range(0, len(names), per_process)]
    workers = [context.Process(target=clients, args=(url, group, pace_s, seconds, n, results))
               for n, group in enumerate(groups)]
    for worker in workers:
        worker.start()
    total = Tally()
    for _ in workers:
        part = results.get(timeout=seconds + 600)
        total.claims += part.claims
        total.decides += part.decides
        total.claimed.update(part.claimed)
        total.reported.update(part.reported)
        total.errors.update(part.errors)
        total.late += part.late
    for worker in workers:
        worker.join()
    return total


def ms(samples: list[float], pct: float) -> float:
    return round(percentile(samples, pct) * 1000, 2) if samples else float("nan")


def checked(url: str, tally: Tally) -> dict[str, object]:
    """The store after the run against what the clients were told; ``verified``: ``veil verify``'s checks pass."""
    from review.store import events

    store = wiring.open_store(url)
    try:
        report = decision_report(store, tally.reported, taxonomy.load().escalation.id)
        _, broken = events.verify_chain(store.db)
        whole = store_check(store)
        return {"double_claims": sum(1 for n in tally.claimed.values() if n > 1), **report,
                "chain": "intact" if broken is None else f"BROKEN at {broken.row_id}", "verify": whole,
                "verified": broken is None and whole == "ok"}
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--pace", type=float, default=2.0, help="seconds between one client's claims")
    parser.add_argument("--per-process", type=int, default=PER_PROCESS, help="simulated moderators per process")
    parser.add_argument("--fast-durability", action="store_true", help="fsync and synchronous_commit off")
    args = parser.parse_args()
    server = start_server(args.fast_durability)
    try:
        server.admin("CREATE DATABASE site")
        url = server.url("site")
        names = [f"mod{n}" for n in range(args.clients)]
        build(url, args.items, args.clients)
        started = time.perf_counter()
        tally = run_clients(url, names, args.pace, args.minutes * 60, args.per_process)
        seconds = time.perf_counter() - started
        figures = {"clients": args.clients, "items": args.items, "minutes": args.minutes, "pace_s": args.pace,
                   "durability": "off" if args.fast_durability else "on",
                   "claims": len(tally.claims), "decisions": len(tally.decides),
                   "decisions_per_s": round(len(tally.decides) / seconds, 1),
                   "claim_p50_ms": ms(tally.claims, 50), "claim_p95_ms": ms(tally.claims, 95),
                   "claim_p99_ms": ms(tally.claims, 99), "decide_p50_ms": ms(tally.decides, 50),
                   "decide_p95_ms": ms(tally.decides, 95), "decide_p99_ms": ms(tally.decides, 99),
                   "late_rounds": tally.late, **{f"errors_{k}": v for k, v in tally.errors.items()},
                   **checked(url, tally)}
    finally:
        server.stop()
    record(f"server_site_{args.clients}_clients", figures)
    problems = [k for k in ("double_claims", "lost", "duplicated") if figures[k]]
    if not figures["verified"]:
        problems.append("verify")
    print(f"server_site: {'PROBLEMS: ' + ', '.join(problems) if problems else 'no problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
