"""Exporting 100,000 audit rows: CSV, JSON Lines and XLSX, through ``audit.exports.export``.

Setup: a store with 100,000 scored audits (default; ``--audits`` to change),
each on its own decision and item, built with bulk inserts in one
transaction (the domain's one-at-a-time audit flow would take minutes and
is not what is measured). Then, as the lead, the full audits export in each
format: row source (the joined query), conversion, writing, and the atomic
rename; beside them the floor, a bare ``SELECT`` of the audits written with
the ``csv`` module. Targets (issue 22): CSV >= 200,000 rows/s, XLSX >= 50,000 rows/s.

    .venv/bin/python benchmarks/bench_export.py [--audits 100000]
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import figure, record  # noqa: E402

from audit import exports  # noqa: E402
from audit.store.schema import ERROR_TYPES, SEVERITIES  # noqa: E402
from desktop import wiring  # noqa: E402
from review.clock import FakeClock, iso, parse  # noqa: E402

ACTIONS = ("remove", "no_violation", "age_restrict", "label_only")
LABELS = ("hate_speech", "spam", "harassment", "violent_graphic", "scam_fraud")


def build_store(path: Path, audits: int):
    store = wiring.open_store(path, clock=FakeClock("2026-03-01T00:00:00.000Z"))
    store.add_user("lee", ["lead"], "Lee Morgan")
    store.add_user("dana", ["auditor"], "Dana Kim")
    moderators = [store.add_user(name, ["moderator"]).id for name in ("ana", "ben", "chidi", "dev", "eve")]
    queues = [store.add_queue(name).id for name in ("Hate & harassment", "Spam & scams", "Violent & graphic")]
    auditor = store.user("dana").id
    rng = random.Random(7)
    first = parse("2026-01-01T00:00:00.000Z")
    now = store.now()
    began = time.perf_counter()
    with store.transaction():
        items, decisions, samples, rows = [], [], [], []
        for n in range(1, audits + 1):
            at = iso(first + datetime.timedelta(seconds=50 * n))
            queue = queues[n % len(queues)]
            action = rng.choice(ACTIONS)
            labels = json.dumps([rng.choice(LABELS)] if action != "no_violation" else [])
            items.append((n, f"bench-{n:07d}", queue, "text", "", at, at, "decided", now))
            decisions.append((n, n, moderators[n % len(moderators)], queue, action, labels, "", at, at,
                              rng.randint(4000, 60000), "bench"))
            samples.append((n, n, "bench", "rate", auditor, at, "audited"))
            correct = rng.random() < 0.9
            blind = action if correct else rng.choice(ACTIONS)
            rows.append((n, n, n, auditor, blind, labels, at, at, "correct" if correct else "incorrect",
                         None if correct else rng.choice(ERROR_TYPES), None if correct else rng.choice(SEVERITIES),
                         "" if correct else "label did not match the policy", 100.0 if correct else 60.0, at))
        db = store.db.conn
        db.executemany("INSERT INTO items (id, external_id, queue_id, kind, text, received_at, due_at, state,"
                       " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", items)
        db.executemany("INSERT INTO decisions (id, item_id, user_id, queue_id, action, labels, note, shown_at,"
                       " decided_at, handle_ms, client_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", decisions)
        db.executemany("INSERT INTO audit_samples (id, decision_id, plan, reason, auditor_id, created_at, state)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)", samples)
        db.executemany("INSERT INTO audits (id, sample_id, decision_id, auditor_id, blind_action, blind_labels,"
                       " blind_at, revealed_at, verdict, error_type, severity, comment, score, scored_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    print(f"  (built {audits:,} audits in {time.perf_counter() - began:.1f} s)")
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audits", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = build_store(root / "bench.db", args.audits)
        figures: dict[str, float | int] = {"audits": args.audits}
        seconds: dict[str, float] = {}
        for fmt in ("csv", "jsonl", "xlsx"):
            out = root / f"audits.{fmt}"
            began = time.perf_counter()
            result = exports.export(store, "lee", "audits", fmt, out)
            seconds[fmt] = time.perf_counter() - began
            figures[f"{fmt}_s"] = round(seconds[fmt], 2)
            figures[f"{fmt}_mb"] = round(out.stat().st_size / 1e6, 1)
            assert result.rows == args.audits, result
        floor = bare_csv(store, root / "floor.csv")
        store.close()
    record("export_audits", figures)
    scale = f"{args.audits:,} audits"
    figure("export_csv_rows", round(args.audits / seconds["csv"]), "rows/s", floor=round(args.audits / floor),
           target=">= 200,000 rows/s", scale=scale)
    figure("export_xlsx_rows", round(args.audits / seconds["xlsx"]), "rows/s", floor=round(args.audits / floor),
           target=">= 50,000 rows/s", scale=scale)


def bare_csv(store, out: Path) -> float:
    """The exports' floor: seconds to write every audit row with a bare ``SELECT`` and the ``csv`` module."""
    began = time.perf_counter()
    with open(out, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(store.db.execute("SELECT * FROM audits ORDER BY id"))
    return time.perf_counter() - began


if __name__ == "__main__":
    main()
