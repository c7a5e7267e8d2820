"""Issue 13 §2, QA made visible: the audit backlog where queues are, auditors' work, My results, the blind step.

Each "Today …" docstring is the finding on main before the change; the
test fails there and passes after it.
"""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from builders import audited, decided_item, people, text_item

from audit import audits, calibration, disputes, sampling
from audit import dashboard as audit_dashboard
from audit.desk import AuditDesk
from audit.metrics import assembly, auditors
from desktop import wiring
from desktop.main import main
from review import decisions, serving, taxonomy
from review import people as people_module
from review.clock import FakeClock

DAY = "2026-01-04T10:00:00Z"  # the decisions' time; the test clock is 2026-01-05 09:00


@pytest.fixture
def team(store):
    return people(store, ana="moderator", ben="moderator", dana=(["auditor"], "Dana Kim"), cat="auditor",
                  lee="lead", max="lead")


@pytest.fixture
def queues(store, team):
    store.add_queue("escalations", "escalation", sla_seconds=8 * 3600)
    store.add_queue("hate", sla_seconds=4 * 3600, escalation_queue="escalations")
    store.add_queue("QA audit", "audit", sla_seconds=72 * 3600)
    store.add_queue("Calibration", "calibration", sla_seconds=24 * 3600)
    return store


def _nine_audits_by_dana(store) -> list[int]:
    """Dana scores nine of ana's decisions: seven correct, two incorrect (one later overturned, one upheld)."""
    ids = []
    for n in range(9):
        decision = decided_item(store, "hate", "ana", decided_at=DAY, action="remove", labels=["hate_speech"])
        wrong = n >= 7
        ids.append(audited(store, decision, lead="lee", auditor="dana", blind_action="no_violation" if wrong
                           else "remove", blind_labels=[] if wrong else ["hate_speech"],
                           verdict="incorrect" if wrong else "correct",
                           error=("over_enforcement", "major") if wrong else None))
    overturned = disputes.open_dispute(store, "ana", ids[7], "the post names a protected group")
    disputes.resolve_dispute(store, "lee", overturned, "overturned", "ana was right")
    upheld = disputes.open_dispute(store, "ana", ids[8], "I disagree")
    disputes.resolve_dispute(store, "lee", upheld, "upheld", "")
    return ids


# ---------------------------------------------------------------- backlog
def test_the_qa_audit_queue_counts_its_open_samples(store, queues, clock):
    """Today the "QA audit" queue always shows "0 waiting" while 17 samples are open (samples live in audit tables)."""
    for _ in range(17):
        decision = decided_item(store, "hate", "ana", decided_at=DAY)
        sampling.add_sample(store, "lee", decision)
        clock.advance(3600)  # drawn an hour apart
    health = {h.queue.name: h for h in audit_dashboard.queue_health(store)}
    qa = health["QA audit"]
    assert qa.waiting == 17
    assert qa.oldest_received_at == "2026-01-05T09:00:00.000Z"  # when the first was drawn
    assert (qa.breached, qa.at_risk) == (0, 0)  # drawn 17 h ago at most; due 72 h after
    clock.advance(3600 * 60)  # now the first is 77 h old, the last 61 h: inside the last quarter (54–72 h)
    qa = {h.queue.name: h for h in audit_dashboard.queue_health(store)}["QA audit"]
    assert qa.breached == 6 and qa.at_risk == 11
    assert {h.queue.name: h.waiting for h in audit_dashboard.queue_health(store)}["hate"] == 0  # review's as before
    scored = sampling.samples(store)[0]
    audits.start_audit(store, "dana", scored.id)
    audits.submit_blind(store, "dana", scored.id, "no_violation")
    audits.reveal_original(store, "dana", scored.id)
    audits.score(store, "dana", scored.id, "correct")
    assert {h.queue.name: h.waiting for h in audit_dashboard.queue_health(store)}["QA audit"] == 16


def test_a_calibration_queue_counts_the_answers_still_to_give(store, queues, clock):
    items = [text_item(store, "Calibration") for _ in range(3)]
    calibration.create_set(store, "lee", "January", items)
    answerers = 6  # ana, ben, dana, cat, lee, max
    row = {h.queue.name: h for h in audit_dashboard.queue_health(store)}["Calibration"]
    assert row.waiting == 3 * answerers and row.oldest_received_at == store.now()
    calibration.answer(store, "ana", "January", items[0], "no_violation")
    calibration.answer(store, "dana", "January", items[0], "no_violation")
    clock.advance(23 * 3600)
    row = {h.queue.name: h for h in audit_dashboard.queue_health(store)}["Calibration"]
    assert row.waiting == 3 * answerers - 2 and row.at_risk == row.waiting and row.breached == 0


def _calibration(store) -> dict:
    return {h.queue.name: h for h in audit_dashboard.queue_health(store)}["Calibration"]


def test_calibration_backlog_counts_the_people_a_set_names_and_only_open_sets(store, queues, clock):
    """Today a set naming one person counts every active reviewer, and a closed set still waits."""
    named = [decided_item(store, "hate", "ana", decided_at=DAY) for _ in range(2)]  # items from a review queue
    items = [store.db.execute("SELECT item_id FROM decisions WHERE id = ?", [d]).fetchone()[0] for d in named]
    calibration.create_set(store, "lee", "Ana only", items, people=["ana"])
    assert _calibration(store).waiting == 2  # 2 items × ana, wherever the items sit
    calibration.create_set(store, "lee", "Old", items)
    calibration.close_set(store, "lee", "Old")
    assert _calibration(store).waiting == 2  # the closed set waits for nobody
    calibration.answer(store, "ana", "Ana only", items[0], "no_violation")
    assert _calibration(store).waiting == 1


def test_calibration_backlog_leaves_out_deactivated_people_and_their_answers(store, queues):
    """Today a deactivated answerer's answers are subtracted from what the active people still owe."""
    items = [text_item(store, "Calibration") for _ in range(2)]
    calibration.create_set(store, "lee", "January", items)
    calibration.answer(store, "ben", "January", items[0], "no_violation")
    calibration.answer(store, "ben", "January", items[1], "no_violation")
    people_module.deactivate(store, "lee", "ben")
    assert _calibration(store).waiting == 2 * 5  # ana, dana, cat, lee, max: none has answered


# ---------------------------------------------------------- auditors' work
def test_auditors_work_is_counted_for_the_lead(store, queues, clock):
    """Today Dana's nine audits are nowhere: the dashboard's accuracy counts audited decisions only ("no audits")."""
    _nine_audits_by_dana(store)
    work = {w.auditor: w for w in audit_dashboard.figures(store, "lee").auditors}
    assert set(work) == {"cat", "dana"}  # everyone with the auditor role, idle ones too
    dana = work["dana"]
    assert dana.display_name == "Dana Kim" and dana.audits == 9
    assert (dana.judged_wrong.k, dana.judged_wrong.n) == (2, 9)
    assert (dana.overturned.k, dana.overturned.n) == (1, 2)  # of the disputes a lead resolved
    assert (dana.disputes_opened, dana.disputes_upheld, dana.disputes_open) == (2, 1, 0)
    assert work["cat"].audits == 0 and work["cat"].judged_wrong.value is None


def test_throughput_per_day_and_time_per_audit(store, queues, clock):
    for minutes in (2, 4, 9):
        decision = decided_item(store, "hate", "ana", decided_at=DAY)
        sample = sampling.add_sample(store, "lee", decision, auditor="dana")
        audits.start_audit(store, "dana", sample.id)
        clock.advance(minutes * 60)
        audits.submit_blind(store, "dana", sample.id, "no_violation")
        audits.reveal_original(store, "dana", sample.id)
        audits.score(store, "dana", sample.id, "correct")
    clock.advance(86400)
    [dana] = [w for w in auditors.work(store, "lee", "2026-01-05T00:00:00.000Z", None) if w.auditor == "dana"]
    assert dana.audits == 3 and dana.days == 2 and dana.per_day == 1.5
    assert dana.minutes_median == 4.0 and dana.timed == 3


def test_per_day_counts_the_days_up_to_now_when_the_period_ends_later(store, queues):
    """Today a period ending in ten days divides today's audits by ten days."""
    for _ in range(3):
        audited(store, decided_item(store, "hate", "ana", decided_at=DAY), lead="lee", auditor="dana",
                blind_action="no_violation")
    [dana] = [w for w in auditors.work(store, "lee", "2026-01-05T00:00:00.000Z", "2026-01-15T00:00:00.000Z")
              if w.auditor == "dana"]
    assert (dana.days, dana.per_day) == (1, 3.0)  # the clock is 2026-01-05 09:00: one (part) day so far


def test_the_overturn_rate_is_a_share_of_the_disputes_a_lead_resolved(store, queues):
    """Today one overturned dispute in nine audits reads 11% (1 of 9): the undisputed audits dilute it."""
    ids = [audited(store, decided_item(store, "hate", "ana", decided_at=DAY), lead="lee", auditor="dana",
                   blind_action="no_violation", verdict="incorrect" if n == 0 else "correct",
                   error=("over_enforcement", "major") if n == 0 else None) for n in range(9)]
    disputes.resolve_dispute(store, "lee", disputes.open_dispute(store, "ana", ids[0], "it was fine"), "overturned",
                             "")
    [dana] = [w for w in audit_dashboard.figures(store, "lee").auditors if w.auditor == "dana"]
    assert (dana.overturned.k, dana.overturned.n, dana.overturned.value) == (1, 1, 1.0)


def test_an_auditor_sees_only_their_own_work_and_a_moderator_none(store, queues):
    _nine_audits_by_dana(store)
    assert [w.auditor for w in auditors.work(store, "dana", None, None)] == ["dana"]
    assert [w.auditor for w in auditors.work(store, "cat", None, None)] == ["cat"]
    assert auditors.work(store, "ana", None, None) == []


def test_metrics_group_by_auditor_for_a_lead_and_only_own_for_anyone_else(store, queues):
    _nine_audits_by_dana(store)
    decision = decided_item(store, "hate", "ben", decided_at=DAY)
    audited(store, decision, lead="lee", auditor="cat", blind_action="no_violation")
    lead = assembly.build(store, "lee", by="auditor")
    assert lead["scope"] == "team" and [g["key"] for g in lead["groups"]] == ["cat", "dana"]
    assert [g["n"] for g in lead["groups"]] == [1, 9]
    assert {a["auditor"]: a["audits"] for a in lead["auditors"]} == {"cat": 1, "dana": 9}
    assert lead["auditors"][1]["overturned"]["k"] == 1
    own = assembly.build(store, "dana", by="auditor")
    assert own["scope"] == "audited" and [g["key"] for g in own["groups"]] == ["dana"]
    assert [a["auditor"] for a in own["auditors"]] == ["dana"]
    moderator = json.dumps(assembly.build(store, "ana", by="auditor"))
    assert "dana" not in moderator and "cat" not in moderator  # an auditor is never named to the audited
    assert [g["key"] for g in assembly.build(store, "dana")["groups"]] == ["ana"]  # ben's decision is cat's audit


def test_an_auditor_cannot_work_out_the_other_auditors_figures(store, queues):
    """Today dana's team figures count cat's audits too: team n minus her own n is cat's n (and so on)."""
    _nine_audits_by_dana(store)
    audited(store, decided_item(store, "hate", "ben", decided_at=DAY), lead="lee", auditor="cat",
            blind_action="remove", verdict="incorrect", error=("missed_violation", "major"))
    cat = assembly.build(store, "cat", by="auditor")["overall"]
    team = assembly.build(store, "dana", by="queue")
    own = assembly.build(store, "dana", by="auditor")["overall"]
    assert team["scope"] == "audited"
    assert team["overall"]["n"] - own["n"] != cat["n"]
    assert team["overall"]["correct"] == own["correct"] and team["overall"]["n"] == own["n"] == 9
    assert assembly.build(store, "lee", by="queue")["overall"]["n"] == 10  # a lead still sees the team


def test_veil_metrics_by_auditor(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("VEIL_USER", raising=False)
    monkeypatch.delenv("VEIL_PASSPHRASE", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    path = tmp_path / "team.db"
    with wiring.open_store(path, clock=FakeClock("2026-01-05T09:00:00Z")) as store:
        people(store, ana="moderator", ben="moderator", dana=(["auditor"], "Dana Kim"), cat="auditor",
               lee="lead", max="lead")
        store.add_queue("hate")
        _nine_audits_by_dana(store)
    period = ["--since", "2026-01-04", "--until", "2026-01-05"]
    assert main(["--user", "lee", "metrics", "--by", "auditor", *period, "--store", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Auditors' work" in out
    dana = next(line for line in out.splitlines() if line.startswith("dana") and "overturned)" in line)
    assert dana.split()[:3] == ["dana", "9", "4.5"] and "22.2% (2 of 9)" in dana and "50.0% (1 of 2)" in dana
    assert main(["--user", "ana", "metrics", "--by", "auditor", "--store", str(path)]) == 0
    assert "dana" not in capsys.readouterr().out


# ------------------------------------------------------------- my results
def test_my_results_for_a_lead_and_for_an_auditor(store, queues):
    """Today a lead's audited escalation decisions have no results page, and an auditor's own work no place."""
    _nine_audits_by_dana(store)
    lead_decision = decided_item(store, "escalations", "lee", decided_at=DAY, action="no_violation")
    audited(store, lead_decision, lead="max", auditor="dana", blind_action="no_violation")
    desk = AuditDesk(taxonomy.load())
    lee = desk.my_page(store, store.user("lee"))
    assert [r.result.decision_id for r in lee.rows] == [lead_decision] and lee.today is None
    dana = desk.my_page(store, store.user("dana"))
    assert dana.rows == [] and dana.today.audits == 10 and dana.recent.audits == 10
    cat = desk.my_page(store, store.user("cat"))
    assert cat.today.audits == 0  # an auditor with nothing done yet still sees their (empty) work


# -------------------------------------------------------------- blind step
def _escalated(store, team):
    """ana escalates an item of "hate"; it now sits, pending, in "escalations". Returns (item id, decision id)."""
    policy = taxonomy.load()
    item_id = text_item(store, "hate", text="a post")
    lease = serving.claim_next(store, team["ana"], ["hate"])
    made = decisions.decide(store, policy, team["ana"], item_id, claim=lease.claim, action="escalate",
                            note="credible threat?")
    assert serving.load_item(store, item_id).queue_name == "escalations"
    return item_id, made.id


def test_the_blind_item_says_the_queue_it_was_decided_in_not_the_escalation_queue(store, team, queues):
    """Today the blind step's item says "text post in Lead escalations": its current queue gives the path away."""
    item_id, escalation = _escalated(store, team)
    sample = sampling.add_sample(store, "max", escalation, auditor="dana")
    task = audits.start_audit(store, "dana", sample.id)
    assert (task.item.queue_name, task.item.queue_id) == ("hate", store.queue("hate").id)
    assert task.item.state == "pending" and task.item.due_at == task.item.received_at  # no escalation due time
    assert [s.queue for s in audits.work_list(store, "dana")] == ["hate"]


def test_a_leads_decision_on_an_escalated_item_is_shown_in_its_first_queue(store, team, queues):
    item_id, _ = _escalated(store, team)
    lease = serving.claim_next(store, team["lee"], ["escalations"])
    decided = decisions.decide(store, taxonomy.load(), team["lee"], item_id, claim=lease.claim, action="remove",
                               labels=["hate_speech"])
    sample = sampling.add_sample(store, "max", decided.id, auditor="dana")
    assert [s.queue for s in audits.work_list(store, "dana")] == ["hate"]
    task = audits.start_audit(store, "dana", sample.id)
    assert task.item.queue_name == "hate"
    blind = json.dumps(dataclasses.asdict(task)).lower()
    assert "escalat" not in blind and "credible threat" not in blind and "lee" not in blind
    assert audits.submit_blind(store, "dana", sample.id, "remove", ["hate_speech"])
    assert audits.reveal_original(store, "dana", sample.id).queue == "escalations"  # after the blind step: the truth


ESCALATION_META = {"category": "hate_speech", "escalated_by": "ben", "escalation_note": "credible threat?",
                   "decided_by": "lee", "moderator_note": "looks bad", "reporter_count": 3}


def _first_decided_in_escalations(store, **metadata) -> int:
    """lee's decision made straight in the escalation queue (imported history, the demo), sampled for dana."""
    decision = decided_item(store, "escalations", "lee", decided_at=DAY, action="remove", labels=["hate_speech"],
                            metadata={**ESCALATION_META, **metadata})
    return sampling.add_sample(store, "max", decision, auditor="dana").id


def test_a_decision_first_made_in_an_escalation_queue_names_where_the_item_came_from(store, team, queues):
    """Today the work list and the blind header say "escalations" when the first decision was made there."""
    sample_id = _first_decided_in_escalations(store, escalated_from="hate")
    listed = audits.work_list(store, "dana")
    assert [s.queue for s in listed] == ["hate"]
    assert "escalat" not in json.dumps([dataclasses.asdict(s) for s in listed])
    task = audits.start_audit(store, "dana", sample_id)
    assert (task.item.queue_name, task.item.queue_id) == ("hate", store.queue("hate").id)
    assert "escalat" not in json.dumps(dataclasses.asdict(task)).lower()


def test_without_a_known_origin_the_blind_step_names_no_queue(store, team, queues):
    sample_id = _first_decided_in_escalations(store)
    assert [s.queue for s in audits.work_list(store, "dana")] == [""]
    task = audits.start_audit(store, "dana", sample_id)
    assert task.item.queue_name == "" and "escalat" not in json.dumps(dataclasses.asdict(task)).lower()


def test_the_blind_item_keeps_no_metadata_about_its_path_or_decision(store, team, queues):
    """Today escalated_by, escalation_note (and any decided_by, …) reach the blind step's metadata panel."""
    task = audits.start_audit(store, "dana", _first_decided_in_escalations(store, escalated_from="hate"))
    assert task.item.metadata == {"category": "hate_speech", "reporter_count": 3}


def test_the_plan_waits_for_the_reveal(store, team, queues):
    """Today the work list, next_sample and the opened task carry the plan ("manual") before the blind step."""
    item_id, escalation = _escalated(store, team)
    sample = sampling.add_sample(store, "max", escalation, auditor="dana")
    assert [(s.plan, s.queue) for s in audits.work_list(store, "dana")] == [("", "hate")]
    taken = audits.next_sample(store, "dana")
    assert (taken.plan, taken.queue, taken.moderator, taken.reason) == ("", "hate", None, None)
    task = audits.start_audit(store, "dana", sample.id)
    assert task.plan == ""
    audits.submit_blind(store, "dana", sample.id, "no_violation")
    assert audits.reveal_original(store, "dana", sample.id).plan == "manual"
    assert audits.start_audit(store, "dana", sample.id).plan == "manual"  # resumed after the blind step
