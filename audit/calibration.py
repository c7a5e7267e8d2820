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

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from audit import metrics, roles
from review.serving import Item, load_item
from review.store import Store, User

ANSWER_ROLES = ("moderator", "auditor", "lead")


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

    def as_json(self) -> dict:
        return {"set": self.set, "items": self.items, "rated_items": self.rated_items, "raters": self.raters,
                "answers": self.answers, "fleiss_kappa": self.fleiss_kappa,
                "krippendorff_alpha": self.krippendorff_alpha, "fleiss_note": self.fleiss_note}


def create_set(store: Store, lead: User | str, name: str, item_ids: Sequence[int], description: str = "") -> int:
    """A new calibration set of existing items; returns its id."""
    user = roles.require(store, lead, "lead", to="create calibration sets")
    if not (name or "").strip():
        raise ValueError("a calibration set needs a name")
    with store.transaction():
        set_id = store.db.execute(
            "INSERT INTO calibration_sets (name, description, created_by, created_at) VALUES (?, ?, ?, ?)",
            [name.strip(), description, user.name, store.now()]).lastrowid
        for item_id in dict.fromkeys(item_ids):
            if store.db.execute("SELECT 1 FROM items WHERE id = ?", [item_id]).fetchone() is None:
                raise KeyError(f"no item with id {item_id}")
            store.db.execute("INSERT INTO calibration_members (set_id, item_id) VALUES (?, ?)", [set_id, item_id])
        store.log(user.name, "calibration.created", f"calibration:{name}", {"items": list(dict.fromkeys(item_ids))})
    return set_id


def _set_id(store: Store, name: str) -> int:
    row = store.db.execute("SELECT id FROM calibration_sets WHERE name = ?", [name]).fetchone()
    if row is None:
        raise KeyError(f"no calibration set named {name!r}")
    return row[0]


def sets(store: Store) -> list[str]:
    return [r[0] for r in store.db.execute("SELECT name FROM calibration_sets ORDER BY created_at, id")]


def next_item(store: Store, who: User | str, set_name: str) -> Item | None:
    """The next item of the set this person has not answered yet, in set order."""
    user = roles.require(store, who, *ANSWER_ROLES, to="answer calibration items")
    row = store.db.execute(
        """SELECT m.item_id FROM calibration_members m WHERE m.set_id = ? AND NOT EXISTS
           (SELECT 1 FROM calibration_answers a WHERE a.set_id = m.set_id AND a.item_id = m.item_id AND a.user_id = ?)
           ORDER BY m.item_id LIMIT 1""", [_set_id(store, set_name), user.id]).fetchone()
    return load_item(store, row[0]) if row else None


def answer(store: Store, who: User | str, set_name: str, item_id: int, action: str,
           labels: Sequence[str] = ()) -> None:
    """Record one person's answer for one item of the set (once; a second answer is refused)."""
    user = roles.require(store, who, *ANSWER_ROLES, to="answer calibration items")
    if isinstance(labels, str):
        raise TypeError("labels must be a sequence of label ids, not one string")
    if not (action or "").strip():
        raise ValueError("an answer needs an action")
    with store.transaction():
        set_id = _set_id(store, set_name)
        if store.db.execute("SELECT 1 FROM calibration_members WHERE set_id = ? AND item_id = ?",
                            [set_id, item_id]).fetchone() is None:
            raise KeyError(f"item {item_id} is not in the calibration set {set_name!r}")
        if store.db.execute("SELECT 1 FROM calibration_answers WHERE set_id = ? AND item_id = ? AND user_id = ?",
                            [set_id, item_id, user.id]).fetchone():
            raise ValueError(f"{user.name} already answered item {item_id} of {set_name!r}")
        store.db.execute(
            "INSERT INTO calibration_answers (set_id, item_id, user_id, action, labels, answered_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [set_id, item_id, user.id, action, json.dumps(sorted(set(labels))), store.now()])
        store.log(user.name, "calibration.answered", f"calibration:{set_name}",
                  {"item": item_id, "action": action, "labels": sorted(set(labels))})


def agreement(store: Store, set_name: str, *, start: str | None = None, end: str | None = None) -> Agreement:
    """Agreement on the chosen action, over answers given in [start, end) when given."""
    set_id = _set_id(store, set_name)
    members = store.db.execute("SELECT COUNT(*) FROM calibration_members WHERE set_id = ?", [set_id]).fetchone()[0]
    sql = "SELECT item_id, user_id, action FROM calibration_answers WHERE set_id = ?"
    params: list = [set_id]
    if start:
        sql += " AND answered_at >= ?"
        params.append(start)
    if end:
        sql += " AND answered_at < ?"
        params.append(end)
    by_item: dict[int, list[str]] = defaultdict(list)
    raters = set()
    answers = 0
    for item_id, user_id, action in store.db.execute(sql + " ORDER BY item_id, user_id", params):
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
