"""Sampling plans: rates, strata, daily minimum, boosts, reproducibility, schedule, no self-audit."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import pytest
from builders import people, text_items
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import binom

from audit import audits, plans, sampling
from audit.plans import PlanError
from desktop import wiring
from review import decisions, serving, taxonomy
from review.clock import FakeClock


def _decide(store, queue, specs):
    """specs: (user, decided_at, extra) tuples; one item per decision; returns decision ids.

    Thousands at a time, so the items go in with one insert and the decisions in one transaction.
    """
    items = text_items(store, queue, len(specs))
    ids = []
    with store.transaction():
        for item_id, (user, at, extra) in zip(items, specs):
            extra = {"action": "remove", "labels": ["harassment"], **extra}
            ids.append(decisions.record_past_decision(store, item_id=item_id, user=user, decided_at=at, **extra))
    return ids


def _days(n, day=1, hour=10):
    return f"2026-01-{day:02d}T{hour:02d}:{n % 60:02d}:00.000Z"


@pytest.fixture
def team(store):
    return people(store, ana="moderator", ben="moderator", cat="auditor", lee="lead")


def _sampled(store):
    return {r[0]: r[1] for r in store.db.execute("SELECT decision_id, reason FROM audit_samples")}


# ------------------------------------------------------------------ rates
def test_rate_is_within_the_binomial_band_for_every_seed(store, team):
    queue = store.add_queue("spam")
    _decide(store, queue, [(("ana", "ben")[n % 2], _days(n, 1 + n % 4), {}) for n in range(4000)])
    low, high = binom.ppf(0.0005, 4000, 0.05), binom.ppf(0.9995, 4000, 0.05)
    counts = []
    for seed in range(8):
        plan = plans.save_plan(store, "lee", "qa", rate=0.05, seed=str(seed), starts_at="2026-01-01")
        chosen = sampling.choose(store, plan, FakeClock("2026-01-06T00:00:00Z").now())
        assert set(chosen.values()) == {"rate"}
        assert low <= len(chosen) <= high, (seed, len(chosen))
        counts.append(len(chosen))
    assert len(set(counts)) > 1  # different seeds, different samples
    total_low, total_high = binom.ppf(0.0005, 32000, 0.05), binom.ppf(0.9995, 32000, 0.05)
    assert total_low <= sum(counts) <= total_high


def test_a_run_stores_the_sample_and_a_second_run_draws_nothing_more(store, team):
    queue = store.add_queue("spam")
    _decide(store, queue, [("ana", _days(n), {}) for n in range(400)])
    plans.save_plan(store, "lee", "qa", rate=0.1, seed="s", starts_at="2026-01-01")
    first = sampling.run_plans(store, "lee")
    assert len(first[0].samples) == len(_sampled(store)) > 0
    assert all(s.state == "open" and s.plan == "qa" for s in first[0].samples)
    assert sampling.run_plans(store, "lee")[0].samples == []
    events = store.db.execute("SELECT COUNT(*) FROM events WHERE kind = 'audit.sampled'").fetchone()[0]
    assert events == 2


def test_strata_give_each_stratum_its_share_exactly(store, team):
    big, small = store.add_queue("big"), store.add_queue("small")
    _decide(store, big, [("ana", _days(n), {}) for n in range(1000)])
    _decide(store, small, [("ben", _days(n), {}) for n in range(25)])
    plans.save_plan(store, "lee", "qa", rate=0.1, strata={"by": "queue"}, seed="s", starts_at="2026-01-01")
    result = sampling.run_plans(store, "lee")[0]
    per_queue = Counter(s.queue for s in result.samples)
    assert per_queue == {"big": 100, "small": 3}  # round(0.1 × 25) = 3: a small queue is never skipped by chance
    # more data later: the quota counts what was drawn before, earlier picks stay
    before = set(_sampled(store))
    _decide(store, small, [("ben", _days(n, 2), {}) for n in range(25)])
    sampling.run_plans(store, "lee")
    after = _sampled(store)
    assert before <= set(after)
    assert Counter(s.queue for s in sampling.samples(store)) == {"big": 100, "small": 5}


@pytest.mark.parametrize("by, expected", [("action", {"remove": 20, "no_violation": 5}),
                                          ("label", {"harassment": 20, "(none)": 5})])
def test_strata_by_action_and_label(store, team, by, expected):
    queue = store.add_queue("spam")
    _decide(store, queue, [("ana", _days(n), {}) for n in range(200)])
    _decide(store, queue, [("ana", _days(n), {"action": "no_violation", "labels": []}) for n in range(50)])
    plans.save_plan(store, "lee", "qa", rate=0.1, strata=by, seed="s", starts_at="2026-01-01")
    result = sampling.run_plans(store, "lee")[0]
    rows = dict(store.db.execute("SELECT id, action FROM decisions").fetchall())
    key = (lambda s: rows[s.decision_id]) if by == "action" else \
        (lambda s: "harassment" if rows[s.decision_id] == "remove" else "(none)")
    assert Counter(key(s) for s in result.samples) == expected


# ---------------------------------------------------------------- minimum
def test_daily_minimum_per_moderator_tops_up_completed_days_only(store, team):
    queue = store.add_queue("spam")
    _decide(store, queue, [("ana", _days(n, 1), {}) for n in range(5)] + [("ana", _days(0, 2), {})]
            + [("ben", _days(n, 1), {}) for n in range(3)] + [("ben", _days(n, 3), {}) for n in range(4)])
    plans.save_plan(store, "lee", "qa", rate=0.0, min_per_moderator_per_day=2, seed="s", starts_at="2026-01-01")
    result = sampling.run_plans(store, "lee", now="2026-01-03T12:00:00Z")[0]
    per_day = Counter((s.moderator, _decided(store, s.decision_id)[:10]) for s in result.samples)
    assert per_day == {("ana", "2026-01-01"): 2, ("ana", "2026-01-02"): 1, ("ben", "2026-01-01"): 2}
    assert {s.reason for s in result.samples} == {"minimum"}
    # the next day, Jan 3 is complete and gets its two
    result = sampling.run_plans(store, "lee", now="2026-01-04T00:00:01Z")[0]
    days = Counter((s.moderator, _decided(store, s.decision_id)[:10]) for s in result.samples)
    assert days == {("ben", "2026-01-03"): 2}


def test_the_minimum_counts_what_the_rate_already_drew(store, team):
    queue = store.add_queue("spam")
    _decide(store, queue, [("ana", _days(n, 1), {}) for n in range(60)])
    plans.save_plan(store, "lee", "qa", rate=0.5, min_per_moderator_per_day=3, seed="s", starts_at="2026-01-01")
    result = sampling.run_plans(store, "lee", now="2026-01-02T00:00:00Z")[0]
    assert "minimum" not in result.by_reason() and len(result.samples) > 3


def _decided(store, decision_id):
    return store.db.execute("SELECT decided_at FROM decisions WHERE id = ?", [decision_id]).fetchone()[0]


# ----------------------------------------------------------------- boosts
def test_new_moderators_first_decisions_are_boosted(store, team):
    queue = store.add_queue("spam")
    ids = _decide(store, queue, [("ana", _days(n), {}) for n in range(30)] + [("ben", _days(n), {}) for n in range(30)])
    plans.save_plan(store, "lee", "qa", rate=0.0, boosts={"new": {"first": 10, "rate": 1.0}}, seed="s",
                       starts_at="2026-01-01")
    result = sampling.run_plans(store, "lee")[0]
    assert sorted(s.decision_id for s in result.samples) == ids[:10] + ids[30:40]
    assert result.by_reason() == {"boost:new": 20}


def test_fast_decisions_are_boosted_to_their_rate(store, team):
    queue = store.add_queue("spam")
    fast = _decide(store, queue, [("ana", _days(n), {"handle_ms": 1500}) for n in range(2000)])
    _decide(store, queue, [("ana", _days(n), {"handle_ms": 20_000}) for n in range(2000)])
    plans.save_plan(store, "lee", "qa", rate=0.05, boosts={"fast": {"seconds": 3, "rate": 0.5}}, seed="s",
                       starts_at="2026-01-01")
    result = sampling.run_plans(store, "lee")[0]
    drawn_fast = [s for s in result.samples if s.decision_id in set(fast)]
    assert binom.ppf(0.0005, 2000, 0.5) <= len(drawn_fast) <= binom.ppf(0.9995, 2000, 0.5)
    slow = len(result.samples) - len(drawn_fast)
    assert binom.ppf(0.0005, 2000, 0.05) <= slow <= binom.ppf(0.9995, 2000, 0.05)
    assert {s.reason for s in drawn_fast} == {"rate", "boost:fast"}
    assert {s.reason for s in result.samples if s not in drawn_fast} == {"rate"}


def test_escalations_and_reversed_decisions_are_boosted(store, team, clock):
    policy = taxonomy.load()
    escalations = store.add_queue("escalations", "escalation")
    queue = store.add_queue("spam", escalation_queue="escalations")
    lead_decisions = _decide(store, escalations, [("lee", _days(n), {}) for n in range(3)])
    _decide(store, queue, [("ana", _days(n), {}) for n in range(20)])
    store.add_items([{"external_id": "undo-me", "queue_id": queue.id, "kind": "text",
                      "received_at": "2026-01-05T08:00:00Z"}])
    lease = serving.claim_next(store, team["ben"], ["spam"])
    first = decisions.decide(store, policy, team["ben"], lease.item.id, claim=lease.claim, action="no_violation")
    back = decisions.undo(store, team["ben"], first.id)
    second = decisions.decide(store, policy, team["ben"], back.item.id, claim=back.claim, action="remove",
                              labels=["harassment"])
    plans.save_plan(store, "lee", "qa", rate=0.0, seed="s", starts_at="2026-01-01",
                       boosts={"escalation": {"rate": 1.0}, "reversed": {"rate": 1.0}})
    result = sampling.run_plans(store, "lee")[0]
    assert {s.decision_id: s.reason for s in result.samples} == {
        **{d: "boost:escalation" for d in lead_decisions}, second.id: "boost:reversed"}


def test_plan_validation_and_roles(store, team):
    store.add_queue("spam")
    for bad in ({"rate": 1.5}, {"rate": -0.1}, {"rate": 0.1, "min_per_moderator_per_day": -1},
                {"rate": 0.1, "strata": "colour"}, {"rate": 0.1, "boosts": {"slow": {"rate": 1}}},
                {"rate": 0.1, "boosts": {"fast": {"rate": 0.5}}}, {"rate": 0.1, "queues": ["nope"]}):
        with pytest.raises(PlanError):
            plans.save_plan(store, "lee", "qa", **bad)
    with pytest.raises(PermissionError, match="lead"):
        plans.save_plan(store, "ana", "qa", rate=0.1)
    with pytest.raises(PermissionError, match="lead"):
        sampling.run_plans(store, "cat")
    plan = plans.save_plan(store, "lee", "qa", rate=0.1, queues=["spam"])
    assert [q.name for q in plan.queues] == ["spam"] and len(plan.seed) == 16  # a random seed, stored
    assert plans.save_plan(store, "lee", "qa", rate=0.2).seed == plan.seed  # kept on edit


# ---------------------------------------------------------- reproducibility
def _store_with(tmp_path: Path, name: str, n: int):
    store = wiring.open_store(tmp_path / name, clock=FakeClock("2026-01-10T00:00:00Z"))
    people(store, ana="moderator", ben="moderator", cat="auditor", lee="lead")
    queue = store.add_queue("spam")
    _decide(store, queue, [(("ana", "ben")[k % 2], _days(k, 1 + k % 5), {"handle_ms": 1000 * (k % 30)})
                           for k in range(n)])
    plans.save_plan(store, "lee", "qa", rate=0.07, min_per_moderator_per_day=1, seed="fixed",
                       starts_at="2026-01-01", boosts={"fast": {"seconds": 4, "rate": 0.3}})
    return store


def test_same_seed_and_data_give_the_same_sample(tmp_path):
    with _store_with(tmp_path, "a.db", 1500) as a, _store_with(tmp_path, "b.db", 1500) as b:
        sampling.run_plans(a, "lee")
        sampling.run_plans(b, "lee")
        assert _sampled(a) == _sampled(b) and len(_sampled(a)) > 50
        plans.save_plan(b, "lee", "other", rate=0.07, seed="another", starts_at="2026-01-01")
        plan = plans.plan(b, "other")
        assert set(sampling.choose(b, plan, b.clock.now())) != set(_sampled(a))


def test_new_data_does_not_reshuffle_earlier_choices(tmp_path):
    with _store_with(tmp_path, "a.db", 1000) as grown, _store_with(tmp_path, "b.db", 2000) as whole:
        sampling.run_plans(grown, "lee")
        before = _sampled(grown)
        queue = grown.queue("spam")
        _decide(grown, queue, [(("ana", "ben")[k % 2], _days(k, 1 + k % 5), {"handle_ms": 1000 * (k % 30)})
                               for k in range(1000, 2000)])
        sampling.run_plans(grown, "lee")
        after = _sampled(grown)
        assert {k: after[k] for k in before} == before  # nothing earlier dropped or relabelled
        # rate and boost picks depend only on each decision: identical to sampling everything at once
        sampling.run_plans(whole, "lee")

        def rate_picks(s):
            return {k for k, v in _sampled(s).items() if v != "minimum"}

        assert rate_picks(grown) == rate_picks(whole)


# ------------------------------------------------------ what is considered
def test_only_current_decisions_of_closed_items_not_gold_are_sampled(store, team, clock):
    policy = taxonomy.load()
    store.add_queue("escalations", "escalation")
    queue = store.add_queue("spam", escalation_queue="escalations")
    ids = _decide(store, queue, [("ana", _days(n), {}) for n in range(5)])
    from audit import gold
    gold_item = store.db.execute("SELECT item_id FROM decisions WHERE id = ?", [ids[0]]).fetchone()[0]
    gold.add_gold(store, "lee", gold_item, "remove", ["harassment"])
    store.add_items([{"external_id": f"live{n}", "queue_id": queue.id, "kind": "text",
                      "received_at": "2026-01-05T08:00:00Z"} for n in range(2)])
    escalated_item = serving.claim_next(store, team["ben"], ["spam"])
    escalated = decisions.decide(store, policy, team["ben"], escalated_item.item.id, claim=escalated_item.claim,
                                 action="escalate", note="hard")
    undone_item = serving.claim_next(store, team["ben"], ["spam"])
    undone = decisions.decide(store, policy, team["ben"], undone_item.item.id, claim=undone_item.claim,
                              action="no_violation")
    decisions.undo(store, team["ben"], undone.id)
    plans.save_plan(store, "lee", "qa", rate=1.0, seed="s", starts_at="2026-01-01")
    drawn = set(_sampled(store)) | {s.decision_id for s in sampling.run_plans(store, "lee")[0].samples}
    assert drawn == set(ids[1:])  # not the gold item, the pending escalation, the undone decision
    assert escalated.id not in drawn and undone.id not in drawn


def test_queue_filter_and_start_time(store, team):
    spam, hate = store.add_queue("spam"), store.add_queue("hate")
    in_spam = _decide(store, spam, [("ana", _days(n, 3), {}) for n in range(5)])
    _decide(store, spam, [("ana", _days(n, 1), {}) for n in range(5)])
    _decide(store, hate, [("ana", _days(n, 3), {}) for n in range(5)])
    plans.save_plan(store, "lee", "qa", rate=1.0, seed="s", starts_at="2026-01-02", queues=["spam"])
    assert {s.decision_id for s in sampling.run_plans(store, "lee")[0].samples} == set(in_spam)


# --------------------------------------------------------------- schedule
def test_due_plans_run_once_per_period(store, team, clock):
    queue = store.add_queue("spam")
    _decide(store, queue, [("ana", _days(n, 4), {}) for n in range(100)])
    plans.save_plan(store, "lee", "daily", rate=0.2, seed="s", starts_at="2026-01-01")
    plans.save_plan(store, "lee", "off", rate=1.0, seed="s", starts_at="2026-01-01", active=False)
    assert [r.plan for r in sampling.run_due_plans(store, "lee", now="2026-01-05T10:00:00Z")] == ["daily"]
    assert sampling.run_due_plans(store, "lee", now="2026-01-05T23:59:00Z") == []
    _decide(store, queue, [("ana", _days(n, 5, 12), {}) for n in range(100)])
    assert sampling.run_due_plans(store, "lee", now="2026-01-05T23:59:59Z") == []
    later = sampling.run_due_plans(store, "lee", now="2026-01-06T00:01:00Z")
    assert [r.plan for r in later] == ["daily"] and later[0].samples
    assert plans.plan(store, "daily").last_period == "2026-01-06"
    assert all(s.plan == "daily" for s in sampling.samples(store))
    actors = store.db.execute("SELECT DISTINCT actor FROM events WHERE kind = 'audit.sampled'").fetchall()
    assert actors == [("lee",)]  # the signed-in lead the schedule runs as


@pytest.mark.parametrize("who", ["ana", "cat", "mallory"])
def test_due_plans_run_only_for_a_lead(store, team, who):
    queue = store.add_queue("spam")
    _decide(store, queue, [("ana", _days(n, 4), {}) for n in range(20)])
    plans.save_plan(store, "lee", "daily", rate=1.0, seed="s", starts_at="2026-01-01")
    with pytest.raises(PermissionError):
        sampling.run_due_plans(store, who, now="2026-01-05T10:00:00Z")
    assert sampling.samples(store) == [] and plans.plan(store, "daily").last_period is None


# ---------------------------------------------------------- assignment
def test_assignment_balances_auditors_and_never_the_moderator(store):
    people(store, ana=["moderator", "auditor"], ben=["moderator", "auditor"], cat=["auditor"], lee=["lead"])
    queue = store.add_queue("spam")
    _decide(store, queue, [(("ana", "ben")[n % 2], _days(n), {}) for n in range(60)])
    plans.save_plan(store, "lee", "qa", rate=1.0, seed="s", starts_at="2026-01-01")
    result = sampling.run_plans(store, "lee")[0]
    assert all(s.auditor and s.auditor != s.moderator for s in result.samples)
    assert max(Counter(s.auditor for s in result.samples).values()) == 20


def test_the_only_auditor_never_gets_their_own_decisions(store):
    people(store, ana=["moderator", "auditor"], ben=["moderator"], lee=["lead"])
    queue = store.add_queue("spam")
    _decide(store, queue, [(("ana", "ben")[n % 2], _days(n), {}) for n in range(10)])
    plans.save_plan(store, "lee", "qa", rate=1.0, seed="s", starts_at="2026-01-01")
    result = sampling.run_plans(store, "lee")[0]
    assert {(s.moderator, s.auditor) for s in result.samples} == {("ana", None), ("ben", "ana")}
    worked = []
    while (sample := audits.next_sample(store, "ana")) is not None:
        worked.append(sample)
        audits.start_audit(store, "ana", sample.id)
        audits.submit_blind(store, "ana", sample.id, "remove", ["harassment"])
        audits.reveal_original(store, "ana", sample.id)
        audits.score(store, "ana", sample.id, "correct")
    moderators = {s.id: s.moderator for s in sampling.samples(store)}
    assert len(worked) == 5 and {moderators[s.id] for s in worked} == {"ben"}
    assert {(s.moderator, s.reason) for s in worked} == {(None, None)}  # auditors see blinded rows
    assert {s.state for s in sampling.samples(store) if s.moderator == "ana"} == {"open"}


ROLE_SETS = st.sets(st.sampled_from(["moderator", "auditor", "lead"]), min_size=1)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roles=st.lists(ROLE_SETS, min_size=1, max_size=6),
       work=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), min_size=1, max_size=30),
       rate=st.sampled_from([0.3, 1.0]), seed=st.integers(0, 1000))
def test_property_nobody_ever_audits_their_own_decision(roles, work, rate, seed):
    with tempfile.TemporaryDirectory() as tmp:
        store = wiring.open_store(Path(tmp) / "s.db", clock=FakeClock("2026-01-09T00:00:00Z"))
        with store:
            people = [store.add_user(f"u{n}", sorted(r)) for n, r in enumerate(roles)]
            lead = store.add_user("boss", ["lead"])
            queue = store.add_queue("spam")
            _decide(store, queue, [(people[who % len(people)].name, _days(n, 1 + day), {})
                                   for n, (who, day) in enumerate(work)])
            plans.save_plan(store, lead, "qa", rate=rate, min_per_moderator_per_day=1, seed=str(seed),
                               starts_at="2026-01-01")
            sampling.run_plans(store, lead)
            auditors = [p for p in people if p.has("auditor")]
            moderator = {s.id: s.moderator for s in sampling.samples(store)}
            for s in sampling.samples(store):
                assert s.auditor != s.moderator
                if s.auditor is None:
                    assert all(a.name == s.moderator for a in auditors)
            for auditor in auditors:
                for s in audits.work_list(store, auditor):
                    assert moderator[s.id] != auditor.name
                own = [s for s in sampling.samples(store) if s.moderator == auditor.name]
                for s in own[:2]:
                    with pytest.raises(PermissionError):
                        audits.start_audit(store, auditor, s.id)
                while (s := audits.next_sample(store, auditor)) is not None:
                    assert moderator[s.id] != auditor.name
                    audits.start_audit(store, auditor, s.id)
                    audits.submit_blind(store, auditor, s.id, "remove", ["harassment"])
                    audits.reveal_original(store, auditor, s.id)
                    audits.score(store, auditor, s.id, "correct")
            blind = store.db.execute(
                "SELECT COUNT(*) FROM audits a JOIN decisions d ON d.id = a.decision_id WHERE a.auditor_id = d.user_id"
            ).fetchone()[0]
            assert blind == 0


def test_editing_a_plan_keeps_its_start_and_a_bad_start_is_a_plan_error(store, team, clock):
    """Regression: re-saving a plan (say, a new rate) moved starts_at to now, dropping today's decisions."""
    queue = store.add_queue("spam")
    plan = plans.save_plan(store, "lee", "qa", rate=0.1, seed="s", starts_at="2026-01-01")
    clock.advance(3600)
    edited = plans.save_plan(store, "lee", "qa", rate=1.0)
    assert edited.starts_at == plan.starts_at == "2026-01-01T00:00:00.000Z"
    ids = _decide(store, queue, [("ana", "2026-01-05T09:30:00.000Z", {})])
    assert {s.decision_id for s in sampling.run_plans(store, "lee")[0].samples} == set(ids)
    with pytest.raises(PlanError, match="starts_at"):
        plans.save_plan(store, "lee", "other", rate=0.1, starts_at="yesterday")
