"""Courses: a lead builds one from gold items — answers come from gold, an explanation per item, a pass mark,
an optional time limit, the taxonomy version it was written for.

Building and changing a course is a lead's, one event each
(``training.course_created`` / ``training.course_changed`` with the old
and new course). Everyone who reviews may list the courses; only a lead
sees a course's answers (a trainee sees each answer after giving theirs,
``audit.training.attempts``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from audit import roles
from audit.gold import EXPLANATION_LIMIT
from audit.store import atomically
from audit.store import training as course_rows
from review.errors import VeilError
from review.store import Refused, Store, User
from review.store import certification as gate_rows

#: Who takes courses: everyone who decides items (auditors decide blind, leads decide escalations).
TRAINEE_ROLES = ("moderator", "auditor", "lead")
ITEMS_LIMIT = 100
DEFAULT_PASS_MARK = 0.8


class TrainingError(VeilError, ValueError):
    """A training step that cannot be taken; the message says why."""


@dataclass(frozen=True)
class CourseItem:
    position: int
    item_id: int
    external_id: str
    kind: str
    action: str
    labels: tuple[str, ...]
    explanation: str


@dataclass(frozen=True)
class Course:
    """A course as lists show it; ``items`` (with answers) only in a lead's :func:`course`."""

    id: int
    name: str
    description: str
    pass_mark: float
    time_limit_seconds: int | None
    taxonomy_version: int
    created_by: str
    created_at: str
    changed_at: str
    size: int
    items: tuple[CourseItem, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "items": [{**asdict(i), "labels": list(i.labels)} for i in self.items]}


def _course(row: Sequence[Any], items: Sequence[Sequence[Any]] = ()) -> Course:
    return Course(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9],
                  tuple(CourseItem(i[0], i[1], i[2], i[3], i[4], tuple(json.loads(i[5])), i[6]) for i in items))


def save_course(store: Store, lead: User | str, name: str, item_ids: Sequence[int], *,
                taxonomy_version: int | None = None, pass_mark: float = DEFAULT_PASS_MARK,
                time_limit_minutes: int | None = None, explanations: Mapping[int, str] | None = None,
                description: str = "", course: str | None = None) -> Course:
    """Build a course from gold items (or change the course named *course*); the course as a lead sees it.

    Each item must be an active gold item that is not planted in a live
    queue (a trainee is shown its answer: planted, it would score them on
    an answer they were just given): its answer (action, labels) is copied
    from gold; its explanation is *explanations*' or, when none is given,
    the gold item's own. *pass_mark* is a share (0.8: 80 %).
    *taxonomy_version* is required to build one; a change keeps the stored
    version (None or the same): a new version is a re-certification
    (``audit.training.certification.require_recertification``), which
    moves the course's gates with it — a version changed here alone would
    leave every gate asking for the old one, and nobody could pass.
    """
    user = roles.require(store, lead, "lead", to="build training courses")
    name = (name or "").strip()
    if not name:
        raise TrainingError("a course needs a name")
    members = list(dict.fromkeys(item_ids))
    if not members:
        raise TrainingError("a course needs at least one gold item")
    if len(members) > ITEMS_LIMIT:
        raise TrainingError(f"a course holds at most {ITEMS_LIMIT} items (got {len(members)})")
    if isinstance(pass_mark, bool) or not 0 < pass_mark <= 1:
        raise TrainingError(f"the pass mark is a share from above 0 to 1 (0.8 is 80 %), not {pass_mark!r}")
    if time_limit_minutes is not None and (isinstance(time_limit_minutes, bool) or not 1 <= time_limit_minutes <= 600):
        raise TrainingError("a time limit is from 1 to 600 minutes (or none)")
    existing = None
    if course is not None:
        existing = course_rows.course(store, course)
        if existing is None:
            raise _no_course(course)
        if taxonomy_version is not None and taxonomy_version != existing[5]:
            raise TrainingError(f"“{course}” is for taxonomy version {existing[5]}: a new version is a "
                                f"re-certification (veil training course recertify {course} --taxonomy-version "
                                f"{taxonomy_version}), which moves its gates with it")
        taxonomy_version = int(existing[5])
    if isinstance(taxonomy_version, bool) or not isinstance(taxonomy_version, int) or taxonomy_version < 1:
        raise TrainingError("the taxonomy version is a whole number from 1 up")
    answers = course_rows.gold_answers(store, members)
    explained = explanations or {}
    plan = []
    for item_id in members:
        found = answers.get(item_id)
        if found is None:
            raise TrainingError(f"item {item_id} is not a gold item: a course is built from gold items (QA setup)")
        if found[3] is not None:
            raise TrainingError(f"gold item {item_id} is retired: its answer no longer holds")
        if found[4]:
            raise TrainingError(f"item {item_id} is a planted copy of a gold item: it scores people in a live "
                                "queue, so a course cannot show its answer")
        if found[5]:
            raise TrainingError(f"gold item {item_id} has {found[5]} copies planted in live queues: a course would "
                                "show trainees the answer they are scored on there; pick another gold item")
        why = (explained.get(item_id) or found[2] or "").strip()
        if len(why) > EXPLANATION_LIMIT:
            raise TrainingError(f"the explanation of item {item_id} is {len(why)} characters; keep it under "
                                f"{EXPLANATION_LIMIT}")
        plan.append((item_id, found[0], list(json.loads(found[1] or "[]")), why))
    course_id = None if existing is None else int(existing[0])
    version = taxonomy_version

    def work() -> int:
        saved = course_rows.save_course(store, user.name, course_id, name, (description or "").strip(), pass_mark,
                                        time_limit_minutes * 60 if time_limit_minutes else None, version, plan)
        renamed = [(queue_id, queue, saved, name, gate_version) for queue_id, queue, gated, old, gate_version, _by, _at
                   in gate_rows.gates(store) if gated == saved and old != name]
        gate_rows.set_gates(store, user.name, renamed)  # a renamed course: its gates' refusals name it anew
        return saved

    try:
        saved = atomically(store, work)
    except Refused as refused:
        if refused.reason == "taken":
            raise TrainingError(f"there is already a course named {name!r}") from None
        raise _no_course(course or name) from None
    row = course_rows.course_by_id(store, saved)
    assert row is not None
    return _course(row, course_rows.course_items(store, saved))


def courses(store: Store, who: User | str) -> list[Course]:
    """Every course, by name, without answers (anyone who takes courses)."""
    roles.require(store, who, *TRAINEE_ROLES, to="see training courses")
    return [_course(r) for r in course_rows.courses(store)]


def course(store: Store, lead: User | str, name: str) -> Course:
    """One course with its items and answers (a lead's view)."""
    roles.require(store, lead, "lead", to="see a course's answers")
    return _course(find(store, name), course_rows.course_items(store, find(store, name)[0]))


def find(store: Store, name: str) -> tuple[Any, ...]:
    """The course row named *name*; TrainingError when there is none."""
    row = course_rows.course(store, name)
    if row is None:
        raise _no_course(name)
    return row


def _no_course(name: str) -> TrainingError:
    return TrainingError(f"there is no course named {name!r}")
