"""Claim and decide latency on a PostgreSQL server store (team mode), one client and several at once.

The same user actions as ``bench_claims.py`` (the review desk's claim, then
its decision), on a server store: with one client, and with N clients in
threads, each with its own connection, working flat out. Claims and
decisions run side by side (row locks, ``FOR UPDATE SKIP LOCKED``; see
docs/team-mode.md "Claims at a site's scale"); the double-claim count must
be 0. Each client signs in as its moderator's own database role (as a site's desks do), so the server's
row-level security is in what is measured (``--as-owner``: every client on the owner's connection, which
meets none of it, to see what the rules cost). The site-sized runs are ``bench_server_site.py`` (200 paced clients),
``bench_server_flat_out.py`` and ``bench_server_faults.py``.

    .venv/bin/python benchmarks/bench_server_claims.py [--url postgresql://…] [--size 100000] [--n 200]
        [--clients 8] [--as-owner]

Without ``--url`` it starts a throwaway server (tests/postgres.py) and
removes it afterwards.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(ROOT.parent)]  # the repository before tests/, whose review/ folder must not hide
sys.path.append(str(ROOT.parent / "tests"))  # the review package; tests/postgres.py starts the throwaway server

from common import fill_text_items, percentile, person_url, record, summary_ms  # noqa: E402

from desktop import wiring  # noqa: E402
from review import taxonomy  # noqa: E402
from review.desk import ReviewDesk  # noqa: E402


def measure(url: str, size: int, n: int, clients: int, as_owner: bool = False) -> None:
    desk = ReviewDesk(taxonomy.load())
    store = wiring.open_store(url)
    people = [store.add_user(f"mod{c}", ["moderator"]) for c in range(clients)]
    queues = [store.add_queue(f"queue-{q}", priority=q) for q in range(4)]
    for queue in queues:
        fill_text_items(store, queue.id, size // len(queues))
    store.db.execute("ANALYZE")
    urls = {p.name: url if as_owner else person_url(store, url, p.name) for p in people}
    signed_in = "owner" if as_owner else "own roles"
    for label, workers in (("1", people[:1]), (str(clients), people)):
        claims, commits, claimed, seconds = _run(urls, desk, workers, n)
        doubles = sum(1 for count in claimed.values() if count > 1)
        record(f"server_claim_{size}_{label}_clients", {**summary_ms(claims), "p99_ms": _p99(claims),
                                                        "double_claims": doubles, "signed_in": signed_in})
        record(f"server_decide_{size}_{label}_clients",
               {**summary_ms(commits), "p99_ms": _p99(commits),
                "decisions_per_s": round(len(commits) / seconds, 1), "signed_in": signed_in})
    store.close()


def _p99(samples_s: list[float]) -> float:
    return round(percentile(samples_s, 99) * 1000, 2)


def _run(urls: dict[str, str], desk, workers, n: int) -> tuple[list[float], list[float], Counter[int], float]:
    """*n* claims and decisions shared by *workers*, each in a thread with its own connection (as its own role
    unless *urls* name the owner's), flat out."""
    claims: list[float] = []
    commits: list[float] = []
    claimed: Counter[int] = Counter()
    lock = threading.Lock()

    def work(person, count: int) -> None:
        with wiring.open_store(urls[person.name]) as own:
            person = own.user(person.name)
            for _ in range(count):
                start = time.perf_counter()
                shown = desk.claim(own, person)
                took = time.perf_counter() - start
                start = time.perf_counter()
                desk.decide(own, person, shown.item.id, "no_violation", shown_at=own.now(), claim=shown.claim)
                with lock:
                    claims.append(took)
                    commits.append(time.perf_counter() - start)
                    claimed[shown.item.id] += 1

    threads = [threading.Thread(target=work, args=(p, n // len(workers))) for p in workers]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return claims, commits, claimed, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a server store to fill (an empty database); default: a throwaway server")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--as-owner", action="store_true", help="clients on the owner's role (no row security)")
    args = parser.parse_args()
    if args.url:
        measure(args.url, args.size, args.n, args.clients, args.as_owner)
        return
    import postgres

    server = postgres.start()
    try:
        server.admin("CREATE DATABASE bench")
        measure(server.url("bench"), args.size, args.n, args.clients, args.as_owner)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
