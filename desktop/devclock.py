"""A faster clock for demos and screenshots: ``VEIL_CLOCK_SPEED=60`` makes a minute pass each second.

Only for looking at things. With speed 60 the 50-minute break prompt
arrives after 50 real seconds, a 10-minute break counts down in 10, and the
daily severe budget of 4 hours is spent in 4 minutes of severe items. Every
timestamp Veil writes is on the scaled clock, so a store used this way holds
times in the future: use a throw-away store (``veil demo --store /tmp/s.db``).

Environment:

``VEIL_CLOCK_SPEED``
    A number > 0; unset, empty or ``1`` means the real clock.
``VEIL_CLOCK_START``
    Optional ISO 8601 moment the scaled clock starts from (default: now),
    e.g. ``2026-01-05T09:00:00Z`` for a reproducible screenshot.

Leases are on the same clock: at speed 60 a 10-minute lease lasts 10 real
seconds, so the page's once-a-minute renewal comes late. A single-person
demo is unaffected (a lapsed lease nobody else took is still good).
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from collections.abc import Callable, Mapping

from review.clock import Clock, SystemClock, parse

SPEED_VAR = "VEIL_CLOCK_SPEED"
START_VAR = "VEIL_CLOCK_START"


class ScaledClock:
    """Real time, *speed* times faster, from *start* (default: the base clock's now)."""

    def __init__(
        self,
        speed: float,
        *,
        start: _dt.datetime | str | None = None,
        base: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        if not speed > 0:
            raise ValueError(f"clock speed must be a positive number, not {speed!r}")
        self.speed = float(speed)
        self._monotonic = monotonic
        self._t0 = monotonic()
        if start is None:
            start = (base or SystemClock()).now()
        self._origin = parse(start) if isinstance(start, str) else start

    def now(self) -> _dt.datetime:
        return self._origin + _dt.timedelta(seconds=(self._monotonic() - self._t0) * self.speed)


def clock_from_env(environ: Mapping[str, str] | None = None, base: Clock | None = None) -> Clock:
    """The clock the environment asks for: a ``ScaledClock`` or the real one.

    A malformed value is an error with the variable's name, not a silent
    real clock (a demo that silently runs at normal speed wastes an hour).
    """
    env = os.environ if environ is None else environ
    raw = (env.get(SPEED_VAR) or "").strip()
    start = (env.get(START_VAR) or "").strip() or None
    if not raw:
        return base or SystemClock()
    try:
        speed = float(raw)
    except ValueError:
        raise ValueError(f"{SPEED_VAR} must be a number such as 60, not {raw!r}") from None
    if speed == 1 and start is None:
        return base or SystemClock()
    try:
        return ScaledClock(speed, start=start, base=base)
    except ValueError as exc:
        raise ValueError(f"{SPEED_VAR}/{START_VAR}: {exc}") from None


__all__ = ["ScaledClock", "clock_from_env", "SPEED_VAR", "START_VAR"]
