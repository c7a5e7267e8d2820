"""A break in progress as a rule of the domain: nobody is served items until their break is served.

The break coach decides when a break starts; the store keeps it as a fact
(``review.store.wellbeing.start_break``: when it began, when it ends). This
module is the rule every claim obeys (``review.serving.claim_next`` calls
:func:`refuse_during_break`), so signing out, restarting, a second window
or another front end cannot end a break early: only its time can.
"""

from __future__ import annotations

import math

from review.clock import ms_between
from review.errors import VeilError
from review.store import Store, User
from review.store import wellbeing as ws


class OnBreak(VeilError):
    """The person's break is not over yet; ``seconds_left`` says for how long, the message in words."""

    def __init__(self, name: str, seconds_left: int) -> None:
        self.seconds_left = seconds_left
        super().__init__(f"{name} is on a break: {left_in_words(seconds_left)} left. "
                         "Items come again when it is over.")


def left_in_words(seconds: int) -> str:
    """"less than a minute", "1 minute", "3 minutes" (rounded up: a break is never shorter than said)."""
    if seconds < 60:
        return "less than a minute"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute" + ("s" if minutes != 1 else "")


def break_left_ms(store: Store, user: User) -> int:
    """Milliseconds until *user*'s break is served (0 when none runs)."""
    now = store.now()
    running = ws.running_break(store, user.id, now)
    return max(0, ms_between(now, running.ends_at)) if running else 0


def refuse_during_break(store: Store, user: User) -> None:
    """Raise :class:`OnBreak` while *user*'s break runs (the check of every claim)."""
    left = break_left_ms(store, user)
    if left > 0:
        raise OnBreak(user.name, math.ceil(left / 1000))
