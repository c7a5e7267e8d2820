"""SQL of calibration sets: their members and each reviewer's one answer per item.

:func:`create_set` and :func:`record_answer` are the guarded writes (one
transaction with its event, :class:`~review.store.Refused` when a guard
fails); ``audit.calibration`` words the refusals.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from audit.store import insert_returning_id, item_exists
from review.store import Refused, Store, User


def add_set(store: Store, name: str, description: str, by: str, at: str) -> int:
    return insert_returning_id(
        store, "INSERT INTO calibration_sets (name, description, created_by, created_at) VALUES (?, ?, ?, ?)"
        " RETURNING id", [name, description, by, at])


def add_member(store: Store, set_id: int, item_id: int) -> None:
    store.db.execute("INSERT INTO calibration_members (set_id, item_id) VALUES (?, ?)", [set_id, item_id])


def set_id(store: Store, name: str) -> int | None:
    row = store.db.execute("SELECT id FROM calibration_sets WHERE name = ?", [name]).fetchone()
    return row[0] if row else None


def set_names(store: Store) -> list[str]:
    return [r[0] for r in store.db.execute("SELECT name FROM calibration_sets ORDER BY created_at, id")]


def next_unanswered(store: Store, set_id: int, user_id: int) -> int | None:
    """The first item of the set (by id) the user has not answered."""
    row = store.db.execute(
        """SELECT m.item_id FROM calibration_members m WHERE m.set_id = ? AND NOT EXISTS
           (SELECT 1 FROM calibration_answers a WHERE a.set_id = m.set_id AND a.item_id = m.item_id AND a.user_id = ?)
           ORDER BY m.item_id LIMIT 1""", [set_id, user_id]).fetchone()
    return row[0] if row else None


def is_member(store: Store, set_id: int, item_id: int) -> bool:
    return store.db.execute("SELECT 1 FROM calibration_members WHERE set_id = ? AND item_id = ?",
                            [set_id, item_id]).fetchone() is not None


def has_answered(store: Store, set_id: int, item_id: int, user_id: int) -> bool:
    return store.db.execute("SELECT 1 FROM calibration_answers WHERE set_id = ? AND item_id = ? AND user_id = ?",
                            [set_id, item_id, user_id]).fetchone() is not None


def add_answer(store: Store, set_id: int, item_id: int, user_id: int, action: str, labels_json: str, at: str) -> None:
    store.db.execute(
        "INSERT INTO calibration_answers (set_id, item_id, user_id, action, labels, answered_at)"
        " VALUES (?, ?, ?, ?, ?, ?)", [set_id, item_id, user_id, action, labels_json, at])


def member_count(store: Store, set_id: int) -> int:
    return int(store.db.execute("SELECT COUNT(*) FROM calibration_members WHERE set_id = ?", [set_id]).fetchone()[0])


def answers(store: Store, set_id: int, start: str | None, end: str | None) -> list[tuple[int, int, str]]:
    """(item id, user id, action) of the answers given in [start, end), by item and user."""
    sql = "SELECT item_id, user_id, action FROM calibration_answers WHERE set_id = ?"
    params: list[object] = [set_id]
    if start:
        sql += " AND answered_at >= ?"
        params.append(start)
    if end:
        sql += " AND answered_at < ?"
        params.append(end)
    return [(r[0], r[1], r[2]) for r in store.db.execute(sql + " ORDER BY item_id, user_id", params)]


# ------------------------------------------------------- guarded writes
def create_set(store: Store, actor: str, name: str, description: str, item_ids: Sequence[int]) -> int:
    """A new set of existing items with its event, in one transaction; its id.

    Refused ``"no_item"`` (detail: the id) when an item does not exist.
    """
    with store.transaction():
        new_id = add_set(store, name, description, actor, store.now())
        for item_id in item_ids:
            if not item_exists(store, item_id):
                raise Refused("no_item", str(item_id))
            add_member(store, new_id, item_id)
        store.log(actor, "calibration.created", f"calibration:{name}", {"items": list(item_ids)})
    return new_id


def record_answer(store: Store, who: User, set_name: str, item_id: int, action: str, labels: list[str]) -> None:
    """Store a person's one answer for an item of the set, with its event, in one transaction.

    Refused ``"no_set"``, ``"not_member"`` or ``"answered"`` (they already did).
    """
    with store.transaction():
        found = set_id(store, set_name)
        if found is None:
            raise Refused("no_set")
        if not is_member(store, found, item_id):
            raise Refused("not_member")
        if has_answered(store, found, item_id, who.id):
            raise Refused("answered")
        add_answer(store, found, item_id, who.id, action, json.dumps(labels), store.now())
        store.log(who.name, "calibration.answered", f"calibration:{set_name}",
                  {"item": item_id, "action": action, "labels": labels})
