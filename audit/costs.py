"""Cost per unit: what an active hour costs per role, and what each decision cost per queue and per week.

A lead sets the cost of an hour per role (:data:`COST_PER_HOUR`, with its
currency). A person's hour costs their most expensive priced role's rate
(a lead who decides items costs a lead's hour); a person with no priced
role is counted in ``unpriced_hours`` and in no cost. Veil has no notion
of a person's site, so rates are per role only.

Each person-day's active time (``audit.store.activity.active_ms``) is
shared among the queues they decided in that day in proportion to their
decisions there: a queue's cost is the sum of those shares times the rate,
its cost per decision that over its decisions, and its items per active
hour its decisions over its share of the hours. A week (ISO, UTC) is the
same over every queue.

**Every active hour is costed.** A person-day with active time and no
decision that stands (all undone, skipped, or given back) still cost its
hours: they count in the week's figures, and per queue in an
:data:`UNALLOCATED` row, so the queues' hours add up to the weeks'. Cost
per decision is never understated by leaving paid time out.
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from review import settings
from review.store import User

HOUR_MS = 3_600_000
UNALLOCATED = "(no decision)"  # the queue row of active hours on person-days without a decision that stands


def checked_costs(value: dict[str, Any]) -> dict[str, Any]:
    unknown = set(value) - {"currency", "roles"}
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}: give 'currency' and 'roles'")
    currency = value.get("currency", "EUR")
    if not isinstance(currency, str) or not 1 <= len(currency.strip()) <= 8:
        raise ValueError("the currency is a short text such as EUR")
    roles = value.get("roles", {})
    if not isinstance(roles, dict):
        raise ValueError("'roles' maps a role to its cost per hour, e.g. {\"moderator\": 28}")
    for role, rate in roles.items():
        if role not in ("moderator", "auditor", "lead"):
            raise ValueError(f"{role!r} is not a role (moderator, auditor or lead)")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 10_000:
            raise ValueError(f"the cost per hour of a {role} is a number from 0 to 10000")
    return {"currency": currency.strip(), "roles": {r: float(v) for r, v in sorted(roles.items())}}


COST_PER_HOUR = settings.declare(
    "cost.per_hour", settings.ORGANISATION, dict, {}, changed_by="lead", check=checked_costs,
    describe="What an active hour costs per role: {\"currency\": \"EUR\", \"roles\": {\"moderator\": 28}}. "
             "Cost per decision is reported from it; no rate, no cost.")


def hourly_rate(person: User, rates: dict[str, float]) -> float | None:
    """The person's most expensive priced role's rate, or None when none of their roles is priced."""
    priced = [rates[role] for role in person.roles if role in rates]
    return max(priced) if priced else None


@dataclass(frozen=True)
class UnitCost:
    """One queue's or one week's decisions, active hours and (when priced) cost."""

    key: str  # queue name or ISO week "2026-W02"
    decisions: int
    active_hours: float
    items_per_hour: float | None
    cost: float | None  # None when none of the hours had a rate
    cost_per_decision: float | None
    unpriced_hours: float

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "decisions": self.decisions, "active_hours": round(self.active_hours, 3),
                "items_per_hour": self.items_per_hour, "cost": self.cost,
                "cost_per_decision": self.cost_per_decision, "unpriced_hours": round(self.unpriced_hours, 3)}


def week_of(day: str) -> str:
    year, week, _ = _dt.date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def unit_costs(active: dict[tuple[int, str], int], decided: list[tuple[int, str, str, int]],
               rate_of: dict[int, float | None]) -> tuple[list[UnitCost], list[UnitCost]]:
    """Per queue and per week, from active ms per (user id, day), decisions per (user id, queue, day, n) and each
    person's hourly rate (None: unpriced). A person-day with decisions but no active time adds no hours; one
    with active time but no decision adds its hours to its week and to the :data:`UNALLOCATED` queue row."""
    per_day: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for user_id, queue, day, n in decided:
        per_day[(user_id, day)][queue] = per_day[(user_id, day)].get(queue, 0) + n
    for person_day in active:
        if not any(per_day.get(person_day, {}).values()):
            per_day[person_day] = {UNALLOCATED: 0}
    tallies: dict[str, dict[str, list[float]]] = {"queue": defaultdict(lambda: [0, 0.0, 0.0, 0.0]),
                                                  "week": defaultdict(lambda: [0, 0.0, 0.0, 0.0])}
    for (user_id, day), queues in per_day.items():
        total = sum(queues.values())
        hours = active.get((user_id, day), 0) / HOUR_MS
        rate = rate_of.get(user_id)
        for queue, n in queues.items():
            share = hours * n / total if total > 0 else hours
            for group, key in (("queue", queue), ("week", week_of(day))):
                tally = tallies[group][key]
                tally[0] += n
                tally[1] += share
                if rate is None:
                    tally[3] += share
                else:
                    tally[2] += share * rate

    def units(group: str) -> list[UnitCost]:
        out = []
        for key, (n, hours, cost, unpriced) in sorted(tallies[group].items()):
            priced = hours - unpriced > 0
            out.append(UnitCost(key, int(n), hours, round(n / hours, 2) if hours else None,
                                round(cost, 2) if priced else None,
                                round(cost / n, 4) if priced and n > 0 and not unpriced else None, unpriced))
        return out

    return units("queue"), units("week")
