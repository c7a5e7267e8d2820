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
* the statement names the ``author`` column (step m032's plain column in place of an index on the metadata's
  JSON: :mod:`review.store.item_indexes`), or it is refused before it runs: a caller that forgot it would leave
  its items out of their author's account without a sound;
* a row whose metadata names ``complaint_of`` gets its ``complaints`` row
  (:func:`review.store.complaint_schema.add_complaints`), or the statement
  fails with the refusal the m014 trigger raised. Only those rows are read
  back (their metadata is matched by text first, then parsed), where the
  trigger parsed every row's metadata twice.

An item import writes its chunks with a bigger page cache on a file (:func:`write_cache`): each row is a B-tree
insert in every index of ``items``, at random places for its hashes and author.

Step m028 drops the complaint trigger and adds the pause's table (the
counting trigger that heeds it is step m031's, with the counts in shards). Counted in SQLite VM instructions (a
measure of work that a busy machine does not blur), a 2,000-row
``Store.add_items`` went from 1.84x the same insert without per-row
triggers to 1.11x (tests/review/test_item_inserts.py).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from review.store import complaint_schema, dialect, queue_counts
from review.store.connection import executemany

if TYPE_CHECKING:
    from review.store import Store


_COLUMNS = re.compile(r"INSERT\s+INTO\s+items\s*\(([^)]*)\)", re.IGNORECASE)


def insert_new(store: Store, sql: str, rows: Iterable[Sequence[Any]]) -> tuple[int, int]:
    """Run the item insert *sql* once per row, inside the caller's transaction; (highest item id before, rows added).

    The ids of the added rows are those above the first number: an item write holds the write lock exclusively
    on both stores, so nobody else adds items meanwhile. A statement that does not fill ``author`` is a
    programming error (:class:`ValueError`).
    """
    named = _COLUMNS.search(sql)
    if named is None or "author" not in {column.strip() for column in named.group(1).split(",")}:
        raise ValueError("an item insert must fill the author column (review.store.item_indexes.author_of)")
    (before,) = store.db.execute("SELECT COALESCE(MAX(id), 0) FROM items").fetchone()
    with queue_counts.paused(store):
        added = max(int(executemany(store.db, sql, rows).rowcount), 0)
        if added:
            queue_counts.add_items_after(store, int(before))
    if added:
        complaint_schema.add_complaints(store, int(before))
    return int(before), added


#: The page cache an item import writes its chunks with on a file (KiB): an item row is a B-tree insert in each
#: of the items table's indexes, at a random place for its hash and author, which SQLite's default 2 MB cache
#: cannot keep (100,000 text rows: 4.6 CPU-s with it, 2.5 with this; docs/performance.md). Bounded whatever the
#: manifest; not a history import's, whose one transaction would keep that much more memory dirty to its end.
WRITE_CACHE_KIB = 64 * 1024


@contextlib.contextmanager
def write_cache(store: Store) -> Iterator[None]:
    """A bigger page cache on a file store's connection while an import writes, the connection's own after it.

    Connection tuning, not a statement of the shared dialect: a server store sizes its own buffers.
    """
    if dialect.is_server(store.db):
        yield
        return
    before = int(store.db.execute("PRAGMA cache_size").fetchone()[0])
    store.db.execute(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
    try:
        yield
    finally:
        store.db.execute(f"PRAGMA cache_size = {before}")


def m028(db: Any) -> None:
    """The schema step: no complaint trigger (:func:`insert_new` writes the rows), and the counting trigger paused
    while :func:`review.store.queue_counts.paused` holds its row."""
    if dialect.is_server(db):
        db.execute("DROP TRIGGER items_complaint ON items")
        db.execute("DROP FUNCTION items_complaint_fn()")
    else:
        db.execute("DROP TRIGGER items_complaint")
    queue_counts.m028(db)
