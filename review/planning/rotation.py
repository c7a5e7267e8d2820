"""Rotation rules a lead sets, and what serving may offer a person now under them and the roster.

**A severe queue** is one a lead flags as severe in the rules (by queue id,
so a rename keeps it; a flagged queue merged into another makes that one
severe too, as a queue limit follows merges). Veil does not guess it from
the items' severity: a queue of mostly mild items with a few severe ones
is the wellbeing budget's business (``review.wellbeing``), per item.

**The rules** (the organisation setting ``rotation``): at most
``max_severe_minutes_per_day`` of handle time on severe queues a UTC day,
and at most ``max_severe_days_in_row`` days in a row with work on a severe
queue, then a day on milder ones. Time is the handle time of the person's
decisions in severe queues (what they spent looking), so it is exact
after the fact and needs no clock running in the app. Either rule may be
off (``None``); with no queue flagged, nothing changes.

:func:`plan` is what ``review.serving`` reads once per claim, before it
and again inside the claim's transaction: the rules and the person's
shifts, then (only for a severe queue) their recent decisions.
:meth:`Plan.screen` keeps the queues the shift and the rules allow.

**Counted per shift, not per UTC day.** Inside a shift (adjoining rows
are one shift, so a 22:00–06:00 night is one), the minutes are those
decided since the shift began; outside every shift, since the current
stretch of work began (stretches are separated by IDLE_HOURS without a
decision). Days in a row count stretches by the day they began, so two
nights are two days, not three.

**A shift never locks anybody out**: when its queues serve the person
nothing (paused, outside their limit or roles, or severe with the rule
met), they are served as outside the shift, rules applied — "then a
milder queue". :func:`shift_warnings` tells the Roster page which planned
shifts would break a rule.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from review import settings
from review.clock import epoch_ms, iso
from review.planning import roster
from review.store import Queue, Store, User, queue_admin
from review.store import roster as rows
from review.store.people import queue_name

DEFAULT: dict[str, Any] = {"severe_queue_ids": [], "max_severe_minutes_per_day": 120, "max_severe_days_in_row": 3}


def _checked(value: dict[str, Any]) -> dict[str, Any]:
    """The rules as stored: known keys only, queue ids as ints, limits positive whole numbers or None."""
    unknown = set(value) - set(DEFAULT)
    if unknown:
        raise ValueError(f"unknown rule {sorted(unknown)[0]!r}")
    ids = value.get("severe_queue_ids", [])
    if not isinstance(ids, list) or not all(isinstance(q, int) and not isinstance(q, bool) for q in ids):
        raise ValueError("severe_queue_ids must be a list of queue ids")
    checked: dict[str, Any] = {"severe_queue_ids": sorted(set(ids))}
    for key, most in (("max_severe_minutes_per_day", 24 * 60), ("max_severe_days_in_row", 366)):
        limit = value.get(key, DEFAULT[key])
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= most):
            raise ValueError(f"{key} must be a whole number from 1 to {most}, or null for no limit")
        checked[key] = limit
    return checked


RULES = settings.declare(
    "rotation", settings.ORGANISATION, dict, DEFAULT, changed_by="lead", check=_checked,
    describe="Rotation rules: which queues are severe (by id), the most minutes a day on them and the most days "
             "in a row; serving keeps people off a severe queue once a rule is met.")


@dataclass(frozen=True)
class Rules:
    severe_queue_ids: tuple[int, ...]
    max_minutes: int | None
    max_days: int | None

    def as_setting(self) -> dict[str, Any]:
        return {"severe_queue_ids": list(self.severe_queue_ids), "max_severe_minutes_per_day": self.max_minutes,
                "max_severe_days_in_row": self.max_days}


def rules(store: Store) -> Rules:
    value = settings.read(store, RULES)
    return Rules(tuple(value.get("severe_queue_ids", [])), value.get("max_severe_minutes_per_day"),
                 value.get("max_severe_days_in_row"))


def set_rules(store: Store, lead: User | str, *, severe_queues: Sequence[str], max_minutes: int | None,
              max_days: int | None, expected: Rules | None = None) -> Rules:
    """Set the rules (queues by name) as *lead*: one ``setting.changed`` event with old and new.

    *expected* is the rules the lead's form started from: if another lead
    changed them since, StoreConflict and nothing is written.
    """
    ids = []
    for name in dict.fromkeys(n.strip() for n in severe_queues if n.strip()):
        try:
            ids.append(store.queue(name).id)
        except KeyError:
            raise settings.SettingError(f"There is no queue called “{name}”.") from None
    value = Rules(tuple(sorted(ids)), max_minutes, max_days).as_setting()
    settings.write(store, lead, RULES, value,
                   expected=settings.UNCHECKED if expected is None else _checked(expected.as_setting()))
    return rules(store)


def severe_ids(store: Store, found: Rules | None = None, merged: dict[int, int] | None = None) -> set[int]:
    """The ids of the severe queues: each flagged one and every queue it was merged into."""
    found = found or rules(store)
    if not found.severe_queue_ids:
        return set()
    return queue_admin.followed_ids(found.severe_queue_ids, queue_admin.merged_into(store) if merged is None
                                    else merged)


@dataclass
class Plan:
    """What the roster and the rules allow one person at one moment: read once per claim (:func:`plan`).

    ``shift`` is the row the person is inside now, ``shift_start`` when
    that shift began (adjoining rows are one shift: a night shift is
    ``22:00–24:00`` on one day and ``00:00–06:00`` on the next). The
    merge map and the person's recent decisions are read only when a
    queue needs them, and once.
    """

    store: Store
    user: User
    now: _dt.datetime
    rules: Rules
    shift: rows.ShiftRow | None
    shift_start: _dt.datetime | None
    _merged: dict[int, int] | None = None
    _severe: set[int] | None = None
    _work: tuple[int, int, bool] | None = None  # (severe minutes, severe days in a row, counted in a shift)
    #: The person's recent decisions as a claim's connection follows them (``serving.planned``); None: read afresh.
    recent: rows.RecentDecisions | None = None

    def merged(self) -> dict[int, int]:
        if self._merged is None:
            self._merged = queue_admin.merged_into(self.store)
        return self._merged

    def severe(self) -> set[int]:
        if self._severe is None:
            self._severe = severe_ids(self.store, self.rules, self.merged()) if self.rules.severe_queue_ids else set()
        return self._severe

    def shift_allows(self, queue: Queue) -> bool:
        """No shift now, or *queue* is (or took over) one of its queues."""
        return self.shift is None or queue.id in queue_admin.followed_ids(self.shift.queue_ids, self.merged())

    def work(self) -> tuple[int, int, bool]:
        """(severe minutes in this shift or stretch of work, severe days in a row before it, in a shift)."""
        if self._work is None:
            self._work = _severe_work(self)
        return self._work

    def rotation_refusal(self, queue: Queue) -> str | None:
        """Why a rotation rule keeps the person off *queue* now, in words; None when none does."""
        found = self.rules
        if not found.severe_queue_ids or queue.id not in self.severe():
            return None
        minutes, streak, in_shift = self.work()
        if found.max_minutes is not None and minutes >= found.max_minutes:
            when = "in this shift" if in_shift else "today"
            wait = "your next shift" if in_shift else f"{IDLE_HOURS} h off"
            return (f"You have spent {minutes} min on severe queues {when}; the rotation rule allows "
                    f"{found.max_minutes} min a day, so “{queue.name}” waits until after {wait} (a lead sets the "
                    "rules: Roster page)")
        if found.max_days is not None and streak >= found.max_days:
            return (f"You worked severe queues {streak} days in a row; the rotation rule allows {found.max_days}, so "
                    f"today is for milder queues than “{queue.name}” (a lead sets the rules: Roster page)")
        return None

    def shift_serves(self, every: Iterable[Queue]) -> bool:
        """Whether the shift leaves the person any queue of *every* (the queues they could work at all)."""
        return self.shift is None or any(self.shift_allows(q) and self.rotation_refusal(q) is None for q in every)

    def refusal(self, queue: Queue, every: Iterable[Queue] | None = None) -> str | None:
        """Why the shift or a rule keeps the person off *queue*; None when neither does.

        *every* is all the queues the person could work (roles, limit,
        pauses): when the shift leaves none of them, the person is served
        as outside the shift, the rotation rules still applied.
        """
        refused = self.rotation_refusal(queue)
        if self.shift is None or (every is not None and not self.shift_serves(every)):
            if refused and self.shift is not None:
                return refused + f"; your shift's queues serve you nothing now, so {OUTSIDE_SHIFT}"
            return refused
        if not self.shift_allows(queue):
            names = ", ".join(f"“{queue_name(self.store, q)}”" for q in self.shift.queue_ids)
            return (f"Your shift until {self.shift.ends} UTC is on {names}, not “{queue.name}”: a lead can change it "
                    "(Roster page)")
        return refused

    def screen(self, queues: list[Queue], every: list[Queue]) -> list[Queue]:
        """The queues of *queues* the person may be served from now; *every* as :meth:`refusal` says.

        The same answer as asking :meth:`refusal` of each, without writing the refusals: one names the shift's
        queues, a read each, and a claim screens every queue (inside its transaction).
        """
        if self.shift is None and not self.rules.severe_queue_ids:
            return queues
        in_shift = self.shift is not None and self.shift_serves(every)
        return [q for q in queues if (not in_shift or self.shift_allows(q)) and self.rotation_refusal(q) is None]


IDLE_HOURS = 8  # hours without a decision that end a stretch of work (outside a shift)
_HOUR_MS = 3_600_000
_DAY_MS = 24 * _HOUR_MS
OUTSIDE_SHIFT = "you are served outside your shift, away from severe queues"


def plan(store: Store, user: User, now: _dt.datetime) -> Plan:
    """The roster and the rules for *user* at *now*: the rules and two days of their shifts, two reads."""
    found = rules(store)
    today = now.date()
    day_rows = rows.between(store, (today - _dt.timedelta(days=1)).isoformat(), today.isoformat(), user.id)
    clock = now.strftime("%H:%M")
    inside = next((r for r in day_rows if r.day == today.isoformat() and r.starts <= clock < r.ends), None)
    return Plan(store, user, now, found, inside, _joined_start(inside, day_rows) if inside else None)


def _joined_start(row: rows.ShiftRow, day_rows: list[rows.ShiftRow]) -> _dt.datetime:
    """When the shift *row* belongs to began: earlier rows ending where the next begins are the same shift."""
    def moment(day: str, clock: str) -> _dt.datetime:
        start = _dt.datetime.fromisoformat(day).replace(tzinfo=_dt.UTC)
        return start + _dt.timedelta(minutes=roster.clock_minutes(clock))

    ends = {moment(r.day, r.ends): r for r in day_rows}
    begins = moment(row.day, row.starts)
    while (earlier := ends.get(begins)) is not None:
        begins = moment(earlier.day, earlier.starts)
    return begins


def _severe_work(found: Plan) -> tuple[int, int, bool]:
    """(severe minutes, severe days in a row, in a shift) for :meth:`Plan.work`.

    The person's decisions of the last days fall into **stretches of work**
    separated by at least IDLE_HOURS without a decision; a stretch belongs
    to the day it began, so a night is one day. The minutes count from the
    start of the current shift, else of the current stretch (none when the
    last decision is IDLE_HOURS old); the days in a row are the days before
    it whose stretches held a severe decision.
    """
    severe, now = found.severe(), epoch_ms(found.now)
    look_back = found.now - _dt.timedelta(days=(found.rules.max_days or 0) + 2)
    recent = found.recent or rows.RecentDecisions(found.user.id)
    decided = recent.between(found.store, iso(look_back), iso(found.now))
    tally = _Tally.brought_up_to_date(recent, decided, frozenset(severe))
    current = None
    if decided and now - decided[-1][0] < IDLE_HOURS * _HOUR_MS:
        at, _, ms = decided[tally.starts[-1] - tally.first]
        current = at - ms
    began = epoch_ms(found.shift_start) if found.shift_start is not None else current if current is not None else now
    minutes = tally.severe_ms_since(decided, began) // 60_000
    severe_days = {day for day, held in tally.stretches(decided) if held and day < began // _DAY_MS}
    streak = 0
    while began // _DAY_MS - (streak + 1) in severe_days:
        streak += 1
    return minutes, streak, found.shift_start is not None


@dataclass
class _Tally:
    """Running sums over a person's recent decisions (``roster.RecentDecisions``), kept with them from one claim
    to the next so that a claim adds the decisions since the last and drops those the window left behind,
    instead of going over the last days' thousand decisions again (issue 22: a claim within twice its floor).

    Rows are known by their number in ``RecentDecisions``; ``severe_ms[k]`` and ``severe_count[k]`` sum the
    first *k* rows tallied from ``first`` on (so any run of rows is a difference of two), and ``starts`` numbers
    the rows that begin a stretch of work.
    """

    generation: int
    severe: frozenset[int]
    first: int
    severe_ms: list[int]
    severe_count: list[int]
    starts: list[int]

    @classmethod
    def brought_up_to_date(cls, recent: rows.RecentDecisions, decided: list[tuple[int, int, int]],
                           severe: frozenset[int]) -> _Tally:
        """The tally of *decided* (``recent``'s rows from its first on): the one kept, brought up to date, or a
        new one when the rows were renumbered, the severe queues changed or *decided* stops short of it."""
        tally = recent.tally
        if (not isinstance(tally, cls) or (tally.generation, tally.severe) != (recent.generation, severe)
                or not tally.first <= recent.first <= tally.first + tally.count() <= recent.first + len(decided)):
            tally = cls(recent.generation, severe, recent.first, [0], [0], [])
        gone = recent.first - tally.first
        del tally.severe_ms[:gone], tally.severe_count[:gone]
        tally.first = recent.first
        tally.starts = [n for n in tally.starts if n > tally.first]
        if decided:
            tally.starts.insert(0, tally.first)  # the oldest row begins a stretch: nothing before it is held
        idle = IDLE_HOURS * _HOUR_MS
        for k in range(tally.count(), len(decided)):
            at, queue_id, ms = decided[k]
            if k and at - decided[k - 1][0] >= idle:
                tally.starts.append(tally.first + k)
            held = queue_id in severe
            tally.severe_ms.append(tally.severe_ms[-1] + (ms if held else 0))
            tally.severe_count.append(tally.severe_count[-1] + held)
        recent.tally = tally
        return tally

    def count(self) -> int:
        """How many rows are tallied."""
        return len(self.severe_ms) - 1

    def severe_ms_since(self, decided: list[tuple[int, int, int]], began: int) -> int:
        """The handle time of the severe decisions at or after *began*."""
        return self.severe_ms[-1] - self.severe_ms[bisect.bisect_left(decided, (began,))]

    def stretches(self, decided: list[tuple[int, int, int]]) -> list[tuple[int, bool]]:
        """(the UTC day it began on, held a severe decision) of each stretch of work."""
        bounds = [n - self.first for n in self.starts] + [len(decided)]
        return [((decided[a][0] - decided[a][2]) // _DAY_MS, self.severe_count[b] > self.severe_count[a])
                for a, b in itertools.pairwise(bounds)]


def serving_refusal(store: Store, user: User, queue: Queue, now: _dt.datetime,
                    every: Iterable[Queue] | None = None) -> str | None:
    """Why the roster or a rotation rule keeps *user* off *queue* now; None when neither does (one-off)."""
    return plan(store, user, now).refusal(queue, every)


def shift_warnings(store: Store, shifts: Iterable[rows.ShiftRow]) -> dict[int, list[str]]:
    """For each planned shift that breaks a rule, what it breaks (shift id -> words).

    A shift on severe queues only, longer than the day's limit, breaks the
    minutes rule (a shift that also has a milder queue can be worked within
    it); a shift with a severe queue on the day after *max_days* such days
    in a row (planned shifts, earlier days read too) breaks the days rule.
    """
    found = rules(store)
    severe = severe_ids(store, found)
    planned = list(shifts)
    warnings: dict[int, list[str]] = {}
    if not severe or not planned:
        return warnings
    for row in planned:
        minutes = roster.clock_minutes(row.ends) - roster.clock_minutes(row.starts)
        if found.max_minutes is not None and set(row.queue_ids) <= severe and minutes > found.max_minutes:
            warnings.setdefault(row.id, []).append(
                f"{minutes // 60} h {minutes % 60:02d} on severe queues only; the rule allows "
                f"{found.max_minutes} min a day")
    if found.max_days is None:
        return warnings
    first = min(_dt.date.fromisoformat(r.day) for r in planned) - _dt.timedelta(days=found.max_days)
    last = max(r.day for r in planned)
    severe_days: dict[int, set[_dt.date]] = {}
    for row in rows.between(store, first.isoformat(), last):
        if set(row.queue_ids) & severe:
            severe_days.setdefault(row.user_id, set()).add(_dt.date.fromisoformat(row.day))
    for row in planned:
        day = _dt.date.fromisoformat(row.day)
        days = severe_days.get(row.user_id, set())
        run = all(day - _dt.timedelta(days=n) in days for n in range(1, found.max_days + 1))
        if set(row.queue_ids) & severe and run:
            warnings.setdefault(row.id, []).append(
                f"a severe queue {found.max_days + 1} days in a row; the rule allows {found.max_days}")
    return warnings

