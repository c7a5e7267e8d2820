"""SQL of ``gold_items`` and ``gold_results``: known answers and how decisions on them scored.

:func:`mark`, :func:`plant`, :func:`retire` and :func:`score_once` are the guarded writes
(one transaction with its event, :class:`~review.store.Refused` when a
guard fails); ``audit.gold`` checks the role and words the refusals.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from audit.store import item_exists
from audit.store.schema import CURRENT
from review.store import SYSTEM_ACTOR, Refused, Store


def define(store: Store, item_id: int, action: str, labels_json: str, explanation: str, source_item_id: int | None,
           by: str, at: str, *, replace: bool) -> None:
    """Mark an item gold with its answer; *replace* updates the answer of an item that already is."""
    conflict = (" ON CONFLICT (item_id) DO UPDATE SET action = excluded.action, labels = excluded.labels,"
                " explanation = excluded.explanation") if replace else ""
    store.db.execute(
        "INSERT INTO gold_items (item_id, action, labels, explanation, source_item_id, created_by, created_at)"
        f" VALUES (?, ?, ?, ?, ?, ?, ?){conflict}",
        [item_id, action, labels_json, explanation, source_item_id, by, at])


def answer(store: Store, item_id: int) -> tuple[str, str, str, int | None, str | None] | None:
    """(action, labels JSON, explanation, source item id, retired at) of a gold item; None for an ordinary item."""
    row = store.db.execute("SELECT action, labels, explanation, source_item_id, retired_at FROM gold_items"
                           " WHERE item_id = ?", [item_id]).fetchone()
    return (row[0], row[1], row[2], row[3], row[4]) if row else None


#: One row of the lead's list: the original, its answer, its copies and their scores (revoked decisions left out).
LISTING = """
    SELECT g.item_id, i.external_id, q.name, i.kind, g.action, g.labels, g.explanation, g.created_by, g.created_at,
           g.retired_at,
           (SELECT COUNT(*) FROM gold_items c WHERE c.source_item_id = g.item_id),
           (SELECT COUNT(*) FROM gold_items c JOIN items ci ON ci.id = c.item_id
            WHERE c.source_item_id = g.item_id AND ci.state = 'pending'),
           COUNT(r.decision_id), COALESCE(SUM(r.correct), 0)
    FROM gold_items g
    JOIN items i ON i.id = g.item_id
    JOIN queues q ON q.id = i.queue_id
    LEFT JOIN gold_items s ON s.item_id = g.item_id OR s.source_item_id = g.item_id
    LEFT JOIN gold_results r ON r.item_id = s.item_id AND r.decision_id NOT IN
        (SELECT revokes_id FROM decisions WHERE revokes_id IS NOT NULL)
    WHERE g.source_item_id IS NULL"""


def listing(store: Store, item_id: int | None = None) -> list[tuple[Any, ...]]:
    """Gold items a lead defined (not their copies), active first, newest first; or the one *item_id*."""
    where, params = (" AND g.item_id = ?", [item_id]) if item_id is not None else ("", [])
    return [tuple(r) for r in store.db.execute(
        LISTING + where + " GROUP BY g.item_id, i.id, q.id"
        " ORDER BY g.retired_at IS NOT NULL, g.created_at DESC, g.item_id DESC",
        params)]


def find_items(store: Store, reference: str) -> list[tuple[Any, ...]]:
    """Items whose id or external id is *reference*: (id, external id, queue, kind, text, state, current action,
    current labels JSON, and when it is gold its answer's action, labels JSON and explanation, else None)."""
    where, params = "i.external_id = ?", [reference]
    if reference.isdigit():
        where, params = "(i.id = CAST(? AS INTEGER) OR i.external_id = ?)", [reference, reference]
    return [tuple(r) for r in store.db.execute(
        f"""SELECT i.id, i.external_id, q.name, i.kind, i.text, i.state,
                   (SELECT d.action FROM decisions d WHERE d.item_id = i.id AND {CURRENT}),
                   (SELECT d.labels FROM decisions d WHERE d.item_id = i.id AND {CURRENT}),
                   g.action, g.labels, g.explanation
            FROM items i JOIN queues q ON q.id = i.queue_id LEFT JOIN gold_items g ON g.item_id = i.id
            WHERE {where} ORDER BY i.id LIMIT 20""", params)]


def item_fields(store: Store, item_id: int) -> tuple[Any, ...]:
    """(kind, media path, media type, text, metadata JSON, severity, priority): what a copy repeats (never the
    content hashes: "Seen before" would find the original through them, and its answer)."""
    return tuple(store.db.execute(
        "SELECT kind, media_path, media_type, text, metadata, severity, priority FROM items WHERE id = ?",
        [item_id]).fetchone())


def recent_arrivals(store: Store, queue_id: int, limit: int) -> list[tuple[str, str]]:
    """(external id, received at) of the queue's newest *limit* items, gold ones left out: what a copy is made to
    look like. A queue with none gives the newest of every review queue."""
    for where, params in (("i.queue_id = ?", [queue_id]), ("q.kind = 'review'", [])):
        rows = [(r[0], r[1]) for r in store.db.execute(
            f"""SELECT i.external_id, i.received_at FROM items i JOIN queues q ON q.id = i.queue_id
                WHERE {where} AND NOT EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = i.id)
                ORDER BY i.received_at DESC, i.id DESC LIMIT ?""", [*params, limit])]
        if rows:
            return rows
    return []


def ids_starting_with(store: Store, prefix: str, queue_id: int | None = None) -> set[str]:
    """The external ids that start with *prefix*: in the whole store, or in one queue."""
    where, params = ("", []) if queue_id is None else (" AND queue_id = ?", [queue_id])
    return {r[0] for r in store.db.execute(
        f"SELECT external_id FROM items WHERE substr(external_id, 1, ?) = ?{where}", [len(prefix), prefix, *params])}


def item_id(store: Store, queue_id: int, external_id: str) -> int:
    return int(store.db.execute("SELECT id FROM items WHERE queue_id = ? AND external_id = ?",
                                [queue_id, external_id]).fetchone()[0])


def to_score(store: Store, decision_id: int) -> tuple[Any, ...] | None:
    """What scoring a decision on a gold item needs; None when the decision is not on one (or it is retired).

    (decision id, item id, user id, user name, action, labels JSON, revokes id, item state, expected action,
    expected labels JSON, the item's latest decision id).
    """
    row = store.db.execute(
        """SELECT d.id, d.item_id, d.user_id, u.name, d.action, d.labels, d.revokes_id, i.state,
                  g.action, g.labels, (SELECT MAX(x.id) FROM decisions x WHERE x.item_id = d.item_id)
           FROM decisions d JOIN items i ON i.id = d.item_id JOIN users u ON u.id = d.user_id
           JOIN gold_items g ON g.item_id = d.item_id WHERE d.id = ? AND g.retired_at IS NULL""",
        [decision_id]).fetchone()
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
def mark(store: Store, actor: str, item_id: int, action: str, labels: Sequence[str], explanation: str,
         source_item_id: int | None) -> dict[str, Any] | None:
    """Make an existing item gold (or change its answer, and its copies'), with its event, in one transaction.

    Returns the old answer (None for a new gold item). Refused ``"no_item"``
    when there is no such item, ``"retired"`` when it is a retired gold item.
    """
    with store.transaction():
        if not item_exists(store, item_id):
            raise Refused("no_item")
        before = answer(store, item_id)
        if before is not None and before[4] is not None:
            raise Refused("retired")
        old = {"action": before[0], "labels": json.loads(before[1]), "explanation": before[2]} if before else None
        new = {"action": action, "labels": list(labels), "explanation": explanation}
        define(store, item_id, action, json.dumps(list(labels)), explanation, source_item_id, actor, store.now(),
               replace=True)
        store.db.execute("UPDATE gold_items SET action = ?, labels = ?, explanation = ? WHERE source_item_id = ?"
                         " AND retired_at IS NULL", [action, json.dumps(list(labels)), explanation, item_id])
        if old != new:
            store.log(actor, "gold.defined", f"item:{item_id}", {"old": old, "new": new})
    return old


def plant(store: Store, actor: str, gold_item_id: int, queue_id: int, queue: str,
          identities: Callable[[], list[tuple[str, str]]]) -> list[int]:
    """Add pending copies of a gold item to a queue, with their answer and the event; their ids.

    One transaction. *identities* gives each copy's (external id, received
    at), chosen inside it (``audit.gold``: like the queue's own items); a
    copy has the original's media, text and metadata, never its content
    hashes. Refused ``"not_gold"``, ``"retired"``, ``"merged"`` when the
    queue was merged away meanwhile, or ``"id_taken"`` when a chosen
    external id is already in the queue.
    """
    with store.transaction():
        expected = answer(store, gold_item_id)
        if expected is None:
            raise Refused("not_gold")
        if expected[4] is not None:
            raise Refused("retired")
        if store.db.execute("SELECT merged_into_id FROM queues WHERE id = ?", [queue_id]).fetchone()[0] is not None:
            raise Refused("merged", queue)
        kind, media_path, media_type, text, metadata, severity, priority = item_fields(store, gold_item_id)
        chosen = identities()
        added = store.add_items([{
            "external_id": external, "queue_id": queue_id, "kind": kind, "media_path": media_path,
            "media_type": media_type, "text": text, "metadata": json.loads(metadata or "{}"), "severity": severity,
            "priority": priority, "received_at": received,
        } for external, received in chosen], actor=actor, source="gold")
        if added != len(chosen):  # an id the queue holds: never mark a real item gold
            raise Refused("id_taken")
        now = store.now()
        new_ids = []
        for external, _ in chosen:
            copy_id = item_id(store, queue_id, external)
            define(store, copy_id, expected[0], expected[1], expected[2], gold_item_id, actor, now, replace=False)
            new_ids.append(copy_id)
        store.log(actor, "gold.planted", f"item:{gold_item_id}", {"queue": queue, "items": new_ids})
    return new_ids


def retire(store: Store, actor: str, item_id: int) -> int:
    """Retire a gold item and its copies (no more planting or scoring; answers and results stay), with its event.

    One transaction; returns how many of its copies still wait in queues.
    Refused ``"not_gold"`` or ``"retired"`` (already).
    """
    with store.transaction():
        found = answer(store, item_id)
        if found is None:
            raise Refused("not_gold")
        if found[4] is not None:
            raise Refused("retired")
        now = store.now()
        store.db.execute("UPDATE gold_items SET retired_at = ?, retired_by = ?"
                         " WHERE (item_id = ? OR source_item_id = ?) AND retired_at IS NULL",
                         [now, actor, item_id, item_id])
        waiting = int(store.db.execute(
            "SELECT COUNT(*) FROM gold_items c JOIN items i ON i.id = c.item_id WHERE c.source_item_id = ?"
            " AND i.state = 'pending'", [item_id]).fetchone()[0])
        store.log(actor, "gold.retired", f"item:{item_id}",
                  {"old": {"retired": False}, "new": {"retired": True}, "copies_waiting": waiting})
    return waiting


def score_once(store: Store, decision_id: int) -> tuple[Any, ...] | None:
    """Score a decision that closed a gold item, in one transaction (joining the caller's); its :func:`result`.

    None for a decision not to score: not on a gold item, an undo row, or
    one that did not close its item (an escalation) or is not its latest.
    Idempotent: a scored decision gives its stored result. Correct means
    the same action and the same set of labels as the answer. A decision
    on an ordinary item (almost every one) is told apart by a read first, so
    it takes no write lock: on a server that lock would be exclusive, and
    every decision on the floor would queue behind the others for it.
    """
    if to_score(store, decision_id) is None:
        return None
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
