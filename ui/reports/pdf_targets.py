"""The report's "Targets and cost" section: each person and queue against their targets, and cost per decision.

The figures are ``audit.targets.report``'s for the report's period (rules
in docs/operations.md); this module lays them out with
:mod:`ui.reports.pdf_layout`. A figure below its target says so in words
("BELOW", "CLEARLY BELOW") and its row carries the warning bar; every
share prints its n, and its Wilson 95 % interval. People are pseudonymised
as the rest of the report is.
"""

from __future__ import annotations

import dataclasses

from audit import targets
from audit.exports.pseudonyms import Pseudonyms
from review.store import Store, User
from ui.reports.pdf_layout import Column, Flow, heading, paragraph, row_height, table

FLAGS = {"met": "met", "below": "BELOW", "clearly below": "CLEARLY BELOW", "not enough data": "not enough data",
         "no target": "no target"}


def report_targets(store: Store, lead: User, since: str | None, until: str | None,
                   names: Pseudonyms | None) -> targets.TargetsReport:
    """The period's targets report for *lead*, people renamed by *names* when the report is pseudonymised."""
    data = targets.report(store, lead, since, until)
    if names is None:
        return data
    return dataclasses.replace(data, people=tuple(dataclasses.replace(r, key=names.name(r.key, "mod") or r.key)
                                                  for r in data.people))


MEASURES = {"throughput_per_hour": "per active hour", "accuracy": "accuracy", "timeliness": "within SLA"}


def figure_cells(f: targets.Figure) -> list[str]:
    """[measure, figure, 95 % interval, n, target, flag] of one figure, e.g. ["accuracy", "67%", "21–94%", "3",
    "90%", "CLEARLY BELOW"]."""
    if f.kind == "throughput_per_hour":
        value = "—" if f.value is None else f"{f.value:.1f}"
        return [MEASURES[f.kind], value, f"over {f.hours or 0:.1f} h", f"{f.n:,}",
                "—" if f.target is None else f"{f.target:g}", FLAGS[f.status]]
    value = "—" if f.value is None else f"{100 * f.value:.0f}%"
    interval = "—" if f.interval is None else f"{100 * f.interval[0]:.0f}–{100 * f.interval[1]:.0f}%"
    return [MEASURES[f.kind], value, interval, f"{f.n:,}", "—" if f.target is None else f"{100 * f.target:.0f}%",
            FLAGS[f.status]]


def _judged_table(flow: Flow, who: str, rows: tuple[targets.Row, ...]) -> None:
    """One line per figure (three per person or queue), so every figure keeps its interval, n and flag."""
    cells, marked = [], []
    for r in rows:
        by_kind = {f.kind: f for f in r.figures}
        for i, kind in enumerate(targets.KINDS):
            cells.append([r.key if i == 0 else "", *figure_cells(by_kind[kind])])
            marked.append(by_kind[kind].status in ("below", "clearly below"))
    table(flow, [Column(who, 1.9, right=False), Column("Measure", 1.6, right=False), Column("Figure", 0.9),
                 Column("95% CI", 1.4), Column("n", 0.6), Column("Target", 1.0),
                 Column("Flag", 2.2, right=False)], cells, empty=f"No {who.lower()} worked in this period.",
          marked=marked)


def targets_section(flow: Flow, data: targets.TargetsReport) -> None:
    """The section: people, queues, then cost per decision by queue and by week (one line when nobody worked)."""
    if not data.people and not data.queues:
        heading(flow, "Targets and cost", "Nobody decided anything in this period: no targets to judge, no cost.",
                flow.body.metrics.height())
        return
    heading(flow, "Targets and cost",
            "Each person and queue against the targets a lead set: decisions per active hour (signed in and "
            "not idle), accuracy of audited decisions and items answered within SLA, each share with its Wilson "
            "95 % interval and n. CLEARLY BELOW: even the interval's top is under the target; not enough data: "
            f"an interval wider than {100 * targets.TOO_WIDE:.0f} points, or under "
            f"{targets.MIN_ACTIVE_HOURS:g} active hour.", row_height(flow) * 4)
    _judged_table(flow, "Person", data.people)
    _judged_table(flow, "Queue", data.queues)
    paragraph(flow, f"Cost per decision ({data.currency}): each person's active hours times their role's cost "
                    "per hour, shared among the queues they decided in that day; 'no rate' where a role has none.",
              flow.body)
    for title, units in (("Queue", data.cost_by_queue), ("Week", data.cost_by_week)):
        table(flow, [Column(title, 2.6, right=False), Column("Decisions", 1.2), Column("Active hours", 1.5),
                     Column("Per active hour", 1.9), Column("Cost per decision", 2.2)],
              [[u.key, f"{u.decisions:,}", f"{u.active_hours:.2f}",
                "—" if u.items_per_hour is None else f"{u.items_per_hour:.1f}",
                "no rate" if u.cost_per_decision is None else f"{u.cost_per_decision:,.2f}"] for u in units],
              empty="No decisions in this period.")
