"""Render the PDF report for a team of any size, to look at its pages (and time it).

For each team size in ``--people`` (5 and 50 unless told), builds a store
with that many moderators and ``--audits`` audited decisions spread over
January and February 2026 (bulk inserts in one transaction, as
``bench_export.py`` does), with the store's clock in
December 2026, so the all-time report has to find its data rather than
the eight weeks before today. Queues have SLAs from 1 to 24 hours and
items are decided between well within and well past them; each moderator
has their own accuracy, so the people section has a spread to rank and
flag. Then, as the lead, it writes three reports: all time, February 2026
and November 2026 (no data), and records pages and seconds for each,
every team size under one ``report_pages`` entry (a run for one size
would otherwise replace the other's figures).

    .venv/bin/python benchmarks/report_pages.py --people 5 50 --audits 100000 --out /tmp/reports
    pdftoppm -png -r 60 /tmp/reports/50-people/all-time.pdf /tmp/reports/50-people/all-time
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import record  # noqa: E402

from audit.store.schema import ERROR_TYPES, SEVERITIES  # noqa: E402
from desktop import wiring  # noqa: E402
from desktop.commands.export import _gui_app  # noqa: E402
from review.clock import FakeClock, iso, parse  # noqa: E402

ACTIONS = ("remove", "no_violation", "age_restrict", "label_only")
LABELS = ("hate_speech", "spam", "harassment", "violent_graphic", "scam_fraud")
QUEUES = (("Hate & harassment", 4), ("Spam & scams", 24), ("Violent & graphic", 1), ("Minor safety", 2),
          ("Impersonation", 8))
FIRST_NAMES = ("Ana", "Ben", "Chidi", "Dev", "Eve", "Farah", "Goran", "Hana", "Ivo", "Jun", "Kemal", "Lina", "Mateo",
               "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Xavi", "Yara")


def build_store(path: Path, people: int, audits: int):
    """The store: *people* moderators, one auditor, one lead, *audits* audited decisions in Jan–Feb 2026."""
    store = wiring.open_store(path, clock=FakeClock("2026-12-06T09:00:00.000Z"))
    store.add_user("lee", ["lead"], "Lee Morgan")
    store.add_user("dana", ["auditor"], "Dana Kim")
    moderators = []
    for n in range(people):
        first = FIRST_NAMES[n % len(FIRST_NAMES)]
        name = f"{first.lower()}{n // len(FIRST_NAMES) or ''}"
        moderators.append(store.add_user(name, ["moderator"], f"{first} {chr(65 + n % 26)}. Moderator").id)
    queues = [(store.add_queue(name, sla_seconds=hours * 3600).id, hours) for name, hours in QUEUES]
    auditor = store.user("dana").id
    rng = random.Random(13)
    skill = [rng.uniform(0.72, 0.98) for _ in moderators]
    first_at = parse("2026-01-05T00:00:00.000Z")
    spacing = (parse("2026-03-01T00:00:00.000Z") - first_at).total_seconds() / audits
    now = store.now()
    began = time.perf_counter()
    with store.transaction():
        items, decisions, samples, rows = [], [], [], []
        for n in range(1, audits + 1):
            received = first_at + datetime.timedelta(seconds=spacing * n)
            queue, hours = queues[n % len(queues)]
            decided = received + datetime.timedelta(hours=hours * rng.uniform(0.05, 1.3))
            who = n % len(moderators)
            action = rng.choice(ACTIONS)
            labels = json.dumps([rng.choice(LABELS)] if action != "no_violation" else [])
            items.append((n, f"r-{n:07d}", queue, "text", "", iso(received),
                          iso(received + datetime.timedelta(hours=hours)), "decided", now))
            decisions.append((n, n, moderators[who], queue, action, labels, "", iso(decided), iso(decided),
                              rng.randint(4000, 90000), "report-pages"))
            samples.append((n, n, "bench", "rate", auditor, iso(decided), "audited"))
            correct = rng.random() < skill[who]
            blind = action if correct else rng.choice([a for a in ACTIONS if a != action])
            rows.append((n, n, n, auditor, blind, labels, iso(decided), iso(decided),
                         "correct" if correct else "incorrect", None if correct else rng.choice(ERROR_TYPES),
                         None if correct else rng.choice(SEVERITIES), "", 100.0 if correct else 60.0, iso(decided)))
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
    print(f"  (built {people} moderators, {audits:,} audits in {time.perf_counter() - began:.1f} s)")
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[5, 50],
                        help="team sizes, one store and one set of reports each (recorded together)")
    parser.add_argument("--audits", type=int, default=100_000)
    parser.add_argument("--out", type=Path, required=True, help="folder for the stores and the PDFs")
    args = parser.parse_args()
    _gui_app()
    from ui.reports import pdf as report_pdf

    results: dict[str, dict[str, float | int | str]] = {}
    for people in args.people:
        folder = args.out / f"{people}-people"
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "report-pages.db"
        for leftover in folder.glob("report-pages.db*"):
            leftover.unlink()
        store = build_store(db, people, args.audits)
        figures: dict[str, float | int | str] = {"people": people, "audits": args.audits}
        for name, since, until in (("all-time", None, None), ("february", "2026-02-01", "2026-02-28"),
                                   ("november-empty", "2026-11-01", "2026-11-30")):
            began = time.perf_counter()
            result = report_pdf.export_report(store, "lee", folder / f"{name}.pdf", since=since, until=until)
            figures[f"{name}_pages"] = result.rows
            figures[f"{name}_s"] = round(time.perf_counter() - began, 2)
        store.close()
        results[f"{people}_people"] = figures
    record("report_pages", results)


if __name__ == "__main__":
    main()
