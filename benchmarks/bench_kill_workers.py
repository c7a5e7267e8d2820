"""Reviewer processes SIGKILLed at random moments: is every committed decision kept, and none twice?

Several worker processes (default 4; the first is a lead, who also works
the escalations) claim and decide items on one SQLite store through the
review desk, as fast as they can: claim, then a decision (no violation, a
removal with its label, or an escalation). Each is killed with SIGKILL at a
random moment — while claiming, deciding, committing, or just after — and
restarted, until the kills are done. A worker tells the parent about a
decision only after ``decide`` returned (the decision is committed); a
kill between the commit and that message is fine, a reported decision
missing from the store is not.

At the end, from the store: ``lost`` (reported, not stored), ``duplicated``
(an item with two current decisions, a decision event without its row or
a row without its event), ``bad_items`` (an item neither pending nor
decided, or whose state disagrees with its decisions), and ``veil verify``'s
checks. ``tests/review/test_worker_kills.py`` runs the same harness, small.

    .venv/bin/python benchmarks/bench_kill_workers.py [--workers 4] [--kills 200] [--items 5000]
    PYTHONPATH=/path/to/old/worktree .venv/bin/python benchmarks/bench_kill_workers.py   # the code before

Exit status 1 when lost, duplicated or bad_items is not 0 or verify fails (never for a time).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    claim_of,
    code_under_test,
    decision_report,
    fill_text_items,
    record,
    short_leases,
    verify_report,
    worker_processes,
)

from desktop import wiring  # noqa: E402
from review import taxonomy  # noqa: E402
from review.desk import ReviewDesk  # noqa: E402
from review.errors import VeilError  # noqa: E402

REVIEW, ESCALATIONS = "reports", "escalations"


def worker(store_path: str, name: str, lease_s: float, seed: int, escalate_share: float, say: Connection) -> None:
    """Claim and decide until killed; say each step before it starts, and each decision once it is stored.

    Messages are a few bytes, each one ``write`` to a pipe (atomic), so a
    kill never leaves half a message.
    """
    short_leases(lease_s)
    rng = random.Random(seed)
    policy = taxonomy.load()
    desk = ReviewDesk(policy)
    removal_label = policy.labels[0].id
    store = wiring.open_store(Path(store_path))
    user = store.user(name)
    say.send_bytes(b"ready " + code_under_test().encode())
    while True:
        say.send_bytes(b"claim")
        shown = desk.claim(store, user)
        if shown is None:  # what is left is held by killed workers until their leases lapse
            say.send_bytes(b"empty")
            time.sleep(lease_s / 4)
            continue
        roll = rng.random()
        escalates = shown.item.queue_name == REVIEW and roll < escalate_share
        action, labels, note = (("escalate", (), "hard case") if escalates else
                                ("remove", (removal_label,), "") if roll < 0.5 else ("no_violation", (), ""))
        say.send_bytes(b"decide")
        try:
            decision, _ = desk.decide(store, user, shown.item.id, action, labels, note, shown_at=store.now(),
                                      **claim_of(shown))
        except VeilError:  # the claim ended meanwhile (its lease lapsed and someone took the item)
            say.send_bytes(b"refused")
            continue
        say.send_bytes(b"made %d %d" % (decision.id, shown.item.id))


@dataclass
class Slot:
    """One worker's place: the process living in it now, what it said last, and when it dies next."""

    name: str
    process: Any = None
    hear: Connection | None = None
    said: str = "start"
    countdown: int = 0  # messages still to hear before its kill is scheduled
    kill_at: float | None = None


@dataclass
class Run:
    """A kill run's settings and what the parent heard."""

    store: Path
    kills: int
    lease_s: float = 1.0
    escalate_share: float = 0.2
    messages_per_life: int = 20  # a life lasts 1..2x this many messages (each step says one)
    jitter_s: float = 0.0  # then up to this much longer (0: killed the moment the count is reached)
    timeout_s: float = 600.0
    seed: int = 1
    reported: dict[int, int] = field(default_factory=dict)  # decision id -> item id, as workers reported
    killed_after: Counter[str] = field(default_factory=Counter)  # kills by the worker's last message
    said: Counter[str] = field(default_factory=Counter)


def build(path: Path, workers: int, items: int) -> list[str]:
    """The store: a review queue escalating to an escalation queue, its items, one lead and moderators."""
    store = wiring.open_store(path)
    names = [store.add_user("w0", ["lead"]).name]
    names += [store.add_user(f"w{n}", ["moderator"]).name for n in range(1, workers)]
    store.add_queue(ESCALATIONS, "escalation", priority=1)
    fill_text_items(store, store.add_queue(REVIEW, escalation_queue=ESCALATIONS).id, items)
    store.close()
    return names


def kill_workers(run: Run, names: list[str]) -> None:
    """Start one worker per name, kill each at random moments and restart it, until *run.kills* kills.

    Waits on the workers' messages (never on a sleep): a worker is killed
    once it said a random number of things, plus up to *run.jitter_s*.
    RuntimeError if a worker dies by itself, TimeoutError after
    *run.timeout_s*. Every process started is killed and reaped before this
    returns or raises.
    """
    rng = random.Random(run.seed)
    processes = worker_processes(worker.__module__)
    slots = [Slot(name) for name in names]
    kills = 0

    def start(slot: Slot) -> None:
        hear, say = processes.Pipe(duplex=False)
        slot.process = processes.Process(
            target=worker, args=(str(run.store), slot.name, run.lease_s, rng.randrange(2**31), run.escalate_share,
                                 say), daemon=True)
        slot.process.start()
        say.close()  # the worker holds the only writing end: its death ends the pipe
        slot.hear, slot.said, slot.kill_at = hear, "start", None
        slot.countdown = rng.randint(1, 2 * run.messages_per_life)

    def heard(slot: Slot, message: bytes) -> None:
        word, *numbers = message.split()
        if word == b"ready" and numbers[0].decode() != code_under_test():
            raise RuntimeError(f"a worker runs {numbers[0].decode()}, not {code_under_test()}")
        slot.said = word.decode()
        run.said[slot.said] += 1
        if word == b"made":
            run.reported[int(numbers[0])] = int(numbers[1])
        slot.countdown -= 1
        if slot.countdown <= 0 and slot.kill_at is None:
            slot.kill_at = time.monotonic() + rng.uniform(0, run.jitter_s)

    def end(slot: Slot, *, killed: bool) -> None:
        if killed:
            run.killed_after[slot.said] += 1
            slot.process.kill()
        slot.process.join()
        while True:  # what it said before it died still counts
            try:
                heard(slot, slot.hear.recv_bytes())
            except EOFError:
                break
        slot.hear.close()
        slot.process = None

    for slot in slots:
        start(slot)
    deadline = time.monotonic() + run.timeout_s
    try:
        while kills < run.kills:
            now = time.monotonic()
            if now > deadline:
                raise TimeoutError(f"{kills} of {run.kills} kills after {run.timeout_s:.0f} s")
            for slot in slots:
                if slot.kill_at is not None and slot.kill_at <= now:
                    end(slot, killed=True)
                    kills += 1
                    start(slot)
            due = [slot.kill_at - now for slot in slots if slot.kill_at is not None]
            by_pipe = {slot.hear: slot for slot in slots}
            for pipe in wait(list(by_pipe), timeout=max(0.0, min(due, default=1.0))):
                slot = by_pipe[pipe]
                try:
                    heard(slot, pipe.recv_bytes())
                except EOFError:  # it died without being killed: its traceback is above
                    slot.process.join()
                    code = slot.process.exitcode
                    end(slot, killed=False)
                    raise RuntimeError(f"worker {slot.name} died by itself (exit code {code})") from None
    finally:
        for slot in slots:
            if slot.process is not None:
                end(slot, killed=slot.process.is_alive())


def check(run: Run) -> dict[str, object]:
    """The store after the kills, against what the workers reported."""
    store = wiring.open_store(run.store)
    try:
        decisions = store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
        return {"decisions_reported": len(run.reported), "decisions_stored": decisions,
                **decision_report(store, run.reported, taxonomy.load().escalation.id), **verify_report(store)}
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--lease-ms", type=float, default=1000)
    parser.add_argument("--messages", type=int, default=20, help="a worker lives for 1..2x this many messages")
    parser.add_argument("--jitter-ms", type=float, default=3, help="then up to this much longer")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"code under test: {code_under_test()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kills.db"
        names = build(path, args.workers, args.items)
        run = Run(path, args.kills, lease_s=args.lease_ms / 1000, messages_per_life=args.messages,
                  jitter_s=args.jitter_ms / 1000, seed=args.seed)
        started = time.perf_counter()
        kill_workers(run, names)
        seconds = time.perf_counter() - started
        figures = {"workers": len(names), "kills": sum(run.killed_after.values()),
                   **{f"killed_after_{word}": n for word, n in sorted(run.killed_after.items())},
                   "refused": run.said["refused"], **check(run), "seconds": round(seconds, 1)}
    record("kill_workers", figures)
    problems = [k for k in ("lost", "duplicated", "bad_items") if figures[k]]
    if not figures["verified"]:
        problems.append("verify")
    print(f"kill_workers: {'PROBLEMS: ' + ', '.join(problems) if problems else 'no problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
