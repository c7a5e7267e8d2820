"""One person's wellbeing session: books time from the clock, feeds the coach, keeps the budget, and records every step.

The session is the wellbeing desk: the Qt controller (``ui.wellbeing``)
calls it on every tick, input and item boundary and shows the
:class:`Notice` records it returns. It resumes its counters from today's
ledger (``resume``), keeps the day's severe-time budget and the run of
severe items (K in a row → ``"prefer_mild"``), detects idleness, books each
item's exposure row when the item leaves (:meth:`WellbeingSession.item_left`),
and writes every prompt, snooze, break, enforcement, warning and pause to
``wellbeing_events`` and the hash-chained ``events`` log.

Its writes go where it is told (``write``): by default here and now; in the
app, to the session's writer thread, in the order they were made, so that no
key press waits on the GUI thread for a commit, a busy disk or a server away
(issue 22). A write that fails costs nobody a break: the coach counts on, the
failure is logged, and an exposure row not saved is said in a banner.

A break is a fact in the store (``wellbeing_breaks``), not a state of this
object: a session that starts while the person's break runs (after a
sign-out, a restart, or in a second window) takes it up with the time left,
and a running session joins a break another window started; a prompt that
was showing comes back with the snoozes it had left.
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from review.clock import Clock, iso, parse
from review.errors import StoreError
from review.store import Store, User
from review.store import wellbeing as ws
from review.store.wellbeing import StoredBreak
from review.wellbeing.budget import (
    LEVEL_RANK,
    SEVERE,
    BudgetLevel,
    ServingRule,
    budget_level_for,
    budget_notice,
    trailing_severe,
)
from review.wellbeing.checkins import record_checkin
from review.wellbeing.coach import BreakCoach, Change, Stage
from review.wellbeing.durations import MINUTE_MS, day_of, elapsed_ms, format_duration
from review.wellbeing.exposure import ExposureRecord
from review.wellbeing.meter import MeterState
from review.wellbeing.notices import Notice, break_words, notice_for
from review.wellbeing.policy import WellbeingPolicy, load_policy
from review.wellbeing.resume import OpenPrompt, resume

log = logging.getLogger(__name__)


#: ``write(fn, failed)``: run ``fn(store)`` now or later, after every write asked before it; ``failed(exc)`` if it
#: raised. :meth:`WellbeingSession.write_here` is the one that runs it now.
Write = Callable[[Callable[[Store], object], Callable[[Exception], None]], None]


@dataclass(frozen=True)
class Polled:
    """What :meth:`WellbeingSession.poll` read on *day*: this person's break running (None: none, or the session
    is on one), *day*'s budget lifts (None: not due for a re-read), and when *day* is a new one for the session,
    its severe and revealed time so far (None: the same day)."""

    day: str
    running: StoredBreak | None
    lifted_ms: int | None
    day_so_far: tuple[int, int] | None = None


class WellbeingSession:
    """One person's wellbeing state over a working session (see the module docstring).

    Call :meth:`update` often (every second), or :meth:`poll` on a reader and :meth:`advance` with what it
    read; call :meth:`item_shown` / :meth:`item_left` around each item and :meth:`activity` on input.
    Each returns the notices to show, in order.
    """

    LIFT_REFRESH_S = 30

    def __init__(self, store: Store, user: User, policy: WellbeingPolicy | None = None, *, clock: Clock | None = None,
                 write: Write | None = None):
        self.store, self.user = store, user
        self._write = write or self.write_here
        self.session_id = uuid.uuid4().hex  # ties this sign-in's exposure rows together
        self.clock = clock or store.clock
        self.policy = policy or load_policy(store)
        now = self.clock.now()
        self._mark = now
        self.day = day_of(now)
        # The break the coach counts down, and the start of the last one this session saw end: a break is known by
        # its times, for one this session began may not be stored yet (its write on its way, its id unknown).
        self._break: StoredBreak | None = None
        self._ended_break: str | None = None
        self._record_break_served_away(now)  # before resuming: the counters start after it
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
        self.item_veiled = True
        self.item_open = False
        self._item_day = self.day
        self._item_live_ms = 0
        self.window_active = True
        self.paused = False
        self.last_activity = now
        self._owed = self._take_up(resumed.prompt, now)  # given out by the next advance() or item_left()

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
        live_severe = self.item_open and self.item_severity == SEVERE and self._item_day == self.day
        live = self._item_live_ms if live_severe else 0
        return self._severe_today + live

    def budget_ms(self) -> int:
        return self.policy.budget_ms + self._lifted

    def budget_level(self) -> BudgetLevel:
        return budget_level_for(self.severe_today_ms(), self.budget_ms(), self.policy.budget_warning_pct)

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
        """Book the time since the last call, read what the store says changed, and apply whatever is due."""
        return self.advance(self.poll(self.store))

    def poll(self, store: Store) -> Polled:
        """Read what another window of this person or a lead may have changed, for :meth:`advance`.

        Safe on a worker thread with a reader connection of its own (*store*): it reads this session's state and
        changes none of it. The app polls that way, so that the GUI thread's tick never waits for the writer
        connection (a commit on a busy disk held it 246 ms at 5 M items, issue 22).
        """
        now = self.clock.now()
        day = day_of(now)
        running = None if self.coach.on_break else ws.running_break(store, self.user.id, iso(now))
        if day != self.day:  # the day has turned: what the new one holds already (another window's items)
            sums = ws.exposure_sums(store, day, self.user.id).get(self.user.id)
            so_far = (sums.severe_ms, sums.revealed_ms + sums.region_ms) if sums else (0, 0)
            return Polled(day, running, ws.lifted_ms(store, self.user.id, day), so_far)
        lifts_due = (now - self._lifts_checked).total_seconds() >= self.LIFT_REFRESH_S
        return Polled(day, running, ws.lifted_ms(store, self.user.id, day) if lifts_due else None)

    def advance(self, polled: Polled | None = None) -> list[Notice]:
        """Book the time since the last call and apply whatever is due, with what :meth:`poll` read (None: nothing
        read this time). Reads nothing; writes only what it records (prompts, breaks). The session's day turns
        when a poll of the new day arrives."""
        now = self.clock.now()
        notices, self._owed = self._owed, []
        notices += self._book(now)
        if polled is not None and polled.running is not None:
            notices += self._join_running_break(polled.running, now)
        if polled is not None and polled.day == day_of(now):
            if polled.day_so_far is not None and polled.day != self.day:
                self._begin_day(polled.day, *polled.day_so_far)
            if polled.lifted_ms is not None and polled.day == self.day:
                self._lifts_read(polled.lifted_ms, now)
        if self._committed() and not self.item_open:  # no item in hand: this is the boundary
            notices += self._apply(self.coach.item_boundary())
        notices += self._check_idle(now)
        notices += self._check_budget()
        return notices

    def item_shown(self, severity: str | None, *, veiled: bool = True) -> list[Notice]:
        """An item is on screen; *veiled* False for one shown as it is (text: its time is booked as shown)."""
        notices = self._book(self.clock.now())
        self.item_open, self.item_severity, self.item_veiled = True, severity, veiled
        self._item_day, self._item_live_ms = self.day, 0
        self.last_activity, self.paused = self.clock.now(), False
        return notices

    def item_left(self, record: ExposureRecord | None) -> list[Notice]:
        """The item left the screen: book its exposure row, then feed the coach.

        *record* is the tracker's (exact figures; None when no item was
        measured, and then the coach's own count stands). The row is written
        first because a restart's :func:`resume` rebuilds the counters from
        the same ledger, and an enforced break may start at this boundary:
        the item must be booked before it. A store that cannot take the row
        (busy, gone) never costs the person their break: the coach still
        counts the item, and a banner says the row was not saved.
        """
        if record is not None and not self.item_veiled:
            record = record.unveiled()
        if record is not None:
            user, session_id, kept = self.user, self.session_id, record
            self._write(lambda store: ws.add_exposure(store, user, session_id, kept), self._exposure_unsaved(kept))
        notices, self._owed = self._owed, []
        notices += self._book(self.clock.now())
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
        self.item_open, self.item_severity, self.item_veiled, self._item_live_ms = False, None, True, 0
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
        user = self.user
        self._write(lambda store: record_checkin(store, user, score), self._unsaved("check-in"))

    def write_here(self, fn: Callable[[Store], object], failed: Callable[[Exception], None]) -> None:
        """The :data:`Write` that runs *fn* on this session's store, now."""
        try:
            fn(self.store)
        except StoreError as exc:
            failed(exc)

    def _unsaved(self, what: str) -> Callable[[Exception], None]:
        return lambda exc: log.warning("wellbeing %s of %s not saved: %s", what, self.user.name, exc)

    def _exposure_unsaved(self, record: ExposureRecord) -> Callable[[Exception], None]:
        """A banner for the next notices: the row is lost, the breaks still count the item (see :meth:`item_left`)."""
        def failed(exc: Exception) -> None:
            log.warning("exposure of item %s not saved: %s", record.item_id, exc)
            self._owed.append(Notice("banner", f"This item's exposure could not be saved ({exc}); "
                                               "your breaks still count it."))
        return failed

    def _lifts_read(self, lifted: int, now: _dt.datetime) -> None:
        """A lead's lifts of today as :meth:`poll` read them (another process may have written one).

        A new lift restarts the warnings: against the larger budget the
        person may be at the warning share again, and is told so.
        """
        self._lifts_checked = now
        if lifted != self._lifted:
            self._lifted = lifted
            self._noted = "ok"

    # ------------------------------------------------------ stored breaks
    def _take_up(self, prompt: OpenPrompt | None, now: _dt.datetime) -> list[Notice]:
        """At the start: the break that still runs, else the prompt that was showing (its snoozes as they were)."""
        running = ws.running_break(self.store, self.user.id, iso(now))
        if running is not None:
            return self._join(running, now)
        if prompt is None:
            return []
        stage: Stage = "snoozed" if prompt.stage == "snoozed" else "banner" if prompt.stage == "banner" else "dialog"
        self.coach.restore_prompt(reason=prompt.reason, stage=stage, snoozes_left=prompt.snoozes_left)
        if stage == "snoozed" or self._committed():  # nothing to show; a committed break starts at the first update
            return []
        notice = notice_for(Change(prompt.kind, {**prompt.details, "snoozes_left": self.coach.snoozes_left}),
                            self.policy, self.coach.break_ms)
        return [notice] if notice is not None else []

    def _join_running_break(self, running: StoredBreak, now: _dt.datetime) -> list[Notice]:
        """A break another window (or process) of this person started: be on it too, with the time it has left.

        *running* may have been read a moment ago on another thread: a break this session has ended since, or
        one that is over by *now*, is not joined."""
        if self.coach.on_break or running.started_at == self._ended_break or running.ends_at <= iso(now):
            return []
        return self._join(running, now)

    def _join(self, stored: StoredBreak, now: _dt.datetime) -> list[Notice]:
        length = elapsed_ms(parse(stored.started_at), parse(stored.ends_at))
        left = elapsed_ms(now, parse(stored.ends_at))
        self.coach.resume_break(reason=stored.reason, enforced=stored.enforced, length_ms=length, left_ms=left,
                                cooldown=stored.cooldown)
        self._break = stored
        return [Notice("enforce_break", break_words(stored.reason, stored.cooldown), seconds=math.ceil(left / 1000),
                       cooldown=stored.cooldown)]

    def _record_break_served_away(self, now: _dt.datetime) -> None:
        """The last break ended while nobody was signed in: it was served, so record it as taken (once)."""
        last = ws.last_break(self.store, self.user.id)
        if last is None or last.ends_at > iso(now):
            return
        length = elapsed_ms(parse(last.started_at), parse(last.ends_at))
        ws.add_break_taken(self.store, self.user, last, {
            "reason": last.reason, "minutes": length / MINUTE_MS, "enforced": last.enforced, "natural": False,
            "long": length >= self.policy.severe_break_ms, "away": True,
        })
        self._ended_break = last.started_at

    def _begin_break(self, change: Change) -> None:
        """The coach started a break: store it as the coach counts it, ending when its countdown will.

        The coach may have begun it part-way through the time just booked
        (a threshold inside a tick), so it began a little before now.
        """
        length = round(float(change.details["minutes"]) * MINUTE_MS)
        left = self.coach.break_left_ms if self.coach.on_break else 0
        ends = self.clock.now() + _dt.timedelta(milliseconds=left)
        began = ends - _dt.timedelta(milliseconds=length)
        user, kind, details = self.user, change.kind, change.details
        reason, cooldown = str(details["reason"]), bool(details["cooldown"])
        began_at, ends_at = iso(began), iso(ends)
        self._break = StoredBreak(0, user.id, began_at, ends_at, reason, kind == "break_enforced", cooldown)
        self._write(lambda store: ws.start_break(store, user, kind, details, started_at=began_at, ends_at=ends_at,
                                                 reason=reason, cooldown=cooldown), self._unsaved(kind))

    def _end_break(self, change: Change) -> None:
        """The countdown is over: ``break_taken``, written once however many windows counted it down."""
        ended, self._break = self._break, None
        if ended is not None:  # always, through the coach: every countdown was begun or joined here
            self._ended_break = ended.started_at
            user, details = self.user, change.details
            self._write(lambda store: ws.add_break_taken(store, user, ended, details), self._unsaved("break_taken"))

    # ----------------------------------------------------------- internals
    def _book(self, now: _dt.datetime) -> list[Notice]:
        elapsed = elapsed_ms(self._mark, now)
        self._mark = max(self._mark, now)
        if not elapsed:
            return []
        reviewing = self.item_open and self.window_active and not self.paused
        if reviewing:
            self._item_live_ms += elapsed
        return self._apply(self.coach.elapse(elapsed, reviewing=reviewing, severe=self.item_severity == SEVERE))

    def _begin_day(self, day: str, severe_ms: int, revealed_ms: int) -> None:
        """A new day, with what it holds already (:meth:`poll` read it); its lifts follow in the same poll."""
        self.day, self._severe_today, self._revealed_today = day, severe_ms, revealed_ms
        self._lifted = 0
        self._noted = "ok"

    def _check_idle(self, now: _dt.datetime) -> list[Notice]:
        if not self.item_open or self.paused or self.coach.on_break:
            return []
        if elapsed_ms(self.last_activity, now) < self.policy.idle_ms:
            return []
        self.paused = True
        self._add_event("idle_paused", {"idle_ms": elapsed_ms(self.last_activity, now)})
        return [Notice("idle_pause", f"Paused after {format_duration(self.policy.idle_ms)} without input. "
                                     "The item went back to its queue; press Enter to continue.")]

    def _check_budget(self) -> list[Notice]:
        level = self.budget_level()
        notices: list[Notice] = []
        used, budget = self.severe_today_ms(), self.budget_ms()
        steps: tuple[BudgetLevel, ...] = ("warning", "reached")
        for step in steps:
            if LEVEL_RANK[level] >= LEVEL_RANK[step] > LEVEL_RANK[self._noted]:
                self._add_event(f"budget_{step}", {"used_ms": used, "budget_ms": budget})
                notices.append(Notice("banner", budget_notice(step, used, budget, self.policy)))
        if LEVEL_RANK[level] > LEVEL_RANK[self._noted]:
            self._noted = level
        return notices

    def _noted_level_from_ledger(self) -> BudgetLevel:
        """The last budget level the person was told of today (a restart does not repeat a warning)."""
        level_of: dict[str, BudgetLevel] = {"budget_warning": "warning", "budget_reached": "reached",
                                            "budget_lifted": "ok"}
        noted: BudgetLevel = "ok"
        for event in ws.events(self.store, day=self.day, user_id=self.user.id, kinds=list(level_of)):
            noted = level_of[event.kind]
        return noted

    def _apply(self, changes: Sequence[Change]) -> list[Notice]:
        """Record each change (ledger + event log) and say what to show."""
        notices = []
        for change in changes:
            if change.kind in ("break_started", "break_enforced"):
                self._begin_break(change)
            elif change.kind == "break_taken" and not change.details.get("natural"):
                self._end_break(change)
            else:
                self._add_event(change.kind, change.details)
            notice = notice_for(change, self.policy, self.coach.break_ms)
            if change.kind == "break_taken":
                self.recent.clear()  # after a break, a run of severe items starts again
            if notice is not None:
                notices.append(notice)
        return notices

    def _add_event(self, kind: str, details: dict[str, object]) -> None:
        user = self.user
        self._write(lambda store: ws.add_event(store, user, kind, details), self._unsaved(kind))
