"""The certification gate: a queue may require a course, and who has not passed it is not served that queue.

A lead gates a queue with a course (``audit.training.certification``
names the course; the facts live in review's tables,
``review.store.certification``, because serving is review's and never
reads audit tables). A person is served a gated queue when they passed
the course for the taxonomy version the gate requires, or a lead waived
it for them with a reason. Leads are not gated: they write the courses
and decide the hard cases, and a floor whose leads could lock themselves
out of a queue would have nobody left to open it.

The rule is asked in two places, like the roster's: :func:`screen` narrows
the queues a claim may take from, inside the claim's transaction
(``review.serving.planned``), so a gate set a moment ago holds; and
:func:`refusal` says, in words for the person, why a queue is shut to them
and what opens it (the Queues and review pages show it through
``review.serving.why_not_served``).
"""

from __future__ import annotations

from collections.abc import Sequence

from review.auth import require
from review.errors import VeilError
from review.store import Queue, Refused, Store, User
from review.store import certification as gate_rows

#: Where a person gets in, named in every refusal: short, since the review page shows it on one line.
TRAINING_PLACE = "pass it on the Training page"


class GateError(VeilError, ValueError):
    """A gate or waiver that cannot be set; the message says why."""


def exempt(user: User) -> bool:
    """Leads are never gated (see the module's docstring)."""
    return user.has("lead")


def screen(store: Store, user: User, *lists: Sequence[Queue]) -> list[list[Queue]]:
    """Each of *lists* narrowed to the queues whose gate *user* has passed (or that have none): one read of the
    gates for them all, since a claim asks it under its write lock."""
    if exempt(user):
        return [list(queues) for queues in lists]
    standing = gate_rows.standing(store, user.id)
    return [[q for q in queues if q.id not in standing or standing[q.id].open] for queues in lists]


def refusal(store: Store, user: User, queue: Queue) -> str | None:
    """Why *queue*'s gate keeps *user* out, and how to get in; None when it does not."""
    if exempt(user):
        return None
    found = gate_rows.standing(store, user.id).get(queue.id)
    if found is None or found.open:
        return None
    if found.passed_version is not None:
        return (f"“{queue.name}” needs “{found.course}” again for taxonomy version {found.taxonomy_version}: "
                f"{TRAINING_PLACE}")
    return f"“{queue.name}” needs the course “{found.course}”: {TRAINING_PLACE}"


def _person_and_queue(store: Store, person: str, queue: str) -> tuple[User, Queue]:
    try:
        target = store.user(person)
    except KeyError:
        raise GateError(f"there is nobody called {person!r}") from None
    try:
        return target, store.queue(queue)
    except KeyError:
        raise GateError(f"there is no queue called {queue!r}") from None


def waive(store: Store, lead: User | str, person: str, queue: str, reason: str) -> None:
    """Let *person* work a gated *queue* without its course, with a reason (a lead's action; ``training.waived``).

    The waiver holds for the course and taxonomy version the queue asks
    now: a re-certification or another course on the queue ends it.
    """
    actor = require(store, lead, "lead", to="waive a training requirement")
    reason = (reason or "").strip()
    if not reason:
        raise GateError("a waiver needs a reason (it is kept with the waiver)")
    target, found = _person_and_queue(store, person, queue)
    try:
        gate_rows.waive(store, actor.name, target.id, target.name, found.id, found.name, reason)
    except Refused as refused:
        if refused.reason == "no_gate":
            raise GateError(f"“{queue}” requires no course: there is nothing to waive") from None
        raise GateError(f"{target.name} already has a waiver for “{queue}”") from None


def lift_waiver(store: Store, lead: User | str, person: str, queue: str, reason: str) -> None:
    """End *person*'s waiver for *queue*, with a reason (a lead's action; ``training.waiver_lifted``): from then on
    the queue asks them for its course like anyone else."""
    actor = require(store, lead, "lead", to="lift a training waiver")
    reason = (reason or "").strip()
    if not reason:
        raise GateError("lifting a waiver needs a reason (it is kept with the waiver)")
    target, found = _person_and_queue(store, person, queue)
    try:
        gate_rows.lift_waiver(store, actor.name, target.id, target.name, found.id, found.name, reason)
    except Refused:
        raise GateError(f"{target.name} has no waiver in force for “{queue}”: there is nothing to lift") from None
