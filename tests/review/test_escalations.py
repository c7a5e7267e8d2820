"""Escalations end to end (issue 13 §2): routes, the escalation's facts and due time, the lead's workbench.

The issue's findings, each a test that failed before: an escalated item
reached the lead with no escalator, no reason and no origin queue; a
review queue had one escalation target, so nobody could send to "minor
safety"; the escalated item kept its original due time inside an 8 h
escalation queue.
"""

from __future__ import annotations

import dataclasses

import pytest
from builders import events, people, text_item

from desktop import wiring
from review import admin, escalations, serving, taxonomy
from review.decisions import DecisionError
from review.desk import ReviewDesk
from review.errors import NotAllowed
from review.escalations import EscalationError
from review.store import integrity
from review.store.connection import connect
from review.store.reconcile_escalations import escalation_problems
from review.store.schema import migrations as review_migrations

SETS = [review_migrations, *wiring.migration_sets()]
RECEIVED = "2026-01-05T08:00:00.000Z"  # an hour before the test clock


@pytest.fixture
def policy():
    return taxonomy.load()


@pytest.fixture
def floor(store):
    """ana (moderator), lee and max (leads); "spam" (24 h) escalating to "lead escalations" (8 h, the
    default) and "minor safety" (1 h); one text item waiting in spam, received an hour ago."""
    team = people(store, ana="moderator", lee="lead", max="lead")
    store.add_queue("lead escalations", "escalation", sla_seconds=8 * 3600)
    store.add_queue("minor safety", "escalation", sla_seconds=3600)
    store.add_queue("spam", sla_seconds=24 * 3600, escalation_queue="lead escalations")
    admin.set_escalation(store, "lee", "spam", ["lead escalations", "minor safety"])
    text_item(store, "spam", external_id="p1", received_at=RECEIVED)
    return team


def _escalate(store, desk, who, *, to=None, note="under 13?"):
    shown = desk.claim(store, who)
    made, _ = desk.decide(store, who, shown.item.id, "escalate", note=note, claim=shown.claim, escalate_to=to)
    return shown, made


def _verify(store):
    assert integrity.check(store.db, SETS, escalating={"escalate"}).problems == ()
    assert escalation_problems(store.db) == []


# ------------------------------------------------------------------ routes
def test_a_queue_allows_several_escalation_queues_and_a_moderator_picks_one(store, floor, policy):
    desk = ReviewDesk(policy)
    shown = desk.claim(store, floor["ana"])
    assert shown.routes == ("lead escalations", "minor safety")  # the default first
    made, _ = desk.decide(store, floor["ana"], shown.item.id, "escalate", note="under 13?", claim=shown.claim,
                          escalate_to="minor safety")
    assert made.escalated_to == "minor safety"
    assert serving.load_item(store, shown.item.id).queue_name == "minor safety"
    _verify(store)


def test_no_choice_takes_the_default_route(store, floor, policy):
    shown, made = _escalate(store, ReviewDesk(policy), floor["ana"])
    assert made.escalated_to == "lead escalations"


def test_a_queue_not_among_the_routes_is_refused_and_nothing_is_stored(store, floor, policy):
    store.add_queue("fraud escalations", "escalation")
    desk = ReviewDesk(policy)
    shown = desk.claim(store, floor["ana"])
    with pytest.raises(DecisionError, match="does not escalate to “fraud escalations”"):
        desk.decide(store, floor["ana"], shown.item.id, "escalate", note="x", claim=shown.claim,
                    escalate_to="fraud escalations")
    assert store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0


def test_escalating_needs_a_reason_even_when_the_taxonomy_does_not_ask_for_one(store, floor):
    policy = taxonomy.load()
    relaxed = dataclasses.replace(policy, actions=tuple(
        dataclasses.replace(a, requires_note=False) if a.escalates else a for a in policy.actions))
    desk = ReviewDesk(relaxed)
    shown = desk.claim(store, floor["ana"])
    with pytest.raises(DecisionError, match="Escalating needs a reason"):
        desk.decide(store, floor["ana"], shown.item.id, "escalate", note="  ", claim=shown.claim)


def test_setting_routes_is_one_event_with_old_and_new_and_a_lead_s_alone(store, floor):
    with pytest.raises(NotAllowed):
        admin.set_escalation(store, "ana", "spam", ["minor safety"])
    admin.set_escalation(store, "lee", "spam", ["minor safety"])
    admin.set_escalation(store, "lee", "spam", ["minor safety"])  # unchanged: no event
    assert store.queue("spam").escalation_queue_id == store.queue("minor safety").id
    assert [e.payload for e in events(store, "queue.escalation_set")][-1] == {
        "from": ["lead escalations", "minor safety"], "to": ["minor safety"], "queue_id": store.queue("spam").id,
        "to_ids": [store.queue("minor safety").id]}
    assert [r.routes for r in admin.queue_rows(store) if r.queue.name == "spam"] == [("minor safety",)]


def test_merging_an_escalation_queue_reroutes_every_route_once(store, floor):
    admin.merge(store, "lee", "minor safety", "lead escalations")
    assert [q.name for q in escalations.routes(store, store.queue("spam"))] == ["lead escalations"]


def test_existing_stores_get_their_escalation_queue_as_the_first_route(tmp_path):
    path = tmp_path / "old.db"
    db = connect(path)
    review_migrations.apply(db, stop_before="m012_escalations")
    db.execute("INSERT INTO queues (name, kind, created_at) VALUES ('esc', 'escalation', 'x')")
    db.execute("INSERT INTO queues (name, kind, escalation_queue_id, created_at) VALUES ('spam', 'review', 1, 'x')")
    db.conn.commit()
    db.close()
    with wiring.open_store(path) as upgraded:
        assert [q.name for q in escalations.routes(upgraded, upgraded.queue("spam"))] == ["esc"]
        assert upgraded.db.execute("SELECT queue_id, escalation_queue_id, position FROM escalation_routes"
                                   ).fetchall() == [(2, 1, 0)]


# --------------------------------------------------------------- the facts
def test_the_lead_sees_who_escalated_why_and_from_where(store, floor, policy):
    """Finding: "an escalated item reaches the lead with no escalator, no reason and no origin queue"."""
    desk = ReviewDesk(policy)
    _escalate(store, desk, floor["ana"], note="under 13?")
    shown = desk.claim(store, floor["lee"], ["lead escalations"])
    facts = shown.escalation
    assert (facts.escalated_by, facts.reason, facts.origin, facts.sent_to, facts.escalated_at, facts.outcome) == (
        "ana", "under 13?", "spam", "lead escalations", "2026-01-05T09:00:00.000Z", None)
    [waiting] = escalations.waiting(store, "lee")
    assert (waiting.escalation.escalated_by, waiting.escalation.reason, waiting.escalation.origin) == (
        "ana", "under 13?", "spam")


def test_the_escalated_item_gets_the_escalation_queue_s_due_time(store, floor, policy, clock):
    """Finding: "the escalated item keeps its original due time inside an 8 h escalation queue"."""
    clock.advance(600)
    shown, _ = _escalate(store, ReviewDesk(policy), floor["ana"], to="minor safety")
    assert serving.load_item(store, shown.item.id).due_at == "2026-01-05T10:10:00.000Z"  # now + its 1 h
    assert shown.item.due_at == "2026-01-06T08:00:00.000Z"  # spam's 24 h, from its arrival


def test_waiting_lists_breached_first_and_arrivals_straight_to_an_escalation_queue(store, floor, policy, clock):
    text_item(store, "minor safety", external_id="direct", received_at="2026-01-05T06:00:00.000Z",  # due 07:00
              metadata={"category": "child_safety"})
    _escalate(store, ReviewDesk(policy), floor["ana"])
    listed = escalations.waiting(store, "lee")
    assert [(w.external_id, w.category, w.escalation is None) for w in listed] == [
        ("direct", "child_safety", True), ("p1", None, False)]
    assert listed[0].since == "2026-01-05T06:00:00.000Z" and listed[1].sla_seconds == 8 * 3600


# ----------------------------------------------------------- the workbench
def test_a_lead_resolves_an_escalation_through_the_review_desk(store, floor, policy):
    desk = ReviewDesk(policy)
    escalated, _ = _escalate(store, desk, floor["ana"])
    opened = desk.take(store, floor["lee"], escalated.item.id)
    assert opened.escalation.escalated_by == "ana"
    made, _ = desk.decide(store, floor["lee"], opened.item.id, "remove", ["spam"], claim=opened.claim)
    assert serving.load_item(store, opened.item.id).state == "decided"
    assert escalations.waiting(store, "lee") == []
    closed = escalations.latest(store, opened.item.id)
    assert (closed.outcome, closed.closed_by) == ("decided", "lee")
    # History: the lead's decision, made in the escalation queue, leads back to its origin.
    assert store.db.execute(
        "SELECT q.name, o.name FROM escalations e JOIN decisions d ON d.id = e.outcome_decision_id"
        " JOIN queues q ON q.id = d.queue_id JOIN decisions x ON x.id = e.decision_id"
        " JOIN queues o ON o.id = x.queue_id"
    ).fetchall() == [("lead escalations", "spam")]
    _verify(store)


def test_undoing_the_lead_s_decision_reopens_the_escalation(store, floor, policy):
    desk = ReviewDesk(policy)
    escalated, _ = _escalate(store, desk, floor["ana"])
    opened = desk.take(store, floor["lee"], escalated.item.id)
    made, _ = desk.decide(store, floor["lee"], opened.item.id, "remove", ["spam"], claim=opened.claim)
    again = desk.undo(store, floor["lee"], made.id)
    assert again.escalation.outcome is None and again.item.queue_name == "lead escalations"
    _verify(store)


def test_the_moderator_s_undo_ends_the_escalation_and_restores_the_due_time(store, floor, policy):
    desk = ReviewDesk(policy)
    escalated, made = _escalate(store, desk, floor["ana"])
    back = desk.undo(store, floor["ana"], made.id)
    assert (back.item.queue_name, back.item.due_at) == ("spam", escalated.item.due_at)
    assert escalations.latest(store, back.item.id).outcome == "undone"
    assert escalations.waiting(store, "lee") == []
    _verify(store)


def test_send_back_returns_it_with_the_lead_s_note_for_the_next_moderator(store, floor, policy, clock):
    desk = ReviewDesk(policy)
    escalated, _ = _escalate(store, desk, floor["ana"])
    with pytest.raises(EscalationError, match="needs a note"):
        desk.send_back(store, floor["lee"], escalated.item.id, " ")
    clock.advance(60)
    assert desk.send_back(store, floor["lee"], escalated.item.id, "adult, 34: decide on the spam policy") == "spam"
    shown = desk.claim(store, floor["ana"])
    assert (shown.item.queue_name, shown.item.due_at) == ("spam", escalated.item.due_at)
    facts = shown.escalation
    assert (facts.outcome, facts.closed_by, facts.outcome_note, facts.reason) == (
        "sent_back", "lee", "adult, 34: decide on the spam policy", "under 13?")
    [event] = events(store, "escalation.sent_back")
    assert (event.actor, event.payload["from"], event.payload["to"]) == ("lee", "lead escalations", "spam")
    desk.decide(store, floor["ana"], shown.item.id, "no_violation", claim=shown.claim)
    _verify(store)


def test_move_to_another_escalation_queue_counts_its_sla_from_the_escalation(store, floor, policy, clock):
    desk = ReviewDesk(policy)
    escalated, _ = _escalate(store, desk, floor["ana"])
    clock.advance(1800)
    assert desk.move(store, floor["lee"], escalated.item.id, "minor safety") == "2026-01-05T10:00:00.000Z"
    [waiting] = escalations.waiting(store, "lee")
    assert (waiting.queue, waiting.due_at, waiting.escalation.sent_to) == (
        "minor safety", "2026-01-05T10:00:00.000Z", "lead escalations")
    with pytest.raises(EscalationError, match="in “minor safety” already"):
        desk.move(store, floor["lee"], escalated.item.id, "minor safety")
    with pytest.raises(EscalationError, match="only to another escalation queue"):
        desk.move(store, floor["lee"], escalated.item.id, "spam")
    assert [e.payload["to"] for e in events(store, "escalation.moved")] == ["minor safety"]
    _verify(store)


def test_another_lead_s_open_escalation_is_not_taken_sent_back_or_moved(store, floor, policy):
    desk = ReviewDesk(policy)
    escalated, _ = _escalate(store, desk, floor["ana"])
    opened = desk.take(store, floor["max"], escalated.item.id)
    item_id = escalated.item.id
    for call in (lambda: desk.take(store, floor["lee"], item_id),
                 lambda: desk.send_back(store, floor["lee"], item_id, "no"),
                 lambda: desk.move(store, floor["lee"], item_id, "minor safety")):
        with pytest.raises(EscalationError, match="max has this escalation open now"):
            call()
    assert desk.send_back(store, floor["max"], item_id, "yours", claim=opened.claim) == "spam"  # their own claim


def test_the_workbench_is_a_lead_s_alone(store, floor, policy):
    desk = ReviewDesk(policy)
    escalated, _ = _escalate(store, desk, floor["ana"])
    item_id = escalated.item.id
    for call in (lambda: escalations.waiting(store, "ana"), lambda: desk.take(store, floor["ana"], item_id),
                 lambda: desk.send_back(store, floor["ana"], item_id, "x"),
                 lambda: desk.move(store, floor["ana"], item_id, "minor safety")):
        with pytest.raises(NotAllowed, match="only a lead can"):
            call()


def test_an_item_reported_straight_to_an_escalation_queue_cannot_be_sent_back(store, floor):
    item_id = text_item(store, "minor safety", external_id="direct")
    with pytest.raises(EscalationError, match="reported straight to “minor safety”"):
        escalations.send_back(store, "lee", item_id, "not mine")


def test_a_past_escalation_is_recorded_like_one_made_in_review(store, floor, policy):
    item_id = store.db.execute("SELECT id FROM items WHERE external_id = 'p1'").fetchone()[0]
    escalations.record_past_escalation(store, policy, item_id=item_id, user="ana", escalate_to="minor safety",
                                       reason="under 13?", escalated_at="2026-01-05T08:30:00Z")
    [waiting] = escalations.waiting(store, "lee")
    assert (waiting.since, waiting.due_at, waiting.escalation.reason) == (
        "2026-01-05T08:30:00.000Z", "2026-01-05T09:30:00.000Z", "under 13?")
    _verify(store)


def test_a_sent_back_item_goes_to_the_front_of_its_queue(store, floor, policy, clock):
    """Walkthrough of issue 13: a sent-back item went back behind everything waiting (priority, then due time), so
    nobody read the lead's note for hours. It now outranks every waiting item there; the event says so."""
    desk = ReviewDesk(policy)
    escalated, _ = _escalate(store, desk, floor["ana"])
    urgent = text_item(store, "spam", external_id="p2", received_at="2026-01-05T07:00:00.000Z", priority=5)
    clock.advance(60)
    desk.send_back(store, floor["lee"], escalated.item.id, "adult, 34: decide on the spam policy")
    [event] = events(store, "escalation.sent_back")
    assert event.payload["priority"] == {"old": 0, "new": 6}
    assert set(event.payload) == {"escalation", "from", "to", "due_at", "claim", "note_sha256", "priority"}
    shown = desk.claim(store, floor["ana"])
    assert shown.item.id == escalated.item.id and shown.item.id != urgent
    assert shown.item.due_at == escalated.item.due_at  # its due time is the one it had, as before
    _verify(store)
