"""Gold items: items with a known answer, slipped unmarked into review queues.

A gold item is an ordinary item plus a ``gold_items`` row holding the
expected action and labels; nothing on the item says so. When a decision
*closes* a gold item, it is scored automatically (:func:`score_gold`): the
review page calls :func:`after_decision` right after each stored decision.
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
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from audit import roles
from review.store import Store, User


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
    labels = sorted(set(labels))
    if taxonomy is not None:
        problem = taxonomy.check(action, labels, "-")  # an answer key has no note
        if problem:
            raise ValueError(problem)
    with store.transaction():
        if store.db.execute("SELECT 1 FROM items WHERE id = ?", [item_id]).fetchone() is None:
            raise KeyError(f"no item with id {item_id}")
        store.db.execute(
            "INSERT INTO gold_items (item_id, action, labels, source_item_id, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (item_id) DO UPDATE SET action = excluded.action,"
            " labels = excluded.labels",
            [item_id, action, json.dumps(labels), source_item_id, user.name, store.now()])
        store.log(user.name, "gold.defined", f"item:{item_id}", {"action": action, "labels": labels})


def plant_gold(store: Store, lead: User | str, gold_item_id: int, queue: str, copies: int = 1) -> list[int]:
    """Put *copies* fresh copies of a gold item into a review queue, pending; returns their item ids.

    The copy has a random external id, the same media, text, metadata and
    content hashes as the original, so it looks like any other report.
    """
    user = roles.require(store, lead, "lead", to="plant gold items")
    target = store.queue(queue)
    with store.transaction():
        gold = store.db.execute("SELECT action, labels FROM gold_items WHERE item_id = ?", [gold_item_id]).fetchone()
        if gold is None:
            raise KeyError(f"item {gold_item_id} is not a gold item")
        row = store.db.execute(
            "SELECT kind, media_path, media_type, text, metadata, severity, priority, content_sha256, phash"
            " FROM items WHERE id = ?", [gold_item_id]).fetchone()
        now = store.now()
        new_ids = []
        for _ in range(copies):
            external = secrets.token_hex(8)
            store.add_items([{
                "external_id": external, "queue_id": target.id, "kind": row[0], "media_path": row[1],
                "media_type": row[2], "text": row[3], "metadata": json.loads(row[4] or "{}"), "severity": row[5],
                "priority": row[6], "content_sha256": row[7], "phash": row[8], "received_at": now,
            }], actor=user.name, source="gold")
            item_id = store.db.execute("SELECT id FROM items WHERE queue_id = ? AND external_id = ?",
                                       [target.id, external]).fetchone()[0]
            store.db.execute(
                "INSERT INTO gold_items (item_id, action, labels, source_item_id, created_by, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", [item_id, gold[0], gold[1], gold_item_id, user.name, now])
            new_ids.append(item_id)
        store.log(user.name, "gold.planted", f"item:{gold_item_id}", {"queue": queue, "items": new_ids})
    return new_ids


def is_gold(store: Store, item_id: int) -> bool:
    return store.db.execute("SELECT 1 FROM gold_items WHERE item_id = ?", [item_id]).fetchone() is not None


def score_gold(store: Store, decision_id: int) -> GoldResult | None:
    """Score a decision on a gold item; None when it is not one to score.

    Not scored: decisions on ordinary items, undo rows, decisions that did
    not close their item (escalations). Idempotent: a second call returns
    the stored result.
    """
    with store.transaction():
        row = store.db.execute(
            """SELECT d.id, d.item_id, d.user_id, u.name, d.action, d.labels, d.revokes_id, i.state,
                      g.action, g.labels,
                      (SELECT MAX(x.id) FROM decisions x WHERE x.item_id = d.item_id)
               FROM decisions d JOIN items i ON i.id = d.item_id JOIN users u ON u.id = d.user_id
               JOIN gold_items g ON g.item_id = d.item_id WHERE d.id = ?""", [decision_id]).fetchone()
        if row is None or row[6] is not None:
            return None
        stored = _stored(store, decision_id)
        if stored is not None:
            return stored
        if row[7] != "decided" or row[10] != row[0]:
            return None
        given = set(json.loads(row[5] or "[]"))
        expected = json.loads(row[9] or "[]")
        action_ok, labels_ok = row[4] == row[8], given == set(expected)
        store.db.execute(
            "INSERT INTO gold_results (decision_id, item_id, user_id, correct, action_correct, labels_correct,"
            " expected, scored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [decision_id, row[1], row[2], int(action_ok and labels_ok), int(action_ok), int(labels_ok),
             json.dumps({"action": row[8], "labels": expected}), store.now()])
        store.log("system", "gold.scored", f"decision:{decision_id}",
                  {"user": row[3], "correct": action_ok and labels_ok})
    return _stored(store, decision_id)


def after_decision(store: Store, decision: Any) -> GoldResult | None:
    """Call after every stored decision (``decision`` or its id); scores it if it closed a gold item.

    Never show the result to the moderator: gold items are unmarked.
    """
    decision_id = decision if isinstance(decision, int) else decision.id
    return score_gold(store, decision_id)


def _stored(store: Store, decision_id: int) -> GoldResult | None:
    row = store.db.execute(
        """SELECT r.decision_id, r.item_id, u.name, r.correct, r.action_correct, r.labels_correct, r.expected
           FROM gold_results r JOIN users u ON u.id = r.user_id WHERE r.decision_id = ?""",
        [decision_id]).fetchone()
    if row is None:
        return None
    expected = json.loads(row[6])
    return GoldResult(row[0], row[1], row[2], bool(row[3]), bool(row[4]), bool(row[5]),
                      expected["action"], tuple(expected["labels"]))
