"""The lead dashboard's figures (``review.dashboard``, ``audit.dashboard``) against hand-built data.

The store clock stands at 2026-01-05 09:40 UTC, so the 24 hourly buckets
run from 2026-01-04 10:00 (bucket 0) to 2026-01-05 09:00 (bucket 23, in
progress); hour H today is bucket H + 14. Every expected figure below is
worked out by hand in the comments.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from builders import audited, decided_item, people, text_item

from audit import dashboard as audit_dashboard
from audit import disputes, metrics
from audit.metrics import assembly as report
from review import dashboard, decisions, serving, taxonomy
from review.store import wellbeing as wellbeing_store
from review.wellbeing.budget import lift_budget
from review.wellbeing.exposure import ExposureRecord

HARMLESS = "a harmless sample"


def _decided(store, queue, user, received_at, decided_at, handle_ms=None) -> int:
    """A no-violation decision; positional times keep the figures' table below readable."""
    return decided_item(store, queue, user, received_at=received_at, decided_at=decided_at, handle_ms=handle_ms,
                        text=HARMLESS)


@pytest.fixture
def world(store, clock):
    clock.advance(40 * 60)  # 2026-01-05T09:40Z
    people(store, ana=(["moderator"], "Ana"), ben=(["moderator"], "Ben"), lee=(["lead"], "Lee"),
           dana=(["auditor"], "Dana"), cat=(["auditor"], "Cat"))
    store.add_queue("esc", kind="escalation", sla_seconds=8 * 3600)
    store.add_queue("hate", sla_seconds=4 * 3600, escalation_queue="esc")
    store.add_queue("spam", sla_seconds=24 * 3600)
    # hate, waiting: due 07:40 and 08:40 (breached), 10:10 (at risk: within 1 h), 13:10 (fine)
    for received in ("03:40", "04:40", "06:10", "09:10"):
        text_item(store, "hate", received_at=f"2026-01-05T{received}:00Z", text=HARMLESS)
    # spam, waiting: due 09:30 today, breached; received before the window
    text_item(store, "spam", received_at="2026-01-04T09:30:00Z", text=HARMLESS)
    text_item(store, "esc", received_at="2026-01-05T08:00:00Z", text=HARMLESS)  # an open escalation
    # decisions (item received, decided, handle time)
    _decided(store, "spam", "ana", "2026-01-05T07:00:00Z", "2026-01-05T07:05:00Z", 10_000)
    _decided(store, "spam", "ana", "2026-01-05T07:10:00Z", "2026-01-05T08:15:00Z", 20_000)
    _decided(store, "spam", "ben", "2026-01-05T08:00:00Z", "2026-01-05T09:05:00Z", 30_000)
    _decided(store, "hate", "ben", "2026-01-04T20:00:00Z", "2026-01-04T22:30:00Z", 40_000)
    _decided(store, "spam", "ana", "2026-01-01T00:00:00Z", "2026-01-01T12:00:00Z", 100_000)  # in the week only
    _decided(store, "spam", "ana", "2025-12-01T00:00:00Z", "2025-12-20T12:00:00Z", 999_000)  # too old for all
    _decided(store, "spam", "ben", "2026-01-05T09:15:00Z", "2026-01-05T09:20:00Z")  # imported: no handle time
    # ana decides the old spam item live at 09:40 and undoes it: nets to nothing, the item waits again
    ana = store.user("ana")
    lease = serving.claim_next(store, ana, ["spam"])
    made = decisions.decide(store, taxonomy.load(), ana, lease.item.id, claim=lease.claim, action="no_violation")
    decisions.undo(store, ana, made.id)
    return store


def _queue(board, name):
    return next(q for q in board.queues if q.queue.name == name)


def _person(board, name):
    return next(p for p in board.people if p.user.name == name)


def _handle(row):
    return row.handle.n, pytest.approx(row.handle.median_ms), pytest.approx(row.handle.p90_ms)


def test_only_a_lead_sees_the_dashboard(world):
    for who in ("ana", "dana", "nobody"):
        with pytest.raises(PermissionError):
            dashboard.compute(world, who)
        with pytest.raises(PermissionError):
            audit_dashboard.figures(world, who)
    assert dashboard.compute(world, "lee").at == "2026-01-05T09:40:00.000Z"


def test_backlog_and_sla_per_queue(world):
    board = dashboard.compute(world, "lee")
    hate, spam = _queue(board, "hate").health, _queue(board, "spam").health
    assert (hate.waiting, hate.oldest_received_at, hate.breached, hate.at_risk) == (
        4, "2026-01-05T03:40:00.000Z", 2, 1)
    assert (spam.waiting, spam.breached, spam.at_risk) == (1, 1, 0)
    assert board.open_escalations == 1


def test_received_and_decided_per_hour(world):
    board = dashboard.compute(world, "lee")
    assert board.hours[0] == "2026-01-04T10:00:00.000Z" and board.hours[-1] == "2026-01-05T09:00:00.000Z"
    assert len(board.hours) == dashboard.HOURS == 24

    def hourly(counts):
        return {n: c for n, c in enumerate(counts) if c}

    hate, spam = _queue(board, "hate"), _queue(board, "spam")
    # hate received at 20:00 yesterday (bucket 10) and 03:40, 04:40, 06:10, 09:10 today
    assert hourly(hate.received) == {10: 1, 17: 1, 18: 1, 20: 1, 23: 1}
    # spam received at 07:00 and 07:10, 08:00, 09:15; 09:30 yesterday is before the window
    assert hourly(spam.received) == {21: 2, 22: 1, 23: 1}
    assert hourly(hate.decided) == {12: 1}  # 22:30 yesterday
    # 07:05, 08:15; at 09: ben 09:05 and 09:20, ana's 09:40 decision and its undo cancel out
    assert hourly(spam.decided) == {21: 1, 22: 1, 23: 2}
    assert sum(_queue(board, "esc").decided) == 0


def test_handle_time_median_and_p90(world):
    board = dashboard.compute(world, "lee")
    # spam, last 7 days, measured: 10, 20, 30, 100 s -> median 25 s; p90 rank 2.7 -> 30 + 0.7 * 70 = 79 s
    assert _handle(_queue(board, "spam")) == (4, 25_000, 79_000)
    assert _handle(_queue(board, "hate")) == (1, 40_000, 40_000)
    assert _queue(board, "esc").handle == dashboard.HandleTime(0, None, None)
    # ana: 10, 20, 100 s -> median 20 s; p90 rank 1.8 -> 20 + 0.8 * 80 = 84 s; ben: 30, 40 s
    assert _handle(_person(board, "ana")) == (3, 20_000, 84_000)
    assert _handle(_person(board, "ben")) == (2, 35_000, 39_000)


def test_throughput_today_and_week(world):
    board = dashboard.compute(world, "lee")
    assert [p.user.name for p in board.people] == ["ana", "ben"]  # moderators; the lead and auditors did not decide
    ana, ben = _person(board, "ana"), _person(board, "ben")
    assert (ana.decided_today, ana.decided_week) == (2, 3)  # the undone decision counts for nothing
    assert (ben.decided_today, ben.decided_week) == (2, 3)


def test_exposure_against_the_budget(world):
    world.set_setting("wellbeing", {"severe_budget_min": 60})
    record = ExposureRecord(item_id=1, severity="severe", category="violent_graphic",
                            started_at="2026-01-05T09:00:00.000Z", ended_at="2026-01-05T09:01:06.000Z",
                            blurred_ms=60_000, revealed_ms=5_000, region_ms=1_000)
    wellbeing_store.add_exposure(world, world.user("ana"), "s1", record)
    board = dashboard.compute(world, "lee")
    seen = _person(board, "ana").exposure
    assert (seen.revealed_ms + seen.region_ms, seen.severe_ms, seen.severe_budget_ms) == (6_000, 66_000, 3_600_000)
    assert _person(board, "ana").severe_budget_ms == 3_600_000
    assert _person(board, "ben").exposure is None and _person(board, "ben").severe_budget_ms == 3_600_000
    lift_budget(world, "lee", "ben", "a backlog of severe reports", minutes=30)
    assert _person(dashboard.compute(world, "lee"), "ben").severe_budget_ms == 5_400_000


def test_percentile_matches_numpy():
    rng = random.Random(5)
    for n in (1, 2, 3, 10, 101):
        values = sorted(rng.randint(0, 100_000) for _ in range(n))
        for q in (0, 10, 50, 90, 100):
            assert dashboard.percentile(values, q) == pytest.approx(np.percentile(values, q))
    assert dashboard.percentile([], 50) is None


def test_an_empty_store_has_no_figures(store):
    store.add_user("lee", ["lead"])
    board = dashboard.compute(store, "lee")
    assert board.queues == () and board.people == () and board.open_escalations == 0
    assert audit_dashboard.figures(store, "lee").open_disputes_total == 0


# ------------------------------------------------------------------ audit side
def _audit(store, decision_id, correct):
    """cat audits for lee, answering no violation blind; this module's incorrect is a minor wrong action."""
    return audited(store, decision_id, lead="lee", auditor="cat", blind_action="no_violation",
                   verdict="correct" if correct else "incorrect", error=None if correct else ("wrong_action", "minor"))


def test_accuracy_with_n_and_open_disputes(world):
    at = "2026-01-04T12:00:00Z"
    ana = [_decided(world, "spam", "ana", at, at) for _ in range(4)]
    ben = [_decided(world, "hate", "ben", at, at) for _ in range(2)]
    old = _decided(world, "spam", "ana", "2025-11-01T00:00:00Z", "2025-11-01T12:00:00Z")  # before the 28 days
    scored = [_audit(world, d, correct) for d, correct in zip(ana, (True, True, True, False))]
    _audit(world, ben[0], True)
    _audit(world, ben[1], False)
    _audit(world, old, False)
    # one dispute stays open; the other is overturned (counts as correct, no longer open)
    _audit(world, _decided(world, "spam", "ben", at, at), False)
    disputes.open_dispute(world, "ben", _audit(world, _decided(world, "spam", "ben", at, at), False), "it was fine")
    resolved = disputes.open_dispute(world, "ana", scored[3], "also fine")
    disputes.resolve_dispute(world, "lee", resolved, "overturned")

    found = audit_dashboard.figures(world, "lee")
    # ana 4 of 4 (her one wrong overturned); ben 1 of 4 (hate 1 of 2, spam 0 of 2); the old audit is left out
    assert found.by_moderator == {"ana": metrics.proportion(4, 4), "ben": metrics.proportion(1, 4)}
    assert found.by_queue == {"hate": metrics.proportion(1, 2), "spam": metrics.proportion(4, 6)}
    assert found.by_moderator["ana"].ci95 is not None  # Wilson interval, shown with n
    assert found.open_disputes == {"spam": 1} and found.open_disputes_total == 1
    assert found.since == "2025-12-08T09:40:00.000Z"
    # the same k and n as the QA report over the same period
    for by, figures in (("moderator", found.by_moderator), ("queue", found.by_queue)):
        built = report.build(world, "lee", by=by, since=found.since)
        assert {g["key"]: (g["correct"], g["n"]) for g in built["groups"]} == {
            k: (p.k, p.n) for k, p in figures.items()}
