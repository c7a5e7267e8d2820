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
  percentile (NumPy's default, Hyndman & Fan type 7) and its *n*.
  Decisions without a measured handle time (imported history) are left out.
* Throughput: decisions (net of undo) today (the UTC day, as exposure
  budgets count) and over the last :data:`WEEK_DAYS` × 24 h.
* Exposure: ``review.wellbeing.lead_view.team_exposure`` — on-screen, revealed and
  severe time today against the severe budget (the policy's, plus any
  lead's lift), so the dashboard and the person's own meter never disagree.

Cost: every query is an indexed range or a per-queue index probe
(``items_serving``, ``decisions_time``, ``exposure_day``), except the
hourly ``received`` count, which reads ``received_at`` for the last 24 h;
see ``benchmarks/bench_dashboard.py`` for the figures on a 1,000,000-decision
store.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from review import auth
from review.clock import iso
from review.store import Queue, QueueHealth, Store, User, activity
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


def handle_time(values: Sequence[int]) -> HandleTime:
    ordered = sorted(values)
    return HandleTime(len(ordered), percentile(ordered, 50), percentile(ordered, 90))


def require_lead(store: Store, who: User | str) -> User:
    """The current row for *who* if they are a lead (roles re-read); else NotAllowed."""
    return auth.require(store, who, "lead", to="see the team dashboard")


def hour_starts(now: _dt.datetime, hours: int = HOURS) -> list[_dt.datetime]:
    """Starts of the last *hours* whole UTC hours, the one in progress last."""
    current = now.astimezone(_dt.UTC).replace(minute=0, second=0, microsecond=0)
    return [current - _dt.timedelta(hours=hours - 1 - n) for n in range(hours)]


def compute(store: Store, lead: User | str) -> Dashboard:
    """Every review-side figure of the dashboard, for *lead*, as of the store clock's now."""
    lead = require_lead(store, lead)
    now = store.clock.now()
    now_text = iso(now)
    starts = hour_starts(now)
    keys = {iso(s)[:13]: n for n, s in enumerate(starts)}  # "2026-01-05T09" -> bucket
    week_start = iso(now - _dt.timedelta(days=WEEK_DAYS))
    today = now_text[:10]

    # Times are canonical UTC text (the importer normalises them); a hand-written row that is not
    # lands outside the buckets and is skipped rather than breaking the page.
    received: dict[int, list[int]] = defaultdict(lambda: [0] * HOURS)
    for queue_id, hour, count in activity.received_per_hour(store, iso(starts[0]), now_text):
        if hour in keys:
            received[queue_id][keys[hour]] += count

    decided: dict[int, list[int]] = defaultdict(lambda: [0] * HOURS)
    for queue_id, hour, net in activity.decided_per_hour(store, iso(starts[0]), now_text):
        if hour in keys:
            decided[queue_id][keys[hour]] += net

    # One pass over the week's decisions gives throughput and handle times.
    today_counts: dict[int, int] = defaultdict(int)
    week_counts: dict[int, int] = defaultdict(int)
    by_queue: dict[int, list[int]] = defaultdict(list)
    by_user: dict[int, list[int]] = defaultdict(list)
    for queue_id, user_id, is_today, ms, live in activity.decisions_between(store, week_start, now_text, today=today):
        sign = 1 if live else -1  # a revocation takes its decision back
        week_counts[user_id] += sign
        if is_today:
            today_counts[user_id] += sign
        if live and ms is not None:
            by_queue[queue_id].append(ms)
            by_user[user_id].append(ms)

    exposure = {e.name: e for e in team_exposure(store, lead, today)}
    budget_ms = load_policy(store).budget_ms  # the one place the daily budget is defined

    queues = tuple(
        QueueFigures(h, tuple(received[h.queue.id]), tuple(decided[h.queue.id]), handle_time(by_queue[h.queue.id]))
        for h in store.queue_health()
    )
    people = tuple(
        PersonFigures(u, today_counts[u.id], week_counts[u.id], handle_time(by_user[u.id]), exposure.get(u.name),
                      exposure[u.name].severe_budget_ms if u.name in exposure else budget_ms)
        for u in sorted(store.users(), key=lambda u: u.display_name.casefold())
        if u.has("moderator") or u.id in week_counts or u.name in exposure
    )
    return Dashboard(now_text, tuple(iso(s) for s in starts), queues, people)
