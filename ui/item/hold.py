"""One hold of the reveal key: from its first press to a real release, whatever auto-repeat sends.

Holding a key makes the keyboard repeat it, and the repeat arrives as
release/press pairs. Qt flags the pairs it recognises (``isAutoRepeat()``:
X11 with matching timestamps); some remote desktops send them unflagged, a
few milliseconds apart. Were each pair a new reveal, the auto re-blur limit
would restart every 40 ms and a held key would keep an item clear for as
long as it is held. So a hold is measured from its first press; a press that
follows a release within ``REPEAT_GAP_S`` continues the same hold (a person
lifting a finger and pressing again takes longer); and once a hold has
spent its limit — or something else ended the reveal while the key was
down (an item change, Esc, the window losing focus) — its presses reveal
nothing until the key is really let go and pressed again.
"""

from __future__ import annotations

import datetime as _dt

from review.clock import Clock

REPEAT_GAP_S = 0.5
"""A press this soon after a release is the keyboard repeating, not a new deliberate press."""


class RevealHold:
    """The state of the reveal key; the item view asks it whether a press may reveal and for how long it has."""

    def __init__(self, clock: Clock):
        self.clock = clock
        self._since: _dt.datetime | None = None  # first press of the hold in progress
        self._let_go: _dt.datetime | None = None  # last release: a real one once REPEAT_GAP_S has passed
        self._spent = False  # the hold may reveal no more

    def press(self) -> bool:
        """The key went down (not flagged as auto-repeat): True if it may reveal."""
        now = self.clock.now()
        if not self._continues(now):
            self._since, self._spent = now, False
        self._let_go = None
        return not self._spent

    def release(self) -> None:
        """The key went up (not flagged as auto-repeat): it may be a real release or half a repeat pair."""
        if self._since is not None:
            self._let_go = self.clock.now()

    def spend(self) -> None:
        """The hold's reveal ended by itself or was interrupted: the key must be let go to reveal again."""
        if self._since is not None and self._let_go is None:
            self._spent = True

    def held_ms(self) -> int:
        """How long the key has been held (repeats included) while down, 0 when it is up."""
        if self._since is None or self._let_go is not None:
            return 0
        return max(0, round((self.clock.now() - self._since).total_seconds() * 1000))

    def _continues(self, now: _dt.datetime) -> bool:
        if self._since is None:
            return False
        if self._let_go is None:  # down again without a release seen: the same hold
            return True
        return (now - self._let_go).total_seconds() < REPEAT_GAP_S
