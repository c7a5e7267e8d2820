"""Resuming from the ledger: the coach's counters rebuilt from today's exposure rows and breaks.

Quitting Veil and signing in again must not be a way round a break: the
session starts from what today's ledger says, not from zero.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from review.clock import parse
from review.store import Store, User
from review.store import wellbeing as ws
from review.wellbeing.budget import SEVERE
from review.wellbeing.durations import MINUTE_MS, day_of, elapsed_ms
from review.wellbeing.policy import WellbeingPolicy


@dataclass
class Resumed:
    """Counters rebuilt from today's ledger (exposure rows + break events)."""

    since_break_ms: int = 0
    severe_ms: int = 0
    severe_items: int = 0
    recent: list[str | None] = field(default_factory=list)
    severe_today_ms: int = 0
    revealed_today_ms: int = 0


def resume(store: Store, user: User, policy: WellbeingPolicy, now: _dt.datetime) -> Resumed:
    """Rebuild the coach's counters from today's ledger, so quitting does not reset a due break.

    Walks today's exposure rows in time order: a gap between rows (or before
    *now*) as long as a break counts as one, as does every ``break_taken``.
    """
    day = day_of(now)
    state = Resumed()
    rows = ws.exposure_rows(store, user.id, day)
    breaks = ws.events(store, day=day, user_id=user.id, kinds=["break_taken"])
    timeline: list[tuple[str, int, ws.ExposureRow | ws.WellbeingEvent]] = [(r.started_at, 1, r) for r in rows]
    timeline += [(e.at, 0, e) for e in breaks]
    timeline.sort(key=lambda entry: (entry[0], entry[1]))
    last_end: _dt.datetime | None = None

    def rest(ms: int) -> None:
        if ms >= policy.micro_break_ms:
            state.since_break_ms = 0
            state.recent.clear()
        if ms >= policy.severe_break_ms:
            state.severe_ms = state.severe_items = 0

    for _, _, entry in timeline:
        if isinstance(entry, ws.WellbeingEvent):
            rest(round(float(entry.details.get("minutes", 0)) * MINUTE_MS))
            continue
        start = parse(entry.started_at)
        if last_end is not None:
            rest(elapsed_ms(last_end, start))
        last_end = max(last_end, parse(entry.ended_at)) if last_end else parse(entry.ended_at)
        state.since_break_ms += entry.on_screen_ms
        state.revealed_today_ms += entry.revealed_ms
        state.recent.append(entry.severity)
        if entry.severity == SEVERE:
            state.severe_ms += entry.on_screen_ms
            state.severe_items += 1
            state.severe_today_ms += entry.on_screen_ms
    if last_end is not None:
        rest(elapsed_ms(last_end, now))
    return state
