"""Flat out (issue 15): 50 clients claiming and deciding as fast as they can on a server store, beside the same
work by 4 processes on a SQLite file.

The clients are those of ``bench_server_site.py`` with no pause between rounds: on the server, 50 moderators
(threads, 10 to a process, each with its own connection); on the file, 4 processes of one moderator each (a
file has one writer at a time, so more only wait). Printed: decisions per second and claim/decide p50/p95,
and the same correctness counts (0 double claims, 0 lost, 0 duplicated, verify passes).

    .venv/bin/python benchmarks/bench_server_flat_out.py [--seconds 60] [--items 100000] [--clients 50]
        [--sqlite-processes 4]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_server_site import QUEUE, build, checked, ms, run_clients, start_server  # noqa: E402
from common import fill_text_items, record  # noqa: E402

from desktop import wiring  # noqa: E402


def build_file(path: Path, items: int, clients: int) -> None:
    """The same store on a SQLite file, through the store's own bulk insert."""
    store = wiring.open_store(path)
    for n in range(clients):
        store.add_user(f"mod{n}", ["moderator"])
    fill_text_items(store, store.add_queue(QUEUE, sla_seconds=86_400).id, items)
    store.close()


def measure(label: str, location: str, clients: int, per_process: int, seconds: float) -> dict[str, object]:
    started = time.perf_counter()
    names = [f"mod{n}" for n in range(clients)]
    tally = run_clients(dict.fromkeys(names, location), names, 0.0, seconds, per_process)
    took = time.perf_counter() - started
    figures = {"clients": clients, "processes": -(-clients // per_process), "seconds": round(took, 1),
               "decisions": len(tally.decides), "decisions_per_s": round(len(tally.decides) / took, 1),
               "claim_p50_ms": ms(tally.claims, 50), "claim_p95_ms": ms(tally.claims, 95),
               "decide_p50_ms": ms(tally.decides, 50), "decide_p95_ms": ms(tally.decides, 95),
               **{f"errors_{k}": v for k, v in tally.errors.items()}, **checked(location, tally)}
    record(f"flat_out_{label}", figures)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--sqlite-processes", type=int, default=4)
    parser.add_argument("--fast-durability", action="store_true", help="the server's fsync and synchronous_commit off")
    args = parser.parse_args()
    results = []
    server = start_server(args.fast_durability)
    try:
        server.admin("CREATE DATABASE flat")
        build(server.url("flat"), args.items, args.clients)
        results.append(measure(f"server_{args.clients}_clients", server.url("flat"), args.clients, 10, args.seconds))
    finally:
        server.stop()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "flat.db"
        build_file(path, args.items, args.sqlite_processes)
        results.append(measure(f"sqlite_{args.sqlite_processes}_processes", str(path), args.sqlite_processes, 1,
                               args.seconds))
    bad = [r for r in results if r["double_claims"] or r["lost"] or r["duplicated"] or not r["verified"]]
    print(f"flat_out: {'PROBLEMS' if bad else 'no problems'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
