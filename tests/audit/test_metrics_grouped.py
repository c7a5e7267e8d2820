"""``veil metrics`` and the dashboard's auditors' work at a site's scale (issue 22): counts from SQL, one index, no
object per audit.

Benchmarked at 1,000,000 decisions with 29,830 audits (``benchmarks/bench_dashboard.py``): the report read every
audited decision into Python (a dozen values each, then sorted) and was 250–270 ms of CPU; the dashboard's
auditors' work read each audit's own verdict from ``audits`` and its dispute, and a full garbage collection
(50 ms in the app's process) followed most loads. Each cause is checked here; that the numbers stay the plain
ones is ``test_metrics_exact.py``'s and ``test_dashboard_summary.py``'s.
"""

from __future__ import annotations

import gc

import pytest
from builders import audited, audited_history, decided_item, people, statements_run, store_arg

from audit.metrics import assembly, auditors
from audit.store import reports
from desktop.main import main


def _history(path, items: int) -> None:
    """*items* audited decisions: three moderators, two queues, three answers, the same four days."""
    audited_history(path, items, item_id=lambda n: f"g{items}-{n}",
                    at=lambda n: f"2025-11-0{1 + n % 4}T1{n % 10}:00:00Z")


def test_the_report_reads_counts_that_grow_with_the_groups_not_the_decisions(store, tmp_path, capsys):
    people(store, lee="lead")
    counted = {}
    for items in (150, 450):
        manifest = tmp_path / f"history{items}.jsonl"
        _history(manifest, items)
        assert main(["import", str(manifest), "--store", store_arg(store), "--user", "lee", "--create-queues"]) == 0
        capsys.readouterr()
        for by in assembly.BY:
            rows = reports.audited_counts(store, None, None, by)
            assert sum(row[-1] for row in rows if row[0] == reports.JUDGED) == store.db.execute(
                "SELECT COUNT(*) FROM audits WHERE scored_at IS NOT NULL").fetchone()[0]
            counted[items, by] = len(rows)
    for by in assembly.BY:  # 600 audited decisions in the same groups, days and answers as the first 150
        assert counted[450, by] <= counted[150, by] * 1.5, (by, counted[150, by], counted[450, by])


def _plans(store, statements: list[str]) -> list[list[str]]:
    return [[row[-1] for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}")] for sql in statements
            if sql.lstrip().upper().startswith("SELECT")]


def test_auditors_work_is_read_from_the_score_time_index_never_audit_by_audit(file_store):
    people(file_store, ana="moderator", dana="auditor", lee="lead")
    file_store.add_queue("spam")
    for n in range(3):
        audited(file_store, decided_item(file_store, "spam", "ana", decided_at=f"2026-01-0{n + 1}T10:00:00.000Z"),
                lead="lee", auditor="dana", blind_action="no_violation")
    with statements_run(file_store) as seen:
        (dana,) = auditors.work(file_store, "lee", None, None)
    assert (dana.audits, dana.timed) == (3, 3)
    steps = [step for plan in _plans(file_store, seen) for step in plan]
    kept = [step for step in steps if "scored_audits" in step]
    assert kept and all("COVERING INDEX scored_audits_scored" in step for step in kept), steps
    assert not [step for step in steps if step.startswith("SCAN a")], steps  # each audit read for its verdict


def test_a_month_of_audit_times_is_split_per_auditor_without_an_object_per_audit():
    """``zip(*rows)`` made an iterator per audit, alive at once: a full collection after most dashboard loads."""
    times = [(n % 3 + 1, (20 + n % 60) * 60_000) for n in range(30_000)]
    young = []

    def counted(phase: str, info: dict) -> None:
        if phase == "start":
            young.append(info["generation"])

    gc.collect()
    gc.callbacks.append(counted)
    try:
        minutes = auditors._minutes_by_auditor(times, {1: "dana", 2: "eli", 3: "fay"})
    finally:
        gc.callbacks.remove(counted)
    assert sorted(len(spent) for spent in minutes.values()) == [10_000] * 3
    assert minutes["eli"][:2] == [21.0, 24.0]  # audits 1 and 4, in order
    assert len(young) <= 2, young  # 30,000 iterators: over 40 collections


@pytest.mark.parametrize("scope", ["lead", "auditor", "moderator"])
def test_each_viewer_s_report_is_counted_over_what_they_may_see(store, scope):
    """The scopes are filters in the grouped SQL now: a moderator's own decisions, an auditor's own audits."""
    people(store, ana="moderator", ben="moderator", dana="auditor", eli="auditor", lee="lead")
    store.add_queue("spam")
    for n, (moderator, auditor) in enumerate([("ana", "dana"), ("ana", "eli"), ("ben", "dana"), ("ben", "eli"),
                                              ("ana", "dana")]):
        audited(store, decided_item(store, "spam", moderator, decided_at=f"2026-01-0{n + 1}T10:00:00.000Z"),
                lead="lee", auditor=auditor, blind_action="remove" if n % 2 else "no_violation",
                verdict="incorrect" if n % 2 else "correct", error=("over_enforcement", "minor") if n % 2 else None)
    viewer = {"lead": "lee", "auditor": "dana", "moderator": "ana"}[scope]
    report = assembly.build(store, viewer, by="moderator")
    expected = {"lead": {"ana": (2, 3), "ben": (1, 2)}, "auditor": {"ana": (2, 2), "ben": (1, 1)},
                "moderator": {"ana": (2, 3)}}[scope]
    assert {g["key"]: (g["correct"], g["n"]) for g in report["groups"]} == expected
    assert report["overall"]["n"] == sum(n for _, n in expected.values())
