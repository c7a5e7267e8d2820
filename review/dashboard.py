"""The lead's dashboard figures: queue backlog and SLA, flow, handle time, throughput, exposure.

Qt-free and audit-free: accuracy and open disputes come from
``audit.dashboard``; the page puts both together. Only a lead may read
these figures (``NotAllowed``, a ``PermissionError``, otherwise): they name people.

Definitions (every window ends at the store clock's *now*):

* ``waiting``, ``oldest``, ``breached``, ``at_risk``: :meth:`Store.queue_health`
  (at risk = due within the next quarter of the queue's SLA).
* ``received`` per hour: items whose ``received_at`` falls in the hour,
  counted in the queue that holds them now (an escalated item counts in its
  escalation queue). ``decided`` per hour: decisions made in the queue in
  the hour, net of undo (a revocation takes one back). Hours are whole UTC
  hours; the last one is the hour in progress.
* Handle time: median and 90th percentile of ``decisions.handle_ms`` over
  the last :data:`WEEK_DAYS` days, with the linear-interpolation
  percentile (NumPy's default, Hyndman & Fan type 7) and its *n*, each
  handle time taken to the precision the page shows it (the nearest 0.1 s
  below 10 s, the nearest second from 10 s: ``summaries.HANDLE_BUCKET``), so
  a figure differs from one over milliseconds by at most half that step.
  Decisions without a measured handle time (imported history) are left out.
* Throughput: decisions (net of undo) today (the UTC day, as exposure
  budgets count) and over the last :data:`WEEK_DAYS` × 24 h.
* Exposure: ``review.wellbeing.lead_view.team_exposure`` — on-screen, revealed and
  severe time today against the severe budget (the policy's, plus any
  lead's lift), so the dashboard and the person's own meter never disagree.

Cost: nothing here reads a week of decisions. Whole hours and whole days
come from the summaries the store keeps in each decision's transaction
(``review.store.summaries``; ``veil verify`` recounts them); only the part
of the week's first day that is cut (at most 12 hours, see :func:`_week`)
and today's rows after now are counted from ``decisions``, grouped in SQL;
arrivals are an index range (``items_received``). ``benchmarks/bench_dashboard.py`` measures it on a
1,000,000-decision store beside a bare ``GROUP BY`` of the week.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import overload

from review import auth
from review.clock import iso
from review.store import Queue, QueueHealth, Store, User, activity
from review.store import automation as automation_rows
from review.store.summaries import NO_HANDLE
from review.wellbeing.lead_view import PersonExposure, team_exposure
from review.wellbeing.policy import load_policy

HOURS = 24
WEEK_DAYS = 7


@dataclass(frozen=True)
class HandleTime:
    """Median and 90th percentile handle time over *n* decisions (None when n == 0)."""

    n: int
    median_ms: float | None
    p90_ms: float | None


@dataclass(frozen=True)
class QueueFigures:
    health: QueueHealth
    received: tuple[int, ...]  # items per hour, oldest hour first (HOURS values)
    decided: tuple[int, ...]  # decisions per hour, net of undo
    handle: HandleTime  # over the last WEEK_DAYS days

    @property
    def queue(self) -> Queue:
        return self.health.queue


@dataclass(frozen=True)
class PersonFigures:
    user: User
    decided_today: int
    decided_week: int
    handle: HandleTime
    exposure: PersonExposure | None  # None: nothing shown to them today
    severe_budget_ms: int  # today's severe budget, with any lead's lift


@dataclass(frozen=True)
class Dashboard:
    at: str  # the store time the figures are for
    hours: tuple[str, ...]  # start of each hourly bucket (UTC, canonical text), oldest first
    queues: tuple[QueueFigures, ...]
    people: tuple[PersonFigures, ...]

    @property
    def open_escalations(self) -> int:
        """Items waiting in escalation queues (for a lead to decide)."""
        return sum(q.health.waiting for q in self.queues if q.queue.kind == "escalation")


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The *q*-th percentile (0–100) of ascending *ordered* values; None when empty.

    Linear interpolation between closest ranks: rank = q/100 · (n − 1), as
    ``numpy.percentile``'s default, so a spreadsheet or NumPy gives the same.
    """
    if not ordered:
        return None
    rank = q / 100 * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class Counted(Sequence[int]):
    """Values kept as (value, how many) — a histogram — read as the ascending list they stand for."""

    def __init__(self, counts: Mapping[int, int]) -> None:
        kept = sorted((value, n) for value, n in counts.items() if n > 0)
        self._values = [value for value, _ in kept]
        self._ends = list(itertools.accumulate(n for _, n in kept))  # the position after each value's last copy

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    @overload
    def __getitem__(self, position: int) -> int: ...

    @overload
    def __getitem__(self, position: slice) -> Sequence[int]: ...

    def __getitem__(self, position: int | slice) -> int | Sequence[int]:
        if isinstance(position, slice):
            return [self[k] for k in range(len(self))[position]]
        if not 0 <= position < len(self):
            raise IndexError(position)
        return self._values[bisect.bisect_right(self._ends, position)]


def handle_time(counts: Mapping[int, int]) -> HandleTime:
    """Median and 90th percentile of handle times kept as {handle ms: decisions}."""
    ordered = Counted(counts)
    return HandleTime(len(ordered), percentile(ordered, 50), percentile(ordered, 90))


def require_lead(store: Store, who: User | str) -> User:
    """The current row for *who* if they are a lead (roles re-read); else NotAllowed."""
    return auth.require(store, who, "lead", to="see the team dashboard")


def hour_starts(now: _dt.datetime, hours: int = HOURS) -> list[_dt.datetime]:
    """Starts of the last *hours* whole UTC hours, the one in progress last."""
    current = now.astimezone(_dt.UTC).replace(minute=0, second=0, microsecond=0)
    return [current - _dt.timedelta(hours=hours - 1 - n) for n in range(hours)]


@dataclass
class _Week:
    """The last WEEK_DAYS × 24 h of decisions, counted: per person (net of undo, rows, today), handle times."""

    net: Counter[int] = field(default_factory=Counter)  # person -> decisions net of undo
    rows: Counter[int] = field(default_factory=Counter)  # person -> decision and revocation rows
    today: Counter[int] = field(default_factory=Counter)  # person -> decisions net of undo today (UTC)
    by_user: defaultdict[int, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    by_queue: defaultdict[int, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))


def _week(store: Store, now: _dt.datetime) -> _Week:
    """[now − WEEK_DAYS days, now]: whole UTC days from the summaries, corrected from the decisions themselves.

    Corrected by what today holds after now (normally nothing), and for the first day by whichever part is
    shorter: the rest of that day added, or the day counted whole less its hours before the week starts. So at
    most 12 hours of decision rows are read, whatever the store's size.
    """
    week_start = iso(now - _dt.timedelta(days=WEEK_DAYS))
    today = iso(now)[:10]
    first_day = week_start[:10]
    next_day, tomorrow = (_next_day(d) for d in (first_day, today))
    if week_start[11:13] < "12":
        whole_from, first_part, first_sign = first_day, (first_day, week_start), -1
    else:
        whole_from, first_part, first_sign = next_day, (week_start, next_day), 1
    # canonical text is to the millisecond, and a day's rows sort before the next day's date
    after_now = (iso(now + _dt.timedelta(milliseconds=1)), tomorrow)
    late = list(activity.people_between(store, *after_now))
    week = _Week(today=Counter(dict(activity.totals_on_day(store, today))))
    for user_id, _, made, revoked in late:
        week.today[user_id] -= made - revoked
    for sign, rows in ((1, activity.people_on_days(store, whole_from, today)),
                       (first_sign, activity.people_between(store, *first_part)), (-1, late)):
        for user_id, handle_ms, made, revoked in rows:
            week.net[user_id] += sign * (made - revoked)  # a revocation takes its decision back
            week.rows[user_id] += sign * (made + revoked)
            if handle_ms != NO_HANDLE:
                week.by_user[user_id][handle_ms] += sign * made
    for sign, rows in ((1, activity.queues_on_days(store, whole_from, today)),
                       (first_sign, activity.queues_between(store, *first_part)),
                       (-1, activity.queues_between(store, *after_now))):
        for queue_id, handle_ms, made, _ in rows:
            week.by_queue[queue_id][handle_ms] += sign * made
    return week


def _next_day(day: str) -> str:
    return (_dt.date.fromisoformat(day) + _dt.timedelta(days=1)).isoformat()


def compute(store: Store, lead: User | str) -> Dashboard:
    """Every review-side figure of the dashboard, for *lead*, as of the store clock's now."""
    lead = require_lead(store, lead)
    now = store.clock.now()
    now_text = iso(now)
    starts = hour_starts(now)
    keys = {iso(s)[:13]: n for n, s in enumerate(starts)}  # "2026-01-05T09" -> bucket
    today = now_text[:10]

    # Times are canonical UTC text (the importer normalises them); a hand-written row that is not
    # lands outside the buckets and is skipped rather than breaking the page.
    received: dict[int, list[int]] = defaultdict(lambda: [0] * HOURS)
    for queue_id, hour, count in activity.received_per_hour(store, iso(starts[0]), now_text):
        if hour in keys:
            received[queue_id][keys[hour]] += count

    decided: dict[int, list[int]] = defaultdict(lambda: [0] * HOURS)
    for queue_id, hour, net in activity.decided_per_hour(store, iso(starts[0])[:13], now_text[:13]):
        if hour in keys:
            decided[queue_id][keys[hour]] += net

    week = _week(store, now)

    exposure = {e.name: e for e in team_exposure(store, lead, today)}
    budget_ms = load_policy(store).budget_ms  # the one place the daily budget is defined

    queues = tuple(
        QueueFigures(h, tuple(received[h.queue.id]), tuple(decided[h.queue.id]), handle_time(week.by_queue[h.queue.id]))
        for h in store.queue_health()
    )
    people = tuple(
        PersonFigures(u, week.today[u.id], week.net[u.id], handle_time(week.by_user[u.id]), exposure.get(u.name),
                      exposure[u.name].severe_budget_ms if u.name in exposure else budget_ms)
        for u in sorted(store.users(), key=lambda u: u.display_name.casefold())
        if (u.has("moderator") or week.rows[u.id] > 0 or u.name in exposure)
        and not automation_rows.is_system_person(u)  # its decisions count per queue: it is nobody's colleague
    )
    return Dashboard(now_text, tuple(iso(s) for s in starts), queues, people)
