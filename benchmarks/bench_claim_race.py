"""Moderators racing for items with 50 ms leases: do escalations stay escalated?

Several processes (default 4), each one moderator, work one SQLite store
with real time and short leases, the way people do at the desktop: a
renew timer keeps the open item's lease alive; sometimes the same person
has a second window open (two windows, one person); sometimes a laptop
sleeps past its lease, and the renew timer fires first when it wakes;
a share of items is escalated, the rest decided. Every window renews, then
acts. Nothing is faked: real clock, real processes, real file.

The figures say what a trust & safety lead must be able to rely on:
escalated items closed afterwards by someone who is not a lead, or in
another queue than the escalation queue they were sent to (issue 11: "16
of 693 escalations were closed this way"); escalated items served to a
moderator; items decided twice; one person served the same item in two
windows at once; the claim latency, and how much of it was waiting for
the write lock (``BEGIN IMMEDIATE`` while another process writes: SQLite's
busy handler sleeps 1, 2, 5, 10 … ms between tries) rather than Veil's own
work; and ``veil verify``'s checks at the end. ``--leads 1`` adds a lead working the escalations (their decisions
there are the legitimate ones).

    .venv/bin/python benchmarks/bench_claim_race.py [--workers 4] [--items 2000] [--lease-ms 50]
    .venv/bin/python benchmarks/bench_claim_race.py --workers 8 --scale 1m --seconds 60 --floor  # issue 22

    PYTHONPATH=/path/to/old/worktree .venv/bin/python benchmarks/bench_claim_race.py   # the code before

Exit status 1 when a correctness figure is not 0 (never for a time).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_queues import SCALES, build_items  # noqa: E402
from common import (  # noqa: E402
    claim_of,
    code_under_test,
    decision_report,
    figure,
    fill_text_items,
    gather,
    percentile,
    record,
    short_leases,
    verify_report,
    worker_processes,
)

from desktop import wiring  # noqa: E402
from review import content_index, taxonomy  # noqa: E402
from review.desk import ReviewDesk  # noqa: E402
from review.errors import VeilError  # noqa: E402

REVIEW, ESCALATIONS = "reports", "escalations"


@dataclass(frozen=True)
class Plan:
    """How every worker behaves (the same for all; each has its own random seed)."""

    store: str
    lease_s: float
    seconds: float
    two_windows: float  # share of items also opened in a second window
    stall: float  # share of items during which the laptop sleeps past the lease
    escalate: float  # share of a moderator's items escalated
    seed: int


@dataclass
class Window:
    """One window: its own desk (a front end's) and the item it shows."""

    desk: ReviewDesk
    shown: object  # review.desk.Shown
    shown_at: str


class _LockWaits:
    """The worker's SQLite connection, timing how long each ``BEGIN IMMEDIATE`` waited for the write lock (SQLite's
    busy handler sleeping while another process writes): the part of a claim's time that is waiting, not work."""

    def __init__(self, conn) -> None:
        self._conn, self.waited = conn, 0.0

    def execute(self, sql, *args):
        if sql != "BEGIN IMMEDIATE":
            return self._conn.execute(sql, *args)
        started = time.perf_counter()
        try:
            return self._conn.execute(sql, *args)
        finally:
            self.waited += time.perf_counter() - started

    def __getattr__(self, name):
        return getattr(self._conn, name)


def work(plan: Plan, name: str, index: int, go, results) -> None:
    """One person at the desk until their queues are empty (or time is up); their tallies go to *results*."""
    short_leases(plan.lease_s)
    rng = random.Random(plan.seed * 1000 + index)
    policy = taxonomy.load()
    desks = (ReviewDesk(policy), ReviewDesk(policy))  # the person's two windows
    escalate = policy.escalation.id
    store = wiring.open_store(Path(plan.store))
    store.db.conn = locks = _LockWaits(store.db.conn)
    user = store.user(name)
    queues = [ESCALATIONS] if user.has("lead") else None
    tally: Counter[str] = Counter()
    waits: list[float] = []
    locked: list[float] = []  # of each claim's time, how long it waited for the write lock
    made: dict[int, int] = {}  # decision id -> item id, as the desk returned them
    content_index.warm(store)  # as the review page does at sign-in: the claims' "Seen before" is ready

    def claim(desk: ReviewDesk) -> Window | None:
        started, locks.waited = time.perf_counter(), 0.0
        shown = desk.claim(store, user, queues)
        waits.append(time.perf_counter() - started)
        locked.append(locks.waited)
        tally["claims"] += shown is not None
        tally["escalation_served_to_moderator"] += shown is not None and queues is None and (
            shown.item.queue_name != REVIEW)
        return Window(desk, shown, store.now()) if shown is not None else None

    def renew(window: Window) -> bool:
        try:
            window.desk.renew(store, user, window.shown.item.id, **claim_of(window.shown))
            return True
        except VeilError:
            tally["renew_refused"] += 1
            return False

    def act(window: Window) -> None:
        if not renew(window):  # the renew timer fires first (after a sleep, it is the first thing to run)
            return
        escalating = queues is None and rng.random() < plan.escalate
        try:
            decision, _ = window.desk.decide(
                store, user, window.shown.item.id, escalate if escalating else "no_violation",
                note="hard case" if escalating else "", shown_at=window.shown_at, **claim_of(window.shown))
        except VeilError:
            tally["decide_refused"] += 1
            return
        made[decision.id] = window.shown.item.id

    go.wait()
    stop = time.monotonic() + plan.seconds
    while time.monotonic() < stop:
        first = claim(desks[0])
        if first is None:
            if not waiting(store, user.has("lead")):
                break
            time.sleep(plan.lease_s)  # what is left is leased to others; theirs may lapse
            continue
        windows = [first]
        if rng.random() < plan.two_windows:
            second = claim(desks[1])
            if second is not None:
                windows.append(second)
                tally["served_twice_at_once"] += second.shown.item.id == first.shown.item.id
        handle_until = time.monotonic() + rng.uniform(0, 1.5 * plan.lease_s)
        while time.monotonic() < handle_until and windows:  # looking at the item; the renew timer ticks
            time.sleep(plan.lease_s / 3)
            windows = [w for w in windows if renew(w)]
        if rng.random() < plan.stall:
            tally["stalls"] += 1
            time.sleep(rng.uniform(1.5, 4) * plan.lease_s)  # the laptop sleeps; nothing renews
        for window in windows:
            act(window)
    store.close()
    results.put({"tally": tally, "waits": waits, "locked": locked, "made": made, "code": code_under_test()})


def floor_work(plan: Plan, name: str, index: int, go, results) -> None:
    """The floor: the same pace on the same store the barest way (``bench_claims``' statements): each claim one
    indexed ``UPDATE … RETURNING`` in a write transaction of its own, each decision its row alone, the same
    handle times between; no desk, no lease, no renewals."""
    from bench_claims import BARE_CLAIM, BARE_DECIDE

    rng = random.Random(plan.seed * 1000 + index)
    store = wiring.open_store(Path(plan.store))
    conn, user_id, queue_id = store.db.conn, store.user(name).id, store.queue(REVIEW).id
    waits: list[float] = []
    go.wait()
    stop = time.monotonic() + plan.seconds
    while time.monotonic() < stop:
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        taken = conn.execute(BARE_CLAIM, [queue_id]).fetchone()
        conn.execute("COMMIT")
        waits.append(time.perf_counter() - started)
        if taken is None:
            break
        time.sleep(rng.uniform(0, 1.5 * plan.lease_s))
        now = store.now()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(BARE_DECIDE, [taken[0], user_id, queue_id, now, now])
        conn.execute("COMMIT")
    store.close()
    results.put({"waits": waits, "code": code_under_test()})


def race(target, plan: Plan, names: list[str]) -> tuple[list[dict], float]:
    """Each of *names* in a process of its own running *target*, started together: their results and the
    seconds until the last one ended."""
    processes = worker_processes(__name__)
    go, results = processes.Barrier(len(names) + 1), processes.Queue()
    workers = [processes.Process(target=target, args=(plan, name, n, go, results)) for n, name in enumerate(names)]
    for worker in workers:
        worker.start()
    go.wait()  # every worker has its store open: start together
    started = time.perf_counter()
    outcomes = gather(results, workers)
    seconds = time.perf_counter() - started
    for worker in workers:
        worker.join()
    if {o["code"] for o in outcomes} != {code_under_test()}:
        raise SystemExit(f"the workers ran {sorted({o['code'] for o in outcomes})}, not {code_under_test()}")
    return outcomes, seconds


def waiting(store, lead: bool) -> bool:
    """Whether items this person could be served are still pending (leased to others, perhaps)."""
    kinds = ("review", "escalation") if lead else ("review",)
    return any(h.waiting for h in store.queue_health() if h.queue.kind in kinds)


def build(path: Path, moderators: int, leads: int, items: int, scale: str | None = None) -> list[str]:
    """The store: one review queue escalating to one escalation queue, its items, and the people.

    *scale* (``1m``, ``5m``): that many items instead, aged like ``veil demo``'s (a few in the escalation queue),
    written bare (``bench_queues.build_items``), so the race runs on a site's store; all of them waiting, as a
    bare decided item has no decision and the race's checks (and verify) would name it.
    """
    store = wiring.open_store(path)
    names = [store.add_user(f"mod{n}", ["moderator"]).name for n in range(moderators)]
    names += [store.add_user(f"lead{n}", ["lead"]).name for n in range(leads)]
    escalations = store.add_queue(ESCALATIONS, "escalation", priority=1)
    review = store.add_queue(REVIEW, escalation_queue=ESCALATIONS)
    if scale:
        build_items(store, SCALES[scale], [review, escalations], closed=False)
    else:
        fill_text_items(store, review.id, items)
    store.close()
    return names


def escalations_closed_wrongly(store, escalate: str) -> tuple[int, int]:
    """(escalated items, of them closed afterwards by a non-lead or in another queue than the escalation one)."""
    leads = {u.id for u in store.users() if u.has("lead")}
    sent_to: dict[int, int] = {}  # escalated item -> the escalation queue it went to
    wrong: set[int] = set()
    for item, user, action, queue, escalation_queue in store.db.execute(
        "SELECT d.item_id, d.user_id, d.action, d.queue_id, q.escalation_queue_id FROM decisions d"
        " JOIN queues q ON q.id = d.queue_id WHERE d.revokes_id IS NULL ORDER BY d.id"
    ):
        if action == escalate:
            sent_to.setdefault(item, escalation_queue)
        elif item in sent_to and (user not in leads or queue != sent_to[item]):
            wrong.add(item)
    return len(sent_to), len(wrong)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=4, help="moderator processes")
    parser.add_argument("--leads", type=int, default=0, help="lead processes working the escalations")
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--lease-ms", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=120, help="stop after this long even if items remain")
    parser.add_argument("--two-windows", type=float, default=0.2, help="share of items opened in two windows")
    parser.add_argument("--stall", type=float, default=0.1, help="share of items with a sleep past the lease")
    parser.add_argument("--escalate", type=float, default=0.3, help="share of items a moderator escalates")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--floor", action="store_true", help="then the same pace the barest way, for the floor")
    parser.add_argument("--scale", choices=sorted(SCALES), help="a site-shaped store of that many items instead of"
                        " --items (the race stops after --seconds)")
    args = parser.parse_args()
    print(f"code under test: {code_under_test()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "race.db"
        names = build(path, args.workers, args.leads, args.items, args.scale)
        plan = Plan(str(path), args.lease_ms / 1000, args.seconds, args.two_windows, args.stall, args.escalate,
                    args.seed)
        outcomes, seconds = race(work, plan, names)
        tally = sum((o["tally"] for o in outcomes), Counter())
        waits_ms = [w * 1000 for o in outcomes for w in o["waits"]]
        locked_ms = [w * 1000 for o in outcomes for w in o["locked"]]
        working_ms = [(w - lock) * 1000 for o in outcomes for w, lock in zip(o["waits"], o["locked"])]
        made = {d: item for o in outcomes for d, item in o["made"].items()}
        escalate = taxonomy.load().escalation.id
        store = wiring.open_store(path)
        escalated, closed_wrongly = escalations_closed_wrongly(store, escalate)
        closing = sum(1 for (action,) in store.db.execute("SELECT action FROM decisions") if action != escalate)
        stored = decision_report(store, made, escalate)
        figures = {
            "processes": len(names), "lease_ms": args.lease_ms, "claims": tally["claims"],
            "decisions": closing, "escalations": escalated, "escalations_closed_wrongly": closed_wrongly,
            "escalation_served_to_moderator": tally["escalation_served_to_moderator"],
            "decided_twice": stored["duplicated"], "lost": stored["lost"], "bad_items": stored["bad_items"],
            "served_twice_at_once": tally["served_twice_at_once"],
            "claim_p50_ms": round(percentile(waits_ms, 50), 2), "claim_p95_ms": round(percentile(waits_ms, 95), 2),
            "claim_p99_ms": round(percentile(waits_ms, 99), 2),
            "lock_wait_p95_ms": round(percentile(locked_ms, 95), 2),
            "lock_wait_p99_ms": round(percentile(locked_ms, 99), 2),
            "lock_wait_share": round(sum(locked_ms) / max(sum(waits_ms), 1e-9), 2),
            "claim_without_lock_wait_p99_ms": round(percentile(working_ms, 99), 2),
            "renew_refused": tally["renew_refused"],
            "decide_refused": tally["decide_refused"], "stalls": tally["stalls"], "seconds": round(seconds, 1),
            **verify_report(store),
        }
        store.close()
        if args.floor:  # after the checks: the floor's bare rows would fail them
            floor_ms = [w * 1000 for o in race(floor_work, plan, names)[0] for w in o["waits"]]
            figures.update(floor_claims=len(floor_ms), floor_claim_p50_ms=round(percentile(floor_ms, 50), 2),
                           floor_claim_p99_ms=round(percentile(floor_ms, 99), 2))
    record("claim_race", figures)
    figure(f"claim_race_p99_{args.scale or args.items}", figures["claim_p99_ms"], "ms p99",
           floor=figures.get("floor_claim_p99_ms"),
           target="<= 20 ms with 8 processes, 0 double claims", n=len(waits_ms),
           scale=f"{len(names)} processes, {SCALES.get(args.scale or '', args.items):,} items")
    problems = [k for k in ("escalations_closed_wrongly", "escalation_served_to_moderator", "decided_twice", "lost",
                            "bad_items", "served_twice_at_once") if figures[k]]
    if not figures["verified"]:
        problems.append("verify")
    print(f"claim_race: {len(problems) and 'PROBLEMS: ' + ', '.join(problems) or 'no problems'}"
          f" ({closed_wrongly} of {escalated} escalations closed wrongly)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
