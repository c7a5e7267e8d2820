"""A site on one server store (issue 15): 200 moderators, each with their own connection, one claim and one
decision every 2 s, against 1,000,000 waiting items.

Each simulated moderator is a thread with a connection of its own (``Store.second_connection``), in worker
processes (``--per-process``, 10 each, so Python's lock is not what is measured); every 2 s (a random phase
each) it claims the next item through the review desk and decides it. The client measures what a moderator waits
for: the desk's claim (the item and what the desk shows beside it; ``lease_*``: its transaction alone) and the
desk's decision. At the end, from the store: ``double_claims`` (an item claimed by two moderators: with a
million items and 10-minute leases, any), ``lost`` (a decision a client was told is stored that is not),
``duplicated`` (an item decided twice, a decision without its event or an event without its row) and ``veil
verify``'s checks (chain, reconciliation, schema).

The store is built with SQL (``generate_series``), not the importer: a million rows in under a minute. It
starts its own throwaway server (tests/postgres.py) with ``max_connections`` above the clients, durability as
a site runs it (``fsync`` and ``synchronous_commit`` on) unless ``--fast-durability``.

    .venv/bin/python benchmarks/bench_server_site.py                          # 200 clients, 10 minutes, 1M items
    .venv/bin/python benchmarks/bench_server_site.py --minutes 0.5 --items 20000 --clients 40   # a short run

Where the time goes: while the clients run, the parent samples the server every 50 ms (``--sample``, on by
default; it costs one connection) — what each busy backend waits for (``pg_stat_activity.wait_event``), who
waits for Veil's write lock or the event chain's lock (``pg_locks``, advisory keys) and which statement holds
the write lock EXCLUSIVELY while others wait — and prints the commonest. Beside the latencies it prints the
late rounds (a round a client began after its time: the client could not keep its pace; lateness is not
counted in the latencies, which start when the claim starts), the load average before and after, the
server's checkpoints during the run, and what a claim + decision cost in CPU, the server's and the clients'
apart (``server_cpu_ms_per_cycle``, ``clients_cpu_ms_per_cycle``): on loopback both share the machine's cores.
Each desk peeks at its next item before the start, as the review page does on opening; the p95 and p99 are
printed again over the rounds begun after the first ``--warm-up`` seconds (``*_steady``, 30 by default): in the
first seconds 200 desks sign in at once on backends whose caches are cold. ``--look-ahead`` has each desk look up
the item it will most likely get next after each decision, as the review page does while the person looks at an
item (untimed), and counts how often the next claim gave that item (``ahead_hits``): only then are its look-ups
not made again after the claim. Like the page, a desk whose look-ups keep missing pauses them
(``review.desk.AheadOdds``); ``ahead_looked`` counts those it made.

By default the clients run on the store owner's connections (as the runs before did): ``--own-roles`` signs
each in as its moderator's own database role, so the server's row-level security is measured too (each
simulated desk then keeps its own content index, ``review.content_index`` being per store address: heavier
on the clients than a site, whose desks are one person per process).

Exit status 1 when double_claims, lost or duplicated is not 0 or verify fails (never for a time).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
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

from common import decision_report, percentile, person_url, record, store_check  # noqa: E402

from desktop import wiring  # noqa: E402
from review import content_index, serving, taxonomy  # noqa: E402
from review.desk import AheadOdds, ReviewDesk  # noqa: E402
from review.errors import VeilError  # noqa: E402
from review.store import queue_counts  # noqa: E402

QUEUE = "reports"
PER_PROCESS = 10
#: The throwaway server for a site: no TCP port, connections for every client, durability as a site has it.
SITE_SETTINGS = "-c listen_addresses='' -c max_connections=400 -c shared_buffers=256MB -c max_locks_per_transaction=128"
#: How long after the start the ``*_steady`` percentiles begin (:func:`steady`).
WARM_UP_S = 30.0
FAST = " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"


#: With ``--statements``: the server counts each statement's time, planning apart (``pg_stat_statements``, in
#: Debian's package): a statement sent in a message of several (the commit's) is planned on every run.
STATEMENTS = (" -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
              " -c pg_stat_statements.track_planning=on")
_TOP_STATEMENTS = """SELECT round(total_exec_time::numeric / :cycles, 3), calls, round(mean_exec_time::numeric, 3),
round(mean_plan_time::numeric, 3), left(regexp_replace(query, '\\s+', ' ', 'g'), 90) FROM pg_stat_statements
ORDER BY total_exec_time + total_plan_time DESC LIMIT 15"""


def start_server(fast_durability: bool, statements: bool = False):
    """A throwaway server (tests/postgres.py) with this benchmark's settings."""
    import postgres

    return postgres.start(SITE_SETTINGS + (FAST if fast_durability else "") + (STATEMENTS if statements else ""))


def top_statements(url: str, cycles: int) -> list[str]:
    """The statements the server spent most time in during the run (reset just before it), ms per cycle each."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(_TOP_STATEMENTS.replace(":cycles", str(cycles))).fetchall()
    return [f"{per_cycle} ms/cycle, {calls} calls, {mean} ms each (+ {plan} ms planning): {query}"
            for per_cycle, calls, mean, plan, query in rows]


def reset_statements(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute("SELECT pg_stat_statements_reset()")


def build(url: str, items: int, clients: int, own_roles: bool = False) -> dict[str, str]:
    """*clients* moderators and one review queue holding *items* pending text items, written with one SQL
    statement (and its ``items.imported`` event, as an import has); the URL each moderator's desk opens (their
    own role's with *own_roles*, else the owner's)."""
    started = time.perf_counter()
    store = wiring.open_store(url)
    for n in range(clients):
        store.add_user(f"mod{n}", ["moderator"])
    queue = store.add_queue(QUEUE, sla_seconds=86_400)
    with store.transaction():
        with queue_counts.paused(store):  # counted once below, not by a trigger per row (minutes at 1 M)
            store.db.execute(
                "INSERT INTO items (external_id, queue_id, kind, text, received_at, due_at, created_at)"
                " SELECT 'bulk-' || g, ?, 'text', 'post ' || g,"
                " '2026-01-0' || (1 + g % 4) || 'T' || lpad(CAST(g % 24 AS TEXT), 2, '0') || ':00:00.000Z',"
                " '2026-01-0' || (2 + g % 4) || 'T' || lpad(CAST(g % 24 AS TEXT), 2, '0') || ':00:00.000Z', ?"
                " FROM generate_series(1, ?) AS g", [queue.id, store.now(), items])
        queue_counts.add_items_after(store, 0)
        store.log("system", "items.imported", "bench_server_site", {"rows": items, "added": items})
    store.db.execute("ANALYZE")
    urls = {f"mod{n}": person_url(store, url, f"mod{n}") if own_roles else url for n in range(clients)}
    store.close()
    print(f"  (built {items:,} items for {clients} clients in {time.perf_counter() - started:.1f} s)", flush=True)
    return urls


@dataclass
class Tally:
    """What one worker process's clients saw."""

    claims: list[float] = field(default_factory=list)
    leases: list[float] = field(default_factory=list)  # the part of each claim that is its transaction
    decides: list[float] = field(default_factory=list)
    began: list[float] = field(default_factory=list)  # when each round began, seconds after its client's start
    claimed: Counter[int] = field(default_factory=Counter)  # item id -> how many claims got it
    reported: dict[int, int] = field(default_factory=dict)  # decision id -> item id, as decide returned them
    errors: Counter[str] = field(default_factory=Counter)
    late: int = 0  # rounds that began after their time (the client could not keep its pace)
    ahead_hits: int = 0  # with --look-ahead: claims that gave the item looked up ahead
    ahead_looked: int = 0  # with --look-ahead: look-aheads made (they pause while they miss)
    waits: dict[str, object] = field(default_factory=dict)  # what the server waited for (the parent's Waits)


def clients(urls: dict[str, str], names: list[str], pace_s: float, seconds: float, seed: int, results,
            everyone, look_ahead: bool = False) -> None:
    """One worker process: a thread per moderator, each with its own connection (to its URL in *urls*), for
    *seconds*; its Tally to *results*. *pace_s* 0: flat out. *everyone*: the worker processes' barrier, passed
    once each has loaded its content index (20 loads at once, a minute of both cores at 1 M items, would
    otherwise fall in the first processes' rounds; a site's desks each load their own, on their own machine).
    *look_ahead*: after each decision the desk looks up the item it will most likely get next, as the review page
    does while the person looks at an item (not timed), and the next claim uses it if it gives that item."""
    desk, tally, lock = ReviewDesk(taxonomy.load()), Tally(), threading.Lock()
    leasing = _timed_leases()
    store = wiring.open_store(urls[names[0]])
    ready = threading.Barrier(len(names) + 1)

    def moderator(name: str, rng: random.Random) -> None:
        own = store.second_connection() if urls[name] == urls[names[0]] else wiring.open_store(urls[name])
        person = own.user(name)
        desk.peek(own, person)  # as a desk's review page does on opening (to prepare the next item's pictures)
        odds = AheadOdds()  # as the review page's: looking ahead pauses while other desks take its item first
        ahead = desk.look_ahead(own, person) if look_ahead else None
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
                shown = desk.claim(own, person, ahead=ahead if look_ahead else None)
                t1 = time.perf_counter()
                if shown is None:
                    continue
                made, _ = desk.decide(own, person, shown.item.id, "no_violation", shown_at=own.now(),
                                      claim=shown.claim)
                t2 = time.perf_counter()
                hit = look_ahead and ahead is not None and ahead.item.id == shown.item.id
                odds.claimed(ahead, shown.item.id)
                ahead = desk.look_ahead(own, person) if look_ahead and odds.wanted() else None  # untimed
            except VeilError as exc:
                with lock:
                    tally.errors[type(exc).__name__] += 1
                continue
            with lock:
                tally.claims.append(t1 - t0)
                tally.leases.append(leasing.seconds)
                tally.decides.append(t2 - t1)
                tally.began.append(t0 - began)
                tally.claimed[shown.item.id] += 1
                tally.ahead_hits += hit
                tally.ahead_looked += ahead is not None
                tally.reported[made.id] = shown.item.id
        own.close()

    threads = [threading.Thread(target=moderator, args=(name, random.Random(seed * 1000 + n)))
               for n, name in enumerate(names)]
    content_index.warm(store)  # as each desk does at sign-in, off its GUI thread: "Seen before" is then current
    for thread in threads:
        thread.start()
    everyone.wait()
    ready.wait()
    for thread in threads:
        thread.join()
    store.close()
    results.put(tally)


def _timed_leases() -> threading.local:
    """Time each claim's transaction (``serving.claim_next``, which the desk's claim calls before reading what it
    shows beside the item) in this worker process: the returned thread-local's ``seconds`` is the thread's last."""
    timed, leasing = serving.claim_next, threading.local()

    def claim_next(*args, **kwargs):
        started = time.perf_counter()
        try:
            return timed(*args, **kwargs)
        finally:
            leasing.seconds = time.perf_counter() - started

    serving.claim_next = claim_next
    return leasing


def run_clients(urls: dict[str, str], names: list[str], pace_s: float, seconds: float,
                per_process: int = PER_PROCESS, *, sample: bool = False, owner_url: str | None = None,
                look_ahead: bool = False) -> Tally:
    """*names* as simulated moderators in worker processes of *per_process* each; their tallies together."""
    context = multiprocessing.get_context("fork")  # the parent holds no connection and runs no thread here
    results = context.Queue()
    groups = [names[start:start + per_process] for start in range(0, len(names), per_process)]
    everyone = context.Barrier(len(groups))
    workers = [context.Process(target=clients, args=(urls, group, pace_s, seconds, n, results, everyone, look_ahead))
               for n, group in enumerate(groups)]
    for worker in workers:
        worker.start()
    waits = Waits(next(iter(urls.values())) if owner_url is None else owner_url).start() if sample else None
    total = Tally()
    for _ in workers:
        part = results.get(timeout=seconds + 600)
        total.claims += part.claims
        total.leases += part.leases
        total.decides += part.decides
        total.began += part.began
        total.claimed.update(part.claimed)
        total.reported.update(part.reported)
        total.errors.update(part.errors)
        total.late += part.late
        total.ahead_hits += part.ahead_hits
        total.ahead_looked += part.ahead_looked
    for worker in workers:
        worker.join()
    if waits is not None:
        total.waits = waits.stop()
    return total


#: Veil's write lock and the event chain's lock, as ``pg_locks`` shows a transaction-level advisory key (low bits).
LOCKS = {0x5665696C: "write lock", 0x5663686E: "chain lock"}
_BUSY = """SELECT COALESCE(wait_event_type || ':' || wait_event, 'on CPU'),
left(regexp_replace(query, '\\s+', ' ', 'g'), 60) FROM pg_stat_activity
WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()"""
_ADVISORY = """SELECT l.objid, l.mode, l.granted, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 60), a.state
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory'"""
_CHECKPOINTS = "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"


class Waits:
    """What the server's busy backends wait for while the clients run: sampled every *every* seconds on one
    connection of the parent's (started after the worker processes are forked, so none inherits it)."""

    def __init__(self, url: str, every: float = 0.05) -> None:
        self.url, self.every = url, every
        self.waits: Counter[str] = Counter()  # wait event (or "on CPU") -> backend-samples
        self.lock_waits: Counter[str] = Counter()  # what a backend waits for, during which statement -> samples
        self.exclusive: Counter[str] = Counter()  # statement of the backend holding the write lock exclusively
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Waits:
        self._thread.start()
        return self

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            checkpoints = conn.execute(_CHECKPOINTS).fetchone()[0]
            while not self._stop.wait(self.every):
                self.samples += 1
                for wait, statement in conn.execute(_BUSY).fetchall():
                    self.waits[wait] += 1
                    if wait.startswith("Lock:"):  # a row another transaction holds (transactionid, tuple) …
                        self.lock_waits[f"{wait} during: {statement}"] += 1
                exclusive_held = False
                for key, mode, granted, statement, state in conn.execute(_ADVISORY).fetchall():
                    name = LOCKS.get(int(key), f"advisory {key}")
                    if not granted:
                        self.lock_waits[f"{name} {mode} waited for, by: {statement}"] += 1
                    elif name == "write lock" and mode == "ExclusiveLock":
                        exclusive_held = True
                        self.exclusive[f"{statement} ({state})"] += 1
                self.exclusive["(samples with the write lock held exclusively)"] += exclusive_held
            self.checkpoints = conn.execute(_CHECKPOINTS).fetchone()[0] - checkpoints

    def stop(self) -> dict[str, object]:
        """Stop sampling; the commonest of each, as shares of the samples taken."""
        self._stop.set()
        self._thread.join()

        def top(counter: Counter[str], n: int) -> dict[str, str]:
            return {what: f"{count / max(1, self.samples):.2f}/sample" for what, count in counter.most_common(n)}

        return {"samples": self.samples, "checkpoints": getattr(self, "checkpoints", None),
                "waits": top(self.waits, 8), "lock_waits": top(self.lock_waits, 8),
                "write_lock_exclusive": top(self.exclusive, 6)}


def server_cpu_s(folder: Path) -> float:
    """CPU-seconds the server has used so far: the postmaster's own and its reaped children's, plus each live
    backend's (Linux ``/proc``). Read before and after the run, the difference is what serving the clients cost
    the server alone — the figure a site whose desks are other machines cares about."""
    ticks = os.sysconf("SC_CLK_TCK")

    def fields(pid: str) -> list[str]:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rindex(")") + 2:].split()  # after "(name)": state, ppid, … (stat(5) fields 3 on)

    postmaster = (folder / "data" / "postmaster.pid").read_text().split()[0]
    own = fields(postmaster)
    total = sum(int(x) for x in own[11:15])  # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != postmaster:
            try:
                child = fields(entry.name)
            except (FileNotFoundError, ProcessLookupError):
                continue  # ended meanwhile: reaped into the postmaster's children's time
            if child[1] == postmaster:
                total += int(child[11]) + int(child[12])
    return total / ticks


def clients_cpu_s() -> float:
    """CPU-seconds of this process's reaped children (the client workers, once joined)."""
    import resource

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def ms(samples: list[float], pct: float) -> float:
    return round(percentile(samples, pct) * 1000, 2) if samples else float("nan")


def steady(tally: Tally, warm_up_s: float) -> dict[str, float]:
    """The claim's, lease's and decision's p95 and p99 over the rounds begun *warm_up_s* or more after their
    client's start (``*_steady``): the first seconds are every desk signing in at once on backends whose caches
    are cold, which a site's desks, signing in over minutes and staying, meet once a day."""
    kept = [n for n, at in enumerate(tally.began) if at >= warm_up_s]
    return {f"{name}_p{pct}_ms_steady": ms([samples[n] for n in kept], pct)
            for name, samples in (("claim", tally.claims), ("lease", tally.leases), ("decide", tally.decides))
            for pct in (95, 99)} if kept else {}


def checked(url: str, tally: Tally) -> dict[str, object]:
    """The store after the run against what the clients were told; ``verified``: ``veil verify``'s checks pass."""
    from review.store import events

    store = wiring.open_store(url)
    try:
        # The statistics a site's autovacuum keeps current: after a minute flat out from the build's near-empty
        # analysis, a server's planner joined verify's 30,000 decision events to 100,000 items in a nested loop.
        store.db.execute("ANALYZE")
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
    parser.add_argument("--own-roles", action="store_true", help="each client signs in as its moderator's role")
    parser.add_argument("--warm-up", type=float, default=WARM_UP_S,
                        help="seconds after the start that the *_steady percentiles leave out")
    parser.add_argument("--no-sample", action="store_true", help="do not sample the server's waits")
    parser.add_argument("--look-ahead", action="store_true",
                        help="each desk looks its next item up ahead, as the review page does, and counts the hits")
    parser.add_argument("--statements", action="store_true",
                        help="print the statements the server spent most time in (pg_stat_statements)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    server = start_server(args.fast_durability, args.statements)
    try:
        server.admin("CREATE DATABASE site")
        url = server.url("site")
        names = [f"mod{n}" for n in range(args.clients)]
        urls = build(url, args.items, args.clients, args.own_roles)
        if args.statements:
            reset_statements(url)
        started, server_before, clients_before = time.perf_counter(), server_cpu_s(server.folder), clients_cpu_s()
        tally = run_clients(urls, names, args.pace, args.minutes * 60, args.per_process, sample=not args.no_sample,
                            owner_url=url, look_ahead=args.look_ahead)
        seconds = time.perf_counter() - started
        cycles = max(1, len(tally.decides))
        cpu = {"server_cpu_ms_per_cycle": round((server_cpu_s(server.folder) - server_before) * 1000 / cycles, 2),
               "clients_cpu_ms_per_cycle": round((clients_cpu_s() - clients_before) * 1000 / cycles, 2)}
        figures = {"clients": args.clients, "items": args.items, "minutes": args.minutes, "pace_s": args.pace,
                   "durability": "off" if args.fast_durability else "on",
                   "signed_in": "own roles" if args.own_roles else "owner",
                   "load_before": " ".join(f"{x:.2f}" for x in load_before),
                   "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
                   "claims": len(tally.claims), "decisions": len(tally.decides),
                   "decisions_per_s": round(len(tally.decides) / seconds, 1),
                   "claim_p50_ms": ms(tally.claims, 50), "claim_p95_ms": ms(tally.claims, 95),
                   "claim_p99_ms": ms(tally.claims, 99), "lease_p50_ms": ms(tally.leases, 50),
                   "lease_p95_ms": ms(tally.leases, 95), "lease_p99_ms": ms(tally.leases, 99),
                   "decide_p50_ms": ms(tally.decides, 50), "decide_p95_ms": ms(tally.decides, 95),
                   "decide_p99_ms": ms(tally.decides, 99), **steady(tally, args.warm_up),
                   "late_rounds": tally.late,
                   **({"ahead_hits": tally.ahead_hits, "ahead_looked": tally.ahead_looked} if args.look_ahead else {}),
                   **cpu, **{f"errors_{k}": v for k, v in tally.errors.items()},
                   **checked(url, tally)}
        spent = top_statements(url, len(tally.decides)) if args.statements else []
    finally:
        server.stop()
    record(f"server_site_{args.clients}_clients", figures)
    for what, found in tally.waits.items():
        print(f"  {what}: {found}")
    for line in spent:
        print(f"  {line}")
    problems = [k for k in ("double_claims", "lost", "duplicated") if figures[k]]
    if not figures["verified"]:
        problems.append("verify")
    print(f"server_site: {'PROBLEMS: ' + ', '.join(problems) if problems else 'no problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
