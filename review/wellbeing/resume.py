"""Resuming from the ledger: the coach's counters and any open prompt rebuilt from today's exposure rows and events.

Quitting Veil and signing in again must not be a way round a break: the
session starts from what today's ledger says, not from zero — the review
and severe time, and a prompt that was showing with the snoozes it had
left. (A break in progress is its own fact: ``review.wellbeing.breaks``.)
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from review.clock import parse
from review.store import Store, User
from review.store import wellbeing as ws
from review.wellbeing.budget import SEVERE
from review.wellbeing.durations import MINUTE_MS, day_of, elapsed_ms
from review.wellbeing.policy import WellbeingPolicy


@dataclass(frozen=True)
class OpenPrompt:
    """A break prompt that was showing when the last session ended: where it was, and its last ledger row."""

    reason: str  # "micro" | "severe"
    stage: str  # "banner" | "dialog" | "snoozed"
    snoozes_left: int
    kind: str  # the last prompt's event kind ("prompted_banner" | "prompted_dialog")
    details: dict[str, Any]


@dataclass
class Resumed:
    """Counters rebuilt from today's ledger (exposure rows + break events)."""

    since_break_ms: int = 0
    severe_ms: int = 0
    severe_items: int = 0
    recent: list[str | None] = field(default_factory=list)
    severe_today_ms: int = 0
    revealed_today_ms: int = 0
    prompt: OpenPrompt | None = None


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
    # a break served while signed out is recorded at the next sign-in, and counts from when it ended
    timeline += [(str(e.details.get("ended_at") or e.at), 0, e) for e in breaks]
    timeline.sort(key=lambda entry: (entry[0], entry[1]))
    last_end: _dt.datetime | None = None

    def rest(ms: int) -> None:
        if ms >= policy.micro_break_ms:
            state.since_break_ms = state.severe_items = 0
            state.recent.clear()
        if ms >= policy.severe_break_ms:
            state.severe_ms = 0

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
    state.prompt = _open_prompt(store, user, policy, day, state)
    return state


_PROMPT_KINDS = ["prompted_banner", "prompted_dialog", "snoozed", "break_started", "break_enforced", "break_taken"]


def _open_prompt(store: Store, user: User, policy: WellbeingPolicy, day: str, state: Resumed) -> OpenPrompt | None:
    """The prompt today's ledger leaves open, unless a break (taken, or rest the counters show) ended it.

    Its snoozes are the ones it had left: signing out is not a way to new ones.
    """
    prompt: OpenPrompt | None = None
    for event in ws.events(store, day=day, user_id=user.id, kinds=_PROMPT_KINDS):
        details = event.details
        if event.kind in ("prompted_banner", "prompted_dialog"):
            if details.get("episode") or prompt is None:
                prompt = OpenPrompt(str(details.get("reason") or "micro"), "banner", 0, event.kind, details)
            stage = "banner" if event.kind == "prompted_banner" else "dialog"
            prompt = OpenPrompt(prompt.reason, stage, int(details.get("snoozes_left", 0)), event.kind, details)
        elif event.kind == "snoozed" and prompt is not None:
            prompt = OpenPrompt(prompt.reason, "snoozed", int(details.get("snoozes_left", 0)), prompt.kind,
                                prompt.details)
        elif event.kind in ("break_started", "break_enforced"):
            prompt = None  # the break itself is stored (``wellbeing_breaks``) and resumed from there
        elif event.kind == "break_taken" and (not details.get("natural") or details.get("prompted")):
            prompt = None
    if prompt is None:
        return None
    if prompt.reason == "severe":
        return prompt if state.severe_ms >= policy.severe_after_ms else None
    return prompt if state.since_break_ms >= policy.micro_after_ms else None
