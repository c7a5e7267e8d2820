"""SQL of ``gold_items`` and ``gold_results``: known answers and how decisions on them scored."""

from __future__ import annotations

from typing import Any

from review.store import Store


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
