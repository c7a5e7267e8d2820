"""What the wellbeing session asks the front end to show: a :class:`Notice` for each change of the coach's.

Kept apart from the session so that the words a person reads sit in one
place, and the session's module keeps to its job: booking time and recording it.
"""

from __future__ import annotations

from dataclasses import dataclass

from review.wellbeing.budget import SEVERE
from review.wellbeing.coach import Change
from review.wellbeing.durations import MINUTE_MS, format_duration
from review.wellbeing.policy import WellbeingPolicy


@dataclass(frozen=True)
class Notice:
    """Something the person should be shown; ``ui.wellbeing`` maps each kind to a signal.

    kinds: ``banner`` (text), ``dialog`` (text, snoozes_left), ``enforce_break``
    (seconds, cooldown, text: what the break screen says; every break start,
    chosen or enforced, and a break taken up again), ``break_over``,
    ``clear_prompt`` (a natural break made a shown prompt moot), ``idle_pause``.
    """

    kind: str
    text: str = ""
    snoozes_left: int = 0
    seconds: int = 0
    cooldown: bool = False


def break_words(reason: str, cooldown: bool, severe_ms: int | None = None, severe_items: int | None = None) -> str:
    """What the break screen says: why this break, in true words, and the puzzle only when it is offered.

    A routine break says nothing of severe content; a break taken up again
    after a sign-in (*severe_ms* and *severe_items* unknown) says no number.
    """
    puzzle = " — or, if you like, play a few calm blocks below." if cooldown else "."
    if reason == SEVERE:
        spent = f"{format_duration(severe_ms)} of severe content" if severe_ms else "Time on severe content"
        return f"{spent} since your last long break. Look away from the screen and breathe out slowly{puzzle}"
    if cooldown:
        seen = f"{severe_items} severe item{'s' if severe_items != 1 else ''}" if severe_items else "Severe items"
        return f"{seen} since your last break. Look away from the screen and breathe out slowly{puzzle}"
    return "Step away from the screen if you can: stand up, look at something far away, breathe out slowly."


def notice_for(change: Change, policy: WellbeingPolicy, break_ms: int) -> Notice | None:
    """What to show for *change* (None: nothing); *break_ms*: the length of a break the change starts."""
    p, d = policy, change.details
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
            grace = f" (in {format_duration(p.grace_ms)} at the latest)" if p.grace_ms >= MINUTE_MS else ""
            text += f" It starts when you finish this item{grace}."
        return Notice("dialog", text, snoozes_left=left)
    if change.kind in ("break_started", "break_enforced"):
        cooldown = bool(d["cooldown"])
        return Notice("enforce_break", break_words(d["reason"], cooldown, d["severe_ms"], d["severe_items"]),
                      seconds=round(break_ms / 1000), cooldown=cooldown)
    if change.kind == "break_taken":
        if d.get("natural"):
            return Notice("clear_prompt") if d.get("prompted") else None
        return Notice("break_over", "Break over. Welcome back.")
    return None
