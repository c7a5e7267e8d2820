"""Measuring exposure: how long each item was on screen, blurred and revealed.

The tracker is a small state machine driven by the view (item shown,
reveal started/stopped, video playing, window active or not) and by an
injected clock, so the figures are exact under a fake clock in tests.
Time counts only while the window is active and visible: a minimised
window exposes nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from review.clock import Clock, iso

RevealKind = Literal["whole", "region"]


@dataclass(frozen=True)
class Reveal:
    started_at: str
    duration_ms: int
    kind: RevealKind


@dataclass
class ExposureRecord:
    item_id: int
    severity: str | None
    category: str | None
    started_at: str
    ended_at: str = ""
    blurred_ms: int = 0
    revealed_ms: int = 0  # whole-item reveals (hold Space)
    region_ms: int = 0  # region reveals (dragged rectangle)
    video_ms: int = 0  # video playing, blurred or not
    reveals: list[Reveal] = field(default_factory=list)

    @property
    def total_revealed_ms(self) -> int:
        return self.revealed_ms + self.region_ms

    def unveiled(self) -> ExposureRecord:
        """This record for an item that has no veil (a text post): all of its time was time shown whole.

        The tracker books the time of an item without a reveal as blurred;
        text is never blurred, so booking it so would make a day of reading
        look like a day behind the veil.
        """
        return replace(self, blurred_ms=0, revealed_ms=self.revealed_ms + self.blurred_ms)


class ExposureTracker:
    """Accumulates one item's exposure; ``finish`` returns the record."""

    def __init__(self, clock: Clock):
        self.clock = clock
        self.record: ExposureRecord | None = None
        self._active = True
        self._reveal: RevealKind | None = None
        self._reveal_started: str | None = None
        self._reveal_ms = 0
        self._playing = False
        self._mark = clock.now()

    # The state changes below first book the time since the last change
    # under the old state, then switch.
    def _book(self) -> None:
        now = self.clock.now()
        elapsed = max(0, round((now - self._mark).total_seconds() * 1000))
        self._mark = now
        record = self.record
        if record is None or not self._active:
            return
        if self._reveal == "whole":
            record.revealed_ms += elapsed
        elif self._reveal == "region":
            record.region_ms += elapsed
        else:
            record.blurred_ms += elapsed
        if self._reveal:
            self._reveal_ms += elapsed
        if self._playing:
            record.video_ms += elapsed

    def start(self, item_id: int, *, severity: str | None = None, category: str | None = None) -> None:
        """A new item is on screen (blurred). Finish the previous one first."""
        if self.record is not None:
            raise RuntimeError("finish() the previous item before starting another")
        self._book()
        self.record = ExposureRecord(item_id, severity, category, iso(self.clock.now()))
        self._reveal, self._playing = None, False

    def set_active(self, active: bool) -> None:
        """The window became active/visible (True) or inactive/minimised (False)."""
        self._book()
        self._active = active

    def set_reveal(self, kind: RevealKind | None) -> None:
        """Whole reveal, region reveal, or back to fully blurred (None)."""
        if kind == self._reveal:
            return
        self._book()
        self._close_reveal()
        self._reveal = kind
        if kind is not None:
            self._reveal_started, self._reveal_ms = iso(self.clock.now()), 0

    def set_playing(self, playing: bool) -> None:
        self._book()
        self._playing = playing

    @property
    def revealed(self) -> RevealKind | None:
        return self._reveal

    def current_reveal_ms(self) -> int:
        """Active time of the reveal in progress (for auto re-blur)."""
        self._book()
        return self._reveal_ms if self._reveal else 0

    def _close_reveal(self) -> None:
        if self._reveal and self.record is not None and self._reveal_started:
            self.record.reveals.append(Reveal(self._reveal_started, self._reveal_ms, self._reveal))
        self._reveal_started, self._reveal_ms = None, 0

    def finish(self) -> ExposureRecord | None:
        """The item left the screen; return its record (None if none was open)."""
        self._book()
        self._close_reveal()
        record, self.record = self.record, None
        self._reveal, self._playing = None, False
        if record is not None:
            record.ended_at = iso(self.clock.now())
        return record
