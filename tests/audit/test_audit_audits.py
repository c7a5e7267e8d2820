"""Blind audits (order, roles, claims, finality), the rubric, and gold-item scoring."""

from __future__ import annotations

import dataclasses

import pytest
from builders import people, sql_as_veil, text_item, text_items

from audit import audits, gold, sampling
from audit.audits import AuditError, BlindStepError
from audit.store import atomically
from audit.store import audits as audit_rows
from audit.store import samples as sample_rows
from review import decisions, serving, taxonomy
from review.errors import NotAllowed, StoreConflict
from review.store import Refused


@pytest.fixture
def team(store):
    return people(store, ana="moderator", ben=["moderator", "auditor"], cat="auditor", dan="auditor", lee="lead")


@pytest.fixture
def queue(store):
    return store.add_queue("spam")


def _decisions(store, queue, users, action="remove", labels=("harassment",)):
    """One past decision by each of *users*, on items "post 0", "post 1", … (the text the auditor is shown)."""
    items = text_items(store, queue, len(users), text=[f"post {n}" for n in range(len(users))])
    return [decisions.record_past_decision(store, item_id=i, user=u, action=action, labels=list(labels),
                                           decided_at="2026-01-02T10:00:00Z", handle_ms=4000)
            for i, u in zip(items, users)]


@pytest.fixture
def sample(store, team, queue):
    """An open sample of ana's decision, in the shared pool."""
    decision_id = _decisions(store, queue, ["ana"])[0]
    return sampling.add_sample(store, "lee", decision_id)


def _blind(store, who, sample_id, action="remove", labels=("harassment",)):
    audits.start_audit(store, who, sample_id)
    return audits.submit_blind(store, who, sample_id, action, list(labels))


# ------------------------------------------------------------- blind order
def test_start_shows_the_item_and_not_the_decision(store, sample):
    task = audits.start_audit(store, "cat", sample.id)
    assert task.item.text == "post 0" and not task.blind_done
    fields = {f.name for f in dataclasses.fields(task)}
    assert not fields & {"action", "labels", "moderator", "decision_id", "note", "reason"}
    listed = audits.work_list(store, "cat")[0]
    assert listed.auditor == "cat" and listed.moderator is None and listed.reason is None  # blinded rows
    assert sampling.samples(store)[0].moderator == "ana"  # the lead's overview names them


def test_the_blind_step_cannot_be_skipped(store, sample):
    audits.start_audit(store, "cat", sample.id)
    with pytest.raises(BlindStepError):
        audits.reveal_original(store, "cat", sample.id)
    with pytest.raises(BlindStepError):
        audits.score(store, "cat", sample.id, "correct")
    audits.submit_blind(store, "cat", sample.id, "no_violation", [])
    with pytest.raises(BlindStepError, match="see the moderator"):
        audits.score(store, "cat", sample.id, "correct")
    original = audits.reveal_original(store, "cat", sample.id)
    assert (original.moderator, original.action, original.labels) == ("ana", "remove", ("harassment",))
    assert (original.blind_action, original.agrees) == ("no_violation", False)
    scored = audits.score(store, "cat", sample.id, "incorrect", "missed_violation", "major", "it is abuse")
    assert scored.score == 40.0
    assert sampling.samples(store)[0].state == "audited"


def test_blind_without_start_is_refused_and_a_blind_decision_is_final(store, sample):
    with pytest.raises(BlindStepError, match="start"):
        audits.submit_blind(store, "cat", sample.id, "remove", ["harassment"])
    _blind(store, "cat", sample.id)
    with pytest.raises(AuditError, match="already"):
        audits.submit_blind(store, "cat", sample.id, "no_violation", [])
    with pytest.raises(StoreConflict, match="blind"):
        sql_as_veil(store, "UPDATE audits SET blind_action = 'no_violation'")
    with pytest.raises(StoreConflict):
        sql_as_veil(store, "DELETE FROM audits")


def test_a_taxonomy_checks_the_blind_decision(store, sample):
    audits.start_audit(store, "cat", sample.id)
    with pytest.raises(AuditError, match="label"):
        audits.submit_blind(store, "cat", sample.id, "remove", [], taxonomy=taxonomy.load())
    with pytest.raises(AuditError, match="Unknown"):
        audits.submit_blind(store, "cat", sample.id, "zap", [], taxonomy=taxonomy.load())


def test_a_scored_audit_is_final(store, sample):
    _blind(store, "cat", sample.id)
    audits.reveal_original(store, "cat", sample.id)
    audits.score(store, "cat", sample.id, "correct")
    with pytest.raises(AuditError, match="already scored"):
        audits.score(store, "cat", sample.id, "incorrect", "wrong_label", "minor")
    with pytest.raises(StoreConflict, match="final"):
        sql_as_veil(store, "UPDATE audits SET verdict = 'incorrect', error_type = 'procedural', severity = 'minor'")
    with pytest.raises(AuditError):
        audits.start_audit(store, "dan", sample.id)


def test_every_step_is_one_event(store, sample):
    _blind(store, "cat", sample.id)
    audits.reveal_original(store, "cat", sample.id)
    audits.score(store, "cat", sample.id, "correct")
    kinds = [r[0] for r in store.db.execute("SELECT kind FROM events WHERE kind LIKE 'audit.%' ORDER BY id")]
    assert kinds == ["audit.sampled", "audit.started", "audit.blind", "audit.revealed", "audit.scored"]


# ------------------------------------------------------------ validation
@pytest.mark.parametrize("verdict, error_type, severity", [
    ("correct", "wrong_label", None), ("correct", None, "minor"), ("incorrect", None, "major"),
    ("incorrect", "wrong_label", None), ("incorrect", "typo", "minor"), ("incorrect", "wrong_label", "huge"),
    ("maybe", None, None),
])
def test_score_validation(store, sample, verdict, error_type, severity):
    _blind(store, "cat", sample.id)
    audits.reveal_original(store, "cat", sample.id)
    with pytest.raises(AuditError):
        audits.score(store, "cat", sample.id, verdict, error_type, severity)
    assert sampling.samples(store)[0].state == "open"


# ------------------------------------------------------------------ rubric
@pytest.mark.parametrize("error_type, severity, expected", [
    ("missed_violation", "minor", 70.0), ("missed_violation", "major", 40.0), ("missed_violation", "critical", 0.0),
    ("over_enforcement", "critical", 20.0), ("wrong_action", "major", 70.0), ("wrong_label", "minor", 90.0),
    ("procedural", "critical", 80.0),
])
def test_rubric_default_formula(store, error_type, severity, expected):
    rubric = audits.rubric(store)
    assert rubric.score("incorrect", error_type, severity) == expected
    assert expected == max(0.0, 100 - audits.DEFAULT_ERROR_WEIGHTS[error_type]
                           * audits.DEFAULT_SEVERITY_MULTIPLIERS[severity])
    assert rubric.score("correct", None, None) == 100.0


def test_a_lead_sets_the_rubric_and_past_scores_stay(store, team, queue):
    first, second = (sampling.add_sample(store, "lee", d) for d in _decisions(store, queue, ["ana", "ana"]))
    _blind(store, "cat", first.id)
    audits.reveal_original(store, "cat", first.id)
    assert audits.score(store, "cat", first.id, "incorrect", "wrong_label", "major").score == 80.0
    audits.set_rubric(store, "lee", {"error_types": {"wrong_label": 35}, "severity": {"major": 2}})
    _blind(store, "cat", second.id)
    audits.reveal_original(store, "cat", second.id)
    assert audits.score(store, "cat", second.id, "incorrect", "wrong_label", "major").score == 30.0
    assert store.db.execute("SELECT score FROM audits ORDER BY id").fetchall() == [(80.0,), (30.0,)]
    assert audits.rubric(store).error_types["missed_violation"] == 60.0  # untouched parts keep their value
    with pytest.raises(PermissionError):
        audits.set_rubric(store, "cat", {"severity": {"minor": 1}})
    for bad in ({"severity": {"tiny": 1}}, {"error_types": {"wrong_label": -1}}, {"colours": {}}, {}):
        with pytest.raises(AuditError):
            audits.set_rubric(store, "lee", bad)


# -------------------------------------------------------------- self-audit
def test_nobody_audits_their_own_decision(store, team, queue):
    own = sampling.add_sample(store, "lee", _decisions(store, queue, ["ben"])[0])
    with pytest.raises(PermissionError, match="own"):
        audits.start_audit(store, "ben", own.id)
    with pytest.raises(PermissionError, match="cannot audit"):
        audits.assign_sample(store, "lee", own.id, "ben")
    with pytest.raises(PermissionError, match="cannot audit"):
        sampling.add_sample(store, "lee", _decisions(store, queue, ["ben"])[0], auditor="ben")
    # even if the row says so (a hand edit, an old client), every step refuses
    store.db.execute("UPDATE audit_samples SET auditor_id = ?, claimed_at = '2026-01-05T09:00:00.000Z' WHERE id = ?",
                     [team["ben"].id, own.id])
    for step in (lambda: audits.submit_blind(store, "ben", own.id, "remove", ["x"]),
                 lambda: audits.reveal_original(store, "ben", own.id),
                 lambda: audits.score(store, "ben", own.id, "correct")):
        with pytest.raises(PermissionError):
            step()
    assert audits.next_sample(store, "ben") is None
    assert audits.work_list(store, "ben") == []


def test_only_auditors_audit_and_only_the_one_who_decided_blind_continues(store, sample):
    with pytest.raises(PermissionError, match="auditor"):
        audits.start_audit(store, "lee", sample.id)
    with pytest.raises(PermissionError, match="auditor"):
        audits.next_sample(store, "ana")
    _blind(store, "cat", sample.id)
    with pytest.raises(PermissionError):
        audits.start_audit(store, "dan", sample.id)
    with pytest.raises(PermissionError):
        audits.reveal_original(store, "dan", sample.id)
    with pytest.raises(PermissionError, match="not a user"):
        audits.start_audit(store, "ghost", sample.id)


# ------------------------------------------------------------------ claims
def test_work_list_order_and_claims_that_lapse(store, team, queue, clock):
    a, b, c = (sampling.add_sample(store, "lee", d) for d in _decisions(store, queue, ["ana", "ana", "ana"]))
    audits.assign_sample(store, "lee", c.id, "cat")
    assert [s.id for s in audits.work_list(store, "cat")] == [c.id, a.id, b.id]
    assert [s.id for s in audits.work_list(store, "dan")] == [a.id, b.id]
    assert [s.id for s in audits.work_list(store, "cat", limit=2)] == [c.id, a.id]  # a list on screen: the first
    assert audits.work_counts(store, "cat") == (1, 2) and audits.work_counts(store, "dan") == (0, 2)
    assert audits.next_sample(store, "cat").id == c.id
    assert audits.next_sample(store, "cat").id == c.id  # a started sample comes back until it is done
    assert audits.next_sample(store, "dan").id == a.id
    assert audits.next_sample(store, "ben").id == b.id
    assert audits.next_sample(store, "ben").id == b.id
    with pytest.raises(PermissionError, match="assigned to dan"):
        audits.start_audit(store, "cat", a.id)
    clock.advance(audits.CLAIM_SECONDS + 1)
    # dan never started the blind step: the claim lapsed and cat may take it over
    task = audits.start_audit(store, "cat", a.id)
    assert task.sample_id == a.id and sampling.samples(store)[0].auditor == "cat"


def test_the_store_refuses_a_claimed_sample_and_a_score_before_the_blind_step_writing_nothing(store, team, sample):
    """The guards live in the store's one transaction; the domain only words what it refused."""
    audits.start_audit(store, "cat", sample.id)
    events = store.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    with pytest.raises(Refused) as held:
        sample_rows.start(store, team["dan"], sample.id, audits.CLAIM_SECONDS)
    assert (held.value.reason, held.value.detail) == ("held", "cat")
    assert isinstance(held.value, StoreConflict)
    with pytest.raises(Refused, match="not_blind"):
        audit_rows.score_once(store, team["cat"], sample.id, "correct", None, None, "", lambda: 100.0)
    with pytest.raises(NotAllowed, match="assigned to cat"):  # the domain's words for the same refusal
        audits.start_audit(store, "dan", sample.id)
    assert store.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == events
    assert store.db.execute("SELECT COUNT(*) FROM audits").fetchone()[0] == 0
    assert sampling.samples(store)[0].auditor == "cat"


def test_a_refusal_inside_a_unit_of_work_takes_back_its_earlier_steps(store, team, sample):
    def start_then_decide_as_someone_else():
        audits.start_audit(store, "cat", sample.id)
        audits.submit_blind(store, "dan", sample.id, "remove", ["harassment"])

    with pytest.raises(BlindStepError, match="start the audit first"):
        atomically(store, start_then_decide_as_someone_else)
    assert sampling.samples(store)[0].auditor is None  # cat's claim went with the refused step
    assert not store.db.execute("SELECT 1 FROM events WHERE kind = 'audit.started'").fetchall()


def test_a_sample_whose_decision_was_undone_is_cancelled(store, team, queue, clock):
    policy = taxonomy.load()
    text_item(store, queue, external_id="x", received_at="2026-01-05T08:00:00Z")
    lease = serving.claim_next(store, team["ana"])
    made = decisions.decide(store, policy, team["ana"], lease.item.id, claim=lease.claim, action="no_violation")
    sample = sampling.add_sample(store, "lee", made.id)
    decisions.undo(store, team["ana"], made.id)
    with pytest.raises(AuditError, match="undone"):
        audits.start_audit(store, "cat", sample.id)
    assert audits.next_sample(store, "cat") is None
    assert sampling.samples(store)[0].state == "cancelled"


def test_a_lead_cancels_and_reassigns(store, team, queue):
    a, b = (sampling.add_sample(store, "lee", d) for d in _decisions(store, queue, ["ana", "ana"]))
    audits.cancel_sample(store, "lee", a.id, "duplicate")
    assert audits.work_list(store, "cat") == [dataclasses.replace(sampling.samples(store, state="open")[0].blinded(),
                                                                  plan="")]  # the plan waits for the reveal
    with pytest.raises(AuditError):
        audits.cancel_sample(store, "lee", a.id)
    assert audits.assign_sample(store, "lee", b.id, "dan").auditor == "dan"
    assert audits.work_list(store, "cat") == []
    assert audits.assign_sample(store, "lee", b.id, None).auditor is None
    with pytest.raises(PermissionError):
        audits.assign_sample(store, "cat", b.id, "cat")


# -------------------------------------------------------------------- gold
@pytest.fixture
def review(store, team, queue):
    escalations = store.add_queue("escalations", "escalation")
    store.db.execute("UPDATE queues SET escalation_queue_id = ? WHERE id = ?", [escalations.id, queue.id])
    for n in range(4):
        text_item(store, queue, external_id=f"g{n}", text="gold", received_at=f"2026-01-05T08:0{n}:00Z")
    return taxonomy.load()


def _decide_next(store, policy, user, **decision):
    lease = serving.claim_next(store, user)
    return decisions.decide(store, policy, user, lease.item.id, claim=lease.claim, **decision)


def test_gold_decisions_are_scored_automatically(store, team, review):
    items = [r[0] for r in store.db.execute("SELECT id FROM items ORDER BY id")]
    for item_id in items[:3]:
        gold.add_gold(store, "lee", item_id, "remove", ["harassment"])
    right = _decide_next(store, review, team["ana"], action="remove", labels=["harassment"])
    wrong_label = _decide_next(store, review, team["ana"], action="remove", labels=["hate_speech"])
    wrong_action = _decide_next(store, review, team["ben"], action="no_violation")
    plain = _decide_next(store, review, team["ben"], action="no_violation")
    results = [gold.after_decision(store, d) for d in (right, wrong_label, wrong_action, plain)]
    assert [(r.correct, r.action_correct, r.labels_correct) for r in results[:3]] == [
        (True, True, True), (False, True, False), (False, False, False)]
    assert results[3] is None
    assert results[0].expected_action == "remove" and results[0].expected_labels == ("harassment",)
    assert gold.score_gold(store, right.id) == results[0]  # idempotent
    assert store.db.execute("SELECT COUNT(*) FROM gold_results").fetchone()[0] == 3
    with pytest.raises(StoreConflict):
        sql_as_veil(store, "UPDATE gold_results SET correct = 1")


def test_gold_escalations_are_scored_when_the_item_is_closed(store, team, review):
    item_id = store.db.execute("SELECT MIN(id) FROM items").fetchone()[0]
    gold.add_gold(store, "lee", item_id, "remove", ["harassment"])
    escalated = _decide_next(store, review, team["ana"], action="escalate", note="unsure")
    assert gold.after_decision(store, escalated) is None
    lease = serving.claim_next(store, team["lee"], ["escalations"])
    closed = decisions.decide(store, review, team["lee"], lease.item.id, claim=lease.claim,
                              action="remove", labels=["harassment"])
    assert gold.after_decision(store, closed.id).user == "lee"


def test_gold_needs_a_lead_and_plants_unmarked_copies(store, team, review, queue):
    item_id = store.db.execute("SELECT MIN(id) FROM items").fetchone()[0]
    with pytest.raises(PermissionError):
        gold.add_gold(store, "ana", item_id, "remove", ["harassment"])
    with pytest.raises(ValueError, match="label"):
        gold.add_gold(store, "lee", item_id, "remove", [], taxonomy=review)
    gold.add_gold(store, "lee", item_id, "remove", ["harassment"])
    copies = gold.plant_gold(store, "lee", item_id, "spam", copies=2)
    assert len(copies) == 2 and all(gold.is_gold(store, c) for c in copies)
    loaded = [serving.load_item(store, c) for c in copies]
    assert all(i.state == "pending" and i.text == "gold" and "gold" not in i.external_id for i in loaded)


def test_a_store_from_before_the_audit_tables_gains_them_on_open(tmp_path):
    from desktop import wiring
    from review.store import Store

    path = tmp_path / "old.db"
    Store.open(path).close()  # review tables only, as an older Veil wrote it
    with wiring.open_store(path) as upgraded:
        assert {"audit_samples", "audits", "gold_results"} <= set(upgraded.db.table_names())
    assert list(tmp_path.glob("old.db.before-upgrade-*.bak"))
