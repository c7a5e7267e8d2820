"""Each queue's forecast: flow, handle time, when its backlog clears, its first SLA breach and the people it needs.

Read as a lead (:func:`forecast`, ``review.auth.require``): the figures
name no one, but staffing is a lead's decision. Over the last
*window_hours* (ending at the store clock's now):

* ``inflow_per_hour``: a review queue's items received (escalated out since
  or not), an escalation queue's escalations opened
  (``review.store.planning.received_between``);
  ``outflow_per_hour``: decisions net of undo; handle time: mean and median
  of the measured ``handle_ms`` (imported history has none and is left out).
* ``hours_to_clear``: waiting / (outflow − inflow); None when outflow ≤ inflow.
* ``first_breach_at``: pending items (and the arrivals expected over the next
  :data:`HORIZON_HOURS`) served earliest-due first at the current outflow;
  the first whose turn comes after its due time breaches at that due time
  (already past for an item breached now). None when none does.
* People needed: Erlang C (:mod:`review.planning.erlang`) for a queue whose
  SLA is at most :data:`REALTIME_SLA_SECONDS` (an hour: arrivals answered
  while the person waits), with :data:`SERVICE_TARGET` of items within the
  SLA; otherwise the backlog model — (waiting + inflow expected within the
  SLA) × mean handle time, divided by the SLA window: the people working
  at the same time throughout the window.
* Shrinkage (:data:`SHRINKAGE`, a lead's organisation setting, default
  0.3) turns people needed into people rostered; it is never taken below
  the share of time the wellbeing policy's micro-breaks take
  (:func:`effective_shrinkage`), so no plan counts on break time.
* ``projection``: the backlog each hour for the next 24 h at the current
  outflow and inflow (never below 0).

A :class:`WhatIf` recomputes all of it with N more (or fewer) people per
queue, another SLA or a scaled inflow. docs/operations.md has the method.
"""

from __future__ import annotations

import datetime as _dt
import heapq
import itertools
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from review import auth, settings
from review.clock import iso, parse
from review.errors import VeilError
from review.planning.erlang import Staffing, rostered, staffing
from review.store import Queue, Store, User, planning
from review.wellbeing.policy import load_policy

REALTIME_SLA_SECONDS = 3600  # an SLA up to an hour is answered in real time: Erlang C; longer is a backlog
SERVICE_TARGET = 0.8  # Erlang C: share of items to answer within the SLA
MAX_OCCUPANCY = 0.85
HORIZON_HOURS = 24
HANDLE_DAYS = 7  # handle times are measured over at least this many days, as on the dashboard
FORECAST_KINDS = ("review", "escalation")  # queues holding items; QA's audit work is planned elsewhere


class PlanningError(VeilError, ValueError):
    """A what-if the forecast cannot take (a negative inflow factor, an SLA of 0)."""


def _check_shrinkage(value: float) -> float:
    if not 0 <= value < 1:
        raise ValueError("shrinkage is a share from 0 up to (not including) 1, e.g. 0.3 for 30 %")
    return float(value)


SHRINKAGE = settings.declare(
    "shrinkage", settings.ORGANISATION, float, 0.3, changed_by="lead", check=_check_shrinkage,
    describe="Share of rostered time nobody reviews (breaks, wellbeing breaks, training, meetings): "
    "turns people needed into people rostered.")


@dataclass(frozen=True)
class WhatIf:
    """A capacity change to try: people added to (or, negative, taken from) every queue, new SLAs, inflow scaled."""

    extra_people: int = 0
    sla_seconds: dict[int, int] | None = None  # queue id -> SLA to plan with
    inflow_factor: dict[int, float] | None = None  # queue id -> multiplier of the measured inflow

    def __post_init__(self) -> None:
        for queue_id, sla in (self.sla_seconds or {}).items():
            if sla <= 0:
                raise PlanningError(f"the SLA to try for queue {queue_id} must be more than 0 seconds")
        for queue_id, factor in (self.inflow_factor or {}).items():
            if not math.isfinite(factor) or factor < 0:
                raise PlanningError(f"the inflow factor for queue {queue_id} must be 0 or more")


@dataclass(frozen=True)
class QueueForecast:
    queue: str
    queue_id: int
    sla_seconds: int  # the SLA planned with (a what-if's, else the queue's)
    waiting: int
    inflow_per_hour: float
    outflow_per_hour: float
    handle_seconds_mean: float | None
    handle_seconds_median: float | None
    hours_to_clear: float | None
    first_breach_at: str | None
    people_needed: int | None  # None: no measured handle time to plan with
    people_rostered_needed: int | None
    model: str  # "erlang_c" or "backlog"
    staffing: Staffing | None  # the Erlang C figures, for an erlang_c queue
    projection: list[tuple[int, float]] = field(default_factory=list)  # (hours from now, backlog), 0..24


def effective_shrinkage(store: Store) -> float:
    """The lead's shrinkage, never below the share of time the wellbeing policy's micro-breaks take."""
    policy = load_policy(store)
    breaks = policy.micro_break_min / (policy.micro_break_after_min + policy.micro_break_min)
    return max(float(settings.read(store, SHRINKAGE)), breaks)


def forecast(store: Store, viewer: User | str, *, window_hours: float = 24, now: _dt.datetime | None = None,
             what_if: WhatIf | None = None) -> list[QueueForecast]:
    """Every item queue's forecast as of *now* (the store clock's by default), for a lead."""
    auth.require(store, viewer, "lead", to="see the capacity forecast")
    if not window_hours > 0:
        raise PlanningError("the window must be more than 0 hours")
    now = now or store.clock.now()
    what_if = what_if or WhatIf()
    since, until = iso(now - _dt.timedelta(hours=window_hours)), iso(now)
    received = planning.received_between(store, since, until)
    decided = planning.decided_between(store, since, until)
    handle_since = iso(now - max(_dt.timedelta(hours=window_hours), _dt.timedelta(days=HANDLE_DAYS)))
    handle_ms = planning.handle_ms_between(store, handle_since, until)
    shrinkage = effective_shrinkage(store)
    return [
        _queue_forecast(store, health.queue, health.waiting, now, shrinkage, what_if,
                        inflow=received.get(health.queue.id, 0) / window_hours,
                        outflow=max(0, decided.get(health.queue.id, 0)) / window_hours,
                        handles=[ms / 1000 for ms in handle_ms.get(health.queue.id, [])])
        for health in store.queue_health() if health.queue.kind in FORECAST_KINDS
    ]


def need_by_hour(store: Store, viewer: User | str, *, hours: int = 24,
                 now: _dt.datetime | None = None) -> dict[int, list[int]]:
    """People to roster per queue id for each of the next *hours* (0 where nothing can be planned).

    The forecast's need is flat over the horizon: it comes from the
    window's average inflow and today's backlog (docs/operations.md).
    """
    return {f.queue_id: [f.people_rostered_needed or 0] * hours for f in forecast(store, viewer, now=now)}


def _queue_forecast(store: Store, queue: Queue, waiting: int, now: _dt.datetime, shrinkage: float,
                    what_if: WhatIf, *, inflow: float, outflow: float, handles: list[float]) -> QueueForecast:
    sla = (what_if.sla_seconds or {}).get(queue.id, queue.sla_seconds)
    inflow *= (what_if.inflow_factor or {}).get(queue.id, 1.0)
    mean = statistics.fmean(handles) if handles else None
    median = statistics.median(handles) if handles else None
    if what_if.extra_people and mean is not None:
        outflow = max(0.0, outflow + what_if.extra_people * (1 - shrinkage) * 3600 / mean)
    dues = (_due(received_at, due_at, sla, queue.sla_seconds) for received_at, due_at in  # earliest first
            planning.pending_times(store, queue.id, by_received=sla != queue.sla_seconds))
    model = "erlang_c" if sla <= REALTIME_SLA_SECONDS else "backlog"
    plan: Staffing | None = None
    needed: int | None = None
    roster: int | None = None
    if waiting == 0 and inflow == 0:  # no work needs nobody, measured handle time or not
        needed, roster = 0, 0
    elif mean is not None and model == "erlang_c":
        plan = staffing(inflow, mean, SERVICE_TARGET, sla, shrinkage=shrinkage, max_occupancy=MAX_OCCUPANCY)
        needed, roster = plan.agents, plan.rostered
    elif mean is not None:
        people = backlog_people(waiting, inflow, mean, sla)
        needed, roster = math.ceil(people - 1e-9), rostered(people, shrinkage)
    return QueueForecast(
        queue.name, queue.id, sla, waiting, inflow, outflow, mean, median,
        hours_to_clear(waiting, inflow, outflow), first_breach(now, dues, inflow, outflow, sla),
        needed, roster, model, plan, projection(waiting, inflow, outflow))


def _due(received_at: str, due_at: str, sla: int, queue_sla: int) -> _dt.datetime:
    """An item's due time, moved to received + *sla* when a what-if changes the queue's SLA."""
    if sla == queue_sla:
        return parse(due_at)
    return parse(received_at) + _dt.timedelta(seconds=sla)


def backlog_people(waiting: int, inflow: float, handle_seconds: float, sla_seconds: int) -> float:
    """People working together through the SLA window to do the backlog and the window's arrivals in it."""
    work_seconds = (waiting + inflow * sla_seconds / 3600) * handle_seconds
    return work_seconds / sla_seconds


def hours_to_clear(waiting: int, inflow: float, outflow: float) -> float | None:
    """Hours until the backlog is empty at this pace; None when it never shrinks."""
    if waiting == 0:
        return 0.0
    if outflow <= inflow:
        return None
    return waiting / (outflow - inflow)


def first_breach(now: _dt.datetime, dues: Iterable[_dt.datetime], inflow: float, outflow: float,
                 sla_seconds: int) -> str | None:
    """When the first item misses its due time, serving earliest-due first at *outflow* per hour.

    *dues*: the pending items' due times, earliest first, read only as far as
    the first breach (at 5 M items a queue may hold a million, and a list of
    them parsed and sorted held a reader 6 s and the interpreter for hundreds
    of milliseconds at a time). Arrivals over the next
    :data:`HORIZON_HOURS` come evenly at *inflow* per hour, each due
    *sla_seconds* after it arrives. Each takes 1 / *outflow* hours once
    its turn comes and it is there.
    """
    waiting = ((due, now) for due in dues)
    if outflow <= 0:  # nothing is being decided: the earliest due is the first breach
        arrivals_due = now + _dt.timedelta(hours=1 / inflow, seconds=sla_seconds) if inflow > 0 else None
        earliest = min([*itertools.islice((due for due, _ in waiting), 1), *([arrivals_due] if arrivals_due else [])],
                       default=None)
        return iso(earliest) if earliest else None
    step = _dt.timedelta(hours=1 / outflow)
    expected = ((arrived + _dt.timedelta(seconds=sla_seconds), arrived) for arrived in
                (now + _dt.timedelta(hours=(j + 1) / inflow) for j in range(math.floor(inflow * HORIZON_HOURS))))
    done = now
    for due, arrived in heapq.merge(waiting, expected):  # both earliest due first: so is their merge
        done = max(done, arrived) + step  # nobody decides an item before it arrives
        if done > due:
            return iso(due)
    return None


def projection(waiting: int, inflow: float, outflow: float) -> list[tuple[int, float]]:
    """The backlog at each whole hour from now to :data:`HORIZON_HOURS`, at this pace (never below 0)."""
    return [(hour, max(0.0, waiting + (inflow - outflow) * hour)) for hour in range(HORIZON_HOURS + 1)]

