"""SQL of ``gold_items`` and ``gold_results``: known answers and how decisions on them scored.

:func:`mark`, :func:`plant` and :func:`score_once` are the guarded writes
(one transaction with its event, :class:`~review.store.Refused` when a
guard fails); ``audit.gold`` checks the role and words the refusals.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from typing import Any

from audit.store import item_exists
from review.store import SYSTEM_ACTOR, Refused, Store


def define(store: Store, item_id: int, action: str, labels_json: str, source_item_id: int | None, by: str,
           at: str, *, replace: bool) -> None:
    """Mark an item gold with its answer; *replace* updates the answer of an item that already is."""
    conflict = " ON CONFLICT (item_id) DO UPDATE SET action = excluded.action, labels = excluded.labels" \
        if replace else ""
    store.db.execute(
        "INSERT INTO gold_items (item_id, action, labels, source_item_id, created_by, created_at)"
        f" VALUES (?, ?, ?, ?, ?, ?){conflict}", [item_id, action, labels_json, source_item_id, by, at])


def answer(store: Store, item_id: int) -> tuple[str, str] | None:
    """(action, labels JSON) expected on a gold item; None for an ordinary item."""
    row = store.db.execute("SELECT action, labels FROM gold_items WHERE item_id = ?", [item_id]).fetchone()
    return (row[0], row[1]) if row else None


def item_fields(store: Store, item_id: int) -> tuple[Any, ...]:
    """(kind, media path, media type, text, metadata JSON, severity, priority, sha256, phash): what a copy repeats."""
    return tuple(store.db.execute(
        "SELECT kind, media_path, media_type, text, metadata, severity, priority, content_sha256, phash"
        " FROM items WHERE id = ?", [item_id]).fetchone())


def item_id(store: Store, queue_id: int, external_id: str) -> int:
    return int(store.db.execute("SELECT id FROM items WHERE queue_id = ? AND external_id = ?",
                                [queue_id, external_id]).fetchone()[0])


def to_score(store: Store, decision_id: int) -> tuple[Any, ...] | None:
    """What scoring a decision on a gold item needs; None when the decision is not on one.

    (decision id, item id, user id, user name, action, labels JSON, revokes id, item state, expected action,
    expected labels JSON, the item's latest decision id).
    """
    row = store.db.execute(
        """SELECT d.id, d.item_id, d.user_id, u.name, d.action, d.labels, d.revokes_id, i.state,
                  g.action, g.labels, (SELECT MAX(x.id) FROM decisions x WHERE x.item_id = d.item_id)
           FROM decisions d JOIN items i ON i.id = d.item_id JOIN users u ON u.id = d.user_id
           JOIN gold_items g ON g.item_id = d.item_id WHERE d.id = ?""", [decision_id]).fetchone()
    return tuple(row) if row else None


def add_result(store: Store, decision_id: int, item_id: int, user_id: int, action_ok: bool, labels_ok: bool,
               expected_json: str, at: str) -> None:
    store.db.execute(
        "INSERT INTO gold_results (decision_id, item_id, user_id, correct, action_correct, labels_correct,"
        " expected, scored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [decision_id, item_id, user_id, int(action_ok and labels_ok), int(action_ok), int(labels_ok),
         expected_json, at])


def result(store: Store, decision_id: int) -> tuple[Any, ...] | None:
    """(decision id, item id, user, correct, action correct, labels correct, expected JSON) of a scored decision."""
    row = store.db.execute(
        """SELECT r.decision_id, r.item_id, u.name, r.correct, r.action_correct, r.labels_correct, r.expected
           FROM gold_results r JOIN users u ON u.id = r.user_id WHERE r.decision_id = ?""",
        [decision_id]).fetchone()
    return tuple(row) if row else None


# ------------------------------------------------------- guarded writes
def mark(store: Store, actor: str, item_id: int, action: str, labels: Sequence[str],
         source_item_id: int | None) -> None:
    """Make an existing item gold (or change its answer), with its event, in one transaction.

    Refused ``"no_item"`` when there is no such item.
    """
    with store.transaction():
        if not item_exists(store, item_id):
            raise Refused("no_item")
        define(store, item_id, action, json.dumps(list(labels)), source_item_id, actor, store.now(), replace=True)
        store.log(actor, "gold.defined", f"item:{item_id}", {"action": action, "labels": list(labels)})


def plant(store: Store, actor: str, gold_item_id: int, queue_id: int, queue: str, copies: int) -> list[int]:
    """Add *copies* pending copies of a gold item to a queue, with their answer and the event; their ids.

    One transaction. A copy has a random external id and the original's
    media, text, metadata and content hashes. Refused ``"not_gold"``.
    """
    with store.transaction():
        expected = answer(store, gold_item_id)
        if expected is None:
            raise Refused("not_gold")
        kind, media_path, media_type, text, metadata, severity, priority, sha256, phash = \
            item_fields(store, gold_item_id)
        now = store.now()
        new_ids = []
        for _ in range(copies):
            external = secrets.token_hex(8)
            store.add_items([{
                "external_id": external, "queue_id": queue_id, "kind": kind, "media_path": media_path,
                "media_type": media_type, "text": text, "metadata": json.loads(metadata or "{}"),
                "severity": severity, "priority": priority, "content_sha256": sha256, "phash": phash,
                "received_at": now,
            }], actor=actor, source="gold")
            copy_id = item_id(store, queue_id, external)
            define(store, copy_id, expected[0], expected[1], gold_item_id, actor, now, replace=False)
            new_ids.append(copy_id)
        store.log(actor, "gold.planted", f"item:{gold_item_id}", {"queue": queue, "items": new_ids})
    return new_ids


def score_once(store: Store, decision_id: int) -> tuple[Any, ...] | None:
    """Score a decision that closed a gold item, in one transaction (joining the caller's); its :func:`result`.

    None for a decision not to score: not on a gold item, an undo row, or
    one that did not close its item (an escalation) or is not its latest.
    Idempotent: a scored decision gives its stored result. Correct means
    the same action and the same set of labels as the answer.
    """
    with store.transaction():
        row = to_score(store, decision_id)
        if row is None or row[6] is not None:
            return None
        stored = result(store, decision_id)
        if stored is not None:
            return stored
        _, item, user_id, user, action, labels, _, item_state, expected_action, expected_labels, latest = row
        if item_state != "decided" or latest != decision_id:
            return None
        expected = json.loads(expected_labels or "[]")
        action_ok, labels_ok = action == expected_action, set(json.loads(labels or "[]")) == set(expected)
        add_result(store, decision_id, item, user_id, action_ok, labels_ok,
                   json.dumps({"action": expected_action, "labels": expected}), store.now())
        store.log(SYSTEM_ACTOR, "gold.scored", f"decision:{decision_id}",
                  {"user": user, "correct": action_ok and labels_ok})
        return result(store, decision_id)
