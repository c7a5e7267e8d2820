"""Check-ins: the optional one-tap "how are you", private to each person; leads see only a pooled figure.

The score is stored only in ``wellbeing_checkins``; the logs record that a
check-in happened, never its answer. Each reader takes the asking person
and checks it here, whatever the front end: a person's answers are theirs
alone (a lead included: :func:`checkins_of`). A lead's view pools the last
days and shows nothing at all below ``checkin_min_people`` different people
(never fewer than five), because an average over two people points at
someone; below that it says only that there are not enough people, not how
many answered (a count of two is a figure about two people too).

A pool must not be taken apart by the one who reads it either. The viewer's
own answers are left out (they know them, so "five people" with the lead
among them are four others), and only completed days are pooled, never
today: a pool shown in the morning is the pool shown all day, so watching it
move as each answer arrives cannot tell who answered what.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

from review import auth
from review.errors import NotAllowed
from review.store import Store, User
from review.store import wellbeing as ws
from review.wellbeing.durations import day_of
from review.wellbeing.policy import MIN_CHECKIN_PEOPLE, WellbeingError, WellbeingPolicy, load_policy


def record_checkin(store: Store, user: User, score: int) -> None:
    """The optional one-tap "how are you" (1 = rough … 5 = fine), private to *user*; not from a deactivated person."""
    user = auth.active_person(store, user)
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise WellbeingError("a check-in is a whole number from 1 to 5")
    ws.add_checkin(store, user, score)


def checkins_of(store: Store, viewer: User | str, person: User | str) -> list[ws.Checkin]:
    """*person*'s answers, for *person* alone; NotAllowed for anyone else, a lead too."""
    who, subject = auth.active_person(store, viewer), auth.resolve(store, person)
    if who.id != subject.id:
        raise NotAllowed(f"{who.name} cannot see {subject.name}'s check-ins: only {subject.name} can")
    return ws.checkins(store, subject.id)


@dataclass(frozen=True)
class CheckinAggregate:
    first_day: str
    last_day: str
    people: int
    responses: int
    mean: float
    distribution: dict[int, int]  # score -> how many answers


class TeamCheckins(NamedTuple):
    aggregate: CheckinAggregate | None
    reason: str  # why nothing is shown ("" when the aggregate is there)


def team_checkins(store: Store, lead: User | str, days: int = 7, policy: WellbeingPolicy | None = None) -> TeamCheckins:
    """Check-ins of the *days* completed days before today, pooled over at least five people other than *lead*."""
    viewer = auth.require(store, lead, "lead", to="see the team's check-ins")
    policy = policy or load_policy(store)
    if days < 1:
        raise WellbeingError("days must be at least 1")
    yesterday = store.clock.now() - _dt.timedelta(days=1)
    last = day_of(yesterday)
    first = day_of(yesterday - _dt.timedelta(days=days - 1))
    answers = [(who, score) for who, score in ws.checkin_scores(store, first, last) if who != viewer.id]
    people = len({who for who, _ in answers})
    needed = max(MIN_CHECKIN_PEOPLE, policy.checkin_min_people)
    if people < needed:
        return TeamCheckins(None, f"not enough people to show: check-ins from {first} to {last} are shown once at "
                                  f"least {needed} people besides you have answered, so that no one's answers can "
                                  "be singled out; today's answers join the pool tomorrow")
    scores = [score for _, score in answers]
    counts = Counter(scores)
    return TeamCheckins(
        CheckinAggregate(first, last, people, len(scores), round(sum(scores) / len(scores), 2),
                         {s: counts.get(s, 0) for s in range(1, 6)}),
        "",
    )
