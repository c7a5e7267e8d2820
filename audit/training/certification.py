"""The lead's side of the certification gate: which queue requires which course, re-certification on a new
taxonomy version, and what each person is certified for.

The facts the gate reads live in review's tables (``review.store.
certification``): this module names the course (an audit fact) and hands
review its id, name and taxonomy version. Each change is a lead's and one
``training.gated`` event per queue; re-certification changes the course's
taxonomy version and every gate on it in one transaction, so old passes
stop counting at once (and so do waivers given for the old version). Waivers and their lifts are
``review.certification.waive`` and ``lift_waiver``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from audit import roles
from audit.store import atomically
from audit.store import training as course_rows
from audit.training.courses import TrainingError, find
from review import certification as gate_rule
from review.store import Refused, Store, User
from review.store import certification as gate_rows
from review.store.certification import Waiver as Waiver  # the lead's list of waivers is shown as review keeps it
from review.taxonomy import Taxonomy


@dataclass(frozen=True)
class Gate:
    queue: str
    course_id: int
    course: str
    taxonomy_version: int
    set_by: str
    set_at: str


def gate(store: Store, lead: User | str, queue: str, course: str | None) -> bool:
    """Require *course* (its current taxonomy version) to be served *queue*; None lifts the gate. Whether it changed."""
    user = roles.require(store, lead, "lead", to="gate queues with a course")
    try:
        target = store.queue(queue)
    except KeyError:
        raise TrainingError(f"there is no queue called {queue!r}") from None
    if target.kind != "review":
        raise TrainingError(f"“{queue}” is {'an' if target.kind[0] in 'aeiou' else 'a'} {target.kind} queue: only "
                            "review queues can require a course (escalations are decided by leads, who are not "
                            "gated; audit queues are served by their own assignments)")
    if course is None:
        wanted: tuple[int, str, int | None, str, int] = (target.id, target.name, None, "", 0)
    else:
        row = find(store, course)
        if row[9] == 0:
            raise TrainingError(f"the course {course!r} has no items: nobody could pass it")
        wanted = (target.id, target.name, row[0], row[1], row[5])
    try:
        return gate_rows.set_gates(store, user.name, [wanted]) > 0
    except Refused:
        raise TrainingError(f"“{queue}” is a {target.kind} queue: only review and escalation queues are served, "
                            "so only they can require a course") from None


def require_recertification(store: Store, lead: User | str, course: str, taxonomy_version: int,
                            taxonomy: Taxonomy | None = None) -> int:
    """The course is now for *taxonomy_version*: every queue it gates requires a pass for that version.

    One transaction: the course's ``training.course_changed`` and a
    ``training.gated`` per queue. Returns how many gates changed. With
    *taxonomy* (the version's policy) each item's answer is checked
    against it first: a course whose answers no longer fit would certify
    people on answers the new policy forbids, so it is refused, naming the
    items to fix (change their gold answers, then save the course again).
    """
    user = roles.require(store, lead, "lead", to="require re-certification")
    row = find(store, course)
    if isinstance(taxonomy_version, bool) or not isinstance(taxonomy_version, int) or taxonomy_version < 1:
        raise TrainingError("the taxonomy version is a whole number from 1 up")
    if taxonomy_version <= row[5]:
        raise TrainingError(f"“{course}” is already for taxonomy version {row[5]}: re-certification needs a newer one")
    items = [(r[1], r[4], json.loads(r[5]), r[6]) for r in course_rows.course_items(store, row[0])]
    if taxonomy is not None:
        if taxonomy.version != taxonomy_version:
            raise TrainingError(f"the policy at hand is taxonomy version {taxonomy.version}, not {taxonomy_version}: "
                                "re-certify for the version the organisation uses")
        unfit = [f"item {item_id} ({problem})" for item_id, action, labels, _why in items
                 if (problem := taxonomy.check(action, labels, "-"))]
        if unfit:
            raise TrainingError(f"these answers do not fit taxonomy version {taxonomy_version}: "
                                f"{'; '.join(unfit)} — change their gold answers and save the course first")

    def work() -> int:
        course_rows.save_course(store, user.name, row[0], row[1], row[2], row[3], row[4], taxonomy_version, items)
        wanted = [(queue_id, queue, row[0], row[1], taxonomy_version)
                  for queue_id, queue, course_id, _c, _v, _by, _at in gate_rows.gates(store) if course_id == row[0]]
        return gate_rows.set_gates(store, user.name, wanted)

    return atomically(store, work)


def gates(store: Store, who: User | str) -> list[Gate]:
    """Every gated queue with its course (anyone who reviews may know what a queue requires)."""
    roles.require(store, who, "moderator", "auditor", "lead", to="see which queues require a course")
    return [Gate(r[1], r[2], r[3], r[4], r[5], r[6]) for r in gate_rows.gates(store)]


@dataclass(frozen=True)
class GateBoard:
    """What the lead's gates panel shows and picks from, in one read."""

    gates: list[Gate]
    waivers: list[Waiver]
    queues: list[str]  # the queues that can require a course (review queues)
    courses: list[str]
    people: list[str]  # active people who decide items and are gated (not leads)


def board(store: Store, lead: User | str) -> GateBoard:
    """The lead's gates panel in one read."""
    roles.require(store, lead, "lead", to="gate queues with a course")
    people = [u.name for u in store.users() if u.active and not gate_rule.exempt(u)
              and any(u.has(r) for r in ("moderator", "auditor"))]
    return GateBoard(gates(store, lead), gate_rows.waivers(store),
                     [q.name for q in store.queues() if q.kind == "review"],
                     [str(r[1]) for r in course_rows.courses(store)], people)


def waivers(store: Store, lead: User | str) -> list[Waiver]:
    """Every waiver, newest first, with whether it is still in force (a lead's view)."""
    roles.require(store, lead, "lead", to="see waivers")
    return gate_rows.waivers(store)


def certified_queues(store: Store, user: User) -> list[str]:
    """The gated queues *user* is open for (passed for the required version, or waived), by name."""
    open_ids = {g.queue_id for g in gate_rows.standing(store, user.id).values() if g.open or gate_rule.exempt(user)}
    return [r[1] for r in gate_rows.gates(store) if r[0] in open_ids]


def waive(store: Store, lead: User | str, person: str, queue: str, reason: str) -> None:
    """A lead lets *person* work *queue* without its course, with a reason (``review.certification.waive``)."""
    try:
        gate_rule.waive(store, lead, person, queue, reason)
    except gate_rule.GateError as refused:
        raise TrainingError(str(refused)) from None



def lift_waiver(store: Store, lead: User | str, person: str, queue: str, reason: str) -> None:
    """A lead ends *person*'s waiver for *queue*, with a reason (``review.certification.lift_waiver``)."""
    try:
        gate_rule.lift_waiver(store, lead, person, queue, reason)
    except gate_rule.GateError as refused:
        raise TrainingError(str(refused)) from None
