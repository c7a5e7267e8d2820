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
"""

from __future__ import annotations

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


def create_set(store: Store, lead: User | str, name: str, item_ids: Sequence[int], description: str = "") -> int:
    """A new calibration set of existing items; returns its id."""
    user = roles.require(store, lead, "lead", to="create calibration sets")
    if not (name or "").strip():
        raise CalibrationError("a calibration set needs a name")
    members = list(dict.fromkeys(item_ids))
    try:
        return calibration_rows.create_set(store, user.name, name.strip(), description, members)
    except Refused as refused:
        raise KeyError(f"no item with id {refused.detail}") from None


def _no_set(name: str) -> KeyError:
    return KeyError(f"no calibration set named {name!r}")


def _set_id(store: Store, name: str) -> int:
    found = calibration_rows.set_id(store, name)
    if found is None:
        raise _no_set(name)
    return found


def sets(store: Store) -> list[str]:
    return calibration_rows.set_names(store)


def next_item(store: Store, who: User | str, set_name: str) -> Item | None:
    """The next item of the set this person has not answered yet, in set order."""
    user = roles.require(store, who, *ANSWER_ROLES, to="answer calibration items")
    item_id = calibration_rows.next_unanswered(store, _set_id(store, set_name), user.id)
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
