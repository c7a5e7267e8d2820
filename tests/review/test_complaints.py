"""Complaints against decisions (issue 21 §6, DSA Art. 20): imported like items, never served to the person who
made the decision complained of, ended upheld or reversed with one event each, and ``veil verify`` stays clean."""

from __future__ import annotations

import json

import pytest
from builders import behind_veils_back, decided_item, events, people

from desktop import wiring
from review import complaints, serving, taxonomy
from review.decisions import DecisionError
from review.errors import NotAllowed, StoreConflict
from review.imports.manifest import import_manifest
from review.store import integrity
from review.store.schema import migrations as review_migrations

POLICY = taxonomy.load()


@pytest.fixture
def floor(store):
    """lee (lead), ana and ben (moderators); ana removed "post-1" (harassment) in "reports"."""
    people(store, lee="lead", ana="moderator", ben="moderator")
    store.add_queue("reports")
    decision = decided_item(store, "reports", "ana", decided_at="2026-01-04T10:00:00Z", action="remove",
                            labels=["harassment"], external_id="post-1")
    return decision


def _import(store, tmp_path, *rows, **options):
    manifest = tmp_path / "complaints.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return import_manifest(store, manifest, actor="lee", create_queues=True, **options)


def _complaint(store, tmp_path, external_id="c-1", of="post-1"):
    result = _import(store, tmp_path, {"id": external_id, "queue": "complaints", "text": "A joke between friends",
                                       "complaint_of": of, "received_at": "2026-01-05T08:00:00Z"})
    assert result.committed, result.rejected
    return store.db.execute("SELECT id FROM items WHERE external_id = ?", [external_id]).fetchone()[0]


def test_an_imported_complaint_names_the_decision_it_is_against(store, floor, tmp_path):
    item_id = _complaint(store, tmp_path)
    found = complaints.against(store, item_id)
    assert (found.original_external_id, found.decision_id, found.action, found.labels, found.outcome) == (
        "post-1", floor, "remove", ("harassment",), None)
    assert serving.load_item(store, item_id).metadata["complaint_of"] == "post-1"


@pytest.mark.parametrize(("of", "why"), [
    ("nothing-here", "no item has that id"),
    ("waiting", "no decision yet"),
    ("twice", "names 2 decided items"),
])
def test_a_complaint_that_names_no_single_decision_is_a_problem_of_its_line(store, floor, tmp_path, of, why):
    store.add_queue("other")
    _import(store, tmp_path, {"id": "waiting", "queue": "reports", "text": "not decided"})
    decided_item(store, "reports", "ana", decided_at="2026-01-04T10:00:00Z", external_id="twice")
    decided_item(store, "other", "ana", decided_at="2026-01-04T10:00:00Z", external_id="twice")
    result = _import(store, tmp_path, {"id": "c-1", "queue": "complaints", "text": "unfair", "complaint_of": of})
    assert not result.committed
    assert why in result.rejected[0][0].reason
    assert store.db.execute("SELECT COUNT(*) FROM complaints").fetchone()[0] == 0


def test_the_store_refuses_a_complaint_against_nothing_whoever_inserts_it(store, floor):
    queue = store.add_queue("complaints")
    with pytest.raises(StoreConflict, match="complaint must name a decided item"):
        store.add_items([{"external_id": "c-9", "queue_id": queue.id, "kind": "text", "text": "x",
                          "received_at": "2026-01-05T08:00:00Z", "metadata": {"complaint_of": "nope"}}])


def test_a_complaint_is_never_served_to_the_person_who_made_the_decision(store, floor, tmp_path):
    item_id = _complaint(store, tmp_path)
    assert serving.peek_next(store, store.user("ana")) is None
    assert serving.claim_next(store, store.user("ana")) is None
    lease = serving.claim_next(store, store.user("ben"))
    assert lease.item.id == item_id


def test_upheld_the_decision_stands_and_one_event_says_so(store, floor, tmp_path):
    item_id = _complaint(store, tmp_path)
    lease = serving.claim_next(store, store.user("ben"))
    with pytest.raises(DecisionError, match="note"):
        complaints.resolve(store, POLICY, "ben", item_id, claim=lease.claim, outcome="upheld", note=" ")
    ended = complaints.resolve(store, POLICY, "ben", item_id, claim=lease.claim, outcome="upheld",
                               note="Targeted insults; the removal stands")
    assert ended.reversal_id is None
    assert complaints.against(store, item_id).outcome == "upheld"
    (event,) = events(store, "complaint.upheld")
    assert event.actor == "ben" and event.payload["decision"] == floor and event.payload["action"] == "remove"
    assert not events(store, "complaint.reversed")
    with pytest.raises(DecisionError, match="already upheld"):
        complaints.resolve(store, POLICY, "ben", item_id, claim=lease.claim, outcome="reversed", action="no_violation",
                           note="again")
    assert integrity.check(store.db, [review_migrations, *wiring.migration_sets()], escalating={"escalate"}
                           ).problems == ()


def test_reversed_a_new_decision_replaces_the_original(store, floor, tmp_path):
    item_id = _complaint(store, tmp_path)
    lease = serving.claim_next(store, store.user("lee"))
    with pytest.raises(DecisionError, match="uphold it instead"):
        complaints.resolve(store, POLICY, "lee", item_id, claim=lease.claim, outcome="reversed", action="remove",
                           labels=["harassment"], note="same")
    ended = complaints.resolve(store, POLICY, "lee", item_id, claim=lease.claim, outcome="reversed",
                               action="no_violation", note="Banter between friends, not harassment")
    original = complaints.against(store, item_id).original_item_id
    current = store.db.execute(
        "SELECT id, action, source FROM decisions WHERE item_id = ? ORDER BY id DESC LIMIT 1", [original]).fetchone()
    assert current == (ended.reversal_id, "no_violation", "complaint")
    (event,) = events(store, "complaint.reversed")
    assert event.payload["reversal"] == ended.reversal_id and event.payload["decision"] == floor
    assert integrity.check(store.db, [review_migrations, *wiring.migration_sets()], escalating={"escalate"}
                           ).problems == ()


def test_the_person_who_made_the_decision_cannot_end_the_complaint(store, floor, tmp_path):
    """Even holding it (here: a lease handed over behind serving's back), ana is refused when she ends it."""
    item_id = _complaint(store, tmp_path)
    lease = serving.claim_next(store, store.user("ben"))
    with store.transaction():
        store.db.execute("UPDATE leases SET user_id = ? WHERE item_id = ?", [store.user("ana").id, item_id])
    with pytest.raises(NotAllowed, match="someone else decides it"):
        complaints.resolve(store, POLICY, "ana", item_id, claim=lease.claim, outcome="reversed",
                           action="no_violation", note="I was wrong")
    assert complaints.against(store, item_id).outcome is None


def test_ending_a_complaint_is_no_statement_of_reasons_its_reversal_is(store, floor, tmp_path):
    """The complaint's own item is a request, not content: closing it restricts nobody (issue 21 §6 with §3)."""
    from audit.store import statements as statement_rows

    item_id = _complaint(store, tmp_path)
    lease = serving.claim_next(store, store.user("lee"))
    ended = complaints.resolve(store, POLICY, "lee", item_id, claim=lease.claim, outcome="reversed",
                               action="no_violation", note="Banter between friends, not harassment")
    listed = {facts.id for facts in statement_rows.decisions_between(store, "2026-01-01", "2100-01-01")}
    closing = store.db.execute("SELECT id FROM decisions WHERE item_id = ?", [item_id]).fetchall()
    assert ended.reversal_id in listed and floor in listed
    assert not listed & {row[0] for row in closing}


def test_a_complaint_is_not_ended_by_an_ordinary_decision_nor_escalated(store, floor, tmp_path):
    """decide() on a complaint would close it with no outcome, leaving it open forever; escalating it would hand
    it to a lead queue, where the person complained of may take it."""
    from review import decisions

    item_id = _complaint(store, tmp_path)
    lease = serving.claim_next(store, store.user("ben"))
    for action, note in (("no_violation", ""), ("remove", ""), ("escalate", "a lead should see this")):
        with pytest.raises(DecisionError, match="end it with Uphold or Reverse"):
            decisions.decide(store, POLICY, store.user("ben"), item_id, claim=lease.claim, action=action, note=note)
    assert store.db.execute("SELECT state FROM items WHERE id = ?", [item_id]).fetchone()[0] == "pending"
    assert store.db.execute("SELECT COUNT(*) FROM decisions WHERE item_id = ?", [item_id]).fetchone()[0] == 0
    assert complaints.against(store, item_id).outcome is None
    complaints.resolve(store, POLICY, "ben", item_id, claim=lease.claim, outcome="upheld", note="stands")


@pytest.mark.parametrize("outcome", ["upheld", "reversed"])
def test_a_complaints_ending_cannot_be_undone(store, floor, tmp_path, outcome):
    from review import decisions

    item_id = _complaint(store, tmp_path)
    lease = serving.claim_next(store, store.user("ben"))
    ended = complaints.resolve(store, POLICY, "ben", item_id, claim=lease.claim, outcome=outcome,
                               action="no_violation" if outcome == "reversed" else None, note="Banter")
    for decision_id in filter(None, (ended.resolution_id, ended.reversal_id)):
        with pytest.raises(DecisionError, match="a complaint's ending is final"):
            decisions.undo(store, store.user("ben"), decision_id)
    assert store.db.execute("SELECT COUNT(*) FROM decisions WHERE revokes_id IS NOT NULL").fetchone()[0] == 0
    assert store.db.execute("SELECT state FROM items WHERE id = ?", [item_id]).fetchone()[0] == "decided"
    assert complaints.against(store, item_id).outcome == outcome


def test_verify_reports_a_complaint_ended_or_reopened_behind_veils_back(store, floor, tmp_path):
    from review.store import reconcile_dsa

    first, second = _complaint(store, tmp_path, "c-1"), _complaint(store, tmp_path, "c-2")
    lease = serving.claim_next(store, store.user("ben"))
    ended = complaints.resolve(store, POLICY, "ben", lease.item.id, claim=lease.claim, outcome="upheld",
                               note="stands")
    (event,) = events(store, "complaint.upheld")
    assert event.payload["resolved_at"] == ended.resolved_at  # what the check compares
    assert list(reconcile_dsa.complaint_problems(store.db)) == []
    other = second if lease.item.id == first else first
    with store.transaction():  # ended by hand: no event says so
        store.db.execute("UPDATE complaints SET outcome = 'upheld', resolved_at = ?, resolution_id = ? "
                         "WHERE item_id = ?", [store.now(), ended.resolution_id, other])
    with behind_veils_back(store, "complaints_end_once") as conn:  # reopened, past the trigger that refuses it
        conn.execute("UPDATE complaints SET outcome = NULL, resolved_at = NULL, resolution_id = NULL"
                     " WHERE item_id = ?", [lease.item.id])
    found = list(reconcile_dsa.complaint_problems(store.db))
    assert any("no complaint." in p and "ended it" in p for p in found), found
    assert any("is open" in p and "complaint.upheld" in p for p in found), found
    assert len(found) == 2
