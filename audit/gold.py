"""Gold items: items with a known answer, slipped unmarked into review queues.

A gold item is an ordinary item plus a ``gold_items`` row holding the
expected action and labels; nothing on the item says so. When a decision
*closes* a gold item, it is scored automatically (:func:`score_gold`): the
review desk (``review.desk.ReviewDesk``) calls :func:`after_decision` after
each stored decision, on the same writer connection, so every front end's
decisions are scored. The hook is safe inside the decision's transaction
(it joins it) as well as after it (it is then its own transaction).
An escalation does not close the item, so it is not scored; the decision
that finally closes it (a lead's, in the escalation queue) is.

Scoring: ``correct`` iff the action equals the expected action and the set
of labels equals the expected set; ``action_correct`` and
``labels_correct`` keep the two halves apart. A decision later undone keeps
its result row (history), but metrics count only results of decisions that
were not revoked.

The moderator is never told: the result goes to ``gold_results`` and the
event log, and to leads through ``veil metrics``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from audit import roles
from audit.store import gold as gold_rows
from review.errors import VeilError
from review.store import Refused, Store, User


class GoldError(VeilError, ValueError):
    """A gold answer that does not fit the taxonomy; the message says why."""


@dataclass(frozen=True)
class GoldResult:
    decision_id: int
    item_id: int
    user: str
    correct: bool
    action_correct: bool
    labels_correct: bool
    expected_action: str
    expected_labels: tuple[str, ...]


def add_gold(store: Store, lead: User | str, item_id: int, action: str, labels: Sequence[str] = (),
             *, taxonomy: Any = None, source_item_id: int | None = None) -> None:
    """Mark an existing item as gold with its expected answer (a lead's action)."""
    user = roles.require(store, lead, "lead", to="define gold items")
    if isinstance(labels, str):
        raise TypeError("labels must be a sequence of label ids, not one string")
    expected = sorted(set(labels))
    if taxonomy is not None:
        problem = taxonomy.check(action, expected, "-")  # an answer key has no note
        if problem:
            raise GoldError(problem)
    try:
        gold_rows.mark(store, user.name, item_id, action, expected, source_item_id)
    except Refused:
        raise KeyError(f"no item with id {item_id}") from None


def plant_gold(store: Store, lead: User | str, gold_item_id: int, queue: str, copies: int = 1) -> list[int]:
    """Put *copies* fresh copies of a gold item into a review queue, pending; returns their item ids.

    The copy has a random external id, the same media, text, metadata and
    content hashes as the original, so it looks like any other report.
    """
    user = roles.require(store, lead, "lead", to="plant gold items")
    target = store.queue(queue)
    try:
        return gold_rows.plant(store, user.name, gold_item_id, target.id, queue, copies)
    except Refused:
        raise KeyError(f"item {gold_item_id} is not a gold item") from None


def is_gold(store: Store, item_id: int) -> bool:
    return gold_rows.answer(store, item_id) is not None


def score_gold(store: Store, decision_id: int) -> GoldResult | None:
    """Score a decision on a gold item; None when it is not one to score.

    Not scored: decisions on ordinary items, undo rows, decisions that did
    not close their item (escalations). Idempotent: a second call returns
    the stored result. Inside a caller's transaction (the decision's own)
    the scoring joins it; on its own it is one transaction.
    """
    row = gold_rows.score_once(store, decision_id)
    return _result(row) if row is not None else None


def after_decision(store: Store, decision: Any) -> GoldResult | None:
    """The review desk's hook after every stored decision (``decision`` or its id).

    Scores the decision if it closed a gold item. Safe inside the
    decision's write transaction — it joins it as a savepoint, reads the
    decision just written on the same connection and opens no other — and
    after it, as one transaction of its own. Idempotent, so running it
    twice for one decision stores one result. Never show the result to
    the moderator: gold items are unmarked.
    """
    decision_id = decision if isinstance(decision, int) else decision.id
    return score_gold(store, decision_id)


def _result(row: tuple[Any, ...]) -> GoldResult:
    expected = json.loads(row[6])
    return GoldResult(row[0], row[1], row[2], bool(row[3]), bool(row[4]), bool(row[5]),
                      expected["action"], tuple(expected["labels"]))
