"""Escalations under the floor's rules (issue 13 §2, review findings): breaks, queue limits, claims, queue moves.

Each test is a defect a reviewer found in the first workbench: a lead on a
break opened escalations; a lead's queue limit did not hold on the
workbench; another lead's claim was accepted; queue admin's Move left an
escalation open in a moderators' queue (and a moderator then "decided"
it); escalation queues escalated to each other and undo lost the first
escalation; escalations made before schema m012 showed as "reported
straight"; the queues' "oldest" for an escalation queue was when the item
arrived, not when it was escalated; the pages were not told of a send-back
or a move.
"""

from __future__ import annotations

import datetime as _dt

import pytest
from builders import events, people, text_item

from desktop import wiring
from review import admin, escalations, taxonomy
from review import people as people_admin
from review.admin import AdminError, Selection
from review.clock import iso
from review.desk import ReviewDesk
from review.errors import NotAllowed
from review.escalations import EscalationError
from review.store import events as event_log
from review.store import integrity
from review.store import wellbeing as ws
from review.store.connection import connect
from review.store.reconcile_escalations import escalation_problems
from review.store.schema import migrations as review_migrations
from review.wellbeing.breaks import OnBreak

SETS = [review_migrations, *wiring.migration_sets()]
RECEIVED = "2026-01-05T08:00:00.000Z"  # an hour before the test clock


@pytest.fixture
def policy():
    return taxonomy.load()


@pytest.fixture
def floor(store):
    """ana (moderator), lee and max (leads); "spam" escalating to "lead escalations" (8 h, the default) and
    "minor safety" (1 h); one text item waiting in spam, received an hour ago."""
    team = people(store, ana="moderator", lee="lead", max="lead")
    store.add_queue("lead escalations", "escalation", sla_seconds=8 * 3600)
    store.add_queue("minor safety", "escalation", sla_seconds=3600)
    store.add_queue("spam", sla_seconds=24 * 3600, escalation_queue="lead escalations")
    admin.set_escalation(store, "lee", "spam", ["lead escalations", "minor safety"])
    text_item(store, "spam", external_id="p1", received_at=RECEIVED)
    return team


def _escalated(store, desk, who, *, to=None):
    shown = desk.claim(store, who)
    made, _ = desk.decide(store, who, shown.item.id, "escalate", note="under 13?", claim=shown.claim,
                          escalate_to=to)
    return shown.item.id, made


def _problems(store):
    return (*integrity.check(store.db, SETS, escalating={"escalate"}).problems, *escalation_problems(store.db))


# ------------------------------------------------------------------ breaks
def test_a_lead_on_a_break_opens_no_escalation_until_it_is_served(store, floor, policy, clock):
    desk = ReviewDesk(policy)
    item_id, _ = _escalated(store, desk, floor["ana"])
    ws.start_break(store, floor["lee"], "break_enforced", {}, started_at=store.now(),
                   ends_at=iso(clock.now() + _dt.timedelta(minutes=1)), reason="micro", cooldown=False)
    with pytest.raises(OnBreak, match="on a break"):
        desk.take(store, floor["lee"], item_id)
    assert events(store, "item.claimed")[-1].actor == "ana"  # no claim was made
    clock.advance(61)
    assert desk.take(store, floor["lee"], item_id).item.id == item_id


# ------------------------------------------------------------- queue limits
def test_a_lead_limited_to_other_queues_neither_sees_nor_works_the_escalation(store, floor, policy):
    desk = ReviewDesk(policy)
    item_id, _ = _escalated(store, desk, floor["ana"])  # to lead escalations
    people_admin.set_queues(store, "max", "lee", ["minor safety"])
    assert escalations.waiting(store, "lee") == []
    assert [w.item_id for w in escalations.waiting(store, "max")] == [item_id]
    for call in (lambda: desk.take(store, floor["lee"], item_id),
                 lambda: desk.send_back(store, floor["lee"], item_id, "no"),
                 lambda: desk.move(store, floor["lee"], item_id, "minor safety")):
        with pytest.raises(NotAllowed, match="may not work “lead escalations”"):
            call()
    assert events(store, "escalation.sent_back") == events(store, "escalation.moved") == []


def test_a_limit_set_after_the_lead_opened_it_stops_the_send_back(store, floor, policy):
    desk = ReviewDesk(policy)
    item_id, _ = _escalated(store, desk, floor["ana"])
    opened = desk.take(store, floor["lee"], item_id)
    people_admin.set_queues(store, "max", "lee", ["minor safety"])
    with pytest.raises(NotAllowed, match="may not work “lead escalations”"):
        desk.send_back(store, floor["lee"], item_id, "adult", claim=opened.claim)


# ------------------------------------------------------------------- claims
def test_another_lead_s_claim_does_not_send_back_or_move(store, floor, policy):
    desk = ReviewDesk(policy)
    item_id, _ = _escalated(store, desk, floor["ana"])
    opened = desk.take(store, floor["lee"], item_id)
    with pytest.raises(EscalationError, match="lee has this escalation open now"):
        desk.send_back(store, floor["max"], item_id, "mine now", claim=opened.claim)
    with pytest.raises(EscalationError, match="lee has this escalation open now"):
        desk.move(store, floor["max"], item_id, "minor safety", claim=opened.claim)
    assert escalations.latest(store, item_id).outcome is None


# ------------------------------------------------------- queue admin's Move
def test_moving_an_escalated_item_to_moderators_ends_its_escalation(store, floor, policy):
    """Finding: a moderator "decided" an escalation that queue admin had moved into their queue."""
    desk = ReviewDesk(policy)
    item_id, _ = _escalated(store, desk, floor["ana"])
    admin.move(store, "lee", Selection(queues=("lead escalations",)), "spam")
    closed = escalations.latest(store, item_id)
    assert (closed.outcome, closed.closed_by) == ("moved_out", "lee")
    [moved] = events(store, "items.moved")
    assert moved.payload["escalations_closed"] == [closed.id]
    assert escalations.waiting(store, "lee") == []
    shown = desk.claim(store, floor["ana"])
    assert shown.item.id == item_id
    desk.decide(store, floor["ana"], item_id, "no_violation", claim=shown.claim)
    assert escalations.latest(store, item_id).outcome == "moved_out"  # not "decided" by a moderator
    assert _problems(store) == ()


def test_moving_it_between_escalation_queues_keeps_it_open(store, floor, policy):
    desk = ReviewDesk(policy)
    item_id, _ = _escalated(store, desk, floor["ana"])
    admin.move(store, "lee", Selection(queues=("lead escalations",)), "minor safety")
    assert escalations.latest(store, item_id).outcome is None
    assert "escalations_closed" not in events(store, "items.moved")[0].payload


# ------------------------------------------------- routes and undo in a chain
def test_only_a_review_queue_escalates(store, floor):
    with pytest.raises(AdminError, match="only a review queue escalates"):
        admin.set_escalation(store, "lee", "lead escalations", ["minor safety"])
    with pytest.raises(AdminError, match="only a review queue escalates"):
        admin.create_queue(store, "lee", "fraud escalations", "escalation", escalation_queue="minor safety")


def test_undoing_a_lead_s_re_escalation_reopens_the_first_escalation(store, floor, policy):
    """A store whose escalation queue escalated before that was refused: the lead's undo keeps both facts."""
    store.db.execute("INSERT INTO escalation_routes (queue_id, escalation_queue_id, position) VALUES (?, ?, 0)",
                     [store.queue("lead escalations").id, store.queue("minor safety").id])
    desk = ReviewDesk(policy)
    item_id, _ = _escalated(store, desk, floor["ana"])
    first = escalations.latest(store, item_id)
    opened = desk.take(store, floor["lee"], item_id)
    made, _ = desk.decide(store, floor["lee"], item_id, "escalate", note="needs minor safety", claim=opened.claim,
                          escalate_to="minor safety")
    assert escalations.latest(store, item_id).sent_to == "minor safety"
    again = desk.undo(store, floor["lee"], made.id)
    assert again.item.queue_name == "lead escalations"
    reopened = escalations.latest(store, item_id)
    assert (reopened.id, reopened.outcome) == (first.id, None)
    assert [w.escalation.id for w in escalations.waiting(store, "lee")] == [first.id]


# -------------------------------------------------- before schema m012
def test_escalations_made_before_m012_keep_who_why_and_where_from(tmp_path):
    path = tmp_path / "old.db"
    db = connect(path)
    review_migrations.apply(db, stop_before="m012_escalations")
    db.execute("BEGIN")  # events are appended inside a write transaction
    at = "2026-01-05T09:00:00.000Z"
    db.execute("INSERT INTO users (name, display_name, roles, created_at) VALUES ('ana', 'Ana', 'moderator', ?)",
               [at])
    db.execute("INSERT INTO queues (name, kind, sla_seconds, created_at) VALUES ('esc', 'escalation', 3600, 'x')")
    db.execute("INSERT INTO queues (name, kind, escalation_queue_id, created_at) VALUES ('spam', 'review', 1, 'x')")
    for n, external_id in enumerate(("waiting", "decided", "undone"), 1):
        db.execute("INSERT INTO items (external_id, queue_id, kind, received_at, due_at, created_at)"
                   " VALUES (?, ?, 'text', ?, '2026-01-06T08:00:00.000Z', ?)",
                   [external_id, 1 if external_id == "waiting" else 2, RECEIVED, at])
        db.execute("INSERT INTO decisions (item_id, user_id, queue_id, action, labels, note, decided_at,"
                   " revealed_ms, client_version, source) VALUES (?, 1, 2, 'escalate', '[]', 'under 13?', ?, 0,"
                   " 'veil 0', 'review')", [n, at])
        event_log.append(db, at=at, actor="ana", kind="decision.made", subject=f"item:{n}",
                         payload={"decision": n, "escalated": True})
    db.execute("UPDATE items SET state = 'decided' WHERE external_id = 'decided'")
    db.conn.commit()
    db.close()
    with wiring.open_store(path) as upgraded:
        people(upgraded, lee="lead")
        [waiting] = escalations.waiting(upgraded, "lee")
        assert waiting.external_id == "waiting" and waiting.escalation is not None
        assert (waiting.escalation.escalated_by, waiting.escalation.reason, waiting.escalation.origin) == (
            "ana", "under 13?", "spam")
        assert waiting.since == at
        assert upgraded.db.execute("SELECT item_id, due_before FROM escalations").fetchall() == [
            (1, "2026-01-06T08:00:00.000Z")]


# ------------------------------------------------------------- queue health
def test_an_escalation_queue_s_oldest_is_when_it_was_escalated(store, floor, policy, clock):
    clock.advance(600)
    _escalated(store, ReviewDesk(policy), floor["ana"])
    health = {h.queue.name: h for h in store.queue_health()}
    assert health["lead escalations"].oldest_received_at == "2026-01-05T09:10:00.000Z"


# ---------------------------------------------------------- pages are told
def test_send_back_and_move_tell_the_pages_that_items_changed(store, floor, policy):
    desk = ReviewDesk(policy)
    item_id, _ = _escalated(store, desk, floor["ana"])
    store.take_changes()
    desk.move(store, floor["lee"], item_id, "minor safety")
    assert "item" in store.take_changes()
    desk.send_back(store, floor["lee"], item_id, "adult")
    assert "item" in store.take_changes()
