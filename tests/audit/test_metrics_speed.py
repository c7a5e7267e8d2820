"""Why ``veil metrics`` and the dashboard were slow at a million decisions, each finding as a check of its cause.

Times are the benchmark's (``benchmarks/bench_dashboard.py``); here the causes: the plans SQLite chose
(without statistics, as real stores run) and the per-row work in Python.

* ``revokes_id IS NULL`` was planned through ``decisions_revokes``, an index holding a NULL for every
  decision, so every query on current decisions ("Seen before", history re-import, sampling windows,
  gold results, DSA statements, planning) scanned every live decision. The index is now partial.
* gold results were found from ``decisions`` (for the ORDER BY): on a store without gold, 233 ms to
  return nothing. They are now read from ``gold_results`` outwards.
* each audited decision's two label sets were parsed anew, and its ISO week parsed from text twice.
* every figure looped over the audited decisions in Python, twice (the group and overall): now each column is
  counted once in C and the formulas take the counts (``audit.metrics.counts``).
"""

from __future__ import annotations

import datetime as _dt
import random
import sys
from pathlib import Path

import pytest
from builders import audited, audited_history, decided_item, people, store_arg

from audit import metrics
from audit.exports import tables
from audit.metrics import assembly
from audit.store import reports
from audit.store.schema import ANSWERED, LIVE
from desktop.main import main


def _plan(store, sql: str, params=()) -> list[str]:
    return [row[-1] for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}", list(params))]


@pytest.mark.parametrize("where", [
    "d.item_id IN (1, 2, 3) AND d.revokes_id IS NULL",  # "Seen before", history re-import (review/store/imports.py)
    "d.decided_at >= '2026-01-01' AND d.decided_at < '2026-01-02' AND d.revokes_id IS NULL",  # planning, sampling
    f"d.decided_at >= '2026-01-01' AND d.decided_at < '2026-01-02' AND {LIVE}",  # DSA statements, transparency
    f"d.id = 5 AND {ANSWERED}",
])
def test_current_decisions_are_never_found_through_the_nulls_of_decisions_revokes(file_store, where):
    plan = _plan(file_store, f"SELECT d.id FROM decisions d WHERE {where}")
    outer = [step for step in plan if " d " in f" {step} "]
    assert outer and not any("decisions_revokes" in step for step in outer), plan
    # the revocations themselves are still found by the (now partial) index
    assert any("decisions_revokes" in step for step in _plan(
        file_store, "SELECT 1 FROM decisions r WHERE r.revokes_id = 7"))


def test_gold_results_are_read_from_gold_results_outwards(file_store):
    plans: list[list[str]] = []
    execute = file_store.db.execute

    def explained(sql, params=None):
        if sql.lstrip().startswith("SELECT"):
            plans.append([row[-1] for row in execute(f"EXPLAIN QUERY PLAN {sql}", params or [])])
        return execute(sql, params)

    file_store.db.execute = explained
    try:
        reports.gold_scored(file_store, "2026-01-01T00:00:00.000Z", None, "ana")
    finally:
        del file_store.db.execute
    (plan,) = plans
    assert plan[0].startswith("SCAN g"), plan


def test_the_week_of_veils_own_times_is_the_week_of_any_iso_time():
    rng = random.Random(22)
    start = _dt.datetime(1999, 12, 20, tzinfo=_dt.UTC)
    for _ in range(3000):
        moment = start + _dt.timedelta(seconds=rng.randint(0, 40 * 366 * 86_400), microseconds=rng.randint(0, 999_999))
        year, week, _ = moment.isocalendar()
        text = moment.strftime("%Y-%m-%dT%H:%M:%S") + rng.choice(["", f".{moment.microsecond // 1000:03d}",
                                                                  f".{moment.microsecond:06d}"]) + "Z"
        assert metrics.iso_week(text) == f"{year}-W{week:02d}", text
    for bad in ("2026-02-30T10:00:00.000Z", "2026-01-05T24:00:00.000Z", "2026-01-05T09:40:00.000Z ", "x", ""):
        with pytest.raises(ValueError, match="not an ISO 8601 timestamp"):
            metrics.iso_week(bad)


def test_label_sets_are_parsed_once_for_the_report_and_the_exports(store):
    assert tables._labels is not None and assembly.parsed_labels('["b", "a"]') == ("b", "a")
    assert assembly.parsed_labels('["b", "a"]') is assembly.parsed_labels('["b", "a"]')
    assert tables._labels(None) == () and tables._labels('["spam"]') == ("spam",)
    people(store, ana="moderator", lee="lead", dana="auditor")
    store.add_queue("spam")
    decision = decided_item(store, "spam", "ana", decided_at="2026-01-04T08:00:00.000Z", action="remove",
                            labels=["spam"])
    audited(store, decision, lead="lee", auditor="dana", blind_action="remove", blind_labels=["spam"])
    assembly.parsed_labels.cache_clear()
    report = assembly.build(store, "lee")
    assert report["overall"]["n"] == 1 and report["overall"]["trend"][0]["week"] == "2026-W01"
    assert assembly.parsed_labels.cache_info().misses == 1  # one distinct label set, both sides


def _history(path, items: int) -> None:
    """*items* decisions, each audited, over the same three moderators, two queues, four weeks and label sets."""
    audited_history(path, items, item_id=lambda n: f"h{n}",
                    at=lambda n: f"2025-11-{1 + n % 28:02d}T10:{n % 60:02d}:00Z")


def _python_calls(work) -> int:
    """How many Python functions of the report's own code (``audit/metrics``) *work* calls: C functions such as
    ``Counter``'s counting are not counted, nor a driver's own Python (a server store's rows come through psycopg)."""
    calls = 0
    own = str(Path(assembly.__file__).parent)

    def count(frame, event, arg):
        nonlocal calls
        calls += event == "call" and frame.f_code.co_filename.startswith(own)

    sys.setprofile(count)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls


def test_the_report_does_no_python_work_per_audited_decision(store, tmp_path, capsys):
    """At 30,000 audits the report spent most of its time in Python calls made once per audited decision (a
    NamedTuple per row, its groups, the formulas' loops): now the columns are counted in C, and the Python calls
    grow with the groups, weeks and distinct label sets, not with the decisions."""
    people(store, lee="lead")
    calls = {}
    for items in (150, 450):
        manifest = tmp_path / f"history{items}.jsonl"
        _history(manifest, items)
        assert main(["import", str(manifest), "--store", store_arg(store), "--user", "lee", "--create-queues"]) == 0
        capsys.readouterr()
        for by in assembly.BY:
            assembly.build(store, "lee", by=by)  # warm: caches, lazy imports
            calls[items, by] = _python_calls(lambda by=by: assembly.build(store, "lee", by=by))
    for by in assembly.BY:  # the second import adds 450 audited decisions to the first 150
        assert calls[450, by] - calls[150, by] < 150, (by, calls[150, by], calls[450, by])
