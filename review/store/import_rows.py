"""The rows an import writes, in bulk: item rows and past decisions, a chunk with a few statements.

A manifest may hold a million items and a million past decisions (issue 22: at least 50,000 rows/s). A chunk
of item rows is one ``executemany`` of tuples kept ready by the import's scratch file
(:class:`review.store.imports.Scratch`), never a dict per row; a chunk of past decisions is a bulk look-up of
its items and people, one ``executemany`` of the rows with their events
(:func:`review.store.demo_rows.add_past_decisions`), and the items closed and their leases ended by id lists,
where each used to be a savepoint, two look-ups and four statements. What each leaves is what
``Store.add_items`` and ``review.store.decisions.record_past`` leave row by row. The SQL is the dialect SQLite
and PostgreSQL share; :mod:`review.store.imports` holds the importer's look-ups and scratch file.
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from review.clock import iso, parse
from review.errors import StoreError
from review.store import demo_rows, item_inserts
from review.store.bound import distinct_slices, marks

if TYPE_CHECKING:
    from review.store import Store

#: An item row as an import keeps and writes it, but for its queue: (external id, kind, media path, media type,
#: text, metadata as JSON, severity, priority, SHA-256, MD5, PDQ, PDQ quality, received_at, author); times
#: canonical, the author as :func:`review.store.item_indexes.author_of` reads it from the metadata.
ItemRow = tuple[str, str, str | None, str | None, str, str, str | None, int, str | None, str | None, str | None,
                int | None, str, str | None]

_INSERT_ITEMS = (
    "INSERT INTO items (external_id, kind, media_path, media_type, text, metadata, severity, priority,"
    " content_sha256, content_md5, pdq, pdq_quality, received_at, author, queue_id, due_at, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (queue_id, external_id) DO NOTHING")


@functools.lru_cache(maxsize=4_096)
def due_at(received_at: str, sla_seconds: int) -> str:
    """When an item received at *received_at* (canonical) is due in a queue with this SLA.

    Cached: rows without ``received_at`` all arrive "now", and a feed's rows share their minutes, so most rows of a
    large import cost a dictionary look-up, not a parse and a format.
    """
    return iso(parse(received_at) + _dt.timedelta(seconds=sla_seconds))


def insert_items(store: Store, rows: Iterable[tuple[ItemRow, int, str | None]], *, actor: str, source: str) -> int:
    """Insert (item row, queue id, due_at) triples with one ``executemany`` and log ``items.imported``, in one
    transaction (a savepoint of the caller's); rows already present are skipped. Returns how many rows were new.

    A ``due_at`` of None is the received time plus the queue's SLA. The rows are a generator of tuples built as the
    statement consumes them: no list of a chunk's prepared rows, no dict per row.
    """
    with store.transaction():
        now = store.now()
        sla = {q.id: q.sla_seconds for q in store.queues()}
        given = 0

        def prepared() -> Iterator[tuple[Any, ...]]:
            nonlocal given
            for row, queue_id, due in rows:
                given += 1
                yield (*row, queue_id, due or due_at(row[12], sla[queue_id]), now)

        _, added = item_inserts.insert_new(store, _INSERT_ITEMS, prepared())
        store.log(actor, "items.imported", source, {"rows": given, "added": added})
    return added


#: A past decision to record: (item id, moderator's name, action, labels, decided_at, note, handle_ms), times canonical.
PastDecisionRow = tuple[int, str, str, tuple[str, ...], str, str, int | None]


def record_past_decisions(store: Store, rows: Sequence[PastDecisionRow], *, source: str) -> list[int]:
    """Record decisions made earlier, elsewhere (a chunk of a history import); their ids, in row order.

    What ``review.store.decisions.record_past`` does for one — the row, its item closed, any lease on it ended,
    one ``decision.recorded`` event with the same payload — with a few statements for the whole chunk instead
    of a savepoint, a look-up and four statements per row (a million past decisions took minutes). The rows and
    events are :mod:`review.store.demo_rows`' bulk writer's. Inside one transaction (a savepoint of the
    caller's); a :class:`~review.errors.StoreError` names an item or a person the store does not hold.
    """
    if not rows:
        return []
    with store.transaction():
        queue_of: dict[int, int] = {}
        for chunk in distinct_slices(row[0] for row in rows):
            queue_of.update(store.db.execute(f"SELECT id, queue_id FROM items WHERE id IN ({marks(chunk)})", chunk))
        user_of: dict[str, int] = {}
        for chunk in distinct_slices(row[1] for row in rows):
            user_of.update((name, user_id) for user_id, name in store.db.execute(
                f"SELECT id, name FROM users WHERE name IN ({marks(chunk)})", chunk))
        if gone := sorted({row[0] for row in rows} - queue_of.keys()):
            raise StoreError(f"no item with id {gone[0]}: its past decision cannot be recorded")
        if nobody := sorted({row[1] for row in rows} - user_of.keys()):
            raise StoreError(f"no user named {nobody[0]!r}: their past decisions cannot be recorded")
        queue_names = {queue.id: queue.name for queue in store.queues()}
        (before,) = store.db.execute("SELECT COALESCE(MAX(id), 0) FROM decisions").fetchone()
        demo_rows.add_past_decisions(store, [_past(row, user_of[row[1]], queue_of[row[0]], queue_names, source)
                                             for row in rows])
        ids = [int(i) for (i,) in store.db.execute("SELECT id FROM decisions WHERE id > ? ORDER BY id", [before])]
        for chunk in distinct_slices(queue_of):  # closed: decided, and nobody holds them any more
            store.db.execute(f"UPDATE items SET state = 'decided' WHERE id IN ({marks(chunk)})", chunk)
            store.db.execute(f"DELETE FROM leases WHERE item_id IN ({marks(chunk)})", chunk)
    return ids


def _past(row: PastDecisionRow, user_id: int, queue_id: int, queue_names: dict[int, str],
          source: str) -> tuple[Any, ...]:
    """A past decision in the columns :func:`review.store.demo_rows.add_past_decisions` writes (shown_at: when it
    was shown, its handle time before it was made, as ``record_past`` has it)."""
    item_id, moderator, action, labels, decided_at, note, handle_ms = row
    shown_at = None if handle_ms is None else iso(parse(decided_at) - _dt.timedelta(milliseconds=handle_ms))
    return (item_id, user_id, moderator, queue_id, queue_names[queue_id], action, labels, note, decided_at, shown_at,
            handle_ms, source)
