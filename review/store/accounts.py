"""Account rows: an author's items with their current decisions, and the team's notes about the account.

An account is the ``author`` a manifest row names (kept in the item's
metadata and, from step m032, in the plain ``items.author`` column with a
partial index: :mod:`review.store.item_indexes`), so these reads stay
cheap on a large store. Notes are append-only: a note is corrected by a new one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlite_utils

from review.store import reads
from review.store.bound import distinct_slices, marks

if TYPE_CHECKING:
    from review.store import Store, User

# Step m015's expression index (replaced by m032's plain column); json_valid first: one malformed row (written by
# an old version, by hand) must not stop the migration.
_AUTHOR = "(CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.author') END)"

#: An item's line in its author's account.
_AUTHOR_ITEM = """SELECT i.id, i.external_id, q.name, q.kind, i.state, i.received_at
FROM items i JOIN queues q ON q.id = i.queue_id"""
#: An author's newest items in queues of some kinds (``{kinds}``: their marks), through the partial index
#: ``items_author`` (``author = ?`` implies its ``IS NOT NULL``).
NEWEST_AUTHOR_ITEMS = (_AUTHOR_ITEM + " WHERE i.author = ? AND i.id <> ? AND q.kind IN ({kinds})"
                       " ORDER BY i.received_at DESC, i.id DESC LIMIT ?")


def m015(db: sqlite_utils.Database) -> None:
    """The schema step: ``account_notes`` (append-only) and the partial index on the items' author."""
    db.executescript(
        f"""
        CREATE TABLE account_notes (
            id INTEGER PRIMARY KEY,
            author TEXT NOT NULL CHECK (author != ''),
            user_id INTEGER NOT NULL REFERENCES users(id),
            body TEXT NOT NULL CHECK (body != ''),
            created_at TEXT NOT NULL
        );
        CREATE INDEX account_notes_author ON account_notes (author, id);
        CREATE INDEX items_author ON items ({_AUTHOR}) WHERE {_AUTHOR} IS NOT NULL;
        """
    )
    for verb in ("UPDATE", "DELETE"):
        db.execute(f"""CREATE TRIGGER account_notes_no_{verb.lower()} BEFORE {verb} ON account_notes
            BEGIN SELECT RAISE(ABORT, 'account notes are append-only'); END""")


def m036(db: sqlite_utils.Database) -> None:
    """The schema step: ``items_author`` (step m032's, on the author alone) ordered by arrival and carrying the
    queue and state, so an account lists its author's newest items without sorting them all and counts them
    without reading their rows (issue 22: an author of 65,000 items on the 1 M demo, 355 → 60 ms)."""
    db.execute("DROP INDEX items_author")
    db.execute("CREATE INDEX items_author ON items (author, received_at, id, queue_id, state) WHERE author IS NOT NULL")


def newest_author_items(store: Store, author: str, *, besides: int, kinds: Sequence[str],
                        limit: int) -> list[tuple[int, str, str, str, str, str]]:
    """(item id, external id, queue name, queue kind, state, received at) of the newest *limit* items by *author*
    but *besides*, in queues of *kinds*, oldest first."""
    return reads.run(store.db, newest_author_items_read(author, besides=besides, kinds=kinds, limit=limit))


def newest_author_items_read(author: str, *, besides: int, kinds: Sequence[str],
                             limit: int) -> reads.Read[list[tuple[int, str, str, str, str, str]]]:
    """:func:`newest_author_items` as a look-up that may share a round trip."""
    return reads.one(NEWEST_AUTHOR_ITEMS.format(kinds=marks(kinds)), [author, besides, *kinds, limit],
                     lambda rows: [tuple(row) for row in reversed(rows)])


#: The action of the decision standing on the item ``i`` (the newest that neither revokes nor was revoked), from
#: the covering index ``decisions_item_live``; none for a pending item (what stood before it was reopened does not
#: stand now).
_STANDING_ACTION = """CASE WHEN i.state <> 'pending' THEN (SELECT c.action FROM decisions c
    WHERE c.item_id = i.id AND c.revokes_id IS NULL AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = c.id)
    ORDER BY c.id DESC LIMIT 1) END"""


#: (queue kind, state, standing action, how many) of an author's items but one.
AUTHOR_COUNTS = f"""SELECT q.kind, i.state, {_STANDING_ACTION}, COUNT(*) FROM items i JOIN queues q ON q.id = i.queue_id
WHERE i.author = ? AND i.id <> ? GROUP BY 1, 2, 3"""


def author_counts_read(author: str, *, besides: int) -> reads.Read[list[tuple[str, str, str | None, int]]]:
    """(queue kind, state, standing action or None, how many) of *author*'s items but *besides*: the items from
    the index ``items_author`` alone (:func:`m036`), their decisions from ``decisions_item_live``. A look-up that
    may share a round trip."""
    return reads.one(AUTHOR_COUNTS, [author, besides],
                     lambda rows: [(str(kind), str(state), action, int(n)) for kind, state, action, n in rows])


def author_item(store: Store, item_id: int) -> tuple[int, str, str, str, str, str] | None:
    """:func:`newest_author_items`' row of one item, or None."""
    row = store.db.execute(_AUTHOR_ITEM + " WHERE i.id = ?", [item_id]).fetchone()
    return tuple(row) if row else None


def current_decisions(store: Store, item_ids: Sequence[int]) -> dict[int, tuple[str, list[str], str]]:
    """{item id: (action, labels, decided at)} of each item's standing decision (neither revoked nor a revocation)."""
    return reads.run(store.db, current_decisions_read(item_ids))


def current_decisions_read(item_ids: Sequence[int]) -> reads.Read[dict[int, tuple[str, list[str], str]]]:
    """:func:`current_decisions` as a look-up that may share a round trip (a statement per chunk of ids)."""
    def standing(chunks: list[list[Any]]) -> dict[int, tuple[str, list[str], str]]:
        found: dict[int, tuple[str, list[str], str]] = {}
        for rows in chunks:
            for item_id, action, labels, decided_at in rows:  # the latest wins
                found[item_id] = (action, _labels(labels), decided_at)
        return found

    return reads.Read(tuple((f"""SELECT d.item_id, d.action, d.labels, d.decided_at FROM decisions d
            WHERE d.item_id IN ({marks(chunk)}) AND d.revokes_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id)
            ORDER BY d.id""", chunk)
        for chunk in distinct_slices(item_ids)), standing)  # a prolific author's many: past a driver's parameter limit


def _labels(text: str) -> list[str]:
    try:
        value: Any = json.loads(text)
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def notes_read(author: str) -> reads.Read[list[tuple[str, str, str]]]:
    """(body, who wrote it, when) of the team's notes about *author*, oldest first: a look-up that may share a
    round trip."""
    return reads.one("""SELECT n.body, u.name, n.created_at FROM account_notes n JOIN users u ON u.id = n.user_id
        WHERE n.author = ? ORDER BY n.id""", [author], lambda rows: [tuple(row) for row in rows])


def add_note(store: Store, author: str, user: User, body: str) -> str:
    """Keep the note and its ``account.note`` event in one transaction; when it was written."""
    with store.transaction():
        at = store.now()
        note_id = store.db.execute(
            "INSERT INTO account_notes (author, user_id, body, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            [author, user.id, body, at],
        ).fetchall()[0][0]
        store.log(user.name, "account.note", author, {"note": note_id, "body": body})
    return at
