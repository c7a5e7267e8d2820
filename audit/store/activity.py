"""The reads behind targets and cost per unit: when each person was at work, what they decided, on time or not.

Veil records no sign-in or sign-out. What it does record of a person at
work is each item on their screen (``exposure``: from when it was shown to
when it left), each decision (``decisions.shown_at`` to ``decided_at``),
each idle pause (``wellbeing_events`` ``idle_paused``: the stretch of
``idle_ms`` without input that ended at ``at``) and each countdown break
(``wellbeing_breaks``). :func:`active_ms` turns them into active time, the
"time signed in and not idle" of targets and cost (rule in
docs/operations.md): the items' intervals, merged, a gap shorter than the
idle pause bridged (loading and choosing the next item is work), less the
idle stretches and the breaks, split at UTC midnight.

Periods are ``[start, end)`` in Veil's canonical UTC text, applied to when
a decision was made and when an interval started.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from audit.store.reports import DUE_THEN
from audit.store.schema import ANSWERED, LIVE
from review.clock import iso, parse
from review.store import Store

Interval = tuple[int, int]  # [start, end) in epoch milliseconds


def _ms(text: str) -> int:
    return int(parse(text).timestamp() * 1000)


def _bounds(column: str, start: str | None, end: str | None, params: list[Any]) -> str:
    clauses = []
    for sql, value in ((f"{column} >= ?", start), (f"{column} < ?", end)):
        if value:
            clauses.append(sql)
            params.append(value)
    return " AND ".join(clauses) or "1 = 1"


def _work(store: Store, start: str | None, end: str | None) -> dict[int, list[Interval]]:
    """Per person, every interval an item was on their screen or being decided."""
    work: dict[int, list[Interval]] = defaultdict(list)
    params: list[Any] = []
    where = _bounds("started_at", start, end, params)
    rows = list(store.db.execute(f"SELECT user_id, started_at, ended_at FROM exposure WHERE {where}", params))
    params = []
    where = _bounds("decided_at", start, end, params)
    rows += store.db.execute("SELECT user_id, shown_at, decided_at FROM decisions"
                             f" WHERE shown_at IS NOT NULL AND revokes_id IS NULL AND {where}", params).fetchall()
    for user_id, began, ended in rows:
        low, high = _ms(began), _ms(ended)
        if high > low:
            work[user_id].append((low, high))
    return work


def _not_working(store: Store, start: str | None, end: str | None) -> dict[int, list[Interval]]:
    """Per person, the idle stretches (ending at an ``idle_paused``) and the countdown breaks."""
    away: dict[int, list[Interval]] = defaultdict(list)
    params: list[Any] = []
    where = _bounds("at", start, end, params)
    for user_id, at, details in store.db.execute(
            f"SELECT user_id, at, details FROM wellbeing_events WHERE kind = 'idle_paused' AND {where}", params):
        ended = _ms(at)
        away[user_id].append((ended - int(json.loads(details or "{}").get("idle_ms", 0)), ended))
    params = []
    where = _bounds("started_at", start, end, params)
    for user_id, began, ends in store.db.execute(
            f"SELECT user_id, started_at, ends_at FROM wellbeing_breaks WHERE {where}", params):
        away[user_id].append((_ms(began), _ms(ends)))
    return away


def merged(intervals: Iterable[Interval], bridge_ms: int) -> list[Interval]:
    """*intervals* joined where they overlap or where the gap between them is shorter than *bridge_ms*."""
    out: list[Interval] = []
    for low, high in sorted(intervals):
        if out and low - out[-1][1] < bridge_ms:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


def less(intervals: list[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """*intervals* with every part inside one of *holes* cut out."""
    for cut_low, cut_high in holes:
        kept: list[Interval] = []
        for low, high in intervals:
            if cut_high <= low or cut_low >= high:
                kept.append((low, high))
                continue
            if low < cut_low:
                kept.append((low, cut_low))
            if cut_high < high:
                kept.append((cut_high, high))
        intervals = kept
    return intervals


def per_day(intervals: Iterable[Interval]) -> dict[str, int]:
    """Milliseconds of *intervals* in each UTC day ("2026-01-05")."""
    days: dict[str, int] = defaultdict(int)
    day_ms = 86_400_000
    for low, high in intervals:
        while low < high:
            midnight = (low // day_ms + 1) * day_ms
            days[iso(_from_ms(low))[:10]] += min(high, midnight) - low
            low = midnight
    return dict(days)


def _from_ms(value: int) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(value / 1000, tz=_dt.UTC)


def active_ms(store: Store, start: str | None, end: str | None, *, bridge_ms: int) -> dict[tuple[int, str], int]:
    """(user id, UTC day) -> active milliseconds in [start, end): the rule in this module's docstring."""
    away = _not_working(store, start, end)
    out: dict[tuple[int, str], int] = {}
    for user_id, intervals in _work(store, start, end).items():
        for day, ms in per_day(less(merged(intervals, bridge_ms), away.get(user_id, ()))).items():
            out[(user_id, day)] = ms
    return out


def decisions_per_day(store: Store, start: str | None, end: str | None) -> list[tuple[int, str, str, int]]:
    """(user id, queue name, UTC day, decisions) for decisions made in [start, end) and not undone."""
    params: list[Any] = []
    where = _bounds("d.decided_at", start, end, params)
    return [tuple(r) for r in store.db.execute(
        "SELECT d.user_id, q.name, substr(d.decided_at, 1, 10), COUNT(*) FROM decisions d"
        f" JOIN queues q ON q.id = d.queue_id WHERE {LIVE} AND {where}"
        " AND d.source IS DISTINCT FROM 'case' GROUP BY 1, 2, 3", params).fetchall()]


def sla_by_person(store: Store, start: str | None, end: str | None) -> list[tuple[str, int, int]]:
    """(moderator, items answered, answered by their due time) for the answers each person gave in the period.

    Which decision answers an item, and against which due time, is ``audit.store.reports.sla_by_queue``'s rule
    (the period-true SLA): the decision that closed the item, or an escalation not sent back or moved out,
    against the due time the item had then (:data:`~audit.store.reports.DUE_THEN`); here grouped by who answered.
    """
    params: list[Any] = []
    where = _bounds("d.decided_at", start, end, params)
    answered = (f"(({ANSWERED} AND i.state <> 'pending' AND NOT EXISTS (SELECT 1 FROM escalations x"
                " WHERE x.decision_id = d.id)) OR (" + LIVE + " AND EXISTS (SELECT 1 FROM escalations x"
                " WHERE x.decision_id = d.id AND COALESCE(x.outcome, '') NOT IN ('sent_back', 'moved_out'))))")
    return [tuple(r) for r in store.db.execute(
        "SELECT u.name, COUNT(DISTINCT d.item_id), COUNT(DISTINCT CASE WHEN d.decided_at <= due THEN d.item_id END)"
        f" FROM (SELECT d.*, {DUE_THEN} AS due FROM decisions d JOIN items i ON i.id = d.item_id"
        f" WHERE {answered} AND {where} AND d.source IS DISTINCT FROM 'case') d"  # a case's applied rows: the queue's
        " JOIN users u ON u.id = d.user_id GROUP BY u.name ORDER BY u.name",
        params).fetchall()]
