"""What leads see of training: per person and course, per course, and per label where trainees fail most.

- per person and course (:func:`people`): attempts, best score, passed
  (for the taxonomy version the course is for now: a pass for an older
  version says "needs re-certification for vN" instead — a pass counts for
  the version the course was for when its attempt started), the attempt
  that passed first, time to certify (from the first attempt's start to
  that pass), and the gated queues the person is open for — a lead sees
  everyone, anyone else their own rows;
- per course (:func:`courses`): trainees, attempts, passes, and the
  **training success rate**: of the trainees whose outcome is known —
  they passed, or finished N attempts without passing — the share who
  passed within N attempts (N is the organisation setting
  ``training.success_attempts``, 2 unless a lead changes it), with its
  Wilson interval and n. Someone still within their N attempts is not
  counted yet, and leads (who are not gated and try courses to check
  them) are not trainees;
- per label (:func:`labels`): of the answers whose expected answer holds
  the label (or, with no label, the action), how many did not match.

``veil training status --json``, the dashboard's Training tab and the
PDF report read these.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from typing import Any

from audit import metrics, roles
from audit.store import training_attempts as attempt_rows
from audit.training import certification
from audit.training.courses import TRAINEE_ROLES
from audit.training.courses import courses as course_list
from review import certification as gate_rule
from review import settings
from review.clock import ms_between
from review.store import Store, User


def _attempts(value: int) -> int:
    if isinstance(value, bool) or not 1 <= value <= 20:
        raise ValueError("the training success rate counts passes within 1 to 20 attempts")
    return value


SUCCESS_ATTEMPTS = settings.declare(
    "training.success_attempts", settings.ORGANISATION, int, 2, changed_by="lead", check=_attempts,
    describe="The training success rate is the share of trainees who pass a course within this many attempts.")


@dataclass(frozen=True)
class PersonCourse:
    person: str
    course: str
    attempts: int
    best_score: float | None
    passed: bool  # for the taxonomy version the course is for now
    passed_on: int | None  # the attempt number that passed first (any version: how fast they learnt)
    time_to_certify_seconds: float | None
    certified_queues: tuple[str, ...]
    scores: tuple[float | None, ...]  # each attempt's score, in order (None: unfinished)
    finished: int  # attempts finished
    taxonomy_version: int  # the version the course is for now
    needs_recertification: bool  # passed, but only for an older version
    lead: bool  # a lead trying the course: not gated, not a trainee in the figures

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "certified_queues": list(self.certified_queues), "scores": list(self.scores),
                "standing": self.standing}

    @property
    def standing(self) -> str:
        """In words: passed, needs re-certification for vN, or not passed."""
        if self.passed:
            return "passed"
        if self.needs_recertification:
            return f"needs re-certification for v{self.taxonomy_version}"
        return "not passed"


@dataclass(frozen=True)
class CourseFigures:
    course: str
    trainees: int  # people (not leads) who started it
    attempts: int
    passed: int  # trainees who passed at all
    within: int  # N of the success rate
    success: metrics.Proportion  # trainees who passed within N attempts, of those who passed or finished N
    median_time_to_certify_seconds: float | None

    def as_json(self) -> dict[str, Any]:
        return {"course": self.course, "trainees": self.trainees, "attempts": self.attempts, "passed": self.passed,
                "within_attempts": self.within, "success_rate": self.success.value,
                "success_ci95": list(self.success.ci95) if self.success.ci95 else None,
                "median_time_to_certify_seconds": self.median_time_to_certify_seconds}


@dataclass(frozen=True)
class LabelFailure:
    label: str  # a label id, or "(action) no_violation" when the expected answer had no label
    answers: int
    missed: int

    @property
    def share(self) -> float | None:
        return self.missed / self.answers if self.answers else None


def _rows(store: Store, who: User | str, period: tuple[str | None, str | None]) -> list[tuple[Any, ...]]:
    user = roles.require(store, who, *TRAINEE_ROLES, to="see training results")
    return attempt_rows.attempts(store, None if user.has("lead") else user.id, *period)


def people(store: Store, who: User | str, *, period: tuple[str | None, str | None] = (None, None)
           ) -> list[PersonCourse]:
    """Each person's standing per course they tried (a lead: everyone; anyone else: their own).

    *period* (start, end): only attempts started in [start, end), as the report's period reads them.
    """
    rows = _rows(store, who, period)
    grouped: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for row in rows:
        grouped.setdefault((row[0], row[1]), []).append(row)
    queues: dict[str, tuple[str, ...]] = {}
    found = []
    leads: dict[str, bool] = {}
    for (person, course), tries in grouped.items():
        if person not in queues:
            user = store.user(person)
            queues[person] = tuple(certification.certified_queues(store, user))
            leads[person] = gate_rule.exempt(user)
        first_pass = next((t for t in tries if t[9]), None)
        current = tries[0][12]
        passed_now = any(t[9] and t[11] == current for t in tries)
        finished = [t[8] for t in tries if t[5] is not None]
        found.append(PersonCourse(
            person, course, len(tries), max(finished) if finished else None, passed_now,
            first_pass[3] if first_pass else None,
            ms_between(tries[0][4], first_pass[5]) / 1000 if first_pass else None, queues[person],
            tuple(t[8] for t in tries), len(finished), current, first_pass is not None and not passed_now,
            leads[person]))
    return found


def courses(store: Store, lead: User | str, *, period: tuple[str | None, str | None] = (None, None)
            ) -> list[CourseFigures]:
    """Per course: trainees, attempts, passes and the training success rate (a lead's view)."""
    roles.require(store, lead, "lead", to="see training figures")
    within = settings.read(store, SUCCESS_ATTEMPTS)
    by_course: dict[str, list[PersonCourse]] = {}
    for standing in people(store, lead, period=period):
        if not standing.lead:
            by_course.setdefault(standing.course, []).append(standing)
    found = []
    for course, standings in sorted(by_course.items()):
        times = [s.time_to_certify_seconds for s in standings if s.time_to_certify_seconds is not None]
        known = [s for s in standings if s.passed_on is not None or s.finished >= within]
        succeeded = sum(1 for s in known if s.passed_on is not None and s.passed_on <= within)
        found.append(CourseFigures(course, len(standings), sum(s.attempts for s in standings),
                                   sum(1 for s in standings if s.passed_on is not None), within,
                                   metrics.proportion(succeeded, len(known)),
                                   statistics.median(times) if times else None))
    return found


def labels(store: Store, lead: User | str) -> list[LabelFailure]:
    """Where trainees fail most: per expected label, answers and misses, most missed share first (a lead's view)."""
    roles.require(store, lead, "lead", to="see training figures")
    seen: dict[str, list[int]] = {}
    for _course, _action, _labels, expected_action, expected_labels, matched in attempt_rows.answer_outcomes(store):
        keys = json.loads(expected_labels) or [f"({expected_action})"]
        for key in keys:
            counts = seen.setdefault(key, [0, 0])
            counts[0] += 1
            counts[1] += 0 if matched else 1
    found = [LabelFailure(label, n, missed) for label, (n, missed) in seen.items()]
    return sorted(found, key=lambda f: (-(f.share or 0), -f.missed, f.label))


@dataclass(frozen=True)
class MyCourse:
    """A course as its trainee's list shows it: what it asks, what requires it, how they stand."""

    name: str
    items: int
    pass_mark: float
    time_limit_seconds: int | None
    required_by: tuple[str, ...]  # the queues it gates
    attempts: int
    best_score: float | None
    passed: bool  # for the taxonomy version the course is for now
    in_progress: bool  # an unfinished attempt waits
    taxonomy_version: int
    needs_recertification: bool  # passed, but only for an older taxonomy version


def my_courses(store: Store, who: User | str) -> list[MyCourse]:
    """Every course with the person's own standing (the Training page's list for anyone who trains)."""
    user = roles.require(store, who, *TRAINEE_ROLES, to="take training courses")
    gated = certification.gates(store, user)
    mine: dict[str, list[tuple[Any, ...]]] = {}
    for row in attempt_rows.attempts(store, user.id):
        mine.setdefault(row[1], []).append(row)
    found = []
    for course in course_list(store, user):
        tries = mine.get(course.name, [])
        finished = [t[8] for t in tries if t[5] is not None]
        passed_now = any(t[9] and t[11] == course.taxonomy_version for t in tries)
        found.append(MyCourse(course.name, course.size, course.pass_mark, course.time_limit_seconds,
                              tuple(g.queue for g in gated if g.course_id == course.id), len(tries),
                              max(finished) if finished else None, passed_now,
                              any(t[5] is None for t in tries), course.taxonomy_version,
                              not passed_now and any(t[9] for t in tries)))
    return found


def status_json(store: Store, who: User | str) -> dict[str, Any]:
    """``veil training status --json``: per person, course, attempts, best score, passed, certified queues."""
    viewer = roles.resolve(store, who)
    body: dict[str, Any] = {"people": [p.as_json() for p in people(store, viewer)]}
    if store.user(viewer.name).has("lead"):
        body["courses"] = [c.as_json() for c in courses(store, viewer)]
        body["labels"] = [{"label": f.label, "answers": f.answers, "missed": f.missed, "share": f.share}
                          for f in labels(store, viewer)]
    return body
