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
