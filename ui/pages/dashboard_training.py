"""The dashboard's "Training" tab: per course the training success rate, per person their attempts, per label
where trainees fail most.

Figures are ``audit.training.status``'s, read through the operations
runner when the tab is shown and again when training changes. The
success rate is, of the trainees whose outcome is known (passed, or
finished N attempts), the share who passed within N attempts (the setting
``training.success_attempts``; leads are not trainees), shown with its n
and, in the tooltip, its Wilson 95 % interval.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from audit.training import status
from review.store import Store, User
from ui.operations import Operations
from ui.pages.qa_common import ReadOnlyTable, text_label
from ui.refresh import SingleFlight


@dataclass(frozen=True)
class TrainingFigures:
    courses: list[status.CourseFigures]
    people: list[status.PersonCourse]
    labels: list[status.LabelFailure]


def load(store: Store, lead: User) -> TrainingFigures:
    return TrainingFigures(status.courses(store, lead), status.people(store, lead), status.labels(store, lead))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def duration(seconds: float | None) -> str:
    """"2 h 05 min", "14 min", "—"."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


class TrainingTab(QWidget):
    def __init__(self, lead: User, ops: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dashboardTraining")
        self._loads = SingleFlight(lambda reader: load(reader, lead), ops, parent=self, reload_on={"training"},
                                   when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(lambda exc: self.status.setText(f"Could not load training figures: {exc}"))
        self.courses = ReadOnlyTable(("Course", "Trainees", "Attempts", "Passed", "Success rate",
                                      "Median time to certify"), "trainingCourseFigures", stretch=0)
        self.courses.setAccessibleName("Training per course")
        self.people = ReadOnlyTable(("Person", "Course", "Attempts", "Scores", "Best", "Passed", "Time to certify",
                                     "Certified queues"), "trainingPeopleFigures", stretch=7)
        self.people.setAccessibleName("Training per person")
        self.labels = ReadOnlyTable(("Expected label", "Answers", "Not matched", "Share"), "trainingLabelFigures",
                                    stretch=0)
        self.labels.setAccessibleName("Where trainees fail most")
        self.status = QLabel("Loading…")
        self.status.setObjectName("updated")
        layout = QVBoxLayout(self)
        layout.addWidget(text_label("hint", "Success rate: of the trainees whose outcome is known (they passed, or "
                                    "finished N attempts), the share who passed within N attempts (Settings: "
                                    "training.success_attempts), with n; leads are not trainees. Time to certify "
                                    "runs from the first attempt's start to the first pass."))
        layout.addWidget(self.courses, 1)
        layout.addWidget(self.people, 2)
        layout.addWidget(QLabel("Where trainees fail most"))
        layout.addWidget(self.labels, 1)
        layout.addWidget(self.status)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._loads.request()

    def _loaded(self, figures: TrainingFigures) -> None:
        self.courses.set_rows([((c.course, str(c.trainees), str(c.attempts), str(c.passed),
                                 f"{percent(c.success.value)} within {c.within} (n={c.success.n})",
                                 duration(c.median_time_to_certify_seconds)), n)
                               for n, c in enumerate(figures.courses)])
        for row, c in enumerate(figures.courses):
            if c.success.ci95 is not None:
                low, high = c.success.ci95
                self.courses.item(row, 4).setToolTip(f"Wilson 95 % interval {low * 100:.0f}–{high * 100:.0f} %")
        self.people.set_rows([((p.person, p.course, str(p.attempts), ", ".join(percent(s) for s in p.scores),
                                percent(p.best_score), f"yes (attempt {p.passed_on})" if p.passed else p.standing,
                                duration(p.time_to_certify_seconds), ", ".join(p.certified_queues) or "—"), n)
                              for n, p in enumerate(figures.people)])
        self.labels.set_rows([((f.label, str(f.answers), str(f.missed), percent(f.share)), n)
                              for n, f in enumerate(figures.labels)])
        self.status.setText("" if figures.courses else "Nobody has taken a course yet.")

    def close_page(self) -> None:
        self._loads.close()
