"""Training and certification after review (issue 17, findings 1-13 of the training review): gates that stay in
step with their course, waivers that end, gold answers kept out of live scoring, undo and the severe budget under
the gate, verify that reads every training row, honest standings, success rates and agreement figures."""

from __future__ import annotations

import dataclasses
import json

import pytest
from builders import people, text_item
from test_training import ANSWERS, POLICY, gold_floor

from audit import gold
from audit.store import reconcile_training as attempt_reconcile
from audit.training import attempts, certification, courses, sessions, status
from audit.training.courses import TrainingError
from review import decisions, serving
from review.errors import NotAllowed
from review.store import reconcile_roster, reconcile_training


@pytest.fixture
def floor(store):
    return store, gold_floor(store)


def _work(store, who, attempt, answers, count=None):
    """Answer *count* (all) items in the attempt's order, each with *answers*' entry for its course position."""
    said = []
    for _ in range(len(answers) if count is None else count):
        step = attempts.next_step(store, who, attempt.id, severe="allow")
        action, labels = answers[step.position - 1]
        said.append(attempts.answer(store, who, attempt.id, step.position, action, labels, taxonomy=POLICY))
    return said


def _verify(store):
    return reconcile_training.training_problems(store.db) + list(attempt_reconcile.attempt_problems(store.db))


# 1 ------------------------------------------------------------------------------------------------------------
def test_edit_with_other_version_desyncs_gate(floor):
    """A course's version changes only by re-certification, which moves its gates: never left behind by an edit."""
    store, golds = floor
    courses.save_course(store, "lee", "Spam basics", golds, taxonomy_version=1)
    certification.gate(store, "lee", "spam", "Spam basics")
    with pytest.raises(TrainingError, match="is for taxonomy version 1: a new version is a re-certification"):
        courses.save_course(store, "lee", "Spam basics", golds, taxonomy_version=2, course="Spam basics")
    edited = courses.save_course(store, "lee", "Spam basics", golds, course="Spam basics",
                                 explanations={golds[0]: "fixed"})  # an explanation fixed: the version stays
    assert edited.taxonomy_version == 1 and edited.items[0].explanation == "fixed"
    _work(store, "eve", attempts.start(store, "eve", "Spam basics"), ANSWERS)
    eve = store.user("eve")
    assert status.status_json(store, "eve")["people"][0]["certified_queues"] == ["spam"]
    assert serving.why_not_served(store, eve, "spam") is None
    assert certification.require_recertification(store, "lee", "Spam basics", 2) == 1
    assert certification.gates(store, "lee")[0].taxonomy_version == 2
    assert "again for taxonomy version 2" in serving.why_not_served(store, eve, "spam")
    assert _verify(store) == []


# 2 ------------------------------------------------------------------------------------------------------------
def test_waiver_outlives_recertification_and_course_change(floor):
    store, golds = floor
    courses.save_course(store, "lee", "Spam basics", golds, taxonomy_version=1)
    courses.save_course(store, "lee", "Hard", golds[:2], taxonomy_version=1)
    certification.gate(store, "lee", "spam", "Spam basics")
    certification.waive(store, "lee", "eve", "spam", "old hand")
    eve = store.user("eve")
    assert serving.why_not_served(store, eve, "spam") is None
    certification.require_recertification(store, "lee", "Spam basics", 2)
    assert "needs the course “Spam basics”" in serving.why_not_served(store, eve, "spam")  # the waiver was for v1
    certification.waive(store, "lee", "eve", "spam", "still an old hand")
    assert serving.why_not_served(store, eve, "spam") is None
    certification.gate(store, "lee", "spam", "Hard")
    assert "needs the course “Hard”" in serving.why_not_served(store, eve, "spam")  # another course: ended too
    certification.waive(store, "lee", "eve", "spam", "knows the hard cases")
    with pytest.raises(TrainingError, match="already has a waiver"):
        certification.waive(store, "lee", "eve", "spam", "twice")
    with pytest.raises(PermissionError, match="lead"):
        certification.lift_waiver(store, "ana", "eve", "spam", "no")
    with pytest.raises(TrainingError, match="reason"):
        certification.lift_waiver(store, "lee", "eve", "spam", " ")
    certification.lift_waiver(store, "lee", "eve", "spam", "made mistakes on hard cases")
    assert "needs the course “Hard”" in serving.why_not_served(store, eve, "spam")
    with pytest.raises(TrainingError, match="no waiver in force"):
        certification.lift_waiver(store, "lee", "eve", "spam", "again")
    states = [w.state for w in certification.waivers(store, "lee")]
    assert states[0].startswith("lifted by lee") and states[1].startswith("ended") and states[2].startswith("ended")
    assert _verify(store) == []
    with store.transaction():  # a lift removed behind Veil's back cannot be deleted (append-only) ...
        with pytest.raises(Exception, match="append-only"):
            store.db.execute("DELETE FROM gate_waiver_lifts")
    with store.transaction():  # ... and one written without its event is found
        store.db.execute("INSERT INTO gate_waiver_lifts (waiver_id, reason, lifted_by, lifted_at)"
                         " VALUES (2, 'x', 'lee', ?)", [store.now()])
    assert any("waiver 2 is lifted without a training.waiver_lifted event" in p for p in _verify(store))


# 3 ------------------------------------------------------------------------------------------------------------
def test_course_items_are_never_planted_and_each_attempt_has_its_own_order(floor):
    store, golds = floor
    spare = text_item(store, "spam", external_id="gold-spare", text="spare")
    gold.add_gold(store, "lee", spare, "remove", ["spam"], explanation="spare")
    gold.plant_gold(store, "lee", spare, "spam")
    with pytest.raises(TrainingError, match="copies planted in live queues"):
        courses.save_course(store, "lee", "Spam basics", [*golds, spare], taxonomy_version=1)
    courses.save_course(store, "lee", "Spam basics", golds, taxonomy_version=1)
    with pytest.raises(gold.GoldError, match="is in the training course 'Spam basics'"):
        gold.plant_gold(store, "lee", golds[0], "spam")
    first = attempts.start(store, "eve", "Spam basics")
    shown = [attempts.next_step(store, "eve", first.id, severe="allow").position]
    _work(store, "eve", first, ANSWERS, count=1)
    assert attempts.start(store, "eve", "Spam basics").id == first.id  # resumed: the same order goes on
    for _ in range(3):
        step = attempts.next_step(store, "eve", first.id, severe="allow")
        shown.append(step.position)
        attempts.answer(store, "eve", first.id, step.position, *ANSWERS[step.position - 1])
    assert shown == attempts.order(first.id, 4)
    orders = {tuple(attempts.order(attempt_id, 10)) for attempt_id in range(1, 6)}
    assert len(orders) > 1  # attempts do not share one order


# 4 ------------------------------------------------------------------------------------------------------------
def test_undo_reopens_in_gated_queue(floor, clock):
    store, golds = floor
    text_item(store, "hate", external_id="live-h", text="x")
    ana = store.user("ana")
    lease = serving.claim_next(store, ana, ["hate"])
    made = decisions.decide(store, POLICY, ana, lease.item.id, claim=lease.claim, action="no_violation")
    courses.save_course(store, "lee", "Spam basics", golds, taxonomy_version=1)
    certification.gate(store, "lee", "hate", "Spam basics")
    clock.advance(2)
    with pytest.raises(NotAllowed, match="needs the course “Spam basics”"):
        decisions.undo(store, ana, made.id)
    assert serving.holder(store, lease.item.id) is None


# 5 ------------------------------------------------------------------------------------------------------------
def test_a_malformed_training_or_roster_event_is_named_not_a_crash(floor):
    store, _golds = floor
    with store.transaction():
        store.log("lee", "training.certified", "user:eve", {"user_id": "eve"})
        store.log("lee", "training.gated", "queue:spam", {"queue_id": 1, "new": {}})
        store.log("lee", "roster.shift_changed", "shift:x", {"new": {}})
    ids = [r[0] for r in store.db.execute("SELECT id FROM events ORDER BY id DESC LIMIT 3")][::-1]
    problems = reconcile_training.training_problems(store.db)
    assert any(p.startswith(f"event {ids[0]} (training.certified) is malformed") for p in problems)
    assert any(p.startswith(f"event {ids[1]} (training.gated) is malformed") for p in problems)
    assert any(p.startswith(f"event {ids[2]} (roster.shift_changed) is malformed")
               for p in reconcile_roster.roster_problems(store.db))


# 6 ------------------------------------------------------------------------------------------------------------
def test_unfinished_v1_attempt_after_recert(floor):
    store, golds = floor
    courses.save_course(store, "lee", "Spam basics", golds, taxonomy_version=1)
    certification.gate(store, "lee", "spam", "Spam basics")
    started = attempts.start(store, "eve", "Spam basics")
    certification.require_recertification(store, "lee", "Spam basics", 2)
    said = _work(store, "eve", started, ANSWERS)
    done = max(said, key=lambda f: f.attempt.answered).attempt
    assert done.passed and done.outdated and (done.taxonomy_version, done.course_version) == (1, 2)
    mine = status.status_json(store, "eve")["people"][0]
    assert (mine["passed"], mine["needs_recertification"], mine["standing"]) == (
        False, True, "needs re-certification for v2")
    assert mine["certified_queues"] == []
    listed = status.my_courses(store, "eve")[0]
    assert not listed.passed and listed.needs_recertification and listed.taxonomy_version == 2
    assert "again for taxonomy version 2" in serving.why_not_served(store, store.user("eve"), "spam")
    _work(store, "eve", attempts.start(store, "eve", "Spam basics"), ANSWERS)  # a v2 attempt certifies v2
    assert serving.why_not_served(store, store.user("eve"), "spam") is None
    assert status.status_json(store, "eve")["people"][0]["standing"] == "passed"


# 7 ------------------------------------------------------------------------------------------------------------
def test_the_severe_budget_holds_in_training(floor):
    store, golds = floor
    with store.transaction():
        store.db.execute("UPDATE items SET severity = 'severe' WHERE id IN (?, ?)", [golds[0], golds[2]])
    courses.save_course(store, "lee", "Spam basics", golds, taxonomy_version=1)
    attempt = attempts.start(store, "eve", "Spam basics")
    served = []
    for _ in range(2):  # spent: the mild items only
        step = attempts.next_step(store, "eve", attempt.id, severe="never")
        served.append(step.item.id)
        attempts.answer(store, "eve", attempt.id, step.position, *ANSWERS[step.position - 1])
    assert set(served) == {golds[1], golds[3]}
    with pytest.raises(TrainingError, match="2 item.s. left, all severe: the rest of this course waits until "
                                            "tomorrow: today's severe-content budget is spent"):
        attempts.next_step(store, "eve", attempt.id, severe="never")
    assert attempts.next_step(store, "eve", attempt.id, severe="prefer_mild").item.id in {golds[0], golds[2]}
    assert attempts.next_step(store, "eve", attempt.id).item.id in {golds[0], golds[2]}  # the stored budget: fine


# 8 ------------------------------------------------------------------------------------------------------------
def test_success_rate_counts_leads_and_in_progress(floor):
    store, golds = floor
    people(store, ben="moderator")
    courses.save_course(store, "lee", "C", golds, taxonomy_version=1)
    attempts.start(store, "eve", "C")  # only opened: no outcome yet
    _work(store, "ana", attempts.start(store, "ana", "C"), ANSWERS)  # passed on the first
    _work(store, "lee", attempts.start(store, "lee", "C"), ANSWERS)  # a lead checking the course: not a trainee
    wrong = [("no_violation", [])] * 4
    _work(store, "ben", attempts.start(store, "ben", "C"), wrong)  # failed once: still within 2, not counted yet
    figures = status.courses(store, "lee")[0]
    assert (figures.trainees, figures.passed, figures.success.value, figures.success.n) == (3, 1, 1.0, 1)
    _work(store, "ben", attempts.start(store, "ben", "C"), wrong)  # failed twice: an outcome, not a success
    figures = status.courses(store, "lee")[0]
    assert (figures.success.value, figures.success.n) == (0.5, 2)


# 10 -----------------------------------------------------------------------------------------------------------
def test_verify_reads_attempts_and_answers_changed_behind_veils_back(floor):
    store, golds = floor
    courses.save_course(store, "lee", "C", golds, taxonomy_version=1)
    attempt = attempts.start(store, "eve", "C")
    _work(store, "eve", attempt, [("no_violation", [])] * 4)
    assert _verify(store) == []
    with store.transaction():
        store.db.execute("UPDATE training_attempts SET passed = 1, correct = 4, score = 1.0")
    found = list(attempt_reconcile.attempt_problems(store.db))
    assert any(f"training attempt {attempt.id} stands as 4 of 4 correct, passed" in p and "1 of 4 correct, not "
               "passed" in p for p in found)
    with store.transaction():
        store.log("x", "training.answered", "course:C", {"attempt": "one"})
    assert any("(training.answered) is malformed" in p for p in attempt_reconcile.attempt_problems(store.db))


# 11 -----------------------------------------------------------------------------------------------------------
def test_all_same_answers_leave_kappa_and_alpha_undefined_as_the_references_do(floor):
    import krippendorff
    import numpy as np
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

    from audit import calibration

    store, golds = floor
    sessions.create_session(store, "lee", "Same", golds[:2], ["eve", "ana", "dana"])
    for person in ("eve", "ana", "dana"):
        for _ in range(2):
            item = calibration.next_item(store, person, "Same")
            calibration.answer(store, person, "Same", item.id, "no_violation", [])
    table, _ = aggregate_raters(np.zeros((2, 3), dtype=int))
    with np.errstate(all="ignore"):
        assert np.isnan(sm_fleiss_kappa(table, method="fleiss"))
    with pytest.raises(ValueError):
        krippendorff.alpha(reliability_data=np.zeros((3, 2)), level_of_measurement="nominal")
    found = sessions.report(store, "lee", "Same")
    assert found.agreement.fleiss_kappa is None and found.agreement.krippendorff_alpha is None
    assert found.kappa_words == found.alpha_words == "undefined: everyone answered the same"


def test_a_lead_who_answers_a_session_sees_its_report_only_after_answering(floor):
    from audit import calibration

    store, golds = floor
    sessions.create_session(store, "lee", "S", golds[:2], ["lee", "eve"])
    item = calibration.next_item(store, "eve", "S")
    calibration.answer(store, "eve", "S", item.id, "remove", ["spam"])
    with pytest.raises(sessions.NotYetAnswered, match="answer all its items first .Training page, 0 of 2 done."):
        sessions.report(store, "lee", "S")
    for _ in range(2):
        item = calibration.next_item(store, "lee", "S")
        calibration.answer(store, "lee", "S", item.id, "no_violation", [])
    assert sessions.report(store, "lee", "S").agreement.answers == 3


# 13 -----------------------------------------------------------------------------------------------------------
def test_only_review_queues_are_gated_and_recertification_checks_the_answers(floor):
    store, golds = floor
    store.add_queue("appeals", kind="escalation")
    courses.save_course(store, "lee", "Spam basics", golds, taxonomy_version=1)
    with pytest.raises(TrainingError, match="an escalation queue: only review queues can require a course"):
        certification.gate(store, "lee", "appeals", "Spam basics")
    newer = dataclasses.replace(POLICY, version=2, labels=tuple(lb for lb in POLICY.labels if lb.id != "scam_fraud"))
    with pytest.raises(TrainingError, match=f"do not fit taxonomy version 2: item {golds[2]} .Unknown policy label"):
        certification.require_recertification(store, "lee", "Spam basics", 2, newer)
    with pytest.raises(TrainingError, match="policy at hand is taxonomy version 2, not 3"):
        certification.require_recertification(store, "lee", "Spam basics", 3, newer)
    fitting = dataclasses.replace(POLICY, version=2)
    assert certification.require_recertification(store, "lee", "Spam basics", 2, fitting) == 0
    assert json.loads(json.dumps(courses.course(store, "lee", "Spam basics").as_json()))["taxonomy_version"] == 2
