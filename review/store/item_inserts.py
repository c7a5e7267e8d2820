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
triggers to 1.11x (tests/review/test_item_inserts.py). In CPU time the
trigger still cost a file store 2-3x the bare insert until the rows went in
runs of 500 per statement (:func:`_insert_in_runs`): 22 k -> 56 k rows per
CPU-second, 1.02-1.13x the floor (``queue_counts_import``).
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
    """Insert each row with the one-row item insert *sql*, inside the caller's transaction; (highest item id before,
    rows added). On a file the rows go in runs of :data:`ROWS_PER_STATEMENT` per statement (:func:`_insert_in_runs`).

    The ids of the added rows are those above the first number: an item write holds the write lock exclusively
    on both stores, so nobody else adds items meanwhile. A statement that does not fill ``author`` is a
    programming error (:class:`ValueError`).
    """
    named = _COLUMNS.search(sql)
    if named is None or "author" not in {column.strip() for column in named.group(1).split(",")}:
        raise ValueError("an item insert must fill the author column (review.store.item_indexes.author_of)")
    (before,) = store.db.execute("SELECT COALESCE(MAX(id), 0) FROM items").fetchone()
    with queue_counts.paused(store):
        if dialect.is_server(store.db):
            added = max(int(executemany(store.db, sql, rows).rowcount), 0)
        else:
            added = _insert_in_runs(store, sql, rows)
        if added:
            queue_counts.add_items_after(store, int(before))
    if added:
        complaint_schema.add_complaints(store, int(before))
    return int(before), added


#: Rows per statement on a file (:func:`_insert_in_runs`): 500 rows of an import's 17 columns are 8,500 variables,
#: well under SQLite's 32,766.
ROWS_PER_STATEMENT = 500

_VALUES = re.compile(r"\bVALUES\s*(\([^)]*\))", re.IGNORECASE)


def _insert_in_runs(store: Store, sql: str, rows: Iterable[Sequence[Any]]) -> int:
    """Run the one-row insert *sql* as statements of up to :data:`ROWS_PER_STATEMENT` rows each; the rows added.

    Why on a file: SQLite runs a row trigger as a sub-program whose frame it allocates afresh each time a
    statement runs, even when the trigger's ``WHEN`` (here: "not paused") turns it away; one statement per row
    paid that once per row, which doubled an item insert's CPU (20,000 text rows: 0.73 s beside 0.33 s without
    the trigger), where a run of 500 rows pays it once. A server runs the statement per row in a pipeline.
    """
    values = _VALUES.search(sql)
    if values is None:
        raise ValueError("an item insert is one VALUES row of placeholders")
    head, row, tail = sql[:values.start(1)], values.group(1), sql[values.end(1):]
    full = head + ", ".join([row] * ROWS_PER_STATEMENT) + tail
    added, count = 0, 0
    batch: list[Any] = []
    for values_of_row in rows:
        batch.extend(values_of_row)
        count += 1
        if count == ROWS_PER_STATEMENT:
            added += store.db.conn.execute(full, batch).rowcount
            batch, count = [], 0
    if count:
        added += store.db.conn.execute(head + ", ".join([row] * count) + tail, batch).rowcount
    return added


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
    dialect.drop_trigger(db, "items_complaint", "items")
    queue_counts.m028(db)
