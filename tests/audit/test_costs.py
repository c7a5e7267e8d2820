"""Active time and cost per decision, hand-calculated on a fake clock (rules in docs/operations.md)."""

from __future__ import annotations

import pytest

from audit import costs
from audit.store import activity
from review import settings
from review.errors import NotAllowed
from review.store import wellbeing as wellbeing_store
from review.wellbeing.exposure import ExposureRecord
from tests.builders import decided_item, people

HOUR = costs.HOUR_MS

FIVE_MINUTES = 300_000


def shown(store, user, item_id: int, started: str, ended: str) -> None:
    wellbeing_store.add_exposure(store, user, "s1", ExposureRecord(item_id, None, None, f"2026-01-05T{started}:00.000Z",
                                                                   f"2026-01-05T{ended}:00.000Z"))


@pytest.fixture
def floor(store, clock):
    """ana (moderator) and ben (moderator and lead) at work on Monday 2026-01-05 (ISO week 2026-W02).

    ana: items on screen 09:00–09:10 and 09:12–09:30 (a 2-minute gap, under the 5-minute idle pause: bridged,
    09:00–09:30), then 10:00–10:20 (a 30-minute gap: not bridged); an idle pause at 09:25 after 5 minutes
    without input cuts 09:20–09:25. Active: 30 + 20 − 5 = 45 minutes = 0.75 h. Decisions: 3 in Spam, 1 in Hate.
    ben: 09:00–10:00, one hour; 2 decisions in Spam.
    """
    who = people(store, ana="moderator", ben=["moderator", "lead"], lee="lead")
    store.add_queue("Spam")
    store.add_queue("Hate")
    ids = [decided_item(store, "Spam", "ana", decided_at=f"2026-01-05T09:0{m}:00.000Z") for m in (1, 2, 3)]
    ids.append(decided_item(store, "Hate", "ana", decided_at="2026-01-05T10:10:00.000Z"))
    ids += [decided_item(store, "Spam", "ben", decided_at=f"2026-01-05T09:4{m}:00.000Z") for m in (1, 2)]
    shown(store, who["ana"], ids[0], "09:00", "09:10")
    shown(store, who["ana"], ids[1], "09:12", "09:30")
    shown(store, who["ana"], ids[3], "10:00", "10:20")
    shown(store, who["ben"], ids[4], "09:00", "10:00")
    clock.advance(25 * 60)  # 09:25
    wellbeing_store.add_event(store, who["ana"], "idle_paused", {"idle_ms": FIVE_MINUTES})
    return who


def test_active_time_merges_short_gaps_and_drops_idle_stretches(store, floor):
    active = activity.active_ms(store, "2026-01-05", "2026-01-06", bridge_ms=FIVE_MINUTES)
    assert active == {(floor["ana"].id, "2026-01-05"): 45 * 60_000, (floor["ben"].id, "2026-01-05"): 60 * 60_000}


def test_interval_rules_by_hand():
    assert activity.merged([(0, 10), (14, 20), (40, 50)], 5) == [(0, 20), (40, 50)]
    assert activity.less([(0, 20), (40, 50)], [(5, 8), (45, 60)]) == [(0, 5), (8, 20), (40, 45)]
    day = 86_400_000
    assert activity.per_day([(day - 1000, day + 500)]) == {"1970-01-01": 1000, "1970-01-02": 500}


def test_cost_per_decision_per_queue_and_week(store, floor):
    settings.write(store, "lee", costs.COST_PER_HOUR, {"currency": "EUR", "roles": {"moderator": 40, "lead": 60}})
    rates = settings.read(store, costs.COST_PER_HOUR)["roles"]
    active = activity.active_ms(store, "2026-01-05", "2026-01-06", bridge_ms=FIVE_MINUTES)
    decided = activity.decisions_per_day(store, "2026-01-05", "2026-01-06")
    by_queue, by_week = costs.unit_costs(active, decided, {u.id: costs.hourly_rate(u, rates) for u in floor.values()})
    spam, hate = {u.key: u for u in by_queue}["Spam"], {u.key: u for u in by_queue}["Hate"]
    # ana's 0.75 h: 3/4 to Spam (0.5625 h, 22.50 at 40/h), 1/4 to Hate (0.1875 h, 7.50); ben's hour costs a
    # lead's 60 (his most expensive role), all Spam.
    assert (spam.decisions, spam.active_hours, spam.cost, spam.cost_per_decision) == (5, 1.5625, 82.5, 16.5)
    assert spam.items_per_hour == 3.2
    assert (hate.decisions, hate.active_hours, hate.cost, hate.cost_per_decision) == (1, 0.1875, 7.5, 7.5)
    [week] = by_week
    assert (week.key, week.decisions, week.active_hours, week.cost, week.cost_per_decision) == (
        "2026-W02", 6, 1.75, 90.0, 15.0)


def test_an_unpriced_role_gives_no_cost_per_decision(store, floor):
    active = activity.active_ms(store, "2026-01-05", "2026-01-06", bridge_ms=FIVE_MINUTES)
    decided = activity.decisions_per_day(store, "2026-01-05", "2026-01-06")
    by_queue, _ = costs.unit_costs(active, decided, {floor["ana"].id: 40.0, floor["ben"].id: None})
    spam = {u.key: u for u in by_queue}["Spam"]
    assert spam.cost_per_decision is None and spam.unpriced_hours == 1.0 and spam.cost == 22.5


def test_only_a_lead_sets_costs_and_the_check_refuses_nonsense(store, floor):
    with pytest.raises(NotAllowed):
        settings.write(store, "ana", costs.COST_PER_HOUR, {"roles": {"moderator": 40}})
    with pytest.raises(settings.SettingError, match="not a role"):
        settings.write(store, "lee", costs.COST_PER_HOUR, {"roles": {"intern": 4}})
    with pytest.raises(settings.SettingError, match="from 0 to 10000"):
        settings.write(store, "lee", costs.COST_PER_HOUR, {"roles": {"moderator": -1}})


def test_active_hours_without_a_decision_still_cost_the_week():
    """Finding 7: a person-day with active time but no surviving decision (all undone, all skipped) was dropped."""
    by_queue, by_week = costs.unit_costs({(1, "2026-01-05"): HOUR, (1, "2026-01-06"): HOUR},
                                         [(1, "Spam", "2026-01-05", 2)], {1: 30.0})
    assert [(u.key, u.decisions, u.active_hours, u.cost, u.cost_per_decision) for u in by_week] == [
        ("2026-W02", 2, 2.0, 60.0, 30.0)]
    assert [(u.key, u.decisions, u.active_hours, u.cost, u.cost_per_decision) for u in by_queue] == [
        (costs.UNALLOCATED, 0, 1.0, 30.0, None), ("Spam", 2, 1.0, 30.0, 15.0)]
