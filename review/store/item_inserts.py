"""Item rows inserted in bulk, with what each insert must bring: the queue counts, complaint rows; and step m028.

Every item row Veil writes comes through :func:`insert_new` — an import's
chunk (``review.store.import_rows.insert_items``, which ``Store.add_items``
uses too) and the demo's (``review.store.demo_rows.add_items``) — so what
used to be per-row trigger work on ``items`` is done here once per
statement, and a million-row import pays for its rows, not for two upserts
and a JSON parse each (issue 22: the floor of an item insert was 6.5 k
rows/s with the triggers, 21 k without):

* the queue counts (:mod:`review.store.queue_counts`) are added with one
  grouped upsert per counting table for all the rows the statement added,
  while the per-row insert trigger stands aside (see
  :func:`review.store.queue_counts.paused`: per transaction, invisible to
  any other writer on both stores). Updates and deletes, and every other
  writer's inserts, are still counted row by row by the triggers;
* a row whose metadata names ``complaint_of`` gets its ``complaints`` row
  (:func:`review.store.complaint_schema.add_complaints`), or the statement
  fails with the refusal the m014 trigger raised. Only those rows are read
  back (their metadata is matched by text first, then parsed), where the
  trigger parsed every row's metadata twice.

Step m028 drops the complaint trigger and adds the pause's table (the
counting trigger that heeds it is step m031's, with the counts in shards). Counted in SQLite VM instructions (a
measure of work that a busy machine does not blur), a 2,000-row
``Store.add_items`` went from 1.84x the same insert without per-row
triggers to 1.11x (tests/review/test_item_inserts.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from review.store import complaint_schema, dialect, queue_counts
from review.store.connection import executemany

if TYPE_CHECKING:
    from review.store import Store


def insert_new(store: Store, sql: str, rows: Iterable[Sequence[Any]]) -> tuple[int, int]:
    """Run the item insert *sql* once per row, inside the caller's transaction; (highest item id before, rows added).

    The ids of the added rows are those above the first number: an item write holds the write lock exclusively
    on both stores, so nobody else adds items meanwhile.
    """
    (before,) = store.db.execute("SELECT COALESCE(MAX(id), 0) FROM items").fetchone()
    with queue_counts.paused(store):
        added = max(int(executemany(store.db, sql, rows).rowcount), 0)
        if added:
            queue_counts.add_items_after(store, int(before))
    if added:
        complaint_schema.add_complaints(store, int(before))
    return int(before), added


def m028(db: Any) -> None:
    """The schema step: no complaint trigger (:func:`insert_new` writes the rows), and the counting trigger paused
    while :func:`review.store.queue_counts.paused` holds its row."""
    if dialect.is_server(db):
        db.execute("DROP TRIGGER items_complaint ON items")
        db.execute("DROP FUNCTION items_complaint_fn()")
    else:
        db.execute("DROP TRIGGER items_complaint")
    queue_counts.m028(db)
