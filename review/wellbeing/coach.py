"""The break coach: the prompt-escalation state machine, fed elapsed time and answering with changes.

It knows nothing about stores or clocks: it is fed elapsed milliseconds
with two flags (is the person reviewing? is the item severe?) and answers
with ``Change`` records, which the session writes to the ledger::

    none ──(50 min of review)──▶ banner ──(5 more min)──▶ dialog ─┬─ snooze (≤ 2×, 5 min each) ─▶ snoozed ─▶ dialog
      ▲                                                          │
      │          (60 min of severe content: straight to dialog,  └─ no snoozes left ─▶ enforced at the
      │           no snooze by default)                              next item boundary, or after a
      │                                                              2-minute grace at the latest
      └──────────── break_taken (countdown over) ◀── break / enforced ◀─┘ (or "Take a break" at any stage)

A countdown break cannot end early. Being away (no item on screen, window
inactive, or idle-paused) for a break's length counts as that break
("natural" break). Taking a break resets the counters it covers: any break
resets the review time and the count of severe items (which brings the
cool-down puzzle); a break as long as the severe break (10 min) also resets
the severe time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from review.wellbeing.durations import MINUTE_MS
from review.wellbeing.policy import WellbeingPolicy

Stage = Literal["none", "banner", "dialog", "snoozed", "last_call", "break", "enforced"]


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
        self.since_break_ms = self.severe_items = 0
        if long:
            self.severe_ms = 0
        if clears:
            self._reset_stage()
        # "minutes" is the break this away time amounts to (not the time away so far,
        # which depends on when it was looked at)
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

    def resume_break(self, *, reason: str, enforced: bool, length_ms: int, left_ms: int, cooldown: bool) -> None:
        """Be on a break that began elsewhere (before a restart, in another window): *left_ms* of *length_ms* to go.

        No change is returned: the break's start is already in the ledger.
        """
        self.reason, self.stage = reason, ("enforced" if enforced else "break")
        self.break_ms, self.break_left_ms = length_ms, max(0, min(left_ms, length_ms))
        self.break_cooldown, self.snoozes_left, self.stage_ms = cooldown, 0, 0

    def restore_prompt(self, *, reason: str, stage: Stage, snoozes_left: int) -> None:
        """Take up a prompt shown before a restart or sign-out, with the snoozes it had left (none come back)."""
        self.reason, self.stage, self.stage_ms = reason, stage, 0
        self.snoozes_left = max(0, min(snoozes_left, self.policy.max_snoozes if reason == "micro"
                                       else self.policy.severe_snoozes))

    def _start_break(self, *, enforced: bool, why: str) -> Change:
        p = self.policy
        length = p.severe_break_ms if self.reason == "severe" else p.micro_break_ms
        self.break_cooldown = self.wants_cooldown()
        self.reason = self.reason or "micro"
        self.stage = "enforced" if enforced else "break"
        self.break_ms = self.break_left_ms = length
        self.stage_ms = 0
        kind = "break_enforced" if enforced else "break_started"
        return Change(kind, {"reason": self.reason, "minutes": length / MINUTE_MS, "cooldown": self.break_cooldown,
                             "why": why, "review_ms": self.since_break_ms, "severe_ms": self.severe_ms,
                             "severe_items": self.severe_items})

    def _finish_break(self) -> Change:
        long = self.break_ms >= self.policy.severe_break_ms
        change = Change("break_taken", {"reason": self.reason, "minutes": self.break_ms / MINUTE_MS,
                                        "enforced": self.stage == "enforced", "natural": False, "long": long})
        self.since_break_ms = self.severe_items = 0
        if long:
            self.severe_ms = 0
        self.away_ms = 0
        self._natural_noted = True  # the break itself is this away stretch's break
        self._reset_stage()
        return change

    def _reset_stage(self) -> None:
        self.stage, self.reason, self.snoozes_left, self.stage_ms = "none", None, 0, 0
        self.break_ms = self.break_left_ms = 0
