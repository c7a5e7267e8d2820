"""Targets a lead sets, and whether each person and each queue met them in a period.

Three targets (:data:`TARGETS`, one organisation setting): throughput
(decisions per active hour), accuracy (share of audited decisions whose
final verdict is correct) and timeliness (share of the items answered
within their SLA, ``sla_by_queue``'s period-true rule). ``everyone`` holds
the default for every person and queue, ``people`` and ``queues`` the
overrides (people by name, queues by id: :func:`named_queues`). Accuracy's default is the team target
``report.accuracy_target``, timeliness's :data:`DEFAULT_TIMELINESS`;
throughput has none until a lead sets one.

Each figure is judged (rules in docs/operations.md):

- a share (accuracy, timeliness) with its Wilson 95 % interval and n:
  ``not enough data`` under :data:`MIN_SHARE_N` (10) — the Wilson interval
  of 0 of 1 is 0–79 %, "clearly" under a 90 % target from one item; then
  ``clearly below`` when even the interval's top is under the target;
  otherwise ``not enough data`` when the interval is wider than
  :data:`TOO_WIDE` (0.30, i.e. about ±15 points: it cannot tell 80 % from
  95 %); otherwise ``met`` when the share reaches the target, else ``below``;
- throughput: ``not enough data`` under :data:`MIN_ACTIVE_HOURS` active
  hours; ``met`` at or over the target, ``clearly below`` under
  :data:`CLEARLY_BELOW_THROUGHPUT` of it, else ``below``.

:func:`report` is the lead's view of everyone; a moderator may ask for
their own row only (``person=`` their name).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal

from audit import costs
from audit.exports import ACCURACY_TARGET
from audit.metrics import wilson_interval
from audit.metrics.assembly import date_range
from audit.store import activity
from audit.store import reports as report_rows
from review import auth, settings
from review.errors import NotAllowed
from review.store import Store, User
from review.wellbeing import policy as wellbeing_policy

Status = Literal["met", "below", "clearly below", "not enough data", "no target"]
KINDS = ("throughput_per_hour", "accuracy", "timeliness")
DEFAULT_TIMELINESS = 0.9
TOO_WIDE = 0.30  # a Wilson 95 % interval wider than this cannot judge a share against a target
MIN_SHARE_N = 10  # fewer items than this judge no share: Wilson's interval is too optimistic that small
MIN_ACTIVE_HOURS = 1.0  # throughput over less active time than this is not judged
CLEARLY_BELOW_THROUGHPUT = 0.8  # under 80 % of the throughput target is clearly below it


def _check_one(where: str, value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        raise ValueError(f"{where} maps a target to its value, e.g. {{\"accuracy\": 0.9}}")
    out = {}
    for kind, target in value.items():
        if kind not in KINDS:
            raise ValueError(f"{where}: {kind!r} is not a target ({', '.join(KINDS)})")
        if isinstance(target, bool) or not isinstance(target, int | float):
            raise ValueError(f"{where}: {kind} is a number")
        if kind == "throughput_per_hour" and not 0 < target <= 10_000:
            raise ValueError(f"{where}: throughput is decisions per active hour, above 0")
        if kind != "throughput_per_hour" and not 0 < target <= 1:
            raise ValueError(f"{where}: {kind} is a share between 0 and 1 (0.9 is 90%)")
        out[kind] = float(target)
    return out


def checked_targets(value: dict[str, Any]) -> dict[str, Any]:
    unknown = set(value) - {"everyone", "people", "queues"}
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}: give 'everyone', 'people' and 'queues'")
    out: dict[str, Any] = {"everyone": _check_one("everyone", value.get("everyone", {}))}
    for group in ("people", "queues"):
        named = value.get(group, {})
        if not isinstance(named, dict):
            raise ValueError(f"'{group}' maps a name to its targets")
        out[group] = {str(name): _check_one(f"{group}.{name}", t) for name, t in sorted(named.items()) if t}
    return out


def _queue_key(queue_id: int) -> str:
    return f"#{queue_id}"


def _queues_by_id(store: Store, value: dict[str, Any]) -> None:
    """The store rule: queue overrides are kept by queue id (``"#12"``), so a renamed queue keeps its targets.

    A lead names queues (the page, ``veil settings set``); the names are
    resolved here, under the write's lock, in the value about to be stored.
    A name no queue has is refused.
    """
    ids = {q.name: q.id for q in store.queues()}
    given = value.get("queues", {})
    resolved: dict[str, Any] = {}
    for key, wanted in given.items():
        if key.startswith("#") and key[1:].isdigit():
            resolved[key] = wanted
        elif key in ids:
            resolved[_queue_key(ids[key])] = wanted
        else:
            raise settings.SettingError(f"targets: there is no queue called “{key}”")
    given.clear()
    given.update(resolved)


def named_queues(store: Store, stored: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The queue overrides of *stored* by each queue's name now (what pages and the report show).

    Keys are queue ids (``"#12"``); a key that is a name (a value stored
    before ids were) is read as that queue's, the migration on read. An id
    no live queue has (deleted, merged away) is left out.
    """
    names = {_queue_key(q.id): q.name for q in store.queues()}
    return {names.get(key, key): wanted for key, wanted in stored.get("queues", {}).items()
            if key in names or not key.startswith("#")}


TARGETS = settings.declare(
    "targets", settings.ORGANISATION, dict, {}, changed_by="lead", check=checked_targets, check_store=_queues_by_id,
    describe="Throughput per active hour, accuracy and timeliness targets: {\"everyone\": {...}, "
             "\"people\": {name: {...}}, \"queues\": {name: {...}}} (queues are kept by id, so a rename keeps "
             "them); accuracy defaults to report.accuracy_target.")


@dataclass(frozen=True)
class Figure:
    """One target's figure for one person or queue, and how it stands against its target."""

    kind: str
    target: float | None
    value: float | None
    n: int  # audits, answered items, or decisions (throughput)
    interval: tuple[float, float] | None  # Wilson 95 % for a share
    status: Status
    hours: float | None = None  # active hours, for throughput

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target, "value": self.value, "n": self.n,
                "interval": list(self.interval) if self.interval else None, "status": self.status,
                "hours": None if self.hours is None else round(self.hours, 3)}


@dataclass(frozen=True)
class Row:
    key: str  # person or queue name
    figures: tuple[Figure, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, **{f.kind: f.as_dict() for f in self.figures}}


@dataclass(frozen=True)
class TargetsReport:
    since: str | None  # [since, until) canonical UTC
    until: str | None
    people: tuple[Row, ...]
    queues: tuple[Row, ...]
    cost_by_queue: tuple[costs.UnitCost, ...]
    cost_by_week: tuple[costs.UnitCost, ...]
    currency: str

    def as_dict(self) -> dict[str, Any]:
        return {"since": self.since, "until": self.until, "people": [r.as_dict() for r in self.people],
                "queues": [r.as_dict() for r in self.queues], "currency": self.currency,
                "cost_by_queue": [c.as_dict() for c in self.cost_by_queue],
                "cost_by_week": [c.as_dict() for c in self.cost_by_week]}


def share_status(k: int, n: int, target: float | None) -> tuple[float | None, tuple[float, float] | None, Status]:
    """(share, Wilson 95 % interval, status) of k of n against *target* (the rules in the docstring)."""
    interval = wilson_interval(k, n)
    value = k / n if n else None
    if target is None:
        return value, interval, "no target"
    if interval is None or value is None or n < MIN_SHARE_N:
        return value, interval, "not enough data"
    if interval[1] < target:
        return value, interval, "clearly below"
    if interval[1] - interval[0] > TOO_WIDE:
        return value, interval, "not enough data"
    return value, interval, "met" if value >= target else "below"


def throughput_status(decisions: int, hours: float, target: float | None) -> tuple[float | None, Status]:
    """(decisions per active hour, status) against *target*."""
    value = round(decisions / hours, 2) if hours > 0 else None
    if target is None:
        return value, "no target"
    if value is None or hours < MIN_ACTIVE_HOURS:
        return value, "not enough data"
    if value >= target:
        return value, "met"
    return value, "clearly below" if value < CLEARLY_BELOW_THROUGHPUT * target else "below"


def targets_for(stored: dict[str, Any], team_accuracy: float, group: str, name: str) -> dict[str, float | None]:
    """The targets that apply to *name* in *group* ("people" or "queues"): its override, else everyone's."""
    base: dict[str, float | None] = {"throughput_per_hour": None, "accuracy": team_accuracy,
                                     "timeliness": DEFAULT_TIMELINESS}
    return {**base, **stored.get("everyone", {}), **stored.get(group, {}).get(name, {})}


def _figures(targets: dict[str, float | None], decisions: int, hours: float, audited: tuple[int, int],
             answered: tuple[int, int]) -> tuple[Figure, ...]:
    rate, status = throughput_status(decisions, hours, targets["throughput_per_hour"])
    out = [Figure("throughput_per_hour", targets["throughput_per_hour"], rate, decisions, None, status, hours)]
    for kind, (k, n) in (("accuracy", audited), ("timeliness", answered)):
        value, interval, judged = share_status(k, n, targets[kind])
        out.append(Figure(kind, targets[kind], value, n, interval, judged))
    return tuple(out)


def report(store: Store, viewer: User | str, since: str | None = None, until: str | None = None, *,
           person: str | None = None) -> TargetsReport:
    """Every person's and queue's figures against their targets in the period, with cost per unit; leads only,
    except a person asking for their own row (*person* = their name), who gets that row and nothing else."""
    who = auth.active_person(store, viewer)
    if not who.has("lead"):
        if person != who.name:
            raise NotAllowed(f"{who.name} may see their own targets only; a lead sees everyone's")
    start, end = date_range(since, until)
    stored = settings.read(store, TARGETS)
    stored = {**stored, "queues": named_queues(store, stored)}
    team_accuracy = settings.read(store, ACCURACY_TARGET)
    bridge = wellbeing_policy.load_policy(store).idle_ms
    with report_rows.snapshot(store):
        active = activity.active_ms(store, start, end, bridge_ms=bridge)
        decided = activity.decisions_per_day(store, start, end)
        audited = report_rows.audited(store, start, end)
        by_queue_sla = report_rows.sla_by_queue(store, start, end)
        by_person_sla = activity.sla_by_person(store, start, end)
        people = {u.id: u for u in store.users()}
        rates = settings.read(store, costs.COST_PER_HOUR)
    names = {uid: u.name for uid, u in people.items()}
    by_queue, by_week = costs.unit_costs(active, decided, {uid: costs.hourly_rate(u, rates.get("roles", {}))
                                                            for uid, u in people.items()})
    # per person or queue: [decisions, active hours, correct, audited, answered within SLA, answered]
    tally: dict[str, dict[str, list[float]]] = {g: defaultdict(lambda: [0, 0.0, 0, 0, 0, 0])
                                                for g in ("people", "queues")}
    for user_id, _queue, _day, n in decided:
        tally["people"][names[user_id]][0] += n
    for (user_id, _day), ms in active.items():
        tally["people"][names[user_id]][1] += ms / costs.HOUR_MS
    for unit in by_queue:  # a queue's hours are its share of each person-day (audit.costs)
        if unit.key != costs.UNALLOCATED:  # hours without a decision: a cost, not a queue to judge
            tally["queues"][unit.key][:2] = [unit.decisions, unit.active_hours]
    for row in audited:
        for group, key in (("people", row[1]), ("queues", row[2])):
            tally[group][key][2] += row[8] == "correct"
            tally[group][key][3] += 1
    for group, answers in (("queues", by_queue_sla), ("people", by_person_sla)):
        for key, answered, within in answers:
            tally[group][key][4] += within
            tally[group][key][5] += answered
    rows: dict[str, tuple[Row, ...]] = {}
    for group in ("people", "queues"):
        rows[group] = tuple(
            Row(key, _figures(targets_for(stored, team_accuracy, group, key), int(t[0]), t[1],
                              (int(t[2]), int(t[3])), (int(t[4]), int(t[5]))))
            for key, t in sorted(tally[group].items()) if who.has("lead") or (group == "people" and key == person))
    if not who.has("lead"):
        return TargetsReport(start, end, rows["people"], (), (), (), rates.get("currency", "EUR"))
    return TargetsReport(start, end, rows["people"], rows["queues"], tuple(by_queue), tuple(by_week),
                         rates.get("currency", "EUR"))
