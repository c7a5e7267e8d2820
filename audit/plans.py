"""Sampling plans as a lead sets them up: create, edit, pause and resume, each checked before it is stored.

What a plan *draws* and when it runs is ``audit.sampling``'s job; this
module says what a valid plan is (a :class:`PlanError` names the field and
why) and reads plans back. Every change is a lead's (re-read from the
store), one unit of work with one event carrying the old and the new
values (``audit.plan_created``, ``audit.plan_edited``, ``audit.plan_paused``,
``audit.plan_resumed``), so the log says who changed what a plan samples.

A plan names its queues by id (:class:`PlanQueue`): renaming a queue keeps
it in the plan, and a merged queue's plans sample every queue it was
merged into, however many merges followed (``PlanQueue.merged_through``).
A name that matched no queue when plans moved from names to ids stays in
the plan as "queue gone" and samples nothing, until a lead chooses again.
The SQL is ``audit.store.plans``.
"""

from __future__ import annotations

import datetime as _dt
import json
import secrets
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from audit import roles
from audit.store import atomically
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
#: What a lead may change on an existing plan (:func:`edit_plan`); a plan's name is its identity
#: (samples and each decision's draw name it).
EDITABLE = ("rate", "min_per_moderator_per_day", "strata", "boosts", "queues", "seed", "starts_at", "active")


class PlanError(VeilError, ValueError):
    """A plan that cannot be saved; the message says which field and why."""


@dataclass(frozen=True)
class PlanQueue:
    """One queue a plan samples, as a lead sees it."""

    id: int | None  # None: the plan named a queue that no longer existed when plans moved to ids
    name: str  # the queue's name now (or the name the plan held)
    merged_into_id: int | None = None
    merged_into: str | None = None  # the plan samples this queue's decisions too
    merged_through: tuple[int, ...] = ()  # every queue it was merged into, in order (the last: merged_into_id)

    @property
    def gone(self) -> bool:
        return self.id is None

    def words(self) -> str:
        """"spam", "spam (merged into abuse)", "spam (queue gone)"; "no queue (samples nothing)" for the
        empty choice an old plan stored (kept as the gone name '')."""
        if self.id is None:
            return f"{self.name} (queue gone)" if self.name else "no queue (samples nothing)"
        return f"{self.name} (merged into {self.merged_into})" if self.merged_into else self.name


@dataclass(frozen=True)
class Plan:
    id: int
    name: str
    rate: float
    min_per_moderator_per_day: int
    strata: str | None
    boosts: dict[str, dict[str, float]]
    queues: tuple[PlanQueue, ...] | None  # None: every queue
    period: str
    seed: str
    starts_at: str
    active: bool
    last_period: str | None
    last_run_at: str | None

    def queue_ids(self) -> list[int] | None:
        """The queues whose decisions the plan draws from: its own and every one they were merged into (the whole
        chain: a queue merged into one later merged on); None: all."""
        if self.queues is None:
            return None
        ids = [q.id for q in self.queues if q.id is not None]
        ids += [through for q in self.queues for through in q.merged_through]
        return sorted(set(ids))

    def queue_words(self) -> str:
        return ", ".join(q.words() for q in self.queues) if self.queues is not None else "every queue"

    def described(self) -> dict[str, Any]:
        """What a lead set, in the words of the event log (old and new values of a change)."""
        return {"rate": self.rate, "min_per_moderator_per_day": self.min_per_moderator_per_day,
                "strata": self.strata, "boosts": self.boosts,
                "queues": [q.words() for q in self.queues] if self.queues is not None else None,
                "seed": self.seed, "starts_at": self.starts_at, "active": self.active}


# ------------------------------------------------------------------ changes
def create_plan(
    store: Store,
    lead: User | str,
    name: str,
    *,
    rate: float,
    min_per_moderator_per_day: int = 0,
    strata: str | dict[str, Any] | None = None,
    boosts: dict[str, Any] | None = None,
    queues: Sequence[str | int] | None = None,
    seed: str | None = None,
    starts_at: str | None = None,
    active: bool = True,
    period: str = "day",
) -> Plan:
    """A new plan *name* (refused if the name is taken); ``audit.plan_created``.

    *queues* are queue names or ids (None: every queue). *seed* defaults
    to a random token, stored with the plan: reproducible for whoever holds
    the store, unpredictable to the people sampled. *starts_at* (default
    now) keeps a new plan from sampling old history.
    """
    user = roles.require(store, lead, "lead", to="define sampling plans")
    name = (name or "").strip()
    if not name:
        raise PlanError("a plan needs a name")
    if period not in PERIODS:
        raise PlanError(f"period must be one of {', '.join(PERIODS)}")
    values, queue_ids = _checked(store, {
        "rate": rate, "min_per_moderator_per_day": min_per_moderator_per_day, "strata": strata,
        "boosts": boosts or {}, "queues": queues, "active": active,
        "seed": seed if seed is not None else secrets.token_hex(8), "starts_at": starts_at or store.now()})

    def create() -> Plan:
        if plan_rows.plan(store, name) is not None:
            raise PlanError(f"there is already a plan named {name!r}; edit it instead")
        plan_id = plan_rows.add(store, name, {**values, "period": period}, user.name, store.now())
        plan_rows.set_queues(store, plan_id, queue_ids)
        made = plan(store, name)
        store.log(user.name, "audit.plan_created", f"plan:{name}", {"new": made.described()})
        return made

    return atomically(store, create)


def edit_plan(store: Store, lead: User | str, name: str, **changes: Any) -> Plan:
    """Change the given fields (:data:`EDITABLE`) of the plan *name*; ``audit.plan_edited`` with old and new.

    ``queues=None`` means every queue; leaving ``queues`` out keeps the
    plan's queues (and any gone name in them); a queue the plan holds may
    stay in it though merged since. ``active=True`` on a paused plan
    resumes it as :func:`set_active` does (its start moves to now unless
    ``starts_at`` is given). A change that changes nothing logs nothing.
    KeyError when there is no such plan.
    """
    return _change(store, lead, name, changes, "audit.plan_edited")


def set_active(store: Store, lead: User | str, name: str, active: bool) -> Plan:
    """Pause (``active=False``) or resume a plan; ``audit.plan_paused`` / ``audit.plan_resumed``, none if it was.

    A paused plan draws nothing, not even by name (``audit.sampling``), and
    resuming it moves its start to now (the event says from when): a pause
    means the decisions made meanwhile are never drawn, not drawn later.
    """
    return _change(store, lead, name, {"active": active}, "audit.plan_resumed" if active else "audit.plan_paused")


def save_plan(
    store: Store,
    lead: User | str,
    name: str,
    *,
    rate: float,
    min_per_moderator_per_day: int = 0,
    strata: str | dict[str, Any] | None = None,
    boosts: dict[str, Any] | None = None,
    queues: Sequence[str | int] | None = None,
    seed: str | None = None,
    starts_at: str | None = None,
    active: bool = True,
) -> Plan:
    """Define the plan *name* whole, as scripts and the demo do: :func:`create_plan`, or :func:`edit_plan` of
    every field when it exists (an edited plan keeps its seed and start unless they are given: moving the
    start to now on a new rate would silently drop today's decisions and yesterday's minimum)."""
    fields: dict[str, Any] = {"rate": rate, "min_per_moderator_per_day": min_per_moderator_per_day,
                              "strata": strata, "boosts": boosts, "queues": queues, "active": active}
    if plan_rows.plan(store, (name or "").strip()) is None:
        return create_plan(store, lead, name, seed=seed, starts_at=starts_at, **fields)
    given = {k: v for k, v in (("seed", seed), ("starts_at", starts_at)) if v is not None}
    return edit_plan(store, lead, name.strip(), **fields, **given)


def _change(store: Store, lead: User | str, name: str, changes: dict[str, Any], kind: str) -> Plan:
    user = roles.require(store, lead, "lead", to="change sampling plans")
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise PlanError(f"a plan has no setting {', '.join(unknown)} (settings: {', '.join(EDITABLE)})")
    held = {q.id for q in plan(store, name).queues or () if q.id is not None}
    values, queue_ids = _checked(store, changes, held)

    def change() -> Plan:
        before = plan(store, name)
        if values.get("active") == 1 and not before.active and "starts_at" not in values \
                and before.starts_at < store.now():  # resumed: nothing from the pause is drawn
            values["starts_at"] = store.now()
        if values:
            plan_rows.update(store, before.id, values, store.now())
        if "queues" in changes:
            plan_rows.set_queues(store, before.id, queue_ids)
        after = plan(store, name)
        old, new = before.described(), after.described()
        changed = [key for key in old if old[key] != new[key]]
        if changed:
            store.log(user.name, kind, f"plan:{name}",
                      {"old": {k: old[k] for k in changed}, "new": {k: new[k] for k in changed}})
        return after

    return atomically(store, change)


def _checked(store: Store, given: dict[str, Any],
             held: AbstractSet[int] = frozenset()) -> tuple[dict[str, Any], list[int] | None]:
    """The given settings checked and in stored form (JSON encoded), and the chosen queue ids (None: every).

    *held*: the ids the plan holds already, which it may keep though merged since (an edit that keeps them).
    """
    values: dict[str, Any] = {}
    if "rate" in given:
        values["rate"] = _rate(given["rate"], "rate")
    if "min_per_moderator_per_day" in given:
        minimum = given["min_per_moderator_per_day"]
        if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
            raise PlanError("min_per_moderator_per_day must be a whole number ≥ 0")
        values["min_per_moderator_per_day"] = minimum
    if "strata" in given:
        strata = given["strata"]
        by = strata.get("by") if isinstance(strata, dict) else strata
        if by not in (None, *STRATA):
            raise PlanError(f"strata 'by' must be one of {', '.join(STRATA)} or null (got {by!r})")
        values["strata"] = json.dumps({"by": by})
    if "boosts" in given:
        values["boosts"] = json.dumps(_boosts(given["boosts"] or {}), sort_keys=True)
    if "active" in given:
        values["active"] = int(bool(given["active"]))
    if "seed" in given:
        if not str(given["seed"] or "").strip():
            raise PlanError("a plan's seed cannot be empty")
        values["seed"] = str(given["seed"])
    if "starts_at" in given:
        try:
            values["starts_at"] = iso(parse(given["starts_at"]))
        except (TypeError, ValueError, OverflowError):
            raise PlanError(f"starts_at must be an ISO 8601 date or time (got {given['starts_at']!r})") from None
    queue_ids = _queue_ids(store, given["queues"], held) if given.get("queues") is not None else None
    return values, queue_ids


def _queue_ids(store: Store, chosen: Sequence[str | int], held: AbstractSet[int]) -> list[int]:
    """Queue names or ids as ids, refusing unknown queues and queues merged away (say which to choose) unless
    the plan already holds them (*held*)."""
    if isinstance(chosen, str):
        raise PlanError("queues must be a list of queue names or ids, not one string")
    known = plan_rows.queue_choices(store)
    by_name = {name: (queue_id, into) for queue_id, name, into in known}
    by_id = {queue_id: (name, into) for queue_id, name, into in known}
    ids: list[int] = []
    missing: list[str] = []
    for entry in dict.fromkeys(chosen):
        if isinstance(entry, int) and not isinstance(entry, bool) and entry in by_id:
            queue_id, (name, into) = entry, by_id[entry]
        elif isinstance(entry, str) and entry in by_name:
            name, (queue_id, into) = entry, by_name[entry]
        else:
            missing.append(str(entry))
            continue
        if into is not None and queue_id not in held:
            raise PlanError(f"queue {name!r} was merged into {into!r}; choose {into!r}")
        ids.append(queue_id)
    if missing:
        raise PlanError(f"unknown queue(s): {', '.join(missing)}")
    if not ids:
        raise PlanError("the queue filter is empty (leave it out to sample every queue)")
    return ids


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


# ------------------------------------------------------------------ reading
def _plans(store: Store, rows: Sequence[Sequence[Any]]) -> list[Plan]:
    queues = plan_rows.plan_queues(store, [r[0] for r in rows])
    result = []
    for row in rows:
        chosen = queues.get(row[0])
        held = tuple(PlanQueue(q[0], q[1] if q[0] is not None else q[4], q[2], q[3], q[5]) for q in chosen) \
            if chosen else None
        result.append(Plan(row[0], row[1], row[2], row[3], json.loads(row[4]).get("by"), json.loads(row[5]), held,
                           row[6], row[7], row[8], bool(row[9]), row[10], row[11]))
    return result


def plan(store: Store, name: str) -> Plan:
    row = plan_rows.plan(store, name)
    if row is None:
        raise KeyError(f"no sampling plan named {name!r}")
    return _plans(store, [row])[0]


def plans(store: Store, *, active_only: bool = False) -> list[Plan]:
    return _plans(store, plan_rows.plans(store, active_only=active_only))


def queue_choices(store: Store) -> list[tuple[int, str]]:
    """(id, name) of the queues a lead may choose for a plan (not merged away), by name."""
    return [(queue_id, name) for queue_id, name, into in plan_rows.queue_choices(store) if into is None]


def period_key(moment: _dt.datetime, period: str = "day") -> str:
    """The period a moment falls in: the UTC date for daily plans."""
    return moment.astimezone(_dt.UTC).date().isoformat()
