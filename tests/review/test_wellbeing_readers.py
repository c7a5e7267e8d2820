"""Who reads whose wellbeing figures (issue 11, "Doors"): checked in the domain for every caller.

A check-in is its owner's alone; a lead sees individual exposure totals (a
lead's duty of care, as on the dashboard) but check-ins only pooled over at
least five people; nobody else reads another person's exposure or check-ins.
"""

from __future__ import annotations

import re

import builders
import pytest

from review.store import wellbeing as wellbeing_rows
from review.wellbeing.budget import budget_status
from review.wellbeing.checkins import checkins_of, record_checkin, team_checkins
from review.wellbeing.exposure import ExposureRecord


@pytest.fixture
def team(store):
    return builders.people(store, lee="lead", ana="moderator", bo="moderator", dana="auditor")


def _severe_minute(store, user):
    item_id = builders.text_item(store, store.add_queue("q"))
    record = ExposureRecord(item_id, "severe", "gore", "2026-01-05T08:00:00.000Z", "2026-01-05T08:01:00.000Z",
                            blurred_ms=60_000)
    wellbeing_rows.add_exposure(store, user, "s1", record)


def test_a_checkin_is_read_by_its_owner_alone(store, team):
    record_checkin(store, team["ana"], 2)
    assert [c.score for c in checkins_of(store, "ana", "ana")] == [2]
    for other in ("lee", "bo", "dana"):
        with pytest.raises(PermissionError, match="only ana"):
            checkins_of(store, other, "ana")
    with pytest.raises(PermissionError, match="not a user"):
        checkins_of(store, "mallory", "ana")


def test_a_lead_sees_check_ins_only_pooled_over_five_people_and_never_a_count_below(store, team):
    for name in ("ana", "bo", "dana"):
        record_checkin(store, team[name], 3)
    shown = team_checkins(store, "lee")
    assert shown.aggregate is None and shown.reason.startswith("not enough people to show")
    assert not re.search(r"\b3\b", shown.reason)  # how many answered is itself a figure about few people
    for name in ("bo", "dana"):
        with pytest.raises(PermissionError):
            team_checkins(store, name)


def test_severe_time_against_the_budget_is_the_persons_and_their_leads(store, team):
    """The clock stands at 2026-01-05 09:00: the severe minute is today's."""
    _severe_minute(store, team["ana"])
    assert budget_status(store, "ana", "ana").used_ms == 60_000
    assert budget_status(store, "lee", "ana").used_ms == 60_000
    for other in ("bo", "dana", "mallory"):
        with pytest.raises(PermissionError):
            budget_status(store, other, "ana")


DAY = 86_400


def test_the_viewing_lead_is_not_one_of_the_five(store, clock, team):
    """Today lee plus four others make "five people": lee knows their own answer, so the rest are four."""
    others = builders.people(store, cy="moderator", di="moderator")
    for user in (team["lee"], team["ana"], team["bo"], team["dana"], others["cy"]):
        record_checkin(store, user, 3)
    clock.advance(DAY)
    assert team_checkins(store, "lee").aggregate is None
    record_checkin(store, others["di"], 5)  # today's: not pooled yet
    assert team_checkins(store, "lee").aggregate is None
    clock.advance(DAY)
    shown = team_checkins(store, "lee").aggregate
    assert shown is not None and (shown.people, shown.responses) == (5, 5)  # lee's own answer is left out
    assert shown.distribution == {1: 0, 2: 0, 3: 4, 4: 0, 5: 1}


def test_a_pool_is_of_completed_days_only_so_it_stands_still_during_the_day(store, clock, team):
    """Today each new answer changes the shown distribution by one: who answered what can be read off it."""
    crowd = [*builders.people(store, **{f"m{n}": "moderator" for n in range(5)}).values()]
    for user in crowd:
        record_checkin(store, user, 4)
    assert team_checkins(store, "lee").aggregate is None  # all of today's: none pooled yet
    clock.advance(DAY)
    before = team_checkins(store, "lee")
    assert before.aggregate is not None and before.aggregate.last_day == "2026-01-05"
    for score, user in zip((1, 2, 5), (team["ana"], team["bo"], crowd[0])):
        record_checkin(store, user, score)
        assert team_checkins(store, "lee") == before  # an answer today moves nothing the lead sees today
    clock.advance(DAY)
    after = team_checkins(store, "lee").aggregate
    assert after is not None and after.responses == 8 and after.first_day == "2025-12-31"
