"""A case's decision is one decision of the person who made it, and one decision per report for its queue.

The rows a case applies (``source = 'case'``) carry the maker's name, so the export says whose judgement each
report got; but the moderator decided once: their day (``person_days``), their decisions per day and SLA by
person, their "My decisions" and QA's sampling window each count the case's decision once, while the queue's
hourly counts count every report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import people

from audit.store import activity, plans
from review import dashboard, taxonomy
from review.desk import ReviewDesk
from review.imports import manifest as importer
from review.store import corrections as correction_rows


@pytest.fixture
def decided_case(store, tmp_path: Path):
    """Four reports of one text in "spam"; ana decided the case (remove) at 09:00 on 2026-01-05."""
    store.add_queue("spam")
    crowd = people(store, lee="lead", ana="moderator")
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps({"id": n, "queue": "spam", "text": "same words"}) + "\n" for n in "abcd"),
                    encoding="utf-8")
    assert importer.import_manifest(store, path, actor="lee").committed
    desk = ReviewDesk(taxonomy.load())
    shown = desk.claim(store, crowd["ana"], ["spam"])
    made, _ = desk.decide(store, crowd["ana"], shown.item.id, "remove", labels=["spam"], claim=shown.claim)
    assert store.db.execute("SELECT COUNT(*) FROM decisions WHERE applies_id = ?", [made.id]).fetchone() == (3,)
    return crowd["ana"], made


def test_the_moderators_figures_count_the_case_once(store, decided_case):
    ana, made = decided_case
    assert [(q, n) for user, q, _, n in activity.decisions_per_day(store, None, None) if user == ana.id] == [
        ("spam", 1)]
    assert [(name, answered) for name, answered, _ in activity.sla_by_person(store, None, None)] == [("ana", 1)]
    assert [row[0] for row in correction_rows.decisions_of(store, ana.id, 50)] == [made.id]


def test_qa_samples_the_case_decision_not_the_rows_it_applied(store, decided_case):
    _, made = decided_case
    drawable = plans.window(store, "2026-01-01T00:00:00.000Z", "2026-01-06T00:00:00.000Z", None)
    assert [row[0] for row in drawable] == [made.id]


def test_the_dashboards_week_leaves_out_a_cases_rows_at_a_cut_hour(store, clock, decided_case):
    """The week starts at 10:00 on the case's day, after ana's decision at 09:00: the part of that day before the
    cut is taken away from its whole-day count, and was taken away counting the case's three rows too (-3)."""
    ana, _ = decided_case
    clock.advance(7 * 24 * 3600 + 3600)  # 2026-01-12T10:00
    (figures,) = [p for p in dashboard.compute(store, "lee").people if p.user.name == ana.name]
    assert figures.decided_week == 0
    clock.advance(-2 * 3600)  # 08:00: the week starts at 08:00 on the 5th, before the decision
    (figures,) = [p for p in dashboard.compute(store, "lee").people if p.user.name == ana.name]
    assert figures.decided_week == 1
