"""The export dialog's period presets: which UTC days "Last week", "Last month" and the others cover.

Apart from the dialog because it is date arithmetic, not widgets: what a
weekly or monthly report is about, testable without Qt.
"""

from __future__ import annotations

import datetime as _dt

__all__ = ["PERIODS", "period_dates"]

#: "Last week" is the last whole ISO week (Monday to Sunday) before today, "Last month" the last whole calendar
#: month: what a weekly or monthly report is about (a report's title then says "Week 49, 2026" or "November 2026").
PERIODS = ("Last week", "Last month", "Last 7 days", "Last 30 days", "All time", "Custom")


def period_dates(period: str, today: _dt.date) -> tuple[_dt.date | None, _dt.date | None]:
    """Inclusive first and last day of a preset (UTC days); (None, None) is all time."""
    if period == "Last 7 days":
        return today - _dt.timedelta(days=6), today
    if period == "Last 30 days":
        return today - _dt.timedelta(days=29), today
    if period == "Last week":
        monday = today - _dt.timedelta(days=today.weekday() + 7)
        return monday, monday + _dt.timedelta(days=6)
    if period == "Last month":
        last = today.replace(day=1) - _dt.timedelta(days=1)
        return last.replace(day=1), last
    if period == "All time":
        return None, None
    raise ValueError(f"unknown period {period!r}")
