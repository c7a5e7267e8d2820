"""Clients that come and go on a server store (issue 15): moderators SIGKILLed at random moments, and the server
restarted once mid-run. Is every committed decision kept, none twice, and does ``veil verify`` pass?

Several worker processes (default 8), each one moderator with its own connection, claim and decide items
through the review desk as fast as they can; each is killed with SIGKILL after a random number of steps
(while claiming, deciding, committing or just after) and started again, until ``--kills``. Once half of the
kills are done the server is restarted (every connection cut, open transactions rolled back); the workers
carry on through it (a call that finds the server gone is said and tried again, as the app's reconnecting
state does). A worker reports a decision only after ``decide`` returned. Leases are short (1 s), so items a
killed worker held come back.

At the end, from the store: ``lost`` (reported, not stored), ``duplicated`` (an item decided twice, an event
without its row or a row without its event), ``bad_items``, and ``veil verify``'s checks.

    .venv/bin/python benchmarks/bench_server_faults.py [--workers 8] [--kills 120] [--items 20000]

Exit status 1 when lost, duplicated or bad_items is not 0 or verify fails.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from multiprocessing.connection import Connection, wait
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_server_site import build, start_server  # noqa: E402
from common import decision_report, record, short_leases, store_check, worker_processes  # noqa: E402

from desktop import wiring  # noqa: E402
from review import taxonomy  # noqa: E402
from review.desk import ReviewDesk  # noqa: E402
from review.errors import VeilError  # noqa: E402


def worker(url: str, name: str, lease_s: float, say: Connection) -> None:
    """Claim and decide until killed; say each step before it starts, and each decision once it is stored."""
    short_leases(lease_s)
    desk = ReviewDesk(taxonomy.load())
    while True:
        try:
            store = wiring.open_store(url)
            break
        except VeilError:  # the server is restarting
            say.send_bytes(b"unavailable")
            time.sleep(0.1)
    user = store.user(name)
    while True:
        say.send_bytes(b"claim")
        try:
            shown = desk.claim(store, user)
            if shown is None:
                say.send_bytes(b"empty")
                time.sleep(lease_s / 4)
                continue
            say.send_bytes(b"decide")
            decision, _ = desk.decide(store, user, shown.item.id, "no_violation", shown_at=store.now(),
                                      claim=shown.claim)
        except VeilError as exc:  # the server restarting, or the claim ended (lapsed, taken)
            say.send_bytes(b"unavailable" if "server" in str(exc) else b"refused")
            time.sleep(0.05)
            continue
        say.send_bytes(b"made %d %d" % (decision.id, shown.item.id))


def run(url: str, server, names: list[str], kills_wanted: int, lease_s: float, seed: int,
        timeout_s: float = 900) -> tuple[dict[int, int], Counter[str], Counter[str], float]:
    """Workers killed and restarted until *kills_wanted*; the server restarted once half-way. What they reported
    (decision id -> item id), what each was last saying when killed, everything said, and when the restart was."""
    rng = random.Random(seed)
    processes = worker_processes(worker.__module__)
    reported: dict[int, int] = {}
    killed_after: Counter[str] = Counter()
    said: Counter[str] = Counter()
    slots: dict[str, dict] = {}
    kills, restarted_at = 0, 0.0

    def start(name: str) -> None:
        hear, say = processes.Pipe(duplex=False)
        process = processes.Process(target=worker, args=(url, name, lease_s, say), daemon=True)
        process.start()
        say.close()
        slots[name] = {"process": process, "hear": hear, "said": "start", "left": rng.randint(1, 40)}

    def heard(slot: dict, message: bytes) -> None:
        word, *numbers = message.split()
        slot["said"] = word.decode()
        said[slot["said"]] += 1
        if word == b"made":
            reported[int(numbers[0])] = int(numbers[1])
        slot["left"] -= 1

    def end(name: str) -> None:
        slot = slots.pop(name)
        killed_after[slot["said"]] += 1
        slot["process"].kill()
        slot["process"].join()
        while True:
            try:
                heard(slot, slot["hear"].recv_bytes())
            except EOFError:
                break
        slot["hear"].close()

    for name in names:
        start(name)
    began = time.monotonic()
    try:
        while kills < kills_wanted:
            if time.monotonic() - began > timeout_s:
                raise TimeoutError(f"{kills} of {kills_wanted} kills after {timeout_s:.0f} s")
            if not restarted_at and kills >= kills_wanted // 2:
                restarted_at = time.monotonic() - began
                print(f"  restarting the server after {kills} kills ({restarted_at:.1f} s)", flush=True)
                server.restart()
            by_pipe = {slot["hear"]: (name, slot) for name, slot in slots.items()}
            for pipe in wait(list(by_pipe), timeout=1.0):
                name, slot = by_pipe[pipe]
                try:
                    heard(slot, pipe.recv_bytes())
                except EOFError:
                    raise RuntimeError(f"worker {name} died by itself") from None
                if slot["left"] <= 0:
                    end(name)
                    kills += 1
                    start(name)
    finally:
        for name in list(slots):
            end(name)
    return reported, killed_after, said, restarted_at


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--kills", type=int, default=120)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--lease-ms", type=float, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    server = start_server(False)
    try:
        server.admin("CREATE DATABASE faults")
        url = server.url("faults")
        names = [f"mod{n}" for n in range(args.workers)]
        build(url, args.items, args.workers)
        started = time.perf_counter()
        reported, killed_after, said, restarted_at = run(url, server, names, args.kills, args.lease_ms / 1000,
                                                         args.seed)
        seconds = time.perf_counter() - started
        from review.store import events

        store = wiring.open_store(url)
        try:
            _, broken = events.verify_chain(store.db)
            whole = store_check(store)
            figures = {"workers": args.workers, "kills": sum(killed_after.values()),
                       **{f"killed_after_{w}": n for w, n in sorted(killed_after.items())},
                       "server_restarts": 1, "restarted_at_s": round(restarted_at, 1),
                       "calls_that_found_the_server_gone": said["unavailable"], "refused": said["refused"],
                       "decisions_reported": len(reported),
                       "decisions_stored": store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0],
                       **decision_report(store, reported, taxonomy.load().escalation.id),
                       "chain": "intact" if broken is None else f"BROKEN at {broken.row_id}", "verify": whole,
                       "verified": broken is None and whole == "ok", "seconds": round(seconds, 1)}
        finally:
            store.close()
    finally:
        server.stop()
    record("server_faults", figures)
    problems = [k for k in ("lost", "duplicated", "bad_items") if figures[k]]
    if not figures["verified"]:
        problems.append("verify")
    print(f"server_faults: {'PROBLEMS: ' + ', '.join(problems) if problems else 'no problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
