"""Training mode: a trainee works a course item by item and, after each answer, sees whether it matched,
the expected answer and its explanation.

An attempt starts (or continues: an unfinished one is taken up where it
was left), hands out its items in its own order (:func:`next_step`:
shuffled with the attempt's id as the seed, so a second attempt is not
the first one again by rote and a resumed one keeps its order; the gold
item itself, shown on the review desk's item view with the same blur),
and records each answer (:func:`answer`). The last answer finishes it:
the score is the share of items matched (action and labels both), a pass
when it reaches the course's pass mark, and a pass certifies the person
for the taxonomy version the course was for when the attempt started
(``review.certification`` then serves them the queues that require that
version: an attempt started before a re-certification certifies the old
version only, and its result says so). A time limit ends the attempt at the
first answer after it, unanswered items counting as wrong.

Nothing here is a live decision: no decision row, no lease, no change to
the item, no ``decision.*`` event — ``training.*`` events only. The
exposure of what is shown is booked like any item's, by the front end's
wellbeing controller; a running break refuses the next item here as it
refuses a claim, and the daily severe-content budget holds as on the desk
(``review.wellbeing.budget.serving_rule``): milder items first after a
run of severe ones, and once the budget is spent the severe items wait
until tomorrow (the attempt cannot be finished before).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from audit import roles
from audit.store import training as course_rows
from audit.store import training_attempts as attempt_rows
from audit.training.courses import TRAINEE_ROLES, TrainingError, find
from review.serving import Item, load_item
from review.store import Refused, Store, User
from review.taxonomy import Taxonomy
from review.wellbeing import budget
from review.wellbeing.breaks import refuse_during_break

#: Why an attempt stops before its last items: said on the Training page and by next_step's refusal.
BUDGET_SPENT = ("the rest of this course waits until tomorrow: today's severe-content budget is spent "
                "(a lead can lift it)")


@dataclass(frozen=True)
class Attempt:
    id: int
    course: str
    number: int  # 1 for the first attempt at this course
    items: int
    answered: int
    pass_mark: float
    started_at: str
    deadline_at: str | None
    finished_at: str | None
    correct: int | None
    score: float | None
    passed: bool | None
    timed_out: bool
    taxonomy_version: int  # the version the course was for when the attempt started: a pass certifies it
    course_version: int  # the version the course is for now

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def outdated(self) -> bool:
        """Started before a re-certification: its pass counts for the old taxonomy version only."""
        return self.taxonomy_version != self.course_version


@dataclass(frozen=True)
class Step:
    """The next item of an attempt to answer: position (1-based) of the attempt's items."""

    attempt: Attempt
    position: int
    item: Item


@dataclass(frozen=True)
class Feedback:
    """What the trainee sees after an answer: matched or not, the expected answer and why, and the attempt now."""

    position: int
    matched: bool
    action: str
    labels: tuple[str, ...]
    expected_action: str
    expected_labels: tuple[str, ...]
    explanation: str
    attempt: Attempt

    @property
    def action_matched(self) -> bool:
        return self.action == self.expected_action


def _attempt(store: Store, row: tuple[Any, ...], answered: int) -> Attempt:
    course = course_rows.course_by_id(store, row[1])
    name, version = (str(course[1]), int(course[5])) if course else (f"course {row[1]}", int(row[4]))
    return Attempt(row[0], name, row[3], row[5], answered, row[6], row[8], row[9], row[10], row[11], row[12],
                   None if row[13] is None else bool(row[13]), bool(row[14]), int(row[4]), version)


def _course_name(store: Store, course_id: int) -> str:
    row = course_rows.course_by_id(store, course_id)
    return str(row[1]) if row else f"course {course_id}"


def order(attempt_id: int, items: int) -> list[int]:
    """The positions of an attempt's items in the order it shows them: its own shuffle, the same on every call."""
    positions = list(range(1, items + 1))
    random.Random(attempt_id).shuffle(positions)
    return positions


def start(store: Store, who: User | str, course: str) -> Attempt:
    """Start an attempt at *course* (or take up the unfinished one); refused while a break runs."""
    user = roles.require(store, who, *TRAINEE_ROLES, to="take training courses")
    refuse_during_break(store, user)
    row = find(store, course)
    plan = [(r[1], r[4], json.loads(r[5]), r[6]) for r in course_rows.course_items(store, row[0])]
    if not plan:
        raise TrainingError(f"the course {course!r} has no items yet")
    attempt_id = attempt_rows.start(store, user.name, user.id, row, plan, row[4])
    return status(store, user, attempt_id)


def open_course(store: Store, who: User | str, course: str, *, severe: str | None = None) -> Step | None:
    """Start or continue *course* and give its next item: the trainee's one call for "work this course"."""
    return next_step(store, who, start(store, who, course).id, severe=severe)


def status(store: Store, who: User | str, attempt_id: int) -> Attempt:
    """One of the person's own attempts as it stands."""
    user = roles.require(store, who, *TRAINEE_ROLES, to="take training courses")
    row = _own(store, user, attempt_id)
    return _attempt(store, row, len(attempt_rows.answered(store, attempt_id)))


def _own(store: Store, user: User, attempt_id: int) -> tuple[Any, ...]:
    row = attempt_rows.attempt(store, attempt_id)
    if row is None or row[2] != user.id:
        raise TrainingError(f"attempt {attempt_id} is not one of {user.name}'s")
    return row


def next_step(store: Store, who: User | str, attempt_id: int, *, severe: str | None = None) -> Step | None:
    """The attempt's next unanswered item in its :func:`order` (None once it is finished).

    Refused while a break runs, and for severe items once the day's
    severe budget is spent. *severe* is the wellbeing rule the desk
    serves by (the front end's live one); None reads it from the store.
    """
    user = roles.require(store, who, *TRAINEE_ROLES, to="take training courses")
    refuse_during_break(store, user)
    row = _own(store, user, attempt_id)
    if row[10] is not None:
        return None
    done = attempt_rows.answered(store, attempt_id)
    plan = json.loads(row[7])
    left = [p for p in order(attempt_id, len(plan)) if p not in done]
    rule = severe or budget.serving_rule(store, user, ())
    if rule != "allow":
        severities = attempt_rows.severities(store, [plan[p - 1][0] for p in left])
        mild = [p for p in left if severities.get(plan[p - 1][0]) != "severe"]
        if rule == "never" and not mild:
            raise TrainingError(f"{len(left)} item(s) left, all severe: {BUDGET_SPENT}")
        left = mild or left  # "prefer_mild": a severe one only when nothing milder is left
    shown = load_item(store, plan[left[0] - 1][0])
    return Step(_attempt(store, row, len(done)), left[0], shown)


def answer(store: Store, who: User | str, attempt_id: int, position: int, action: str, labels: Sequence[str] = (),
           *, taxonomy: Taxonomy | None = None) -> Feedback:
    """Record the trainee's answer to one item and say how it compares; the last one finishes the attempt.

    The taxonomy's rules apply as on the desk (a removal needs a label),
    so a course teaches the same keys and refusals as review.
    """
    user = roles.require(store, who, *TRAINEE_ROLES, to="take training courses")
    if isinstance(labels, str):
        raise TypeError("labels must be a sequence of label ids, not one string")
    chosen = tuple(sorted(set(labels)))
    if taxonomy is not None:
        problem = taxonomy.check(action, list(chosen), "-")  # a course answer has no note
        if problem:
            raise TrainingError(problem)
    row = _own(store, user, attempt_id)
    course = _course_name(store, row[1])
    try:
        matched, after = attempt_rows.record_answer(store, user.name, user.id, attempt_id, position, action,
                                                    list(chosen), course)
    except Refused as refused:
        if refused.reason == "finished":
            raise TrainingError("this attempt is finished; start the course again for another") from None
        if refused.reason == "answered":
            raise TrainingError(f"item {position} of this attempt is answered already") from None
        raise TrainingError(f"item {position} is not part of this attempt") from None
    plan = json.loads(row[7])
    _item_id, expected_action, expected_labels, explanation = plan[min(position, len(plan)) - 1]
    now = _attempt(store, after, len(attempt_rows.answered(store, attempt_id)))
    return Feedback(position, matched, action, chosen, expected_action, tuple(sorted(expected_labels)), explanation,
                    now)
