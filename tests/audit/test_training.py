"""Training and certification (issue 17): courses from gold, attempts with feedback, the gate on serving,
re-certification, waivers, and what the history proves."""

from __future__ import annotations

import datetime

import pytest
from builders import events, people, text_item

from audit import gold
from audit.training import attempts, certification, courses, status
from audit.training.courses import TrainingError
from review import serving, taxonomy
from review.clock import iso
from review.store import reconcile_training
from review.store import wellbeing as ws
from review.wellbeing.breaks import OnBreak

POLICY = taxonomy.load()
ANSWERS = [("remove", ["spam"]), ("no_violation", []), ("remove", ["scam_fraud"]), ("label_only", ["spam"])]


def gold_floor(store):
    """eve and ana (moderators), lee (lead), dana (auditor); queues spam and hate; one gold item in spam per
    ANSWERS entry, in that order (their ids returned)."""
    people(store, eve="moderator", ana="moderator", lee="lead", dana="auditor")
    store.add_queue("spam")
    store.add_queue("hate")
    golds = []
    for n, (action, labels) in enumerate(ANSWERS):
        item = text_item(store, "spam", external_id=f"gold-{n}", text=f"post {n}")
        gold.add_gold(store, "lee", item, action, labels, explanation=f"why {n}")
        golds.append(item)
    return golds


@pytest.fixture
def floor(store):
    golds = gold_floor(store)
    text_item(store, "spam", external_id="live-1", text="a live report")
    return store, golds


def _course(store, golds, **kw):
    return courses.save_course(store, "lee", "Spam basics", golds, taxonomy_version=1, pass_mark=0.75, **kw)


def _work(store, attempt, answers, count=None, who="eve"):
    """Answer *count* (all) of the attempt's items in the order it shows them, each with *answers*' entry for its
    position in the course; the feedback of each, in course order."""
    said = []
    for _ in range(len(answers) if count is None else count):
        step = attempts.next_step(store, who, attempt.id)
        action, labels = answers[step.position - 1]
        said.append(attempts.answer(store, who, attempt.id, step.position, action, labels, taxonomy=POLICY))
    return sorted(said, key=lambda f: f.position)


def test_a_lead_builds_a_course_from_gold_items_whose_answers_come_from_gold(floor):
    store, golds = floor
    with pytest.raises(PermissionError, match="lead"):
        courses.save_course(store, "eve", "Mine", golds, taxonomy_version=1)
    live = text_item(store, "spam", external_id="plain", text="not gold")
    with pytest.raises(TrainingError, match="not a gold item"):
        courses.save_course(store, "lee", "Mixed", [*golds, live], taxonomy_version=1)
    built = _course(store, golds, explanations={golds[0]: "Selling followers is spam."})
    assert [(i.action, list(i.labels)) for i in built.items] == ANSWERS
    assert built.items[0].explanation == "Selling followers is spam." and built.items[1].explanation == "why 1"
    assert built.pass_mark == 0.75 and built.taxonomy_version == 1
    assert [e.kind for e in events(store) if e.kind.startswith("training.")] == ["training.course_created"]
    assert courses.courses(store, "eve")[0].items == ()  # a trainee never sees the answers in a list
    with pytest.raises(PermissionError):
        courses.course(store, "eve", "Spam basics")


def test_a_new_moderator_is_refused_a_gated_queue_fails_once_passes_and_is_then_served(floor):
    store, golds = floor
    _course(store, golds)
    assert certification.gate(store, "lee", "spam", "Spam basics")
    eve = store.user("eve")
    assert serving.claim_next(store, eve, ["spam"]) is None  # gated: nothing served, even under the lock
    said = serving.why_not_served(store, eve, "spam")
    assert said == "“spam” needs the course “Spam basics”: pass it on the Training page"
    assert serving.claim_next(store, store.user("ana"), ["hate"]) is None  # other queues unaffected (empty here)
    decisions_before = store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]

    first = attempts.start(store, "eve", "Spam basics")
    said = _work(store, first, [ANSWERS[0], ("remove", ["spam"]), ("no_violation", []), ANSWERS[3]])
    assert [f.matched for f in said] == [True, False, False, True]
    assert said[1].expected_action == "no_violation" and said[1].explanation == "why 1"
    done = attempts.status(store, "eve", first.id)
    assert done.finished and done.score == 0.5 and done.passed is False
    assert serving.claim_next(store, eve, ["spam"]) is None

    second = attempts.start(store, "eve", "Spam basics")
    assert second.number == 2 and second.id != first.id
    said = _work(store, second, ANSWERS[:2] + [("remove", ["spam"]), ANSWERS[3]])
    done = attempts.status(store, "eve", second.id)
    assert done.passed is True and done.score == 0.75
    lease = serving.claim_next(store, eve, ["spam"])
    assert lease is not None and serving.why_not_served(store, eve, "spam") is None

    # nothing a trainee did was a live decision
    assert store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == decisions_before
    assert not [e for e in events(store) if e.kind.startswith("decision.")]
    assert {store.db.execute("SELECT state FROM items WHERE id = ?", [g]).fetchone()[0] for g in golds} == {"pending"}
    kinds = [e.kind for e in events(store) if e.kind.startswith("training.")]
    assert kinds.count("training.answered") == 8 and kinds.count("training.attempt_finished") == 2
    assert kinds.count("training.certified") == 1

    mine = status.status_json(store, "eve")["people"]
    assert mine == [{"person": "eve", "course": "Spam basics", "attempts": 2, "best_score": 0.75, "passed": True,
                     "passed_on": 2, "time_to_certify_seconds": 0.0, "certified_queues": ["spam"],
                     "scores": [0.5, 0.75], "finished": 2, "taxonomy_version": 1,
                     "needs_recertification": False, "lead": False, "standing": "passed"}]
    assert reconcile_training.training_problems(store.db) == []


def test_an_attempt_is_taken_up_where_it_was_left_and_refuses_a_second_answer(floor):
    store, golds = floor
    _course(store, golds)
    attempt = attempts.start(store, "eve", "Spam basics")
    first = _work(store, attempt, ANSWERS, count=1)[0].position
    again = attempts.start(store, "eve", "Spam basics")
    assert again.id == attempt.id and again.answered == 1
    assert attempts.next_step(store, "eve", attempt.id).position == attempts.order(attempt.id, 4)[1]
    with pytest.raises(TrainingError, match="answered already"):
        attempts.answer(store, "eve", attempt.id, first, "remove", ["spam"])
    with pytest.raises(TrainingError, match="not one of ana's"):
        attempts.next_step(store, "ana", attempt.id)
    with pytest.raises(TrainingError, match="label"):  # the desk's rules: a removal needs a label
        attempts.answer(store, "eve", attempt.id, attempts.order(attempt.id, 4)[1], "remove", [], taxonomy=POLICY)


def test_a_time_limit_ends_the_attempt_at_the_first_answer_after_it(floor, clock):
    store, golds = floor
    _course(store, golds, time_limit_minutes=5)
    attempt = attempts.start(store, "eve", "Spam basics")
    _work(store, attempt, ANSWERS, count=3)
    clock.advance(6 * 60)
    last = attempts.order(attempt.id, 4)[3]
    late = attempts.answer(store, "eve", attempt.id, last, *ANSWERS[last - 1])
    assert late.attempt.timed_out and late.attempt.finished and late.attempt.score == 0.75
    assert late.attempt.passed is True  # what was answered in time counts; the rest are wrong
    assert attempts.next_step(store, "eve", attempt.id) is None


def test_a_break_holds_in_training_too(floor, clock):
    store, golds = floor
    _course(store, golds)
    attempt = attempts.start(store, "eve", "Spam basics")
    ws.start_break(store, store.user("eve"), "break_enforced", {}, started_at=store.now(),
                   ends_at=iso(clock.now() + datetime.timedelta(minutes=1)), reason="micro", cooldown=False)
    with pytest.raises(OnBreak):
        attempts.next_step(store, "eve", attempt.id)
    clock.advance(61)
    assert attempts.next_step(store, "eve", attempt.id).position == attempts.order(attempt.id, 4)[0]


def test_a_new_taxonomy_version_requires_re_certification(floor):
    store, golds = floor
    _course(store, golds)
    certification.gate(store, "lee", "spam", "Spam basics")
    _work(store, attempts.start(store, "eve", "Spam basics"), ANSWERS)
    eve = store.user("eve")
    assert certification.certified_queues(store, eve) == ["spam"]
    with pytest.raises(PermissionError):
        certification.require_recertification(store, "ana", "Spam basics", 2)
    with pytest.raises(TrainingError, match="newer"):
        certification.require_recertification(store, "lee", "Spam basics", 1)
    assert certification.require_recertification(store, "lee", "Spam basics", 2) == 1
    assert serving.claim_next(store, eve, ["spam"]) is None
    assert "needs “Spam basics” again for taxonomy version 2" in serving.why_not_served(store, eve, "spam")
    _work(store, attempts.start(store, "eve", "Spam basics"), ANSWERS)
    assert serving.claim_next(store, eve, ["spam"]) is not None
    assert reconcile_training.training_problems(store.db) == []


def test_a_lead_waives_the_course_with_a_reason_and_only_a_lead(floor):
    store, golds = floor
    _course(store, golds)
    certification.gate(store, "lee", "spam", "Spam basics")
    with pytest.raises(PermissionError):
        certification.waive(store, "ana", "eve", "spam", "knows it")
    with pytest.raises(TrainingError, match="reason"):
        certification.waive(store, "lee", "eve", "spam", "  ")
    with pytest.raises(TrainingError, match="requires no course"):
        certification.waive(store, "lee", "eve", "hate", "moved teams")
    certification.waive(store, "lee", "eve", "spam", "Moved from the spam team at another office")
    assert serving.claim_next(store, store.user("eve"), ["spam"]) is not None
    waived = events(store, "training.waived")
    assert waived[0].actor == "lee" and waived[0].payload["reason"].startswith("Moved")
    with pytest.raises(TrainingError, match="already has a waiver"):
        certification.waive(store, "lee", "eve", "spam", "again")


def test_leads_are_not_gated_and_only_served_queues_take_a_course(floor):
    store, golds = floor
    _course(store, golds)
    store.add_queue("qa", "audit")
    with pytest.raises(TrainingError, match="audit queue"):
        certification.gate(store, "lee", "qa", "Spam basics")
    certification.gate(store, "lee", "spam", "Spam basics")
    assert serving.claim_next(store, store.user("lee"), ["spam"]) is not None
    assert certification.gate(store, "lee", "spam", "Spam basics") is False  # already so: no event
    assert certification.gate(store, "lee", "spam", None) is True
    assert serving.claim_next(store, store.user("eve"), ["spam"]) is not None
    assert [e.payload["new"] is None for e in events(store, "training.gated")] == [False, True]


def test_verify_finds_gate_rows_written_behind_veils_back(floor):
    store, golds = floor
    _course(store, golds)
    certification.gate(store, "lee", "spam", "Spam basics")
    with store.transaction():
        store.db.execute("DELETE FROM queue_gates")
        store.db.execute("INSERT INTO gate_waivers (user_id, queue_id, course_id, taxonomy_version, reason,"
                         " waived_by, waived_at) VALUES (?, ?, 1, 1, 'x', 'lee', ?)",
                         [store.user("eve").id, store.queue("spam").id, store.now()])
    problems = reconcile_training.training_problems(store.db)
    assert any("requires no course, but its training.gated events say course" in p for p in problems)
    assert any("waiver 1 has no training.waived event" in p and "behind Veil's back" in p for p in problems)


def test_the_success_rate_counts_trainees_who_pass_within_n_attempts_and_labels_show_where_they_fail(floor):
    store, golds = floor
    _course(store, golds)
    wrong = [("no_violation", [])] * 4
    _work(store, attempts.start(store, "eve", "Spam basics"), wrong)
    _work(store, attempts.start(store, "eve", "Spam basics"), wrong)
    _work(store, attempts.start(store, "eve", "Spam basics"), ANSWERS)  # passes on the third
    figures = status.courses(store, "lee")[0]
    assert (figures.trainees, figures.attempts, figures.passed, figures.within) == (1, 3, 1, 2)
    assert figures.success.value == 0.0  # not within 2
    from review import settings
    settings.write(store, "lee", status.SUCCESS_ATTEMPTS, 3)
    assert status.courses(store, "lee")[0].success.value == 1.0
    worst = status.labels(store, "lee")
    assert worst[0].label in {"spam", "scam_fraud"} and worst[0].share == pytest.approx(2 / 3)
    assert {f.label for f in worst} == {"spam", "scam_fraud", "(no_violation)"}
    with pytest.raises(PermissionError):
        status.courses(store, "eve")


# ------------------------------------------------------------ calibration sessions
def test_a_session_with_three_people_shows_spread_kappa_and_alpha_as_the_references_compute_them(floor):
    import krippendorff
    import numpy as np
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

    from audit import calibration
    from audit.training import sessions

    store, golds = floor
    people(store, ben="moderator")
    with pytest.raises(TrainingError, match="two people"):
        sessions.create_session(store, "lee", "Week 2", golds, ["eve"])
    with pytest.raises(PermissionError):
        sessions.create_session(store, "ana", "Week 2", golds, ["eve", "ana"])
    sessions.create_session(store, "lee", "Week 2", golds, ["eve", "ana", "ben"])
    given = {"eve": ["remove", "no_violation", "remove", "label_only"],
             "ana": ["remove", "no_violation", "no_violation", "label_only"],
             "ben": ["remove", "remove", "remove", "no_violation"]}
    for person, actions in given.items():
        assert [s for s, *_ in sessions.asked_of(store, person)] == ["Week 2"]
        for action in actions:
            item = calibration.next_item(store, person, "Week 2")  # blind: the item, nobody's answer
            calibration.answer(store, person, "Week 2", item.id, action, [] if action == "no_violation" else ["spam"])
    with pytest.raises(PermissionError):
        sessions.report(store, "eve", "Week 2")
    found = sessions.report(store, "lee", "Week 2")
    ratings = [[given[p][n] for p in given] for n in range(len(golds))]
    codes = {a: i for i, a in enumerate(sorted({a for row in ratings for a in row}))}
    table, _ = aggregate_raters(np.array([[codes[a] for a in row] for row in ratings]))
    assert found.agreement.fleiss_kappa == pytest.approx(sm_fleiss_kappa(table, method="fleiss"))
    reliability = np.array([[codes[given[p][n]] for n in range(len(golds))] for p in given], dtype=float)
    assert found.agreement.krippendorff_alpha == pytest.approx(
        krippendorff.alpha(reliability_data=reliability, level_of_measurement="nominal"))
    assert found.kappa_words.endswith("agreement") and found.alpha_words.startswith(("reliable", "tentative", "unreli"))
    assert found.items[0].spread == ((("remove", ("spam",)), 3),)
    assert found.items[1].spread == ((("no_violation", ()), 2), (("remove", ("spam",)), 1))
    assert found.as_json()["items"][1]["spread"] == [["no_violation", 2], ["remove · spam", 1]]  # ids in JSON

    plain = text_item(store, "spam", external_id="session-only", text="borderline")
    sessions.create_session(store, "lee", "Week 3", [plain], ["eve", "ana"])
    sessions.agree(store, "lee", "Week 3", plain, "remove", ["spam"], "Spam by the link pattern", make_gold=True,
                   taxonomy=POLICY)
    assert gold.is_gold(store, plain)
    assert sessions.report(store, "lee", "Week 3").items[0].agreed_action == "remove"
    assert [e.kind for e in events(store) if e.kind in ("calibration.agreed", "gold.defined")][-2:] == [
        "calibration.agreed", "gold.defined"]
    with pytest.raises(TrainingError, match="not in the session"):
        sessions.agree(store, "lee", "Week 3", golds[0], "remove", ["spam"])


@pytest.mark.parametrize(("value", "words"), [(-0.1, "poor"), (0.0, "slight"), (0.2, "slight"), (0.35, "fair"),
                                              (0.5, "moderate"), (0.7, "substantial"), (0.9, "almost perfect")])
def test_kappa_is_worded_after_landis_and_koch(value, words):
    from audit.training.sessions import kappa_words

    assert kappa_words(value).startswith(words)


@pytest.mark.parametrize(("value", "words"), [(0.9, "reliable"), (0.8, "reliable"), (0.7, "tentative"),
                                              (0.5, "unreliable"), (None, "not enough")])
def test_alpha_is_worded_after_krippendorff(value, words):
    from audit.training.sessions import alpha_words

    assert alpha_words(value).startswith(words)


def test_changing_a_course_keeps_attempts_under_way_and_a_rename_reaches_its_gates(floor):
    store, golds = floor
    _course(store, golds)
    certification.gate(store, "lee", "spam", "Spam basics")
    attempt = attempts.start(store, "eve", "Spam basics")
    _work(store, attempt, ANSWERS, count=1)
    changed = courses.save_course(store, "lee", "Spam & scams basics", golds[:2], taxonomy_version=1,
                                  course="Spam basics")
    assert changed.size == 2 and changed.id == courses.course(store, "lee", "Spam & scams basics").id
    step = attempts.next_step(store, "eve", attempt.id)  # the attempt keeps the course it started with
    assert step.attempt.items == 4 and step.position == attempts.order(attempt.id, 4)[1]
    assert "“Spam & scams basics”" in serving.why_not_served(store, store.user("eve"), "spam")
    assert certification.gates(store, "lee")[0].course == "Spam & scams basics"
    changed_event = events(store, "training.course_changed")[-1]
    assert changed_event.payload["old"]["name"] == "Spam basics" and len(changed_event.payload["new"]["items"]) == 2
    assert reconcile_training.training_problems(store.db) == []
