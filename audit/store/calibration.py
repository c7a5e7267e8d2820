"""SQL of calibration sets: their members and each reviewer's one answer per item.

:func:`create_set`, :func:`record_answer` and :func:`close` are the guarded writes (one
transaction with its event, :class:`~review.store.Refused` when a guard
fails); ``audit.calibration`` words the refusals.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from audit.store import insert_returning_id, item_exists
from review.store import Refused, Store, User
from review.store.bound import marks, slices


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


def summaries(store: Store) -> list[tuple[Any, ...]]:
    """(id, name, description, created by, created at, closed at, members, answers) of every set, newest first."""
    return [tuple(r) for r in store.db.execute(
        """SELECT s.id, s.name, s.description, s.created_by, s.created_at, s.closed_at,
                  (SELECT COUNT(*) FROM calibration_members m WHERE m.set_id = s.id),
                  (SELECT COUNT(*) FROM calibration_answers a WHERE a.set_id = s.id)
           FROM calibration_sets s ORDER BY s.closed_at IS NOT NULL, s.created_at DESC, s.id DESC""")]


def invited(store: Store, set_ids: Sequence[int]) -> dict[int, list[str]]:
    """The people each set names (a set naming nobody is open to everyone who reviews), by name."""
    found: dict[int, list[str]] = {}
    for chunk in slices(set_ids):
        for set_id, name in store.db.execute(
            f"""SELECT p.set_id, u.name FROM calibration_people p JOIN users u ON u.id = p.user_id
                WHERE p.set_id IN ({marks(chunk)}) ORDER BY u.name""", chunk):
            found.setdefault(set_id, []).append(name)
    return found


def progress(store: Store, set_id: int) -> list[tuple[str, int, str | None]]:
    """(person, answers given, last answer at) for everyone the set names and everyone who answered, by name."""
    return [(r[0], r[1], r[2]) for r in store.db.execute(
        """SELECT u.name, COUNT(a.id), MAX(a.answered_at) FROM users u
           LEFT JOIN calibration_answers a ON a.user_id = u.id AND a.set_id = :set
           WHERE u.id IN (SELECT user_id FROM calibration_people WHERE set_id = :set)
              OR u.id IN (SELECT user_id FROM calibration_answers WHERE set_id = :set)
           GROUP BY u.id, u.name ORDER BY u.name""", {"set": set_id})]


def queue_items(store: Store, queue: str, limit: int) -> list[tuple[Any, ...]]:
    """(id, external id, kind, text, state) of the newest *limit* items of a queue: what a lead picks a set from."""
    return [tuple(r) for r in store.db.execute(
        """SELECT i.id, i.external_id, i.kind, i.text, i.state FROM items i JOIN queues q ON q.id = i.queue_id
           WHERE q.name = ? ORDER BY i.received_at DESC, i.id DESC LIMIT ?""", [queue, limit])]


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


def is_closed(store: Store, set_id: int) -> bool:
    row = store.db.execute("SELECT closed_at FROM calibration_sets WHERE id = ?", [set_id]).fetchone()
    return row is not None and row[0] is not None


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
def create_set(store: Store, actor: str, name: str, description: str, item_ids: Sequence[int],
               people: Sequence[User] = ()) -> int:
    """A new set of existing items (and the people who answer it) with its event, in one transaction; its id.

    Refused ``"no_item"`` (detail: the id) when an item does not exist,
    ``"taken"`` when a set has the name.
    """
    with store.transaction():
        if set_id(store, name) is not None:
            raise Refused("taken", name)
        new_id = add_set(store, name, description, actor, store.now())
        for item_id in item_ids:
            if not item_exists(store, item_id):
                raise Refused("no_item", str(item_id))
            add_member(store, new_id, item_id)
        for person in people:
            store.db.execute("INSERT INTO calibration_people (set_id, user_id) VALUES (?, ?)", [new_id, person.id])
        store.log(actor, "calibration.created", f"calibration:{name}",
                  {"items": list(item_ids), "people": [p.name for p in people]})
    return new_id


def close(store: Store, actor: str, name: str) -> int:
    """Close a set to answers, with its event, in one transaction; how many answers it holds.

    Refused ``"no_set"`` or ``"closed"`` (already).
    """
    with store.transaction():
        row = store.db.execute("SELECT id, closed_at FROM calibration_sets WHERE name = ?", [name]).fetchone()
        if row is None:
            raise Refused("no_set")
        if row[1] is not None:
            raise Refused("closed")
        store.db.execute("UPDATE calibration_sets SET closed_at = ?, closed_by = ? WHERE id = ?",
                         [store.now(), actor, row[0]])
        answers = int(store.db.execute("SELECT COUNT(*) FROM calibration_answers WHERE set_id = ?",
                                       [row[0]]).fetchone()[0])
        store.log(actor, "calibration.closed", f"calibration:{name}",
                  {"old": {"closed": False}, "new": {"closed": True}, "answers": answers})
    return answers


def record_answer(store: Store, who: User, set_name: str, item_id: int, action: str, labels: list[str]) -> None:
    """Store a person's one answer for an item of the set, with its event, in one transaction.

    Refused ``"no_set"``, ``"closed"``, ``"not_invited"`` (the set names
    other people), ``"not_member"`` or ``"answered"`` (they already did).
    """
    with store.transaction():
        found = set_id(store, set_name)
        if found is None:
            raise Refused("no_set")
        if is_closed(store, found):
            raise Refused("closed")
        names = invited(store, [found]).get(found)
        if names and who.name not in names:
            raise Refused("not_invited")
        if not is_member(store, found, item_id):
            raise Refused("not_member")
        if has_answered(store, found, item_id, who.id):
            raise Refused("answered")
        add_answer(store, found, item_id, who.id, action, json.dumps(labels), store.now())
        store.log(who.name, "calibration.answered", f"calibration:{set_name}",
                  {"item": item_id, "action": action, "labels": labels})
