"""The importer's SQL: bulk look-ups of items and decisions a manifest names, and its writes.

A manifest may name hundreds of thousands of rows, so every look-up here
takes a list and binds it in chunks (``IN (?, ?, …)``, at most
:data:`CHUNK` values a statement) instead of one query per row. The SQL is
the dialect SQLite and PostgreSQL share. :func:`all_or_nothing` is the
import's single transaction: every row type's rows are written inside it,
so a manifest goes in whole or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from review.store import Store

T = TypeVar("T")

CHUNK = 500
"""Values bound in one ``IN (…)`` list: well under every driver's parameter limit."""


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _marks(chunk: Sequence[Any]) -> str:
    return ",".join("?" * len(chunk))


def all_or_nothing(store: Store, write: Callable[[], T]) -> T:
    """Run a bulk load (an import's commits, the demo workspace) as one write transaction: all rows or none."""
    with store.transaction():
        return write()


# ------------------------------------------------------------------ items
def add_items_creating_queues(
    store: Store, items: Sequence[tuple[str, Callable[[int], dict[str, Any]]]], new_queues: Iterable[str], *,
    queue_kind: str, actor: str, source: str,
) -> int:
    """Create the queues not there yet, then insert the items; return rows added.

    *items* are (queue name, row for a queue id). Queue creation is inside
    the same transaction, so a failed import leaves no empty queue behind;
    a queue another client created meanwhile is used, not created twice.
    Inside a larger transaction (the import's) this is a savepoint of it.
    """
    with store.transaction():
        existing = {q.name for q in store.queues()}
        for name in new_queues:
            if name not in existing:
                store.add_queue(name, queue_kind, actor=actor)
        ids = {q.name: q.id for q in store.queues()}
        return store.add_items([row_for(ids[queue]) for queue, row_for in items], actor=actor, source=source)


def item_ids_in_queue(store: Store, queue_id: int, external_ids: Iterable[str]) -> dict[str, int]:
    """external id -> item id, for those of *external_ids* the queue holds."""
    found: dict[str, int] = {}
    for chunk in _chunks(external_ids):
        for item_id, ext in store.db.execute(
            f"SELECT id, external_id FROM items WHERE queue_id = ? AND external_id IN ({_marks(chunk)})",
            [queue_id, *chunk],
        ):
            found[ext] = item_id
    return found


def item_ids_in_queue_named(store: Store, queue: str, external_ids: Iterable[str]) -> dict[str, int]:
    """external id -> item id, in the queue called *queue* (items this import has just written)."""
    found: dict[str, int] = {}
    for chunk in _chunks(external_ids):
        for item_id, ext in store.db.execute(
            "SELECT i.id, i.external_id FROM items i JOIN queues q ON q.id = i.queue_id"
            f" WHERE q.name = ? AND i.external_id IN ({_marks(chunk)})", [queue, *chunk],
        ):
            found[ext] = item_id
    return found


def items_in_any_queue(store: Store, external_ids: Iterable[str]) -> list[tuple[int, str, str]]:
    """(item id, external id, queue name) of every item with one of *external_ids*, whatever its queue."""
    found: list[tuple[int, str, str]] = []
    for chunk in _chunks(external_ids):
        found.extend(store.db.execute(
            "SELECT i.id, i.external_id, q.name FROM items i JOIN queues q ON q.id = i.queue_id"
            f" WHERE i.external_id IN ({_marks(chunk)})", chunk,
        ))
    return found


# -------------------------------------------------------------- decisions
def decisions_on(store: Store, item_ids: Iterable[int]) -> list[tuple[int, int, str, str, str, bool]]:
    """(decision id, item id, moderator, action, decided_at, live) of the items' decisions, oldest first.

    Undo rows are left out; ``live`` is false for a decision an undo revoked.
    """
    found: list[tuple[int, int, str, str, str, bool]] = []
    for chunk in _chunks(item_ids):
        rows = store.db.execute(
            # The uncorrelated NOT IN runs once per query (still fine now that revokes_id is indexed, m007).
            f"""SELECT d.id, d.item_id, u.name, d.action, d.decided_at,
                       d.id NOT IN (SELECT revokes_id FROM decisions WHERE revokes_id IS NOT NULL)
                FROM decisions d JOIN users u ON u.id = d.user_id
                WHERE d.revokes_id IS NULL AND d.item_id IN ({_marks(chunk)}) ORDER BY d.id""", chunk)
        found.extend((d, i, m, a, at, bool(live)) for d, i, m, a, at, live in rows)
    found.sort(key=lambda row: row[0])
    return found


def same_decision(store: Store, item_id: int, moderator: str, action: str, decided_at: str) -> int | None:
    """The id of the latest decision with exactly these facts (written meanwhile by another client?), or None."""
    row = store.db.execute(
        """SELECT d.id FROM decisions d JOIN users u ON u.id = d.user_id WHERE d.item_id = ? AND u.name = ?
           AND d.action = ? AND d.decided_at = ? AND d.revokes_id IS NULL ORDER BY d.id DESC LIMIT 1""",
        [item_id, moderator, action, decided_at]).fetchone()
    return row[0] if row is not None else None


# ------------------------------------------------------------------ users
def user_roles(store: Store, name: str) -> list[str] | None:
    """The roles *name* holds, as stored (in order), or None when there is no such user."""
    row = store.db.execute("SELECT roles FROM users WHERE name = ?", [name]).fetchone()
    return None if row is None else [r for r in row[0].split(",") if r]


def change_roles(store: Store, name: str, roles: Sequence[str], *, added: str, actor: str) -> None:
    """Give *name* exactly *roles* (one of them newly *added*) and log ``user.roles_changed``."""
    with store.transaction():
        store.db.execute("UPDATE users SET roles = ? WHERE name = ?", [",".join(roles), name])
        store.log(actor, "user.roles_changed", f"user:{name}", {"added": [added], "roles": list(roles)})
