"""The audit desk: each QA step is one call — one transaction, the role check, the events — for every front end."""

from __future__ import annotations

import dataclasses
import datetime

import pytest
from builders import decided_item, people, text_items

from audit import audits, gold, plans, sampling
from audit.desk import AuditDesk
from review import decisions, serving, taxonomy
from review.clock import iso
from review.errors import NotAllowed, VeilError
from review.store import wellbeing as ws
from review.wellbeing.breaks import OnBreak


@pytest.fixture
def policy():
    return taxonomy.load()


@pytest.fixture
def desk(policy):
    return AuditDesk(policy)


@pytest.fixture
def team(store):
    return people(store, ana="moderator", cat="auditor", lee="lead", max="lead")


@pytest.fixture
def sampled(store, team):
    """Two of ana's decisions, sampled for cat."""
    queue = store.add_queue("spam")
    for item_id in text_items(store, queue, ["post-0", "post-1"], text=["post 0", "post 1"]):
        decision_id = decisions.record_past_decision(store, item_id=item_id, user="ana", action="label_only",
                                                     labels=["hate_speech"], note="ana's note",
                                                     decided_at="2026-01-02T10:00:00Z", handle_ms=4000)
        sampling.add_sample(store, "lee", decision_id, auditor="cat")
    return store


def _kinds(store, since: int = 0) -> list[str]:
    return [r[0] for r in store.db.execute("SELECT kind FROM events WHERE id > ? ORDER BY id", [since])]


def _last_event(store) -> int:
    return store.db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]


def test_take_next_claims_and_opens_in_one_call_and_shows_no_decision(store, sampled, team, desk):
    before = _last_event(store)
    opened = desk.take_next(store, team["cat"])
    assert opened.reveal is None and not opened.task.blind_done
    assert opened.task.item.external_id == "post-0"
    assert not {f.name for f in dataclasses.fields(opened.task)} & {"action", "labels", "moderator", "note"}
    assert _kinds(store, before) == ["audit.claimed", "audit.started"]
    assert store.take_changes() >= {"audit"}
    assert desk.take_next(store, team["cat"]).task.sample_id == opened.task.sample_id  # the started one first


def test_an_auditor_on_a_break_is_shown_no_sample_until_it_is_served(store, sampled, team, desk, clock):
    """A break holds in the audit domain too: an audit shows an item, which is exposure."""
    ws.start_break(store, team["cat"], "break_enforced", {}, started_at=store.now(),
                   ends_at=iso(clock.now() + datetime.timedelta(minutes=1)), reason="micro", cooldown=False)
    with pytest.raises(OnBreak, match="on a break"):
        desk.take_next(store, team["cat"])
    clock.advance(61)
    assert desk.take_next(store, team["cat"]) is not None


def test_submit_blind_stores_it_and_reveals_the_original_with_the_rubric(store, sampled, team, desk):
    sample_id = desk.take_next(store, team["cat"]).task.sample_id
    reveal = desk.submit_blind(store, team["cat"], sample_id, "remove", ["hate_speech"], "blind note")
    assert reveal.original.moderator == "ana" and reveal.original.note == "ana's note"
    assert reveal.original.blind_action == "remove" and not reveal.original.agrees
    assert reveal.rubric.score("incorrect", "wrong_action", "major") == 70.0
    scored = desk.score(store, team["cat"], sample_id, "incorrect", "wrong_action", "major", "too mild")
    assert scored.score == 70.0
    assert sampling.samples(store, state="audited")[0].id == sample_id


def test_a_refused_blind_decision_stores_nothing(store, sampled, team, desk):
    sample_id = desk.take_next(store, team["cat"]).task.sample_id
    before = _last_event(store)
    with pytest.raises(VeilError, match="label"):
        desk.submit_blind(store, team["cat"], sample_id, "remove", [])  # remove needs a label
    assert _kinds(store, before) == []
    assert store.db.execute("SELECT COUNT(*) FROM audits").fetchone()[0] == 0


def test_opening_a_sample_whose_blind_step_is_stored_resumes_at_the_reveal(store, sampled, team, desk):
    sample_id = desk.take_next(store, team["cat"]).task.sample_id
    audits.submit_blind(store, "cat", sample_id, "label_only", ["hate_speech"])
    opened = desk.open_sample(store, team["cat"], sample_id)
    assert opened.task.blind_done and opened.reveal is not None and opened.reveal.original.agrees


def test_nobody_opens_a_sample_of_their_own_decision(store, sampled, team, desk):
    store.add_user("bo", ["moderator", "auditor"])
    decision_id = decisions.record_past_decision(store, item_id=1, user="bo", action="no_violation",
                                                 decided_at="2026-01-03T10:00:00Z")
    own = sampling.add_sample(store, "lee", decision_id)
    with pytest.raises(NotAllowed, match="nobody audits their own decisions"):
        desk.open_sample(store, store.user("bo"), own.id)


def _scored_incorrect(store, desk, team):
    sample_id = desk.take_next(store, team["cat"]).task.sample_id
    desk.submit_blind(store, team["cat"], sample_id, "remove", ["hate_speech"])
    return desk.score(store, team["cat"], sample_id, "incorrect", "over_enforcement", "minor").audit_id


def test_results_disputes_and_their_resolution(store, sampled, team, desk):
    audit_id = _scored_incorrect(store, desk, team)
    rows = desk.my_results(store, team["ana"])
    assert [(r.item, r.result.verdict) for r in rows] == [("post-0", "incorrect")]
    steps = desk.result_history(store, team["ana"], audit_id)
    assert steps[0]["by"] is None  # the auditor stays anonymous to the moderator
    dispute_id = desk.dispute(store, team["ana"], audit_id, "it condemns the slur")
    with pytest.raises(NotAllowed):
        desk.disputes_board(store, team["ana"])
    board = desk.disputes_board(store, team["lee"])
    [case] = board.cases
    assert (case.dispute.id, case.auditor, case.item, case.result.verdict) == (dispute_id, "cat", "post-0", "incorrect")
    assert board.samples["open"] == 1 and board.samples["audited"] == 1 and board.samples["unassigned"] == 0
    resolved = desk.resolve(store, team["lee"], dispute_id, "overturned", "counter-speech")
    assert resolved.outcome == "overturned"
    assert desk.disputes_board(store, team["max"]).cases == []
    assert desk.my_results(store, team["ana"])[0].result.verdict == "correct"


def test_run_sampling_now_is_a_leads_call(store, sampled, team, desk):
    decided_item(store, "spam", "ana", external_id="new", received_at="2026-01-05T08:00:00Z",
                 decided_at="2026-01-05T08:30:00Z")
    plans.save_plan(store, "lee", "all", rate=1.0, starts_at="2026-01-05T00:00:00Z")
    with pytest.raises(NotAllowed):
        desk.run_sampling(store, team["cat"])
    [ran] = desk.run_sampling(store, team["lee"])
    assert ran.plan == "all" and len(ran.samples) == 1


def test_the_gold_hook_joins_the_decisions_transaction(store, team, policy):
    """The review desk calls ``gold.after_decision`` inside the decision's write: one commit, or none."""
    queue = store.add_queue("spam")
    for item_id in text_items(store, queue, ["g0", "g1"]):
        gold.add_gold(store, "lee", item_id, "remove", ["harassment"])
    ana = team["ana"]
    with store.transaction():
        lease = serving.claim_next(store, ana)
        made = decisions.decide(store, policy, ana, lease.item.id, claim=lease.claim, action="remove",
                                labels=["harassment"])
        assert gold.after_decision(store, made).correct
    assert store.db.execute("SELECT COUNT(*) FROM gold_results").fetchone()[0] == 1

    class Crash(Exception):
        pass

    with pytest.raises(Crash), store.transaction():
        lease = serving.claim_next(store, ana)
        made = decisions.decide(store, policy, ana, lease.item.id, claim=lease.claim, action="no_violation")
        assert not gold.after_decision(store, made).correct
        raise Crash()  # the decision's write fails after the hook: neither row stays
    assert store.db.execute("SELECT COUNT(*) FROM gold_results").fetchone()[0] == 1
    assert store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 1
