"""The report's "Training" section: per course the training success rate, per person attempts and passes.

The figures are ``audit.training.status``'s over the attempts started in
the report's period (every figure in the report is about its period; no
attempt in it, no section);
this module lays them out with :mod:`ui.reports.pdf_layout`. People are
pseudonymised as the rest of the report is. The success rate prints its
definition, its n and its Wilson 95 % interval.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from audit.exports import Filters
from audit.exports.pseudonyms import Pseudonyms
from audit.training import status
from review.store import Store, User
from ui.reports.pdf_layout import Column, Flow, heading, row_height, table


@dataclass(frozen=True)
class TrainingReport:
    courses: list[status.CourseFigures]
    people: list[status.PersonCourse]


def report_training(store: Store, lead: User, since: str | None, until: str | None,
                    names: Pseudonyms | None) -> TrainingReport | None:
    """The period's training figures for *lead*, people renamed by *names* when the report is pseudonymised;
    None when nobody started a course in the period (the report then has no Training section: a team that
    does not train reads nothing about it)."""
    period = Filters(since=since, until=until).window()
    people = status.people(store, lead, period=period)
    if not people:
        return None
    if names is not None:
        people = [dataclasses.replace(p, person=names.name(p.person, "mod") or p.person) for p in people]
    return TrainingReport(status.courses(store, lead, period=period), people)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def training_section(flow: Flow, data: TrainingReport) -> None:
    """The section: one line per course, then one per person and course."""
    within = f"{data.courses[0].within} attempts" if data.courses else "N attempts"
    heading(flow, "Training",
            f"Courses built from gold items. Success rate: of the trainees whose outcome is known (they passed, or "
            f"finished {within} without passing), the share who passed within {within}, with its Wilson 95 % "
            "interval and n; leads are not trainees. Time to certify runs from a trainee's first attempt to their "
            "pass (median).", row_height(flow) * 4)
    table(flow, [Column("Course", 2.0, right=False), Column("Trainees", 1.2), Column("Attempts", 1.2),
                 Column("Passed", 1.1), Column("Success", 1.2), Column("95% CI", 1.3), Column("To certify", 1.4)],
          [[c.course, str(c.trainees), str(c.attempts), str(c.passed), _pct(c.success.value),
            "—" if c.success.ci95 is None else f"{100 * c.success.ci95[0]:.0f}–{100 * c.success.ci95[1]:.0f}%",
            "—" if c.median_time_to_certify_seconds is None else f"{c.median_time_to_certify_seconds / 60:.0f} min"]
           for c in data.courses], empty="No course was started in this period.")
    table(flow, [Column("Person", 1.6, right=False), Column("Course", 2.0, right=False), Column("Attempts", 1.2),
                 Column("Scores", 1.8, right=False), Column("Passed", 1.9, right=False)],
          [[p.person, p.course, str(p.attempts), ", ".join(_pct(s) for s in p.scores),
            f"yes (attempt {p.passed_on})" if p.passed else p.standing] for p in data.people],
          empty="Nobody started a course in this period.")
