"""My recent decisions and correction requests (issue 14 §1): asked by the decider, declined or corrected by a lead."""

from __future__ import annotations

import pytest
from builders import behind_veils_back, decided_item, events, people, text_item

from review import corrections, taxonomy
from review import people as people_admin
from review.corrections import CorrectionRefused
from review.desk import ReviewDesk
from review.errors import NotAllowed
from review.store import decisions as decision_rows
from review.store import hashes

POLICY = taxonomy.load()


@pytest.fixture
def floor(store):
    """ana and ben (moderators), lee and max (leads); ana removed spam1 and passed ok1 (past decisions)."""
    people(store, ana="moderator", ben="moderator", lee="lead", max="lead")
    store.add_queue("escalations", "escalation")
    store.add_queue("spam", escalation_queue="escalations")
    removed = decided_item(store, "spam", "ana", decided_at="2026-01-04T08:00:00.000Z", action="remove",
                           labels=["spam"], external_id="spam1", text="buy cheap pills now")
    passed = decided_item(store, "spam", "ana", decided_at="2026-01-04T09:00:00.000Z", external_id="ok1",
                          text="hello friends")
    return removed, passed


def _verify(store) -> tuple[str, ...]:
    from desktop import wiring
    from review.store import integrity
    from review.store.schema import migrations

    return integrity.check(store.db, [migrations, *wiring.migration_sets()], escalating={"escalate"}).problems


def test_my_decisions_lists_only_my_own_newest_first_with_an_excerpt(store, floor):
    removed, passed = floor
    decided_item(store, "spam", "ben", decided_at="2026-01-04T10:00:00.000Z", external_id="bens")
    mine = corrections.my_decisions(store, "ana")
    assert [(d.id, d.external_id, d.action, d.labels, d.state) for d in mine] == [
        (passed, "ok1", "no_violation", (), "stands"), (removed, "spam1", "remove", ("spam",), "stands")]
    assert mine[1].excerpt == "buy cheap pills now" and not mine[1].has_media
    assert corrections.my_decisions(store, "ana", limit=1)[0].id == passed


def test_the_audit_hook_marks_what_qa_audited_and_never_an_open_sample(store, floor):
    removed, passed = floor
    mine = corrections.my_decisions(store, "ana", audit_states=lambda _store, ids: {removed: "audited",
                                                                                     passed: "open"})
    assert {d.external_id: d.audited for d in mine} == {"spam1": True, "ok1": False}  # "open" stays QA's


@pytest.mark.parametrize(("limit", "listed"), [(-1, 1), (0, 1), (1, 1), (10_000, 2)])
def test_the_limit_is_clamped_to_one_to_fifty(store, floor, limit, listed):
    assert len(corrections.my_decisions(store, "ana", limit=limit)) == listed


def test_an_auditor_has_no_decisions_to_list(store, floor):
    people(store, dana="auditor")
    with pytest.raises(NotAllowed):
        corrections.my_decisions(store, "dana")


def test_a_request_needs_a_reason_of_at_most_1000_characters_and_is_one_event(store, floor):
    removed, _ = floor
    with pytest.raises(CorrectionRefused, match="required"):
        corrections.request(store, "ana", removed, "   ")
    with pytest.raises(CorrectionRefused, match="1,000"):
        corrections.request(store, "ana", removed, "x" * 1001)
    asked = corrections.request(store, "ana", removed, "  It was a joke between friends, not spam.  ")
    assert (asked.reason, asked.requested_by, asked.outcome) == (
        "It was a joke between friends, not spam.", "ana", None)
    [event] = events(store, "decision.correction_requested")
    assert event.actor == "ana" and event.payload["decision"] == removed and "reason" not in event.payload
    assert corrections.my_decisions(store, "ana")[1].open_request == asked


def test_one_open_request_per_decision_and_only_for_my_own(store, floor):
    removed, _ = floor
    corrections.request(store, "ana", removed, "wrong label")
    with pytest.raises(CorrectionRefused, match="already open"):
        corrections.request(store, "ana", removed, "again")
    with pytest.raises(NotAllowed, match="made a decision"):
        corrections.request(store, "ben", removed, "not mine")
    assert len(events(store, "decision.correction_requested")) == 1


def test_only_leads_see_and_answer_requests(store, floor):
    removed, _ = floor
    asked = corrections.request(store, "ana", removed, "wrong")
    for refused in (lambda: corrections.open_requests(store, "ben"),
                    lambda: corrections.decline(store, "ana", asked.id, "no"),
                    lambda: corrections.correct(store, POLICY, "ben", asked.id, "no_violation")):
        with pytest.raises(NotAllowed):
            refused()
    assert [r.id for r in corrections.open_requests(store, "lee")] == [asked.id]


def test_a_declined_request_says_why_to_the_moderator_and_may_be_asked_again(store, floor):
    removed, _ = floor
    asked = corrections.request(store, "ana", removed, "wrong")
    with pytest.raises(CorrectionRefused, match="required"):
        corrections.decline(store, "lee", asked.id, "")
    declined = corrections.decline(store, "lee", asked.id, "Selling pills is spam under 4.2.")
    assert (declined.outcome, declined.ended_by, declined.outcome_note) == (
        "declined", "lee", "Selling pills is spam under 4.2.")
    [listed] = [d for d in corrections.my_decisions(store, "ana") if d.id == removed]
    assert listed.requests == (declined,) and listed.open_request is None and listed.state == "stands"
    assert corrections.open_requests(store, "lee") == []
    with pytest.raises(CorrectionRefused, match="already declined"):
        corrections.decline(store, "max", asked.id, "twice")
    corrections.request(store, "ana", removed, "new facts: the account was hacked")
    assert len(events(store, "decision.correction_declined")) == 1
    assert _verify(store) == ()


def test_a_correction_is_the_items_decision_and_the_original_stays_live(store, floor):
    removed, _ = floor
    item_id = store.db.execute("SELECT item_id FROM decisions WHERE id = ?", [removed]).fetchone()[0]
    asked = corrections.request(store, "ana", removed, "not spam")
    with pytest.raises(CorrectionRefused, match="already made"):
        corrections.correct(store, POLICY, "lee", asked.id, "remove", ["spam"])
    with pytest.raises(CorrectionRefused, match="decides the item"):
        corrections.correct(store, POLICY, "lee", asked.id, "escalate", note="why")
    done = corrections.correct(store, POLICY, "lee", asked.id, "no_violation", note="A joke among friends.")
    assert done.outcome == "corrected" and done.correction_id is not None
    assert decision_rows.current_id(store, item_id) == done.correction_id
    assert store.db.execute("SELECT state FROM items WHERE id = ?", [item_id]).fetchone()[0] == "decided"
    history = store.db.execute("SELECT action, source, revokes_id FROM decisions WHERE item_id = ? ORDER BY id",
                               [item_id]).fetchall()
    # as a complaint's reversal: nothing revoked, so QA, gold and the SLA of its period keep the original
    assert [tuple(r) for r in history] == [("remove", "import", None), ("no_violation", "correction", None)]
    assert events(store, "decision.revoked") == []
    assert [d.state for d in corrections.my_decisions(store, "ana") if d.id == removed] == ["corrected by a lead"]
    assert [e.kind for e in events(store) if e.kind.startswith("decision.correct")] == [
        "decision.correction_requested", "decision.corrected"]
    with pytest.raises(CorrectionRefused, match="already corrected"):
        corrections.correct(store, POLICY, "max", asked.id, "no_violation")
    assert _verify(store) == ()


def test_seen_before_counts_a_corrected_item_once_by_its_correction(store, floor):
    removed, _ = floor
    item_id = store.db.execute("SELECT item_id FROM decisions WHERE id = ?", [removed]).fetchone()[0]
    corrections.correct(store, POLICY, "lee", corrections.request(store, "ana", removed, "not spam").id,
                        "no_violation")
    assert hashes.current_actions(store, [item_id]) == {item_id: "no_violation"}  # what "Seen before" reads


def test_a_corrected_decision_keeps_its_gold_score(store, floor):
    from audit import gold
    from audit.store import reports

    item_id = text_item(store, "spam", external_id="g1")
    gold.add_gold(store, store.user("lee"), item_id, "remove", ["spam"], taxonomy=POLICY)
    desk = ReviewDesk(POLICY, after_decision=(gold.after_decision,))
    shown = desk.claim(store, store.user("ana"), ["spam"], [])
    made, _ = desk.decide(store, store.user("ana"), shown.item.id, "no_violation", [], "", None, 0,
                          claim=shown.claim)
    assert [(r[0], r[-1]) for r in reports.gold_scored(store, None, None)] == [(made.id, 0)]
    asked = corrections.request(store, "ana", made.id, "it was spam")
    corrections.correct(store, POLICY, "lee", asked.id, "remove", ["spam"])
    assert [(r[0], r[-1]) for r in reports.gold_scored(store, None, None)] == [(made.id, 0)]  # the miss stays


def test_a_correction_that_does_not_replace_its_decision_is_found(store, floor):
    removed, passed = floor
    asked = corrections.request(store, "ana", removed, "not spam")
    done = corrections.correct(store, POLICY, "lee", asked.id, "no_violation")
    with behind_veils_back(store, "correction_outcomes_no_update") as conn:
        conn.execute("UPDATE correction_outcomes SET decision_id = ? WHERE request_id = ?", [passed, asked.id])
    assert any(f"decision {passed} is not a correction" in p for p in _verify(store)), done


def test_a_decision_a_complaint_reversed_is_superseded_and_cannot_be_asked_about(store, floor, tmp_path):
    import json

    from review import complaints, serving
    from review.imports.manifest import import_manifest

    removed, _ = floor
    manifest = tmp_path / "complaints.jsonl"
    manifest.write_text(json.dumps({"id": "c-1", "queue": "complaints", "text": "A joke", "complaint_of": "spam1",
                                    "received_at": "2026-01-05T08:00:00Z"}) + "\n")
    assert import_manifest(store, manifest, actor="lee", create_queues=True).committed
    complaint = store.db.execute("SELECT id FROM items WHERE external_id = 'c-1'").fetchone()[0]
    lease = serving.claim_next(store, store.user("ben"), ["complaints"])
    complaints.resolve(store, POLICY, "ben", complaint, claim=lease.claim, outcome="reversed", action="no_violation",
                       note="Not spam")
    [listed] = [d for d in corrections.my_decisions(store, "ana") if d.id == removed]
    assert listed.state == "superseded" and not listed.may_ask
    with pytest.raises(CorrectionRefused, match="no longer stands"):
        corrections.request(store, "ana", removed, "please")


def test_a_lead_limited_to_other_queues_neither_sees_nor_answers_a_request(store, floor):
    removed, passed = floor
    store.add_queue("hate")
    first = corrections.request(store, "ana", removed, "not spam")
    second = corrections.request(store, "ana", passed, "spam after all")
    people_admin.set_queues(store, "max", "lee", ["hate"])
    assert corrections.open_requests(store, "lee") == []
    assert [r.id for r in corrections.open_requests(store, "max")] == [first.id, second.id]
    with pytest.raises(NotAllowed, match="queue limit"):
        corrections.correct(store, POLICY, "lee", first.id, "no_violation")
    with pytest.raises(NotAllowed, match="queue limit"):
        corrections.decline(store, "lee", second.id, "It stands.")
    with pytest.raises(NotAllowed, match="queue limit"):
        corrections.item_for(store, "lee", removed)
    assert corrections.open_requests(store, "max") != [] and _verify(store) == ()
    people_admin.set_queues(store, "max", "lee", ["spam"])
    corrections.correct(store, POLICY, "lee", first.id, "no_violation")


def test_a_lead_does_not_answer_a_request_about_their_own_decision(store, floor):
    decision = decided_item(store, "spam", "lee", decided_at="2026-01-04T11:00:00.000Z", external_id="lees")
    asked = corrections.request(store, "lee", decision, "I misread it")
    with pytest.raises(CorrectionRefused, match="another lead"):
        corrections.decline(store, "lee", asked.id, "no")
    corrections.decline(store, "max", asked.id, "It stands.")


def test_a_decision_that_no_longer_stands_or_waits_for_a_lead_cannot_be_corrected(store, floor):
    removed, _ = floor
    asked = corrections.request(store, "ana", removed, "wrong")
    corrections.correct(store, POLICY, "lee", asked.id, "no_violation")
    with pytest.raises(CorrectionRefused, match="no longer stands"):
        corrections.request(store, "ana", removed, "again")
    desk = ReviewDesk(POLICY)
    text_item(store, "spam", external_id="hard")
    shown = desk.claim(store, store.user("ana"), ["spam"], [])
    made, _ = desk.decide(store, store.user("ana"), shown.item.id, "escalate", [], "unsure", None, 0,
                          claim=shown.claim)
    with pytest.raises(CorrectionRefused, match="sent the item to a lead"):
        corrections.request(store, "ana", made.id, "please")


def test_a_request_edited_behind_verifys_back_is_found(store, floor):
    removed, _ = floor
    asked = corrections.request(store, "ana", removed, "wrong")
    with behind_veils_back(store, "correction_requests_no_update") as conn:
        conn.execute("UPDATE correction_requests SET reason = 'forged' WHERE id = ?", [asked.id])
    assert any(f"correction request {asked.id}" in p and "reason_sha256" in p for p in _verify(store))


def test_the_item_opens_for_its_decider_and_for_leads_only(store, floor):
    removed, _ = floor
    assert corrections.item_for(store, "ana", removed).external_id == "spam1"
    assert corrections.item_for(store, "lee", removed).external_id == "spam1"
    with pytest.raises(NotAllowed):
        corrections.item_for(store, "ben", removed)


def test_a_corrected_decision_keeps_its_qa_sample_and_its_periods_sla(store, floor):
    """QA and the SLA keep the original a correction replaced (audit.store.schema ANSWERED)."""
    from audit import audits, sampling
    from audit.store import activity, reports

    removed, _ = floor
    people(store, dana="auditor")
    sample = sampling.add_sample(store, "lee", removed)
    before = (reports.sla_by_queue(store, None, None), activity.sla_by_person(store, None, None))
    asked = corrections.request(store, "ana", removed, "not spam")
    corrections.correct(store, POLICY, "lee", asked.id, "no_violation")
    assert (reports.sla_by_queue(store, None, None), activity.sla_by_person(store, None, None)) == before
    audits.start_audit(store, store.user("dana"), sample.id)  # not "undone after it was sampled"
    assert store.db.execute("SELECT state FROM audit_samples WHERE id = ?", [sample.id]).fetchone()[0] == "open"
