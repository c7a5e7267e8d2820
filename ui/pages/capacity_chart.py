"""The Capacity page's pieces that are not widgets: its table columns, its chart and its one-line summary.

The chart is one queue's backlog now and over the next 24 hours at the
current pace, the same with the what-if when one is set, and the SLA line:
the backlog the current pace clears within the SLA (outflow × SLA) — a
backlog above it cannot all be decided in time. Painted with
:mod:`ui.widgets.charts` (``LineChart``), off the GUI thread.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from PySide6.QtGui import QImage

from review.clock import parse
from review.planning.forecast import QueueForecast
from ui.pages.dashboard_tables import Column
from ui.widgets import charts
from ui.widgets.charts.lines import LineChart


@dataclass(frozen=True)
class ForecastRow:
    """One queue's forecast, and the what-if's when one is set, for the table (keyed by queue name)."""

    now: QueueForecast
    tried: QueueForecast | None
    at: _dt.datetime  # when the forecast was made

    @property
    def key(self) -> str:
        return self.now.queue

    @property
    def shown(self) -> QueueForecast:
        """The what-if's figures when one is set, else today's."""
        return self.tried or self.now


def duration(hours: float | None) -> str:
    if hours is None:
        return "never"
    if hours < 1:
        return f"{round(hours * 60)} min"
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def breach_text(row: ForecastRow) -> str:
    """"in 2.1 h (11:06)", "breached (since 05:29)", or "none" — local clock times."""
    at = row.shown.first_breach_at
    if at is None:
        return "none in 24 h"
    moment = parse(at)
    local = f"{moment.astimezone():%H:%M}" if moment - row.at < _dt.timedelta(hours=20) else \
        f"{moment.astimezone():%a %H:%M}"
    hours = (moment - row.at).total_seconds() / 3600
    return f"breached (since {local})" if hours <= 0 else f"in {duration(hours)} ({local})"


def _breach_sort(row: ForecastRow) -> str:
    return row.shown.first_breach_at or "9999"


def _breach_color(row: ForecastRow) -> str | None:
    at = row.shown.first_breach_at
    if at is None:
        return None
    return "breached" if parse(at) <= row.at + _dt.timedelta(hours=4) else "at_risk"


def sla_text(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds < 3600 else duration(seconds / 3600)


def _people(value: int | None) -> str:
    return "—" if value is None else str(value)


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} s"


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


COLUMNS = (
    Column("Queue", "The queue's name", lambda r: r.key, lambda r: r.key.casefold(), left=True),
    Column("Waiting", "Items nobody has decided yet", lambda r: f"{r.shown.waiting:,}", lambda r: r.shown.waiting),
    Column("First breach", "When the first item will miss its SLA at this pace (oldest due first)",
           breach_text, _breach_sort, color=_breach_color, left=True),
    Column("Needed", "People working at the same time to meet the SLA (— : no measured handle time)",
           lambda r: _people(r.shown.people_needed), lambda r: r.shown.people_needed or 0),
    Column("To roster", "People needed ÷ (1 − shrinkage): breaks, wellbeing breaks, training, meetings",
           lambda r: _people(r.shown.people_rostered_needed), lambda r: r.shown.people_rostered_needed or 0),
    Column("Clears in", "Hours until nothing waits at this pace; never when as much arrives as is decided",
           lambda r: duration(r.shown.hours_to_clear),
           lambda r: r.shown.hours_to_clear if r.shown.hours_to_clear is not None else 1e12),
    Column("In · out\nper hour", "Items received · decisions made per hour over the window (with the what-if: "
           "inflow × its factor, plus what its people decide)",
           lambda r: f"{_num(r.shown.inflow_per_hour)} · {_num(r.shown.outflow_per_hour)}",
           lambda r: r.shown.inflow_per_hour - r.shown.outflow_per_hour),
    Column("Handle", "Mean seconds per decision, measured over the window or the last 7 days (hover: median)",
           lambda r: _seconds(r.shown.handle_seconds_mean), lambda r: r.shown.handle_seconds_mean or 0.0,
           tooltip=lambda r: f"median {_seconds(r.shown.handle_seconds_median)}"),
    Column("SLA", "The SLA planned with (a what-if's when set)", lambda r: sla_text(r.shown.sla_seconds),
           lambda r: r.shown.sla_seconds),
    Column("Model", "Erlang C for an SLA up to an hour (answered while people wait), else the backlog model",
           lambda r: "Erlang C" if r.shown.model == "erlang_c" else "backlog", lambda r: r.shown.model, left=True),
)


def most_urgent(rows: list[ForecastRow]) -> ForecastRow | None:
    """The queue to chart first: the next breach to come, else the longest-breached, else the longest backlog."""
    if not rows:
        return None
    coming = [r for r in rows if r.shown.first_breach_at and parse(r.shown.first_breach_at) > r.at]
    return min(coming or rows, key=lambda r: (_breach_sort(r), -r.shown.waiting))


def summary(rows: list[ForecastRow]) -> str:
    """One sentence on the next queue to breach (how many people it needs) and how many have breached already."""
    urgent = most_urgent(rows)
    if urgent is None:
        return "No review or escalation queues."
    if any(r.tried for r in rows):
        return "With the what-if: " + _situation(rows, urgent)
    return _situation(rows, urgent)


def _situation(rows: list[ForecastRow], urgent: ForecastRow) -> str:
    breached = sum(1 for r in rows if r.shown.first_breach_at and parse(r.shown.first_breach_at) <= r.at)
    already = ("1 queue is already past its SLA. " if breached == 1 else
               f"{breached} queues are already past their SLA. " if breached else "")
    f = urgent.shown
    if f.first_breach_at is None or parse(f.first_breach_at) <= urgent.at:
        return already + f"No {'other ' if breached else ''}queue breaches its SLA in the next 24 hours at this pace."
    need = (f"{f.people_needed} working at once ({f.people_rostered_needed} rostered) meet its SLA"
            if f.people_needed is not None else "no measured handle time yet to say how many people it needs")
    return f"{already}“{f.queue}” breaches {breach_text(urgent)}; {need}."


def chart(row: ForecastRow) -> LineChart:
    """The backlog now and over 24 h at the current pace, with the what-if's and the SLA line."""
    now, tried = row.now, row.tried
    labels = [f"{(row.at + _dt.timedelta(hours=h)).astimezone():%H}" for h, _ in now.projection]
    series: dict[str, list[float | None]] = {"At today's pace": [b for _, b in now.projection]}
    if tried is not None:
        series["With the what-if"] = [b for _, b in tried.projection]
    sla = (tried or now).sla_seconds  # today's pace against the SLA planned with: the line people are added to clear
    series[f"SLA line (today's {sla_text(sla)} of outflow)"] = [now.outflow_per_hour * sla / 3600] * len(labels)
    return LineChart(f"“{now.queue}”, next 24 h", labels, series,
                     x_title="hour (local time)", y_title="items waiting", counts=True)


def render_chart(row: ForecastRow, size: tuple[int, int], ratio: float) -> QImage:
    """The chart painted at *size* (logical pixels) × *ratio*, on the pool."""
    return charts.render(chart(row), size, ratio=ratio)
