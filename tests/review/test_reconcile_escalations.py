"""``veil verify`` sees escalations changed behind Veil's back (issue 13 §2, review finding 6).

Every escalation row and every route is matched with the events that made
it: the escalating ``decision.made``, the decision that ended it, the
lead's send-back, the undo, queue admin's move out, and the last
``queue.escalation_set``. A row edited, replaced or inserted by hand, a
route deleted or pointed at a queue of another kind, is a problem.
"""

from __future__ import annotations

import sqlite3

import pytest
from builders import people, text_item

from review import admin, taxonomy
from review.admin import Selection
from review.desk import ReviewDesk
from review.store.reconcile_escalations import escalation_problems


@pytest.fixture
def worked(store):
    """Four items escalated from spam: one decided by lee, one sent back, one moved, one moved out by queue
    admin; one undone by ana; one still waiting. Every way an escalation lives and ends."""
    people(store, ana="moderator", lee="lead")
    store.add_queue("lead escalations", "escalation", sla_seconds=8 * 3600)
    store.add_queue("minor safety", "escalation", sla_seconds=3600)
    store.add_queue("spam", sla_seconds=24 * 3600, escalation_queue="lead escalations")
    store.add_queue("qa", "audit")
    admin.set_escalation(store, "lee", "spam", ["lead escalations", "minor safety"])
    admin.rename_queue(store, "lee", "minor safety", "child safety")
    for n in range(6):
        text_item(store, "spam", external_id=f"p{n}")
    desk = ReviewDesk(taxonomy.load())
    ana, lee = store.user("ana"), store.user("lee")
    escalated = []
    for _ in range(6):
        shown = desk.claim(store, ana)
        made, _ = desk.decide(store, ana, shown.item.id, "escalate", note="under 13?", claim=shown.claim)
        escalated.append((shown.item.id, made.id))
    opened = desk.take(store, lee, escalated[0][0])
    desk.decide(store, lee, escalated[0][0], "no_violation", claim=opened.claim)
    desk.send_back(store, lee, escalated[1][0], "adult: decide on spam")
    desk.move(store, lee, escalated[2][0], "child safety")
    desk.undo(store, ana, escalated[5][1])
    return store, escalated


def _row(store, n):
    return store.db.execute("SELECT id FROM escalations ORDER BY id LIMIT 1 OFFSET ?", [n]).fetchone()[0]


def test_an_untouched_store_has_no_escalation_problems(worked):
    store, escalated = worked
    admin.move(store, "lee", Selection(queues=("lead escalations",)), "spam")  # moved out: ends the open ones
    assert escalation_problems(store.db) == []


def test_an_edited_outcome_is_a_problem(worked):
    store, _ = worked
    store.db.execute("UPDATE escalations SET outcome = 'decided' WHERE id = ?", [_row(store, 1)])
    assert any(f"escalation {_row(store, 1)}" in p and "sent_back" in p for p in escalation_problems(store.db))


def test_an_escalation_closed_or_reopened_by_hand_is_a_problem(worked):
    store, _ = worked
    store.db.execute("UPDATE escalations SET closed_at = NULL, closed_by = NULL, outcome = NULL WHERE id = ?",
                     [_row(store, 0)])
    store.db.execute("UPDATE escalations SET closed_at = '2026-01-05T09:00:00.000Z', closed_by = 2,"
                     " outcome = 'undone' WHERE id = ?", [_row(store, 3)])
    found = escalation_problems(store.db)
    assert any(f"escalation {_row(store, 0)}" in p for p in found)
    assert any(f"escalation {_row(store, 3)}" in p for p in found)


def test_an_edited_send_back_note_is_a_problem(worked):
    store, _ = worked
    store.db.execute("UPDATE escalations SET outcome_note = 'ignore it' WHERE id = ?", [_row(store, 1)])
    assert any("note" in p and f"escalation {_row(store, 1)}" in p for p in escalation_problems(store.db))


def test_insert_or_replace_is_refused_and_without_its_guards_a_problem(worked, tmp_path):
    store, _ = worked
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute("INSERT OR REPLACE INTO escalations (id, item_id, decision_id, sent_to_id, due_before)"
                         " SELECT id, item_id, decision_id, ?, due_before FROM escalations WHERE id = ?",
                         [store.queue("spam").id, _row(store, 3)])
    with pytest.raises(sqlite3.IntegrityError):  # a second open escalation of one item
        store.db.execute("INSERT INTO escalations (item_id, decision_id, sent_to_id, due_before)"
                         " SELECT item_id, decision_id + 1000, sent_to_id, due_before FROM escalations WHERE id = ?",
                         [_row(store, 3)])
    for trigger in ("escalations_no_replace", "escalations_no_delete", "escalations_facts_fixed"):
        store.db.execute(f"DROP TRIGGER {trigger}")
    store.db.conn.execute("PRAGMA recursive_triggers = OFF")
    store.db.execute("INSERT OR REPLACE INTO escalations (id, item_id, decision_id, sent_to_id, due_before)"
                     " SELECT id, item_id, decision_id, ?, due_before FROM escalations WHERE id = ?",
                     [store.queue("child safety").id, _row(store, 3)])
    assert any(f"escalation {_row(store, 3)}" in p and "child safety" in p for p in escalation_problems(store.db))


def test_an_escalation_without_its_event_is_a_problem(worked):
    store, escalated = worked
    item_id = escalated[4][0]
    lead_s = store.db.execute("SELECT id FROM decisions WHERE action = 'no_violation'").fetchone()[0]
    store.db.execute("INSERT INTO escalations (item_id, decision_id, sent_to_id, due_before, closed_at, closed_by,"
                     " outcome) VALUES (?, ?, ?, 'x', 'y', 2, 'undone')",
                     [item_id, lead_s, store.queue("lead escalations").id])
    assert any("no decision.made event" in p for p in escalation_problems(store.db))


def test_a_deleted_route_is_a_problem(worked):
    store, _ = worked
    store.db.execute("DELETE FROM escalation_routes WHERE escalation_queue_id = ?", [store.queue("child safety").id])
    assert any("spam" in p and "child safety" in p for p in escalation_problems(store.db))


def test_a_route_to_the_audit_queue_is_a_problem(worked):
    store, _ = worked
    store.db.execute("INSERT INTO escalation_routes (queue_id, escalation_queue_id, position) VALUES (?, ?, 9)",
                     [store.queue("spam").id, store.queue("qa").id])
    found = escalation_problems(store.db)
    assert any("“qa”" in p and "audit" in p for p in found)
