"""Many synthetic rows at once, for a demo workspace of any size: items, past decisions with their events, exposure.

``veil demo --items 5000000`` must build at 50,000 items/s (issue 22 §1); the per-row writers
(``Store.add_items``' dict rows, ``decisions.record_past``: a transaction, three statements and an
event each) are ten times too slow for that. Here the caller hands prepared tuples, in the columns'
order, and each function writes them with one ``executemany`` inside the caller's transaction.
Nothing is bypassed: the append-only guards, the summaries trigger and every index see each row, the items'
queue counts and complaint rows are written per statement (:mod:`review.store.item_inserts`), and
each decision gets its own ``decision.recorded`` event with exactly the payload ``record_past`` writes
(:func:`review.store.decisions.facts`), so ``veil verify`` reconciles the rows like any other. On a
file the events' hash chain is computed here in one pass (:func:`review.store.events.row_hash`); a
server store appends them one by one through ``Store.log`` (its chain lock: slower, and correct).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from review.store import dialect, events, item_inserts
from review.store.connection import executemany
from review.store.decisions import CLIENT_VERSION, facts
from review.store.hashes import NEW_ITEMS

if TYPE_CHECKING:
    from review.store import Store

#: The item columns a prepared item row holds, in order.
ITEM_COLUMNS = ("external_id", "queue_id", "kind", "media_path", "media_type", "text", "metadata", "severity",
                "priority", "content_sha256", "content_md5", "pdq", "pdq_quality", "received_at", "due_at", "state",
                "created_at")
_ADD_ITEMS = (f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(ITEM_COLUMNS))})")

#: A past decision: (item id, user id, user name, queue id, queue name, action, labels, note, decided_at,
#: shown_at, handle_ms, source); labels a tuple of label ids.
PastDecision = tuple[int, int, str, int, str, str, tuple[str, ...], str, str, str, int, str]

#: An exposure row: (user id, item id, session, started_at, ended_at, blurred_ms, revealed_ms, video_ms, severity,
#: category); its day is the start's.
ExposureRow = tuple[int, int, str, str, str, int, int, int, str | None, str]


#: The page cache a bulk load runs with on a file (KiB): the items table's dozen indexes and counting triggers
#: each insert at a few hundred places, which SQLite's default 2 MB cache cannot keep (1.6x the rows/s at 100k).
BULK_CACHE_KIB = 64 * 1024


@contextlib.contextmanager
def bulk_cache(store: Store) -> Iterator[None]:
    """A bigger page cache on a file store's connection while a bulk load runs, SQLite's default after it.

    Connection tuning, not a statement of the shared dialect: a server store sizes its own buffers, so
    nothing changes there. Memory stays bounded by :data:`BULK_CACHE_KIB` whatever the rows.
    """
    if dialect.is_server(store.db):
        yield
        return
    before = store.db.execute("PRAGMA cache_size").fetchone()[0]
    store.db.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        store.db.execute(f"PRAGMA cache_size = {int(before)}")


def _last_id(store: Store, table: str) -> int:
    return int(store.db.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0])


def add_items(store: Store, rows: Sequence[Sequence[Any]], *, actor: str, source: str) -> list[int]:
    """Insert prepared item rows (:data:`ITEM_COLUMNS`' order) and their ``items.imported`` event, inside the
    caller's transaction; the new items' ids, in row order (ids are handed out in insert order, and nobody else
    writes items while the transaction holds the write lock)."""
    before, _ = item_inserts.insert_new(store, _ADD_ITEMS, rows)
    ids = [int(row[0]) for row in store.db.execute("SELECT id FROM items WHERE id > ? ORDER BY id", [before])]
    store.log(actor, NEW_ITEMS, source, {"rows": len(rows), "added": len(ids)})
    return ids


def add_past_decisions(store: Store, rows: Sequence[PastDecision]) -> None:
    """Insert past decisions on items already ``decided`` and each one's ``decision.recorded`` event, inside the
    caller's transaction; no lease is involved (the items were never claimed)."""
    before = _last_id(store, "decisions")
    executemany(
        store.db,
        "INSERT INTO decisions (item_id, user_id, queue_id, action, labels, note, shown_at, decided_at, handle_ms,"
        " revealed_ms, client_version, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
        [(item, user, queue, action, json.dumps(list(labels)), note, shown, decided, handle, CLIENT_VERSION, source)
         for item, user, _, queue, _, action, labels, note, decided, shown, handle, source in rows],
    )
    ids = [int(row[0]) for row in store.db.execute(
        "SELECT id FROM decisions WHERE id > ? ORDER BY id", [before])]
    bodies = [
        (actor, f"item:{item}", {"decision": decision, "action": action, "labels": list(labels), "source": source,
                                 "queue": queue_name, **facts(decided, handle, shown, 0, note)})
        for decision, (item, _, actor, _, queue_name, action, labels, note, decided, shown, handle, source)
        in zip(ids, rows, strict=True)
    ]
    if dialect.is_server(store.db):
        for actor, subject, payload in bodies:
            store.log(actor, "decision.recorded", subject, payload)
        return
    _append_events(store, "decision.recorded", bodies)


def _append_events(store: Store, kind: str, bodies: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
    """Append one event per (actor, subject, payload), chained exactly as :func:`review.store.events.append`
    chains them, with one statement (a file store: the transaction's write lock keeps the head ours)."""
    at = store.now()
    head = events.head(store.db)
    row_id, prev = head.events, head.hash
    rows = []
    for actor, subject, payload in bodies:
        row_id += 1
        body = events.canonical_json(payload)
        digest = events.row_hash(prev, row_id, at, actor, kind, subject, body)
        rows.append((row_id, at, actor, kind, subject, body, prev, digest))
        prev = digest
    executemany(store.db, "INSERT INTO events (id, at, actor, kind, subject, payload, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    store.mark_changed(kind.split(".", 1)[0])


def add_exposure(store: Store, rows: Sequence[ExposureRow]) -> None:
    """Insert exposure rows (what each decider saw, no reveal regions) inside the caller's transaction; like
    ``review.store.wellbeing.add_exposure``, no event."""
    executemany(
        store.db,
        "INSERT INTO exposure (user_id, item_id, session_id, day, started_at, ended_at, blurred_ms, revealed_ms,"
        " region_ms, video_ms, severity, category) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
        [(user, item, session, started[:10], started, ended, blurred, revealed, video, severity, category)
         for user, item, session, started, ended, blurred, revealed, video, severity, category in rows],
    )
    store.mark_changed("wellbeing")
