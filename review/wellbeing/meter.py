"""The exposure meter's state: today's revealed and severe time, the budget, the time since the last break.

The session builds a :class:`MeterState`; the Qt meter only paints it, so
the thresholds and the wording are tested without a display.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from review.wellbeing.durations import format_duration

MeterLevel = Literal["calm", "attention", "limit"]


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
