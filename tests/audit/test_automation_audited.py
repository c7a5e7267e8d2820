"""Automation audited like people (issue 20 §7): its own QA stratum, figures per rule, the floor."""

from __future__ import annotations

import pytest
from builders import audited, decided_item, people, text_items

from audit import automation, plans, sampling
from audit.exports import Filters, tables
from review import settings
from review.errors import NotAllowed
from review.known import automation as review_automation
from review.known.automation import Outcome, apply
from review.store import wellbeing
from review.wellbeing.exposure import ExposureRecord


@pytest.fixture
def floor(store):
    people(store, lee="lead", ana="moderator", dana="auditor", eve="auditor")
    store.add_queue("general")
    return store


def _decide(store, n, *, rule="list:known-spam", version=2):
    ids = text_items(store, "general", n)
    with store.transaction():
        apply(store, [Outcome(i, "remove", ("spam",), automated=True) for i in ids], rule=rule, version=version,
              actor="lee")
    return [d for (d,) in store.db.execute(
        "SELECT d.id FROM decisions d JOIN automated_decisions a ON a.decision_id = d.id WHERE a.rule = ?"
        " ORDER BY d.id", [rule])]


def test_automated_decisions_are_their_own_stratum_per_rule(floor, clock):
    store = floor
    for _ in range(10):
        decided_item(store, "general", "ana", decided_at=store.now(), action="remove")
    spam = _decide(store, 4)
    other = _decide(store, 2, rule="r2")
    clock.advance(60)
    plans.create_plan(store, "lee", "by-queue", rate=0.5, strata="queue", starts_at="2026-01-01T00:00:00Z")
    picked = sampling.choose(store, plans.plan(store, "by-queue"), clock.now())
    # queue "general" holds every decision, yet each rule is sampled at the rate on its own
    assert len([d for d in picked if d in spam]) == 2
    assert len([d for d in picked if d in other]) == 1
    assert len([d for d in picked if d not in spam and d not in other]) == 5


def test_the_daily_minimum_counts_each_rule_as_a_moderator(floor, clock):
    store = floor
    spam = _decide(store, 3)
    other = _decide(store, 3, rule="r2")
    clock.advance(86400)
    plans.create_plan(store, "lee", "minimum", rate=0.0, min_per_moderator_per_day=1,
                      starts_at="2026-01-01T00:00:00Z")
    picked = sampling.choose(store, plans.plan(store, "minimum"), clock.now())
    assert (len(set(picked) & set(spam)), len(set(picked) & set(other))) == (1, 1)


def test_an_automated_sample_is_blind_like_any_other(floor):
    store = floor
    decision = _decide(store, 1)[0]
    plans.create_plan(store, "lee", "all", rate=1.0, starts_at="2026-01-01T00:00:00Z")
    [run] = sampling.run_plans(store, "lee")
    [sample] = run.samples
    assert (sample.decision_id, sample.moderator) == (decision, "automation")
    assert sample.auditor in ("dana", "eve")  # any auditor: none of them made it
    assert sample.blinded().moderator is None  # the auditor is not told a rule decided it


def test_figures_per_rule_rate_accuracy_and_exposure_spared(floor, clock):
    store = floor
    ana = store.user("ana")
    for on_screen in (1000, 3000, 9000):  # a person's decisions in the queue: median exposure 3 s per item
        item = decided_item(store, "general", "ana", decided_at=store.now())
        item_id = store.db.execute("SELECT item_id FROM decisions WHERE id = ?", [item]).fetchone()[0]
        wellbeing.add_exposure(store, ana, "s1", ExposureRecord(item_id, None, None, store.now(), store.now(),
                                                                blurred_ms=on_screen))
    decided = _decide(store, 5)
    for n, decision in enumerate(decided[:4]):
        audited(store, decision, lead="lee", auditor="dana", blind_action="remove",
                verdict="correct" if n < 3 else "incorrect",
                error=None if n < 3 else ("over_enforcement", "minor"))
    review_automation.revoke(store, "lee", "list:known-spam", store.now(), None)  # all 5, made at this moment
    decided_again = _decide(store, 2)  # two more that stand
    [figure] = automation.figures(store, "lee")
    assert (figure.rule, figure.version, figure.decisions, figure.revoked) == ("list:known-spam", 2, 7, 5)
    assert figure.received == 3 + 7
    assert figure.rate == pytest.approx(0.7)
    assert (figure.accuracy.k, figure.accuracy.n) == (3, 4)
    assert figure.accuracy.ci95 is not None and figure.accuracy.ci95[0] < 0.75 < figure.accuracy.ci95[1]
    assert figure.spared_ms == 2 * 3000  # only the standing decisions spared anyone
    assert figure.suspended_since is None
    assert len(decided_again) == 7
    assert automation.figures(store, "dana")  # auditors read them too
    with pytest.raises(NotAllowed):
        automation.figures(store, "ana")


def test_a_rule_below_its_floor_suspends_itself_once_the_interval_allows(floor, clock):
    store = floor
    settings.write(store, "lee", automation.MIN_AUDITS, 3)
    decided = _decide(store, 12)
    for decision in decided[:3]:
        audited(store, decision, lead="lee", auditor="dana", blind_action="keep", verdict="incorrect",
                error=("over_enforcement", "minor"))
    # 0 of 3: upper bound 56 %, below 95 %: judged as the third audit was scored
    assert review_automation.suspended_rules(store).keys() == {"list:known-spam"}
    assert automation.judge(store) == []
    assert automation.notice(store, "lee").startswith("Automation suspended below its accuracy floor: list:known-spam")
    assert automation.notice(store, "ana") is None
    [figure] = automation.figures(store, "lee")
    assert figure.suspended_since is not None
    # resumed: judged afresh on decisions from now on, so the old audits do not stop it again
    clock.advance(60)
    review_automation.resume(store, "lee", "list:known-spam", reason="list cleaned")
    assert automation.judge(store) == []
    assert automation.notice(store, "lee") is None


def test_too_few_audits_judge_nothing(floor):
    store = floor
    settings.write(store, "lee", automation.FLOOR, 0.5)
    decision = _decide(store, 1)[0]
    audited(store, decision, lead="lee", auditor="dana", blind_action="keep", verdict="incorrect",
            error=("over_enforcement", "minor"))
    assert automation.judge(store) == []  # 0 of 1: the interval reaches 79 %, above a 50 % floor


def test_the_floor_is_a_lead_setting_between_0_and_1(floor):
    store = floor
    assert automation.floor(store) == 0.95
    with pytest.raises(NotAllowed):
        settings.write(store, "ana", automation.FLOOR, 0.9)
    with pytest.raises(settings.SettingError):
        settings.write(store, "lee", automation.FLOOR, 1.5)


def test_the_decisions_export_marks_automated_rows_with_their_rule(floor):
    store = floor
    decided_item(store, "general", "ana", decided_at=store.now())
    _decide(store, 1)
    [table] = tables.decisions(store, "lee", Filters())
    names = [c.name for c in table.columns]
    rows = [dict(zip(names, row)) for row in table.rows]
    assert [(r["moderator"], r["source"], r["rule"], r["rule_version"]) for r in rows] == [
        ("ana", "import", None, None), ("automation", "automation", "list:known-spam", 2)]


def test_the_dashboard_counts_automation_per_queue_never_as_a_moderator(floor):
    from audit.dashboard import figures

    store = floor
    [decision] = _decide(store, 1)
    audited(store, decision, lead="lee", auditor="dana", blind_action="remove")
    shown = figures(store, "lee")
    assert "automation" not in shown.by_moderator
    assert (shown.by_queue["general"].k, shown.by_queue["general"].n) == (1, 1)
