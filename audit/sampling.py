"""Sampling plans: which decisions go to QA, chosen reproducibly.

A lead defines plans (:func:`save_plan`); :func:`run_plans` runs them when a
lead asks and :func:`run_due_plans` on a schedule (the app calls it every
few minutes; each active plan runs at most once per period).

Why per-decision hashing: each decision gets its own uniform number
``u = random.Random(f"{seed}:{plan}:{decision_id}").random()``. Whether a
decision is drawn depends only on its own ``u``, never on what else is in
the store, so the same seed and data give the same sample, running again
later draws nothing new from old data, and decisions added later do not
reshuffle earlier choices.

Rules of one run, over the plan's *window* (current decisions of decided
items, made between the plan's ``starts_at`` and now, in the plan's queues,
not on gold items — those are scored automatically):

1. **rate** — unstratified: drawn when ``u < rate`` (a Bernoulli sample, so
   the count is binomial). Stratified (``strata.by`` = queue, action or the
   first label): each stratum gets ``round(rate × its decisions in the
   window)`` samples in total (proportional allocation), filled with the
   undrawn decisions of lowest ``u``; a small stratum is never missed by
   chance, and the quota counts what earlier runs already drew.
2. **boosts** — an undrawn decision that is a new moderator's (one of
   their first N decisions), fast (handle time under S seconds), an
   escalation (decided in an escalation queue) or reversed (its item had a
   decision revoked before it) is drawn when ``u <`` the boost's rate; the
   reason names the first boost that applies in that order.
3. **minimum** — for every moderator and completed UTC day in the window
   with fewer than ``min_per_moderator_per_day`` samples (from any plan),
   their undrawn decisions of that day with the lowest ``u`` are added.
   Only completed days: topping up a day at 09:00 would over-sample the
   early risers.

A decision is sampled at most once (``audit_samples.decision_id`` is
unique). Each new sample is assigned to the auditor with the fewest open
samples who is not the decision's moderator, or left unassigned (claimable
by any other auditor) when nobody else is an auditor.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import random
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from audit import roles
from audit.store.schema import CURRENT, SAMPLE_REASONS
from review.clock import iso, parse
from review.store import SYSTEM_ACTOR, Store, User

STRATA = ("queue", "action", "label")
PERIODS = ("day",)
# boost -> {field: type}; every boost has a "rate" in [0, 1].
BOOST_FIELDS: dict[str, dict[str, type]] = {
    "new": {"first": int, "rate": float},
    "fast": {"seconds": float, "rate": float},
    "escalation": {"rate": float},
    "reversed": {"rate": float},
}
NO_LABEL = "(none)"


class PlanError(ValueError):
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


@dataclass(frozen=True)
class Sample:
    """One sampled decision. Auditor-facing lists (``audits.work_list``,
    ``audits.next_sample``) blank ``moderator`` and ``reason`` (None): who
    decided, and why it was drawn ("boost:reversed"), would bias the blind step."""

    id: int
    decision_id: int
    plan: str
    reason: str | None
    auditor: str | None
    claimed_at: str | None
    created_at: str
    state: str
    moderator: str | None = None
    queue: str = ""

    def blinded(self) -> Sample:
        return dataclasses.replace(self, moderator=None, reason=None)


@dataclass
class RunResult:
    plan: str
    samples: list[Sample] = field(default_factory=list)

    def by_reason(self) -> dict[str, int]:
        return dict(Counter(s.reason for s in self.samples))


# ------------------------------------------------------------------ plans
def save_plan(
    store: Store,
    lead: User | str,
    name: str,
    *,
    rate: float,
    min_per_moderator_per_day: int = 0,
    strata: str | dict | None = None,
    boosts: dict | None = None,
    queues: Sequence[str] | None = None,
    seed: str | None = None,
    starts_at: str | None = None,
    active: bool = True,
    period: str = "day",
) -> Plan:
    """Create or replace the plan *name* (a lead's action, one transaction).

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
    boosts = _boosts(boosts or {})
    if period not in PERIODS:
        raise PlanError(f"period must be one of {', '.join(PERIODS)}")
    known = {q.name for q in store.queues()}
    if queues is not None:
        queues = list(dict.fromkeys(queues))
        missing = [q for q in queues if q not in known]
        if missing or not queues:
            raise PlanError(f"unknown queue(s): {', '.join(missing)}" if missing else "the queue filter is empty")
    now = store.now()
    try:
        given_start = iso(parse(starts_at)) if starts_at else None
    except (TypeError, ValueError, OverflowError):
        raise PlanError(f"starts_at must be an ISO 8601 date or time (got {starts_at!r})") from None
    with store.transaction():
        old = store.db.execute("SELECT seed, starts_at FROM audit_plans WHERE name = ?", [name]).fetchone()
        seed = str(seed) if seed is not None else (old[0] if old else secrets.token_hex(8))
        # Like the seed, the start is kept on edit: moving it to "now" whenever a lead changes
        # the rate would silently drop today's decisions and yesterday's minimum from the plan.
        starts = given_start or (old[1] if old else now)
        values = [rate, min_per_moderator_per_day, json.dumps({"by": by}), json.dumps(boosts, sort_keys=True),
                  json.dumps(queues) if queues is not None else None, period, seed, starts, int(bool(active))]
        store.db.execute(
            "INSERT INTO audit_plans (rate, min_per_moderator_per_day, strata, boosts, queues, period, seed,"
            " starts_at, active, name, created_by, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET rate = excluded.rate,"
            " min_per_moderator_per_day = excluded.min_per_moderator_per_day, strata = excluded.strata,"
            " boosts = excluded.boosts, queues = excluded.queues, period = excluded.period, seed = excluded.seed,"
            " starts_at = excluded.starts_at, active = excluded.active, updated_at = excluded.updated_at",
            [*values, name, user.name, now, now],
        )
        store.log(user.name, "audit.plan_saved", f"plan:{name}",
                  {"rate": rate, "min_per_moderator_per_day": min_per_moderator_per_day, "strata": by,
                   "boosts": boosts, "queues": queues, "starts_at": starts, "active": bool(active),
                   "new": old is None})
    return plan(store, name)


def _rate(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise PlanError(f"{what} must be a number from 0 to 1 (got {value!r})")
    return float(value)


def _boosts(raw: dict) -> dict[str, dict[str, float]]:
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


_PLAN_COLUMNS = ("id, name, rate, min_per_moderator_per_day, strata, boosts, queues, period, seed, starts_at,"
                 " active, last_period, last_run_at")


def _plan(row: Sequence[Any]) -> Plan:
    queues = json.loads(row[6]) if row[6] is not None else None
    return Plan(row[0], row[1], row[2], row[3], json.loads(row[4]).get("by"), json.loads(row[5]),
                tuple(queues) if queues is not None else None, row[7], row[8], row[9], bool(row[10]),
                row[11], row[12])


def plan(store: Store, name: str) -> Plan:
    row = store.db.execute(f"SELECT {_PLAN_COLUMNS} FROM audit_plans WHERE name = ?", [name]).fetchone()
    if row is None:
        raise KeyError(f"no sampling plan named {name!r}")
    return _plan(row)


def plans(store: Store, *, active_only: bool = False) -> list[Plan]:
    where = " WHERE active = 1" if active_only else ""
    return [_plan(r) for r in store.db.execute(f"SELECT {_PLAN_COLUMNS} FROM audit_plans{where} ORDER BY name")]


def period_key(moment: _dt.datetime, period: str = "day") -> str:
    """The period a moment falls in: the UTC date for daily plans."""
    return moment.astimezone(_dt.UTC).date().isoformat()


# -------------------------------------------------------------- running
def run_plans(store: Store, lead: User | str, *, now: str | _dt.datetime | None = None,
              names: Iterable[str] | None = None) -> list[RunResult]:
    """Run the active plans (or the named ones, active or not) now, as *lead* asked; one transaction."""
    user = roles.require(store, lead, "lead", to="run sampling plans")
    moment = _moment(store, now)
    with store.transaction():
        chosen = [plan(store, n) for n in names] if names is not None else plans(store, active_only=True)
        return [_run(store, p, moment, user.name) for p in chosen]


def run_due_plans(store: Store, now: str | _dt.datetime | None = None) -> list[RunResult]:
    """The scheduled run: every active plan not yet run in the current period, once.

    Safe to call every few minutes from any number of clients: the check and
    the run share one write transaction, so a period is run exactly once.
    """
    moment = _moment(store, now)
    results = []
    with store.transaction():
        for p in plans(store, active_only=True):
            key = period_key(moment, p.period)
            if p.last_period == key:
                continue
            results.append(_run(store, p, moment, SYSTEM_ACTOR))
            store.db.execute("UPDATE audit_plans SET last_period = ? WHERE id = ?", [key, p.id])
    return results


def _moment(store: Store, now: str | _dt.datetime | None) -> _dt.datetime:
    if now is None:
        return store.clock.now()
    return parse(now) if isinstance(now, str) else now.astimezone(_dt.UTC)


@dataclass
class _Row:
    id: int
    user_id: int
    user: str
    queue: str
    queue_kind: str
    action: str
    labels: list[str]
    decided_at: str
    handle_ms: int | None
    reversed: bool
    sampled_reason: str | None  # None: not sampled yet
    sampled_plan: str | None
    u: float = 0.0

    @property
    def day(self) -> str:
        return self.decided_at[:10]


def draw(seed: str, plan_name: str, decision_id: int) -> float:
    """The decision's own uniform number in [0, 1) for this plan (see the module docstring)."""
    return random.Random(f"{seed}:{plan_name}:{decision_id}").random()


def _window(store: Store, p: Plan, now: str) -> list[_Row]:
    queue_filter = ""
    params: list[Any] = [p.starts_at, now]
    if p.queues is not None:
        queue_filter = f" AND q.name IN ({','.join('?' * len(p.queues))})"
        params += list(p.queues)
    rows = store.db.execute(
        f"""SELECT d.id, d.user_id, u.name, q.name, q.kind, d.action, d.labels, d.decided_at, d.handle_ms,
                   EXISTS (SELECT 1 FROM decisions p WHERE p.item_id = d.item_id AND p.revokes_id IS NOT NULL
                           AND p.id < d.id),
                   s.reason, s.plan
            FROM decisions d
            JOIN items i ON i.id = d.item_id
            JOIN queues q ON q.id = d.queue_id
            JOIN users u ON u.id = d.user_id
            LEFT JOIN audit_samples s ON s.decision_id = d.id
            WHERE {CURRENT} AND i.state = 'decided'
              AND d.decided_at >= ? AND d.decided_at <= ?{queue_filter}
              AND NOT EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = d.item_id)
            ORDER BY d.id""",
        params,
    ).fetchall()
    result = []
    for r in rows:
        row = _Row(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6] or "[]"), r[7], r[8], bool(r[9]), r[10], r[11])
        row.u = draw(p.seed, p.name, row.id)
        result.append(row)
    return result


def _stratum(row: _Row, by: str) -> str:
    if by == "queue":
        return row.queue
    if by == "action":
        return row.action
    return row.labels[0] if row.labels else NO_LABEL


def _first_decisions(store: Store, user_ids: set[int], first: int) -> set[int]:
    """Ids of each user's first *first* decisions ever (undo rows excluded)."""
    ids: set[int] = set()
    for user_id in user_ids:
        ids.update(r[0] for r in store.db.execute(
            "SELECT id FROM decisions WHERE user_id = ? AND revokes_id IS NULL ORDER BY decided_at, id LIMIT ?",
            [user_id, first]))
    return ids


def choose(store: Store, p: Plan, now: _dt.datetime) -> dict[int, str]:
    """{decision id: reason} this plan would sample now; reads only, writes nothing."""
    rows = _window(store, p, iso(now))
    free = [r for r in rows if r.sampled_reason is None]
    picked: dict[int, str] = {}
    # 1. the base rate
    if p.strata is None:
        picked.update((r.id, "rate") for r in free if r.u < p.rate)
    else:
        strata: dict[str, list[_Row]] = defaultdict(list)
        for r in rows:
            strata[_stratum(r, p.strata)].append(r)
        for members in strata.values():
            target = math.floor(p.rate * len(members) + 0.5)
            have = sum(1 for r in members if r.sampled_plan == p.name and r.sampled_reason == "rate")
            undrawn = sorted((r for r in members if r.sampled_reason is None), key=lambda r: (r.u, r.id))
            picked.update((r.id, "rate") for r in undrawn[: max(0, target - have)])
    # 2. boosts
    boosts = p.boosts
    new_ids = _first_decisions(store, {r.user_id for r in free}, int(boosts["new"]["first"])) if "new" in boosts else set()
    tests = {
        "new": lambda r: r.id in new_ids,
        "fast": lambda r: r.handle_ms is not None and r.handle_ms < boosts["fast"]["seconds"] * 1000,
        "escalation": lambda r: r.queue_kind == "escalation",
        "reversed": lambda r: r.reversed,
    }
    for r in free:
        if r.id in picked:
            continue
        for kind in BOOST_FIELDS:
            if kind in boosts and tests[kind](r) and r.u < boosts[kind]["rate"]:
                picked[r.id] = f"boost:{kind}"
                break
    # 3. the daily minimum, for completed days only
    if p.min_per_moderator_per_day:
        today = period_key(now)
        days: dict[tuple[int, str], list[_Row]] = defaultdict(list)
        for r in rows:
            if r.day < today:
                days[(r.user_id, r.day)].append(r)
        for members in days.values():
            have = sum(1 for r in members if r.sampled_reason is not None or r.id in picked)
            undrawn = sorted((r for r in members if r.sampled_reason is None and r.id not in picked),
                             key=lambda r: (r.u, r.id))
            picked.update((r.id, "minimum") for r in undrawn[: max(0, p.min_per_moderator_per_day - have)])
    return picked


def _run(store: Store, p: Plan, now: _dt.datetime, actor: str) -> RunResult:
    picked = choose(store, p, now)
    created = iso(now)
    ids = sorted(picked)
    moderators = _moderators(store, ids)
    auditors = [u for u in store.users() if u.has("auditor")]
    load = Counter(dict(store.db.execute(
        "SELECT auditor_id, COUNT(*) FROM audit_samples WHERE state = 'open' AND auditor_id IS NOT NULL"
        " GROUP BY auditor_id").fetchall()))
    for decision_id in ids:
        eligible = [a for a in auditors if a.id != moderators[decision_id]]
        auditor = min(eligible, key=lambda a: (load[a.id], a.name)) if eligible else None
        if auditor is not None:
            load[auditor.id] += 1
        store.db.execute(
            "INSERT INTO audit_samples (decision_id, plan, reason, auditor_id, created_at) VALUES (?, ?, ?, ?, ?)",
            [decision_id, p.name, picked[decision_id], auditor.id if auditor else None, created],
        )
    store.db.execute("UPDATE audit_plans SET last_run_at = ? WHERE id = ?", [created, p.id])
    result = RunResult(p.name, samples_for(store, ids))
    store.log(actor, "audit.sampled", f"plan:{p.name}",
              {"sampled": len(ids), "by_reason": result.by_reason(), "decisions": ids,
               "unassigned": sum(1 for s in result.samples if s.auditor is None)})
    return result


def _moderators(store: Store, decision_ids: Sequence[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for start in range(0, len(decision_ids), 500):
        chunk = list(decision_ids[start : start + 500])
        found.update(store.db.execute(
            f"SELECT id, user_id FROM decisions WHERE id IN ({','.join('?' * len(chunk))})", chunk).fetchall())
    return found


def add_sample(store: Store, lead: User | str, decision_id: int, *, reason: str = "manual",
               auditor: User | str | None = None) -> Sample:
    """A lead sends one decision to QA by hand (or a gold miss, a calibration case)."""
    user = roles.require(store, lead, "lead", to="add audit samples")
    if reason not in SAMPLE_REASONS:
        raise ValueError(f"reason must be one of {', '.join(SAMPLE_REASONS)}")
    with store.transaction():
        row = store.db.execute("SELECT user_id FROM decisions WHERE id = ? AND revokes_id IS NULL",
                               [decision_id]).fetchone()
        if row is None:
            raise KeyError(f"no decision with id {decision_id}")
        if store.db.execute("SELECT 1 FROM audit_samples WHERE decision_id = ?", [decision_id]).fetchone():
            raise ValueError(f"decision {decision_id} is already sampled")
        auditor_id = None
        if auditor is not None:
            chosen = roles.require(store, auditor, "auditor", to="audit")
            if chosen.id == row[0]:
                raise PermissionError(f"{chosen.name} made this decision and cannot audit it")
            auditor_id = chosen.id
        store.db.execute(
            "INSERT INTO audit_samples (decision_id, plan, reason, auditor_id, created_at) VALUES (?, ?, ?, ?, ?)",
            [decision_id, "manual", reason, auditor_id, store.now()],
        )
        store.log(user.name, "audit.sampled", f"decision:{decision_id}", {"reason": reason, "plan": "manual"})
    return samples_for(store, [decision_id])[0]


# -------------------------------------------------------------- reading
SAMPLE_SQL = """
SELECT s.id, s.decision_id, s.plan, s.reason, a.name, s.claimed_at, s.created_at, s.state, m.name, q.name
FROM audit_samples s
JOIN decisions d ON d.id = s.decision_id
JOIN users m ON m.id = d.user_id
JOIN queues q ON q.id = d.queue_id
LEFT JOIN users a ON a.id = s.auditor_id
"""


def samples_for(store: Store, decision_ids: Sequence[int]) -> list[Sample]:
    found: list[Sample] = []
    for start in range(0, len(decision_ids), 500):
        chunk = list(decision_ids[start : start + 500])
        found += [Sample(*r) for r in store.db.execute(
            SAMPLE_SQL + f" WHERE s.decision_id IN ({','.join('?' * len(chunk))}) ORDER BY s.id", chunk)]
    return found


def samples(store: Store, *, state: str | None = None, plan: str | None = None) -> list[Sample]:
    """Every sample (for a lead's overview), oldest first, optionally one state or plan."""
    where, params = [], []
    if state is not None:
        where.append("s.state = ?")
        params.append(state)
    if plan is not None:
        where.append("s.plan = ?")
        params.append(plan)
    sql = SAMPLE_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY s.id"
    return [Sample(*r) for r in store.db.execute(sql, params)]
