"""The report's figures stay inside its period (issue 13 §3, review findings).

SLA compliance counts the decisions that answered a queue: one that closed
the item, against the due time the item had in that queue, or, for the
queue an item was escalated from, the escalation itself, against the due
time the item had there before it was escalated (an escalated item still
waiting is not "decided within SLA" by the escalation queue's later due
time). The decisions export gives each row the due time the item had when
that decision was made. The weekly trend is whole ISO weeks, and a week
that begins before the period says so.
"""

from __future__ import annotations

import json

import pytest
from builders import audited, decided_item, people, text_item

from audit import exports
from review import admin, decisions
from review.store import decisions as decision_rows


@pytest.fixture
def floor(store):
    """ana moderates "Spam" (1-hour SLA), which escalates to "Lead escalations" (8-hour SLA); lee leads."""
    people(store, ana=["moderator"], dana=["auditor"], lee=["lead"])
    store.add_queue("Lead escalations", "escalation", sla_seconds=8 * 3600)
    store.add_queue("Spam", sla_seconds=3600, escalation_queue="Lead escalations")
    return store


def _escalate(store, *, received_at, escalated_at):
    item_id = text_item(store, "Spam", received_at=received_at)
    decision = decision_rows.record_past_escalation(store, store.user("ana"), item_id, action="escalate",
                                                    escalate_to="Lead escalations", reason="a lead should see it",
                                                    escalated_at=escalated_at)
    return item_id, decision


def _sla(store):
    figures = exports.report_figures(store, "lee", "2026-01-05", "2026-01-11")
    return {q["queue"]: (q["decided"], q["within"]) for q in figures.sla}, figures.within_sla


def test_an_item_escalated_late_and_still_waiting_is_not_decided_within_sla(floor):
    """Received 00:00 in a 1-hour queue, escalated at 09:00, waiting: it was "within" the escalation's 17:00."""
    _escalate(floor, received_at="2026-01-06T00:00:00Z", escalated_at="2026-01-06T09:00:00Z")
    by_queue, overall = _sla(floor)
    assert by_queue == {"Spam": (1, 0)}  # the origin queue answered (escalated) it late; nobody decided it yet
    assert overall == (0, 1)


def test_an_escalation_in_time_counts_for_its_origin_and_the_lead_decision_for_the_escalation_queue(floor):
    item_id, _ = _escalate(floor, received_at="2026-01-06T00:00:00Z", escalated_at="2026-01-06T00:30:00Z")
    decisions.record_past_decision(floor, item_id=item_id, user="lee", action="remove",
                                   decided_at="2026-01-06T06:00:00Z")  # within 00:30 + 8 h
    assert _sla(floor) == ({"Lead escalations": (1, 1), "Spam": (1, 1)}, (2, 2))


def test_an_escalation_a_lead_moved_back_into_a_review_queue_was_no_answer(floor):
    """Moved out of the escalation queues, the item is owed an answer by a review queue again, as if sent back."""
    _escalate(floor, received_at="2026-01-06T00:00:00Z", escalated_at="2026-01-06T00:30:00Z")
    admin.move(floor, "lee", admin.Selection(queues=("Lead escalations",)), "Spam")
    assert _sla(floor) == ({}, (0, 0))


def test_each_decision_row_carries_the_due_time_the_item_had_when_it_was_made(floor, tmp_path):
    """The escalating decision showed the escalation queue's due time, set by that very decision."""
    item_id, _ = _escalate(floor, received_at="2026-01-06T00:00:00Z", escalated_at="2026-01-06T09:00:00Z")
    decisions.record_past_decision(floor, item_id=item_id, user="lee", action="remove",
                                   decided_at="2026-01-06T12:00:00Z")
    out = tmp_path / "d.jsonl"
    exports.export(floor, "lee", "decisions", "jsonl", out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["queue"], r["due_at"]) for r in rows] == [
        ("Spam", "2026-01-06T01:00:00.000Z"),  # due in Spam: received + 1 h
        ("Lead escalations", "2026-01-06T17:00:00.000Z"),  # due in the escalation queue: escalated + 8 h
    ]


def _audit(store, at):
    decision = decided_item(store, "Spam", "ana", action="remove", labels=["spam"], decided_at=at)
    audited(store, decision, lead="lee", auditor="dana", blind_action="remove", blind_labels=["spam"])


def test_the_trend_is_whole_weeks_and_a_week_begun_before_the_period_says_so(floor):
    """November 2026 begins on a Sunday: its first ISO week (26 Oct – 1 Nov) is mostly October."""
    for day in ("2026-10-05", "2026-10-27", "2026-11-01", "2026-11-10"):
        _audit(floor, f"{day}T10:00:00Z")
    figures = exports.report_figures(floor, "lee", "2026-11-01", "2026-11-30")
    assert figures.overall["n"] == 2  # the period's own figures: 1 and 10 Nov
    weeks = {w["week"]: w["n"] for w in figures.trend}
    assert weeks["2026-W44"] == 2  # 27 Oct and 1 Nov: one week, and it is not the period's
    assert figures.trend_notes["2026-W44"] == "partly before the period"
    assert "2026-W46" not in figures.trend_notes and weeks["2026-W46"] == 1
    assert weeks["2026-W41"] == 1  # eight weeks before the end, from its Monday (5 Oct), not a Tuesday
    assert all(figures.trend_notes[w] == "before the period" for w in weeks if w < "2026-W44")
