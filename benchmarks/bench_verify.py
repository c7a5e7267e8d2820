"""``veil verify`` on a store with 100,000 decisions: the whole command, as a lead runs it.

Setup: a store with N text items (default 100,000), each given one past
decision through the domain (``record_past_decision``: the row and its
``decision.recorded`` event with every fact verify compares), in one
transaction; then a tenth of them re-decided through the review desk
(claim, decide — a third of those escalated and decided again by a lead),
so every kind of decision event is present. Then ``veil verify --json``
runs in a fresh process (what a person or cron runs): wall time and the
process's peak memory.

    .venv/bin/python benchmarks/bench_verify.py [--decisions 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import VEIL, fill_text_items, record, run_python  # noqa: E402

from desktop import wiring  # noqa: E402
from review import decisions, taxonomy  # noqa: E402
from review.desk import ReviewDesk  # noqa: E402
from review.store import imports  # noqa: E402


def build(path: Path, count: int) -> None:
    store = wiring.open_store(path)
    for name, roles in (("ana", ["moderator"]), ("ben", ["moderator"]), ("lee", ["lead"])):
        store.add_user(name, roles)
    store.add_queue("escalations", "escalation")
    spam = store.add_queue("spam", escalation_queue="escalations")
    fill_text_items(store, spam.id, count)
    ids = [row[0] for row in store.db.execute("SELECT id FROM items ORDER BY id")]
    rng = random.Random(1)
    history, live = ids[: count - count // 10], ids[count - count // 10:]

    def write() -> None:
        for k, item_id in enumerate(history):
            action, labels = rng.choice([("remove", ["spam"]), ("no_violation", []), ("age_restrict", [])])
            decisions.record_past_decision(store, item_id=item_id, user=rng.choice(["ana", "ben"]), action=action,
                                           labels=labels, decided_at=f"2026-01-0{1 + k % 4}T10:00:00Z")

    start = time.perf_counter()
    imports.all_or_nothing(store, write)
    desk = ReviewDesk(taxonomy.load())
    ana, lee = store.user("ana"), store.user("lee")
    for k in range(len(live)):
        shown = desk.claim(store, ana)
        action = "escalate" if k % 3 == 0 else "remove"
        labels, note = (["spam"], "") if action == "remove" else ([], "unsure")
        desk.decide(store, ana, shown.item.id, action, labels, note, claim=shown.claim)
    while (shown := desk.claim(store, lee, ["escalations"])) is not None:
        desk.decide(store, lee, shown.item.id, "no_violation", claim=shown.claim)
    counts = store.db.execute("SELECT (SELECT COUNT(*) FROM decisions), (SELECT COUNT(*) FROM events)").fetchone()
    print(f"  (built {counts[0]:,} decisions and {counts[1]:,} events in {time.perf_counter() - start:.1f} s)")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "verify.db"
        build(path, args.decisions)
        _, said, _, seconds, peak_mb = run_python(VEIL, "verify", "--store", str(path), "--json",
                                                  cwd=Path(__file__).resolve().parent.parent)
        report = json.loads(said)
        record("verify", {"decisions": args.decisions, "events": report["events"], "seconds": round(seconds, 2),
                          "peak_rss_mb": round(peak_mb), "ok": report["ok"], "size_mb":
                          round(path.stat().st_size / 2**20)})
        if not report["ok"]:
            print("\n".join(report["problems"][:10]))


if __name__ == "__main__":
    main()
