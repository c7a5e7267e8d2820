"""The wellbeing policy: the organisation's break and budget rules, their allowed ranges, and loading and saving them.

A lead sets the rules (stored in the ``"wellbeing"`` setting); every field
is checked against the range below when the policy is built, so a bad
stored value is refused instead of silently weakening a break. Defaults and
their basis are in ``docs/wellbeing.md``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from review import settings
from review.errors import VeilError
from review.store import Store, User
from review.wellbeing.durations import MINUTE_MS

MIN_CHECKIN_PEOPLE = 5  # a floor, not a default: fewer people and an average can point at someone


class WellbeingError(VeilError, ValueError):
    """A wellbeing rule refused a value (a policy field, a lift, a check-in); the message says which and why."""


# name: (lowest, highest, what it is) — the ranges a lead may choose from.
LIMITS: dict[str, tuple[float, float, str]] = {
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
WHOLE_NUMBERS = {  # counts, not durations: a whole number or refused
    "max_snoozes", "severe_snoozes", "severe_in_a_row", "cooldown_after_severe_items", "checkin_min_people",
}
# Decimals each rule may have: whole counts and percentages, durations to a tenth. The settings form's spin
# boxes show exactly these, so any stored policy is shown as it is (and a form is clean once read).
DECIMALS: dict[str, int] = {name: 0 if name in WHOLE_NUMBERS or name.endswith("_pct") else 1 for name in LIMITS}


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
        for name, (low, high, what) in LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise WellbeingError(f"{name} ({what}) must be a number, not {value!r}")
            if DECIMALS[name] == 0 and value != int(value):
                raise WellbeingError(f"{name} ({what}) must be a whole number, not {value!r}")
            if round(value, DECIMALS[name]) != value:
                raise WellbeingError(f"{name} ({what}) may have at most {DECIMALS[name]} decimal, not {value!r}")
            if not low <= value <= high:
                raise WellbeingError(f"{name} ({what}) must be between {low:g} and {high:g}, not {value:g}")
        if self.micro_break_min > self.severe_break_min:
            raise WellbeingError("the micro-break cannot be longer than the severe-content break")

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> WellbeingPolicy:
        """Build from stored JSON, ignoring unknown keys and refusing bad values."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    # milliseconds, for the machinery
    @property
    def micro_after_ms(self) -> int:
        return round(self.micro_break_after_min * MINUTE_MS)

    @property
    def micro_break_ms(self) -> int:
        return round(self.micro_break_min * MINUTE_MS)

    @property
    def dialog_after_ms(self) -> int:
        return round(self.banner_to_dialog_min * MINUTE_MS)

    @property
    def snooze_ms(self) -> int:
        return round(self.snooze_min * MINUTE_MS)

    @property
    def severe_after_ms(self) -> int:
        return round(self.severe_break_after_min * MINUTE_MS)

    @property
    def severe_break_ms(self) -> int:
        return round(self.severe_break_min * MINUTE_MS)

    @property
    def grace_ms(self) -> int:
        return round(self.enforce_grace_s * 1000)

    @property
    def budget_ms(self) -> int:
        return round(self.severe_budget_min * MINUTE_MS)

    @property
    def idle_ms(self) -> int:
        return round(self.idle_pause_min * MINUTE_MS)


POLICY = settings.declare(
    "wellbeing", settings.ORGANISATION, dict, {}, changed_by="lead",
    check=lambda data: WellbeingPolicy.from_dict(data).as_dict(),
    describe="Break thresholds, break lengths, the daily severe budget and the idle pause, in minutes.",
)


def load_policy(store: Store) -> WellbeingPolicy:
    """The organisation's policy (defaults for anything not set)."""
    return WellbeingPolicy.from_dict(settings.read(store, POLICY))


def save_policy(store: Store, lead: User | str, policy: WellbeingPolicy) -> WellbeingPolicy:
    """A lead sets the organisation's rules (validated by construction)."""
    settings.write(store, lead, POLICY, policy.as_dict())
    return policy
