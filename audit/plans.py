"""Sampling plans as a lead defines them: rate, strata, boosts, queues, start, checked before they are stored.

What a plan *draws* and when it runs is ``audit.sampling``'s job; this
module only says what a valid plan is (:func:`save_plan` refuses anything
else with a :class:`PlanError` naming the field) and reads plans back.
The SQL is ``audit.store.plans``.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from audit import roles
from audit.store import plans as plan_rows
from review.clock import iso, parse
from review.errors import VeilError
from review.store import Store, User

STRATA = ("queue", "action", "label")
PERIODS = ("day",)
# boost -> {field: type}; every boost has a "rate" in [0, 1].
BOOST_FIELDS: dict[str, dict[str, type]] = {
    "new": {"first": int, "rate": float},
    "fast": {"seconds": float, "rate": float},
    "escalation": {"rate": float},
    "reversed": {"rate": float},
}


class PlanError(VeilError, ValueError):
    """A plan that cannot be saved; the message says which field and why."""


@dataclass(frozen=True)
class Plan:
    id: int
    name: str
    rate: float
    min_per_moderator_per_day: int
    strata: str | None
    boosts: dict[str, dict[str, float]]
    queues: tuple[str, ...] | None
    period: str
    seed: str
    starts_at: str
    active: bool
    last_period: str | None
    last_run_at: str | None


def save_plan(
    store: Store,
    lead: User | str,
    name: str,
    *,
    rate: float,
    min_per_moderator_per_day: int = 0,
    strata: str | dict[str, Any] | None = None,
    boosts: dict[str, Any] | None = None,
    queues: Sequence[str] | None = None,
    seed: str | None = None,
    starts_at: str | None = None,
    active: bool = True,
    period: str = "day",
) -> Plan:
    """Create or replace the plan *name* (a lead's action, one transaction: ``plan_rows.save_with_event``).

    *seed* defaults to a random token, stored with the plan: reproducible
    for whoever holds the store, unpredictable to the people sampled.
    *starts_at* (default now for a new plan, unchanged for an existing
    one) keeps a new plan from sampling old history.
    """
    user = roles.require(store, lead, "lead", to="define sampling plans")
    name = (name or "").strip()
    if not name:
        raise PlanError("a plan needs a name")
    rate = _rate(rate, "rate")
    if isinstance(min_per_moderator_per_day, bool) or not isinstance(min_per_moderator_per_day, int) \
            or min_per_moderator_per_day < 0:
        raise PlanError("min_per_moderator_per_day must be a whole number ≥ 0")
    by = strata.get("by") if isinstance(strata, dict) else strata
    if by not in (None, *STRATA):
        raise PlanError(f"strata 'by' must be one of {', '.join(STRATA)} or null (got {by!r})")
    clean_boosts = _boosts(boosts or {})
    if period not in PERIODS:
        raise PlanError(f"period must be one of {', '.join(PERIODS)}")
    known = {q.name for q in store.queues()}
    chosen_queues = None
    if queues is not None:
        chosen_queues = list(dict.fromkeys(queues))
        missing = [q for q in chosen_queues if q not in known]
        if missing or not chosen_queues:
            raise PlanError(f"unknown queue(s): {', '.join(missing)}" if missing else "the queue filter is empty")
    try:
        given_start = iso(parse(starts_at)) if starts_at else None
    except (TypeError, ValueError, OverflowError):
        raise PlanError(f"starts_at must be an ISO 8601 date or time (got {starts_at!r})") from None
    plan_rows.save_with_event(
        store, user.name, name, {
            "rate": rate, "min_per_moderator_per_day": min_per_moderator_per_day, "strata": json.dumps({"by": by}),
            "boosts": json.dumps(clean_boosts, sort_keys=True),
            "queues": json.dumps(chosen_queues) if chosen_queues is not None else None, "period": period,
            "active": int(bool(active)),
        }, str(seed) if seed is not None else None, given_start,
        {"rate": rate, "min_per_moderator_per_day": min_per_moderator_per_day, "strata": by,
         "boosts": clean_boosts, "queues": chosen_queues, "active": bool(active)})
    return plan(store, name)


def _rate(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise PlanError(f"{what} must be a number from 0 to 1 (got {value!r})")
    return float(value)


def _boosts(raw: dict[str, Any]) -> dict[str, dict[str, float]]:
    if not isinstance(raw, dict):
        raise PlanError("boosts must be a mapping like {\"fast\": {\"seconds\": 10, \"rate\": 0.5}}")
    clean = {}
    for kind, spec in raw.items():
        fields = BOOST_FIELDS.get(kind)
        if fields is None:
            raise PlanError(f"unknown boost {kind!r} (boosts: {', '.join(BOOST_FIELDS)})")
        if not isinstance(spec, dict) or set(spec) != set(fields):
            raise PlanError(f"boost {kind!r} needs exactly: {', '.join(fields)}")
        entry: dict[str, float] = {"rate": _rate(spec["rate"], f"boost {kind!r} rate")}
        for key, kind_type in fields.items():
            if key == "rate":
                continue
            value = spec[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 \
                    or (kind_type is int and value != int(value)):
                raise PlanError(f"boost {kind!r} {key} must be a positive {'whole ' if kind_type is int else ''}number")
            entry[key] = kind_type(value)
        clean[kind] = entry
    return clean


def _plan(row: Sequence[Any]) -> Plan:
    queues = json.loads(row[6]) if row[6] is not None else None
    return Plan(row[0], row[1], row[2], row[3], json.loads(row[4]).get("by"), json.loads(row[5]),
                tuple(queues) if queues is not None else None, row[7], row[8], row[9], bool(row[10]),
                row[11], row[12])


def plan(store: Store, name: str) -> Plan:
    row = plan_rows.plan(store, name)
    if row is None:
        raise KeyError(f"no sampling plan named {name!r}")
    return _plan(row)


def plans(store: Store, *, active_only: bool = False) -> list[Plan]:
    return [_plan(r) for r in plan_rows.plans(store, active_only=active_only)]


def period_key(moment: _dt.datetime, period: str = "day") -> str:
    """The period a moment falls in: the UTC date for daily plans."""
    return moment.astimezone(_dt.UTC).date().isoformat()
