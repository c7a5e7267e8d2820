"""QA samples every rule (issue 20 §7, review finding 8): each non-empty ``automation:RULE`` stratum gets at least
one sample, and automation is stratified per rule in unstratified plans too."""

from __future__ import annotations

import pytest
from builders import decided_item, people, text_items

from audit import plans, sampling
from review.known.automation import Outcome, apply


@pytest.fixture
def floor(store):
    people(store, lee="lead", ana="moderator", dana="auditor")
    store.add_queue("general")
    for _ in range(20):
        decided_item(store, "general", "ana", decided_at=store.now(), action="remove")
    return store


def _decide(store, n, rule):
    ids = text_items(store, "general", n)
    with store.transaction():
        apply(store, [Outcome(i, "remove", automated=True) for i in ids], rule=rule, version=1, actor="lee")
    return {d for (d,) in store.db.execute(
        "SELECT decision_id FROM automated_decisions WHERE rule = ? ORDER BY decision_id", [rule])}


@pytest.mark.parametrize("strata", ["queue", None])
def test_a_small_rule_gets_a_sample_in_every_plan(floor, clock, strata):
    store = floor
    small = _decide(store, 2, "list:small")  # 5 % of 2 rounds to none
    tiny = _decide(store, 1, "list:tiny")
    clock.advance(60)
    plans.create_plan(store, "lee", "light", rate=0.05, strata=strata, starts_at="2026-01-01T00:00:00Z")
    picked = sampling.choose(store, plans.plan(store, "light"), clock.now())
    assert len(small & picked.keys()) == 1
    assert len(tiny & picked.keys()) == 1
    assert all(picked[d] == "rate" for d in small | tiny if d in picked)


def test_a_rate_of_nothing_still_samples_nothing(floor, clock):
    store = floor
    small = _decide(store, 2, "list:small")
    clock.advance(60)
    plans.create_plan(store, "lee", "off", rate=0.0, strata=None, starts_at="2026-01-01T00:00:00Z")
    assert not small & sampling.choose(store, plans.plan(store, "off"), clock.now()).keys()
