"""Durations for wellbeing: the milliseconds between two moments, the day of a moment, and saying a duration calmly.

One place for the arithmetic every wellbeing module shares (the coach, the
session, the resume from the ledger, the check-in window) and for the one
wording people see ("42 min", "1 h 10"), so the meter, the prompts, the
dashboard and the PDF report never disagree about a minute.
"""

from __future__ import annotations

import datetime as _dt

from review.clock import iso

MINUTE_MS = 60_000


def format_duration(ms: float) -> str:
    """Calm, coarse durations for people: "0 min", "42 min", "4 h", "1 h 10"."""
    minutes = max(0, int(ms // MINUTE_MS))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h" if rest == 0 else f"{hours} h {rest:02d}"


def short_duration(ms: float) -> str:
    """Exposure as the dashboard and the report show it: seconds under a minute (a reveal is
    often short, and "0 min" would hide it), else :func:`format_duration`."""
    return f"{int(ms // 1000)} s" if ms < MINUTE_MS else format_duration(ms)


def day_of(moment: _dt.datetime) -> str:
    """The UTC day of *moment*, as the ledger stores it ("2026-01-05")."""
    return iso(moment)[:10]


def elapsed_ms(start: _dt.datetime, end: _dt.datetime) -> int:
    """Whole milliseconds from *start* to *end*; never negative (a clock may be set back).

    Unlike ``review.clock.ms_between`` (ISO texts, signed), this takes the
    clock's datetimes and clamps, because the coach books it as time spent.
    """
    return max(0, round((end - start).total_seconds() * 1000))
