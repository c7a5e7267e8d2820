"""A rule's floor (issue 20 §7, review findings 3 and 5): judged as soon as an audit is scored, not when a lead
next looks, and only once ``automation_min_audits`` audits exist, so one unlucky audit stops nothing."""

from __future__ import annotations

import pytest
from builders import audited, events, people, text_items

from audit import automation
from review import settings
from review.errors import NotAllowed
from review.known import automation as review_automation
from review.known.automation import Outcome, apply


@pytest.fixture
def floor(store):
    people(store, lee="lead", ana="moderator", dana="auditor")
    store.add_queue("general")
    return store


def _decide(store, n):
    ids = text_items(store, "general", n)
    with store.transaction():
        return apply(store, [Outcome(i, "remove", ("spam",), automated=True) for i in ids], rule="r", version=1,
                     actor="lee"), ids


def _bad_audits(store, n):
    decisions = [d for (d,) in store.db.execute(
        "SELECT d.id FROM decisions d WHERE d.source = 'automation' AND NOT EXISTS"
        " (SELECT 1 FROM audit_samples s WHERE s.decision_id = d.id) ORDER BY d.id")][:n]
    for decision in decisions:
        audited(store, decision, lead="lee", auditor="dana", blind_action="keep", verdict="incorrect",
                error=("over_enforcement", "minor"))


def test_one_bad_audit_judges_nothing_at_the_default_floor(floor):
    store = floor
    assert settings.read(store, automation.MIN_AUDITS) == 10
    _decide(store, 2)
    _bad_audits(store, 1)  # 0 of 1: the interval's top (79 %) is below 95 %, but one audit is not enough
    assert automation.judge(store) == []
    assert _decide(store, 1)[0] == 1  # it still decides


def test_the_scored_audit_that_reaches_the_minimum_stops_the_rule_before_its_next_decision(floor):
    store = floor
    _decide(store, 10)
    _bad_audits(store, 9)
    assert not review_automation.suspended_rules(store)
    _bad_audits(store, 1)  # the tenth: nobody opened the dashboard, signed in or ran status
    assert review_automation.suspended_rules(store).keys() == {"r"}
    made, [item] = _decide(store, 1)
    assert made == 0  # only suggested now
    assert store.db.execute("SELECT state FROM items WHERE id = ?", [item]).fetchone()[0] == "pending"
    [event] = events(store, "automation.suspended")
    assert (event.actor, event.payload["audited"], event.payload["min_audits"]) == ("system", 10, 10)


def test_the_minimum_is_a_lead_setting_of_at_least_one(floor):
    store = floor
    with pytest.raises(NotAllowed):
        settings.write(store, "ana", automation.MIN_AUDITS, 3)
    with pytest.raises(settings.SettingError):
        settings.write(store, "lee", automation.MIN_AUDITS, 0)
    settings.write(store, "lee", automation.MIN_AUDITS, 1)
    _decide(store, 1)
    _bad_audits(store, 1)
    assert review_automation.suspended_rules(store).keys() == {"r"}
