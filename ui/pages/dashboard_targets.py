"""The dashboard's "Targets" tab: each person and queue against their targets, and cost per decision.

Figures and judgements are ``audit.targets.report``'s (rules in
docs/operations.md), read through the operations runner for a period the
lead picks. Every share shows its n, and its Wilson 95 % interval in the
tooltip; a figure below its target is coloured and says so in words
("below", "clearly below"), so the flag is never colour alone. Cost per
decision is per queue and per ISO week, next to items per active hour.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from audit import targets
from review.errors import VeilError
from review.store import Store, User
from ui.operations import Operations
from ui.pages.dashboard_tables import Column, FigureTableModel, figure_table

PERIODS = (("Last 7 days", 7), ("Last 28 days", 28), ("All time", None))  # (label, days back from today)
FLAG_COLOR = {"below": "at_risk", "clearly below": "breached", "not enough data": "muted", "no target": "faint"}


@dataclass(frozen=True)
class TargetRow:
    key: str
    figures: dict[str, targets.Figure]


def figure_text(f: targets.Figure) -> str:
    """"93% (n=40) · met", "5.2/h · below", "— · not enough data"."""
    if f.value is None:
        value = "—"
    elif f.kind == "throughput_per_hour":
        value = f"{f.value:.1f}/h"
    else:
        value = f"{100 * f.value:.0f}% (n={f.n:,})"
    return f"{value} · {f.status}"


def figure_tip(f: targets.Figure) -> str:
    target = ("no target set" if f.target is None else
              f"target {f.target:g} per active hour" if f.kind == "throughput_per_hour" else
              f"target {100 * f.target:.0f}%")
    if f.kind == "throughput_per_hour":
        hours = f.hours or 0.0
        return f"{f.n:,} decisions in {hours:.2f} active hours; {target}"
    if f.interval is None:
        return f"nothing to judge yet; {target}"
    low, high = f.interval
    return (f"k of n = {round((f.value or 0) * f.n):,} of {f.n:,}; Wilson 95 % interval "
            f"{100 * low:.1f}–{100 * high:.1f}%; {target}")


def _figure_column(kind: str, title: str, tip: str) -> Column:
    return Column(title, tip, lambda r: figure_text(r.figures[kind]),
                  lambda r: -1.0 if r.figures[kind].value is None else r.figures[kind].value,
                  tooltip=lambda r: figure_tip(r.figures[kind]),
                  color=lambda r: FLAG_COLOR.get(r.figures[kind].status))


def target_columns(who: str) -> list[Column]:
    return [
        Column(who, f"The {who.lower()}", lambda r: r.key, lambda r: r.key.casefold(), left=True),
        _figure_column("throughput_per_hour", "Per active hour", "Decisions per active hour (signed in, not idle)"),
        _figure_column("accuracy", "Accuracy", "Audited decisions judged correct (final verdicts), with n"),
        _figure_column("timeliness", "Within SLA", "Items answered within their SLA, with n"),
    ]


def _money(value: float | None, currency: str) -> str:
    return "no rate" if value is None else f"{value:,.2f} {currency}"


def cost_columns(title: str, currency: str) -> list[Column]:
    return [
        Column(title, f"Cost per {title.lower()}", lambda u: u.key, lambda u: u.key, left=True),
        Column("Decisions", "Decisions made, undone ones left out", lambda u: f"{u.decisions:,}",
               lambda u: u.decisions),
        Column("Active hours", "Time signed in and not idle, shared by each person's decisions that day",
               lambda u: f"{u.active_hours:.2f}", lambda u: u.active_hours),
        Column("Per active hour", "Decisions per active hour",
               lambda u: "—" if u.items_per_hour is None else f"{u.items_per_hour:.1f}",
               lambda u: u.items_per_hour or 0.0),
        Column("Cost per decision", "Active hours × each person's hourly cost, over the decisions",
               lambda u: _money(u.cost_per_decision, currency), lambda u: u.cost_per_decision or 0.0,
               tooltip=lambda u: (f"{u.unpriced_hours:.1f} h without a rate: set cost per hour per role in "
                                  "Settings › Targets" if u.unpriced_hours else None)),
    ]


def period(days: int | None, today: _dt.date) -> tuple[str | None, str | None]:
    """(since, until) inclusive days for *days* back from *today* (None: all time)."""
    if days is None:
        return None, None
    return (today - _dt.timedelta(days=days - 1)).isoformat(), today.isoformat()


class TargetsTab(QWidget):
    """The tab; reads each time it is shown and when the period changes."""

    def __init__(self, lead: User, ops: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dashboardTargets")
        self.lead, self.ops = lead, ops
        self.period = QComboBox()
        self.period.setAccessibleName("Targets period")
        for label, _days in PERIODS:
            self.period.addItem(label)
        self.period.currentIndexChanged.connect(lambda *_: self.refresh())
        self.status = QLabel("Loading…")
        self.status.setObjectName("updated")
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        label = QLabel("&Period")
        label.setBuddy(self.period)
        top.addWidget(label)
        top.addWidget(self.period)
        top.addWidget(self.status, 1)
        self.people_model = FigureTableModel(target_columns("Person"), self)
        self.queue_model = FigureTableModel(target_columns("Queue"), self)
        self.queue_cost_model = FigureTableModel(cost_columns("Queue", "EUR"), self)
        self.week_cost_model = FigureTableModel(cost_columns("Week", "EUR"), self)
        self.tables = {
            "people": figure_table(self.people_model, "targetsPeople", "People against their targets"),
            "queues": figure_table(self.queue_model, "targetsQueues", "Queues against their targets"),
            "queue_cost": figure_table(self.queue_cost_model, "costByQueue", "Cost per decision by queue"),
            "week_cost": figure_table(self.week_cost_model, "costByWeek", "Cost per decision by week"),
        }
        self.views = QTabWidget()  # one table at full width reads better than four squeezed side by side
        self.views.setObjectName("targetsViews")
        self.views.addTab(self.tables["people"], "People")
        self.views.addTab(self.tables["queues"], "Queues")
        costs = QWidget()
        row = QHBoxLayout(costs)
        row.setContentsMargins(0, 0, 0, 0)
        for title, key in (("By queue", "queue_cost"), ("By week", "week_cost")):
            stack = QVBoxLayout()
            heading = QLabel(title)
            heading.setObjectName("sectionTitle")
            stack.addWidget(heading)
            stack.addWidget(self.tables[key], 1)
            row.addLayout(stack, 3 if key == "queue_cost" else 2)
        self.views.addTab(costs, "Cost per decision")
        hint = QLabel("Flags: met · below · clearly below (even the 95 % interval's top is under the target) · "
                      "not enough data. Hover a figure for its k of n and interval.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.views, 1)
        layout.addWidget(hint)
        self.report: targets.TargetsReport | None = None

    def refresh(self) -> None:
        days = PERIODS[self.period.currentIndex()][1]
        lead = self.lead

        def read(reader: Store) -> targets.TargetsReport:
            since, until = period(days, reader.clock.now().date())
            return targets.report(reader, lead, since, until)

        self.ops.query(read, on_done=self._loaded, on_error=self._failed, owner=self)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh()

    def _loaded(self, report: targets.TargetsReport) -> None:
        self.report = report
        self.people_model.set_rows([TargetRow(r.key, {f.kind: f for f in r.figures}) for r in report.people])
        self.queue_model.set_rows([TargetRow(r.key, {f.kind: f for f in r.figures}) for r in report.queues])
        for model, title, units in ((self.queue_cost_model, "Queue", report.cost_by_queue),
                                    (self.week_cost_model, "Week", report.cost_by_week)):
            model.columns = tuple(cost_columns(title, report.currency))
            model.set_rows(list(units))
        below = sum(f.status in ("below", "clearly below") for r in (*report.people, *report.queues)
                    for f in r.figures)
        self.status.setText(f"{below} figure{'s' * (below != 1)} below target" if below else "Every judged "
                            "figure meets its target")

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, VeilError):
            raise exc
        self.status.setText(f"The targets could not be read: {exc}")

