"""Calibration sets: the same items to several reviewers, to measure agreement.

A lead groups items (usually in a ``calibration`` queue, which review
serving never hands out) into a named set; moderators, auditors and leads
answer each item once (:func:`answer`); :func:`agreement` computes, over
the chosen actions:

* **Fleiss' kappa** over the items with at least two answers, when they all
  have the same number of answers (Fleiss' precondition); otherwise ``None``
  — shown as "—", never forced;
* **Krippendorff's alpha** (nominal) over every item with two or more
  answers, however many each has.

Answers are append-only: a reviewer's first answer is their answer.

A lead sets a set up (:func:`create_set`: its items and, usually, the
people who answer it; a set naming nobody is open to everyone who
reviews), follows each person's progress (:func:`progress`) and closes it
(:func:`close_set`): a closed set takes no more answers, and its agreement
stays as it was. Each is one event (``calibration.created``,
``calibration.closed``).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from audit import metrics, roles
from audit.store import calibration as calibration_rows
from review.errors import VeilError
from review.serving import Item, load_item
from review.store import Refused, Store, User

ANSWER_ROLES = ("moderator", "auditor", "lead")


class CalibrationError(VeilError, ValueError):
    """A calibration step that cannot be taken; the message says why."""


@dataclass(frozen=True)
class Agreement:
    set: str
    items: int  # members of the set
    rated_items: int  # items with two or more answers
    raters: int  # distinct people who answered
    answers: int
    fleiss_kappa: float | None
    krippendorff_alpha: float | None
    fleiss_note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"set": self.set, "items": self.items, "rated_items": self.rated_items, "raters": self.raters,
                "answers": self.answers, "fleiss_kappa": self.fleiss_kappa,
                "krippendorff_alpha": self.krippendorff_alpha, "fleiss_note": self.fleiss_note}


@dataclass(frozen=True)
class CalibrationSet:
    """A set as the lead's list shows it."""

    id: int
    name: str
    description: str
    created_by: str
    created_at: str
    closed_at: str | None
    items: int
    answers: int
    people: tuple[str, ...]  # empty: open to everyone who reviews

    def as_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "people": list(self.people)}


@dataclass(frozen=True)
class Progress:
    """How far one person is through a set."""

    person: str
    answered: int
    items: int
    last_answer_at: str | None

    @property
    def done(self) -> bool:
        return self.answered >= self.items


@dataclass(frozen=True)
class Candidate:
    """An item a lead may put in a set."""

    id: int
    external_id: str
    kind: str
    text: str
    state: str


def create_set(store: Store, lead: User | str, name: str, item_ids: Sequence[int], description: str = "",
               *, people: Sequence[User | str] = ()) -> int:
    """A new calibration set of existing items, answered by *people* (none: anyone who reviews); its id."""
    user = roles.require(store, lead, "lead", to="create calibration sets")
    if not (name or "").strip():
        raise CalibrationError("a calibration set needs a name")
    members = list(dict.fromkeys(item_ids))
    if not members:
        raise CalibrationError("a calibration set needs at least one item")
    chosen = []
    for person in dict.fromkeys(people):
        try:
            found = person if isinstance(person, User) else store.user(person)
        except KeyError:
            raise CalibrationError(f"there is nobody called {person!r}") from None
        if not any(found.has(role) for role in ANSWER_ROLES):
            raise CalibrationError(f"{found.name} does not review, so cannot answer a calibration set")
        chosen.append(found)
    try:
        return calibration_rows.create_set(store, user.name, name.strip(), (description or "").strip(), members,
                                           chosen)
    except Refused as refused:
        if refused.reason == "taken":
            raise CalibrationError(f"there is already a calibration set named {name.strip()!r}") from None
        raise KeyError(f"no item with id {refused.detail}") from None


def close_set(store: Store, lead: User | str, name: str) -> int:
    """Close a set to answers (its answers and agreement stay); how many answers it holds. A lead's action."""
    user = roles.require(store, lead, "lead", to="close calibration sets")
    try:
        return calibration_rows.close(store, user.name, name)
    except Refused as refused:
        if refused.reason == "closed":
            raise CalibrationError(f"the calibration set {name!r} is already closed") from None
        raise _no_set(name) from None


def set_list(store: Store, lead: User | str) -> list[CalibrationSet]:
    """Every set, open ones first, newest first, with its size, answers and people (a lead's view)."""
    roles.require(store, lead, "lead", to="see calibration sets")
    rows = calibration_rows.summaries(store)
    people = calibration_rows.invited(store, [r[0] for r in rows])
    return [CalibrationSet(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], tuple(people.get(r[0], ()))) for r in rows]


def progress(store: Store, lead: User | str, name: str) -> list[Progress]:
    """Each person's answers so far: everyone the set names, and anyone else who answered (a lead's view)."""
    roles.require(store, lead, "lead", to="see calibration progress")
    set_id = _set_id(store, name)
    items = calibration_rows.member_count(store, set_id)
    return [Progress(person, answered, items, last) for person, answered, last in
            calibration_rows.progress(store, set_id)]


def candidates(store: Store, lead: User | str, queue: str, limit: int = 200) -> list[Candidate]:
    """The newest items of *queue* a lead may pick a set's items from."""
    roles.require(store, lead, "lead", to="create calibration sets")
    return [Candidate(r[0], r[1], r[2], r[3] or "", r[4]) for r in calibration_rows.queue_items(store, queue, limit)]


def _no_set(name: str) -> KeyError:
    return KeyError(f"no calibration set named {name!r}")


def _not_invited(user: User, set_name: str) -> CalibrationError:
    return CalibrationError(f"{user.name} is not one of the people asked to answer {set_name!r}")


def _set_id(store: Store, name: str) -> int:
    found = calibration_rows.set_id(store, name)
    if found is None:
        raise _no_set(name)
    return found


def sets(store: Store) -> list[str]:
    return calibration_rows.set_names(store)


def next_item(store: Store, who: User | str, set_name: str) -> Item | None:
    """The next item of the set this person has not answered yet, in set order; None once it is closed.

    Refused, as :func:`answer` refuses, for anyone a set naming its people does not name.
    """
    user = roles.require(store, who, *ANSWER_ROLES, to="answer calibration items")
    set_id = _set_id(store, set_name)
    if calibration_rows.is_closed(store, set_id):
        return None
    invited = calibration_rows.invited(store, [set_id]).get(set_id)
    if invited and user.name not in invited:
        raise _not_invited(user, set_name)
    item_id = calibration_rows.next_unanswered(store, set_id, user.id)
    return load_item(store, item_id) if item_id is not None else None


def answer(store: Store, who: User | str, set_name: str, item_id: int, action: str,
           labels: Sequence[str] = ()) -> None:
    """Record one person's answer for one item of the set (once; a second answer is refused)."""
    user = roles.require(store, who, *ANSWER_ROLES, to="answer calibration items")
    if isinstance(labels, str):
        raise TypeError("labels must be a sequence of label ids, not one string")
    if not (action or "").strip():
        raise CalibrationError("an answer needs an action")
    chosen = sorted(set(labels))
    try:
        calibration_rows.record_answer(store, user, set_name, item_id, action, chosen)
    except Refused as refused:
        if refused.reason == "no_set":
            raise _no_set(set_name) from None
        if refused.reason == "not_member":
            raise KeyError(f"item {item_id} is not in the calibration set {set_name!r}") from None
        if refused.reason == "closed":
            raise CalibrationError(f"the calibration set {set_name!r} is closed") from None
        if refused.reason == "not_invited":
            raise _not_invited(user, set_name) from None
        if refused.reason == "answered":
            raise CalibrationError(f"{user.name} already answered item {item_id} of {set_name!r}") from None
        raise


def agreement(store: Store, set_name: str, *, start: str | None = None, end: str | None = None) -> Agreement:
    """Agreement on the chosen action, over answers given in [start, end) when given."""
    set_id = _set_id(store, set_name)
    members = calibration_rows.member_count(store, set_id)
    by_item: dict[int, list[str]] = defaultdict(list)
    raters = set()
    answers = 0
    for item_id, user_id, action in calibration_rows.answers(store, set_id, start, end):
        by_item[item_id].append(action)
        raters.add(user_id)
        answers += 1
    rated = [ratings for ratings in by_item.values() if len(ratings) >= 2]
    counts = {len(r) for r in rated}
    fleiss, note = None, ""
    if len(counts) == 1:
        fleiss = metrics.fleiss_kappa(rated)
    elif len(counts) > 1:
        note = f"items have different numbers of answers ({', '.join(map(str, sorted(counts)))}); see alpha"
    return Agreement(set_name, members, len(rated), len(raters), answers, fleiss,
                     metrics.krippendorff_alpha_nominal(list(by_item.values())), note)
