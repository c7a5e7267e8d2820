"""Exposure figures per person and day, for the lead's view of the team and for each person's own.

Built from the ledger (exposure sums, wellbeing events, lifts). Individual
figures are shown only to leads and to the person themself: a colleague's
severe minutes are nobody else's business.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from review import auth
from review.errors import NotAllowed
from review.store import Store, User
from review.store import wellbeing as ws
from review.wellbeing.policy import WellbeingPolicy, load_policy


@dataclass(frozen=True)
class PersonExposure:
    """One person's day, for the lead's view (and the person's own)."""

    name: str
    display_name: str
    day: str
    items: int
    blurred_ms: int
    revealed_ms: int  # whole-item reveals
    region_ms: int  # region reveals
    video_ms: int
    severe_ms: int
    severe_items: int
    severe_budget_ms: int
    breaks_prompted: int
    breaks_taken: int  # prompted or chosen breaks that ran their full length
    breaks_natural: int  # time away that counted as a break
    breaks_enforced: int
    snoozes: int
    idle_pauses: int
    overrides: tuple[ws.Lift, ...]

    @property
    def budget_share(self) -> float:
        return self.severe_ms / self.severe_budget_ms if self.severe_budget_ms else 0.0


def _person_day(person: User, day: str, policy: WellbeingPolicy,
                sums: ws.ExposureSums | None, events: list[ws.WellbeingEvent], lifts: list[ws.Lift]) -> PersonExposure:
    kinds = Counter(e.kind for e in events)
    prompted = sum(1 for e in events if e.kind in ("prompted_banner", "prompted_dialog") and e.details.get("episode"))
    taken = sum(1 for e in events if e.kind == "break_taken" and not e.details.get("natural"))
    natural = sum(1 for e in events
                  if e.kind == "break_taken" and e.details.get("natural") and not e.details.get("repeat"))
    return PersonExposure(
        name=person.name, display_name=person.display_name, day=day,
        items=sums.items if sums else 0, blurred_ms=sums.blurred_ms if sums else 0,
        revealed_ms=sums.revealed_ms if sums else 0, region_ms=sums.region_ms if sums else 0,
        video_ms=sums.video_ms if sums else 0, severe_ms=sums.severe_ms if sums else 0,
        severe_items=sums.severe_items if sums else 0,
        severe_budget_ms=policy.budget_ms + sum(lift.extra_ms for lift in lifts),
        breaks_prompted=prompted, breaks_taken=taken, breaks_natural=natural,
        breaks_enforced=kinds["break_enforced"], snoozes=kinds["snoozed"], idle_pauses=kinds["idle_paused"],
        overrides=tuple(lifts),
    )


def team_exposure(store: Store, lead: User | str, day: str | None = None) -> list[PersonExposure]:
    """Every person who reviewed (or was prompted, or lifted) on *day* (default today), by name."""
    auth.require(store, lead, "lead", to="see the team's exposure")
    policy = load_policy(store)
    day = day or store.now()[:10]
    sums = ws.exposure_sums(store, day)
    events: dict[int, list[ws.WellbeingEvent]] = {}
    for event in ws.events(store, day=day):
        events.setdefault(event.user_id, []).append(event)
    lifts: dict[int, list[ws.Lift]] = {}
    for lift in ws.lifts(store, day=day):
        lifts.setdefault(lift.user_id, []).append(lift)
    people = set(sums) | set(events) | set(lifts)
    return [
        _person_day(user, day, policy, sums.get(user.id), events.get(user.id, []), lifts.get(user.id, []))
        for user in store.users() if user.id in people
    ]


def exposure_subject(store: Store, viewer: User | str, person: User | str) -> User:
    """*person*'s current row if *viewer* may read their exposure (themself or a lead); else NotAllowed.

    The one rule for every reader of someone's exposure figures (this view,
    the severe budget), so a front end cannot ask round it.
    """
    who = auth.resolve(store, viewer)
    subject = auth.resolve(store, person)
    if who.id != subject.id and not who.has("lead"):
        raise NotAllowed(f"{who.name} cannot see {subject.name}'s exposure: only {subject.name} and leads can")
    return subject


def person_exposure(store: Store, viewer: User | str, person: User | str, day: str | None = None) -> PersonExposure:
    """One person's figures: only for a lead or the person themself."""
    subject = exposure_subject(store, viewer, person)
    policy = load_policy(store)
    day = day or store.now()[:10]
    return _person_day(
        subject, day, policy, ws.exposure_sums(store, day, subject.id).get(subject.id),
        ws.events(store, day=day, user_id=subject.id), ws.lifts(store, day=day, user_id=subject.id),
    )
