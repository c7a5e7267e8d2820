"""How fast the lead dashboard and ``veil metrics`` are on a big store, each beside its floor: prints, asserts nothing.

    .venv/bin/python benchmarks/bench_dashboard.py [--decisions 1000000] [--runs 5] [--received-index] [--store PATH]

Builds a store with *decisions* decided items and their decisions (bulk
``executemany``, spread over 60 days across 30 moderators and 8 queues,
handle times log-normal, appended oldest first as a live store writes
them), 20,000 items still waiting, 3 % of decisions
audited (opened in Veil minutes before their score, a few disputed) and today's exposure rows for everyone.
Then times, over *runs* runs, each on a fresh connection as the page's worker does (p50; the first
run is kept too):

* ``dashboard`` — ``audit.dashboard.load``, every figure the Dashboard page shows (review's queues, flow,
  handle time, throughput and exposure, QA's backlog, accuracy with n, open disputes, auditors' work);
  floor: one ``SELECT user_id, COUNT(*) … GROUP BY user_id`` over the same week of decisions, the least any
  count of that week costs. Target (issue 22): <= 100 ms.
* ``veil_metrics`` — ``desktop.commands.metrics.figures`` for a lead, everything ``veil metrics --json``
  computes (the QA report and automation's figures per rule); floor: one ``SELECT … COUNT(*) … GROUP BY`` of the
  scored audits joined to their decisions (``CROSS JOIN``: read from the audits, whatever SQLite would guess
  without statistics), the least that reading each audited decision costs. Target: <= 250 ms.
* ``metrics`` — the QA report alone (``audit.metrics.assembly.build``), beside the same floor; automation's part
  is a detail (``automation_p50_ms``).

and, as details, the median CPU time of each (``*_cpu_p50_ms``), the full garbage collections that ran inside
its runs (``*_full_gc``, when any), each part of the dashboard and the four chart images
(``ui.pages.dashboard.render_charts``, as the page's worker draws them). The figures use the code on the path,
so the same script measures the code before a change (``PYTHONPATH=<worktree of the old code>``: the repository
root is appended, not prepended). ``--received-index`` first adds
``CREATE INDEX items_received ON items (received_at)``, for code without it, to show what that index changes
for the hourly "received" count. ``--store PATH`` keeps the built store there and reuses it on the next run (a
million decisions take minutes to build): measure the code before and after a change on the same store, in the
same session.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import math
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parents[1]))  # after PYTHONPATH: it may name older code to measure

from common import figure, record, summary_ms  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from audit import automation  # noqa: E402
from audit import dashboard as audit_dashboard  # noqa: E402
from audit.metrics import assembly as report  # noqa: E402
from desktop import wiring  # noqa: E402
from desktop.commands import metrics as metrics_command  # noqa: E402
from review import dashboard  # noqa: E402
from review.clock import iso  # noqa: E402
from ui.pages.dashboard import render_charts  # noqa: E402

QUEUES = 8
MODERATORS = 30
WAITING = 20_000
DAYS = 60
AUDITED = 0.03
CHART_SIZES = {name: (520, 300) for name in ("backlog", "flow", "accuracy", "exposure")}


def build(path: Path, decisions: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    store = wiring.open_store(path)
    now = store.clock.now()
    moderators = [store.add_user(f"mod{n:02d}", ["moderator"]).id for n in range(MODERATORS)]
    store.add_user("lee", ["lead"])
    auditor = store.add_user("dana", ["auditor"]).id
    store.add_queue("escalations", "escalation", sla_seconds=8 * 3600, priority=9)
    queues = [store.add_queue(f"queue-{n}", sla_seconds=rng.choice([4, 12, 24]) * 3600,
                              escalation_queue="escalations").id for n in range(QUEUES)]
    created = iso(now)

    def moment(seconds_ago: float) -> str:
        return iso(now - _dt.timedelta(seconds=seconds_ago))

    items, rows = [], []
    # Oldest first, as a live store appends them: ids follow time (imported history may not).
    for n, decided_ago in enumerate(sorted((rng.uniform(60, DAYS * 86_400) for _ in range(decisions)), reverse=True)):
        received_ago = decided_ago + rng.uniform(60, 6 * 3600)
        queue = rng.choice(queues)
        handle = int(min(300_000, rng.lognormvariate(math.log(18_000), 0.6)))
        items.append((f"d{n}", queue, "text", "post", moment(received_ago), moment(received_ago - 86_400),
                      "decided", created))
        rows.append((n + 1, rng.choice(moderators), queue, "no_violation" if rng.random() < 0.6 else "remove",
                     moment(decided_ago + handle / 1000), moment(decided_ago), handle, "bench"))
    for n in range(WAITING):
        received_ago = rng.uniform(0, 2 * 86_400)
        items.append((f"w{n}", rng.choice(queues), "text", "post", moment(received_ago),
                      moment(received_ago - 12 * 3600), "pending", created))
    start = time.perf_counter()
    with store.transaction():
        store.db.conn.executemany(
            "INSERT INTO items (external_id, queue_id, kind, text, received_at, due_at, state, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", items)
        store.db.conn.executemany(
            "INSERT INTO decisions (item_id, user_id, queue_id, action, shown_at, decided_at, handle_ms,"
            " client_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        sampled = [r for r in rows if rng.random() < AUDITED]
        store.db.conn.executemany(  # opened in Veil a few minutes before the score: each has its time per audit
            "INSERT INTO audit_samples (id, decision_id, plan, reason, auditor_id, claimed_at, created_at, state)"
            " VALUES (?, ?, 'bench', 'rate', ?, ?, ?, 'audited')",
            [(k + 1, r[0], auditor, moment(rng.uniform(60, 1_800)), created) for k, r in enumerate(sampled)])
        verdicts = [rng.random() < 0.9 for _ in sampled]
        store.db.conn.executemany(
            "INSERT INTO audits (id, sample_id, decision_id, auditor_id, blind_action, blind_at, revealed_at, verdict,"
            " error_type, severity, score, scored_at) VALUES (?, ?, ?, ?, 'remove', ?, ?, ?, ?, ?, ?, ?)",
            [(k + 1, k + 1, r[0], auditor, created, created, "correct" if ok else "incorrect",
              None if ok else "wrong_action", None if ok else "minor", 100.0 if ok else 60.0, created)
             for k, (r, ok) in enumerate(zip(sampled, verdicts))])
        wrong = [k + 1 for k, ok in enumerate(verdicts) if not ok]
        store.db.conn.executemany(
            "INSERT INTO disputes (audit_id, moderator_id, reason, opened_at) VALUES (?, ?, 'disagree', ?)",
            [(a, sampled[a - 1][1], created) for a in wrong[:200]])
        store.db.conn.executemany(
            "INSERT INTO exposure (user_id, item_id, session_id, day, started_at, ended_at, blurred_ms, revealed_ms,"
            " region_ms, video_ms, severity) VALUES (?, 1, 's', ?, ?, ?, ?, ?, 0, 0, ?)",
            [(m, created[:10], created, created, rng.randint(5_000, 60_000), rng.randint(0, 5_000),
              rng.choice(["low", "medium", "high", "severe"])) for m in moderators for _ in range(300)])
    store.close()  # no ANALYZE: real stores never run it, so the planner must do without statistics
    print(f"  (built {decisions:,} decisions, {len(sampled):,} audits in {time.perf_counter() - start:.1f} s)")


CPU_MS: dict[str, float] = {}  # the median CPU time of each timed function, by name: a loaded host stretches wall time
FULL_COLLECTIONS: dict[str, int] = {}  # full garbage collections during each timed function's runs, by name


def timed_runs(path: Path, fn, runs: int, name: str = "") -> list[float]:
    """Wall time of *fn(store)* on a fresh connection each run (the page's worker does the same).

    The median process CPU time of the runs goes to ``CPU_MS[name]`` when named, and how many full garbage
    collections ran inside them to ``FULL_COLLECTIONS[name]`` (each ~50 ms in this process: code that keeps
    tens of thousands of objects alive at once pays for them on most loads).
    """
    samples, cpu, full = [], [], []

    def collected(phase: str, info: dict) -> None:
        full.append(phase == "start" and info["generation"] == 2)

    for _ in range(runs):
        store = wiring.open_store(path)
        gc.callbacks.append(collected)
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(store)
        samples.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        gc.callbacks.remove(collected)
        store.close()
    if name:
        CPU_MS[name] = round(statistics.median(cpu) * 1000, 1)
        FULL_COLLECTIONS[name] = sum(full)
    return samples


def floor_runs(path: Path, sql: str, params: list, runs: int, name: str) -> list[float]:
    """Wall time of one bare statement, read whole, on a fresh connection each run."""
    return timed_runs(path, lambda store: store.db.execute(sql, params).fetchall(), runs, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--received-index", action="store_true")
    parser.add_argument("--store", type=Path, help="build the store here once and reuse it (read only)")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])  # fonts, for the chart images
    with tempfile.TemporaryDirectory() as tmp:
        path = args.store or Path(tmp) / "bench.db"
        if not path.exists():
            build(path, args.decisions)
        if args.received_index:
            store = wiring.open_store(path)
            store.db.execute("CREATE INDEX items_received ON items (received_at)")
            store.close()
        store = wiring.open_store(path)
        now = store.clock.now()
        audits = store.db.execute("SELECT COUNT(*) FROM audits WHERE scored_at IS NOT NULL").fetchone()[0]
        store.close()
        week = [iso(now - _dt.timedelta(days=dashboard.WEEK_DAYS)), iso(now)]
        board_runs = timed_runs(path, lambda s: audit_dashboard.load(s, "lee"), args.runs, "dashboard")
        board_floor = floor_runs(path, "SELECT user_id, COUNT(*) FROM decisions WHERE decided_at >= ?"
                                       " AND decided_at <= ? GROUP BY user_id", week, args.runs, "dashboard_floor")
        review_runs = timed_runs(path, lambda s: dashboard.compute(s, "lee"), args.runs, "review")
        audit_runs = timed_runs(path, lambda s: audit_dashboard.figures(s, "lee"), args.runs, "audit")
        store = wiring.open_store(path)
        data = audit_dashboard.load(store, "lee")
        store.close()
        chart_runs = [_time(lambda: render_charts(data, CHART_SIZES)) for _ in range(args.runs)]
        metrics_runs = timed_runs(path, lambda s: metrics_command.figures(s, s.user("lee")), args.runs, "metrics")
        report_runs = timed_runs(path, lambda s: report.build(s, "lee"), args.runs, "report")
        automation_runs = timed_runs(path, lambda s: automation.for_metrics(s, s.user("lee"), None, None), args.runs,
                                     "automation")
        metrics_floor = floor_runs(path, "SELECT d.user_id, COUNT(*) FROM audits a CROSS JOIN decisions d"
                                         " WHERE d.id = a.decision_id AND a.scored_at IS NOT NULL GROUP BY d.user_id",
                                   [], args.runs, "metrics_floor")
    app.quit()
    scale = f"{args.decisions:,} decisions, {audits:,} audits"
    suffix = f"_{args.decisions}" + ("_received_index" if args.received_index else "")
    figure(f"dashboard{suffix}", summary_ms(board_runs)["p50_ms"], "ms p50", floor=summary_ms(board_floor)["p50_ms"],
           target="<= 100 ms", n=args.runs, scale=scale)
    figure(f"metrics{suffix}", summary_ms(report_runs)["p50_ms"], "ms p50", floor=summary_ms(metrics_floor)["p50_ms"],
           n=args.runs, scale=scale)
    figure(f"veil_metrics{suffix}", summary_ms(metrics_runs)["p50_ms"], "ms p50",
           floor=summary_ms(metrics_floor)["p50_ms"], target="<= 250 ms", n=args.runs, scale=scale)
    record(f"dashboard{suffix}", {
        "decisions": args.decisions, "audits": audits,
        "load_first_ms": round(board_runs[0] * 1000, 1),
        "review_p50_ms": summary_ms(review_runs)["p50_ms"],
        "audit_p50_ms": summary_ms(audit_runs)["p50_ms"],
        "charts_p50_ms": summary_ms(chart_runs)["p50_ms"],
        "metrics_first_ms": round(metrics_runs[0] * 1000, 1),
        "report_p50_ms": summary_ms(report_runs)["p50_ms"],
        "automation_p50_ms": summary_ms(automation_runs)["p50_ms"],
        **{f"{name}_cpu_p50_ms": ms for name, ms in CPU_MS.items()},
        **{f"{name}_full_gc": count for name, count in FULL_COLLECTIONS.items() if count},
    })


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
