"""SQL of calibration sessions: each answer with its labels, the sets a person is asked to answer, and the
lead's agreed answer per item (``calibration_agreed``, audit m007).

A session is a calibration set (``audit.store.calibration``): its items,
its people and their blind answers are that module's rows; this one adds
what a session needs beyond them.
"""

from __future__ import annotations

import json
from typing import Any

from review.store import Refused, Store


def answers(store: Store, set_id: int) -> list[tuple[int, str, str, str]]:
    """(item id, person, action, labels JSON) of every answer of the set, by item then person."""
    return [(r[0], r[1], r[2], r[3]) for r in store.db.execute(
        """SELECT a.item_id, u.name, a.action, a.labels FROM calibration_answers a JOIN users u ON u.id = a.user_id
           WHERE a.set_id = ? ORDER BY a.item_id, u.name, a.id""", [set_id])]


def members(store: Store, set_id: int) -> list[tuple[int, str, str]]:
    """(item id, external id, kind) of the set's items, in set order."""
    return [(r[0], r[1], r[2]) for r in store.db.execute(
        """SELECT m.item_id, i.external_id, i.kind FROM calibration_members m JOIN items i ON i.id = m.item_id
           WHERE m.set_id = ? ORDER BY m.item_id""", [set_id])]


def agreed(store: Store, set_id: int) -> dict[int, tuple[str, list[str], str, str, str]]:
    """{item id: (action, labels, note, agreed by, agreed at)} of the set's agreed answers."""
    return {r[0]: (r[1], json.loads(r[2]), r[3], r[4], r[5]) for r in store.db.execute(
        "SELECT item_id, action, labels, note, agreed_by, agreed_at FROM calibration_agreed WHERE set_id = ?"
        " ORDER BY item_id", [set_id])}


def asked_of(store: Store, user_id: int) -> list[tuple[Any, ...]]:
    """(set name, items, answered by the person) of every open set that names the person or names nobody."""
    return [tuple(r) for r in store.db.execute(
        """SELECT s.name, (SELECT COUNT(*) FROM calibration_members m WHERE m.set_id = s.id),
                  (SELECT COUNT(*) FROM calibration_answers a WHERE a.set_id = s.id AND a.user_id = :user)
           FROM calibration_sets s
           WHERE s.closed_at IS NULL AND (EXISTS (SELECT 1 FROM calibration_people p
                                                   WHERE p.set_id = s.id AND p.user_id = :user)
                 OR NOT EXISTS (SELECT 1 FROM calibration_people p WHERE p.set_id = s.id))
           ORDER BY s.created_at DESC, s.id DESC""", {"user": user_id})]


def record_agreed(store: Store, actor: str, set_id: int, set_name: str, item_id: int, action: str, labels: list[str],
                  note: str) -> None:
    """Store (or change) the agreed answer for an item of the set, with ``calibration.agreed`` (old and new).

    Refused ``"not_member"``. Joins a caller's transaction (a promotion to gold with it).
    """
    with store.transaction():
        if store.db.execute("SELECT 1 FROM calibration_members WHERE set_id = ? AND item_id = ?",
                            [set_id, item_id]).fetchone() is None:
            raise Refused("not_member", str(item_id))
        before = agreed(store, set_id).get(item_id)
        old = None if before is None else {"action": before[0], "labels": before[1], "note": before[2]}
        new = {"action": action, "labels": labels, "note": note}
        if old == new:
            return
        store.db.execute(
            """INSERT INTO calibration_agreed (set_id, item_id, action, labels, note, agreed_by, agreed_at)
               VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (set_id, item_id) DO UPDATE SET action = excluded.action,
               labels = excluded.labels, note = excluded.note, agreed_by = excluded.agreed_by,
               agreed_at = excluded.agreed_at""",
            [set_id, item_id, action, json.dumps(labels), note, actor, store.now()])
        store.log(actor, "calibration.agreed", f"calibration:{set_name}", {"item": item_id, "old": old, "new": new})
