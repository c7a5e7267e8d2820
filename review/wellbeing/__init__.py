"""Wellbeing: breaks before they are needed, a daily budget for severe content, private check-ins.

Everything here is Qt-free and driven by an injected clock, so it is exact
under a ``FakeClock``. The pieces, bottom up:

``WellbeingPolicy``
    The organisation's rules (set by a lead, stored in the ``"wellbeing"``
    setting, validated field by field). Defaults and their basis are in
    ``docs/wellbeing.md``.

``BreakCoach``
    The prompt-escalation state machine. It knows nothing about stores or
    clocks: it is fed elapsed milliseconds with two flags (is the person
    reviewing? is the item severe?) and answers with ``Change`` records::

        none ──(50 min of review)──▶ banner ──(5 more min)──▶ dialog ─┬─ snooze (≤ 2×, 5 min each) ─▶ snoozed ─▶ dialog
          ▲                                                          │
          │          (60 min of severe content: straight to dialog,  └─ no snoozes left ─▶ enforced at the
          │           no snooze by default)                              next item boundary, or after a
          │                                                              2-minute grace at the latest
          └──────────── break_taken (countdown over) ◀── break / enforced ◀─┘ (or "Take a break" at any stage)

    A countdown break cannot end early. Being away (no item on screen, window
    inactive, or idle-paused) for a break's length counts as that break
    ("natural" break). Taking a break resets the counters it covers: any
    break resets the review time; a break as long as the severe break (10 min)
    also resets the severe time and the run of severe items.

``WellbeingSession``
    One person's session: the coach plus the store. It books time from the
    clock, resumes its counters from today's ``exposure`` ledger (so a
    restart does not reset a due break), keeps the day's severe-time budget,
    the run of severe items (K in a row → ``"prefer_mild"``), idle detection,
    and writes every prompt, snooze, break, enforcement, warning and pause
    to ``wellbeing_events`` and the hash-chained ``events`` log. It returns
    ``Notice`` records that the Qt controller (``ui.wellbeing``) turns into
    signals.

Functions for the rest of Veil: ``serving_rule`` (what ``claim_next``'s
``severe=`` should be), ``lift_budget`` (a lead, with a reason), check-ins
(``record_checkin``, ``my_checkins``, ``team_checkins`` — aggregates over at
least five people only), and the lead's view (``team_exposure``,
``person_exposure`` — individual figures only for leads and the person).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections import Counter, deque
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Iterable, Literal, NamedTuple, Sequence

from review import auth
from review.store import wellbeing as ws
from review.clock import Clock, iso, parse
from review.store import Store, User

SETTING_KEY = "wellbeing"
SEVERE = "severe"
MIN_CHECKIN_PEOPLE = 5  # a floor, not a default: fewer people and an average can point at someone

Stage = Literal["none", "banner", "dialog", "snoozed", "last_call", "break", "enforced"]
ServingRule = Literal["allow", "prefer_mild", "never"]
BudgetLevel = Literal["ok", "warning", "reached"]
MeterLevel = Literal["calm", "attention", "limit"]

_MINUTE = 60_000


# ================================================================= policy
# name: (lowest, highest, what it is) — the ranges a lead may choose from.
_LIMITS: dict[str, tuple[float, float, str]] = {
    "micro_break_after_min": (20, 120, "minutes of review before a micro-break prompt"),
    "micro_break_min": (2, 5, "length of a micro-break in minutes"),
    "banner_to_dialog_min": (1, 30, "minutes between the banner and the break dialog"),
    "snooze_min": (1, 15, "minutes a snooze lasts"),
    "max_snoozes": (0, 2, "snoozes allowed per prompt"),
    "severe_break_after_min": (15, 120, "minutes of severe content before the enforced break"),
    "severe_break_min": (5, 30, "length of the severe-content break in minutes"),
    "severe_snoozes": (0, 2, "snoozes allowed for the severe-content break"),
    "enforce_grace_s": (0, 600, "seconds to finish the item in hand before an enforced break"),
    "severe_budget_min": (30, 480, "daily minutes on severe items"),
    "budget_warning_pct": (50, 95, "percent of the daily severe budget that brings a warning"),
    "severe_in_a_row": (1, 50, "severe items in a row before milder ones are preferred"),
    "idle_pause_min": (1, 30, "minutes without input before the session pauses"),
    "cooldown_after_severe_items": (1, 50, "severe items since the last break that bring the cool-down puzzle"),
    "lift_default_min": (5, 240, "minutes a lead's lift adds to the daily severe budget"),
    "checkin_min_people": (MIN_CHECKIN_PEOPLE, 100, "people needed before check-ins are shown to a lead"),
}
_INTEGERS = {"max_snoozes", "severe_snoozes", "severe_in_a_row", "cooldown_after_severe_items", "checkin_min_people"}


@dataclass(frozen=True)
class WellbeingPolicy:
    """The organisation's break and budget rules. Minutes unless a name says otherwise."""

    micro_break_after_min: float = 50
    micro_break_min: float = 3
    banner_to_dialog_min: float = 5
    snooze_min: float = 5
    max_snoozes: int = 2
    severe_break_after_min: float = 60
    severe_break_min: float = 10
    severe_snoozes: int = 0
    enforce_grace_s: float = 120
    severe_budget_min: float = 240
    budget_warning_pct: float = 75
    severe_in_a_row: int = 5
    idle_pause_min: float = 5
    cooldown_after_severe_items: int = 3
    lift_default_min: float = 60
    checkin_min_people: int = MIN_CHECKIN_PEOPLE

    def __post_init__(self) -> None:
        for name, (low, high, what) in _LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{name} ({what}) must be a number, not {value!r}")
            if name in _INTEGERS and value != int(value):
                raise ValueError(f"{name} ({what}) must be a whole number, not {value!r}")
            if not low <= value <= high:
                raise ValueError(f"{name} ({what}) must be between {low:g} and {high:g}, not {value:g}")
        if self.micro_break_min > self.severe_break_min:
            raise ValueError("the micro-break cannot be longer than the severe-content break")

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "WellbeingPolicy":
        """Build from stored JSON, ignoring unknown keys and refusing bad values."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    # milliseconds, for the machinery
    @property
    def micro_after_ms(self) -> int:
        return round(self.micro_break_after_min * _MINUTE)

    @property
    def micro_break_ms(self) -> int:
        return round(self.micro_break_min * _MINUTE)

    @property
    def dialog_after_ms(self) -> int:
        return round(self.banner_to_dialog_min * _MINUTE)

    @property
    def snooze_ms(self) -> int:
        return round(self.snooze_min * _MINUTE)

    @property
    def severe_after_ms(self) -> int:
        return round(self.severe_break_after_min * _MINUTE)

    @property
    def severe_break_ms(self) -> int:
        return round(self.severe_break_min * _MINUTE)

    @property
    def grace_ms(self) -> int:
        return round(self.enforce_grace_s * 1000)

    @property
    def budget_ms(self) -> int:
        return round(self.severe_budget_min * _MINUTE)

    @property
    def idle_ms(self) -> int:
        return round(self.idle_pause_min * _MINUTE)


def load_policy(store: Store) -> WellbeingPolicy:
    """The organisation's policy (defaults for anything not set)."""
    return WellbeingPolicy.from_dict(store.setting(SETTING_KEY))


def save_policy(store: Store, lead: User | str, policy: WellbeingPolicy) -> WellbeingPolicy:
    """A lead sets the organisation's rules (validated by construction)."""
    who = _require_lead(store, lead, "change the wellbeing policy")
    store.set_setting(SETTING_KEY, policy.as_dict(), actor=who.name)
    return policy


# ========================================================== roles, helpers
def _require_lead(store: Store, who: User | str, to: str) -> User:
    return auth.require(store, who, "lead", to=to)


def format_duration(ms: float) -> str:
    """Calm, coarse durations for people: "0 min", "42 min", "4 h", "1 h 10"."""
    minutes = max(0, int(ms // _MINUTE))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h" if rest == 0 else f"{hours} h {rest:02d}"


def _day(moment: _dt.datetime) -> str:
    return iso(moment)[:10]


def _ms_between(start: _dt.datetime, end: _dt.datetime) -> int:
    return max(0, round((end - start).total_seconds() * 1000))


def trailing_severe(severities: Iterable[str | None]) -> int:
    """How many of the most recent items, counting back, were severe."""
    run = 0
    for severity in reversed(list(severities)):
        if severity != SEVERE:
            break
        run += 1
    return run


# ============================================================= the coach
@dataclass(frozen=True)
class Change:
    """One step of the coach: a wellbeing event kind and its details."""

    kind: str
    details: dict[str, Any] = field(default_factory=dict)


class BreakCoach:
    """The prompt-escalation state machine (see the module docstring).

    Fed with ``elapse(ms, reviewing=…, severe=…)``; every threshold is exact
    however the time is sliced (one call of an hour or 3600 calls of a
    second give the same changes, in the same order).
    """

    def __init__(self, policy: WellbeingPolicy, *, since_break_ms: int = 0, severe_ms: int = 0, severe_items: int = 0):
        self.policy = policy
        self.since_break_ms = since_break_ms  # review time since the last break
        self.severe_ms = severe_ms  # severe review time since the last long (severe-length) break
        self.severe_items = severe_items  # severe items since the last break (for the cool-down)
        self.away_ms = 0  # the current stretch of not reviewing
        self.stage: Stage = "none"
        self.reason: str | None = None  # "micro" | "severe" while a prompt or break is on
        self.snoozes_left = 0
        self.stage_ms = 0  # review time since the stage began (carrying any overshoot)
        self.break_ms = 0  # length of the break in progress
        self.break_left_ms = 0
        self.break_cooldown = False
        self._natural_noted = False  # this away stretch already counted as a break

    # ------------------------------------------------------------ queries
    @property
    def on_break(self) -> bool:
        return self.stage in ("break", "enforced")

    @property
    def prompting(self) -> bool:
        return self.stage in ("banner", "dialog", "snoozed", "last_call")

    def wants_cooldown(self) -> bool:
        return self.reason == "severe" or self.severe_items >= self.policy.cooldown_after_severe_items

    # --------------------------------------------------------------- time
    def elapse(self, ms: int, *, reviewing: bool, severe: bool = False) -> list[Change]:
        """*ms* milliseconds passed in one state; returns what that changed."""
        out: list[Change] = []
        ms = max(0, int(ms))
        while ms > 0:
            if self.on_break:  # a break counts down whatever happens; it cannot end early
                used = min(ms, self.break_left_ms)
                self.break_left_ms -= used
                ms -= used
                if self.break_left_ms == 0:
                    out.append(self._finish_break())
            elif reviewing:
                self.away_ms = 0
                self._natural_noted = False
                ms = self._review(ms, severe, out)
            else:
                out += self._away(ms)
                ms = 0
        return out

    def _review(self, ms: int, severe: bool, out: list[Change]) -> int:
        """Book review time up to the next threshold at a time, so each fires at its exact point.

        Returns the time left over when a break started part-way.
        """
        while ms > 0 and not self.on_break:
            step = min(ms, self._ms_to_next_threshold(severe)) or ms
            self.since_break_ms += step
            self.stage_ms += step
            if severe:
                self.severe_ms += step
            ms -= step
            out += self._settle()
        return ms

    def _ms_to_next_threshold(self, severe: bool) -> int:
        p, far = self.policy, 1 << 62
        candidates = [far]
        if severe and self.reason != "severe":
            candidates.append(p.severe_after_ms - self.severe_ms)
        if self.stage == "none":
            candidates.append(p.micro_after_ms - self.since_break_ms)
        elif self.stage == "banner":
            candidates.append(p.dialog_after_ms - self.stage_ms)
        elif self.stage == "snoozed":
            candidates.append(p.snooze_ms - self.stage_ms)
        elif self.stage in ("dialog", "last_call") and self.snoozes_left == 0:
            candidates.append(p.grace_ms - self.stage_ms)
        return max(0, min(candidates))

    def _away(self, ms: int) -> list[Change]:
        """Book time away, stopping at each break length so the short break is seen before the long one."""
        p = self.policy
        out: list[Change] = []
        end = self.away_ms + ms
        for mark in (p.micro_break_ms, p.severe_break_ms):
            if self.away_ms < mark <= end:
                self.away_ms = mark
                if mark >= p.severe_break_ms and (self.severe_ms or self.severe_items or self.reason == "severe"):
                    out += self._natural_break(long=True)
                elif self.since_break_ms or self.reason == "micro":
                    out += self._natural_break(long=False)
        self.away_ms = end
        return out

    def _natural_break(self, *, long: bool) -> list[Change]:
        """Away long enough: that was a break. One event per away stretch."""
        clears = self.reason == "micro" or long  # a severe prompt needs the long break
        prompted = self.prompting and clears
        self.since_break_ms = 0
        if long:
            self.severe_ms = self.severe_items = 0
        if clears:
            self._reset_stage()
        # "minutes" is the break this away time amounts to (not the time away so far, which depends on when it was looked at)
        minutes = (self.policy.severe_break_min if long else self.policy.micro_break_min)
        if self._natural_noted:
            return [Change("break_taken", {"natural": True, "prompted": True, "long": long, "repeat": True,
                                           "minutes": minutes})] if prompted else []
        self._natural_noted = True
        return [Change("break_taken", {"natural": True, "prompted": prompted, "long": long, "minutes": minutes})]

    def _settle(self) -> list[Change]:
        """Apply every transition due at the current counters, in order."""
        out = []
        while (change := self._next_transition()) is not None:
            out.append(change)
        return out

    def _next_transition(self) -> Change | None:
        p = self.policy
        if self.on_break:
            return None
        if self.severe_ms >= p.severe_after_ms and self.reason != "severe":
            self.reason, self.stage = "severe", "dialog"
            self.snoozes_left = p.severe_snoozes
            self.stage_ms = self.severe_ms - p.severe_after_ms
            return Change("prompted_dialog", self._details(episode=True))
        if self.stage == "none" and self.since_break_ms >= p.micro_after_ms:
            self.reason, self.stage = "micro", "banner"
            self.snoozes_left = p.max_snoozes
            self.stage_ms = self.since_break_ms - p.micro_after_ms
            return Change("prompted_banner", self._details(episode=True))
        if self.stage == "banner" and self.stage_ms >= p.dialog_after_ms:
            self.stage = "dialog"
            self.stage_ms -= p.dialog_after_ms
            return Change("prompted_dialog", self._details())
        if self.stage == "snoozed" and self.stage_ms >= p.snooze_ms:
            self.stage = "dialog"
            self.stage_ms -= p.snooze_ms
            return Change("prompted_dialog", self._details(after_snooze=True))
        if self.stage in ("dialog", "last_call") and self.snoozes_left == 0 and self.stage_ms >= p.grace_ms:
            return self._start_break(enforced=True, why="grace")
        return None

    def _details(self, **extra: Any) -> dict[str, Any]:
        return {"reason": self.reason, "review_ms": self.since_break_ms, "severe_ms": self.severe_ms,
                "snoozes_left": self.snoozes_left, **extra}

    # ------------------------------------------------------------ actions
    def item_boundary(self) -> list[Change]:
        """An item left the screen: a break with no snoozes left starts now."""
        if self.stage in ("dialog", "last_call") and self.snoozes_left == 0:
            return [self._start_break(enforced=True, why="item_finished")]
        return []

    def note_item(self, severe: bool) -> None:
        if severe:
            self.severe_items += 1

    def adjust(self, delta_ms: int, *, severe: bool) -> list[Change]:
        """Correct the booked review time by the tracker's exact figure for an item."""
        if delta_ms >= 0:
            out: list[Change] = []
            self._review(delta_ms, severe, out)  # a correction is review time already spent: none is left over
            return out
        self.since_break_ms = max(0, self.since_break_ms + delta_ms)
        self.stage_ms = max(0, self.stage_ms + delta_ms)
        if severe:
            self.severe_ms = max(0, self.severe_ms + delta_ms)
        return []

    def snooze(self) -> Change | None:
        """Snooze the dialog; None (refused) when it is not showing or no snoozes are left."""
        if self.stage != "dialog" or self.snoozes_left <= 0:
            return None
        self.snoozes_left -= 1
        self.stage, self.stage_ms = "snoozed", 0
        return Change("snoozed", self._details())

    def acknowledge(self) -> None:
        """The person saw the final dialog ("after this item"): the break waits for the item boundary."""
        if self.stage == "dialog" and self.snoozes_left == 0:
            self.stage = "last_call"

    def take_break(self) -> Change | None:
        """Start a break now (the severe-length one if that is what is due). None if one is running."""
        if self.on_break:
            return None
        return self._start_break(enforced=False, why="chosen")

    def _start_break(self, *, enforced: bool, why: str) -> Change:
        p = self.policy
        length = p.severe_break_ms if self.reason == "severe" else p.micro_break_ms
        self.break_cooldown = self.wants_cooldown()
        self.reason = self.reason or "micro"
        self.stage = "enforced" if enforced else "break"
        self.break_ms = self.break_left_ms = length
        self.stage_ms = 0
        kind = "break_enforced" if enforced else "break_started"
        return Change(kind, {"reason": self.reason, "minutes": length / _MINUTE, "cooldown": self.break_cooldown,
                             "why": why, "review_ms": self.since_break_ms, "severe_ms": self.severe_ms})

    def _finish_break(self) -> Change:
        long = self.break_ms >= self.policy.severe_break_ms
        change = Change("break_taken", {"reason": self.reason, "minutes": self.break_ms / _MINUTE,
                                        "enforced": self.stage == "enforced", "natural": False, "long": long})
        self.since_break_ms = 0
        if long:
            self.severe_ms = self.severe_items = 0
        self.away_ms = 0
        self._natural_noted = True  # the break itself is this away stretch's break
        self._reset_stage()
        return change

    def _reset_stage(self) -> None:
        self.stage, self.reason, self.snoozes_left, self.stage_ms = "none", None, 0, 0
        self.break_ms = self.break_left_ms = 0


# ========================================================= session state
@dataclass(frozen=True)
class MeterState:
    """What the always-visible meter shows; the UI only paints it."""

    revealed_ms: int
    severe_ms: int
    severe_budget_ms: int
    since_break_ms: int
    break_due: bool
    warning_pct: float = 75
    on_break: bool = False

    @property
    def budget_share(self) -> float:
        return self.severe_ms / self.severe_budget_ms if self.severe_budget_ms else 0.0

    @property
    def level(self) -> MeterLevel:
        """calm, until a threshold; attention at the warning share or when a break is due; limit at 100 %."""
        if self.severe_ms >= self.severe_budget_ms:
            return "limit"
        if self.break_due or self.budget_share * 100 >= self.warning_pct:
            return "attention"
        return "calm"

    def text(self) -> str:
        last = "On a break" if self.on_break else f"Since break {format_duration(self.since_break_ms)}"
        return (f"Revealed today {format_duration(self.revealed_ms)} · "
                f"Severe {format_duration(self.severe_ms)} / {format_duration(self.severe_budget_ms)} · {last}")


@dataclass(frozen=True)
class Notice:
    """Something the person should be shown; ``ui.wellbeing`` maps each kind to a signal.

    kinds: ``banner`` (text), ``dialog`` (text, snoozes_left), ``enforce_break``
    (seconds, cooldown; every break start, chosen or enforced), ``break_over``,
    ``clear_prompt`` (a natural break made a shown prompt moot), ``idle_pause``.
    """

    kind: str
    text: str = ""
    snoozes_left: int = 0
    seconds: int = 0
    cooldown: bool = False


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
    day = _day(now)
    state = Resumed()
    rows = ws.exposure_rows(store, user.id, day)
    breaks = ws.events(store, day=day, user_id=user.id, kinds=["break_taken"])
    timeline: list[tuple[str, int, Any]] = [(r.started_at, 1, r) for r in rows] + [(e.at, 0, e) for e in breaks]
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
            rest(round(float(entry.details.get("minutes", 0)) * _MINUTE))
            continue
        start = parse(entry.started_at)
        if last_end is not None:
            rest(_ms_between(last_end, start))
        last_end = max(last_end, parse(entry.ended_at)) if last_end else parse(entry.ended_at)
        state.since_break_ms += entry.on_screen_ms
        state.revealed_today_ms += entry.revealed_ms
        state.recent.append(entry.severity)
        if entry.severity == SEVERE:
            state.severe_ms += entry.on_screen_ms
            state.severe_items += 1
            state.severe_today_ms += entry.on_screen_ms
    if last_end is not None:
        rest(_ms_between(last_end, now))
    return state


class WellbeingSession:
    """One person's wellbeing state over a working session (see the module docstring).

    Call :meth:`update` often (every second); call :meth:`item_shown` /
    :meth:`item_finished` around each item and :meth:`activity` on input.
    Each returns the notices to show, in order.
    """

    LIFT_REFRESH_S = 30

    def __init__(self, store: Store, user: User, policy: WellbeingPolicy | None = None, *, clock: Clock | None = None):
        self.store, self.user = store, user
        self.clock = clock or store.clock
        self.policy = policy or load_policy(store)
        now = self.clock.now()
        self._mark = now
        self.day = _day(now)
        resumed = resume(store, user, self.policy, now)
        self.coach = BreakCoach(self.policy, since_break_ms=resumed.since_break_ms, severe_ms=resumed.severe_ms,
                                severe_items=resumed.severe_items)
        self.recent: deque[str | None] = deque(resumed.recent[-50:], maxlen=50)
        self._severe_today = resumed.severe_today_ms
        self._revealed_today = resumed.revealed_today_ms
        self._lifted = ws.lifted_ms(store, user.id, self.day)
        self._lifts_checked = now
        self._noted: BudgetLevel = self._noted_level_from_ledger()
        self.item_severity: str | None = None
        self.item_open = False
        self._item_day = self.day
        self._item_live_ms = 0
        self.window_active = True
        self.paused = False
        self.last_activity = now

    # ------------------------------------------------------------ queries
    @property
    def stage(self) -> Stage:
        return self.coach.stage

    @property
    def on_break(self) -> bool:
        return self.coach.on_break

    def may_claim(self) -> bool:
        """False while a break runs or is committed to start at the next item boundary."""
        return not self.coach.on_break and not self._committed()

    def _committed(self) -> bool:
        return self.coach.stage in ("dialog", "last_call") and self.coach.snoozes_left == 0

    def break_remaining_s(self) -> int:
        return math.ceil(self.coach.break_left_ms / 1000) if self.coach.on_break else 0

    def severe_today_ms(self) -> int:
        live = self._item_live_ms if self.item_open and self.item_severity == SEVERE and self._item_day == self.day else 0
        return self._severe_today + live

    def budget_ms(self) -> int:
        return self.policy.budget_ms + self._lifted

    def budget_level(self) -> BudgetLevel:
        return _level(self.severe_today_ms(), self.budget_ms(), self.policy.budget_warning_pct)

    @property
    def serving_rule(self) -> ServingRule:
        if self.budget_level() == "reached":
            return "never"
        if trailing_severe(self.recent) >= self.policy.severe_in_a_row:
            return "prefer_mild"
        return "allow"

    def meter(self) -> MeterState:
        return MeterState(
            revealed_ms=self._revealed_today, severe_ms=self.severe_today_ms(), severe_budget_ms=self.budget_ms(),
            since_break_ms=self.coach.since_break_ms, break_due=self.coach.prompting,
            warning_pct=self.policy.budget_warning_pct, on_break=self.coach.on_break,
        )

    # ------------------------------------------------------------- inputs
    def update(self) -> list[Notice]:
        """Book the time since the last call and apply whatever is due."""
        now = self.clock.now()
        notices = self._book(now)
        self._roll_day(now)
        if (now - self._lifts_checked).total_seconds() >= self.LIFT_REFRESH_S:
            self.refresh_lifts()
        if self._committed() and not self.item_open:  # no item in hand: this is the boundary
            notices += self._apply(self.coach.item_boundary())
        notices += self._check_idle(now)
        notices += self._check_budget()
        return notices

    def item_shown(self, severity: str | None) -> list[Notice]:
        notices = self._book(self.clock.now())
        self.item_open, self.item_severity = True, severity
        self._item_day, self._item_live_ms = self.day, 0
        self.last_activity, self.paused = self.clock.now(), False
        return notices

    def item_finished(self, record: Any | None = None) -> list[Notice]:
        """The item left the screen; *record* is the tracker's ``ExposureRecord`` (exact figures)."""
        notices = self._book(self.clock.now())
        severity = record.severity if record is not None else self.item_severity
        severe = severity == SEVERE
        live = self._item_live_ms if self.item_open else 0
        if record is not None:
            exact = record.blurred_ms + record.revealed_ms + record.region_ms
            notices += self._apply(self.coach.adjust(exact - live, severe=severe))
            if record.started_at[:10] == self.day:
                self._revealed_today += record.revealed_ms + record.region_ms
                if severe:
                    self._severe_today += exact
        elif severe and self._item_day == self.day:
            self._severe_today += live
        if record is not None or self.item_open:
            self.coach.note_item(severe)
            self.recent.append(severity)
        self.item_open, self.item_severity, self._item_live_ms = False, None, 0
        notices += self._apply(self.coach.item_boundary())
        notices += self._check_budget()
        return notices

    def activity(self) -> list[Notice]:
        """Any input. Cheap: called on every key press and mouse move."""
        now = self.clock.now()
        notices = self._book(now) if self.paused else []
        self.last_activity, self.paused = now, False
        return notices

    def set_window_active(self, active: bool) -> list[Notice]:
        notices = self._book(self.clock.now())
        self.window_active = active
        return notices

    def take_break(self) -> list[Notice]:
        notices = self._book(self.clock.now())
        return notices + self._apply([c for c in [self.coach.take_break()] if c])

    def snooze(self) -> tuple[bool, list[Notice]]:
        """(accepted, notices); refused when no dialog is showing or no snoozes are left."""
        notices = self._book(self.clock.now())
        change = self.coach.snooze()
        return change is not None, notices + (self._apply([change]) if change else [])

    def acknowledge(self) -> None:
        self.coach.acknowledge()

    def check_in(self, score: int) -> None:
        record_checkin(self.store, self.user, score)

    def refresh_lifts(self) -> None:
        """Re-read a lead's lifts (another process may have written one).

        A new lift restarts the warnings: against the larger budget the
        person may be at the warning share again, and is told so.
        """
        self._lifts_checked = self.clock.now()
        lifted = ws.lifted_ms(self.store, self.user.id, self.day)
        if lifted != self._lifted:
            self._lifted = lifted
            self._noted = "ok"

    # ----------------------------------------------------------- internals
    def _book(self, now: _dt.datetime) -> list[Notice]:
        elapsed = _ms_between(self._mark, now)
        self._mark = max(self._mark, now)
        if not elapsed:
            return []
        reviewing = self.item_open and self.window_active and not self.paused
        if reviewing:
            self._item_live_ms += elapsed
        return self._apply(self.coach.elapse(elapsed, reviewing=reviewing, severe=self.item_severity == SEVERE))

    def _roll_day(self, now: _dt.datetime) -> None:
        day = _day(now)
        if day == self.day:
            return
        self.day = day
        sums = ws.exposure_sums(self.store, day, self.user.id).get(self.user.id)
        self._severe_today = sums.severe_ms if sums else 0
        self._revealed_today = (sums.revealed_ms + sums.region_ms) if sums else 0
        self._lifted = ws.lifted_ms(self.store, self.user.id, day)
        self._noted = "ok"

    def _check_idle(self, now: _dt.datetime) -> list[Notice]:
        if not self.item_open or self.paused or self.coach.on_break:
            return []
        if _ms_between(self.last_activity, now) < self.policy.idle_ms:
            return []
        self.paused = True
        ws.add_event(self.store, self.user, "idle_paused", {"idle_ms": _ms_between(self.last_activity, now)})
        return [Notice("idle_pause", f"Paused after {format_duration(self.policy.idle_ms)} without input. "
                                     "The item went back to its queue; press Enter to continue.")]

    def _check_budget(self) -> list[Notice]:
        level = self.budget_level()
        notices: list[Notice] = []
        used, budget = self.severe_today_ms(), self.budget_ms()
        for step in ("warning", "reached"):
            if _RANK[level] >= _RANK[step] > _RANK[self._noted]:
                ws.add_event(self.store, self.user, f"budget_{step}", {"used_ms": used, "budget_ms": budget})
                notices.append(Notice("banner", _budget_text(step, used, budget, self.policy)))
        if _RANK[level] > _RANK[self._noted]:
            self._noted = level
        return notices

    def _noted_level_from_ledger(self) -> BudgetLevel:
        noted: BudgetLevel = "ok"
        for event in ws.events(self.store, day=self.day, user_id=self.user.id,
                               kinds=["budget_warning", "budget_reached", "budget_lifted"]):
            noted = {"budget_warning": "warning", "budget_reached": "reached", "budget_lifted": "ok"}[event.kind]
        return noted

    def _apply(self, changes: Sequence[Change]) -> list[Notice]:
        """Record each change (ledger + event log) and say what to show."""
        notices = []
        for change in changes:
            ws.add_event(self.store, self.user, change.kind, change.details)
            notice = self._notice(change)
            if change.kind == "break_taken":
                self.recent.clear()  # after a break, a run of severe items starts again
            if notice is not None:
                notices.append(notice)
        return notices

    def _notice(self, change: Change) -> Notice | None:
        p, d = self.policy, change.details
        if change.kind == "prompted_banner":
            return Notice("banner", f"{format_duration(d['review_ms'])} of review since your last break. "
                                    f"Take a {p.micro_break_min:g}-minute break when you reach a good point.")
        if change.kind == "prompted_dialog":
            left = int(d["snoozes_left"])
            if d["reason"] == SEVERE:
                text = (f"You have had {format_duration(d['severe_ms'])} of severe content since your last long break. "
                        f"A {p.severe_break_min:g}-minute break is due.")
            else:
                text = (f"Time for a {p.micro_break_min:g}-minute break: {format_duration(d['review_ms'])} of review "
                        "since the last one. Stand up, look at something far away, stretch.")
            if left == 0:
                grace = f" (in {format_duration(p.grace_ms)} at the latest)" if p.grace_ms >= _MINUTE else ""
                text += f" It starts when you finish this item{grace}."
            return Notice("dialog", text, snoozes_left=left)
        if change.kind in ("break_started", "break_enforced"):
            return Notice("enforce_break", seconds=round(self.coach.break_ms / 1000), cooldown=bool(d["cooldown"]))
        if change.kind == "break_taken":
            if d.get("natural"):
                return Notice("clear_prompt") if d.get("prompted") else None
            return Notice("break_over", "Break over. Welcome back.")
        return None


_RANK = {"ok": 0, "warning": 1, "reached": 2}


def _level(used_ms: int, budget_ms: int, warning_pct: float) -> BudgetLevel:
    if used_ms >= budget_ms:
        return "reached"
    if used_ms * 100 >= budget_ms * warning_pct:
        return "warning"
    return "ok"


def _budget_text(step: str, used: int, budget: int, policy: WellbeingPolicy) -> str:
    if step == "warning":
        return (f"{format_duration(used)} of today's {format_duration(budget)} on severe items used "
                f"({policy.budget_warning_pct:g} %). Milder items come once it is spent.")
    return (f"Today's time on severe items is used up ({format_duration(budget)}). You will get milder items for "
            "the rest of the day.")


# ================================================== serving and budgets
@dataclass(frozen=True)
class Budget:
    used_ms: int
    budget_ms: int
    lifted_ms: int
    level: BudgetLevel


def budget_status(store: Store, user: User, policy: WellbeingPolicy | None = None, day: str | None = None) -> Budget:
    """Today's (or *day*'s) severe time against the budget, from the ledger."""
    policy = policy or load_policy(store)
    day = day or store.now()[:10]
    used = ws.severe_ms(store, user.id, day)
    lifted = ws.lifted_ms(store, user.id, day)
    budget = policy.budget_ms + lifted
    return Budget(used, budget, lifted, _level(used, budget, policy.budget_warning_pct))


def serving_rule(
    store: Store, user: User, recent_severities: Sequence[str | None], policy: WellbeingPolicy | None = None
) -> ServingRule:
    """The ``severe=`` argument for ``serving.claim_next`` for this person now.

    ``"never"`` once the day's severe budget is spent (until a lead lifts it);
    ``"prefer_mild"`` after K severe items in a row (``claim_next`` still
    serves a severe item if nothing milder waits); else ``"allow"``.
    *recent_severities* are the severities of the person's latest items, oldest first.
    """
    policy = policy or load_policy(store)
    if budget_status(store, user, policy).level == "reached":
        return "never"
    if trailing_severe(recent_severities) >= policy.severe_in_a_row:
        return "prefer_mild"
    return "allow"


def lift_budget(store: Store, lead: User | str, user: User | str, reason: str, minutes: float | None = None) -> Budget:
    """A lead extends *user*'s severe budget for today by *minutes* (policy default), with a reason.

    Recorded in ``wellbeing_lifts``, as a ``budget_lifted`` wellbeing event
    and in the event log, under the lead's name. Bounded: a lift is never
    unlimited, and a second one needs a second reason.
    """
    who = _require_lead(store, lead, "lift a severe-content budget")
    person = auth.resolve(store, user)
    if not reason or not reason.strip():
        raise ValueError("a lift needs a reason (it is recorded)")
    policy = load_policy(store)
    minutes = policy.lift_default_min if minutes is None else minutes
    low, high, _ = _LIMITS["lift_default_min"]
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not low <= minutes <= high:
        raise ValueError(f"a lift is between {low:g} and {high:g} minutes")
    ws.add_lift(store, who, person, store.now()[:10], round(minutes * _MINUTE), reason.strip())
    return budget_status(store, person, policy)


# ============================================================== check-ins
def record_checkin(store: Store, user: User, score: int) -> None:
    """The optional one-tap "how are you" (1 = rough … 5 = fine), private to *user*."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValueError("a check-in is a whole number from 1 to 5")
    ws.add_checkin(store, user, score)


def my_checkins(store: Store, user: User) -> list[ws.Checkin]:
    """The person's own answers (the UI passes only the signed-in person)."""
    return ws.checkins(store, user.id)


@dataclass(frozen=True)
class CheckinAggregate:
    first_day: str
    last_day: str
    people: int
    responses: int
    mean: float
    distribution: dict[int, int]  # score -> how many answers


class TeamCheckins(NamedTuple):
    aggregate: CheckinAggregate | None
    reason: str  # why nothing is shown ("" when the aggregate is there)


def team_checkins(store: Store, lead: User | str, days: int = 7, policy: WellbeingPolicy | None = None) -> TeamCheckins:
    """Check-ins of the last *days* days, pooled; only over at least five different people."""
    _require_lead(store, lead, "see the team's check-ins")
    policy = policy or load_policy(store)
    if days < 1:
        raise ValueError("days must be at least 1")
    today = store.clock.now()
    last = _day(today)
    first = _day(today - _dt.timedelta(days=days - 1))
    answers = ws.checkin_scores(store, first, last)
    people = len({who for who, _ in answers})
    needed = max(MIN_CHECKIN_PEOPLE, policy.checkin_min_people)
    if people < needed:
        return TeamCheckins(None, f"only {people} {'person has' if people == 1 else 'people have'} checked in since "
                                  f"{first}; at least {needed} are needed so that no one's answers can be singled out")
    scores = [score for _, score in answers]
    counts = Counter(scores)
    return TeamCheckins(
        CheckinAggregate(first, last, people, len(scores), round(sum(scores) / len(scores), 2),
                         {s: counts.get(s, 0) for s in range(1, 6)}),
        "",
    )


# ============================================================= lead view
@dataclass(frozen=True)
class PersonExposure:
    """One person's day, for the lead's view (and the person's own)."""

    name: str
    display_name: str
    day: str
    items: int
    blurred_ms: int
    revealed_ms: int  # whole-item reveals
    region_ms: int  # region reveals
    video_ms: int
    severe_ms: int
    severe_items: int
    severe_budget_ms: int
    breaks_prompted: int
    breaks_taken: int  # prompted or chosen breaks that ran their full length
    breaks_natural: int  # time away that counted as a break
    breaks_enforced: int
    snoozes: int
    idle_pauses: int
    overrides: tuple[ws.Lift, ...]

    @property
    def budget_share(self) -> float:
        return self.severe_ms / self.severe_budget_ms if self.severe_budget_ms else 0.0


def _person_day(person: User, day: str, policy: WellbeingPolicy,
                sums: ws.ExposureSums | None, events: list[ws.WellbeingEvent], lifts: list[ws.Lift]) -> PersonExposure:
    kinds = Counter(e.kind for e in events)
    prompted = sum(1 for e in events if e.kind in ("prompted_banner", "prompted_dialog") and e.details.get("episode"))
    taken = sum(1 for e in events if e.kind == "break_taken" and not e.details.get("natural"))
    natural = sum(1 for e in events if e.kind == "break_taken" and e.details.get("natural") and not e.details.get("repeat"))
    return PersonExposure(
        name=person.name, display_name=person.display_name, day=day,
        items=sums.items if sums else 0, blurred_ms=sums.blurred_ms if sums else 0,
        revealed_ms=sums.revealed_ms if sums else 0, region_ms=sums.region_ms if sums else 0,
        video_ms=sums.video_ms if sums else 0, severe_ms=sums.severe_ms if sums else 0,
        severe_items=sums.severe_items if sums else 0,
        severe_budget_ms=policy.budget_ms + sum(l.extra_ms for l in lifts),
        breaks_prompted=prompted, breaks_taken=taken, breaks_natural=natural,
        breaks_enforced=kinds["break_enforced"], snoozes=kinds["snoozed"], idle_pauses=kinds["idle_paused"],
        overrides=tuple(lifts),
    )


def team_exposure(store: Store, lead: User | str, day: str | None = None) -> list[PersonExposure]:
    """Every person who reviewed (or was prompted, or lifted) on *day* (default today), by name."""
    _require_lead(store, lead, "see the team's exposure")
    policy = load_policy(store)
    day = day or store.now()[:10]
    sums = ws.exposure_sums(store, day)
    events: dict[int, list[ws.WellbeingEvent]] = {}
    for event in ws.events(store, day=day):
        events.setdefault(event.user_id, []).append(event)
    lifts: dict[int, list[ws.Lift]] = {}
    for lift in ws.lifts(store, day=day):
        lifts.setdefault(lift.user_id, []).append(lift)
    people = set(sums) | set(events) | set(lifts)
    return [
        _person_day(user, day, policy, sums.get(user.id), events.get(user.id, []), lifts.get(user.id, []))
        for user in store.users() if user.id in people
    ]


def person_exposure(store: Store, viewer: User | str, person: User | str, day: str | None = None) -> PersonExposure:
    """One person's figures: only for a lead or the person themself."""
    who = auth.resolve(store, viewer)
    subject = auth.resolve(store, person)
    if who.id != subject.id and not who.has("lead"):
        raise PermissionError(f"{who.name} cannot see {subject.name}'s exposure: only {subject.name} and leads can")
    policy = load_policy(store)
    day = day or store.now()[:10]
    return _person_day(
        subject, day, policy, ws.exposure_sums(store, day, subject.id).get(subject.id),
        ws.events(store, day=day, user_id=subject.id), ws.lifts(store, day=day, user_id=subject.id),
    )


__all__ = [
    "WellbeingPolicy", "load_policy", "save_policy", "BreakCoach", "Change", "WellbeingSession", "Notice",
    "MeterState", "resume", "Budget", "budget_status", "serving_rule", "lift_budget", "record_checkin",
    "my_checkins", "team_checkins", "TeamCheckins", "CheckinAggregate", "team_exposure", "person_exposure",
    "PersonExposure", "format_duration", "trailing_severe", "SETTING_KEY",
]
